// Settings of the operation limits and rate limits (docs/limits.md), parsed with the rest of
// the gateway's environment (config/gateway.ts). Defaults fit the demo and internal apps: the
// README's examples and the test suite stay far below them.
import { isIP } from 'node:net';
import { z } from 'zod';
import { ROLES, type Role } from '../access/principal.ts';
import type { RateRule } from '../limits/rate-limit.ts';

const PERIODS: Readonly<Record<string, number>> = { s: 1_000, sec: 1_000, second: 1_000, m: 60_000, min: 60_000, minute: 60_000, h: 3_600_000, hour: 3_600_000 };

/** `off`, or `<requests>/<period>` with period s, min or h: `600/min`, `20/s`. */
export const rate = z
  .string()
  .trim()
  .transform((v, ctx): RateRule | null => {
    if (v === 'off') return null;
    const m = /^(\d{1,9})\s*\/\s*([a-z]+)$/.exec(v);
    const periodMs = m ? PERIODS[m[2]!] : undefined;
    if (!m || periodMs === undefined || Number(m[1]) < 1) {
      ctx.addIssue({ code: 'custom', message: 'must be off or <requests>/<period> with period s, min or h, e.g. 600/min' });
      return z.NEVER;
    }
    return { limit: Number(m[1]), periodMs };
  });

const positive = z.coerce.number().int().min(1);

/** An address or a CIDR block: `10.0.0.0/8`, `192.0.2.7`, `fd00::/8`. */
export interface AddressBlock {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/** Comma-separated addresses or CIDR blocks. */
const addressBlocks = z
  .string()
  .trim()
  .transform((v, ctx): AddressBlock[] => {
    const out: AddressBlock[] = [];
    for (const item of v.split(',').map((x) => x.trim()).filter(Boolean)) {
      const [address = '', bits] = item.split('/');
      const version = isIP(address);
      const max = version === 6 ? 128 : 32;
      const prefix = bits === undefined ? max : Number(bits);
      if (version === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > max) {
        ctx.addIssue({ code: 'custom', message: `${JSON.stringify(item)} is not an address or CIDR block (e.g. 10.0.0.0/8, 192.0.2.7, fd00::/8)` });
        return z.NEVER;
      }
      out.push({ address, prefix, family: version === 6 ? 'ipv6' : 'ipv4' });
    }
    return out;
  });

type PerRole<P extends string, T extends z.ZodType> = { [R in Role as `${P}_${Uppercase<R>}`]: z.ZodOptional<T> };
/** `<prefix>_ADMIN`, `<prefix>_STEWARD`, …: one optional variable per role. */
const perRole = <P extends string, T extends z.ZodType>(prefix: P, schema: T): PerRole<P, T> =>
  Object.fromEntries(ROLES.map((r) => [`${prefix}_${r.toUpperCase()}`, schema.optional()])) as PerRole<P, T>;

export const limitsEnvShape = {
  /** Estimated source lookups and records served one operation may cost (cost.ts). */
  MERIDIAN_MAX_COST: positive.max(100_000_000).default(20_000),
  /** Deepest field nesting of an operation. */
  MERIDIAN_MAX_DEPTH: positive.max(1_000).default(12),
  /** Aliased fields in an operation (fragments counted per use). */
  MERIDIAN_MAX_ALIASES: positive.max(1_000_000).default(200),
  /** A GraphQL document's size, in UTF-8 bytes and in tokens, checked before it is parsed. */
  MERIDIAN_MAX_DOCUMENT_BYTES: positive.max(100_000_000).default(100_000),
  MERIDIAN_MAX_DOCUMENT_TOKENS: positive.max(10_000_000).default(20_000),
  /** Requests (HTTP and WebSocket operations) per principal, or per client address for anonymous callers. */
  MERIDIAN_RATE_LIMIT: rate.prefault('6000/min'),
  /** Proxies whose X-Forwarded-For names the client (the load balancer's addresses); none by default. */
  MERIDIAN_TRUSTED_PROXIES: addressBlocks.optional(),
  /** Notifications per sender (client address) and system on /webhooks/*. */
  MERIDIAN_WEBHOOK_RATE_LIMIT: rate.prefault('6000/min'),
  /** Failed authentications per client address; past it the address is refused before its credentials are looked up. */
  MERIDIAN_AUTH_FAILURE_RATE_LIMIT: rate.prefault('600/min'),
  ...perRole('MERIDIAN_MAX_COST', positive.max(100_000_000)),
  ...perRole('MERIDIAN_RATE_LIMIT', rate),
};

export interface LimitsConfig {
  maxCost: number;
  maxDepth: number;
  maxAliases: number;
  maxDocumentBytes: number;
  maxDocumentTokens: number;
  /** Cost limit of an authenticated principal's role, where set (anonymous callers get maxCost). */
  maxCostByRole: Partial<Record<Role, number>>;
  /** null: no rate limit. */
  rate: RateRule | null;
  rateByRole: Partial<Record<Role, RateRule | null>>;
  webhookRate: RateRule | null;
  authFailureRate: RateRule | null;
  /** Peers whose X-Forwarded-For is believed. */
  trustedProxies: AddressBlock[];
}

type LimitsEnv = z.infer<z.ZodObject<typeof limitsEnvShape>>;

export function limitsConfig(env: LimitsEnv): LimitsConfig {
  const maxCostByRole: Partial<Record<Role, number>> = {};
  const rateByRole: Partial<Record<Role, RateRule | null>> = {};
  for (const r of ROLES) {
    const upper = r.toUpperCase() as Uppercase<Role>;
    const cost = env[`MERIDIAN_MAX_COST_${upper}`];
    if (cost !== undefined) maxCostByRole[r] = cost;
    const rule = env[`MERIDIAN_RATE_LIMIT_${upper}`];
    if (rule !== undefined) rateByRole[r] = rule;
  }
  return {
    maxCost: env.MERIDIAN_MAX_COST,
    maxDepth: env.MERIDIAN_MAX_DEPTH,
    maxAliases: env.MERIDIAN_MAX_ALIASES,
    maxDocumentBytes: env.MERIDIAN_MAX_DOCUMENT_BYTES,
    maxDocumentTokens: env.MERIDIAN_MAX_DOCUMENT_TOKENS,
    maxCostByRole,
    rate: env.MERIDIAN_RATE_LIMIT,
    rateByRole,
    webhookRate: env.MERIDIAN_WEBHOOK_RATE_LIMIT,
    authFailureRate: env.MERIDIAN_AUTH_FAILURE_RATE_LIMIT,
    trustedProxies: env.MERIDIAN_TRUSTED_PROXIES ?? [],
  };
}

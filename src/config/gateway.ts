// The gateway's own settings (CONTRACT.md § Environment), parsed once at start-up together
// with the per-system settings; every bad variable is named in one message.
import { z } from 'zod';
import { isPhoneRegion } from '../normalize/phone.ts';
import { ConfigError, port, sandboxEnvSchema, url } from './env.ts';
import { noSystemSettings, readSystemSettings, type SystemSettings } from './systems.ts';
import { limitsEnvShape } from './limits.ts';
import { syncEnvShape } from './sync.ts';
import { readAccessSettings, type AccessSettings } from './access.ts';

const positive = z.coerce.number().int().min(1);

export const gatewayEnvSchema = sandboxEnvSchema.extend({
  PORT: port.default(4000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: url(['postgres:', 'postgresql:']).optional(),
  REDIS_URL: url(['redis:', 'rediss:']).optional(),
  MERIDIAN_MAPPING: z.string().min(1).optional(),
  MERIDIAN_SANDBOX: z.enum(['0', '1']).optional(),
  MERIDIAN_SANDBOX_CUSTOMERS: positive.max(2_000_000).default(1000),
  MERIDIAN_SANDBOX_SEED: z.coerce.number().int().min(0).default(42),
  /** Deadline for one call to one source; past it the source's fields are unavailable. */
  MERIDIAN_SOURCE_TIMEOUT_MS: positive.max(120_000).default(2_000),
  /** Source lookups (ids sent to a system) one request may make; past it fields fail with RATE_LIMITED instead of calling. */
  MERIDIAN_REQUEST_UPSTREAM_BUDGET: positive.max(1_000_000).default(2_000),
  /** How long a source's circuit stays open after 5 consecutive failures before it is tried again. */
  MERIDIAN_BREAKER_COOLDOWN_MS: positive.max(600_000).default(10_000),
  /** Serve repeated queries built only from cached golden records as stored responses ('on', default). */
  MERIDIAN_RESPONSE_CACHE: z.enum(['on', 'off']).default('on'),
  MERIDIAN_CACHE_TTL_SECONDS: positive.max(86_400).default(300),
  /**
   * Customers whose account links the gateway remembers, so a cache miss reads its records while
   * Postgres confirms the links (gateway/link-memo.ts); filled in the background at start. 0: off.
   */
  MERIDIAN_LINK_MEMO: z.coerce.number().int().min(0).max(10_000_000).default(100_000),
  /** 'jit' (default): operations run as queries compiled by graphql-jit; 'graphql': graphql's own execute. */
  MERIDIAN_EXECUTOR: z.enum(['jit', 'graphql']).default('jit'),
  /** Compiled queries kept by the jit executor, least recently used dropped first. */
  MERIDIAN_JIT_CACHE_SIZE: positive.max(1_000_000).default(1_000),
  /** '1': GraphQL errors carry `extensions.stacktrace` (development only: it shows source paths). */
  MERIDIAN_DEV_ERRORS: z.enum(['0', '1']).default('0'),
  /** On SIGTERM/SIGINT, how long in-flight requests may run before they are cut. */
  MERIDIAN_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
  /** '1': start even though ERP_DATABASE_URL can write to the ERP (logged loudly at every start). */
  MERIDIAN_ERP_ALLOW_WRITES: z.enum(['0', '1']).default('0'),
  /** Region for phone numbers written without a country code (ISO 3166-1 alpha-2). */
  // A code the phone library does not know would silently drop every number without a country code.
  MERIDIAN_DEFAULT_REGION: z
    .string()
    .regex(/^[A-Z]{2}$/, 'must be a two-letter country code such as US')
    .refine(isPhoneRegion, 'must be an ISO 3166-1 alpha-2 country code with a numbering plan, such as US, GB or DE')
    .default('US'),
  /** Log lines as JSON or readable text; default JSON when NODE_ENV=production or stderr is not a terminal (observability/logger.ts). */
  MERIDIAN_LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  MERIDIAN_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  /** 'production': JSON logs, and introspection for admins only unless MERIDIAN_INTROSPECTION says otherwise. */
  NODE_ENV: z.string().optional(),
  /** OTLP/HTTP collector base URL (…/v1/traces is appended); traces are off without it. */
  OTEL_EXPORTER_OTLP_ENDPOINT: url(['http:', 'https:']).optional(),
  OTEL_SERVICE_NAME: z.string().min(1).default('meridian'),
  /** Operation limits and rate limits (config/limits.ts, docs/limits.md). */
  ...limitsEnvShape,
  /** The sync worker and change-feed pollers (config/sync.ts, docs/sync.md). */
  ...syncEnvShape,
});

export type GatewayEnv = z.infer<typeof gatewayEnvSchema>;

export interface GatewayConfig {
  env: GatewayEnv;
  systems: SystemSettings;
  /** Whether the sandbox runs: no system configured, or MERIDIAN_SANDBOX=1. */
  sandbox: boolean;
  /** Who may call the gateway and how (config/access.ts). */
  access: AccessSettings;
}

export function readGatewayConfig(raw: Record<string, string | undefined>): GatewayConfig {
  const cleaned = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined && v !== ''));
  const problems: string[] = [];
  const parsed = gatewayEnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    for (const i of parsed.error.issues) problems.push(`${i.path.join('.')}: ${i.message} (got ${JSON.stringify(cleaned[String(i.path[0])])})`);
  }
  let systems: SystemSettings = noSystemSettings();
  try {
    systems = readSystemSettings(raw);
  } catch (e) {
    if (e instanceof ConfigError) problems.push(...e.problems);
    else throw e;
  }
  let access: AccessSettings | null = null;
  try {
    access = readAccessSettings(raw);
  } catch (e) {
    if (e instanceof ConfigError) problems.push(...e.problems);
    else throw e;
  }
  if (problems.length > 0 || !parsed.success || !access) throw new ConfigError(problems);
  const anyConfigured = Object.values(systems).some((s) => s !== null);
  const sandbox = parsed.data.MERIDIAN_SANDBOX === '1' || (!anyConfigured && parsed.data.MERIDIAN_SANDBOX !== '0');
  // Introspection's default follows NODE_ENV: open to every role in development, admins only in production.
  if (access.introspection === null) access = { ...access, introspection: parsed.data.NODE_ENV === 'production' ? 'admin' : 'all' };
  return { env: parsed.data, systems, sandbox, access };
}

// Access settings (README § Environment, docs/access.md): bootstrap API keys, JWT verification,
// the WebSocket origin allowlist, introspection. Parsed once at start-up; every bad variable is
// named, and no key is ever echoed back (a bootstrap key with a typo is still a secret).
import { ConfigError } from './env.ts';
import { ROLES, type Role } from '../access/principal.ts';
import { API_KEY_PATTERN, hashApiKey } from '../access/api-key.ts';

export interface BootstrapKey {
  /** SHA-256 of the key (api-key.ts); the key itself is not kept. */
  hash: string;
  role: Role;
}

/** Algorithms a JWKS can verify. Never 'none'; never HS* (a shared secret is not a key set). */
export const JWT_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const;
const DEFAULT_JWT_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'];

export interface JwtSettings {
  issuer: string;
  audience: string;
  jwksUrl: URL;
  /** The claim naming the role (a string, or an array whose widest known role is taken). */
  roleClaim: string;
  algorithms: string[];
  /** How long fetching the key set may take before a request is answered 503. */
  jwksTimeoutMs: number;
}

export interface AccessSettings {
  /** 'off' (MERIDIAN_AUTH=off): every request runs as admin without credentials; logged loudly. */
  mode: 'on' | 'off';
  apiKeys: BootstrapKey[];
  jwt: JwtSettings | null;
  /** Origins allowed to open a WebSocket besides the gateway's own (MERIDIAN_ALLOWED_ORIGINS). */
  allowedOrigins: string[];
  /** Who may introspect: 'admin', or 'all' roles. null until the gateway's config fills in the NODE_ENV default. */
  introspection: 'admin' | 'all' | null;
}

type Env = Record<string, string | undefined>;

const present = (env: Env, name: string): string | undefined => {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
};

function parseApiKeys(raw: string | undefined, problems: string[]): BootstrapKey[] {
  if (raw === undefined) return [];
  const entries = raw.split(',').map((e) => e.trim()).filter((e) => e !== '');
  const keys: BootstrapKey[] = [];
  const seen = new Set<string>();
  // Neither the key nor what stands where the role should be is echoed: a pair written the wrong
  // way round would put the key there.
  const bad = (i: number, why: string): void => {
    problems.push(`MERIDIAN_API_KEYS: entry ${i + 1} of ${entries.length} ${why} (keys are never shown)`);
  };
  entries.forEach((entry, i) => {
    const colon = entry.lastIndexOf(':');
    if (colon <= 0) return bad(i, 'is not key:role');
    const key = entry.slice(0, colon);
    const role = entry.slice(colon + 1);
    if (!(ROLES as readonly string[]).includes(role)) return bad(i, `has no known role after the last ':' (one of ${ROLES.join(', ')})`);
    if (!API_KEY_PATTERN.test(key)) return bad(i, 'has a key that is not 16 to 512 characters of letters, digits and - _ ~ + / =');
    const hash = hashApiKey(key);
    if (seen.has(hash)) return bad(i, 'repeats an earlier key');
    seen.add(hash);
    keys.push({ hash, role: role as Role });
  });
  return keys;
}

const JWT_VARIABLES = ['MERIDIAN_JWT_ISSUER', 'MERIDIAN_JWT_AUDIENCE', 'MERIDIAN_JWT_JWKS_URL'] as const;
const JWT_OPTIONAL = ['MERIDIAN_JWT_ROLE_CLAIM', 'MERIDIAN_JWT_ALGORITHMS', 'MERIDIAN_JWT_JWKS_TIMEOUT_MS'] as const;

function parseJwt(env: Env, problems: string[]): JwtSettings | null {
  const given = [...JWT_VARIABLES, ...JWT_OPTIONAL].filter((n) => present(env, n) !== undefined);
  if (given.length === 0) return null;
  const missing = JWT_VARIABLES.filter((n) => present(env, n) === undefined);
  if (missing.length > 0) {
    problems.push(`${missing.join(', ')}: needed to verify JWT bearer tokens (${given.join(', ')} ${given.length > 1 ? 'are' : 'is'} set)`);
    return null;
  }
  const before = problems.length;
  const rawUrl = present(env, 'MERIDIAN_JWT_JWKS_URL')!;
  let jwksUrl: URL | null = null;
  try {
    jwksUrl = new URL(rawUrl);
  } catch {
    problems.push(`MERIDIAN_JWT_JWKS_URL: must be an https:// URL (got ${JSON.stringify(rawUrl)})`);
  }
  // A key set fetched in the clear can be swapped by anyone on the path; plain http only on this machine.
  if (jwksUrl && !(jwksUrl.protocol === 'https:' || (jwksUrl.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(jwksUrl.hostname)))) {
    problems.push(`MERIDIAN_JWT_JWKS_URL: must be an https:// URL (http:// only for localhost) (got ${JSON.stringify(rawUrl)})`);
  }
  const algorithms = (present(env, 'MERIDIAN_JWT_ALGORITHMS') ?? DEFAULT_JWT_ALGORITHMS.join(',')).split(',').map((a) => a.trim()).filter((a) => a !== '');
  const unknown = algorithms.filter((a) => !(JWT_ALGORITHMS as readonly string[]).includes(a));
  if (unknown.length > 0 || algorithms.length === 0) {
    problems.push(`MERIDIAN_JWT_ALGORITHMS: ${unknown.length > 0 ? `${unknown.map((a) => JSON.stringify(a)).join(', ')} not accepted` : 'empty'}; use some of ${JWT_ALGORITHMS.join(', ')}`);
  }
  const rawTimeout = present(env, 'MERIDIAN_JWT_JWKS_TIMEOUT_MS') ?? '2000';
  const jwksTimeoutMs = Number(rawTimeout);
  if (!/^\d+$/.test(rawTimeout) || jwksTimeoutMs < 100 || jwksTimeoutMs > 60_000) {
    problems.push(`MERIDIAN_JWT_JWKS_TIMEOUT_MS: must be a whole number of milliseconds from 100 to 60000 (got ${JSON.stringify(rawTimeout)})`);
  }
  if (problems.length > before || !jwksUrl) return null;
  return {
    issuer: present(env, 'MERIDIAN_JWT_ISSUER')!,
    audience: present(env, 'MERIDIAN_JWT_AUDIENCE')!,
    jwksUrl,
    roleClaim: present(env, 'MERIDIAN_JWT_ROLE_CLAIM') ?? 'role',
    algorithms,
    jwksTimeoutMs,
  };
}

function parseOrigins(raw: string | undefined, problems: string[]): string[] {
  if (raw === undefined) return [];
  const out: string[] = [];
  for (const o of raw.split(',').map((x) => x.trim()).filter((x) => x !== '')) {
    let u: URL | null = null;
    try {
      u = new URL(o);
    } catch {
      /* reported below */
    }
    if (!u || !['http:', 'https:'].includes(u.protocol) || u.origin !== o.replace(/\/$/, '')) {
      problems.push(`MERIDIAN_ALLOWED_ORIGINS: ${JSON.stringify(o)} is not an origin such as https://app.example.com (scheme, host and port only)`);
      continue;
    }
    out.push(u.origin);
  }
  return out;
}

export function readAccessSettings(env: Env): AccessSettings {
  const problems: string[] = [];
  const mode = present(env, 'MERIDIAN_AUTH') ?? 'on';
  if (mode !== 'on' && mode !== 'off') problems.push(`MERIDIAN_AUTH: must be on or off (got ${JSON.stringify(mode)})`);
  const introspection = present(env, 'MERIDIAN_INTROSPECTION') ?? null;
  if (introspection !== null && introspection !== 'admin' && introspection !== 'all') {
    problems.push(`MERIDIAN_INTROSPECTION: must be admin or all (got ${JSON.stringify(introspection)})`);
  }
  const apiKeys = parseApiKeys(present(env, 'MERIDIAN_API_KEYS'), problems);
  const jwt = parseJwt(env, problems);
  const allowedOrigins = parseOrigins(present(env, 'MERIDIAN_ALLOWED_ORIGINS'), problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return { mode: mode as 'on' | 'off', apiKeys, jwt, allowedOrigins, introspection: introspection as 'admin' | 'all' | null };
}

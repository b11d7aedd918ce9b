// Who is asking: every GraphQL request (HTTP and WebSocket) and any other route that needs it
// (e.g. /metrics) turns its `Authorization: Bearer …` into a Principal here, or is refused with
// UNAUTHENTICATED before anything runs. Bearer values are API keys (key store, MERIDIAN_API_KEYS,
// the embedded default's local key) or JWTs from the configured identity provider.
import type { IncomingHttpHeaders } from 'node:http';
import { GraphQLError } from 'graphql';
import type { AccessSettings, BootstrapKey } from '../config/access.ts';
import { ErrorCode } from '../server/errors.ts';
import type { Principal, Role } from './principal.ts';
import { hashApiKey } from './api-key.ts';
import type { KeyStore } from './key-store.ts';
import { InvalidTokenError, KeySetUnavailableError, createJwtVerifier, type JwtVerifier } from './jwt.ts';

/** Every request runs as this with MERIDIAN_AUTH=off (logged loudly at start). */
export const AUTH_OFF: Principal = { kind: 'anonymous', id: 'auth-off', name: 'anonymous', role: 'admin' };
/** The embedded default's admin key (local-key.ts). */
export const LOCAL_ADMIN: Principal = { kind: 'local', id: 'local-admin', name: 'local-admin', role: 'admin' };

const REALM = 'Bearer realm="meridian"';

/**
 * Refused: HTTP 401 with a `WWW-Authenticate` challenge (RFC 6750), or 503 when the identity
 * provider's key set could not be fetched (not the caller's fault: try again).
 */
export class AuthenticationError extends GraphQLError {
  readonly httpStatus: 401 | 503;
  readonly challenge: string;
  constructor(message: string, options: { httpStatus?: 401 | 503; error?: 'invalid_request' | 'invalid_token' } = {}) {
    super(message, { extensions: { code: ErrorCode.UNAUTHENTICATED } });
    this.name = 'AuthenticationError';
    this.httpStatus = options.httpStatus ?? 401;
    // error_description is the message, quoted; our messages have no '"' or '\'.
    this.challenge = options.error ? `${REALM}, error="${options.error}", error_description="${message.replace(/["\\]/g, "'")}"` : REALM;
  }
}

/** Authenticated, but the route is not for this role: HTTP 403. */
export class AccessDeniedError extends GraphQLError {
  readonly httpStatus = 403;
  constructor(message: string) {
    super(message, { extensions: { code: ErrorCode.FORBIDDEN } });
    this.name = 'AccessDeniedError';
  }
}

/**
 * For routes besides GraphQL (e.g. /metrics for admin and service): the request's principal when
 * its role is one of `roles`; otherwise AuthenticationError (401, with its challenge) or
 * AccessDeniedError (403).
 */
export async function authenticateFor(authenticator: Authenticator, headers: IncomingHttpHeaders, roles: readonly Role[]): Promise<Principal> {
  const principal = await authenticator.authenticate(headers);
  if (principal.role === null || !roles.includes(principal.role)) throw new AccessDeniedError(`This route is for ${roles.join(' and ')} keys and tokens`);
  return principal;
}

export interface Authenticator {
  readonly mode: 'on' | 'off';
  /**
   * From HTTP request headers (`Authorization: Bearer …`). `connection` (the request's socket):
   * an API key it presented before is not hashed and looked up again while that lookup holds
   * (the key cache's lifetime, so a revocation takes effect as soon as without it).
   */
  authenticate(headers: IncomingHttpHeaders, connection?: object): Promise<Principal>;
  /** From a graphql-ws `connection_init` payload: `{ "authorization": "Bearer …" }`. */
  authenticateConnection(params: Readonly<Record<string, unknown>> | undefined): Promise<Principal>;
}

export interface AuthenticatorOptions {
  access: Pick<AccessSettings, 'mode' | 'jwt'> & { apiKeys: readonly BootstrapKey[] };
  /** The key store; null for tests without Postgres. */
  keys: KeyStore | null;
  /** The embedded default's admin key, when it runs. */
  localKey?: string | null;
  /** How long a key's lookup is reused (revocation takes effect within it). Default 10 s. */
  keyCacheMs?: number;
  jwt?: JwtVerifier;
  now?: () => number;
  /** Told when the key set cannot be fetched (the reason goes to the log, not to the client). */
  onKeySetError?: (reason: string) => void;
}

/** A JWS in compact form: three base64url parts. API keys never contain '.'. */
const looksLikeJwt = (token: string): boolean => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/.test(token);

const KEY_CACHE_MAX = 10_000;

export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const { access, keys } = options;
  const now = options.now ?? Date.now;
  const ttl = options.keyCacheMs ?? 10_000;
  const bootstrap = new Map<string, Principal>();
  for (const k of access.apiKeys) {
    // The hash's first 12 hex digits name it in the audit: stable across restarts, not a secret.
    const label = `env-key-${k.hash.slice(0, 12)}`;
    bootstrap.set(k.hash, { kind: 'api-key', id: label, name: label, role: k.role });
  }
  if (options.localKey) bootstrap.set(hashApiKey(options.localKey), LOCAL_ADMIN);
  const verifier = options.jwt ?? (access.jwt ? createJwtVerifier(access.jwt) : null);
  const cache = new Map<string, { principal: Principal; until: number }>();

  /** The key's principal, and until when that answer may be reused. */
  const byKey = async (key: string): Promise<{ principal: Principal; until: number }> => {
    const hash = hashApiKey(key);
    const fixed = bootstrap.get(hash);
    if (fixed) return { principal: fixed, until: now() + ttl };
    const cached = cache.get(hash);
    if (cached && cached.until > now()) return cached;
    const record = keys ? await keys.findActiveByHash(hash) : null;
    if (!record) {
      cache.delete(hash);
      throw new AuthenticationError('API key not recognised (unknown or revoked)', { error: 'invalid_token' });
    }
    const principal: Principal = { kind: 'api-key', id: record.id, name: record.name, role: record.role };
    if (cache.size >= KEY_CACHE_MAX) cache.clear();
    const entry = { principal, until: now() + ttl };
    cache.set(hash, entry);
    return entry;
  };

  const byToken = async (token: string): Promise<Principal> => {
    if (!verifier) throw new AuthenticationError('JWT bearer tokens are not accepted by this gateway (no MERIDIAN_JWT_* settings); send an API key', { error: 'invalid_token' });
    try {
      return await verifier.verify(token);
    } catch (e) {
      if (e instanceof InvalidTokenError) throw new AuthenticationError(e.message, { error: 'invalid_token' });
      if (e instanceof KeySetUnavailableError) {
        options.onKeySetError?.(e.message);
        throw new AuthenticationError(`The token could not be verified now: the identity provider's key set is unavailable (${e.message}); try again`, { httpStatus: 503 });
      }
      throw e;
    }
  };

  /** The principal, and until when a connection may reuse it for the same header (null: not reused). */
  const resolve = async (value: string | undefined): Promise<{ principal: Principal; until: number | null }> => {
    if (access.mode === 'off') return { principal: AUTH_OFF, until: null };
    if (value === undefined || value.trim() === '') throw new AuthenticationError('Authentication required: send Authorization: Bearer <API key or token>');
    const m = /^Bearer[ ]+(\S+)\s*$/i.exec(value.trim());
    if (!m) throw new AuthenticationError('Authorization must be Bearer <API key or token>', { error: 'invalid_request' });
    const token = m[1]!;
    // A token is verified every time (its expiry is its own).
    return looksLikeJwt(token) ? { principal: await byToken(token), until: null } : byKey(token);
  };
  const fromAuthorization = async (value: string | undefined): Promise<Principal> => (await resolve(value)).principal;

  // Per connection (keep-alive sends the same header with every request): the last API key's
  // answer, held no longer than the key cache would hold it and only as long as the socket lives.
  const byConnection = new WeakMap<object, { value: string; principal: Principal; until: number }>();

  return {
    mode: access.mode,
    authenticate: async (headers, connection) => {
      // Node joins repeated headers except a few; Authorization is one it keeps as a single string.
      const h: string | undefined = headers.authorization;
      if (connection === undefined || h === undefined) return fromAuthorization(h);
      const last = byConnection.get(connection);
      if (last && last.value === h && last.until > now()) return last.principal;
      const { principal, until } = await resolve(h);
      if (until !== null) byConnection.set(connection, { value: h, principal, until });
      return principal;
    },
    authenticateConnection: (params) => {
      const v = params?.['authorization'] ?? params?.['Authorization'];
      return fromAuthorization(typeof v === 'string' ? v : undefined);
    },
  };
}

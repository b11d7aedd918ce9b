// JWT bearer tokens from the organisation's identity provider, verified with jose against the
// provider's key set (JWKS): signature, algorithm allowlist, issuer, audience, expiry. The role is
// read from one configurable claim. https://github.com/panva/jose/blob/main/docs/jwks/remote/functions/createRemoteJWKSet.md
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import type { JwtSettings } from '../config/access.ts';
import { ROLES, type Principal, type Role } from './principal.ts';

/** Tokens issued a little in the future or expired a moment ago are still accepted (clock skew). */
const CLOCK_TOLERANCE_SECONDS = 30;

/** Why a token was refused, in words safe to send back (RFC 6750 error_description). */
export class InvalidTokenError extends Error {
  override readonly name = 'InvalidTokenError';
}

/** The key set could not be fetched (down, slow, not a key set): the request cannot be decided now. */
export class KeySetUnavailableError extends Error {
  override readonly name = 'KeySetUnavailableError';
}

export interface JwtVerifier {
  verify(token: string): Promise<Principal>;
}

/** The widest role a claim names: a string, or an array of strings. */
export function roleFromClaim(value: unknown): Role | null {
  const named = typeof value === 'string' ? [value] : Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  return ROLES.find((r) => named.includes(r)) ?? null;
}

function explain(e: unknown, settings: JwtSettings): Error {
  if (e instanceof errors.JWTExpired) return new InvalidTokenError('token expired');
  if (e instanceof errors.JWTClaimValidationFailed) {
    if (e.claim === 'aud') return new InvalidTokenError("token audience is not this gateway's");
    if (e.claim === 'iss') return new InvalidTokenError('token issuer is not the one this gateway trusts');
    if (e.claim === 'nbf') return new InvalidTokenError('token not valid yet');
    return new InvalidTokenError(`token claim ${JSON.stringify(e.claim)} is not valid`);
  }
  if (e instanceof errors.JOSEAlgNotAllowed || e instanceof errors.JOSENotSupported) return new InvalidTokenError(`token algorithm not accepted (accepted: ${settings.algorithms.join(', ')})`);
  if (e instanceof errors.JWKSNoMatchingKey || e instanceof errors.JWKSMultipleMatchingKeys || e instanceof errors.JWSSignatureVerificationFailed) {
    return new InvalidTokenError("token signature does not verify with the issuer's keys");
  }
  if (e instanceof errors.JWSInvalid || e instanceof errors.JWTInvalid) return new InvalidTokenError('token is not a valid signed JWT');
  if (e instanceof errors.JWKSTimeout) return new KeySetUnavailableError(`the key set did not answer within ${settings.jwksTimeoutMs} ms`);
  if (e instanceof errors.JWKSInvalid) return new KeySetUnavailableError('the key set is not a valid JWKS');
  // Anything else is the fetch of the key set: refused connection, DNS, not 200, not JSON.
  return new KeySetUnavailableError(`the key set could not be fetched (${e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e)})`);
}

export function createJwtVerifier(settings: JwtSettings): JwtVerifier {
  // Cached for 10 minutes; a token signed by an unknown key id refetches it (at most every 30 s).
  const jwks = createRemoteJWKSet(settings.jwksUrl, { timeoutDuration: settings.jwksTimeoutMs, cooldownDuration: 30_000, cacheMaxAge: 600_000 });
  return {
    async verify(token) {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, jwks, {
          issuer: settings.issuer,
          audience: settings.audience,
          algorithms: settings.algorithms,
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
          requiredClaims: ['exp'],
        }));
      } catch (e) {
        throw explain(e, settings);
      }
      if (typeof payload.sub !== 'string' || payload.sub === '') throw new InvalidTokenError('token has no sub claim');
      // The subject is the actor the audit records and logs show: no line breaks or other control characters in it.
      // eslint-disable-next-line no-control-regex
      if (/[\u0000-\u001f\u007f-\u009f]/.test(payload.sub) || payload.sub.length > 256) throw new InvalidTokenError('token sub claim must be at most 256 characters without control characters');
      const role = roleFromClaim(payload[settings.roleClaim]);
      if (role === null) throw new InvalidTokenError(`token claim ${JSON.stringify(settings.roleClaim)} names no Meridian role (${ROLES.join(', ')})`);
      return { kind: 'jwt', id: `${payload.iss ?? settings.issuer}#${payload.sub}`, name: payload.sub, role };
    },
  };
}

// API keys as secrets: how one is made, and the only form in which Meridian keeps it (a hash).
// Keys are 32 random bytes, so a single SHA-256 is enough: there is no dictionary to try, and a
// slow password hash would cost every request its time. The key itself is shown once, at
// creation, and never stored or logged.
import { createHash, randomBytes } from 'node:crypto';

/** Prefix of keys Meridian generates: recognisable in a secret scanner, never in a JWT. */
export const API_KEY_PREFIX = 'mrd_';

/** Characters a key may have (generated or bootstrapped): base64url and a few more, no '.', ',' or ':'. */
export const API_KEY_PATTERN = /^[A-Za-z0-9_~+/=-]{16,512}$/;

export function generateApiKey(): string {
  return API_KEY_PREFIX + randomBytes(32).toString('base64url');
}

/** Hex SHA-256 of the key: what the key store and the bootstrap list keep. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

// API keys in Meridian's Postgres (migration 0011_api_keys): created and revoked by
// `meridian keys`, looked up by the gateway by the key's hash. The key itself is never stored.
import { randomBytes } from 'node:crypto';
import type { Store } from '../store/index.ts';
import { ROLES, type Role } from './principal.ts';
import { generateApiKey, hashApiKey } from './api-key.ts';

/** A key as `keys list` shows it: no secret, not even a hash. */
export interface ApiKeyRecord {
  id: string;
  name: string;
  role: Role;
  createdAt: Date;
  revokedAt: Date | null;
}

export const KEY_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/** A name or role refused, a name already in use, a key not found: the CLI says it and exits non-zero. */
export class KeyStoreError extends Error {
  override readonly name = 'KeyStoreError';
}

export interface KeyStore {
  /** Creates a key; the returned `key` is the only time it exists outside its holder. */
  create(input: { name: string; role: string }): Promise<{ key: string; record: ApiKeyRecord }>;
  list(options?: { includeRevoked?: boolean }): Promise<ApiKeyRecord[]>;
  /** Revokes the active key with this id or name; returns it, or throws KeyStoreError. */
  revoke(nameOrId: string): Promise<ApiKeyRecord>;
  /** The active key with this hash, or null. */
  findActiveByHash(hash: string): Promise<ApiKeyRecord | null>;
  countActive(): Promise<number>;
}

interface Row {
  id: string;
  name: string;
  role: Role;
  created_at: Date;
  revoked_at: Date | null;
}

const toRecord = (r: Row): ApiKeyRecord => ({ id: r.id, name: r.name, role: r.role, createdAt: r.created_at, revokedAt: r.revoked_at });

export function createKeyStore(store: Store): KeyStore {
  const t = store.table('api_keys');
  const cols = 'id, name, role, created_at, revoked_at';
  return {
    async create({ name, role }) {
      if (!KEY_NAME_PATTERN.test(name)) throw new KeyStoreError(`--name must be 1 to 64 letters, digits and . _ @ - (starting with a letter or digit), got ${JSON.stringify(name)}`);
      if (!(ROLES as readonly string[]).includes(role)) throw new KeyStoreError(`--role must be one of ${ROLES.join(', ')}, got ${JSON.stringify(role)}`);
      const key = generateApiKey();
      const id = `key_${randomBytes(8).toString('hex')}`;
      try {
        const r = await store.query<Row>(`INSERT INTO ${t} (id, name, role, key_hash) VALUES ($1, $2, $3, $4) RETURNING ${cols}`, [id, name, role, hashApiKey(key)]);
        return { key, record: toRecord(r.rows[0]!) };
      } catch (e) {
        // 23505: the partial unique index on active names.
        if (typeof e === 'object' && e !== null && 'code' in e && e.code === '23505') throw new KeyStoreError(`a key named ${JSON.stringify(name)} is in use; revoke it first or choose another name`);
        throw e;
      }
    },
    async list(options = {}) {
      const r = await store.query<Row>(`SELECT ${cols} FROM ${t} ${options.includeRevoked ? '' : 'WHERE revoked_at IS NULL'} ORDER BY created_at, id`);
      return r.rows.map(toRecord);
    },
    async revoke(nameOrId) {
      const r = await store.query<Row>(
        `UPDATE ${t} SET revoked_at = now() WHERE revoked_at IS NULL AND (id = $1 OR name = $1) RETURNING ${cols}`,
        [nameOrId],
      );
      if (r.rows.length === 0) throw new KeyStoreError(`no key in use has the name or id ${JSON.stringify(nameOrId)} (meridian keys list shows them)`);
      return toRecord(r.rows[0]!);
    },
    async findActiveByHash(hash) {
      const r = await store.query<Row>(`SELECT ${cols} FROM ${t} WHERE key_hash = $1 AND revoked_at IS NULL`, [hash]);
      return r.rows[0] ? toRecord(r.rows[0]) : null;
    },
    async countActive() {
      const r = await store.query<{ n: string }>(`SELECT count(*) AS n FROM ${t} WHERE revoked_at IS NULL`);
      return Number(r.rows[0]?.n ?? 0);
    },
  };
}

// Echo suppression (docs/sync.md; shared/reference practice): every value Meridian writes is
// remembered by (system, record, field, value hash) for a window. A notification or read that
// carries exactly that value for that record is our own write coming back; anything else in the
// window — another value, another field, another record — is a real change. Kept in Postgres so
// every worker and gateway replica sees the same memory.
import type pg from 'pg';
import type { Store } from '../store/index.ts';
import type { SystemId } from '../sources/types.ts';
import { sha256, stableJson } from './outbox-store.ts';

export const DEFAULT_ECHO_WINDOW_MS = 10 * 60_000;

/** The hash a canonical value is remembered by. */
export const valueHash = (value: unknown): string => sha256(stableJson(value)).slice(0, 32);

export interface EchoLog {
  /** Remembers what one write put into a record (canonical field → golden value), in the caller's transaction when given. */
  remember(write: { system: SystemId; recordId: string; outboxId: string; values: Record<string, unknown> }, client?: pg.PoolClient): Promise<void>;
  /**
   * Whether `fields` (canonical field → canonical value, as a notification or read of the record
   * carries them) are exactly values Meridian wrote to this record within the window: true only
   * when there is at least one field and every one of them matches a remembered write.
   */
  isEcho(system: SystemId, recordId: string, fields: Record<string, unknown>): Promise<boolean>;
  /** Drops memories past their window; returns how many. */
  prune(): Promise<number>;
}

export function createEchoLog(store: Store, options: { windowMs?: number; now?: () => Date } = {}): EchoLog {
  const windowMs = options.windowMs ?? DEFAULT_ECHO_WINDOW_MS;
  const now = options.now ?? (() => new Date());
  const t = store.table('sync_echoes');
  return {
    remember: async (w, client) => {
      const entries = Object.entries(w.values);
      if (entries.length === 0) return;
      const sql = (text: string, values: unknown[]) => (client ? client.query(text, values) : store.query(text, values));
      await sql(
        `INSERT INTO ${t} (system, record_id, field, value_hash, outbox_id, expires_at)
         SELECT $1, $2, f, h, $5::bigint, $6::timestamptz FROM unnest($3::text[], $4::text[]) AS x (f, h)
         ON CONFLICT (system, record_id, field, value_hash) DO UPDATE SET outbox_id = EXCLUDED.outbox_id, expires_at = EXCLUDED.expires_at`,
        [w.system, w.recordId, entries.map(([f]) => f), entries.map(([, v]) => valueHash(v)), w.outboxId, new Date(now().getTime() + windowMs).toISOString()],
      );
    },
    isEcho: async (system, recordId, fields) => {
      const entries = Object.entries(fields);
      if (entries.length === 0) return false;
      const r = await store.query<{ n: string }>(
        `SELECT count(DISTINCT e.field) AS n FROM ${t} e JOIN unnest($3::text[], $4::text[]) AS x (f, h) ON e.field = x.f AND e.value_hash = x.h
          WHERE e.system = $1 AND e.record_id = $2 AND e.expires_at > $5::timestamptz`,
        [system, recordId, entries.map(([f]) => f), entries.map(([, v]) => valueHash(v)), now().toISOString()],
      );
      return Number(r.rows[0]?.n ?? 0) === entries.length;
    },
    prune: async () => (await store.query(`DELETE FROM ${t} WHERE expires_at <= $1::timestamptz`, [now().toISOString()])).rowCount ?? 0,
  };
}

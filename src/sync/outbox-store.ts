// The outbox's SQL (migration 0013_sync_outbox): inserting decided writes, claiming due rows for
// one worker with a lease, and recording what became of each. docs/sync.md describes the states.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { Store } from '../store/index.ts';
import type { SystemId } from '../sources/types.ts';
import type { PlannedWrite } from './plan.ts';

export type OutboxState = 'QUEUED' | 'WRITING' | 'DONE' | 'FAILED' | 'SUPERSEDED';

/** A planned write as the outbox keeps it. */
export interface OutboxEntry extends PlannedWrite {
  id: string;
  idempotencyKey: string;
  origin: string;
  state: OutboxState;
  attempts: number;
  claimedBy: string | null;
}

interface Row {
  id: string;
  golden_id: string;
  system: string;
  record_type: string;
  record_id: string;
  fields: string[];
  golden_values: Record<string, unknown>;
  changes: Record<string, unknown>;
  expected: Record<string, unknown>;
  idempotency_key: string;
  origin: string;
  state: string;
  attempts: number;
  claimed_by: string | null;
}

const COLUMN_NAMES = ['golden_id', 'system', 'record_type', 'record_id', 'fields', 'golden_values', 'changes', 'expected', 'idempotency_key', 'origin', 'state', 'attempts', 'claimed_by'];
/** The select list of an OutboxEntry row, its columns qualified by `alias` when given. */
export const outboxColumns = (alias = ''): string => {
  const q = alias === '' ? '' : `${alias}.`;
  return [`${q}id::text AS id`, ...COLUMN_NAMES.map((c) => `${q}${c}`)].join(', ');
};
export const OUTBOX_COLUMNS = outboxColumns();

export const toEntry = (r: Row): OutboxEntry => ({
  id: r.id,
  goldenId: r.golden_id,
  system: r.system as SystemId,
  recordType: r.record_type,
  recordId: r.record_id,
  fields: r.fields,
  goldenValues: r.golden_values,
  changes: r.changes,
  expected: r.expected,
  idempotencyKey: r.idempotency_key,
  origin: r.origin,
  state: r.state as OutboxState,
  attempts: r.attempts,
  claimedBy: r.claimed_by,
});

/** The same JSON text for the same values, whatever their key order. */
export function stableJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v ?? null);
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`).join(',')}}`;
}

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * The idempotency key of a row, derived from what it writes: the record, the values to send and
 * those it expects to find. Stripe's limit is 255 characters; this is 67.
 */
export function idempotencyKeyOf(w: Pick<PlannedWrite, 'system' | 'recordId' | 'changes' | 'expected'>, origin: string, salt: string): string {
  return `mw_${sha256(stableJson([salt, origin, w.system, w.recordId, w.changes, w.expected])).slice(0, 64)}`;
}

export interface InsertedEntry {
  entry: OutboxEntry;
  /** QUEUED rows of the same record that this one replaced. */
  superseded: OutboxEntry[];
}

/**
 * Inserts planned writes inside the caller's transaction. A record with a pending row that
 * already sends the same values over the same values read gets nothing new (a second decide of the same change); a QUEUED
 * row of the record with other values is SUPERSEDED by the new one, which carries the newer
 * golden values. `salt` makes keys of different intents differ.
 */
export async function insertWrites(c: pg.PoolClient, store: Store, writes: readonly PlannedWrite[], origin: string, salt: string): Promise<InsertedEntry[]> {
  const t = store.table('sync_outbox');
  const out: InsertedEntry[] = [];
  for (const w of writes) {
    const pending = await c.query<Row>(
      `SELECT ${outboxColumns('o')} FROM ${t} o WHERE o.system = $1 AND o.record_id = $2 AND o.state IN ('QUEUED', 'WRITING') ORDER BY o.id FOR UPDATE`,
      [w.system, w.recordId],
    );
    // The same values expected over the same values: this decision is already on its way.
    if (pending.rows.some((r) => stableJson([r.changes, r.expected]) === stableJson([w.changes, w.expected]))) continue;
    const superseded: OutboxEntry[] = [];
    for (const r of pending.rows) {
      if (r.state !== 'QUEUED') continue;
      await c.query(`UPDATE ${t} SET state = 'SUPERSEDED', outcome = 'replaced by a newer decision', updated_at = now() WHERE id = $1`, [r.id]);
      superseded.push(toEntry(r));
    }
    const key = idempotencyKeyOf(w, origin, salt);
    const ins = await c.query<Row>(
      `INSERT INTO ${t} (golden_id, system, record_type, record_id, fields, golden_values, changes, expected, idempotency_key, origin)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8::jsonb, $9, $10)
       ON CONFLICT (idempotency_key) DO NOTHING
       RETURNING ${OUTBOX_COLUMNS}`,
      [w.goldenId, w.system, w.recordType, w.recordId, w.fields, JSON.stringify(w.goldenValues), JSON.stringify(w.changes), JSON.stringify(w.expected), key, origin],
    );
    const row = ins.rows[0];
    if (row !== undefined) out.push({ entry: toEntry(row), superseded });
  }
  return out;
}

export interface AuditEvent {
  kind: 'write_queued' | 'write_superseded' | 'write_done' | 'write_failed' | 'dead_letter' | 'dead_letter_replayed' | 'redecided';
  goldenId: string;
  system?: string | null;
  recordId?: string | null;
  outboxId?: string | null;
  fields?: readonly string[];
  detail?: Record<string, unknown>;
  actor: string;
}

export async function audit(q: Pick<pg.PoolClient, 'query'>, store: Store, events: readonly AuditEvent[]): Promise<void> {
  if (events.length === 0) return;
  await q.query(
    `INSERT INTO ${store.table('sync_audit')} (kind, golden_id, system, record_id, outbox_id, fields, detail, actor)
     SELECT x.kind, x.golden_id, x.system, x.record_id, x.outbox_id::bigint, ARRAY(SELECT jsonb_array_elements_text(x.fields)), x.detail, x.actor
       FROM jsonb_to_recordset($1::jsonb) AS x (kind text, golden_id text, system text, record_id text, outbox_id text, fields jsonb, detail jsonb, actor text)`,
    [
      JSON.stringify(
        events.map((e) => ({
          kind: e.kind, golden_id: e.goldenId, system: e.system ?? null, record_id: e.recordId ?? null, outbox_id: e.outboxId ?? null,
          fields: e.fields ?? [], detail: e.detail ?? {}, actor: e.actor,
        })),
      ),
    ],
  );
}

// Dead letters: writes that failed for good, one per record with its reason (sync_dead_letters).
// Replaying one queues its write again (a fresh budget, due now) and closes its SYNC_FAILURE
// review item; the outbox loop re-reads the target first, so a write whose values are there by
// now is done without a call, and one whose target changed since is decided again.
import type { Store } from '../store/index.ts';
import { closeSyncFailures } from '../review/items.ts';
import { audit } from './outbox-store.ts';

export interface DeadLetter {
  system: string;
  recordId: string;
  goldenId: string;
  outboxId: string;
  fields: string[];
  reason: string;
  attempts: number;
  reviewItemId: string | null;
  failedAt: string;
}

interface Row { system: string; record_id: string; golden_id: string; outbox_id: string; fields: string[]; reason: string; attempts: number; review_item_id: string | null; failed_at: Date }

const COLUMNS = 'system, record_id, golden_id, outbox_id::text AS outbox_id, fields, reason, attempts, review_item_id::text AS review_item_id, failed_at';

const toLetter = (x: Row): DeadLetter => ({
  system: x.system, recordId: x.record_id, goldenId: x.golden_id, outboxId: x.outbox_id, fields: x.fields, reason: x.reason,
  attempts: x.attempts, reviewItemId: x.review_item_id, failedAt: x.failed_at.toISOString(),
});

export async function listDeadLetters(store: Store): Promise<DeadLetter[]> {
  const r = await store.query<Row>(`SELECT ${COLUMNS} FROM ${store.table('sync_dead_letters')} ORDER BY failed_at, system, record_id`);
  return r.rows.map(toLetter);
}

/** Queues every dead letter's write again, closes their review items, and returns them. */
export async function replayDeadLetters(store: Store, options: { actor?: string } = {}): Promise<DeadLetter[]> {
  const actor = options.actor ?? 'replay';
  return store.transaction(async (c) => {
    const r = await c.query<Row>(`DELETE FROM ${store.table('sync_dead_letters')} RETURNING ${COLUMNS}`);
    const letters = r.rows.map(toLetter);
    if (letters.length === 0) return [];
    await c.query(
      `UPDATE ${store.table('sync_outbox')} SET state = 'QUEUED', attempts = 0, next_attempt_at = now(), lease_until = NULL, claimed_by = NULL, outcome = NULL, updated_at = now()
        WHERE id = ANY($1::bigint[]) AND state = 'FAILED'`,
      [letters.map((l) => l.outboxId)],
    );
    await closeSyncFailures(c, store, letters.flatMap((l) => (l.reviewItemId === null ? [] : [l.reviewItemId])), actor, 'replay');
    await audit(c, store, letters.map((l) => ({ kind: 'dead_letter_replayed' as const, goldenId: l.goldenId, system: l.system, recordId: l.recordId, outboxId: l.outboxId, fields: l.fields, detail: { reason: l.reason }, actor })));
    return letters;
  });
}

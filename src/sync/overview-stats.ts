// syncOverview's pipeline figures (src/sync/api.ts SyncStats), read from the tables capture and
// write-backs keep: the change queue and feeds (readCaptureStats), the outbox and dead letters.
// Reads only: syncOverview is a query.
import type { Store } from '../store/index.ts';
import type { SystemId } from '../sources/types.ts';
import { latestError, type DeadLetter, type PipelineStats, type SyncStats } from './api.ts';
import type { SyncQueue } from './queue.ts';
import { readCaptureStats } from './stats.ts';

export function createSyncStats(store: Store, queue: Pick<SyncQueue, 'schema'>, systems: readonly SystemId[]): SyncStats {
  return {
    perSystem: async () => {
      const [capture, outbox, letters] = await Promise.all([
        readCaptureStats(store, queue, systems),
        store.query<{ system: string; depth: number; error: string | null; error_at: Date | null }>(
          `SELECT system,
                  count(*) FILTER (WHERE state IN ('QUEUED', 'WRITING'))::int AS depth,
                  (array_agg(last_error ORDER BY updated_at DESC) FILTER (WHERE last_error IS NOT NULL))[1] AS error,
                  max(updated_at) FILTER (WHERE last_error IS NOT NULL) AS error_at
             FROM ${store.table('sync_outbox')} GROUP BY system`,
        ),
        store.query<{ system: string; n: number }>(`SELECT system, count(*)::int AS n FROM ${store.table('sync_dead_letters')} GROUP BY system`),
      ]);
      const out: Partial<Record<SystemId, PipelineStats>> = {};
      for (const c of capture) {
        const o = outbox.rows.find((r) => r.system === c.system);
        out[c.system] = {
          queueDepth: c.queued,
          oldestPendingAt: c.oldestQueuedAt,
          outboxDepth: o?.depth ?? 0,
          // The most recent of the outbox's last failure and a feed's that no read since has cleared.
          lastError: latestError(o?.error && o.error_at ? { message: o.error, at: o.error_at } : null, c.pollError),
          deadLetterCount: (letters.rows.find((r) => r.system === c.system)?.n ?? 0) + c.failed,
        };
      }
      return out;
    },
    deadLetters: async (system, first): Promise<DeadLetter[]> => {
      const r = await store.query<{ outbox_id: string; golden_id: string; record_id: string; fields: string[]; reason: string; attempts: number; failed_at: Date }>(
        `SELECT outbox_id::text, golden_id, record_id, fields, reason, attempts, failed_at FROM ${store.table('sync_dead_letters')}
          WHERE system = $1 ORDER BY failed_at DESC LIMIT $2`,
        [system, first],
      );
      return r.rows.map((x) => ({ id: x.outbox_id, customerId: x.golden_id, recordId: x.record_id, fields: x.fields, reason: x.reason, attempts: x.attempts, failedAt: x.failed_at }));
    },
  };
}

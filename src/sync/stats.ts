// What capture knows about each system's flow, for syncOverview (issue #10 part 4) and operators:
// sync.change jobs waiting or running and the oldest one's age (the lag), failed jobs kept for
// replay, when each change feed last moved, and records found invalid.
import type { Store } from '../store/index.ts';
import { quoteIdentifier } from '../store/sql.ts';
import type { SystemId } from '../sources/types.ts';
import { SYNC_CHANGE, SYNC_CHANGE_FAILED, type SyncQueue } from './queue.ts';

export interface CaptureStats {
  system: SystemId;
  /** sync.change jobs waiting (created or retry) or running. */
  queued: number;
  /** When the oldest of them was queued: now minus this is the lag. */
  oldestQueuedAt: Date | null;
  /** Jobs that failed after their last retry and wait in sync.change.failed. */
  failed: number;
  /** When one of the system's change feeds last moved its position; null: never polled. */
  lastPolledAt: Date | null;
  /** The latest failure of one of its feeds not followed by a read that worked (sync_cursors.last_error). */
  pollError: { message: string; at: Date } | null;
  invalidRecords: number;
}

export async function readCaptureStats(store: Store, queue: Pick<SyncQueue, 'schema'>, systems: readonly SystemId[]): Promise<CaptureStats[]> {
  const q = quoteIdentifier(queue.schema);
  const jobs = await store.query<{ system: string; queued: number; oldest: Date | null; failed: number }>(
    `SELECT data->>'system' AS system,
            count(*) FILTER (WHERE name = $1 AND state IN ('created', 'retry', 'active'))::int AS queued,
            min(created_on) FILTER (WHERE name = $1 AND state IN ('created', 'retry', 'active')) AS oldest,
            count(*) FILTER (WHERE name = $2 AND state IN ('created', 'retry'))::int AS failed
       FROM ${q}.job WHERE name IN ($1, $2) GROUP BY 1`,
    [SYNC_CHANGE, SYNC_CHANGE_FAILED],
  );
  const polled = await store.query<{ system: string; at: Date; error: string | null; error_at: Date | null }>(
    `SELECT system, max(updated_at) AS at,
            (array_agg(last_error ORDER BY error_at DESC) FILTER (WHERE last_error IS NOT NULL))[1] AS error,
            max(error_at) AS error_at
       FROM ${store.table('sync_cursors')} GROUP BY 1`,
  );
  const invalid = await store.query<{ system: string; n: number }>(`SELECT system, count(*)::int AS n FROM ${store.table('sync_invalid_records')} GROUP BY 1`);
  return systems.map((system) => {
    const j = jobs.rows.find((r) => r.system === system);
    const p = polled.rows.find((r) => r.system === system);
    return {
      system,
      queued: j?.queued ?? 0,
      oldestQueuedAt: j?.oldest ?? null,
      failed: j?.failed ?? 0,
      lastPolledAt: p?.at ?? null,
      pollError: p?.error && p.error_at ? { message: p.error, at: p.error_at } : null,
      invalidRecords: invalid.rows.find((r) => r.system === system)?.n ?? 0,
    };
  });
}

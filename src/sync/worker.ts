// The sync worker: runs sync.change jobs through the change handler (src/sync/change.ts) and any
// number of loops beside it (the change-feed pollers, writeback's outbox). `npx meridian worker`
// runs one on its own; `npm start` (meridian serve) runs one inside the gateway. Any number of
// workers may run on one Postgres: pg-boss hands each job to one of them.
// Stopping is graceful: the loops stop first (nothing new is queued by this process), then no
// new job is taken and the worker waits for the jobs it is running to finish.
import { z } from 'zod';
import type { Logger } from '../server/http.ts';
import { oneLine } from '../observability/redact.ts';
import { changeJobSchema, SYNC_CHANGE, type ChangeJob, type SyncQueue } from './queue.ts';
import type { ChangeHandler } from './change.ts';

/** Something the worker runs beside the job handler (CONTRACT: the sync contract of issue #10). */
export interface WorkerLoop {
  name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface WorkerDeps {
  queue: SyncQueue;
  handler: ChangeHandler;
  logger: Logger;
  loops?: WorkerLoop[];
  /** sync.change jobs run at once by this process. Default 4. */
  concurrency?: number;
}

export interface RunningWorker {
  /** Loops stopped, running jobs finished. Idempotent. */
  stop(): Promise<void>;
}

export async function startWorker(deps: WorkerDeps): Promise<RunningWorker> {
  const { queue, handler, logger } = deps;
  const loops = deps.loops ?? [];
  const workId = await queue.boss.work<unknown>(
    SYNC_CHANGE,
    // With LISTEN/NOTIFY pg-boss would relax polling to 30 s; the floor stays the same either way.
    { localConcurrency: deps.concurrency ?? 4, pollingIntervalSeconds: queue.pollingIntervalSeconds, notifyPollingIntervalSeconds: queue.pollingIntervalSeconds, includeMetadata: true },
    async ([job]) => {
      if (!job) return null;
      const parsed = changeJobSchema.safeParse(job.data);
      if (!parsed.success) {
        // Written by something else than Meridian's own code: running it again would fail again.
        const reason = z.prettifyError(parsed.error).replace(/\s+/g, ' ');
        logger.error('sync change job refused: its data is not a change', { job: job.id, reason });
        return { refused: reason };
      }
      const change: ChangeJob = parsed.data as ChangeJob;
      // A job was there, so more may be: this process's workers fetch again at once rather than
      // after their polling interval (pg-boss waits out the interval after every job otherwise).
      queue.wake();
      try {
        const outcome = await handler.handle(change);
        logger.info('sync change', { system: change.system, type: change.type, id: change.id, reason: change.reason, status: outcome.status, customers: outcome.goldenIds.join(',') });
        return outcome;
      } catch (e) {
        const message = oneLine(e);
        logger.error('sync change failed; it is retried with backoff', { system: change.system, id: change.id, reason: change.reason, attempt: job.retryCount + 1, error: message });
        // pg-boss keeps what a failed job threw in the job's output: the message, never a stack.
        const failure = new Error(message);
        failure.stack = message;
        throw failure;
      }
    },
  );
  queue.addLocalWorker(workId);
  const started: WorkerLoop[] = [];
  try {
    for (const loop of loops) {
      await loop.start();
      started.push(loop);
    }
  } catch (e) {
    for (const loop of started.reverse()) await loop.stop().catch(() => undefined);
    await queue.boss.offWork(SYNC_CHANGE, { id: workId, wait: false });
    throw e;
  }
  let stopping: Promise<void> | null = null;
  return {
    stop: () =>
      (stopping ??= (async () => {
        for (const loop of [...started].reverse()) {
          await loop.stop().catch((e: unknown) => logger.error('worker loop did not stop cleanly', { loop: loop.name, error: oneLine(e) }));
        }
        // Takes no new job and waits for the running ones.
        await queue.boss.offWork(SYNC_CHANGE, { id: workId, wait: true });
      })()),
  };
}

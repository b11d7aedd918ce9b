// The sync worker's shutdown: stop() stops the loops first (nothing new is queued by this
// process), takes no new job, and resolves only once the job it is running has finished — that
// job completes instead of being cut and retried. Runs on the real Postgres when DATABASE_URL is
// set, the embedded PGlite otherwise; the handler is injected (it is the worker's seam).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestQueue } from '../support/postgres.ts';
import type { SyncQueue } from '../../src/sync/queue.ts';
import { startWorker } from '../../src/sync/worker.ts';
import { createLogger } from '../../src/observability/logger.ts';

describe('sync worker shutdown', () => {
  let queue: SyncQueue;
  let close: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    ({ queue, close } = await startTestQueue('t_worker'));
  });
  afterAll(() => close?.());

  it('finishes the running job before stop() resolves, after stopping its loops', async () => {
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const worker = await startWorker({
      queue,
      logger: createLogger({ quiet: true }),
      handler: {
        handle: async (change) => {
          order.push(`start ${change.id}`);
          started();
          await gate;
          order.push(`end ${change.id}`);
          return { status: 'refreshed', goldenIds: [] };
        },
      },
      loops: [{ name: 'probe', start: () => Promise.resolve(), stop: () => (order.push('loop stopped'), Promise.resolve()) }],
    });
    const id = await queue.enqueue({ system: 'stripe', type: 'account', id: 'cus_slow', reason: 'manual' });
    queue.wake();
    await running;
    let stopped = false;
    const stopping = worker.stop().then(() => {
      stopped = true;
      order.push('stopped');
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(order).toEqual(['start cus_slow', 'loop stopped', 'end cus_slow', 'stopped']);
    const [job] = await queue.boss.findJobs('sync.change', { id: id! });
    expect(job?.state).toBe('completed');
  });
});

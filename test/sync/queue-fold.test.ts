// Two notifications for one record while its job waits: one job, carrying what both said changed
// (a Stripe customer.updated's previous_attributes). The decision dates a field first seen by what
// the notification names (src/sync/observed.ts); an attribute dropped here would leave a person's
// change undated. Real Postgres when DATABASE_URL is set, the embedded PGlite otherwise.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/index.ts';
import { startTestQueue } from '../support/postgres.ts';
import type { ChangeJob, SyncQueue } from '../../src/sync/queue.ts';

describe('sync.change jobs folded by record', () => {
  let queue: SyncQueue;
  let store: Store;
  let close: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    ({ store, queue, close } = await startTestQueue('t_fold'));
  });
  afterAll(() => close?.());

  const change = (id: string, attributes?: string[]): ChangeJob => ({ system: 'stripe', type: 'account', id, reason: 'webhook', ...(attributes ? { attributes } : {}) });
  const waiting = async (id: string): Promise<ChangeJob[]> =>
    (await queue.boss.findJobs<ChangeJob>('sync.change', { queued: true })).filter((j) => j.data.id === id).map((j) => j.data);

  it('adds a second notification\'s attributes to the waiting job (enqueue)', async () => {
    expect(await queue.enqueue(change('cus_one', ['phone']))).not.toBeNull();
    expect(await queue.enqueue(change('cus_one', ['email', 'phone']))).toBeNull();
    expect(await queue.enqueue(change('cus_one'))).toBeNull();
    const jobs = await waiting('cus_one');
    expect(jobs).toHaveLength(1);
    expect([...jobs[0]!.attributes!].sort()).toEqual(['email', 'phone']);
  });

  it('folds within one batch and into a job already waiting, on the caller\'s transaction (enqueueMany)', async () => {
    await queue.enqueue(change('cus_two', ['address']));
    const queued = await store.transaction((c) =>
      queue.enqueueMany([change('cus_two', ['name']), change('cus_three', ['phone']), change('cus_three', ['metadata']), change('cus_two', ['email'])], { client: c }),
    );
    expect(queued).toBe(1); // cus_three; cus_two's job was waiting
    expect([...(await waiting('cus_two'))[0]!.attributes!].sort()).toEqual(['address', 'email', 'name']);
    const three = await waiting('cus_three');
    expect(three).toHaveLength(1);
    expect([...three[0]!.attributes!].sort()).toEqual(['metadata', 'phone']);
  });

  it('leaves nothing behind when the caller\'s transaction rolls back', async () => {
    await queue.enqueue(change('cus_four', ['phone']));
    await expect(
      store.transaction(async (c) => {
        await queue.enqueueMany([change('cus_four', ['email']), change('cus_five', ['phone'])], { client: c });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect((await waiting('cus_four'))[0]!.attributes).toEqual(['phone']);
    expect(await waiting('cus_five')).toEqual([]);
  });
});

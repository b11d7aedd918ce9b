// The delivery log's contract, run against Postgres (Meridian's store) and the in-memory log:
// an event is claimed by one delivery, recorded once processed, given up when processing
// failed, taken over when its claim was abandoned, and forgotten after the retention window.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryDeliveryLog, createPostgresDeliveryLog, type DeliveryLog, type DeliveryLogOptions } from '../../src/sync/deliveries.ts';
import { migratedStore, type TestStore } from '../identity/db.ts';

const DAY = 86_400_000;

function describeDeliveryLogContract(name: string, make: (options: DeliveryLogOptions) => DeliveryLog): void {
  describe(`delivery log (${name})`, () => {
    let at = Date.parse('2026-12-01T00:00:00Z');
    const clock = { now: () => new Date(at) };
    const advance = (ms: number): void => {
      at += ms;
    };
    const states = async (log: DeliveryLog, ids: string[]): Promise<Record<string, string>> => Object.fromEntries(await log.claim('stripe', ids));

    it('claims a new event once: a second delivery meanwhile is busy, after completion it is done', async () => {
      const log = make(clock);
      expect(await states(log, ['evt_a'])).toEqual({ evt_a: 'new' });
      expect(await states(log, ['evt_a'])).toEqual({ evt_a: 'busy' });
      await log.complete('stripe', ['evt_a']);
      expect(await states(log, ['evt_a', 'evt_b'])).toEqual({ evt_a: 'done', evt_b: 'new' });
    });

    it('keeps systems apart: one id in two systems is two events', async () => {
      const log = make(clock);
      await log.claim('zendesk', ['42']);
      await log.complete('zendesk', ['42']);
      expect(Object.fromEntries(await log.claim('salesforce', ['42']))).toEqual({ '42': 'new' });
    });

    it('gives a released claim (processing failed) to the next delivery', async () => {
      const log = make(clock);
      expect(await states(log, ['evt_c'])).toEqual({ evt_c: 'new' });
      await log.release('stripe', ['evt_c']);
      expect(await states(log, ['evt_c'])).toEqual({ evt_c: 'new' });
    });

    it('lets one of two simultaneous claims win', async () => {
      const log = make(clock);
      const [a, b] = await Promise.all([states(log, ['evt_d']), states(log, ['evt_d'])]);
      expect([a.evt_d, b.evt_d].sort()).toEqual(['busy', 'new']);
    });

    it('takes over a claim older than the lease (its process died), never a processed event', async () => {
      const log = make({ ...clock, leaseMs: 60_000 });
      await log.claim('stripe', ['evt_e', 'evt_f']);
      await log.complete('stripe', ['evt_f']);
      advance(60_001);
      expect(await states(log, ['evt_e', 'evt_f'])).toEqual({ evt_e: 'new', evt_f: 'done' });
    });

    it('forgets processed events after the retention window', async () => {
      const log = make({ ...clock, retentionMs: 7 * DAY });
      await log.claim('stripe', ['evt_g']);
      await log.complete('stripe', ['evt_g']);
      advance(6 * DAY);
      expect(await states(log, ['evt_g'])).toEqual({ evt_g: 'done' });
      advance(2 * DAY);
      expect(await states(log, ['evt_g'])).toEqual({ evt_g: 'new' });
    });
  });
}

describeDeliveryLogContract('memory', (options) => createMemoryDeliveryLog(options));

let db: TestStore | null = null;
beforeAll(async () => {
  db = await migratedStore('deliveries');
});
afterAll(async () => {
  await db?.close();
});
// Each log gets its own table rows by system/id prefixes: one store for the file is enough.
let n = 0;
describeDeliveryLogContract('postgres', (options) => {
  const log = createPostgresDeliveryLog(db!.store, options);
  const prefix = `t${++n}_`;
  const p = (ids: readonly string[]): string[] => ids.map((id) => prefix + id);
  return {
    claim: async (system, ids) => new Map([...(await log.claim(system, p(ids)))].map(([k, v]) => [k.slice(prefix.length), v])),
    complete: (system, ids) => log.complete(system, p(ids)),
    release: (system, ids) => log.release(system, p(ids)),
  };
});

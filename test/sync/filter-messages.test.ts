// The iterator a subscription runs on (src/sync/api.ts): a client that goes away ends its
// pub/sub subscription at once, even while waiting for a message that may never come; malformed
// status messages are dropped, not fatal.
import { describe, expect, it } from 'vitest';
import { createMemoryPubSub } from '../../src/pubsub/index.ts';
import { filterMessages, parseStatusMessage } from '../../src/sync/api.ts';

describe('subscription iterators', () => {
  it('return() ends a subscription waiting on a quiet channel at once, and its pub/sub subscription with it', async () => {
    let ended = 0;
    const pubsub = createMemoryPubSub();
    const source = pubsub.asyncIterator<unknown>(['quiet']);
    const original = source.return!.bind(source);
    source.return = async () => {
      ended++;
      return original();
    };
    await source.ready();
    const it = filterMessages(source, (m) => m);
    const waiting = it.next();
    await it.return!();
    await expect(waiting).resolves.toEqual({ done: true, value: undefined });
    expect(ended).toBe(1);
    // Nothing is delivered any more.
    await pubsub.publish('quiet', 'late');
    await expect(it.next()).resolves.toEqual({ done: true, value: undefined });
    await pubsub.close();
  });

  it('passes what the filter keeps, in order, and skips the rest', async () => {
    const pubsub = createMemoryPubSub();
    const source = pubsub.asyncIterator<number>(['n']);
    await source.ready();
    const it = filterMessages(source, (m) => (m % 2 === 0 ? m * 10 : null));
    for (const n of [1, 2, 3, 4]) await pubsub.publish('n', n);
    expect([(await it.next()).value, (await it.next()).value]).toEqual([20, 40]);
    await it.return!();
    await pubsub.close();
  });

  it('a sync.status message missing a part, or with an unknown state, is dropped', () => {
    const good = { customerId: 'gc_1', system: 'stripe', recordId: 'cus_1', outboxId: 'ob_1', state: 'DONE', fields: ['phone'], error: null, at: '2026-12-06T00:00:00.000Z' };
    expect(parseStatusMessage(good)).toEqual(good);
    expect(parseStatusMessage({ ...good, error: undefined } as never)).toEqual(good);
    for (const bad of [{ ...good, state: 'LOST' }, { ...good, fields: 'phone' }, { ...good, customerId: '' }, { ...good, error: 3 }, null, 'DONE', [good]]) {
      expect(parseStatusMessage(bad as never), JSON.stringify(bad)).toBeNull();
    }
  });
});

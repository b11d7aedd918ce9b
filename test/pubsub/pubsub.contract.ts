// The one contract every PubSub keeps (STYLE habit 2), run against memory and Redis.
import { afterEach, describe, expect, it } from 'vitest';
import type { JsonValue, PubSub, PubSubErrorHandler } from '../../src/pubsub/types.ts';

export interface PubSubHarness {
  /** A fresh PubSub, isolated from other suites (own channel prefix on Redis). */
  create(options?: { onError?: PubSubErrorHandler; iteratorBufferSize?: number }): Promise<PubSub>;
}

/** Resolves with the first `count` messages a subscription receives, or rejects after `ms`. */
function collect(count: number, ms = 2_000) {
  const received: { message: JsonValue; channel: string }[] = [];
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const timer = setTimeout(done, ms);
  return {
    received,
    handler: (message: JsonValue, channel: string) => {
      received.push({ message, channel });
      if (received.length >= count) {
        clearTimeout(timer);
        done();
      }
    },
    finished,
  };
}

/** Long enough for a message that should NOT arrive to have arrived (Redis delivers in well under this). */
const quietPeriod = () => new Promise((resolve) => setTimeout(resolve, 100));

export function describePubSubContract(label: string, harness: () => PubSubHarness, options: { skip?: boolean } = {}): void {
  describe.skipIf(options.skip === true)(`PubSub contract: ${label}`, () => {
    const opened: PubSub[] = [];
    const create = async (extra?: Parameters<PubSubHarness['create']>[0]) => {
      const pubsub = await harness().create(extra);
      opened.push(pubsub);
      return pubsub;
    };
    afterEach(async () => {
      for (const pubsub of opened.splice(0)) await pubsub.close();
    });

    it('fans a message out to every subscriber', async () => {
      const pubsub = await create();
      const first = collect(1);
      const second = collect(1);
      await pubsub.subscribe('golden.invalidate', first.handler);
      await pubsub.subscribe('golden.invalidate', second.handler);
      await pubsub.publish('golden.invalidate', { ids: ['c1', 'c2'] });
      await Promise.all([first.finished, second.finished]);
      expect(first.received).toEqual([{ message: { ids: ['c1', 'c2'] }, channel: 'golden.invalidate' }]);
      expect(second.received).toEqual(first.received);
    });

    it('delivers only the channel subscribed to, in publish order', async () => {
      const pubsub = await create();
      const sink = collect(3);
      await pubsub.subscribe('a', sink.handler);
      await pubsub.publish('b', 'not for a');
      for (const n of [1, 2, 3]) await pubsub.publish('a', n);
      await sink.finished;
      expect(sink.received.map((r) => r.message)).toEqual([1, 2, 3]);
    });

    it('round-trips any JSON value; handlers get copies', async () => {
      const pubsub = await create();
      const values: JsonValue[] = [null, true, 0, 'émoji ✓', [1, 'two'], { nested: { list: [{ a: null }] } }];
      const sink = collect(values.length * 2);
      await pubsub.subscribe('json', sink.handler);
      await pubsub.subscribe('json', sink.handler); // same handler twice: two subscriptions
      const original = { nested: { list: [{ a: null }] } };
      for (const v of values) await pubsub.publish('json', v === values.at(-1) ? original : v);
      await sink.finished;
      expect(sink.received.filter((_, i) => i % 2 === 0).map((r) => r.message)).toEqual(values);
      expect(sink.received.at(-1)?.message).not.toBe(original);
    });

    it('unsubscribe stops delivery to that subscription only, and is idempotent', async () => {
      const pubsub = await create();
      const leaving = collect(1);
      const staying = collect(2);
      const unsubscribe = await pubsub.subscribe('ch', leaving.handler);
      await pubsub.subscribe('ch', staying.handler);
      await pubsub.publish('ch', 'first');
      await leaving.finished;
      await unsubscribe();
      await unsubscribe();
      await pubsub.publish('ch', 'second');
      await staying.finished;
      await quietPeriod();
      expect(leaving.received.map((r) => r.message)).toEqual(['first']);
      expect(staying.received.map((r) => r.message)).toEqual(['first', 'second']);
    });

    it('a handler that throws is reported and does not stop the other handlers', async () => {
      const reported: string[] = [];
      const pubsub = await create({ onError: (e, ctx) => reported.push(`${ctx.operation}:${ctx.channel}:${(e as Error).message}`) });
      const healthy = collect(1);
      await pubsub.subscribe('ch', () => {
        throw new Error('handler bug');
      });
      await pubsub.subscribe('ch', () => Promise.reject(new Error('async handler bug')));
      await pubsub.subscribe('ch', healthy.handler);
      await pubsub.publish('ch', 'x');
      await healthy.finished;
      await quietPeriod();
      expect(reported.sort()).toEqual(['deliver:ch:async handler bug', 'deliver:ch:handler bug']);
    });

    it('publish rejects a message JSON cannot carry', async () => {
      const pubsub = await create();
      await expect(pubsub.publish('ch', undefined as unknown as JsonValue)).rejects.toThrow('Cannot publish a message JSON cannot represent');
    });

    describe('asyncIterator', () => {
      it('yields messages from all its channels in arrival order', async () => {
        const pubsub = await create();
        const iterator = pubsub.asyncIterator<{ n: number }>(['sync.status', 'review.changed']);
        await iterator.ready();
        await pubsub.publish('sync.status', { n: 1 });
        await pubsub.publish('review.changed', { n: 2 });
        await pubsub.publish('other', { n: 99 });
        await pubsub.publish('sync.status', { n: 3 });
        const seen: number[] = [];
        for await (const event of iterator) {
          seen.push(event.n);
          if (seen.length === 3) break; // break calls return()
        }
        expect(seen).toEqual([1, 2, 3]);
      });

      it('a next() waiting for a message is resolved when one arrives', async () => {
        const pubsub = await create();
        const iterator = pubsub.asyncIterator<string>(['ch']);
        const pending = iterator.next();
        await iterator.ready();
        await pubsub.publish('ch', 'hello');
        expect(await pending).toEqual({ value: 'hello', done: false });
        await iterator.return?.();
      });

      it('return() ends pending and later next() calls and unsubscribes', async () => {
        const pubsub = await create();
        const iterator = pubsub.asyncIterator<string>(['ch']);
        await iterator.ready();
        const pending = iterator.next();
        expect(await iterator.return?.()).toEqual({ value: undefined, done: true });
        expect(await pending).toEqual({ value: undefined, done: true });
        await pubsub.publish('ch', 'after return');
        await quietPeriod();
        expect(await iterator.next()).toEqual({ value: undefined, done: true });
        // The subscription is gone: a fresh subscriber is the only one that hears the channel.
        const probe = collect(1);
        await pubsub.subscribe('ch', probe.handler);
        await pubsub.publish('ch', 'probe');
        await probe.finished;
        expect(await iterator.next()).toEqual({ value: undefined, done: true });
      });

      it('a slow consumer keeps the newest messages up to the buffer size; the drop is reported', async () => {
        const reported: string[] = [];
        const pubsub = await create({ iteratorBufferSize: 2, onError: (_e, ctx) => reported.push(ctx.operation) });
        const iterator = pubsub.asyncIterator<number>(['ch']);
        await iterator.ready();
        const last = collect(3);
        await pubsub.subscribe('ch', last.handler);
        for (const n of [1, 2, 3]) await pubsub.publish('ch', n);
        await last.finished;
        expect(await iterator.next()).toEqual({ value: 2, done: false });
        expect(await iterator.next()).toEqual({ value: 3, done: false });
        expect(reported).toEqual(['overflow']);
        await iterator.return?.();
      });

      it('close() ends every open iterator; later publish and subscribe reject', async () => {
        const pubsub = await create();
        const iterator = pubsub.asyncIterator<string>(['ch']);
        await iterator.ready();
        const pending = iterator.next();
        await pubsub.close();
        expect(await pending).toEqual({ value: undefined, done: true });
        await expect(pubsub.publish('ch', 'x')).rejects.toThrow('PubSub is closed');
        await expect(pubsub.subscribe('ch', () => undefined)).rejects.toThrow('PubSub is closed');
        await pubsub.close(); // idempotent
      });
    });
  });
}

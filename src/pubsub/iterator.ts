// One async-iterator implementation on top of any PubSub's subscribe(), so both
// implementations end, buffer and clean up the same way.

import type { JsonValue, MessageHandler, PubSubErrorHandler, SubscriptionIterator, Unsubscribe } from './types.ts';

export interface IteratorOptions {
  subscribe: (channel: string, handler: MessageHandler) => Promise<Unsubscribe>;
  onError: PubSubErrorHandler;
  /** Messages held for a slow consumer; beyond this the oldest is dropped and reported (default 1 000). */
  bufferSize?: number;
  /** Called once when the iterator ends, whatever the reason. */
  onEnd?: () => void;
}

export function createSubscriptionIterator<T>(channels: readonly string[], options: IteratorOptions): SubscriptionIterator<T> {
  const bufferSize = options.bufferSize ?? 1_000;
  const buffer: T[] = [];
  const waiting: ((result: IteratorResult<T, undefined>) => void)[] = [];
  let ended = false;

  const push: MessageHandler = (message: JsonValue, channel: string) => {
    if (ended) return;
    // Messages are trusted inside the process (STYLE habit 3): the publisher owns the shape.
    const value = message as T;
    const taker = waiting.shift();
    if (taker) return taker({ value, done: false });
    buffer.push(value);
    if (buffer.length > bufferSize) {
      buffer.shift();
      options.onError(new Error(`Subscriber too slow: dropped the oldest message (buffer of ${bufferSize})`), { operation: 'overflow', channel });
    }
  };

  const subscriptions = Promise.allSettled(channels.map((channel) => options.subscribe(channel, push)));
  const ready = subscriptions.then(async (results) => {
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) {
      await end();
      throw failure.reason instanceof Error ? failure.reason : new Error(String(failure.reason));
    }
  });
  // A failure surfaces through next()/ready(); this keeps it from being an unhandled rejection meanwhile.
  ready.catch(() => undefined);

  let ending: Promise<void> | undefined;
  const end = (): Promise<void> => {
    ending ??= (async () => {
      ended = true;
      buffer.length = 0;
      for (const taker of waiting.splice(0)) taker({ value: undefined, done: true });
      options.onEnd?.();
      const results = await subscriptions;
      await Promise.all(results.map((r) => (r.status === 'fulfilled' ? r.value().catch(() => undefined) : Promise.resolve())));
    })();
    return ending;
  };

  const iterator: SubscriptionIterator<T> = {
    ready: () => ready,
    async next(): Promise<IteratorResult<T, undefined>> {
      if (buffer.length > 0) return { value: buffer.shift() as T, done: false };
      if (ended) return { value: undefined, done: true };
      await ready;
      return new Promise((resolve) => {
        if (ended) resolve({ value: undefined, done: true });
        else waiting.push(resolve);
      });
    },
    async return(): Promise<IteratorResult<T, undefined>> {
      await end();
      return { value: undefined, done: true };
    },
    async throw(error?: unknown): Promise<IteratorResult<T, undefined>> {
      await end();
      throw error instanceof Error ? error : new Error(String(error));
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  return iterator;
}

/**
 * The iterators one PubSub has handed out, so close() can end them all. Both implementations
 * use this: `open` makes a tracked iterator, `endAll` returns every one still open.
 */
export function iteratorRegistry(base: Omit<IteratorOptions, 'onEnd' | 'bufferSize'>, bufferSize: number | undefined): {
  open<T>(channels: readonly string[]): SubscriptionIterator<T>;
  endAll(): Promise<void>;
} {
  const iterators = new Set<AsyncIterator<unknown>>();
  return {
    open<T>(channels: readonly string[]): SubscriptionIterator<T> {
      const iterator = createSubscriptionIterator<T>(channels, {
        ...base,
        ...(bufferSize === undefined ? {} : { bufferSize }),
        onEnd: () => iterators.delete(iterator),
      });
      iterators.add(iterator);
      return iterator;
    },
    async endAll(): Promise<void> {
      await Promise.all([...iterators].map((it) => (it.return ? it.return() : Promise.resolve())));
    },
  };
}

/**
 * A view of a subscription iterator in which each message becomes zero or more values (read
 * asynchronously, e.g. the records it names). Not an async generator: a generator waiting in
 * `for await` cannot be returned until the next message arrives, so a client that unsubscribes
 * from a quiet channel would keep its (Redis) subscription; return() here ends the source at once.
 */
export function expandMessages<T, U>(source: AsyncIterator<T>, expand: (m: T) => readonly U[] | Promise<readonly U[]>): AsyncIterableIterator<U> {
  const pending: U[] = [];
  const it: AsyncIterableIterator<U> = {
    async next(): Promise<IteratorResult<U>> {
      while (pending.length === 0) {
        const r = await source.next();
        if (r.done) return { done: true, value: undefined };
        pending.push(...(await expand(r.value)));
      }
      return { done: false, value: pending.shift()! };
    },
    async return(): Promise<IteratorResult<U>> {
      pending.length = 0;
      await source.return?.(undefined);
      return { done: true, value: undefined };
    },
    async throw(e?: unknown): Promise<IteratorResult<U>> {
      await source.return?.(undefined);
      throw e instanceof Error ? e : new Error(String(e));
    },
    [Symbol.asyncIterator]() {
      return it;
    },
  };
  return it;
}

/** One value per message, or none where `pick` says null. */
export function filterMessages<T, U>(source: AsyncIterator<T>, pick: (m: T) => U | null): AsyncIterableIterator<U> {
  return expandMessages(source, (m) => {
    const v = pick(m);
    return v === null ? [] : [v];
  });
}

// In-process pub/sub: the embedded default (one gateway process) and the pub/sub of tests.
// Messages go through JSON like they do over Redis, so handlers get copies and a message that
// JSON cannot carry fails here too, not first in production.

import { iteratorRegistry } from './iterator.ts';
import { deliver, warnOnPubSubError, PubSubClosedError, type JsonValue, type MessageHandler, type PubSub, type PubSubErrorHandler } from './types.ts';

export interface MemoryPubSubOptions {
  onError?: PubSubErrorHandler;
  /** Per-iterator buffer for slow consumers (default 1 000). */
  iteratorBufferSize?: number;
}

export function createMemoryPubSub(options: MemoryPubSubOptions = {}): PubSub {
  const onError = options.onError ?? warnOnPubSubError;
  const handlers = new Map<string, Set<MessageHandler>>();
  let closed = false;

  const subscribe = (channel: string, handler: MessageHandler) => {
    if (closed) return Promise.reject(new PubSubClosedError());
    // A fresh function per subscription: subscribing one handler twice gives two independent
    // subscriptions (the Redis implementation does the same, as node-redis keys listeners by identity).
    const subscription: MessageHandler = (message, ch) => handler(message, ch);
    let set = handlers.get(channel);
    if (!set) handlers.set(channel, (set = new Set()));
    set.add(subscription);
    let active = true;
    return Promise.resolve(() => {
      if (active) {
        active = false;
        const current = handlers.get(channel);
        current?.delete(subscription);
        if (current?.size === 0) handlers.delete(channel);
      }
      return Promise.resolve();
    });
  };
  const iterators = iteratorRegistry({ subscribe, onError }, options.iteratorBufferSize);

  return {
    kind: 'memory',
    publish(channel, message) {
      if (closed) return Promise.reject(new PubSubClosedError());
      let text: string | undefined;
      try {
        text = JSON.stringify(message);
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
      if (text === undefined) return Promise.reject(new TypeError('Cannot publish a message JSON cannot represent'));
      for (const handler of handlers.get(channel) ?? []) deliver(handler, JSON.parse(text) as JsonValue, channel, onError);
      return Promise.resolve();
    },
    subscribe,
    asyncIterator: <T>(channels: readonly string[]) => iterators.open<T>(channels),
    async close() {
      if (closed) return;
      closed = true;
      await iterators.endAll();
      handlers.clear();
    },
  };
}

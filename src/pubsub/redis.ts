// Redis pub/sub (https://redis.io/docs/latest/develop/interact/pubsub/) through node-redis.
// A connection in subscriber mode can only (un)subscribe, so publishing uses one connection
// and subscribing a duplicate of it. node-redis re-subscribes by itself after a reconnect;
// what was published in between is lost (at-most-once, see types.ts).

import { createClient } from 'redis';
import { withTimeout } from '../resilience/timeout.ts';
import { iteratorRegistry } from './iterator.ts';
import { deliver, warnOnPubSubError, PubSubClosedError, type JsonValue, type MessageHandler, type PubSub, type PubSubErrorHandler } from './types.ts';

export type ReconnectStrategy = false | number | ((retries: number, cause: Error) => false | Error | number);

export interface RedisPubSubOptions {
  url: string;
  /** Prepended to every channel name, so several deployments (or test runs) can share one Redis (default 'meridian:'). */
  channelPrefix?: string;
  onError?: PubSubErrorHandler;
  /** Socket connect timeout, and the bound on start-up: the factory rejects if not connected by then (default 2 000 ms). */
  connectTimeoutMs?: number;
  /** Deadline for PUBLISH and (UN)SUBSCRIBE (default 1 000 ms). */
  commandTimeoutMs?: number;
  reconnectStrategy?: ReconnectStrategy;
  /** Per-iterator buffer for slow consumers (default 1 000). */
  iteratorBufferSize?: number;
}

export const DEFAULT_CHANNEL_PREFIX = 'meridian:';

export async function createRedisPubSub(options: RedisPubSubOptions): Promise<PubSub> {
  const channelPrefix = options.channelPrefix ?? DEFAULT_CHANNEL_PREFIX;
  const onError = options.onError ?? warnOnPubSubError;
  const connectTimeoutMs = options.connectTimeoutMs ?? 2_000;
  const commandTimeoutMs = options.commandTimeoutMs ?? 1_000;

  const publisher = createClient({
    url: options.url,
    // A publish during a reconnect fails at once rather than queueing behind the outage.
    disableOfflineQueue: true,
    socket: {
      connectTimeout: connectTimeoutMs,
      ...(options.reconnectStrategy === undefined ? {} : { reconnectStrategy: options.reconnectStrategy }),
    },
  });
  // The subscriber keeps the offline queue: its SUBSCRIBE replays after a reconnect by design.
  const subscriber = publisher.duplicate({ disableOfflineQueue: false });
  publisher.on('error', (error: unknown) => onError(error, { operation: 'connect' }));
  subscriber.on('error', (error: unknown) => onError(error, { operation: 'connect' }));

  const shutdown = async () => {
    await Promise.all(
      [publisher, subscriber].map(async (client) => {
        if (!client.isOpen) return;
        if (client.isReady) await client.close();
        else client.destroy();
      }),
    );
  };

  try {
    await withTimeout(Promise.all([publisher.connect(), subscriber.connect()]), connectTimeoutMs, () => new Error(`Redis pub/sub: not connected to ${redactUrl(options.url)} after ${connectTimeoutMs} ms`));
  } catch (error) {
    await shutdown().catch(() => undefined);
    throw error;
  }

  let closed = false;
  const full = (channel: string) => `${channelPrefix}${channel}`;

  const subscribe = async (channel: string, handler: MessageHandler) => {
    if (closed) throw new PubSubClosedError();
    // https://redis.io/docs/latest/commands/subscribe/ — node-redis keys listeners by function,
    // so each subscription gets its own and unsubscribing one leaves the others.
    const listener = (text: string) => {
      let message: JsonValue;
      try {
        message = JSON.parse(text) as JsonValue;
      } catch (error) {
        return onError(error, { operation: 'decode', channel });
      }
      deliver(handler, message, channel, onError);
    };
    await withTimeout(subscriber.subscribe(full(channel), listener), commandTimeoutMs);
    let active = true;
    return async () => {
      if (!active || !subscriber.isOpen) return;
      active = false;
      await withTimeout(subscriber.unsubscribe(full(channel), listener), commandTimeoutMs);
    };
  };
  const iterators = iteratorRegistry({ subscribe, onError }, options.iteratorBufferSize);

  return {
    kind: 'redis',
    async publish(channel, message) {
      if (closed) throw new PubSubClosedError();
      const text = JSON.stringify(message);
      if (text === undefined) throw new TypeError('Cannot publish a message JSON cannot represent');
      // https://redis.io/docs/latest/commands/publish/
      await withTimeout(publisher.publish(full(channel), text), commandTimeoutMs);
    },
    subscribe,
    asyncIterator: <T>(channels: readonly string[]) => iterators.open<T>(channels),
    async close() {
      if (closed) return;
      closed = true;
      await iterators.endAll();
      await shutdown();
    },
  };
}

/** The URL without its password, for messages. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

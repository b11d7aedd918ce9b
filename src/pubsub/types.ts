// Event fan-out: cache invalidation across gateway replicas and GraphQL subscriptions.
// Redis pub/sub when REDIS_URL is set, in-process otherwise. Delivery is at most once: a
// replica that is disconnected when a message is published never sees it (so caches also
// carry a TTL, which bounds how stale a missed invalidation can leave them).

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export type MessageHandler = (message: JsonValue, channel: string) => void | Promise<void>;

export type Unsubscribe = () => Promise<void>;

export type PubSubErrorHandler = (error: unknown, context: { operation: 'connect' | 'deliver' | 'decode' | 'overflow'; channel?: string }) => void;

/** An AsyncIterableIterator that also says when its subscriptions are active. */
export interface SubscriptionIterator<T> extends AsyncIterableIterator<T> {
  /** Resolves once every channel is subscribed: messages published after this are delivered. */
  ready(): Promise<void>;
}

export interface PubSub {
  readonly kind: 'redis' | 'memory';
  /** Resolves when the message is handed to the broker (not when handlers have run). Messages are JSON; handlers get a copy. */
  publish(channel: string, message: JsonValue): Promise<void>;
  /**
   * Resolves once the subscription is active, with a function that ends it (idempotent).
   * A handler that throws or rejects is reported through onError; other handlers still run.
   */
  subscribe(channel: string, handler: MessageHandler): Promise<Unsubscribe>;
  /**
   * For GraphQL subscriptions: yields every message on any of `channels`, in arrival order,
   * from a bounded buffer. `return()` (what graphql-ws calls when a client goes away)
   * unsubscribes and ends the iterator; pending `next()` calls resolve `{ done: true }`.
   */
  asyncIterator<T = JsonValue>(channels: readonly string[]): SubscriptionIterator<T>;
  /** Ends every iterator, drops every subscription, closes connections. Later calls reject. */
  close(): Promise<void>;
}

export class PubSubClosedError extends Error {
  readonly code = 'PUBSUB_CLOSED';
  constructor() {
    super('PubSub is closed');
    this.name = 'PubSubClosedError';
  }
}

export const warnOnPubSubError: PubSubErrorHandler = (error, context) => {
  console.warn(`[pubsub] ${context.operation} failed${context.channel === undefined ? '' : ` on ${context.channel}`}:`, error instanceof Error ? error.message : error);
};

/** Runs a handler without letting its failure escape into the broker's event loop. */
export function deliver(handler: MessageHandler, message: JsonValue, channel: string, onError: PubSubErrorHandler): void {
  Promise.resolve()
    .then(() => handler(message, channel))
    .catch((error: unknown) => onError(error, { operation: 'deliver', channel }));
}

export {
  PubSubClosedError,
  type JsonValue,
  type MessageHandler,
  type PubSub,
  type PubSubErrorHandler,
  type SubscriptionIterator,
  type Unsubscribe,
} from './types.ts';
export { createMemoryPubSub, type MemoryPubSubOptions } from './memory.ts';
export { createRedisPubSub, DEFAULT_CHANNEL_PREFIX, type RedisPubSubOptions } from './redis.ts';
export { expandMessages, filterMessages } from './iterator.ts';

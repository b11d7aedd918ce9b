export {
  CacheInvalidationError,
  DEFAULT_TTL_SECONDS,
  type CacheEntry,
  type CacheErrorHandler,
  type CacheOperation,
  type CacheStats,
  type GoldenRecordCache,
} from './types.ts';
export { createMemoryCache, type MemoryCacheOptions } from './memory.ts';
export { createRedisCache, DEFAULT_KEY_PREFIX, type RedisCacheOptions, type ReconnectStrategy } from './redis.ts';

// In-process cache: the embedded default when REDIS_URL is not set, and the cache of tests.
// Values are stored as JSON text so it behaves exactly as Redis does (copies, JSON round trip).

import { systemClock, type Clock } from '../resilience/clock.ts';
import {
  ttlError,
  encode,
  warnOnCacheError,
  DEFAULT_TTL_SECONDS,
  type CacheEntry,
  type CacheErrorHandler,
  type CacheStats,
  type GoldenRecordCache,
} from './types.ts';

export interface MemoryCacheOptions {
  /** Default time to live (default 300 s). */
  ttlSeconds?: number;
  /** Least recently used entries are evicted beyond this (default 50 000). */
  maxEntries?: number;
  clock?: Clock;
  onError?: CacheErrorHandler;
}

interface Slot {
  json: string;
  expiresAt: number;
}

export function createMemoryCache<T>(options: MemoryCacheOptions = {}): GoldenRecordCache<T> {
  const defaultTtl = options.ttlSeconds ?? DEFAULT_TTL_SECONDS;
  const maxEntries = options.maxEntries ?? 50_000;
  const clock = options.clock ?? systemClock;
  const onError = options.onError ?? warnOnCacheError;
  const badTtl = ttlError(defaultTtl);
  if (badTtl) throw badTtl;
  if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError(`maxEntries must be an integer >= 1 (got ${maxEntries})`);

  // A Map iterates in insertion order: re-inserting on use keeps the least recently used first.
  const slots = new Map<string, Slot>();
  const stats: CacheStats = { hits: 0, misses: 0, errors: 0 };
  const report: CacheErrorHandler = (error, context) => {
    stats.errors += 1;
    onError(error, context);
  };

  const live = (id: string): Slot | undefined => {
    const slot = slots.get(id);
    if (slot === undefined) return undefined;
    if (slot.expiresAt <= clock.now()) {
      slots.delete(id);
      return undefined;
    }
    return slot;
  };

  return {
    kind: 'memory',
    get(ids) {
      const values = ids.map((id) => {
        const slot = live(id);
        if (slot === undefined) {
          stats.misses += 1;
          return null;
        }
        slots.delete(id);
        slots.set(id, slot);
        stats.hits += 1;
        return JSON.parse(slot.json) as T;
      });
      return Promise.resolve(values);
    },
    set(entries: readonly CacheEntry<T>[], ttlSeconds = defaultTtl) {
      // A bad TTL is a programming error, not a cache failure: it rejects.
      const badTtl = ttlError(ttlSeconds);
      if (badTtl) return Promise.reject(badTtl);
      const expiresAt = clock.now() + ttlSeconds * 1000;
      for (const { id, value, json: given } of entries) {
        const json = given ?? encode(value);
        if (json instanceof Error) {
          report(json, { operation: 'encode', ids: [id] });
          continue;
        }
        slots.delete(id);
        slots.set(id, { json, expiresAt });
      }
      for (const oldest of slots.keys()) {
        if (slots.size <= maxEntries) break;
        slots.delete(oldest);
      }
      return Promise.resolve();
    },
    invalidate(ids) {
      let removed = 0;
      for (const id of new Set(ids)) {
        if (live(id) !== undefined) removed += 1;
        slots.delete(id);
      }
      return Promise.resolve(removed);
    },
    clear() {
      slots.clear();
      return Promise.resolve();
    },
    close() {
      slots.clear();
      return Promise.resolve();
    },
    stats: () => ({ ...stats }),
  };
}

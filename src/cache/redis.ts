// Redis-backed cache shared by all gateway replicas (REDIS_URL). Uses the official client,
// node-redis (https://redis.io/docs/latest/develop/clients/nodejs/).
//
// Failure model: the cache is an optimisation, so Redis being down, slow or half-connected
// must cost a miss, not a read. Three settings make that true:
//  - disableOfflineQueue: while the client is (re)connecting, commands reject at once instead
//    of queueing until Redis returns (the default would hold every read hostage);
//  - commandTimeoutMs: a deadline on every command, for a Redis that accepts but does not answer;
//  - a bounded wait at start-up: the factory resolves once connected or after connectTimeoutMs,
//    whichever comes first; the client keeps reconnecting in the background.

import { createClient } from 'redis';
import { withTimeout, TimeoutError } from '../resilience/timeout.ts';
import {
  encode,
  ttlError,
  warnOnCacheError,
  CacheInvalidationError,
  DEFAULT_TTL_SECONDS,
  type CacheEntry,
  type CacheErrorHandler,
  type CacheStats,
  type GoldenRecordCache,
} from './types.ts';

export type ReconnectStrategy = false | number | ((retries: number, cause: Error) => false | Error | number);

export interface RedisCacheOptions<T> {
  url: string;
  /** Every key is `${keyPrefix}${id}`; clear() removes this prefix only. Bump it when the cached shape changes. */
  keyPrefix?: string;
  /** Default time to live (default 300 s). */
  ttlSeconds?: number;
  onError?: CacheErrorHandler;
  /** Deadline for one cache command; past it a read is a miss (default 250 ms). */
  commandTimeoutMs?: number;
  /** Socket connect timeout, and how long the factory waits for the first connection (default 2 000 ms). */
  connectTimeoutMs?: number;
  /** node-redis reconnect strategy; default: its exponential backoff (up to 2 s between tries), forever. */
  reconnectStrategy?: ReconnectStrategy;
  /** Checks each value read back (e.g. a zod schema's parse); a value that fails is a miss, reported as 'decode'. */
  decode?: (value: unknown) => T;
}

export const DEFAULT_KEY_PREFIX = 'meridian:golden:';

/**
 * withTimeout for a cache command, tolerant of event-loop lag: when the deadline's timer fires
 * it first lets the pending I/O be read (setImmediate runs after the poll phase), so a reply
 * that arrived while the loop was busy wins over a timeout that only the lag caused. Under load
 * a plain timer fires before the socket is read and turns every slow tick into a cache miss.
 */
function lagTolerant<R>(promise: Promise<R>, ms: number): Promise<R> {
  let settled = false;
  const tracked = promise.finally(() => {
    settled = true;
  });
  return withTimeout(tracked, ms, () => new TimeoutError(ms)).catch(async (error: unknown) => {
    if (!(error instanceof TimeoutError) || settled) return tracked;
    await new Promise((r) => setImmediate(r));
    if (settled) return tracked;
    throw error;
  });
}

/** SCAN MATCH is a glob; the prefix is matched literally. */
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

export async function createRedisCache<T>(options: RedisCacheOptions<T>): Promise<GoldenRecordCache<T>> {
  const keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
  const defaultTtl = options.ttlSeconds ?? DEFAULT_TTL_SECONDS;
  const onError = options.onError ?? warnOnCacheError;
  const commandTimeoutMs = options.commandTimeoutMs ?? 250;
  const connectTimeoutMs = options.connectTimeoutMs ?? 2_000;
  const decode = options.decode ?? ((value: unknown) => value as T);
  const badTtl = ttlError(defaultTtl);
  if (badTtl) throw badTtl;
  if (keyPrefix === '') throw new RangeError('keyPrefix must not be empty: clear() would remove every key in the database');

  const stats: CacheStats = { hits: 0, misses: 0, errors: 0 };
  const report: CacheErrorHandler = (error, context) => {
    stats.errors += 1;
    onError(error, context);
  };

  const client = createClient({
    url: options.url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: connectTimeoutMs,
      ...(options.reconnectStrategy === undefined ? {} : { reconnectStrategy: options.reconnectStrategy }),
    },
  });
  // Without a listener node-redis would throw connection errors at the process.
  client.on('error', (error: unknown) => report(error, { operation: 'connect' }));
  const connected = client.connect().then(
    () => true,
    () => false, // already reported through the 'error' event
  );
  try {
    await withTimeout(connected, connectTimeoutMs);
  } catch (error) {
    report(error, { operation: 'connect' });
  }

  const key = (id: string) => `${keyPrefix}${id}`;
  // Claims live beside the values, under a prefix clear() does not match.
  const claimKey = (id: string) => `${keyPrefix.replace(/:?$/, '')}-claim:${id}`;
  const deadline = <R>(promise: Promise<R>) => lagTolerant(promise, commandTimeoutMs);

  return {
    kind: 'redis',

    async get(ids) {
      if (ids.length === 0) return [];
      let texts: (string | null)[];
      try {
        // https://redis.io/docs/latest/commands/mget/
        texts = await deadline(client.mGet(ids.map(key)));
      } catch (error) {
        report(error, { operation: 'get', ids });
        stats.misses += ids.length;
        return ids.map(() => null);
      }
      return texts.map((text, i) => {
        if (text === null) {
          stats.misses += 1;
          return null;
        }
        try {
          const value = decode(JSON.parse(text));
          stats.hits += 1;
          return value;
        } catch (error) {
          report(error, { operation: 'decode', ids: [ids[i] ?? ''] });
          stats.misses += 1;
          return null;
        }
      });
    },

    async set(entries: readonly CacheEntry<T>[], ttlSeconds = defaultTtl) {
      const bad = ttlError(ttlSeconds);
      if (bad) throw bad;
      if (entries.length === 0) return;
      // PX rather than EX so fractional TTLs behave as in the memory cache.
      const expiration = { type: 'PX' as const, value: Math.max(1, Math.round(ttlSeconds * 1000)) };
      // https://redis.io/docs/latest/develop/interact/transactions/ — one round trip, all or nothing.
      const multi = client.multi();
      let queued = 0;
      for (const { id, value, json: given } of entries) {
        const json = given ?? encode(value);
        if (json instanceof Error) {
          report(json, { operation: 'encode', ids: [id] });
          continue;
        }
        // https://redis.io/docs/latest/commands/set/
        multi.set(key(id), json, { expiration });
        queued += 1;
      }
      if (queued === 0) return;
      try {
        await deadline(multi.exec());
      } catch (error) {
        report(error, { operation: 'set', ids: entries.map((e) => e.id) });
      }
    },

    async invalidate(ids) {
      if (ids.length === 0) return 0;
      try {
        // https://redis.io/docs/latest/commands/unlink/ — DEL that frees memory off the main thread.
        return await deadline(client.unlink([...new Set(ids)].map(key)));
      } catch (error) {
        report(error, { operation: 'invalidate', ids });
        throw new CacheInvalidationError(ids, { cause: error });
      }
    },

    async clear() {
      // https://redis.io/docs/latest/commands/scan/ — incremental, never blocks the server like KEYS;
      // and never FLUSHDB: the database may hold other prefixes (other caches, other apps).
      try {
        let cursor = '0';
        do {
          const page = await deadline(client.scan(cursor, { MATCH: `${globEscape(keyPrefix)}*`, COUNT: 1_000 }));
          cursor = page.cursor;
          if (page.keys.length > 0) await deadline(client.unlink(page.keys));
        } while (cursor !== '0');
      } catch (error) {
        report(error, { operation: 'clear' });
        throw new CacheInvalidationError('all', { cause: error });
      }
    },

    async claim(ids, ms) {
      if (ids.length === 0) return [];
      try {
        // https://redis.io/docs/latest/commands/set/ — SET NX PX: a lease that frees itself.
        const multi = client.multi();
        for (const id of ids) multi.set(claimKey(id), '1', { condition: 'NX', expiration: { type: 'PX', value: Math.max(1, Math.round(ms)) } });
        const replies = await deadline(multi.exec());
        return replies.map((r) => (r as unknown) === 'OK');
      } catch (error) {
        report(error, { operation: 'claim', ids });
        return ids.map(() => true);
      }
    },

    async release(ids) {
      if (ids.length === 0) return;
      try {
        await deadline(client.unlink(ids.map(claimKey)));
      } catch (error) {
        report(error, { operation: 'release', ids });
      }
    },

    async close() {
      if (!client.isOpen) return;
      // close() lets pending replies arrive; destroy() when there is no live connection to wait on.
      if (client.isReady) await client.close();
      else client.destroy();
    },

    stats: () => ({ ...stats }),
  };
}

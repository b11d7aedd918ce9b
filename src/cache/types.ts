// The golden-record cache: the last merged answer for a customer, shared by all gateway
// replicas (Redis) or kept per process (memory, the embedded default). It is an optimisation
// only: every failure of the cache degrades to a miss, never to a failed read.

export interface CacheEntry<T> {
  id: string;
  value: T;
  /** The value's JSON text when the caller has it already (encode()); the cache stores it instead of encoding again. */
  json?: string;
}

export interface CacheStats {
  hits: number;
  misses: number;
  /** Failures reported through onError (connection, timeout, a corrupt entry). */
  errors: number;
}

export type CacheOperation = 'connect' | 'get' | 'set' | 'invalidate' | 'clear' | 'decode' | 'encode' | 'claim' | 'release';

export type CacheErrorHandler = (error: unknown, context: { operation: CacheOperation; ids?: readonly string[] }) => void;

/**
 * Values must be JSON-serializable: both implementations store JSON, so what comes back is
 * exactly `JSON.parse(JSON.stringify(value))` (a Date becomes a string, `undefined` fields
 * vanish) and never shares references with what was stored.
 */
export interface GoldenRecordCache<T> {
  readonly kind: 'redis' | 'memory';
  /** One round trip for any number of ids (MGET). One result per id, in id order; null for a miss. Never rejects. */
  get(ids: readonly string[]): Promise<(T | null)[]>;
  /**
   * The value when this process holds it already (withResponseCache's near copy), without a round
   * trip or a promise; null otherwise (then `get`). Absent where nothing is held in process.
   */
  peek?(id: string): T | null;
  /** One round trip (MULTI) for all entries; `ttlSeconds` overrides the cache default. Never rejects; failures go to onError. */
  set(entries: readonly CacheEntry<T>[], ttlSeconds?: number): Promise<void>;
  /**
   * Removes the ids; resolves to how many were present. REJECTS with CacheInvalidationError
   * when the cache could not be reached: a value that should be gone but is still served is
   * worse than a miss, so the caller must know (log, retry, or publish again). The TTL bounds
   * how long such a stale value can live.
   */
  invalidate(ids: readonly string[]): Promise<number>;
  /** Removes every entry of this cache (its key prefix only). Rejects like invalidate. */
  clear(): Promise<void>;
  /**
   * Coalescing across replicas: claims, for `ms`, the right to build each id (a short lease),
   * so one replica reads the systems while the others wait briefly for the cache to fill.
   * One result per id: true where this caller holds the claim, or where the cache could not
   * say (then everyone builds: a bounded cost, never a stall). Absent on a per-process cache,
   * where the in-process single-flight is the whole story. Never rejects.
   */
  claim?(ids: readonly string[], ms: number): Promise<boolean[]>;
  /** Gives claims back once the value is stored (or the build failed). Never rejects. */
  release?(ids: readonly string[]): Promise<void>;
  close(): Promise<void>;
  stats(): CacheStats;
}

export class CacheInvalidationError extends Error {
  readonly code = 'CACHE_INVALIDATION_FAILED';
  readonly ids: readonly string[] | 'all';
  constructor(ids: readonly string[] | 'all', options: { cause: unknown }) {
    const what = ids === 'all' ? 'all entries' : `${ids.length} id(s): ${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', …' : ''}`;
    super(`Could not invalidate ${what}; stale values may be served until their TTL ends`, options);
    this.ids = ids;
    this.name = 'CacheInvalidationError';
  }
}

export const DEFAULT_TTL_SECONDS = 300;

/** A TTL is a positive, finite number of seconds (fractions allowed: Redis gets milliseconds). */
export function ttlError(ttlSeconds: number): RangeError | null {
  return ttlSeconds > 0 && Number.isFinite(ttlSeconds) ? null : new RangeError(`ttlSeconds must be a positive number of seconds (got ${ttlSeconds})`);
}

/** JSON text of a value, or an error for values JSON cannot represent (undefined, a function, a BigInt, a cycle). */
export function encode(value: unknown): string | Error {
  try {
    const text: unknown = JSON.stringify(value);
    return typeof text === 'string' ? text : new TypeError(`Cannot cache a value JSON cannot represent (${typeof value})`);
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

export const warnOnCacheError: CacheErrorHandler = (error, context) => {
  console.warn(`[cache] ${context.operation} failed:`, error instanceof Error ? error.message : error);
};

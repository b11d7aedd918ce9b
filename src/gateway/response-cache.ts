// Whole-response cache for queries answered entirely from cached golden records.
//
// A repeated customer query is the gateway's hottest path. Once its golden records are cached,
// executing the operation again only re-walks the same data, and the GraphQL pipeline costs
// far more than the data does. So a query whose answer came only from golden records (no live
// related lists, no list membership, no errors, no missing source) is kept as its serialized
// body, keyed by operation text + operation name + variables + media type, and tagged with the
// golden ids it used. Invalidating or clearing those golden records drops the responses too
// (the golden cache is wrapped, so every invalidation path covers both), and entries live no
// longer than the golden records themselves.

import type { CacheEntry, CacheStats, GoldenRecordCache } from '../cache/types.ts';

export interface CachedResponse {
  body: string;
  contentType: string;
}

/** What one request learned while executing: whether its answer may be reused, and on what it depends. */
export interface Cacheability {
  ok: boolean;
  deps: Set<string>;
}

export const newCacheability = (): Cacheability => ({ ok: true, deps: new Set() });

interface Entry extends CachedResponse {
  deps: string[];
  expiresAt: number;
}

export interface ResponseCacheOptions {
  ttlSeconds: number;
  maxEntries?: number;
  now?: () => number;
}

export class ResponseCache {
  readonly #entries = new Map<string, Entry>();
  readonly #byDep = new Map<string, Set<string>>();
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #now: () => number;
  #hits = 0;
  #misses = 0;

  constructor(options: ResponseCacheOptions) {
    this.#ttlMs = options.ttlSeconds * 1000;
    this.#max = options.maxEntries ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  static key(mediaType: string, query: string, operationName: string | null, variables: unknown): string {
    return `${mediaType}\u0000${operationName ?? ''}\u0000${JSON.stringify(variables ?? {})}\u0000${query}`;
  }

  lookup(key: string): CachedResponse | null {
    const e = this.#entries.get(key);
    if (!e || e.expiresAt <= this.#now()) {
      if (e) this.#drop(key);
      this.#misses++;
      return null;
    }
    this.#hits++;
    return e;
  }

  store(key: string, response: CachedResponse, deps: Iterable<string>): void {
    const list = [...deps];
    if (list.length === 0) return;
    this.#drop(key);
    this.#entries.set(key, { ...response, deps: list, expiresAt: this.#now() + this.#ttlMs });
    for (const d of list) {
      let keys = this.#byDep.get(d);
      if (!keys) this.#byDep.set(d, (keys = new Set()));
      keys.add(key);
    }
    // Oldest first out (Map keeps insertion order).
    while (this.#entries.size > this.#max) this.#drop(this.#entries.keys().next().value!);
  }

  invalidate(goldenIds: Iterable<string>): number {
    let n = 0;
    for (const id of goldenIds) {
      for (const key of this.#byDep.get(id) ?? []) {
        this.#drop(key);
        n++;
      }
      this.#byDep.delete(id);
    }
    return n;
  }

  clear(): void {
    this.#entries.clear();
    this.#byDep.clear();
  }

  stats(): { entries: number; hits: number; misses: number } {
    return { entries: this.#entries.size, hits: this.#hits, misses: this.#misses };
  }

  #drop(key: string): void {
    const e = this.#entries.get(key);
    if (!e) return;
    this.#entries.delete(key);
    for (const d of e.deps) {
      const keys = this.#byDep.get(d);
      keys?.delete(key);
      if (keys?.size === 0) this.#byDep.delete(d);
    }
  }
}

/**
 * The golden cache, with every invalidation and clear also applied to the response cache, and
 * invalidations announced (to other replicas, whose response caches are their own).
 */
export function withResponseCache<T>(golden: GoldenRecordCache<T>, responses: ResponseCache, announce?: (ids: readonly string[]) => Promise<void>): GoldenRecordCache<T> {
  return {
    kind: golden.kind,
    get: (ids) => golden.get(ids),
    set: (entries: readonly CacheEntry<T>[], ttl?: number) => golden.set(entries, ttl),
    invalidate: async (ids) => {
      responses.invalidate(ids);
      const n = await golden.invalidate(ids);
      await announce?.(ids);
      return n;
    },
    clear: async () => {
      responses.clear();
      await golden.clear();
    },
    ...(golden.claim ? { claim: golden.claim.bind(golden) } : {}),
    ...(golden.release ? { release: golden.release.bind(golden) } : {}),
    close: () => golden.close(),
    stats: (): CacheStats => golden.stats(),
  };
}

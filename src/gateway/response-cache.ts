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

import { encode, type CacheEntry, type CacheStats, type GoldenRecordCache } from '../cache/types.ts';

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
  readonly #listeners: ((ids: readonly string[] | 'all') => void)[] = [];

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

  /** Told of every invalidation and clear, local or announced by another replica. */
  onInvalidate(listener: (ids: readonly string[] | 'all') => void): void {
    this.#listeners.push(listener);
  }

  invalidate(goldenIds: Iterable<string>): number {
    const ids = [...goldenIds];
    for (const l of this.#listeners) l(ids);
    let n = 0;
    for (const id of ids) {
      for (const key of this.#byDep.get(id) ?? []) {
        this.#drop(key);
        n++;
      }
      this.#byDep.delete(id);
    }
    return n;
  }

  clear(): void {
    for (const l of this.#listeners) l('all');
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

/** How long this process keeps its own copy of a golden record it stored or read (see below). */
const NEAR_TTL_MS = 5_000;
const NEAR_MAX = 10_000;

/**
 * The golden cache, with every invalidation and clear also applied to the response cache, and
 * invalidations announced (to other replicas, whose response caches are their own).
 *
 * It keeps a short-lived copy of each record this process stored or read (a near cache,
 * dropped by the same invalidations as the response cache, local or announced). Under load a
 * Redis reply can miss its deadline, or a write can fail, and every such miss would otherwise
 * send a request back to the systems: the copy makes a slow cache cost nothing upstream, and
 * spares Redis the repeated reads of the hottest records. In front of the in-memory cache it
 * spares the JSON parse of the record on every hit (the largest cost of an executed customer
 * query, bench/ gateway suite). The copy is shared by the requests that read it: read-only.
 */
export function withResponseCache<T>(golden: GoldenRecordCache<T>, responses: ResponseCache, announce?: (ids: readonly string[]) => Promise<void>): GoldenRecordCache<T> {
  // A stored record is kept as its JSON text and parsed when first read here (most are not
  // read again within the copy's lifetime; a read one is parsed once, as the cache would).
  const near = new Map<string, { value?: T; json?: string; until: number }>();
  let nearHits = 0;
  const keep = (id: string, held: { value: T } | { json: string }): void => {
    near.delete(id);
    near.set(id, { ...held, until: Date.now() + NEAR_TTL_MS });
    if (near.size > NEAR_MAX) near.delete(near.keys().next().value!);
  };
  const valueOf = (e: { value?: T; json?: string }): T => (e.value ??= JSON.parse(e.json!) as T);
  responses.onInvalidate((ids) => {
    if (ids === 'all') near.clear();
    else for (const id of ids) near.delete(id);
  });
  return {
    kind: golden.kind,
    peek: (id) => {
      const e = near.get(id);
      if (!e || e.until <= Date.now()) return null;
      nearHits += 1;
      return valueOf(e);
    },
    get: async (ids) => {
      const now = Date.now();
      const out: (T | null)[] = ids.map((id) => {
        const e = near.get(id);
        if (!e) return null;
        if (e.until <= now) {
          near.delete(id);
          return null;
        }
        nearHits += 1;
        return valueOf(e);
      });
      const rest = ids.filter((_, i) => out[i] === null);
      if (rest.length === 0) return out;
      const got = await golden.get(rest);
      let k = 0;
      return out.map((v, i) => {
        if (v !== null) return v;
        const r = got[k++] ?? null;
        if (r !== null) keep(ids[i]!, { value: r });
        return r;
      });
    },
    set: (entries: readonly CacheEntry<T>[], ttl?: number) => {
      // The copy is the JSON text the cache gets (encoded once for both), read back as the cache
      // would give it: nothing shared with the caller.
      const encoded = entries.map((e) => {
        const json = e.json ?? encode(e.value);
        if (json instanceof Error) return e; // the cache reports it
        keep(e.id, { json });
        return { ...e, json };
      });
      return golden.set(encoded, ttl);
    },
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
    stats: (): CacheStats => {
      const s = golden.stats();
      return { ...s, hits: s.hits + nearHits };
    },
  };
}

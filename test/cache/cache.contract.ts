// The one contract every GoldenRecordCache keeps (STYLE habit 2). Each implementation's test
// file calls describeCacheContract with a harness; nothing here knows which one it is.
import { afterEach, describe, expect, it } from 'vitest';
import type { CacheErrorHandler, GoldenRecordCache } from '../../src/cache/types.ts';

/** Shaped like a GoldenRecord, with what JSON does and does not keep. */
export interface TestRecord {
  id: string;
  fields: Record<string, unknown>;
  lineage: { field: string; source: string; updatedAt: string }[];
  conflicts: unknown[];
  sources: { system: string; externalId: string }[];
}

export function record(id: string, name = `Customer ${id}`): TestRecord {
  return {
    id,
    fields: { name, email: `${id}@example.com`, employees: 42, active: true, parent: null, tags: ['b2b', 'émoji ✓'] },
    lineage: [{ field: 'name', source: 'SALESFORCE', updatedAt: '2024-05-01T10:00:00.000Z' }],
    conflicts: [],
    sources: [{ system: 'STRIPE', externalId: `cus_${id}` }],
  };
}

export interface CacheHarness {
  /** A fresh cache; caches with different namespaces must not see each other's entries. */
  create(options: { namespace: string; ttlSeconds?: number; onError?: CacheErrorHandler }): Promise<GoldenRecordCache<TestRecord>>;
  /** Lets `ms` pass as far as TTLs are concerned (a fake clock, or real time). Called at most once per suite. */
  elapse(ms: number): Promise<void>;
}

export function describeCacheContract(label: string, harness: () => CacheHarness, options: { skip?: boolean } = {}): void {
  describe.skipIf(options.skip === true)(`GoldenRecordCache contract: ${label}`, () => {
    const opened: GoldenRecordCache<TestRecord>[] = [];
    const create = async (namespace: string, extra: { ttlSeconds?: number; onError?: CacheErrorHandler } = {}) => {
      const cache = await harness().create({ namespace, ...extra });
      opened.push(cache);
      return cache;
    };

    afterEach(async () => {
      for (const cache of opened.splice(0)) {
        await cache.clear();
        await cache.close();
      }
    });

    it('get returns one result per id, in id order, null for each miss', async () => {
      const cache = await create('order');
      await cache.set([
        { id: 'c1', value: record('c1') },
        { id: 'c3', value: record('c3') },
      ]);
      expect(await cache.get(['c3', 'missing', 'c1', 'c3'])).toEqual([record('c3'), null, record('c1'), record('c3')]);
      expect(await cache.get([])).toEqual([]);
    });

    it('counts hits and misses per id', async () => {
      const cache = await create('stats');
      await cache.set([{ id: 'c1', value: record('c1') }]);
      await cache.get(['c1', 'c2', 'c1']);
      expect(cache.stats()).toEqual({ hits: 2, misses: 1, errors: 0 });
    });

    it('set overwrites: the last value for an id wins, also within one call', async () => {
      const cache = await create('overwrite');
      await cache.set([{ id: 'c1', value: record('c1', 'Old') }]);
      await cache.set([
        { id: 'c1', value: record('c1', 'Newer') },
        { id: 'c1', value: record('c1', 'Newest') },
      ]);
      expect(await cache.get(['c1'])).toEqual([record('c1', 'Newest')]);
    });

    it('round-trips through JSON: copies come back, Dates become strings, undefined fields vanish', async () => {
      const cache = await create('json');
      const value: TestRecord = { ...record('c1'), fields: { ...record('c1').fields, seenAt: new Date('2024-01-02T03:04:05.000Z'), gone: undefined } };
      await cache.set([{ id: 'c1', value }]);
      value.fields['name'] = 'mutated after set';
      const [first] = await cache.get(['c1']);
      expect(first?.fields).toEqual({ ...record('c1').fields, seenAt: '2024-01-02T03:04:05.000Z' });
      expect(first?.fields).not.toHaveProperty('gone');
      first!.fields['name'] = 'mutated after get';
      const [second] = await cache.get(['c1']);
      expect(second?.fields['name']).toBe('Customer c1');
    });

    it('a value JSON cannot represent is reported, not stored, and does not stop the others', async () => {
      const errors: string[] = [];
      const cache = await create('encode', { onError: (_e, ctx) => errors.push(`${ctx.operation}:${ctx.ids?.join(',')}`) });
      const cyclic = record('bad') as TestRecord & { self?: unknown };
      cyclic.self = cyclic;
      await cache.set([
        { id: 'bad', value: cyclic },
        { id: 'good', value: record('good') },
      ]);
      expect(await cache.get(['bad', 'good'])).toEqual([null, record('good')]);
      expect(errors).toEqual(['encode:bad']);
    });

    it('invalidate removes the ids and says how many were present', async () => {
      const cache = await create('invalidate');
      await cache.set(['c1', 'c2', 'c3'].map((id) => ({ id, value: record(id) })));
      expect(await cache.invalidate(['c1', 'c3', 'never-cached', 'c1'])).toBe(2);
      expect(await cache.get(['c1', 'c2', 'c3'])).toEqual([null, record('c2'), null]);
      expect(await cache.invalidate([])).toBe(0);
    });

    it('clear removes every entry of this cache and none of another namespace', async () => {
      const mine = await create('clear-mine');
      const theirs = await create('clear-theirs');
      await mine.set([
        { id: 'c1', value: record('c1') },
        { id: 'c2', value: record('c2') },
      ]);
      await theirs.set([{ id: 'c1', value: record('c1', 'Theirs') }]);
      await mine.clear();
      expect(await mine.get(['c1', 'c2'])).toEqual([null, null]);
      expect(await theirs.get(['c1'])).toEqual([record('c1', 'Theirs')]);
    });

    it('a bad TTL is a programming error: set rejects with RangeError', async () => {
      const cache = await create('bad-ttl');
      await expect(cache.set([{ id: 'c1', value: record('c1') }], 0)).rejects.toThrow('ttlSeconds must be a positive number of seconds (got 0)');
      await expect(cache.set([{ id: 'c1', value: record('c1') }], Number.NaN)).rejects.toBeInstanceOf(RangeError);
    });

    it('entries expire after their TTL; a per-call TTL overrides the default', async () => {
      const cache = await create('ttl', { ttlSeconds: 60 });
      await cache.set([{ id: 'short', value: record('short') }], 1);
      await cache.set([{ id: 'default', value: record('default') }]);
      expect(await cache.get(['short', 'default'])).toEqual([record('short'), record('default')]);
      await harness().elapse(1_100);
      expect(await cache.get(['short', 'default'])).toEqual([null, record('default')]);
    });
  });
}

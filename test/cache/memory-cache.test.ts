import { describe, expect, it } from 'vitest';
import { createMemoryCache } from '../../src/cache/memory.ts';
import { createManualClock } from '../../src/resilience/clock.ts';
import { describeCacheContract, record, type CacheHarness, type TestRecord } from './cache.contract.ts';

const clock = createManualClock(Date.parse('2024-06-01T00:00:00Z'));
const harness: CacheHarness = {
  create: ({ ttlSeconds, onError }) =>
    Promise.resolve(
      createMemoryCache<TestRecord>({ clock, ...(ttlSeconds === undefined ? {} : { ttlSeconds }), ...(onError === undefined ? {} : { onError }) }),
    ),
  elapse: (ms) => {
    clock.advance(ms);
    return Promise.resolve();
  },
};

describeCacheContract('memory', () => harness);

describe('memory cache', () => {
  it('reports its kind', () => {
    expect(createMemoryCache().kind).toBe('memory');
  });

  it('keeps entries 300 s by default', async () => {
    const local = createManualClock(0);
    const cache = createMemoryCache<TestRecord>({ clock: local });
    await cache.set([{ id: 'c1', value: record('c1') }]);
    local.advance(299_999);
    expect(await cache.get(['c1'])).toEqual([record('c1')]);
    local.advance(1);
    expect(await cache.get(['c1'])).toEqual([null]);
  });

  it('evicts the least recently used entry beyond maxEntries; a get counts as use', async () => {
    const cache = createMemoryCache<TestRecord>({ maxEntries: 3, clock: createManualClock(0) });
    await cache.set(['a', 'b', 'c'].map((id) => ({ id, value: record(id) })));
    await cache.get(['a']); // b is now the least recently used
    await cache.set([{ id: 'd', value: record('d') }]);
    expect((await cache.get(['a', 'b', 'c', 'd'])).map((v) => v?.id ?? null)).toEqual(['a', null, 'c', 'd']);
  });

  it('a set of more entries than maxEntries keeps the last ones', async () => {
    const cache = createMemoryCache<TestRecord>({ maxEntries: 2, clock: createManualClock(0) });
    await cache.set(['a', 'b', 'c'].map((id) => ({ id, value: record(id) })));
    expect((await cache.get(['a', 'b', 'c'])).map((v) => v?.id ?? null)).toEqual([null, 'b', 'c']);
  });

  it('an expired entry does not count as present for invalidate', async () => {
    const local = createManualClock(0);
    const cache = createMemoryCache<TestRecord>({ clock: local, ttlSeconds: 1 });
    await cache.set([{ id: 'c1', value: record('c1') }]);
    local.advance(1_000);
    expect(await cache.invalidate(['c1'])).toBe(0);
  });

  it('refuses nonsensical options', () => {
    expect(() => createMemoryCache({ maxEntries: 0 })).toThrow('maxEntries must be an integer >= 1 (got 0)');
    expect(() => createMemoryCache({ ttlSeconds: -1 })).toThrow('ttlSeconds must be a positive number of seconds (got -1)');
  });
});

import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisCache } from '../../src/cache/redis.ts';
import { CacheInvalidationError, type CacheOperation } from '../../src/cache/types.ts';
import { describeCacheContract, record, type CacheHarness, type TestRecord } from './cache.contract.ts';
import { closedPortUrl, noteRedisSkip, redisUrl, silentServerUrl, uniquePrefix } from './redis-env.ts';

noteRedisSkip('redis cache');
const suitePrefix = uniquePrefix('cache');

const harness: CacheHarness = {
  create: ({ namespace, ttlSeconds, onError }) =>
    createRedisCache<TestRecord>({
      url: redisUrl ?? '',
      keyPrefix: `${suitePrefix}${namespace}:`,
      ...(ttlSeconds === undefined ? {} : { ttlSeconds }),
      ...(onError === undefined ? {} : { onError }),
    }),
  // Redis expires keys on its own clock: real time passes (the one sleep of this suite).
  elapse: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

describeCacheContract('redis', () => harness, { skip: redisUrl === undefined });

describe.skipIf(redisUrl === undefined)('redis cache against a real server', () => {
  const admin = createClient({ url: redisUrl ?? '' });
  beforeAll(async () => {
    await admin.connect();
  });
  afterAll(async () => {
    // Nothing of this suite may be left behind.
    const left = await admin.keys(`${suitePrefix}*`);
    if (left.length > 0) await admin.unlink(left);
    await admin.close();
    expect(left).toEqual([]);
  });

  it('reads many ids with one MGET', async () => {
    const keyPrefix = `${suitePrefix}mget:`;
    const cache = await createRedisCache<TestRecord>({ url: redisUrl ?? '', keyPrefix });
    await cache.set(['c1', 'c2'].map((id) => ({ id, value: record(id) })));
    const monitor = admin.duplicate();
    await monitor.connect();
    const commands: string[] = [];
    await monitor.monitor((line) => {
      if (line.includes(keyPrefix)) commands.push(line.replace(/^.*?\] /, '').split(' ')[0] ?? '');
    });
    await cache.get(['c1', 'c2', 'c3']);
    // MONITOR lines arrive asynchronously; a PING on the same connection orders after them.
    await admin.ping();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await monitor.close();
    expect(commands).toEqual(['"MGET"']);
    await cache.clear();
    await cache.close();
  });

  it('claims a build for one caller at a time until released or expired', async () => {
    const keyPrefix = `${suitePrefix}claim:`;
    const a = await createRedisCache<TestRecord>({ url: redisUrl ?? '', keyPrefix });
    const b = await createRedisCache<TestRecord>({ url: redisUrl ?? '', keyPrefix });
    expect(await a.claim!(['c1', 'c2'], 5_000)).toEqual([true, true]);
    // Another replica: c1 and c2 are being built elsewhere, c3 is free.
    expect(await b.claim!(['c1', 'c3'], 5_000)).toEqual([false, true]);
    await a.release!(['c1', 'c2']);
    expect(await b.claim!(['c1'], 5_000)).toEqual([true]);
    await b.release!(['c1', 'c3']);
    // A claim is a lease: it frees itself.
    expect(await a.claim!(['c4'], 50)).toEqual([true]);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(await b.claim!(['c4'], 5_000)).toEqual([true]);
    await b.release!(['c4']);
    // Claims are not values: clear() leaves other prefixes alone and get() never sees them.
    expect(await a.get(['c1', 'c4'])).toEqual([null, null]);
    await a.close();
    await b.close();
  });

  it('lets every caller build when Redis cannot say who holds a claim', async () => {
    const silent = await silentServerUrl();
    const errors: CacheOperation[] = [];
    const cache = await createRedisCache<TestRecord>({ url: silent.url, commandTimeoutMs: 50, connectTimeoutMs: 100, reconnectStrategy: false, onError: (_e, c) => errors.push(c.operation) });
    expect(await cache.claim!(['c1', 'c2'], 1_000)).toEqual([true, true]);
    await cache.release!(['c1']);
    await cache.close();
    await silent.close();
  });

  it('stores JSON under the key prefix with the TTL in milliseconds', async () => {
    const keyPrefix = `${suitePrefix}raw:`;
    const cache = await createRedisCache<TestRecord>({ url: redisUrl ?? '', keyPrefix, ttlSeconds: 120 });
    await cache.set([{ id: 'c1', value: record('c1') }]);
    expect(JSON.parse((await admin.get(`${keyPrefix}c1`)) ?? 'null')).toEqual(record('c1'));
    const ttl = await admin.pTTL(`${keyPrefix}c1`);
    expect(ttl).toBeGreaterThan(119_000);
    expect(ttl).toBeLessThanOrEqual(120_000);
    await cache.clear();
    await cache.close();
  });

  it('clear leaves keys outside its prefix alone, also those that merely look alike', async () => {
    const keyPrefix = `${suitePrefix}glob*[x]:`;
    const cache = await createRedisCache<TestRecord>({ url: redisUrl ?? '', keyPrefix });
    const lookalike = `${suitePrefix}globZZ[x]:c1`; // what an unescaped "*" would also match
    await admin.set(lookalike, 'keep');
    await cache.set(['c1', 'c2'].map((id) => ({ id, value: record(id) })));
    await cache.clear();
    expect(await admin.keys(`${suitePrefix}*`)).toEqual([lookalike]);
    await admin.unlink(lookalike);
    await cache.close();
  });

  it('a value that fails decode is a miss, reported', async () => {
    const keyPrefix = `${suitePrefix}decode:`;
    const seen: CacheOperation[] = [];
    const cache = await createRedisCache<TestRecord>({
      url: redisUrl ?? '',
      keyPrefix,
      onError: (_e, ctx) => seen.push(ctx.operation),
      decode: (v) => {
        if (typeof v !== 'object' || v === null || !('lineage' in v)) throw new Error('not a golden record');
        return v as TestRecord;
      },
    });
    await admin.set(`${keyPrefix}old-shape`, JSON.stringify({ id: 'old-shape' }));
    await admin.set(`${keyPrefix}not-json`, '{');
    await cache.set([{ id: 'c1', value: record('c1') }]);
    expect(await cache.get(['old-shape', 'not-json', 'c1'])).toEqual([null, null, record('c1')]);
    expect(seen).toEqual(['decode', 'decode']);
    expect(cache.stats()).toEqual({ hits: 1, misses: 2, errors: 2 });
    await cache.clear();
    await cache.close();
  });

  it('refuses an empty key prefix, which would make clear() wipe the database', async () => {
    await expect(createRedisCache({ url: redisUrl ?? '', keyPrefix: '' })).rejects.toThrow('keyPrefix must not be empty');
  });
});

// These need no Redis at all, so they always run.
describe('redis cache when Redis is unreachable', () => {
  it('down: starts anyway, reads are all misses, and every failure reaches onError', async () => {
    const errors: { operation: CacheOperation; ids?: readonly string[] }[] = [];
    const started = Date.now();
    const cache = await createRedisCache<TestRecord>({
      url: await closedPortUrl(),
      connectTimeoutMs: 200,
      reconnectStrategy: false, // give up at once; production keeps retrying in the background
      onError: (_e, ctx) => errors.push(ctx),
    });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(errors.map((e) => e.operation)).toContain('connect');
    const connectErrors = errors.length;

    errors.length = 0;
    expect(await cache.get(['c1', 'c2'])).toEqual([null, null]);
    expect(errors).toEqual([{ operation: 'get', ids: ['c1', 'c2'] }]);
    await expect(cache.set([{ id: 'c1', value: record('c1') }])).resolves.toBeUndefined();
    expect(errors.at(-1)).toEqual({ operation: 'set', ids: ['c1'] });
    expect(cache.stats()).toEqual({ hits: 0, misses: 2, errors: connectErrors + 2 });
    await cache.close();
  });

  it('down: invalidate and clear reject with CacheInvalidationError, since stale data is worse than a miss', async () => {
    const cache = await createRedisCache<TestRecord>({ url: await closedPortUrl(), connectTimeoutMs: 200, reconnectStrategy: false, onError: () => undefined });
    const error = await cache.invalidate(['c1', 'c2']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CacheInvalidationError);
    expect(error).toMatchObject({ code: 'CACHE_INVALIDATION_FAILED', ids: ['c1', 'c2'], message: 'Could not invalidate 2 id(s): c1, c2; stale values may be served until their TTL ends' });
    await expect(cache.clear()).rejects.toBeInstanceOf(CacheInvalidationError);
    await cache.close();
  });

  it('hung (accepts, never answers): start-up waits only connectTimeoutMs and reads miss after commandTimeoutMs', async () => {
    const silent = await silentServerUrl();
    const operations: CacheOperation[] = [];
    const cache = await createRedisCache<TestRecord>({
      url: silent.url,
      connectTimeoutMs: 200,
      commandTimeoutMs: 100,
      reconnectStrategy: false,
      onError: (_e, ctx) => operations.push(ctx.operation),
    });
    const started = Date.now();
    expect(await cache.get(['c1'])).toEqual([null]);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(operations).toContain('get');
    await cache.close();
    await silent.close();
  });
});

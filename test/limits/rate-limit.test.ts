// The rate limiter's stores: one contract run against the in-memory store and against Redis
// (when REDIS_URL is set), time driven by the caller (no sleeps); two Redis stores stand for two
// gateway processes sharing the counts; memory stays bounded; Redis down falls back to memory.
import { afterAll, describe, expect, it } from 'vitest';
import { createClient } from 'redis';
import { createMemoryRateLimitStore, createRedisRateLimitStore, gcra, type RateLimitStore, type RateRule } from '../../src/limits/rate-limit.ts';
import { closedPortUrl, noteRedisSkip, redisUrl, uniquePrefix } from '../cache/redis-env.ts';

noteRedisSkip('rate limit');
const T0 = 1_765_000_000_000;
const THREE_PER_MINUTE: RateRule = { limit: 3, periodMs: 60_000 };

describe('gcra', () => {
  it('admits `limit` at once, then one per period / limit, and says how long to wait', () => {
    let tat: number | undefined;
    const take = (now: number) => {
      const r = gcra(tat, now, THREE_PER_MINUTE);
      tat = r.tat;
      return r.decision;
    };
    expect([take(T0), take(T0), take(T0)]).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    expect(take(T0)).toEqual({ ok: false, retryAfterMs: 20_000 });
    expect(take(T0 + 19_999)).toEqual({ ok: false, retryAfterMs: 1 });
    expect(take(T0 + 20_000)).toEqual({ ok: true });
    expect(take(T0 + 20_000)).toEqual({ ok: false, retryAfterMs: 20_000 });
    // A full period idle: the whole burst again.
    expect([take(T0 + 140_000), take(T0 + 140_000), take(T0 + 140_000), take(T0 + 140_000)].map((d) => d.ok)).toEqual([true, true, true, false]);
  });
});

function describeStoreContract(kind: string, make: () => Promise<RateLimitStore>, options: { skip?: boolean } = {}): void {
  describe.skipIf(options.skip ?? false)(`${kind} rate limit store`, () => {
    const stores: RateLimitStore[] = [];
    const store = async () => {
      const s = await make();
      stores.push(s);
      return s;
    };
    afterAll(async () => {
      await Promise.all(stores.map((s) => s.close()));
    });

    it('admits the burst, refuses the next with the wait, and admits again once it has passed', async () => {
      const s = await store();
      const key = `k-${Math.random()}`;
      for (let i = 0; i < 3; i++) expect(await s.take(key, THREE_PER_MINUTE, T0)).toEqual({ ok: true });
      expect(await s.take(key, THREE_PER_MINUTE, T0 + 5_000)).toEqual({ ok: false, retryAfterMs: 15_000 });
      expect(await s.take(key, THREE_PER_MINUTE, T0 + 20_000)).toEqual({ ok: true });
    });

    it('counts each key on its own', async () => {
      const s = await store();
      const a = `a-${Math.random()}`;
      const b = `b-${Math.random()}`;
      for (let i = 0; i < 3; i++) await s.take(a, THREE_PER_MINUTE, T0);
      expect((await s.take(a, THREE_PER_MINUTE, T0)).ok).toBe(false);
      expect((await s.take(b, THREE_PER_MINUTE, T0)).ok).toBe(true);
    });

    it('admits exactly the burst out of many concurrent requests', async () => {
      const s = await store();
      const key = `c-${Math.random()}`;
      const rule = { limit: 10, periodMs: 60_000 };
      const decisions = await Promise.all(Array.from({ length: 50 }, () => s.take(key, rule, T0)));
      expect(decisions.filter((d) => d.ok)).toHaveLength(10);
    });
  });
}

describeStoreContract('memory', () => Promise.resolve(createMemoryRateLimitStore()));
const prefix = uniquePrefix('ratelimit');
describeStoreContract('redis', () => createRedisRateLimitStore({ url: redisUrl ?? '', keyPrefix: prefix }), { skip: redisUrl === undefined });

describe('in-memory store', () => {
  it('forgets idle keys as it goes, so memory follows the active callers', async () => {
    const s = createMemoryRateLimitStore();
    for (let i = 0; i < 100; i++) await s.take(`idle-${i}`, THREE_PER_MINUTE, T0);
    expect(s.size()).toBe(100);
    // A period later every one of them is full again: each new take drops up to two of them.
    for (let i = 0; i < 50; i++) await s.take('active', THREE_PER_MINUTE, T0 + 60_000 + i * 20_000);
    expect(s.size()).toBe(1);
  });

  it('holds at most maxKeys, dropping the least recently used', async () => {
    const s = createMemoryRateLimitStore({ maxKeys: 3 });
    for (const k of ['a', 'b', 'c']) await s.take(k, THREE_PER_MINUTE, T0);
    await s.take('a', THREE_PER_MINUTE, T0); // a is now the most recent
    await s.take('d', THREE_PER_MINUTE, T0); // b, the least recent, goes
    expect(s.size()).toBe(3);
    await s.take('a', THREE_PER_MINUTE, T0);
    expect((await s.take('a', THREE_PER_MINUTE, T0)).ok).toBe(false); // a was kept: its fourth is refused
    expect((await s.take('b', THREE_PER_MINUTE, T0)).ok).toBe(true);
  });
});

describe.skipIf(redisUrl === undefined)('redis store across processes', () => {
  it('shares one count between two stores on one Redis, as two gateway processes do', async () => {
    const own = uniquePrefix('ratelimit-shared');
    const a = await createRedisRateLimitStore({ url: redisUrl ?? '', keyPrefix: own });
    const b = await createRedisRateLimitStore({ url: redisUrl ?? '', keyPrefix: own });
    try {
      expect(await a.take('client', THREE_PER_MINUTE, T0)).toEqual({ ok: true });
      expect(await b.take('client', THREE_PER_MINUTE, T0)).toEqual({ ok: true });
      expect(await a.take('client', THREE_PER_MINUTE, T0)).toEqual({ ok: true });
      expect(await b.take('client', THREE_PER_MINUTE, T0)).toEqual({ ok: false, retryAfterMs: 20_000 });
      expect(await a.take('client', THREE_PER_MINUTE, T0 + 1_000)).toEqual({ ok: false, retryAfterMs: 19_000 });
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('lets an idle key expire in Redis once its bucket is full again', async () => {
    const own = uniquePrefix('ratelimit-ttl');
    const s = await createRedisRateLimitStore({ url: redisUrl ?? '', keyPrefix: own });
    const admin = createClient({ url: redisUrl ?? '' });
    await admin.connect();
    try {
      await s.take('client', THREE_PER_MINUTE, Date.now());
      const ttl = await admin.pTTL(`${own}client`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(20_000);
    } finally {
      await s.close();
      await admin.close();
    }
  });
});

describe('redis store when Redis is down', () => {
  it('decides with this process’s own counts and reports the error', async () => {
    const errors: unknown[] = [];
    const s = await createRedisRateLimitStore({ url: await closedPortUrl(), connectTimeoutMs: 200, onError: (e, operation) => operation === 'take' && errors.push(e) });
    try {
      for (let i = 0; i < 3; i++) expect((await s.take('client', THREE_PER_MINUTE, T0)).ok).toBe(true);
      expect(await s.take('client', THREE_PER_MINUTE, T0)).toEqual({ ok: false, retryAfterMs: 20_000 });
      // Redis is not tried again for a second after a failure: no error reported meanwhile.
      const reported = errors.length;
      expect(reported).toBeGreaterThan(0);
      await s.take('other', THREE_PER_MINUTE, T0 + 999);
      expect(errors.length).toBe(reported);
      await s.take('other', THREE_PER_MINUTE, T0 + 1_000);
      expect(errors.length).toBe(reported + 1);
    } finally {
      await s.close();
    }
  });
});

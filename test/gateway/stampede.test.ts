// Issue 8 item 9: a cold cache under concurrent load must cost the systems about what one
// request costs. Builds of the same golden record are single-flight within a process and
// coalesced across replicas through a short claim in Redis. Calls are counted at the emulators.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startReplica, startTestApp, type TestApp } from '../support/app.ts';
import type { App } from '../../src/app.ts';
import { createLoaders } from '../../src/gateway/loaders.ts';

const QUERY = '{ customers(first: 20) { edges { node { id name email phone } } } }';

async function post(url: string, query: string): Promise<{ errors?: unknown[] }> {
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer() }, body: JSON.stringify({ query }) });
  return (await res.json()) as { errors?: unknown[] };
}

describe('cold-cache stampede in one process', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ customers: 40, seed: 12 });
  });
  afterAll(() => app?.close());

  it('builds each golden record once when 30 concurrent requests find it uncached', async () => {
    const sb = app.sandbox!;
    const calls = (): number => sb.salesforce.requests.lastSeq + sb.stripe.requests.lastSeq + sb.zendesk.requests.lastSeq + sb.erp.proxy.requests.lastSeq;
    for (const f of [sb.stripe.faults, sb.salesforce.faults, sb.zendesk.faults, sb.erp.proxy.faults]) f.set({ latencyMs: 50 });
    try {
      await app.services.cache.clear();
      const c0 = calls();
      await post(app.url, QUERY);
      const minimum = calls() - c0;
      await app.services.cache.clear();
      const c1 = calls();
      const answers = await Promise.all(Array.from({ length: 30 }, () => post(app.url, QUERY)));
      expect(calls() - c1).toBeLessThanOrEqual(minimum);
      for (const a of answers) expect(a.errors ?? []).toEqual([]);
    } finally {
      for (const f of [sb.stripe.faults, sb.salesforce.faults, sb.zendesk.faults, sb.erp.proxy.faults]) f.reset();
    }
  });
});

describe.skipIf(!process.env['DATABASE_URL'] || !process.env['REDIS_URL'])('cold-cache stampede across replicas', () => {
  let app: TestApp;
  let replica: App;
  beforeAll(async () => {
    // 50 ms at every system: builds overlap, as they do under real latency. (Change feeds are not
    // polled in tests, test/support/app.ts: a poll round of both processes, sixteen feed reads,
    // once landed in the window and was counted as the stampede's.)
    app = await startTestApp({ customers: 60, seed: 11 });
    replica = await startReplica(app);
  });
  afterAll(async () => {
    await replica?.close();
    await app?.close();
  });

  const calls = (): number => {
    const sb = app.sandbox!;
    return sb.salesforce.requests.lastSeq + sb.stripe.requests.lastSeq + sb.zendesk.requests.lastSeq + sb.erp.proxy.requests.lastSeq;
  };
  const slow = (ms: number): void => {
    const sb = app.sandbox!;
    for (const f of [sb.stripe.faults, sb.salesforce.faults, sb.zendesk.faults, sb.erp.proxy.faults]) f.set({ latencyMs: ms });
  };

  it('costs the systems what one request costs when 40 requests on two replicas find the same records uncached', async () => {
    slow(50);
    try {
      // The minimum: one request alone on a cold cache.
      await app.services.cache.clear();
      const c0 = calls();
      expect((await post(app.url, QUERY)).errors ?? []).toEqual([]);
      const minimum = calls() - c0;
      expect(minimum).toBeGreaterThan(0);

      await app.services.cache.clear();
      const c1 = calls();
      const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => post(i % 2 === 0 ? app.url : replica.url, QUERY)));
      const stampede = calls() - c1;
      expect(stampede).toBeLessThanOrEqual(Math.ceil(minimum * 1.2));
      for (const a of answers) expect(a.errors ?? []).toEqual([]);
    } finally {
      slow(0);
    }
  });

  it('drops its near copy of a record when another replica invalidates it', async () => {
    const page = (await app.services.identity.list({ first: 1 })).edges[0]!.node.id;
    const q = `{ customer(id: "${page}") { name } }`;
    expect((await post(replica.url, q)).errors ?? []).toEqual([]); // the replica holds a copy now
    const c0 = calls();
    await post(replica.url, q);
    expect(calls()).toBe(c0);
    // The primary learns of a change (as from a webhook) and invalidates; the replica hears of it.
    await app.services.cache.invalidate([page]);
    let c1 = calls();
    for (let i = 0; i < 40 && c1 === c0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      await post(replica.url, q);
      c1 = calls();
    }
    expect(c1).toBeGreaterThan(c0);
  });
});

describe('a miss answered before its record is stored', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ customers: 10, seed: 13 });
  });
  afterAll(() => app?.close());

  it('answers once the record is built, and a request meanwhile joins the build instead of calling the systems again', async () => {
    const sb = app.sandbox!;
    const calls = (): number => sb.salesforce.requests.lastSeq + sb.stripe.requests.lastSeq + sb.zendesk.requests.lastSeq + sb.erp.proxy.requests.lastSeq;
    const cache = app.services.cache;
    const set = cache.set.bind(cache);
    // The cache's write held until the test lets it go: as a slow Redis would hold it.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let writes = 0;
    cache.set = async (entries, ttl) => {
      writes++;
      await gate;
      return set(entries, ttl);
    };
    try {
      const page = await app.services.identity.list({ first: 1 });
      const id = page.edges[0]!.node.id;
      const query = `{ customer(id: "${id}") { id name phone } }`;
      await cache.clear();
      const c0 = calls();
      const first = await post(app.url, query);
      expect(first.errors ?? []).toEqual([]);
      expect(writes).toBe(1); // its write began, and is still held
      const built = calls() - c0;
      expect(built).toBeGreaterThan(0);
      // While the write is held the build stays in flight: this request (another shape, so not
      // an answer the response cache holds) joins it.
      expect((await post(app.url, `{ customer(id: "${id}") { id email } }`)).errors ?? []).toEqual([]);
      expect(calls() - c0).toBe(built);
      release();
      await new Promise((r) => setTimeout(r, 50));
      // Stored now: answered from the cache, nothing called.
      expect((await post(app.url, `{ customer(id: "${id}") { id company } }`)).errors ?? []).toEqual([]);
      expect(calls() - c0).toBe(built);
      expect(writes).toBe(1);
    } finally {
      release();
      cache.set = set;
    }
  });

  it('hands the built record to its callers before the cache is written (storing copies it as JSON: not on the answer’s path)', async () => {
    const cache = app.services.cache;
    const set = cache.set.bind(cache);
    const order: string[] = [];
    cache.set = (entries, ttl) => {
      order.push('stored');
      return set(entries, ttl);
    };
    try {
      const page = await app.services.identity.list({ first: 2 });
      const id = page.edges[1]!.node.id;
      await cache.clear();
      const view = await createLoaders(app.services).golden.load(id);
      order.push('answered');
      expect(view?.fromCache).toBe(false);
      await new Promise((r) => setTimeout(r, 20));
      expect(order).toEqual(['answered', 'stored']);
      expect((await cache.get([id]))[0]?.record.id).toBe(id);
    } finally {
      cache.set = set;
    }
  });
});

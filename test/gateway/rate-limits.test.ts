// Issue 9, rate limits through the gateway: past MERIDIAN_RATE_LIMIT a caller gets 429
// RATE_LIMITED with Retry-After and nothing runs, over HTTP and WebSocket; a webhook sender has
// its own limit; two gateways on one Redis share the count. Rules of a few per minute: the
// tests never wait for a refill (that is pinned with an injected clock in rate-limit.test.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createClient } from 'graphql-ws';
import { bearer, countPageReads, startReplica, startTestApp, type TestApp } from '../support/app.ts';
import type { App } from '../../src/app.ts';
import { createClient as createRedisClient } from 'redis';
import { DEFAULT_RATE_KEY_PREFIX } from '../../src/limits/rate-limit.ts';
import { rateLimited } from '../../src/observability/metrics.ts';

const denials = async (scope: string): Promise<number> => (await rateLimited.get()).values.find((v) => v.labels['scope'] === scope)?.value ?? 0;

const post = async (url: string, query = '{ customers(first: 1) { totalCount } }', headers: Record<string, string> = {}) => {
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query }) });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] } };
};

describe('rate limits in one gateway (in memory), anonymous callers counted by address', () => {
  let app: TestApp;
  let pageReads: () => number = () => 0;
  beforeAll(async () => {
    // REDIS_URL empty: this gateway counts in memory. MERIDIAN_AUTH=off: every caller is anonymous.
    app = await startTestApp({
      customers: 20,
      seed: 10,
      env: { REDIS_URL: '', MERIDIAN_AUTH: 'off', MERIDIAN_RATE_LIMIT: '3/min', MERIDIAN_WEBHOOK_RATE_LIMIT: '2/min', MERIDIAN_TRUSTED_PROXIES: '127.0.0.1' },
    });
    pageReads = countPageReads(app);
  });
  afterAll(() => app?.close());

  it('answers 429 RATE_LIMITED with Retry-After past the limit, without executing, over HTTP and WebSocket', async () => {
    for (let i = 0; i < 3; i++) expect((await post(app.url)).status).toBe(200);
    const before = pageReads();
    const counted = await denials('request');
    const refused = await post(app.url);
    expect(refused.status).toBe(429);
    // 3 per minute: the next one in 20 s at most (less the time the three took).
    const wait = Number(refused.retryAfter);
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(20);
    expect(refused.body.data).toBeUndefined();
    expect(refused.body.errors).toEqual([
      { message: `Too many requests from this address; retry after ${wait} s (MERIDIAN_RATE_LIMIT). Nothing was executed.`, extensions: { code: 'RATE_LIMITED', retryAfter: wait } },
    ]);
    expect(pageReads()).toBe(before);
    expect(await denials('request')).toBe(counted + 1);

    const client = createClient({ url: app.url.replace('http', 'ws') + '/graphql', webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
    try {
      const errors = await new Promise<readonly { extensions?: Record<string, unknown> }[]>((resolve) => {
        client.subscribe({ query: '{ customers(first: 1) { totalCount } }' }, { next: () => undefined, error: (e) => resolve(e as never), complete: () => resolve([]) });
      });
      expect(errors[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED' });
      expect(pageReads()).toBe(before);
    } finally {
      await client.dispose();
    }
  });

  it('counts the clients behind a trusted proxy apart, by the address it forwards', async () => {
    const via = (client: string) =>
      fetch(`${app.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': client }, body: JSON.stringify({ query: '{ ok }' }) }).then((r) => r.status);
    // The loopback address (the "proxy" here) has spent its own three.
    expect((await post(app.url)).status).toBe(429);
    expect([await via('203.0.113.7'), await via('203.0.113.7'), await via('203.0.113.7'), await via('203.0.113.7')]).toEqual([200, 200, 200, 429]);
    expect(await via('203.0.113.8')).toBe(200);
  });

  it('limits each webhook sender on its own, before reading the notification', async () => {
    const hook = (system: string) => fetch(`${app.url}/webhooks/${system}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    // Unsigned: refused by the intake, yet counted against the sender.
    expect((await hook('stripe')).status).not.toBe(429);
    expect((await hook('stripe')).status).not.toBe(429);
    const refused = await hook('stripe');
    expect(refused.status).toBe(429);
    const wait = Number(refused.headers.get('retry-after'));
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(30);
    expect(await refused.json()).toEqual({ error: `Too many requests to /webhooks/stripe from this sender; retry after ${wait} s (MERIDIAN_WEBHOOK_RATE_LIMIT). Nothing was executed.`, code: 'RATE_LIMITED', retryAfter: wait });
    // Another system's endpoint counts apart.
    expect((await hook('zendesk')).status).not.toBe(429);
  });
});

describe('failed authentications, counted per address', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ customers: 20, seed: 12, env: { REDIS_URL: '', MERIDIAN_AUTH_FAILURE_RATE_LIMIT: '3/min', MERIDIAN_TRUSTED_PROXIES: '127.0.0.1' } });
  });
  afterAll(() => app?.close());

  it('refuses an address that keeps failing before its credentials are looked up, over HTTP and WebSocket; other addresses go on', async () => {
    const as = (client: string, key: string) => post(app.url, '{ customers(first: 1) { totalCount } }', { 'x-forwarded-for': client, authorization: `Bearer ${key}` });
    const bad = 'mrd_not-a-key-0123456789';
    // Three wrong keys are answered 401 as ever; the fourth is over the limit.
    for (let i = 0; i < 3; i++) expect((await as('198.51.100.4', bad)).status).toBe(401);
    const refused = await as('198.51.100.4', bad);
    expect(refused.status).toBe(429);
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED' });
    expect(refused.body.errors?.[0]?.message).toContain('MERIDIAN_AUTH_FAILURE_RATE_LIMIT');
    // Blocked before the credentials are read: even a good key from that address waits.
    const good = bearer().authorization.slice('Bearer '.length);
    expect((await as('198.51.100.4', good)).status).toBe(429);
    // Another address is not affected, wrong or right.
    expect((await as('198.51.100.5', bad)).status).toBe(401);
    expect((await as('198.51.100.5', good)).status).toBe(200);

    // A WebSocket from the blocked address is closed before connection_init is checked.
    const closed = await new Promise<number>((resolve) => {
      const ws = new WebSocket(app.url.replace('http', 'ws') + '/graphql', 'graphql-transport-ws', { headers: { 'x-forwarded-for': '198.51.100.4' } });
      ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${good}` } })));
      ws.on('close', (code) => resolve(code));
    });
    expect(closed).toBe(1013);
  });
});

describe.skipIf(!process.env['DATABASE_URL'] || !process.env['REDIS_URL'])('rate limits across two gateways on one Redis, callers counted by key', () => {
  let primary: TestApp;
  let replica: App;
  beforeAll(async () => {
    // A rule of its own: counts are kept per rule, so other suites on this Redis do not share them;
    // what an earlier run of this suite left (its keys live a minute) is removed first.
    const admin = createRedisClient({ url: process.env['REDIS_URL'] ?? '' });
    await admin.connect();
    for await (const keys of admin.scanIterator({ MATCH: `${DEFAULT_RATE_KEY_PREFIX}*|4/60000` })) if (keys.length > 0) await admin.del(keys);
    await admin.close();
    primary = await startTestApp({ customers: 20, seed: 11, env: { MERIDIAN_RATE_LIMIT: '4/min' } });
    replica = await startReplica(primary, { MERIDIAN_RATE_LIMIT: '4/min' });
  });
  afterAll(async () => {
    await replica?.close();
    await primary?.close();
  });

  it('counts a key’s requests to either gateway against one limit, and another key apart', async () => {
    const admin = bearer('admin');
    expect((await post(primary.url, undefined, admin)).status).toBe(200);
    expect((await post(replica.url, undefined, admin)).status).toBe(200);
    expect((await post(primary.url, undefined, admin)).status).toBe(200);
    expect((await post(replica.url, undefined, admin)).status).toBe(200);
    const refused = await post(replica.url, undefined, admin);
    expect(refused.status).toBe(429);
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED' });
    expect(refused.body.errors?.[0]?.message).toMatch(/^Too many requests for env-key-[0-9a-f]{12}; retry after \d+ s \(MERIDIAN_RATE_LIMIT\)/);
    expect((await post(primary.url, undefined, admin)).status).toBe(429);
    expect((await post(primary.url, undefined, bearer('reader'))).status).toBe(200);
  });
});

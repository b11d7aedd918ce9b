// GET /metrics (issue 9, Operations): protected, Prometheus text, and the series an operator
// watches move with what the gateway did. Upstream calls are counted at the emulators too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { parseMetrics, sum, type Sample } from '../support/metrics.ts';

const TOKEN = 'metrics-test-token';

describe('/metrics', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({
      customers: 60,
      seed: 21,
      env: { MERIDIAN_RESPONSE_CACHE: 'on', MERIDIAN_BREAKER_COOLDOWN_MS: '60000' },
      app: { authorizeMetrics: (headers) => headers.authorization === `Bearer ${TOKEN}` },
    });
  });
  afterAll(() => app?.close());

  const scrape = async (): Promise<Sample[]> => {
    const res = await fetch(`${app.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    return parseMetrics(await res.text());
  };
  const emulatorCalls = () => {
    const sb = app.sandbox!;
    return { salesforce: sb.salesforce.requests.lastSeq, stripe: sb.stripe.requests.lastSeq, zendesk: sb.zendesk.requests.lastSeq, erp: sb.erp.proxy.requests.lastSeq };
  };

  it('refuses a scrape without the credentials authorizeMetrics accepts', async () => {
    const none = await fetch(`${app.url}/metrics`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await none.text()).not.toContain('meridian_');
    const wrong = await fetch(`${app.url}/metrics`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    const ok = await fetch(`${app.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it('counts every call to a system as the emulators do, with batch sizes, cache hits and misses', async () => {
    await app.services.cache.clear();
    const q = '{ customers(first: 8) { edges { node { id name email lifecycle accountingStatus paymentStatus } } } }';
    const before = await scrape();
    const calls0 = emulatorCalls();
    const first = await app.gql(q);
    expect(first.errors).toEqual([]);
    const calls1 = emulatorCalls();
    const afterFirst = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}, from = before, to = afterFirst) => sum(to, name, labels) - sum(from, name, labels);

    // Salesforce, Zendesk and the ERP answer a batch in one request (SOQL IN, show_many, one
    // SELECT); Stripe has no batch retrieve: one request per id of the batch.
    for (const system of ['salesforce', 'zendesk', 'erp'] as const) {
      expect(delta('meridian_upstream_call_duration_seconds_count', { system }), system).toBe(calls1[system] - calls0[system]);
      expect(calls1[system] - calls0[system], system).toBeGreaterThan(0);
    }
    expect(delta('meridian_upstream_call_duration_seconds_count', { system: 'stripe', operation: 'accounts', outcome: 'ok' })).toBe(1);
    expect(delta('meridian_dataloader_batch_size_sum', { loader: 'stripe.accounts' })).toBe(calls1.stripe - calls0.stripe);
    expect(delta('meridian_upstream_errors_total')).toBe(0);
    // The golden records were built: one miss per customer, batched.
    expect(delta('meridian_cache_requests_total', { cache: 'golden', result: 'miss' })).toBeGreaterThanOrEqual(8);
    expect(delta('meridian_dataloader_batch_size_count', { loader: 'golden' })).toBeGreaterThanOrEqual(1);
    expect(delta('meridian_dataloader_batch_size_sum', { loader: 'golden' })).toBe(8);

    // One of them by id, twice: built from the cached golden record, then answered from the
    // response cache; no system called either time.
    const id = (first.data as { customers: { edges: { node: { id: string } }[] } }).customers.edges[0]!.node.id;
    const one = `{ customer(id: "${id}") { id name email } }`;
    expect((await app.gql(one)).errors).toEqual([]);
    expect((await app.gql(one)).errors).toEqual([]);
    const afterById = await scrape();
    expect(emulatorCalls()).toEqual(calls1);
    expect(delta('meridian_cache_requests_total', { cache: 'golden', result: 'hit' }, afterFirst, afterById)).toBe(1);
    expect(delta('meridian_cache_requests_total', { cache: 'response', result: 'miss' }, afterFirst, afterById)).toBe(1);
    expect(delta('meridian_cache_requests_total', { cache: 'response', result: 'hit' }, afterFirst, afterById)).toBe(1);
    expect(delta('meridian_upstream_call_duration_seconds_count', {}, afterFirst, afterById)).toBe(0);
  });

  it('reports the review backlog by kind, webhook rejects by reason, rate-limit denials and process metrics', async () => {
    const before = await scrape();
    const open = (await app.services.reviews.list({ first: 1 })).totalCount;
    expect(sum(before, 'meridian_review_backlog', { kind: 'POSSIBLE_DUPLICATE' })).toBe(open);
    // Every kind is listed, with 0 when none is open: a missing series and an empty queue differ.
    expect(before.some((x) => x.name === 'meridian_review_backlog' && x.labels['kind'] === 'POSSIBLE_DUPLICATE')).toBe(true);

    const badSignature = await fetch(`${app.url}/webhooks/stripe`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=00' }, body: '{}' });
    expect(badSignature.status).toBe(400);
    const noRoute = await fetch(`${app.url}/webhooks/nosuchsystem`, { method: 'POST', body: '{}' });
    expect(noRoute.status).toBe(404);
    const after = await scrape();
    expect(sum(after, 'meridian_webhook_rejected_total', { system: 'stripe', reason: 'signature' }) - sum(before, 'meridian_webhook_rejected_total', { system: 'stripe', reason: 'signature' })).toBe(1);
    expect(sum(after, 'meridian_webhook_rejected_total', { system: 'unknown', reason: 'no_route' }) - sum(before, 'meridian_webhook_rejected_total', { system: 'unknown', reason: 'no_route' })).toBe(1);
    expect(after.some((x) => x.labels['system'] === 'nosuchsystem')).toBe(false);

    const text = await (await fetch(`${app.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    expect(text).toContain('# TYPE meridian_rate_limited_total counter');
    expect(sum(after, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(sum(after, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    for (const system of ['salesforce', 'stripe', 'zendesk', 'erp']) {
      expect(sum(after, 'meridian_circuit_breaker_state', { system, state: 'closed' }), system).toBe(1);
    }
  });

  it('counts requests refused by a limit by code and where it was checked, with nothing upstream', async () => {
    const before = await scrape();
    const calls0 = emulatorCalls();
    // The reproduction: 1,000 aliases of a hundred customers each.
    const bomb = `{ ${Array.from({ length: 1000 }, (_, i) => `a${i}: customers(first: 100) { edges { node { id name email } } }`).join(' ')} }`;
    const refused = await app.gql(bomb);
    expect(refused.errors.map((e) => e.extensions?.['code'])).toEqual(['COST_LIMIT_EXCEEDED']);
    const deep = await app.gql('query($v: JSON) { customers(first: 1) { totalCount } }', { v: JSON.parse('['.repeat(200) + ']'.repeat(200)) as unknown });
    expect(deep.errors.map((e) => e.extensions?.['code'])).toEqual(['VARIABLES_TOO_DEEP']);
    const after = await scrape();
    const delta = (labels: Record<string, string>) => sum(after, 'meridian_limit_refusals_total', labels) - sum(before, 'meridian_limit_refusals_total', labels);
    expect(delta({ code: 'COST_LIMIT_EXCEEDED', scope: 'operation' })).toBe(1);
    expect(delta({ code: 'VARIABLES_TOO_DEEP' })).toBe(1);
    expect(delta({})).toBe(2);
    expect(emulatorCalls()).toEqual(calls0);
  });

  // Last: it leaves Stripe's circuit open.
  it('counts failed calls by code, then the open circuit: its state and the calls it refused', async () => {
    const stripe = app.sandbox!.stripe;
    const before = await scrape();
    const calls0 = stripe.requests.lastSeq;
    stripe.faults.set({ outage: 'http' });
    try {
      for (let i = 0; i < 6; i++) {
        const r = await app.gql(`{ customerBySource(system: STRIPE, externalId: "cus_Outage${String(i).padStart(10, '0')}") { id } }`);
        expect(r.errors[0]?.extensions).toMatchObject({ code: 'SOURCE_UNAVAILABLE', system: 'STRIPE' });
      }
    } finally {
      stripe.faults.reset();
    }
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>) => sum(after, name, labels) - sum(before, name, labels);
    const failedAtStripe = stripe.requests.lastSeq - calls0;
    // Five consecutive failures open the circuit; the sixth lookup is refused without a call.
    expect(failedAtStripe).toBe(5);
    expect(delta('meridian_upstream_call_duration_seconds_count', { system: 'stripe', outcome: 'error' })).toBe(failedAtStripe);
    expect(delta('meridian_upstream_errors_total', { system: 'stripe', code: 'SOURCE_UNAVAILABLE' })).toBe(failedAtStripe);
    expect(delta('meridian_upstream_errors_total', { system: 'stripe', code: 'CIRCUIT_OPEN' })).toBe(1);
    expect(sum(after, 'meridian_circuit_breaker_state', { system: 'stripe', state: 'open' })).toBe(1);
    expect(sum(after, 'meridian_circuit_breaker_state', { system: 'stripe', state: 'closed' })).toBe(0);
  });
});

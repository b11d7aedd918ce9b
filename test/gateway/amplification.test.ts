// Issue 8 item 8: one request must not multiply upstream calls. Identical lookups are made
// once, a NOT_FOUND is remembered briefly, the same page of customers is read once, and each
// request has a budget of source lookups. Calls are counted at the emulators.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';

const BUDGET = 300;
const aliases = (n: number, field: (i: number) => string): string => `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field(i)}`).join(' ')} }`;

describe('call amplification', () => {
  let app: TestApp;
  beforeAll(async () => {
    // These pin the run-time backstop behind the up-front limits (limits.test.ts), with the very
    // queries those limits refuse: the operation limits are raised out of their way here.
    app = await startTestApp({
      customers: 60,
      seed: 8,
      env: { MERIDIAN_REQUEST_UPSTREAM_BUDGET: String(BUDGET), MERIDIAN_MAX_ALIASES: '1000', MERIDIAN_MAX_COST: '1000000' },
    });
  });
  afterAll(() => app?.close());
  beforeEach(() => app.services.cache.clear());

  const allCalls = (): number => {
    const sb = app.sandbox!;
    return sb.salesforce.requests.lastSeq + sb.stripe.requests.lastSeq + sb.zendesk.requests.lastSeq + sb.erp.proxy.requests.lastSeq;
  };

  it('reads a missing Stripe customer once per request however many aliases ask, and not again for a few seconds', async () => {
    const stripe = app.sandbox!.stripe.requests;
    const q = aliases(1_000, () => 'customerBySource(system: STRIPE, externalId: "cus_NoSuchCustomer0001") { id }');
    const before = stripe.lastSeq;
    const r = await app.gql(q);
    expect(r.errors).toHaveLength(1_000);
    expect(r.errors.every((e) => e.extensions?.['code'] === 'NOT_FOUND')).toBe(true);
    expect(stripe.lastSeq - before).toBe(1);
    // The same lookup again, within the NOT_FOUND memory: no call at all.
    await app.gql(q);
    expect(stripe.lastSeq - before).toBe(1);
  });

  it('stops at the request’s lookup budget: lookups beyond it fail with RATE_LIMITED naming the budget, without calling', async () => {
    const stripe = app.sandbox!.stripe.requests;
    const tag = Math.random().toString(36).slice(2, 8);
    const q = aliases(400, (i) => `customerBySource(system: STRIPE, externalId: "cus_${tag}${String(i).padStart(6, '0')}") { id }`);
    const before = stripe.lastSeq;
    const r = await app.gql(q);
    expect(stripe.lastSeq - before).toBeLessThanOrEqual(BUDGET);
    const limited = r.errors.filter((e) => e.extensions?.['code'] === 'RATE_LIMITED');
    expect(limited.length).toBeGreaterThanOrEqual(400 - BUDGET);
    expect(limited[0]!.message).toMatch(/budget of 300 source lookups \(MERIDIAN_REQUEST_UPSTREAM_BUDGET\)/);
    expect(limited[0]!.extensions).toMatchObject({ system: 'STRIPE', budget: BUDGET });
  });

  it('stops a timed-out batch from calling on in the background', async () => {
    const stripe = app.sandbox!.stripe;
    const tag = Math.random().toString(36).slice(2, 8);
    // 100 distinct ids, 8 at a time, 600 ms each: about 32 calls fit in the 2 s deadline.
    const q = aliases(100, (i) => `customerBySource(system: STRIPE, externalId: "cus_${tag}t${String(i).padStart(5, '0')}") { id }`);
    stripe.faults.set({ latencyMs: 600 });
    try {
      const before = stripe.requests.lastSeq;
      const r = await app.gql(q);
      expect(r.errors[0]?.extensions).toMatchObject({ code: 'SOURCE_UNAVAILABLE', system: 'STRIPE' });
      // Long enough for four more rounds of 8 had the batch gone on.
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      expect(stripe.requests.lastSeq - before).toBeLessThanOrEqual(40);
    } finally {
      stripe.faults.reset();
    }
  });

  it('reads the same page of customers once per request whatever the number of aliases asking for it', async () => {
    const page = aliases(1, () => 'customers(first: 20) { edges { node { id name email } } }');
    const many = aliases(5, () => 'customers(first: 20) { edges { node { id name email } } }');
    const identity = app.services.identity;
    const list = identity.list.bind(identity);
    let lists = 0;
    identity.list = (o) => {
      lists += 1;
      return list(o);
    };
    try {
      const c0 = allCalls();
      const one = await app.gql<Record<string, unknown>>(page);
      const single = allCalls() - c0;
      expect(one.errors).toEqual([]);
      await app.services.cache.clear();
      lists = 0;
      const c1 = allCalls();
      const r = await app.gql<Record<string, unknown>>(many);
      expect(r.errors).toEqual([]);
      expect(lists).toBe(1);
      expect(allCalls() - c1).toBe(single);
      expect(r.data!['a4']).toEqual(one.data!['a0']);
    } finally {
      identity.list = list;
    }
  });

  it('counts every customer served against the budget, so a thousand aliases of a page cannot multiply the answer', async () => {
    const r = await app.gql<Record<string, unknown>>(aliases(1_000, () => 'customers(first: 20) { edges { node { id name email } } }'));
    const served = Object.values(r.data ?? {}).filter((v) => v !== null).length;
    // 300 lookups buy at most 15 pages of 20 (fewer once the records' own reads are counted);
    // customers is non-null, so the refusal nulls the whole answer rather than building it.
    expect(served).toBeLessThanOrEqual(BUDGET / 20);
    expect(r.errors[0]!.extensions).toMatchObject({ code: 'RATE_LIMITED', budget: BUDGET });
    expect(r.errors[0]!.message).toMatch(/this page of customers was not served/);
  });
});

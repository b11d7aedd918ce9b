// Issue 8 item 10: one deadline per system per request, failures named for what happened (no
// hidden retry loop), and a Retry-After that the breaker honours. Calls are counted at the
// emulators (their sequence number moves when a request arrives), never timed.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { createRequestLimits } from '../../src/gateway/request-limits.ts';
import { createManualClock } from '../../src/resilience/clock.ts';
import type { TruthCustomer } from '../../src/sandbox/world/types.ts';

interface Err {
  message: string;
  path?: (string | number)[];
  extensions?: Record<string, unknown>;
}

describe('request deadlines', () => {
  it('counts the time a request waits on each system: a later call gets only what is left, a quick system keeps its time', () => {
    const clock = createManualClock(0);
    const limits = createRequestLimits({ timeoutMs: 300, clock });
    expect(limits.timeLeft('stripe')).toBe(300);
    const first = limits.begin('stripe');
    const erp = limits.begin('erp');
    clock.advance(20);
    erp(); // the ERP answered at once
    clock.advance(230);
    first(); // Stripe took 250 ms
    clock.advance(1_000); // time spent elsewhere (another system, merging) is not Stripe's
    expect(limits.timeLeft('stripe')).toBe(50);
    expect(limits.timeLeft('erp')).toBe(280);
    expect(limits.timeLeft('zendesk')).toBe(300);
    // Overlapping calls to one system count their span once.
    const a = limits.begin('stripe');
    const b = limits.begin('stripe');
    clock.advance(40);
    a();
    b();
    expect(limits.timeLeft('stripe')).toBe(10);
  });
});

describe('slow and failing systems within one request', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ customers: 60, seed: 5, env: { MERIDIAN_SOURCE_TIMEOUT_MS: '300', MERIDIAN_BREAKER_COOLDOWN_MS: '60000' } });
  });
  afterAll(() => app?.close());
  beforeEach(async () => {
    const sb = app.sandbox!;
    for (const f of [sb.stripe.faults, sb.salesforce.faults, sb.zendesk.faults, sb.erp.proxy.faults]) f.reset();
    await app.services.cache.clear();
  });

  const linkedTo = (system: string, n = 0): TruthCustomer =>
    app.sandbox!.world.truth.filter((t) => t.records.some((r) => r.system === system) && t.records.some((r) => r.system === 'erp'))[n]!;

  async function goldenIdOf(t: TruthCustomer): Promise<string> {
    const erpId = t.records.find((r) => r.system === 'erp')!.id;
    const r = await app.gql<{ customerBySource: { id: string } }>('query($id: ID!) { customerBySource(system: ERP, externalId: $id) { id } }', { id: erpId });
    return r.data!.customerBySource.id;
  }

  it('spends one deadline on a slow system per request: the related list after the golden record is not called once it has passed', async () => {
    const sb = app.sandbox!;
    const id = await goldenIdOf(linkedTo('stripe'));
    await app.services.cache.clear();
    sb.stripe.faults.set({ latencyMs: 3_000 });
    const before = sb.stripe.requests.lastSeq;
    const r = await app.gql<{ customer: { phone: string | null; subscriptions: unknown } }>('query($id: ID!) { customer(id: $id) { phone subscriptions { totalCount } } }', { id });
    // One Stripe call (the customer retrieve) ran out the request's 300 ms; the subscriptions
    // list, which needs the golden record first, found the deadline spent and was not sent.
    expect(sb.stripe.requests.lastSeq - before).toBe(1);
    const subs = (r.errors as Err[]).find((e) => e.path?.join('.') === 'customer.subscriptions');
    expect(subs?.extensions).toMatchObject({ code: 'SOURCE_UNAVAILABLE', system: 'STRIPE' });
    expect(subs?.message).toMatch(/already waited its 300 ms deadline on this system; not called/);
  });

  it('says what Salesforce answered (503) after one call, instead of retrying until the deadline', async () => {
    const sb = app.sandbox!;
    const id = await goldenIdOf(linkedTo('salesforce'));
    await app.services.cache.clear();
    sb.salesforce.faults.set({ outage: 'http' });
    const before = sb.salesforce.requests.lastSeq;
    const r = await app.gql('query($id: ID!) { customer(id: $id) { name opportunities { totalCount } } }', { id });
    const errors = r.errors as Err[];
    const sf = errors.filter((e) => e.extensions?.['system'] === 'SALESFORCE');
    expect(sf.length).toBeGreaterThan(0);
    for (const e of sf) {
      expect(e.message).toMatch(/SALESFORCE is unavailable: answered HTTP 503$/);
      expect(e.message).not.toMatch(/no answer within/);
    }
    // The account query and the opportunities query: one call each, no retries.
    expect(sb.salesforce.requests.lastSeq - before).toBeLessThanOrEqual(2);
  });

  it('says the connection was reset when Salesforce drops it, after one call', async () => {
    const sb = app.sandbox!;
    const id = await goldenIdOf(linkedTo('salesforce', 1));
    await app.services.cache.clear();
    sb.salesforce.faults.set({ outage: 'reset' });
    const before = sb.salesforce.requests.lastSeq;
    const r = await app.gql('query($id: ID!) { customer(id: $id) { industry accountOwner { name } } }', { id });
    const sf = (r.errors as Err[]).filter((e) => e.extensions?.['system'] === 'SALESFORCE');
    expect(sf.length).toBeGreaterThan(0);
    for (const e of sf) expect(e.message).toMatch(/salesforce: connection reset before an answer/);
    expect(sb.salesforce.requests.lastSeq - before).toBe(1);
  });

  // Last: the breaker stays open for the Retry-After, longer than this file runs.
  it('keeps the breaker open for the Retry-After a rate-limited system sent, without calling it again', async () => {
    const sb = app.sandbox!;
    const ids = await Promise.all([goldenIdOf(linkedTo('stripe', 2)), goldenIdOf(linkedTo('stripe', 3))]);
    await app.services.cache.clear();
    sb.stripe.faults.set({ rateLimitRate: 1, retryAfterSeconds: 120 });
    const before = sb.stripe.requests.lastSeq;
    const first = await app.gql('query($id: ID!) { customer(id: $id) { paymentStatus } }', { id: ids[0] });
    expect((first.errors as Err[])[0]?.extensions).toMatchObject({ system: 'STRIPE' });
    expect(sb.stripe.requests.lastSeq - before).toBe(1);
    expect(app.services.sources.stripe!.breaker.state()).toBe('open');
    // Stripe is fine again, but asked for 120 s: the next request does not call it.
    sb.stripe.faults.reset();
    const second = await app.gql('query($id: ID!) { customer(id: $id) { paymentStatus } }', { id: ids[1] });
    expect((second.errors as Err[])[0]?.message).toMatch(/circuit open/);
    expect(sb.stripe.requests.lastSeq - before).toBe(1);
  });
});

// What happens around the read path: a source down or slow, the circuit breaker, the
// golden-record cache and its invalidation when a source record changes.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Connection } from 'jsforce';
import { drainSync, startTestApp, type TestApp } from '../support/app.ts';
import type { TruthCustomer } from '../../src/sandbox/world/types.ts';

interface Err {
  message: string;
  path?: (string | number)[];
  extensions?: Record<string, unknown>;
}

describe('resilience and cache', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ customers: 120, seed: 9, env: { MERIDIAN_SOURCE_TIMEOUT_MS: '400', MERIDIAN_BREAKER_COOLDOWN_MS: '800' } });
  });
  afterAll(() => app?.close());
  afterEach(async () => {
    const sb = app.sandbox!;
    sb.stripe.faults.reset();
    sb.salesforce.faults.reset();
    sb.zendesk.faults.reset();
    sb.erp.proxy.faults.reset();
    await app.services.cache.clear();
  });

  const withAll = (): TruthCustomer[] =>
    app.sandbox!.world.truth.filter((t) => (['salesforce', 'stripe', 'zendesk', 'erp'] as const).every((s) => t.records.some((r) => r.system === s)));

  async function goldenIdOf(t: TruthCustomer): Promise<string> {
    const erpId = t.records.find((r) => r.system === 'erp')!.id;
    const r = await app.gql<{ customerBySource: { id: string } }>('query($id: ID!) { customerBySource(system: ERP, externalId: $id) { id } }', { id: erpId });
    return r.data!.customerBySource.id;
  }

  it('answers with partial data and SOURCE_UNAVAILABLE when one source hangs, within the source timeout', async () => {
    const id = await goldenIdOf(withAll()[0]!);
    app.sandbox!.stripe.faults.set({ outage: 'hang' });
    const t0 = performance.now();
    const r = await app.gql<{ customer: { id: string; accountingStatus: string | null; paymentStatus: string | null; subscriptions: unknown; contracts: { totalCount: number } | null } }>(
      'query($id: ID!) { customer(id: $id) { id accountingStatus paymentStatus subscriptions { totalCount } contracts { totalCount } } }',
      { id },
    );
    const elapsed = performance.now() - t0;
    expect(r.status).toBe(200);
    expect(r.data!.customer.id).toBe(id);
    // ERP-fed data is there; Stripe-fed data is null with an error naming Stripe.
    expect(r.data!.customer.accountingStatus).not.toBeNull();
    expect(r.data!.customer.contracts!.totalCount).toBeGreaterThan(0);
    expect(r.data!.customer.paymentStatus).toBeNull();
    expect(r.data!.customer.subscriptions).toBeNull();
    const errors = r.errors as Err[];
    expect(errors.map((e) => e.path?.join('.'))).toEqual(expect.arrayContaining(['customer.paymentStatus', 'customer.subscriptions']));
    for (const e of errors) expect(e.extensions).toMatchObject({ code: 'SOURCE_UNAVAILABLE', system: 'STRIPE' });
    expect(errors[0]!.message).toMatch(/no answer within 400 ms/);
    // Bounded by the source timeout, not by the hung source (generous margin for a loaded CI box).
    expect(elapsed).toBeLessThan(400 * 10);
  });

  it('stops calling a source that keeps failing, then tries it again after the cooldown', async () => {
    const sb = app.sandbox!;
    const ids = await Promise.all(withAll().slice(0, 8).map(goldenIdOf));
    sb.erp.proxy.faults.set({ errorRate: 1 });
    sb.erp.proxy.requests.clear();
    for (const id of ids) {
      await app.services.cache.clear();
      const r = await app.gql('query($id: ID!) { customer(id: $id) { accountingStatus } }', { id });
      expect((r.errors as Err[])[0]?.extensions).toMatchObject({ code: 'SOURCE_UNAVAILABLE', system: 'ERP' });
    }
    // The breaker opened after 5 consecutive failures: later requests never reached the ERP.
    expect(sb.erp.proxy.requests.list().filter((x) => x.fault === 'error')).toHaveLength(5);
    expect(app.services.sources.erp!.breaker.state()).toBe('open');

    // After the cooldown one probe goes through; the ERP answers again, so the circuit closes.
    sb.erp.proxy.faults.reset();
    await new Promise((r) => setTimeout(r, 900));
    await app.services.cache.clear();
    const again = await app.gql<{ customer: { accountingStatus: string | null } }>('query($id: ID!) { customer(id: $id) { accountingStatus } }', { id: ids[0] });
    expect(again.errors).toEqual([]);
    expect(again.data!.customer.accountingStatus).not.toBeNull();
    expect(app.services.sources.erp!.breaker.state()).toBe('closed');
  });

  it('serves later reads from the caches without calling any source', async () => {
    const sb = app.sandbox!;
    const id = await goldenIdOf(withAll()[1]!);
    await app.services.cache.clear();
    const q = 'query($id: ID!) { customer(id: $id) { name email phone contractValue { amount } lineage { field source } } }';
    const first = await app.gql(q, { id });
    expect(first.errors).toEqual([]);
    const seqs = (): number[] => [sb.salesforce.requests.lastSeq, sb.stripe.requests.lastSeq, sb.zendesk.requests.lastSeq, sb.erp.proxy.requests.lastSeq];
    const before = seqs();
    const goldenHits = app.services.cache.stats().hits;
    // Another selection of the same customer: executed again, from the cached golden record.
    const other = await app.gql<{ customer: { name: string } }>('query($id: ID!) { customer(id: $id) { name conflicts { field } } }', { id });
    expect(other.data!.customer.name).toBe((first.data as { customer: { name: string } }).customer.name);
    expect(app.services.cache.stats().hits).toBeGreaterThan(goldenHits);
    // The same query again: answered whole from the response cache.
    const second = await app.gql(q, { id });
    expect(second.data).toEqual(first.data);
    expect(seqs()).toEqual(before);
  });

  it('reads related records live on every request: they are never answered from a cache', async () => {
    const sb = app.sandbox!;
    const id = await goldenIdOf(withAll()[2]!);
    const q = 'query($id: ID!) { customer(id: $id) { name contracts { totalCount } } }';
    await app.gql(q, { id });
    const before = sb.erp.proxy.requests.lastSeq;
    const again = await app.gql<{ customer: { contracts: { totalCount: number } } }>(q, { id });
    expect(again.errors).toEqual([]);
    expect(sb.erp.proxy.requests.lastSeq).toBeGreaterThan(before);
  });

  it('invalidates the cached record when the source changes it, through the system’s own notification', async () => {
    const sb = app.sandbox!;
    const t = withAll().find((c) => c.records.filter((r) => r.system === 'salesforce').length === 1)!;
    const id = await goldenIdOf(t);
    const q = 'query($id: ID!) { customer(id: $id) { phone } }';
    await app.gql(q, { id }); // cached now
    const conn = new Connection({ instanceUrl: sb.salesforce.credentials.instanceUrl, accessToken: sb.salesforce.credentials.accessToken, version: '59.0' });
    const accountId = t.records.find((r) => r.system === 'salesforce')!.id;
    await conn.sobject('Account').update({ Id: accountId, Phone: '(212) 555-0147' });
    await sb.salesforce.notifier!.idle();
    // The notification is stored and queued; the sync worker invalidates.
    await drainSync(app);
    const r = await app.gql<{ customer: { phone: string } }>(q, { id });
    // Salesforce's change is the newest, so the most-recent rule picks it up.
    expect(r.data!.customer.phone).toBe('+12125550147');
  });

  it('refuses notifications with a bad signature and changes nothing', async () => {
    const res = await fetch(`${app.url}/webhooks/stripe`, { method: 'POST', headers: { 'stripe-signature': 't=1,v1=deadbeef', 'content-type': 'application/json' }, body: '{"id":"evt_1"}' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/signature/i);
    const zd = await fetch(`${app.url}/webhooks/zendesk`, { method: 'POST', body: '{}' });
    expect(zd.status).toBe(401);
    const sf = await fetch(`${app.url}/webhooks/salesforce`, { method: 'POST', body: '<not-soap/>' });
    expect(sf.status).toBe(400);
  });
});

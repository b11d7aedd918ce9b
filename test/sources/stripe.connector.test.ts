// The Stripe connector against the sandbox's Stripe emulator through the real stripe-node
// client built from sandbox.env(): records and derived values checked against the generated
// world, upstream calls counted by the emulator, faults injected by it.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type Stripe from 'stripe';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.ts';
import { readSystemSettings } from '../../src/config/systems.ts';
import { createStripeClient } from '../../src/sources/stripe/client.ts';
import { createStripeConnector } from '../../src/sources/stripe/index.ts';
import { InvalidSourceIdError, InvalidSourceRecordError, SourceRateLimitedError, SourceUnavailableError } from '../../src/sources/errors.ts';
import { moneyFromMinorUnits } from '../../src/sources/money.ts';
import type { SourceConnector, SourceRecord } from '../../src/sources/types.ts';
import type { StripeCustomer, StripeSubscription } from '../../src/sandbox/world/types.ts';
import type { RequestRecord } from '../../src/sandbox/kit/requests.ts';
import { uniqueSchema } from '../support/postgres.ts';

/** Most requests in flight at one moment, from the emulator's log (start = at − duration). */
function maxOverlap(records: readonly RequestRecord[]): number {
  const spans = records.map((r) => {
    const end = Date.parse(r.at);
    return { start: end - r.durationMs, end };
  });
  let best = 0;
  for (const s of spans) {
    // 2 ms of slack: `at` has millisecond precision, and a worker's next call starts right
    // after its previous answer.
    const t = s.start + 2;
    best = Math.max(best, spans.filter((o) => o.start <= t && t < o.end - 2).length);
  }
  return best;
}

describe('Stripe connector', () => {
  let sandbox: Sandbox;
  let stripe: Stripe;
  let connector: SourceConnector<'stripe'>;
  const erpSchema = uniqueSchema('erp_src');

  beforeAll(async () => {
    const databaseUrl = process.env['DATABASE_URL'];
    sandbox = await startSandbox({ customers: 200, seed: 5, ...(databaseUrl ? { databaseUrl, erpSchema } : {}) });
    stripe = createStripeClient(readSystemSettings(sandbox.env()).stripe!, { maxNetworkRetries: 0 });
    connector = createStripeConnector(stripe, { concurrency: 4 });
  });

  afterAll(async () => {
    await connector?.close();
    if (process.env['DATABASE_URL']) await sandbox?.erp.pool.query(`DROP SCHEMA IF EXISTS ${erpSchema} CASCADE`);
    await sandbox?.close();
  });

  beforeEach(() => {
    sandbox.stripe.faults.reset();
    sandbox.stripe.requests.clear();
  });

  const world = (): Sandbox['world'] => sandbox.world;
  const subsOf = (id: string): StripeSubscription[] => world().stripe.subscriptions.filter((s) => s.customer === id);
  /** Customers with at least one subscription and one charge, and their xrefs set, when possible. */
  const billed = (): StripeCustomer[] =>
    world().stripe.customers.filter((c) => subsOf(c.id).length > 0 && world().stripe.charges.some((ch) => ch.customer === c.id));

  it('loads customers in key order with their current subscriptions, null for unknown ids, an Error for malformed ones', async () => {
    const sample = billed().slice(0, 6);
    const withXref = world().stripe.customers.find(
      (c) => c.metadata['salesforce_account_id'] && c.metadata['erp_customer_number'] && !sample.some((s) => s.id === c.id),
    )!;
    expect(withXref).toBeDefined();
    const keys = [sample[0]!.id, 'cus_DoesNotExist000', 'not-a-customer', ...sample.slice(1).map((c) => c.id), withXref.id, sample[0]!.id];

    const out = await connector.loadAccounts(keys);

    expect(out).toHaveLength(keys.length);
    expect(out[1]).toBeNull();
    expect(out[2]).toBeInstanceOf(InvalidSourceIdError);
    const records = out.filter((r): r is SourceRecord => r !== null && !(r instanceof Error));
    expect(records.map((r) => r.id)).toEqual([sample[0]!.id, ...sample.slice(1).map((c) => c.id), withXref.id, sample[0]!.id]);

    for (const c of [...sample, withXref]) {
      const r = records.find((x) => x.id === c.id)!;
      expect(r).toMatchObject({ system: 'stripe', type: 'customer', deleted: false, updatedAt: new Date(c.created * 1000).toISOString() });
      expect(r.emails).toEqual(c.email ? [c.email.trim().toLowerCase()] : []);
      expect(r.data['email']).toBe(c.email);
      expect(r.data['metadata']).toEqual(c.metadata);
      // The expansion holds exactly the current (not canceled) subscriptions of the world.
      const current = subsOf(c.id).filter((s) => s.status !== 'canceled').map((s) => s.id).sort();
      const got = (r.data['subscriptions'] as { data: { id: string }[] }).data.map((s) => s.id).sort();
      expect(got).toEqual(current);
    }
    const x = records.find((r) => r.id === withXref.id)!;
    expect(x.xrefs).toEqual([
      { system: 'salesforce', id: withXref.metadata['salesforce_account_id'], field: 'metadata.salesforce_account_id' },
      { system: 'erp', id: withXref.metadata['erp_customer_number'], field: 'metadata.erp_customer_number' },
    ]);

    // One retrieve per unique well-formed id: the repeated key is asked once, the malformed never.
    const unique = new Set(keys.filter((k) => k.startsWith('cus_')));
    expect(unique.size).toBe(keys.length - 2);
    const retrieves = sandbox.stripe.requests.list({ operation: 'customers.retrieve' });
    expect(retrieves.map((q) => q.path.slice('/v1/customers/'.length)).sort()).toEqual([...unique].sort());
    expect(retrieves.every((q) => decodeURIComponent(q.query).includes('expand[0]=subscriptions'))).toBe(true);
    expect(sandbox.stripe.requests.count()).toBe(unique.size);
  });

  it('answers null for a deleted customer', async () => {
    const victim = world().stripe.customers.filter((c) => subsOf(c.id).length === 0).at(-1)!;
    expect(sandbox.stripe.store.deleteCustomer(victim.id)).toBe(true);
    const live = billed()[0]!;
    expect((await connector.loadAccounts([victim.id, live.id])).map((r) => (r === null || r instanceof Error ? r : r.id))).toEqual([null, live.id]);
    expect(await connector.accountOfPerson([victim.id, live.id, 'cus_DoesNotExist000', 'bogus'])).toEqual([
      null,
      live.id,
      null,
      expect.any(InvalidSourceIdError),
    ]);
  });

  it('never has more calls in flight than the concurrency limit', async () => {
    const ids = world().stripe.customers.slice(0, 24).map((c) => c.id);
    sandbox.stripe.faults.set({ latencyMs: 60 });
    const limited = createStripeConnector(stripe, { concurrency: 3 });
    const out = await limited.loadAccounts(ids);
    expect(out.filter((r) => r instanceof Error)).toEqual([]);
    const calls = sandbox.stripe.requests.list({ operation: 'customers.retrieve' });
    expect(calls).toHaveLength(24);
    expect(maxOverlap(calls)).toBe(3);

    sandbox.stripe.requests.clear();
    await limited.loadRelated('invoices', ids.slice(0, 9));
    expect(maxOverlap(sandbox.stripe.requests.list({ operation: 'invoices.list' }))).toBe(3);
  });

  it('loads subscriptions, invoices and charges per customer, mapped from the world, one list call per customer', async () => {
    const sample = billed().slice(0, 5).map((c) => c.id);
    const keys = [...sample, 'cus_DoesNotExist000', 'nope'];
    const [subs, invoices, charges] = await Promise.all([
      connector.loadRelated('subscriptions', keys),
      connector.loadRelated('invoices', keys),
      connector.loadRelated('charges', keys),
    ]);
    expect(sandbox.stripe.requests.countsByOperation()).toEqual({
      'subscriptions.list': sample.length + 1,
      'invoices.list': sample.length + 1,
      'charges.list': sample.length + 1,
    });
    for (const lists of [subs, invoices, charges]) {
      expect(lists).toHaveLength(keys.length);
      expect(lists[sample.length]).toEqual([]);
      expect(lists[sample.length + 1]).toBeInstanceOf(InvalidSourceIdError);
    }

    sample.forEach((id, k) => {
      // Subscriptions: every status (status=all), amount = Σ unit_amount × quantity.
      const expectedSubs = subsOf(id);
      const gotSubs = subs[k] as Exclude<(typeof subs)[number], Error>;
      expect(gotSubs.map((s) => s.id).sort()).toEqual(expectedSubs.map((s) => s.id).sort());
      for (const s of expectedSubs) {
        const got = gotSubs.find((g) => g.id === s.id)!;
        const minor = s.items.data.reduce((sum, i) => sum + i.price.unit_amount * i.quantity, 0);
        expect(got).toEqual({
          id: s.id,
          status: s.status,
          amount: moneyFromMinorUnits(minor, s.currency),
          interval: s.items.data[0]!.price.recurring.interval,
          currentPeriodEnd: new Date(Math.min(...s.items.data.map((i) => i.current_period_end)) * 1000).toISOString(),
          cancelAtPeriodEnd: s.cancel_at_period_end,
        });
        expect(got.amount!.amount).toMatch(/^\d+\.\d{2}$/);
      }

      const gotInvoices = invoices[k] as Exclude<(typeof invoices)[number], Error>;
      const expectedInvoices = world().stripe.invoices.filter((i) => i.customer === id);
      expect(gotInvoices.map((i) => i.id).sort()).toEqual(expectedInvoices.map((i) => i.id).sort());
      for (const inv of expectedInvoices) {
        expect(gotInvoices.find((g) => g.id === inv.id)).toEqual({
          id: inv.id,
          system: 'stripe',
          number: inv.number,
          status: inv.status,
          amount: { amount: (inv.amount_due / 100).toFixed(2), minorUnits: inv.amount_due, currency: inv.currency.toUpperCase() },
          amountPaid: { amount: (inv.amount_paid / 100).toFixed(2), minorUnits: inv.amount_paid, currency: inv.currency.toUpperCase() },
          issuedAt: new Date(inv.created * 1000).toISOString(),
          dueAt: inv.due_date === null ? null : new Date(inv.due_date * 1000).toISOString(),
        });
      }

      const gotCharges = charges[k] as Exclude<(typeof charges)[number], Error>;
      const expectedCharges = world().stripe.charges.filter((c) => c.customer === id);
      expect(gotCharges.map((c) => c.id).sort()).toEqual(expectedCharges.map((c) => c.id).sort());
      for (const ch of expectedCharges) {
        expect(gotCharges.find((g) => g.id === ch.id)).toMatchObject({
          status: ch.status,
          paid: ch.paid,
          failureMessage: ch.failure_message,
          amount: { minorUnits: ch.amount, currency: ch.currency.toUpperCase() },
          createdAt: new Date(ch.created * 1000).toISOString(),
        });
      }
    });
  });

  it('fails only the key whose record is malformed, naming the field', async () => {
    const [a, b] = billed().slice(10, 12);
    const template = world().stripe.charges.find((c) => c.customer === a!.id)!;
    sandbox.stripe.store.insert('charge', { ...template, id: undefined, amount: 12.5, created: template.created + 1 } as unknown as Omit<typeof template, 'id'>);
    const out = await connector.loadRelated('charges', [a!.id, b!.id]);
    expect(out[0]).toBeInstanceOf(InvalidSourceRecordError);
    expect((out[0] as InvalidSourceRecordError).field).toBe('amount');
    expect(Array.isArray(out[1])).toBe(true);

    const sub = subsOf(b!.id).find((s) => s.status !== 'canceled')!;
    sandbox.stripe.store.updateSubscription(sub.id, { items: { object: 'list', data: [{ ...sub.items.data[0]!, current_period_end: 'soon' as unknown as number }] } });
    const accounts = await connector.loadAccounts([a!.id, b!.id]);
    expect(accounts[0]).toMatchObject({ id: a!.id });
    expect(accounts[1]).toBeInstanceOf(InvalidSourceRecordError);
    expect((accounts[1] as InvalidSourceRecordError).field).toBe('items.data.0.current_period_end');
    sandbox.stripe.store.updateSubscription(sub.id, { items: sub.items });
  });

  it('completes a subscription list the expansion cut at 10 with one subscriptions.list call', async () => {
    const c = billed()[20]!;
    const template = subsOf(c.id)[0]!;
    for (let i = 0; i < 11; i++) sandbox.stripe.store.insert('subscription', { ...template, id: undefined, status: 'active', created: template.created + i + 1 } as unknown as Omit<typeof template, 'id'>);
    const expected = sandbox.stripe.store.list('subscription').filter((s) => s.customer === c.id && s.status !== 'canceled');
    expect(expected.length).toBeGreaterThan(10);
    const [r] = await connector.loadAccounts([c.id]);
    const got = ((r as SourceRecord).data['subscriptions'] as { data: { id: string }[] }).data.map((s) => s.id);
    expect(got.sort()).toEqual(expected.map((s) => s.id).sort());
    expect(sandbox.stripe.requests.countsByOperation()).toEqual({ 'customers.retrieve': 1, 'subscriptions.list': 1 });
  });

  it('turns an outage and a rate limit into an Error per key, never a throw', async () => {
    const ids = billed().slice(0, 3).map((c) => c.id);
    sandbox.stripe.faults.set({ outage: 'http' });
    const down = await connector.loadAccounts([...ids, 'bad']);
    expect(down.slice(0, 3).every((r) => r instanceof SourceUnavailableError && r.status === 503)).toBe(true);
    expect(down[3]).toBeInstanceOf(InvalidSourceIdError);
    const downRelated = await connector.loadRelated('invoices', ids);
    expect(downRelated.every((r) => r instanceof SourceUnavailableError)).toBe(true);
    await expect(connector.ping()).rejects.toBeInstanceOf(SourceUnavailableError);

    sandbox.stripe.faults.set({ outage: false, rateLimitRate: 1, retryAfterSeconds: 7 });
    const limited = await connector.loadAccounts(ids);
    for (const r of limited) {
      expect(r).toBeInstanceOf(SourceRateLimitedError);
      expect((r as SourceRateLimitedError).retryAfterSeconds).toBe(7);
      expect((r as SourceRateLimitedError).code).toBe('RATE_LIMITED');
    }
    sandbox.stripe.faults.reset();
    await expect(connector.ping()).resolves.toBeUndefined();
  });

  it('scans every live customer exactly once, 100 per page, subscriptions included', async () => {
    const live = sandbox.stripe.store.list('customer');
    const pages: SourceRecord[][] = [];
    for await (const page of connector.scanAccounts({ pageSize: 100 })) pages.push(page);
    const ids = pages.flat().map((r) => r.id);
    expect(ids.length).toBe(live.length);
    expect(new Set(ids)).toEqual(new Set(live.map((c) => c.id)));
    expect(pages.every((p) => p.length <= 100)).toBe(true);
    // One list call per page, plus one subscriptions.list per customer whose included list was
    // cut at 10 (the one given 12 above).
    const current = sandbox.stripe.store.list('subscription').filter((s) => s.status !== 'canceled');
    const overTen = live.filter((c) => current.filter((s) => s.customer === c.id).length > 10).length;
    expect(overTen).toBe(1);
    expect(sandbox.stripe.requests.countsByOperation()).toEqual({ 'customers.list': Math.ceil(live.length / 100), 'subscriptions.list': overTen });
    const withSub = pages.flat().find((r) => subsOf(r.id).some((s) => s.status !== 'canceled'))!;
    expect((withSub.data['subscriptions'] as { data: unknown[] }).data.length).toBeGreaterThan(0);
  });

  it('waits out a rate limit during a scan, on its injected clock', async () => {
    const slept: number[] = [];
    const scanning = createStripeConnector(stripe, { clock: { now: () => new Date(), sleep: (ms) => (slept.push(ms), sandbox.stripe.faults.reset(), Promise.resolve()) } });
    sandbox.stripe.faults.set({ rateLimitRate: 1, retryAfterSeconds: 2 });
    let n = 0;
    for await (const page of scanning.scanAccounts({ pageSize: 100 })) n += page.length;
    expect(slept).toEqual([2000]);
    expect(n).toBe(sandbox.stripe.store.list('customer').length);
  });
});

describe('Money from Stripe minor units', () => {
  it('writes the decimal amount with the currency’s own decimal places', () => {
    expect(moneyFromMinorUnits(4_500_000, 'usd')).toEqual({ amount: '45000.00', minorUnits: 4_500_000, currency: 'USD' });
    expect(moneyFromMinorUnits(5, 'eur')).toEqual({ amount: '0.05', minorUnits: 5, currency: 'EUR' });
    expect(moneyFromMinorUnits(-1250, 'gbp')).toEqual({ amount: '-12.50', minorUnits: -1250, currency: 'GBP' });
    expect(moneyFromMinorUnits(5000, 'jpy')).toEqual({ amount: '5000', minorUnits: 5000, currency: 'JPY' });
    expect(moneyFromMinorUnits(12_345, 'kwd')).toEqual({ amount: '12.345', minorUnits: 12_345, currency: 'KWD' });
    expect(() => moneyFromMinorUnits(1.5, 'usd')).toThrow(RangeError);
  });
});

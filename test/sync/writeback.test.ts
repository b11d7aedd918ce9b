// Write-backs end to end on the sandbox: a change in one system reaches each other writable
// system exactly once, then nothing more. Writes are counted at the emulators.
import { readFileSync } from 'node:fs';
import Stripe from 'stripe';
import { DEFAULT_SPEC_PATH, parseFieldSpec } from '../../src/mapping/index.ts';
import { createDecider } from '../../src/sync/decide.ts';
import { createWriteback } from '../../src/sync/writeback.ts';
import { ReadOnlySystemError, routeUpdate } from '../../src/sync/route.ts';
import { SourceRateLimitedError } from '../../src/sources/errors.ts';
import type { SourceRecord } from '../../src/sources/types.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWriteback, type Writeback } from './writeback-harness.ts';
import { listDeadLetters, replayDeadLetters } from '../../src/sync/dead-letters.ts';

let wb: Writeback;
beforeAll(async () => {
  wb = await startWriteback();
}, 120_000);
afterAll(async () => {
  await wb?.close();
});

const stripeClient = (): Stripe => {
  const env = wb.sandbox.env();
  const base = new URL(env['STRIPE_API_BASE']!);
  return new Stripe(env['STRIPE_API_KEY']!, { host: base.hostname, port: Number(base.port), protocol: 'http', telemetry: false, maxNetworkRetries: 0 });
};

describe('a phone changed in Stripe', () => {
  it('is written once to Salesforce with the new number, and then nothing more is written', async () => {
    const [goldenId] = await wb.customersWith(['salesforce', 'stripe']);
    expect(goldenId).toBeDefined();
    const g = goldenId!;
    // Converge first: whatever the demo world disagreed about is written once.
    await wb.decider.decide(g);
    await wb.loop().drain();
    expect((await wb.decider.decide(g)).outbox).toEqual([]);

    const cus = await wb.recordOf(g, 'stripe');
    const sf = await wb.recordOf(g, 'salesforce');
    await stripeClient().customers.update(cus, { phone: '(415) 555-0199' });
    wb.mark();
    const decided = await wb.decider.decide(g, { reason: 'webhook' });
    expect(decided.outbox.map((o) => ({ system: o.system, recordId: o.recordId, fields: o.fields }))).toEqual([{ system: 'salesforce', recordId: sf, fields: ['phone'] }]);
    await wb.loop().drain();
    expect(wb.writes()).toEqual({ salesforce: 1, stripe: 0, zendesk: 0 });
    const account = wb.sandbox.salesforce.store.get('Account', sf) as { Phone: string } | undefined;
    expect(account?.Phone).toBe('+14155550199');

    // The loop test: the write's echo decides nothing, however often it is decided again.
    for (let i = 0; i < 3; i++) expect((await wb.decider.decide(g, { reason: 'webhook' })).outbox).toEqual([]);
    await wb.loop().drain();
    expect(wb.writes()).toEqual({ salesforce: 1, stripe: 0, zendesk: 0 });
  });
});

/** Converges a customer (whatever the demo world disagreed about is written once) and checks it stays converged. */
async function converge(g: string): Promise<void> {
  await wb.decider.decide(g);
  await wb.loop().drain();
  expect((await wb.decider.decide(g)).outbox).toEqual([]);
}

const outboxRows = async (g: string) =>
  (await wb.app.store.query<{ id: string; system: string; state: string; outcome: string | null; attempts: number; last_error: string | null; delay_ms: number }>(
    `SELECT id::text AS id, system, state, outcome, attempts, last_error, (extract(epoch FROM next_attempt_at - updated_at) * 1000)::int AS delay_ms
       FROM ${wb.app.store.table('sync_outbox')} o WHERE golden_id = $1 ORDER BY o.id`, [g],
  )).rows;

describe('a target changed after the decision read it', () => {
  it('is not overwritten: the customer is decided again and the newer value wins everywhere', async () => {
    const g = (await wb.customersWith(['salesforce', 'stripe']))[1]!;
    await converge(g);
    const cus = await wb.recordOf(g, 'stripe');
    const sf = await wb.recordOf(g, 'salesforce');
    await stripeClient().customers.update(cus, { phone: '+1 415 555 0111' });
    const decided = await wb.decider.decide(g);
    expect(decided.outbox.map((o) => o.system)).toEqual(['salesforce']);
    // Before the worker writes it, someone changes the Salesforce phone.
    wb.sandbox.salesforce.store.update('Account', sf, { Phone: '(415) 555-0222' });
    wb.mark();
    const round = await wb.loop().drain();
    expect(round.superseded).toBe(1);
    const account = wb.sandbox.salesforce.store.get('Account', sf) as unknown as { Phone: string };
    expect(account.Phone).toBe('(415) 555-0222');
    // Decided again from what is there now: Salesforce's newer phone goes to Stripe, once.
    expect(wb.writes()).toEqual({ salesforce: 0, stripe: 1, zendesk: 0 });
    const customer = await stripeClient().customers.retrieve(cus) as Stripe.Customer;
    expect(customer.phone).toBe('+14155550222');
    expect((await outboxRows(g)).slice(-2).map((r) => [r.system, r.state])).toEqual([['salesforce', 'SUPERSEDED'], ['stripe', 'DONE']]);
    expect((await wb.decider.decide(g)).outbox).toEqual([]);
  });
});

describe('a system that answers 429 with Retry-After', () => {
  it('is asked again no sooner than it said, and the write lands once', async () => {
    const g = (await wb.customersWith(['salesforce', 'stripe']))[2]!;
    await converge(g);
    const sf = await wb.recordOf(g, 'salesforce');
    wb.sandbox.salesforce.store.update('Account', sf, { Phone: '(415) 555-0333' });
    expect((await wb.decider.decide(g)).outbox.map((o) => o.system)).toEqual(['stripe']);
    wb.sandbox.stripe.faults.set({ rateLimitRate: 1, retryAfterSeconds: 2 });
    wb.mark();
    const loop = wb.loop({ random: () => 0 });
    try {
      expect(await loop.runOnce()).toMatchObject({ claimed: 1, retried: 1 });
    } finally {
      wb.sandbox.stripe.faults.reset();
    }
    const [row] = (await outboxRows(g)).slice(-1);
    expect(row).toMatchObject({ system: 'stripe', state: 'QUEUED', attempts: 1 });
    expect(row!.delay_ms).toBeGreaterThanOrEqual(2000);
    expect(row!.last_error).toMatch(/rate/i);
    // Not due yet: nothing is claimed, nothing is sent.
    expect(await loop.runOnce()).toMatchObject({ claimed: 0 });
    await new Promise((r) => setTimeout(r, 2100));
    expect(await loop.drain()).toMatchObject({ done: 1 });
    expect(wb.writes()).toEqual({ salesforce: 0, stripe: 1, zendesk: 0 });
  });
});

describe('a write that keeps failing', () => {
  it('becomes a dead letter with its reason and a SYNC_FAILURE review item, and replay writes it', async () => {
    const g = (await wb.customersWith(['salesforce', 'stripe']))[3]!;
    await converge(g);
    const sf = await wb.recordOf(g, 'salesforce');
    const cus = await wb.recordOf(g, 'stripe');
    wb.sandbox.salesforce.store.update('Account', sf, { Phone: '(415) 555-0444' });
    expect((await wb.decider.decide(g)).outbox.map((o) => o.system)).toEqual(['stripe']);
    const failed: unknown[] = [];
    const unsubscribe = await wb.pubsub.subscribe('sync.status', (m) => void failed.push(m));
    wb.sandbox.stripe.faults.set({ errorRate: 1, errorStatus: 503 });
    try {
      const loop = wb.loop({ retry: { attempts: 3, baseMs: 1, maxMs: 5 } });
      for (let i = 0; i < 50 && (await outboxRows(g)).at(-1)!.state !== 'FAILED'; i++) {
        await loop.runOnce();
        await new Promise((r) => setTimeout(r, 10));
      }
    } finally {
      wb.sandbox.stripe.faults.reset();
      await unsubscribe();
    }
    const row = (await outboxRows(g)).at(-1)!;
    expect(row).toMatchObject({ system: 'stripe', state: 'FAILED', attempts: 3 });
    const letters = await listDeadLetters(wb.app.store);
    expect(letters.filter((l) => l.recordId === cus)).toEqual([expect.objectContaining({ system: 'stripe', goldenId: g, fields: ['phone'], attempts: 3, reason: expect.stringMatching(/503/) as unknown })]);
    expect(failed.filter((m) => (m as { state: string }).state === 'FAILED')).toEqual([expect.objectContaining({ customerId: g, system: 'stripe', recordId: cus, fields: ['phone'] })]);

    const queue = await wb.app.gql<{ reviewQueue: { edges: { node: { kind: string; records: { externalId: string }[]; syncFailure: { fields: string[]; reason: string; attempts: number } } }[] } }>(
      `{ reviewQueue(first: 100) { edges { node { kind records { externalId } syncFailure { fields reason attempts } } } } }`,
    );
    const items = queue.data!.reviewQueue.edges.map((e) => e.node).filter((n) => n.kind === 'SYNC_FAILURE');
    expect(items).toEqual([{ kind: 'SYNC_FAILURE', records: [{ externalId: cus }], syncFailure: { fields: ['phone'], reason: expect.stringMatching(/503/) as unknown, attempts: 3 } }]);

    wb.mark();
    expect((await replayDeadLetters(wb.app.store)).map((l) => l.recordId)).toEqual([cus]);
    expect(await wb.loop().drain()).toMatchObject({ done: 1 });
    expect(wb.writes()).toEqual({ salesforce: 0, stripe: 1, zendesk: 0 });
    expect(((await stripeClient().customers.retrieve(cus)) as Stripe.Customer).phone).toBe('+14155550444');
    expect(await listDeadLetters(wb.app.store)).toEqual([]);
    const open = await wb.app.services.reviews.list({ first: 100 });
    expect(open.edges.filter((e) => e.node.kind === 'SYNC_FAILURE')).toEqual([]);
  });
});

describe('a phone changed in Zendesk, with a spec that reads and writes it there', () => {
  it('is written once to Salesforce and once to Stripe, then nothing more', async () => {
    const raw = JSON.parse(readFileSync(DEFAULT_SPEC_PATH, 'utf8')) as { fields: Record<string, { sources: Record<string, unknown>; writes?: Record<string, unknown> }> };
    raw.fields['phone']!.sources['zendesk'] = { path: 'organization_fields.main_phone', normalize: 'phone' };
    raw.fields['phone']!.writes!['zendesk'] = { path: 'organization_fields.main_phone', format: 'e164' };
    const spec = parseFieldSpec(raw, 'zendesk-phone.json');
    const sources = Object.fromEntries(wb.app.connectors.map((c) => [c.system, c]));
    const decider = createDecider({ store: wb.app.store, identity: wb.app.services.identity, spec, sources, echo: wb.echo });
    const loop = () => wb.loop({ decider });
    const g = (await wb.customersWith(['salesforce', 'stripe', 'zendesk']))[0]!;
    await decider.decide(g);
    await loop().drain();
    expect((await decider.decide(g)).outbox).toEqual([]);
    const org = await wb.recordOf(g, 'zendesk');
    // Converging filled the organization's phone from the golden record.
    expect((wb.sandbox.zendesk.store.organization(Number(org)) as { organization_fields: Record<string, unknown> }).organization_fields['main_phone']).toMatch(/^\+\d+$/);

    // Zendesk dates changes to the second: the person's change comes a second after the converging writes.
    await new Promise((r) => setTimeout(r, 1100));
    wb.sandbox.zendesk.store.updateOrganization(Number(org), { organization_fields: { main_phone: '415.555.0555' } });
    wb.mark();
    const decided = await decider.decide(g, { reason: 'webhook' });
    expect(decided.outbox.map((o) => [o.system, o.fields]).sort()).toEqual([['salesforce', ['phone']], ['stripe', ['phone']]]);
    await loop().drain();
    expect(wb.writes()).toEqual({ salesforce: 1, stripe: 1, zendesk: 0 });
    const cus = await wb.recordOf(g, 'stripe');
    expect(((await stripeClient().customers.retrieve(cus)) as Stripe.Customer).phone).toBe('+14155550555');
    for (let i = 0; i < 3; i++) expect((await decider.decide(g, { reason: 'webhook' })).outbox).toEqual([]);
    await loop().drain();
    expect(wb.writes()).toEqual({ salesforce: 1, stripe: 1, zendesk: 0 });
    // The writes' echoes are known as ours; the person's value in Zendesk is not.
    expect(await wb.echo.isEcho('stripe', cus, { phone: '+14155550555' })).toBe(true);
    expect(await wb.echo.isEcho('stripe', cus, { phone: '+14155550556' })).toBe(false);
    expect(await wb.echo.isEcho('zendesk', org, { phone: '+14155550555' })).toBe(false);
  });
});

describe('routeUpdate: a person updates canonical fields', () => {
  it('queues one write per owning record (QUEUED → WRITING → DONE on sync.status), once per intent key, and the value sticks', async () => {
    const list = await wb.customersWith(['salesforce', 'stripe', 'erp']);
    const g = list.at(-1)!;
    await converge(g);
    const sources = Object.fromEntries(wb.app.connectors.map((c) => [c.system, c]));
    const deps = { store: wb.app.store, identity: wb.app.services.identity, spec: wb.app.services.spec, sources, pubsub: wb.pubsub, echo: wb.echo };
    const events: { outboxId: string; state: string }[] = [];
    const changed: unknown[] = [];
    const offs = [
      await wb.pubsub.subscribe('sync.status', (m) => void events.push(m as { outboxId: string; state: string })),
      await wb.pubsub.subscribe('customer.changed', (m) => void changed.push(m)),
    ];
    wb.mark();
    const first = await routeUpdate(deps, g, { phone: '415 555 0666' }, 'intent-phone-1');
    expect(first.jobs.map((j) => [j.system, j.fields]).sort()).toEqual([['salesforce', ['phone']], ['stripe', ['phone']]]);
    const again = await routeUpdate(deps, g, { phone: '415 555 0666' }, 'intent-phone-1');
    expect(again.jobs).toEqual(first.jobs);
    await wb.loop().drain();
    for (const off of offs) await off();
    expect(wb.writes()).toEqual({ salesforce: 1, stripe: 1, zendesk: 0 });
    for (const job of first.jobs) expect(events.filter((e) => e.outboxId === job.outboxId).map((e) => e.state)).toEqual(['QUEUED', 'WRITING', 'DONE']);
    expect(changed).toContainEqual(expect.objectContaining({ customerId: g }));
    // The person's value is now the golden one: deciding again writes nothing back.
    expect((await wb.decider.decide(g)).outbox).toEqual([]);
    const cus = await wb.recordOf(g, 'stripe');
    expect(((await stripeClient().customers.retrieve(cus)) as Stripe.Customer).phone).toBe('+14155550666');
  });

  it('refuses with READ_ONLY_SYSTEM, before writing anything, a field only a read-only system can take', async () => {
    const list = await wb.customersWith(['salesforce', 'stripe', 'erp']);
    const g = list.at(-2)!;
    const sources = Object.fromEntries(wb.app.connectors.map((c) => [c.system, c]));
    const deps = { store: wb.app.store, identity: wb.app.services.identity, spec: wb.app.services.spec, sources };
    const count = async () => Number((await wb.app.store.query<{ n: string }>(`SELECT count(*) AS n FROM ${wb.app.store.table('sync_outbox')}`)).rows[0]!.n);
    const before = await count();
    // The billing e-mail's source of truth is the ERP, which holds it for this customer.
    const refused = await routeUpdate(deps, g, { phone: '415 555 0777', email: 'ap@example.com' }, 'intent-ro-1').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ReadOnlySystemError);
    expect((refused as ReadOnlySystemError).extensions).toMatchObject({ code: 'READ_ONLY_SYSTEM', fields: ['email'], systems: ['ERP'] });
    const nowhere = await routeUpdate(deps, g, { industry: 'Retail' }, 'intent-ro-2').catch((e: unknown) => e);
    expect(nowhere).toBeInstanceOf(ReadOnlySystemError);
    expect((nowhere as Error).message).toMatch(/industry \(the field spec lets Meridian write it nowhere\)/);
    expect(await count()).toBe(before);
  });
});

describe('a second change before the first one was written', () => {
  it('supersedes the queued write: only the newer value is sent, once', async () => {
    const g = (await wb.customersWith(['salesforce', 'stripe']))[4]!;
    await converge(g);
    const sf = await wb.recordOf(g, 'salesforce');
    const cus = await wb.recordOf(g, 'stripe');
    const events: { outboxId: string; state: string; error: string | null }[] = [];
    const off = await wb.pubsub.subscribe('sync.status', (m) => void events.push(m as (typeof events)[number]));
    wb.sandbox.salesforce.store.update('Account', sf, { Phone: '(415) 555-0881' });
    const [first] = (await wb.decider.decide(g)).outbox;
    await new Promise((r) => setTimeout(r, 5));
    wb.sandbox.salesforce.store.update('Account', sf, { Phone: '(415) 555-0882' });
    const [second] = (await wb.decider.decide(g)).outbox;
    wb.mark();
    await wb.loop().drain();
    await off();
    expect(wb.writes()).toEqual({ salesforce: 0, stripe: 1, zendesk: 0 });
    expect(((await stripeClient().customers.retrieve(cus)) as Stripe.Customer).phone).toBe('+14155550882');
    expect(events.filter((e) => e.outboxId === first!.id).map((e) => e.state)).toEqual(['QUEUED', 'FAILED']);
    expect(events.find((e) => e.outboxId === first!.id && e.state === 'FAILED')!.error).toMatch(/superseded/);
    expect(events.filter((e) => e.outboxId === second!.id).map((e) => e.state)).toEqual(['QUEUED', 'WRITING', 'DONE']);
  });
});

describe('an address and a billing e-mail routed to Salesforce and Stripe', () => {
  it('are written in each system\'s own form (one street field, the first contact) and read back as the same values', async () => {
    const candidates = await wb.customersWith(['salesforce', 'stripe'], ['erp']);
    let g: string | undefined;
    for (const c of candidates) {
      const account = wb.sandbox.salesforce.store.get('Account', await wb.recordOf(c, 'salesforce'));
      const contacts = wb.sandbox.salesforce.store.list('Contact').filter((x) => (x as unknown as { AccountId: string }).AccountId === account?.['Id']);
      if (contacts.length > 0) {
        g = c;
        break;
      }
    }
    expect(g).toBeDefined();
    await converge(g!);
    const sources = Object.fromEntries(wb.app.connectors.map((c) => [c.system, c]));
    const deps = { store: wb.app.store, identity: wb.app.services.identity, spec: wb.app.services.spec, sources, echo: wb.echo };
    wb.mark();
    const address = { line1: '500 Howard St', line2: 'Floor 3', city: 'San Francisco', region: 'CA', postalCode: '94105', country: 'US' };
    const routed = await routeUpdate(deps, g!, { address, email: 'Billing@Example.COM' }, 'intent-address-1');
    expect(routed.jobs.map((j) => [j.system, j.fields]).sort()).toEqual([['salesforce', ['email', 'address']], ['stripe', ['email', 'address']]]);
    await wb.loop().drain();
    const sf = await wb.recordOf(g!, 'salesforce');
    const account = wb.sandbox.salesforce.store.get('Account', sf) as unknown as Record<string, unknown>;
    expect([account['BillingStreet'], account['BillingCity'], account['BillingState'], account['BillingPostalCode'], account['BillingCountry']]).toEqual(['500 Howard Street\nFloor 3', 'San Francisco', 'CA', '94105', 'US']);
    const [record] = await wb.app.connectors.find((c) => c.system === 'salesforce')!.loadAccounts([sf]);
    expect(((record as unknown as { data: { Contacts: { Email: string }[] } }).data.Contacts[0]!).Email).toBe('billing@example.com');
    const cus = (await stripeClient().customers.retrieve(await wb.recordOf(g!, 'stripe'))) as Stripe.Customer;
    expect([cus.email, cus.address?.line1, cus.address?.line2, cus.address?.state]).toEqual(['billing@example.com', '500 Howard Street', 'Floor 3', 'CA']);
    // Salesforce: one Account update and one Contact update; Stripe: one customer update.
    expect(wb.writes()).toEqual({ salesforce: 2, stripe: 1, zendesk: 0 });
    expect((await wb.decider.decide(g!)).outbox).toEqual([]);
  });
});

describe('the writers', () => {
  it('report a 429 with the Retry-After each system sent, for the outbox to wait that long', async () => {
    const g = (await wb.customersWith(['salesforce', 'stripe', 'zendesk']))[1]!;
    const read = async (system: 'stripe' | 'zendesk') => (await wb.app.connectors.find((c) => c.system === system)!.loadAccounts([await wb.recordOf(g, system)]))[0] as SourceRecord;
    const [cus, org] = [await read('stripe'), await read('zendesk')];
    for (const [system, record, changes] of [['stripe', cus, { phone: '+14155550999' }], ['zendesk', org, { 'organization_fields.main_phone': '+14155550999' }]] as const) {
      const emulator = wb.sandbox[system];
      emulator.faults.set({ rateLimitRate: 1, retryAfterSeconds: 9 });
      try {
        const e = await wb.writers[system]!.write(record, changes, { idempotencyKey: `mw_test_${system}_429` }).catch((x: unknown) => x);
        expect(e).toBeInstanceOf(SourceRateLimitedError);
        expect((e as SourceRateLimitedError).retryAfterSeconds).toBe(9);
      } finally {
        emulator.faults.reset();
      }
    }
  });
});

describe('a decision that queues a write', () => {
  it('wakes the outbox loop of its process: the write does not wait for the next poll', async () => {
    // Wired as a worker wires it, with a poll far longer than the test may take.
    const built = createWriteback({ store: wb.app.store, identity: wb.app.services.identity, spec: wb.app.services.spec, connectors: wb.app.connectors, writers: wb.app.writers, outbox: { pollMs: 600_000 } });
    const g = (await wb.customersWith(['salesforce', 'stripe']))[2]!;
    await built.decider.decide(g);
    await wb.loop().drain();
    await built.loop.start();
    try {
      // The loop's first round found nothing and it waits out its poll now.
      await new Promise((r) => setTimeout(r, 200));
      const cus = await wb.recordOf(g, 'stripe');
      await stripeClient().customers.update(cus, { phone: '+1 415 555 0123' });
      wb.mark();
      expect((await built.decider.decide(g, { reason: 'webhook' })).outbox.map((o) => o.system)).toEqual(['salesforce']);
      for (let i = 0; i < 100 && wb.writes().salesforce === 0; i++) await new Promise((r) => setTimeout(r, 100));
      expect(wb.writes()).toEqual({ salesforce: 1, stripe: 0, zendesk: 0 });
    } finally {
      await built.loop.stop();
    }
  });
});

describe('a phone changed in Stripe on a customer whose systems disagreed about the address', () => {
  it('dates each Stripe field by its own change: the newer Salesforce address stays, the writes happen in the first decision, then nothing', async () => {
    // A customer never decided before (first sightings) whose Salesforce account changed after
    // the Stripe customer was created, and whose two addresses differ.
    type Cand = { system: string; value: unknown; updatedAt: string | null };
    let found: { g: string; sfAddress: unknown } | null = null;
    for (const g of (await wb.customersWith(['salesforce', 'stripe'])).slice(5)) {
      const r = await wb.app.gql<{ customer: { lineage: { field: string; candidates: Cand[] }[] } }>('query($id: ID!) { customer(id: $id) { lineage { field candidates { system value updatedAt } } } }', { id: g });
      const address = r.data!.customer.lineage.find((l) => l.field === 'address')!.candidates;
      const sf = address.find((c) => c.system === 'SALESFORCE');
      const st = address.find((c) => c.system === 'STRIPE');
      if (sf && st && JSON.stringify(sf.value) !== JSON.stringify(st.value) && Date.parse(sf.updatedAt!) > Date.parse(st.updatedAt!)) {
        found = { g, sfAddress: sf.value };
        break;
      }
    }
    expect(found).not.toBeNull();
    const { g } = found!;
    const cus = await wb.recordOf(g, 'stripe');
    const sf = await wb.recordOf(g, 'salesforce');
    const sfBefore = JSON.stringify(wb.sandbox.salesforce.store.get('Account', sf));

    await stripeClient().customers.update(cus, { phone: '+1 415 555 0166' });
    wb.mark();
    // As the customer.updated webhook starts it: previous_attributes names the phone only.
    const decided = await wb.decider.decide(g, { reason: 'webhook', changed: { system: 'stripe', id: cus, attributes: ['phone'] } });
    expect(decided.held).toEqual([]);
    expect(decided.outbox.map((o) => [o.system, o.fields]).sort()).toEqual([['salesforce', ['phone']], ['stripe', ['address']]]);
    await wb.loop().drain();
    // The account got the phone and kept its own (newer) address; Stripe took that address.
    const after = wb.sandbox.salesforce.store.get('Account', sf) as Record<string, unknown>;
    expect(after['Phone']).toBe('+14155550166');
    const { Phone: _p, LastModifiedDate: _l, SystemModstamp: _s, ...rest } = JSON.parse(sfBefore) as Record<string, unknown>;
    expect(after).toMatchObject(rest);
    // The echoes of both writes decide nothing more.
    expect((await wb.decider.decide(g, { reason: 'webhook', changed: { system: 'salesforce', id: sf, attributes: [] } })).outbox).toEqual([]);
    expect((await wb.decider.decide(g, { reason: 'webhook', changed: { system: 'stripe', id: cus, attributes: ['address'] } })).outbox).toEqual([]);
    await wb.loop().drain();
    expect(wb.writes()).toEqual({ salesforce: 1, stripe: 1, zendesk: 0 });
  });
});

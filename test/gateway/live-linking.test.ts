// A record created in a system reaches the gateway as that system's own notification: the intake
// stores and queues it, and the sync worker (in-process here) reads it and links it with the live
// matcher: the Stripe SDK creates customers in the sandbox, the sandbox's Stripe sends the signed
// event, and once the worker is idle the customer graph shows the new record on the right customer
// (or as a new customer). A record first seen by a query is queued the same way (link-on-read).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type Stripe from 'stripe';
import { bearer, drainSync, startTestApp, type TestApp } from '../support/app.ts';
import { readSystemSettings } from '../../src/config/systems.ts';
import { createStripeClient } from '../../src/sources/stripe/client.ts';
import { connectSalesforce } from '../support/salesforce.ts';
import { createZendeskClient } from '../../src/sources/zendesk/client.ts';

interface Src {
  system: string;
  externalId: string;
  matchRule: string;
  matchConfidence: number;
}
interface Cust {
  id: string;
  name: string | null;
  email: string | null;
  phone: string | null;
  website: string | null;
  address: { line1: string | null; city: string | null; region: string | null; postalCode: string | null; country: string | null } | null;
  sources: Src[];
}

const FIELDS = 'id name email phone website address { line1 city region postalCode country } sources { system externalId matchRule matchConfidence }';

describe('live linking of records that appear in a system', () => {
  let app: TestApp;
  let stripe: Stripe;
  let customers: Cust[];

  beforeAll(async () => {
    app = await startTestApp({ customers: 150, seed: 42 });
    stripe = createStripeClient(readSystemSettings(app.sandbox!.env()).stripe!, { maxNetworkRetries: 0 });
    const r = await app.gql<{ customers: { edges: { node: Cust }[] } }>(`{ customers(first: 100) { edges { node { ${FIELDS} } } } }`);
    expect(r.errors).toEqual([]);
    customers = r.data!.customers.edges.map((e) => e.node);
  });
  afterAll(async () => {
    app?.sandbox?.stripe.faults.reset();
    await app?.close();
  });

  const bySource = async (system: string, externalId: string): Promise<Cust | null> => {
    const r = await app.gql<{ customerBySource: Cust | null }>(`query($s: System!, $id: ID!) { customerBySource(system: $s, externalId: $id) { ${FIELDS} } }`, { s: system, id: externalId });
    return r.data?.customerBySource ?? null;
  };
  const delivered = async (): Promise<void> => {
    await app.sandbox!.stripe.notifier!.idle();
    await drainSync(app);
  };
  const total = async (): Promise<number> => (await app.gql<{ customers: { totalCount: number } }>('{ customers(first: 1) { totalCount } }')).data!.customers.totalCount;

  it('joins a new Stripe customer to the customer whose name, phone, website domain and address it shares', async () => {
    // A customer known to Salesforce with a website, phone and full address; the new Stripe
    // customer uses another mailbox at that domain, so no exact key links them: only the score.
    const host = customers.find(
      (c) => c.sources.some((s) => s.system === 'SALESFORCE') && c.website && c.phone && c.address?.postalCode && c.address.line1 && c.name && c.address.country === 'US',
    );
    expect(host).toBeDefined();
    const domain = new URL(host!.website!.startsWith('http') ? host!.website! : `https://${host!.website!}`).hostname.replace(/^www\./, '');
    const before = await total();
    const created = await stripe.customers.create({
      name: host!.name!,
      email: `accounts-payable@${domain}`,
      phone: host!.phone!,
      address: { line1: host!.address!.line1!, city: host!.address!.city!, state: host!.address!.region ?? '', postal_code: host!.address!.postalCode!, country: host!.address!.country! },
    });
    await delivered();
    const found = await bySource('STRIPE', created.id);
    expect(found?.id).toBe(host!.id);
    const link = found!.sources.find((s) => s.system === 'STRIPE' && s.externalId === created.id)!;
    expect(link.matchRule).toBe('probabilistic');
    expect(link.matchConfidence).toBeGreaterThanOrEqual(0.99);
    expect(await total()).toBe(before);

    // Why: the evidence names the record it was scored against and the level of each field.
    const why = await app.gql<{ customer: { sources: { externalId: string; origin: string; linkedAt: string; evidence: { kind: string; rule: string; other: { system: string; externalId: string } | null; probability: number | null; levels: { field: string; level: string }[] }[] }[] } }>(
      `query($id: ID!) { customer(id: $id) { sources { externalId origin linkedAt evidence { kind rule other { system externalId } probability levels { field level } } } } }`,
      { id: host!.id },
    );
    expect(why.errors).toEqual([]);
    const mine = why.data!.customer.sources.find((s) => s.externalId === created.id)!;
    expect(mine.origin).toBe('AUTO');
    expect(Date.parse(mine.linkedAt)).not.toBeNaN();
    const [scored] = mine.evidence;
    expect(scored).toMatchObject({ kind: 'SCORED', rule: 'probabilistic' });
    expect(host!.sources.map((s) => s.externalId)).toContain(scored!.other!.externalId);
    expect(scored!.probability).toBeGreaterThanOrEqual(0.99);
    expect(scored!.levels).toContainEqual({ field: 'name', level: 'exact' });
    // The records the backfill linked by cross-reference say which field named which record.
    const xref = why.data!.customer.sources.flatMap((s) => s.evidence).find((e) => e.kind === 'NAMES' || e.kind === 'NAMED_BY');
    expect(xref?.rule).toMatch(/^xref:/);
    expect(xref?.other).not.toBeNull();
  });

  it('joins a new Salesforce Account (Outbound Message) to the customer the other systems know', async () => {
    const host = customers.find((c) => !c.sources.some((s) => s.system === 'SALESFORCE') && c.name && c.phone && c.address?.postalCode && c.address.line1);
    expect(host).toBeDefined();
    const settings = readSystemSettings(app.sandbox!.env());
    const conn = await connectSalesforce(settings.salesforce!);
    const created = await conn.sobject('Account').create({
      Name: host!.name!, Phone: host!.phone!, BillingStreet: host!.address!.line1!, BillingCity: host!.address!.city ?? '', BillingState: host!.address!.region ?? '',
      BillingPostalCode: host!.address!.postalCode!, BillingCountry: host!.address!.country ?? '',
    });
    expect(created.success).toBe(true);
    await app.sandbox!.salesforce.notifier!.idle();
    await drainSync(app);
    const found = await bySource('SALESFORCE', created.id!);
    expect(found?.id).toBe(host!.id);
    expect(found!.sources.find((s) => s.externalId === created.id)!.matchRule).toBe('probabilistic');
  });

  it('joins a new Zendesk organization by its name and domain', async () => {
    const host = customers.find((c) => !c.sources.some((s) => s.system === 'ZENDESK') && c.name && c.website);
    expect(host).toBeDefined();
    const domain = new URL(host!.website!.startsWith('http') ? host!.website! : `https://${host!.website!}`).hostname.replace(/^www\./, '');
    const zd = createZendeskClient(readSystemSettings(app.sandbox!.env()).zendesk!);
    const created = (await zd.organizations.create({ organization: { name: host!.name!, domain_names: [domain] } })) as unknown as { result: { id: number } };
    await app.sandbox!.zendesk.notifier!.idle();
    await drainSync(app);
    const found = await bySource('ZENDESK', String(created.result.id));
    expect(found?.id).toBe(host!.id);
    expect(['probabilistic', 'unique-name']).toContain(found!.sources.find((s) => s.externalId === String(created.result.id))!.matchRule);
  });

  it('joins a Stripe customer with only the company name and another mailbox at its domain', async () => {
    // No phone, no address, no shared address: name, web domain and "a colleague's mailbox".
    const host = customers.filter((c) => c.name && c.website && c.email && !c.email.endsWith('gmail.com')).at(-1)!;
    expect(host).toBeDefined();
    const domain = host.email!.slice(host.email!.indexOf('@') + 1);
    const created = await stripe.customers.create({ name: host.name!, email: `billing@${domain}` });
    await delivered();
    const found = await bySource('STRIPE', created.id);
    expect(found?.id).toBe(host.id);
    expect(found!.sources.find((s) => s.externalId === created.id)!.matchRule).toBe('probabilistic');
  });

  it('joins a Stripe customer that shares an e-mail with a customer by that e-mail', async () => {
    const host = customers.find((c) => c.email && c.name && !c.sources.some((s) => s.system === 'STRIPE'))!;
    expect(host).toBeDefined();
    const created = await stripe.customers.create({ name: `${host.name!} (billing)`, email: host.email! });
    await delivered();
    const found = await bySource('STRIPE', created.id);
    expect(found?.id).toBe(host.id);
    expect(found!.sources.find((s) => s.externalId === created.id)!.matchRule).toBe('email');
    // The golden record was invalidated: it already shows the new source.
    const again = await app.gql<{ customer: Cust }>(`query($id: ID!) { customer(id: $id) { ${FIELDS} } }`, { id: host.id });
    expect(again.data!.customer.sources.map((s) => s.externalId)).toContain(created.id);
  });

  /** Everything a link, a new customer or a dry run gone wrong would change, counted. */
  const footprint = async (): Promise<Record<string, string>> => {
    const t = (n: string): string => app.store.table(n);
    const r = await app.store.query<Record<string, string>>(
      `SELECT (SELECT count(*) FROM ${t('golden_customers')})::text AS customers,
              (SELECT count(*) FROM ${t('identity_links')})::text AS links,
              (SELECT count(*) FROM ${t('identity_events')})::text AS events,
              (SELECT count(*) FROM ${t('match_records')})::text AS indexed,
              (SELECT count(*) FROM ${t('match_keys')})::text AS keys,
              (SELECT coalesce(sum(n), 0) FROM ${t('match_terms')})::text AS terms,
              (SELECT count(*) FROM ${t('review_items')})::text AS reviews,
              (SELECT count(*) FROM ${t('customer_search')})::text AS searchable`,
    );
    return r.rows[0]!;
  };
  const viaGet = async (query: string): Promise<{ status: number; data: Record<string, unknown> | null; errors: { message: string; extensions?: Record<string, unknown> }[] }> => {
    const res = await fetch(`${app.url}/graphql?query=${encodeURIComponent(query)}`, { headers: { accept: 'application/json', ...bearer() } });
    const body = (await res.json()) as { data?: Record<string, unknown> | null; errors?: [] };
    return { status: res.status, data: body.data ?? null, errors: body.errors ?? [] };
  };
  const newErpRow = async (number: string, name: string, salesforceAccountId: string | null): Promise<void> => {
    const erp = app.sandbox!.erp;
    await erp.pool.query(
      `INSERT INTO "${erp.schema}".customers (customer_number, legal_name, currency, payment_terms, accounting_status, salesforce_account_id, created_at, updated_at)
       VALUES ($1, $2, 'USD', 'net30', 'good_standing', $3, now(), now())`,
      [number, name, salesforceAccountId],
    );
  };
  const LINK = `mutation($s: System!, $id: ID!) { linkSourceRecord(system: $s, externalId: $id) { ${FIELDS} } }`;

  it('a GET for a new ERP row does not link it: it answers the customer the row would join and queues the row, which the worker links', async () => {
    // A new row in the ERP naming an existing Salesforce Account, written straight to the database.
    const host = customers.find((c) => c.sources.some((s) => s.system === 'SALESFORCE'))!;
    const sfId = host.sources.find((s) => s.system === 'SALESFORCE')!.externalId;
    await newErpRow('C-LATE-1', `${host.name!} Inc.`, sfId);

    const got = await viaGet('{ customerBySource(system: ERP, externalId: "C-LATE-1") { id sources { externalId } } }');
    expect(got.errors).toEqual([]);
    const answer = got.data!['customerBySource'] as { id: string; sources: { externalId: string }[] };
    expect(answer.id).toBe(host.id);
    // Answered from the dry run: the row is not among the customer's sources in this answer.
    expect(answer.sources.map((s) => s.externalId)).not.toContain('C-LATE-1');
    // The worker linked it, not the query: the link's audit names the sync worker.
    await drainSync(app);
    expect(await app.services.identity.goldenIdsFor([{ system: 'erp', externalId: 'C-LATE-1' }])).toEqual([host.id]);
    const events = await app.store.query<{ actor: string }>(`SELECT actor FROM ${app.store.table('identity_events')} WHERE external_id = 'C-LATE-1' AND kind = 'linked'`);
    expect(events.rows).toEqual([{ actor: 'sync:query:erp' }]);
    const linked = await bySource('ERP', 'C-LATE-1');
    expect(linked?.id).toBe(host.id);
    expect(linked!.sources.find((s) => s.externalId === 'C-LATE-1')!.matchRule).toBe('xref:salesforce_account_id');
    // Asked again, nothing more is queued or linked.
    const before = await footprint();
    expect((await viaGet('{ customerBySource(system: ERP, externalId: "C-LATE-1") { id } }')).data).toEqual({ customerBySource: { id: host.id } });
    await drainSync(app);
    expect(await footprint()).toEqual(before);

    // Linking is a mutation (and a mutation over GET is refused by the HTTP layer).
    expect((await viaGet('mutation { linkSourceRecord(system: ERP, externalId: "C-LATE-1") { id } }')).status).toBe(405);
    // An id that no system holds is still NOT_FOUND, to a query and to the mutation.
    const missing = await app.gql(`{ customerBySource(system: ERP, externalId: "C-NOPE") { id } }`);
    expect(missing.errors[0]?.extensions?.['code']).toBe('NOT_FOUND');
    expect(missing.errors[0]?.extensions?.['reason']).toBeUndefined();
    const notThere = await app.gql(LINK, { s: 'ERP', id: 'C-NOPE' });
    expect(notThere.errors[0]?.extensions?.['code']).toBe('NOT_FOUND');
  });

  it('a GET for a new ERP row of a company nobody knows answers NOT_LINKED, saying what happens, and linkSourceRecord links it now', async () => {
    await newErpRow('C-LATE-2', 'Zephyrine Vault Cartography Ltd', null);
    const total0 = await total();
    const got = await viaGet('{ customerBySource(system: ERP, externalId: "C-LATE-2") { id } }');
    expect(got.data).toEqual({ customerBySource: null });
    expect(got.errors[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'NOT_LINKED', system: 'ERP', wouldJoin: [] });
    expect(got.errors[0]?.message).toBe(
      'ERP record "C-LATE-2" is not linked to a customer yet (linking it would make it a new customer); queries never link: ' +
        'it is queued for the sync worker to match, or link it now with the mutation linkSourceRecord(system: ERP, externalId: "C-LATE-2")',
    );
    // The mutation links it at once (the worker, running beside it, finds it linked: one customer either way).
    const linked = await app.gql<{ linkSourceRecord: Cust }>(LINK, { s: 'ERP', id: 'C-LATE-2' });
    expect(linked.errors).toEqual([]);
    expect(linked.data!.linkSourceRecord.sources).toEqual([expect.objectContaining({ system: 'ERP', externalId: 'C-LATE-2', matchRule: 'singleton' })]);
    await drainSync(app);
    expect(await total()).toBe(total0 + 1);
    // Linked now: the same GET answers it directly, and linking again changes nothing.
    const again = await viaGet('{ customerBySource(system: ERP, externalId: "C-LATE-2") { id } }');
    expect(again.data).toEqual({ customerBySource: { id: linked.data!.linkSourceRecord.id } });
    expect((await app.gql<{ linkSourceRecord: Cust }>(LINK, { s: 'ERP', id: 'C-LATE-2' })).data!.linkSourceRecord.id).toBe(linked.data!.linkSourceRecord.id);
    expect(await total()).toBe(total0 + 1);
  });

  it('makes a company nobody knows a new customer, findable by search at once', async () => {
    const before = await total();
    const created = await stripe.customers.create({ name: 'Quillfeather Orbital Logistics', email: 'finance@quillfeather-orbital.example', phone: '+1 415 555 0199' });
    await delivered();
    const found = await bySource('STRIPE', created.id);
    expect(found).not.toBeNull();
    expect(customers.map((c) => c.id)).not.toContain(found!.id);
    expect(found!.sources).toEqual([expect.objectContaining({ system: 'STRIPE', externalId: created.id, matchRule: 'singleton' })]);
    expect(await total()).toBe(before + 1);
    const s = await app.gql<{ searchCustomers: { score: number; customer: { id: string } }[] }>('{ searchCustomers(query: "quillfeather orbital") { score customer { id } } }');
    expect(s.data!.searchCustomers[0]?.customer.id).toBe(found!.id);
  });

  it('acknowledges the notification while the system cannot be read, links nothing, and links when a retry of the job can read it', async () => {
    // A signed customer.created event for a customer the gateway has not seen, while Stripe is down.
    const created = await stripe.customers.create({ name: 'Retry Robotics', email: 'ops@retry-robotics.example' });
    await delivered();
    const linkedAlready = await bySource('STRIPE', created.id);
    expect(linkedAlready).not.toBeNull();
    // Unlink it again, as if the first notification never arrived.
    const t = (n: string): string => app.store.table(n);
    await app.store.query(`DELETE FROM ${t('identity_events')} WHERE external_id = $1`, [created.id]);
    await app.store.query(`DELETE FROM ${t('identity_links')} WHERE external_id = $1`, [created.id]);
    await app.services.cache.invalidate([linkedAlready!.id]);
    const linkOf = async (): Promise<string | null> => (await app.services.identity.goldenIdsFor([{ system: 'stripe', externalId: created.id }]))[0] ?? null;
    expect(await linkOf()).toBeNull();

    const event = JSON.stringify({ id: 'evt_retry_1', object: 'event', type: 'customer.created', api_version: '2026-10-28.endive', created: Math.floor(Date.now() / 1000), data: { object: { id: created.id, object: 'customer' } } });
    const secret = app.sandbox!.env()['STRIPE_WEBHOOK_SECRET']!;
    app.sandbox!.stripe.faults.set({ outage: 'http' });
    const since = app.sandbox!.stripe.requests.lastSeq;
    const answer = await fetch(`${app.url}/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload: event, secret }) },
      body: event,
    });
    // Stored and queued: acknowledged whatever Stripe's state (Stripe would otherwise re-send for days).
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ received: true, queued: 1 });
    // The job tries, fails and is kept for its retry; nothing is linked meanwhile.
    const jobs = (): Promise<{ state: string; retry_count: number }[]> =>
      app.store.query<{ state: string; retry_count: number }>(`SELECT state::text, retry_count FROM ${app.sync.queue.schema}.job WHERE name = 'sync.change' AND data->>'eventId' = 'evt_retry_1'`).then((r) => r.rows);
    for (let i = 0; i < 100 && !(await jobs()).some((j) => j.state === 'retry'); i++) await new Promise((r) => setTimeout(r, 50));
    expect((await jobs()).map((j) => j.state)).toEqual(['retry']);
    expect(app.sandbox!.stripe.requests.count({ sinceSeq: since })).toBeGreaterThan(0);
    expect(await linkOf()).toBeNull();
    // Asked for while Stripe is down, the record cannot be checked either: SOURCE_UNAVAILABLE, not a wrong NOT_FOUND.
    const asked = await app.gql(`query($id: ID!) { customerBySource(system: STRIPE, externalId: $id) { id } }`, { id: created.id });
    expect(asked.errors[0]?.extensions?.['code']).toBe('SOURCE_UNAVAILABLE');
    expect(await linkOf()).toBeNull();

    app.sandbox!.stripe.faults.reset();
    // The retry (backoff from 2 s) reads the customer and links it.
    await drainSync(app, 60_000);
    expect((await jobs()).map((j) => j.state)).toEqual(['completed']);
    expect(await linkOf()).not.toBeNull();
    expect(await bySource('STRIPE', created.id)).not.toBeNull();
  });
});

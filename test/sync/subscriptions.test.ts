// syncStatus and customerChanged over a real WebSocket (graphql-ws's own client, as a browser or
// script would use it), with messages published on the gateway's pub/sub the way the worker's
// parts will (capture: customer.changed; writeback: sync.status). Across replicas: a client of
// gateway A receives what was published through gateway B's pub/sub, on one Redis.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'graphql-ws';
import { startReplica, startTestApp, type TestApp } from '../support/app.ts';
import { nextWithin, subscribe, whenListening, type Result } from '../support/graphql-ws.ts';
import type { App } from '../../src/app.ts';
import type { PubSub } from '../../src/pubsub/index.ts';
import { CUSTOMER_CHANGED_CHANNEL, SYNC_STATUS_CHANNEL, type SyncStatusMessage } from '../../src/sync/api.ts';

const status = (customerId: string, outboxId: string, state: SyncStatusMessage['state'], extra: Partial<SyncStatusMessage> = {}): SyncStatusMessage => ({
  customerId,
  system: 'stripe',
  recordId: 'cus_probe',
  outboxId,
  state,
  fields: ['phone'],
  error: null,
  at: new Date().toISOString(),
  ...extra,
});

const STATUS = 'subscription($id: ID!) { syncStatus(customerId: $id) { customerId system recordId outboxId state fields error at } }';

/** Customers of the app with a Stripe record, and how to read their ids. */
async function customersWithStripe(app: TestApp): Promise<{ id: string; stripe: string }[]> {
  const r = await app.gql<{ customers: { edges: { node: { id: string; sources: { system: string; externalId: string; type: string }[] } }[] } }>('{ customers(first: 40) { edges { node { id sources { system type externalId } } } } }');
  expect(r.errors).toEqual([]);
  return r.data!.customers.edges.flatMap((e) => {
    const s = e.node.sources.find((x) => x.system === 'STRIPE' && x.type === 'customer');
    return s ? [{ id: e.node.id, stripe: s.externalId }] : [];
  });
}

describe('subscriptions over graphql-ws on one gateway', () => {
  let app: TestApp;
  let customers: { id: string; stripe: string }[];
  const clients: Client[] = [];
  beforeAll(async () => {
    app = await startTestApp({ customers: 40, seed: 5 });
    customers = await customersWithStripe(app);
    expect(customers.length).toBeGreaterThan(5);
  });
  afterAll(async () => {
    for (const c of clients) await c.dispose();
    await app?.close();
  });

  it("syncStatus streams the customer's writes in order, by a retired id too, and nothing of other customers", async () => {
    const merged = await app.gql<{ mergeCustomers: { id: string } }>('mutation($ids: [ID!]!) { mergeCustomers(ids: $ids) { id } }', { ids: [customers[0]!.id, customers[1]!.id] });
    expect(merged.errors).toEqual([]);
    const survivor = merged.data!.mergeCustomers.id;
    const retired = survivor === customers[0]!.id ? customers[1]!.id : customers[0]!.id;
    const other = customers[2]!.id;
    const pubsub = app.pubsub;
    const s = subscribe(app.url, 'agent', STATUS, { id: retired });
    clients.push(s.client);
    const probe = await whenListening(s.results, () => pubsub.publish(SYNC_STATUS_CHANNEL, status(survivor, 'probe', 'QUEUED') as never));
    expect(probe).toMatchObject({ data: { syncStatus: { customerId: survivor, outboxId: 'probe', system: 'STRIPE' } } });
    // Drain the probes still on their way.
    const t0 = new Date().toISOString();
    await pubsub.publish(SYNC_STATUS_CHANNEL, status(other, 'ob_other', 'QUEUED') as never);
    await pubsub.publish(SYNC_STATUS_CHANNEL, { customerId: survivor, state: 'BOGUS' });
    for (const state of ['QUEUED', 'WRITING', 'FAILED', 'WRITING', 'DONE'] as const) {
      await pubsub.publish(SYNC_STATUS_CHANNEL, status(survivor, 'ob_1', state, { at: t0, ...(state === 'FAILED' ? { error: 'Stripe answered HTTP 500; retrying' } : {}) }) as never);
    }
    const seen: unknown[] = [];
    while (seen.length < 5) {
      const r = await nextWithin(s.results);
      expect(r.errors).toBeUndefined();
      const e = r.data!['syncStatus'] as { outboxId: string; state: string; error: string | null; customerId: string };
      if (e.outboxId === 'probe') continue;
      seen.push({ outboxId: e.outboxId, state: e.state, error: e.error, customerId: e.customerId });
    }
    expect(seen).toEqual([
      { outboxId: 'ob_1', state: 'QUEUED', error: null, customerId: survivor },
      { outboxId: 'ob_1', state: 'WRITING', error: null, customerId: survivor },
      { outboxId: 'ob_1', state: 'FAILED', error: 'Stripe answered HTTP 500; retrying', customerId: survivor },
      { outboxId: 'ob_1', state: 'WRITING', error: null, customerId: survivor },
      { outboxId: 'ob_1', state: 'DONE', error: null, customerId: survivor },
    ]);
  });

  it('syncStatus is refused at the start to a role without CONTACT, and for an unknown customer', async () => {
    const reader = subscribe(app.url, 'reader', STATUS, { id: customers[3]!.id });
    clients.push(reader.client);
    // A refused start is one result carrying the error, then the end (graphql-ws's next + complete).
    const refused = await nextWithin(reader.results);
    expect(refused.data ?? null).toBeNull();
    expect(refused.errors?.map((e) => [e.extensions?.['code'], e.path?.join('.')])).toEqual([['FORBIDDEN', 'syncStatus']]);
    expect((await reader.results.next()).done).toBe(true);
    const missing = subscribe(app.url, 'admin', STATUS, { id: 'gc_01ARZ3NDEKTSV4RRFFQ69G5FAV' });
    clients.push(missing.client);
    expect((await nextWithin(missing.results)).errors?.map((e) => e.extensions?.['code'])).toEqual(['NOT_FOUND']);
  });

  it('customerChanged streams the new golden record each time, under the field rules of the role', async () => {
    const c = customers[4]!;
    const q = 'subscription($id: ID!) { customerChanged(id: $id) { id name phone lineage { field candidates { system value } } } }';
    const stripePhone = (r: Result): unknown =>
      (r.data?.['customerChanged'] as { lineage: { field: string; candidates: { system: string; value: unknown }[] }[] }).lineage.find((l) => l.field === 'phone')?.candidates.find((x) => x.system === 'STRIPE')?.value ?? null;
    const admin = subscribe(app.url, 'admin', q, { id: c.id });
    const reader = subscribe(app.url, 'reader', q, { id: c.id });
    clients.push(admin.client, reader.client);
    const changed = (): Promise<void> => app.pubsub.publish(CUSTOMER_CHANGED_CHANNEL, { customerId: c.id, at: new Date().toISOString() });
    const first = await whenListening(admin.results, changed);
    expect(first.errors).toBeUndefined();
    expect(first.data!['customerChanged']).toMatchObject({ id: c.id });
    const readerFirst = await whenListening(reader.results, changed);
    expect(readerFirst.data!['customerChanged']).toMatchObject({ id: c.id, phone: null });
    expect(readerFirst.errors?.map((e) => [e.extensions?.['code'], e.path?.join('.')])).toContainEqual(['FORBIDDEN', 'customerChanged.phone']);

    // The Stripe customer's phone changes; the next event shows it (each event reads afresh).
    app.sandbox!.stripe.store.updateCustomer(c.stripe, { phone: '+1 415 555 0142' });
    await app.services.cache.invalidate([c.id]);
    await changed();
    for (let i = 0; i < 50; i++) {
      const r = await nextWithin(admin.results);
      if (stripePhone(r) === '+14155550142') return;
    }
    throw new Error('no event showed the new phone');
  });
});

describe.skipIf(!process.env['DATABASE_URL'] || !process.env['REDIS_URL'])('subscriptions across two gateway replicas on one Redis', () => {
  let a: TestApp;
  let b: App;
  const clients: Client[] = [];
  beforeAll(async () => {
    a = await startTestApp({ customers: 40, seed: 6 });
    b = await startReplica(a);
  });
  afterAll(async () => {
    for (const c of clients) await c.dispose();
    await b?.close();
    await a?.close();
  });

  it("a client of gateway A receives the status a worker published beside gateway B, and B's clients A's", async () => {
    expect(a.pubsub.kind).toBe('redis');
    const [c1, c2] = await customersWithStripe(a);
    const onA = subscribe(a.url, 'service', STATUS, { id: c1!.id });
    const onB = subscribe(b.url, 'service', STATUS, { id: c2!.id });
    clients.push(onA.client, onB.client);
    const via = (p: PubSub, id: string, outboxId: string, state: SyncStatusMessage['state']): Promise<void> => p.publish(SYNC_STATUS_CHANNEL, status(id, outboxId, state) as never);
    expect(await whenListening(onA.results, () => via(b.pubsub, c1!.id, 'probe', 'QUEUED'))).toMatchObject({ data: { syncStatus: { customerId: c1!.id } } });
    expect(await whenListening(onB.results, () => via(a.pubsub, c2!.id, 'probe', 'QUEUED'))).toMatchObject({ data: { syncStatus: { customerId: c2!.id } } });
    for (const state of ['QUEUED', 'WRITING', 'DONE'] as const) {
      await via(b.pubsub, c1!.id, 'ob_a', state);
      await via(a.pubsub, c2!.id, 'ob_b', state);
    }
    const drain = async (results: AsyncIterableIterator<Result>, outboxId: string): Promise<string[]> => {
      const states: string[] = [];
      while (states.length < 3) {
        const e = (await nextWithin(results)).data!['syncStatus'] as { outboxId: string; state: string };
        if (e.outboxId === outboxId) states.push(e.state);
      }
      return states;
    };
    expect(await drain(onA.results, 'ob_a')).toEqual(['QUEUED', 'WRITING', 'DONE']);
    expect(await drain(onB.results, 'ob_b')).toEqual(['QUEUED', 'WRITING', 'DONE']);
  });

  it('customerChanged on gateway A after a change announced through gateway B', async () => {
    const [, , c] = await customersWithStripe(a);
    const onA = subscribe(a.url, 'agent', 'subscription($id: ID!) { customerChanged(id: $id) { id name phone } }', { id: c!.id });
    clients.push(onA.client);
    const r = await whenListening(onA.results, () => b.pubsub.publish(CUSTOMER_CHANGED_CHANNEL, { customerId: c!.id, at: new Date().toISOString() }));
    expect(r.errors).toBeUndefined();
    expect(r.data!['customerChanged']).toMatchObject({ id: c!.id });
  });
});

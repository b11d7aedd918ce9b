// updateCustomer end to end with write routing wired as the lead wires it: the API's routeUpdate
// seam bound to writeback's routeUpdate; the worker's outbox loop writes; writes counted at the emulators.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeUpdate } from '../../src/sync/route.ts';
import { createWriteback, type Writeback } from '../../src/sync/writeback.ts';
import type { RouteUpdate } from '../../src/sync/api.ts';
import { startTestApp, type TestApp } from '../support/app.ts';

let app: TestApp;
let wb: Writeback;
beforeAll(async () => {
  let bound: RouteUpdate | null = null;
  // The app's own worker off: its outbox loop would otherwise race this test's loop for the rows
  // (and write them after drain() returned, counted as no write).
  app = await startTestApp({ customers: 40, env: { MERIDIAN_WORKER: 'off' }, app: { sync: { routeUpdate: (g, v, k) => bound!(g, v, k) } } });
  wb = createWriteback({ store: app.store, identity: app.services.identity, spec: app.services.spec, connectors: app.connectors, writers: app.writers });
  bound = (g, v, k) => routeUpdate(wb.routeDeps, g, v as Record<string, unknown>, k);
}, 120_000);
afterAll(async () => {
  wb?.close();
  await app?.close();
});

describe('updateCustomer with writeback routing', () => {
  it('answers one job per owning record, and the worker writes each once', async () => {
    const links = app.store.table('identity_links');
    const { rows } = await app.store.query<{ golden_id: string }>(
      `SELECT golden_id FROM ${links} GROUP BY golden_id HAVING count(*) FILTER (WHERE system = 'salesforce') = 1 AND count(*) FILTER (WHERE system = 'stripe') = 1 ORDER BY golden_id LIMIT 1`,
    );
    const g = rows[0]!.golden_id;
    const sinceSf = app.sandbox!.salesforce.requests.lastSeq;
    const sinceStripe = app.sandbox!.stripe.requests.lastSeq;
    const mutation = `mutation($id: ID!) { updateCustomer(id: $id, input: { phone: "+1 415 555 0919" }, idempotencyKey: "k-1") { replayed jobs { system recordId outboxId fields } } }`;
    const first = await app.gql<{ updateCustomer: { replayed: boolean; jobs: { system: string; fields: string[] }[] } }>(mutation, { id: g });
    expect(first.errors).toEqual([]);
    expect(first.data!.updateCustomer.jobs.map((j) => [j.system, j.fields]).sort()).toEqual([['SALESFORCE', ['phone']], ['STRIPE', ['phone']]]);
    const again = await app.gql<{ updateCustomer: { replayed: boolean; jobs: unknown[] } }>(mutation, { id: g });
    expect(again.data!.updateCustomer).toEqual({ ...first.data!.updateCustomer, replayed: true });
    await wb.loop.drain();
    const sfWrites = app.sandbox!.salesforce.requests.list({ operation: 'sobject.update', sinceSeq: sinceSf }).length;
    const stripeWrites = app.sandbox!.stripe.requests.list({ operation: 'customers.update', sinceSeq: sinceStripe }).length;
    expect([sfWrites, stripeWrites]).toEqual([1, 1]);

    const refused = await app.gql(`mutation($id: ID!) { updateCustomer(id: $id, input: { industry: "Retail" }, idempotencyKey: "k-2") { replayed } }`, { id: g });
    expect(refused.errors[0]?.extensions).toMatchObject({ code: 'READ_ONLY_SYSTEM', fields: ['industry'] });
  });
});

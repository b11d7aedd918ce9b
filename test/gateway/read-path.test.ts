// The unified read path as a client meets it: GraphQL over HTTP and WebSocket against the
// gateway on the sandbox, real SDKs underneath, calls counted at the emulators.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { bearer, startTestApp, type TestApp } from '../support/app.ts';
import type { TruthCustomer } from '../../src/sandbox/world/types.ts';

interface Lineage {
  field: string;
  source: string | null;
  rule: string;
  candidates: { system: string; chosen: boolean }[];
}

describe('read path', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ customers: 200, seed: 5 });
  });
  afterAll(() => app?.close());

  const truth = (): TruthCustomer[] => app.sandbox!.world.truth;
  const inAllFour = (): TruthCustomer[] =>
    truth().filter((t) => (['salesforce', 'stripe', 'zendesk', 'erp'] as const).every((s) => t.records.some((r) => r.system === s)));

  it('lists customers Relay-style and pages through them without repeats', async () => {
    const first = await app.gql<{ customers: { totalCount: number; edges: { cursor: string; node: { id: string; name: string | null } }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } }>(
      '{ customers(first: 10) { totalCount edges { cursor node { id name } } pageInfo { hasNextPage endCursor } } }',
    );
    expect(first.errors).toEqual([]);
    const page1 = first.data!.customers;
    expect(page1.edges).toHaveLength(10);
    expect(page1.totalCount).toBeGreaterThanOrEqual(truth().length);
    expect(page1.edges.every((e) => typeof e.node.name === 'string')).toBe(true);
    const second = await app.gql<{ customers: { edges: { node: { id: string } }[] } }>('query($after: String) { customers(first: 10, after: $after) { edges { node { id } } } }', {
      after: page1.pageInfo.endCursor,
    });
    const ids = new Set([...page1.edges.map((e) => e.node.id), ...second.data!.customers.edges.map((e) => e.node.id)]);
    expect(ids.size).toBe(20);
  });

  it('answers customer(id) with lineage from all four systems and the related records of each', async () => {
    const t = inAllFour().find((c) => c.records.filter((r) => r.system === 'salesforce').length === 1)!;
    const sfId = t.records.find((r) => r.system === 'salesforce')!.id;
    const found = await app.gql<{ customerBySource: { id: string } }>('query($id: ID!) { customerBySource(system: SALESFORCE, externalId: $id) { id } }', { id: sfId });
    expect(found.errors).toEqual([]);
    const id = found.data!.customerBySource.id;
    const r = await app.gql<{ customer: { id: string; sources: { system: string }[]; lineage: Lineage[]; opportunities: { totalCount: number }; tickets: { totalCount: number }; subscriptions: { totalCount: number }; contracts: { totalCount: number }; invoices: { edges: { node: { system: string } }[] }; contacts: { email: string | null }[] } }>(
      `query($id: ID!) { customer(id: $id) {
        id sources { system } lineage { field source rule candidates { system chosen } }
        opportunities { totalCount } tickets { totalCount } subscriptions { totalCount } contracts { totalCount }
        invoices(first: 100) { edges { node { system } } } contacts { email } } }`,
      { id },
    );
    expect(r.errors).toEqual([]);
    const c = r.data!.customer;
    expect(new Set(c.sources.map((s) => s.system))).toEqual(new Set(['SALESFORCE', 'STRIPE', 'ZENDESK', 'ERP']));
    const candidateSystems = new Set(c.lineage.flatMap((l) => l.candidates.map((x) => x.system)));
    expect(candidateSystems).toEqual(new Set(['SALESFORCE', 'STRIPE', 'ZENDESK', 'ERP']));
    for (const l of c.lineage) if (l.source) expect(l.candidates.filter((x) => x.chosen).map((x) => x.system)).toContain(l.source);

    const world = app.sandbox!.world;
    const sfOpps = world.salesforce.opportunities.filter((o) => o.AccountId === sfId && !o.IsDeleted).length;
    expect(c.opportunities.totalCount).toBe(sfOpps);
    const erpId = t.records.find((r) => r.system === 'erp')!.id;
    expect(c.contracts.totalCount).toBe(world.erp.contracts.filter((k) => k.customer_number === erpId).length);
    const stripeIds = t.records.filter((r) => r.system === 'stripe').map((r) => r.id);
    expect(c.subscriptions.totalCount).toBe(world.stripe.subscriptions.filter((s) => stripeIds.includes(s.customer)).length);
    expect(new Set(c.invoices.edges.map((e) => e.node.system))).toEqual(new Set(['STRIPE', 'ERP']));
    expect(c.contacts.length).toBeGreaterThan(0);
  });

  it('makes one upstream call per source per batchable kind for 50 customers, and nothing more for repeated keys', async () => {
    const sb = app.sandbox!;
    await app.services.cache.clear();
    sb.salesforce.requests.clear();
    sb.zendesk.requests.clear();
    sb.stripe.requests.clear();
    sb.erp.proxy.requests.clear();
    const fields = `id name email phone contractValue { amount } accountingStatus lifecycle
      opportunities { totalCount } tickets { totalCount } contracts { totalCount } payments { totalCount } invoices { totalCount }`;
    const r = await app.gql<{ customers: { edges: { node: { id: string } }[] }; again: { edges: unknown[] } }>(
      `{ customers(first: 50) { edges { node { ${fields} } } } again: customers(first: 50) { edges { node { ${fields} } } } }`,
    );
    expect(r.errors.map((e) => `${e.path?.join('.')}: ${e.message}`).slice(0, 5)).toEqual([]);
    expect(r.data!.customers.edges).toHaveLength(50);
    // Salesforce: one SOQL for the accounts (queryAll: merged-away duplicates too), one for opportunities.
    expect(sb.salesforce.requests.countsByOperation()).toEqual({ queryAll: 1, query: 1 });
    // ERP: one round trip each for customers, contracts, payments, invoices.
    const erpCalls = sb.erp.proxy.requests.list().filter((x) => x.operation === 'select');
    expect(erpCalls).toHaveLength(4);
    // Zendesk: organizations in one show_many.
    expect(sb.zendesk.requests.count({ operation: 'organizations.show_many' })).toBe(1);
    // Stripe has no batch retrieve: one retrieve per distinct customer, never twice.
    const retrieves = sb.stripe.requests.list({ operation: 'customers.retrieve' }).map((x) => x.path);
    expect(new Set(retrieves).size).toBe(retrieves.length);
  });

  it('reads the same through GET and WebSocket as through POST', async () => {
    const get = await fetch(`${app.url}/graphql?query=${encodeURIComponent('{ customers(first: 1) { edges { node { id name } } } }')}`, {
      headers: { accept: 'application/graphql-response+json', ...bearer() },
    });
    expect(get.status).toBe(200);
    expect(get.headers.get('content-type')).toContain('application/graphql-response+json');
    const viaGet = (await get.json()) as { data: { customers: { edges: { node: { id: string; name: string } }[] } } };
    const id = viaGet.data.customers.edges[0]!.node.id;

    const client = createClient({ url: `${app.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, lazy: true, retryAttempts: 0, connectionParams: bearer() });
    try {
      const viaWs = await new Promise<unknown>((resolve, reject) => {
        let result: unknown;
        client.subscribe({ query: 'query($id: ID!) { customer(id: $id) { id name } }', variables: { id } }, { next: (v) => (result = v), error: reject, complete: () => resolve(result) });
      });
      expect(viaWs).toEqual({ data: { customer: viaGet.data.customers.edges[0]!.node } });
    } finally {
      await client.dispose();
    }
  });

  it('follows GraphQL over HTTP for bad requests', async () => {
    const parse = await fetch(`${app.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...bearer() }, body: '{"query":"{ customers("}' });
    expect(parse.status).toBe(400);
    const invalid = await fetch(`${app.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...bearer() }, body: '{"query":"{ nope }"}' });
    expect(invalid.status).toBe(400);
    const notJson = await fetch(`${app.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer() }, body: '{"query":' });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { errors: { message: string }[] }).errors[0]!.message).toMatch(/not valid JSON/);
  });

  it('names the argument of bad input and answers unknown ids with null and NOT_FOUND', async () => {
    const cursor = await app.gql('{ customers(first: 2, after: "garbage") { totalCount } }');
    expect(cursor.errors[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'after' });
    const first = await app.gql('{ customers(first: -1) { totalCount } }');
    expect(first.errors[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'first' });
    const missing = await app.gql<{ customer: null }>('{ customer(id: "gc_doesnotexist") { id } }');
    expect(missing.data).toEqual({ customer: null });
    expect(missing.errors[0]?.extensions).toMatchObject({ code: 'NOT_FOUND' });
    const bySource = await app.gql<{ customerBySource: null }>('{ customerBySource(system: STRIPE, externalId: "cus_nothere") { id } }');
    expect(bySource.data).toEqual({ customerBySource: null });
    expect(bySource.errors[0]?.extensions).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('reports liveness and per-dependency readiness', async () => {
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${app.url}/readyz`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { dependencies: Record<string, { ok: boolean }> };
    expect(Object.keys(body.dependencies)).toEqual(expect.arrayContaining(['postgres', 'salesforce', 'stripe', 'zendesk', 'erp']));
    // A second probe within the window is answered from the same check: no system is called.
    const seqs = (): number[] => [app.sandbox!.salesforce.requests.lastSeq, app.sandbox!.stripe.requests.lastSeq, app.sandbox!.zendesk.requests.lastSeq];
    const before = seqs();
    expect((await fetch(`${app.url}/readyz`)).status).toBe(200);
    expect(seqs()).toEqual(before);
    const page = await fetch(`${app.url}/`);
    expect(await page.text()).toContain('Meridian');
  });
});

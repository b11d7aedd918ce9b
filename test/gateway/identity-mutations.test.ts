// mergeCustomers and splitCustomer through GraphQL: stable ids, redirects, audit, caches, and
// a person's split surviving the next automatic backfill.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { runBackfill } from '../../src/identity/backfill.ts';

interface Src {
  system: string;
  externalId: string;
}

describe('merge and split', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ customers: 120, seed: 21 });
  });
  afterAll(() => app?.close());

  const sourcesOf = async (id: string): Promise<{ id: string; sources: Src[] }> => {
    const r = await app.gql<{ customer: { id: string; sources: Src[] } }>('query($id: ID!) { customer(id: $id) { id sources { system externalId } } }', { id });
    expect(r.errors).toEqual([]);
    return r.data!.customer;
  };
  const firstIds = async (n: number): Promise<string[]> => {
    const r = await app.gql<{ customers: { edges: { node: { id: string } }[] } }>(`{ customers(first: ${n}) { edges { node { id } } } }`);
    return r.data!.customers.edges.map((e) => e.node.id);
  };

  it('merges customers into the oldest, redirects the retired id, invalidates caches and audits', async () => {
    const [a, b] = (await firstIds(2)) as [string, string];
    const before = [...(await sourcesOf(a)).sources, ...(await sourcesOf(b)).sources]; // now cached
    const r = await app.gql<{ mergeCustomers: { id: string; sources: Src[] } }>('mutation($ids: [ID!]!) { mergeCustomers(ids: $ids) { id sources { system externalId } } }', { ids: [b, a] });
    expect(r.errors).toEqual([]);
    expect(r.data!.mergeCustomers.id).toBe(a); // ids are time-ordered: the first listed is the oldest
    expect(r.data!.mergeCustomers.sources.map((s) => s.externalId).sort()).toEqual(before.map((s) => s.externalId).sort());
    const viaRetired = await sourcesOf(b);
    expect(viaRetired.id).toBe(a);
    const events = await app.store.query<{ kind: string; actor: string; other_golden_id: string }>(
      `SELECT kind, actor, other_golden_id FROM ${app.store.table('identity_events')} WHERE golden_id = $1 AND kind = 'merged'`,
      [a],
    );
    expect(events.rows).toEqual([{ kind: 'merged', actor: 'api', other_golden_id: b }]);
  });

  it('splits a record off into a new customer that the next backfill leaves alone', async () => {
    const ids = await firstIds(40);
    let host: { id: string; sources: Src[] } | undefined;
    for (const id of ids) {
      const c = await sourcesOf(id);
      if (c.sources.length >= 3) {
        host = c;
        break;
      }
    }
    expect(host).toBeDefined();
    const leaving = host!.sources.find((s) => s.system !== 'SALESFORCE') ?? host!.sources[0]!;
    const r = await app.gql<{ splitCustomer: { id: string; sources: Src[] } }>(
      'mutation($id: ID!, $system: System!, $externalId: ID!) { splitCustomer(id: $id, system: $system, externalId: $externalId) { id sources { system externalId } } }',
      { id: host!.id, system: leaving.system, externalId: leaving.externalId },
    );
    expect(r.errors).toEqual([]);
    const split = r.data!.splitCustomer;
    expect(split.id).not.toBe(host!.id);
    expect(split.sources).toEqual([{ system: leaving.system, externalId: leaving.externalId }]);
    expect((await sourcesOf(host!.id)).sources).not.toContainEqual(leaving);

    // The cross-references that linked them are still there; a person's decision must win.
    await runBackfill({ connectors: app.connectors, store: app.services.identity });
    await app.services.cache.clear();
    expect((await sourcesOf(split.id)).sources).toEqual([{ system: leaving.system, externalId: leaving.externalId }]);
    expect((await sourcesOf(host!.id)).sources).not.toContainEqual(leaving);
  });

  it('names the argument when a merge or split cannot be done', async () => {
    const [a] = (await firstIds(1)) as [string];
    const one = await app.gql('mutation($ids: [ID!]!) { mergeCustomers(ids: $ids) { id } }', { ids: [a] });
    expect(one.errors[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'ids' });
    const unknown = await app.gql('mutation($ids: [ID!]!) { mergeCustomers(ids: $ids) { id } }', { ids: [a, 'gc_nope'] });
    expect(unknown.errors[0]?.message).toMatch(/no customer "gc_nope"/);
    const notLinked = await app.gql('mutation($id: ID!) { splitCustomer(id: $id, system: STRIPE, externalId: "cus_not_here") { id } }', { id: a });
    expect(notLinked.errors[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'externalId' });
  });
});

// mergeCustomers and splitCustomer through GraphQL: stable ids, redirects, audit, caches, and
// a person's split surviving the next automatic backfill.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, testKeyName, type TestApp } from '../support/app.ts';
import { createKeyStore } from '../../src/access/key-store.ts';
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
    // A steward's own key (as `meridian keys create` makes one): the audit names it.
    const { key } = await createKeyStore(app.store).create({ name: 'steward-ana', role: 'steward' });
    const r = await app.gql<{ mergeCustomers: { id: string; sources: Src[] } }>('mutation($ids: [ID!]!) { mergeCustomers(ids: $ids) { id sources { system externalId } } }', { ids: [b, a] }, { headers: { authorization: `Bearer ${key}` } });
    expect(r.errors).toEqual([]);
    expect(r.data!.mergeCustomers.id).toBe(a); // ids are time-ordered: the first listed is the oldest
    expect(r.data!.mergeCustomers.sources.map((s) => s.externalId).sort()).toEqual(before.map((s) => s.externalId).sort());
    const viaRetired = await sourcesOf(b);
    expect(viaRetired.id).toBe(a);
    const events = await app.store.query<{ kind: string; actor: string; other_golden_id: string }>(
      `SELECT kind, actor, other_golden_id FROM ${app.store.table('identity_events')} WHERE golden_id = $1 AND kind = 'merged'`,
      [a],
    );
    expect(events.rows).toEqual([{ kind: 'merged', actor: 'steward-ana', other_golden_id: b }]);
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

    // A split is a person's decision too: merging the record back is refused, naming the split.
    const back = await app.gql('mutation($ids: [ID!]!) { mergeCustomers(ids: $ids) { id } }', { ids: [host!.id, split.id] });
    expect(back.errors[0]?.extensions?.['code']).toBe('CONFLICT');
    // One cannot-link pair per record the split record left.
    const decisions = back.errors[0]?.extensions?.['decisions'] as { reason: string; decidedBy: string; reviewItem: string | null; records: Src[] }[];
    expect(decisions).toHaveLength(host!.sources.length - 1);
    for (const d of decisions) {
      expect(d).toMatchObject({ reason: 'split', decidedBy: testKeyName(), reviewItem: null });
      expect(d.records.map((r) => r.externalId)).toContain(leaving.externalId);
    }
    expect(back.errors[0]?.message).toMatch(new RegExp(`kept separate by a person: .*\\(a split, by ${testKeyName()} at `));
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

  /** Two live customers no other test touched, kept apart by a person's KEEP_SEPARATE on a review item. */
  const keptApart = async (skip: number): Promise<{ a: string; b: string; itemId: string }> => {
    const page = await app.services.identity.list({ first: 4, after: (await app.services.identity.list({ first: skip })).pageInfo.endCursor });
    const [a, b] = page.edges.map((e) => e.node.id) as [string, string];
    const [la, lb] = await app.services.identity.linksFor([a, b]);
    const ref = (l: { system: string; recordType: string; externalId: string }) => ({ system: l.system, recordType: l.recordType, externalId: l.externalId }) as never;
    await app.services.reviews.addPossibleDuplicates([{ records: [ref(la![0]!), ref(lb![0]!)], probability: 0.7, weight: 3, levels: [] }], 'backfill');
    const open = await app.services.reviews.list({ first: 100 });
    const item = open.edges.map((e) => e.node).find((i) => i.subject.records.some((r) => r.externalId === la![0]!.externalId) && i.subject.records.some((r) => r.externalId === lb![0]!.externalId))!;
    const decided = await app.gql('mutation($id: ID!) { resolveReview(id: $id, decision: { action: KEEP_SEPARATE, note: "different firms" }) { status } }', { id: item.id });
    expect(decided.errors).toEqual([]);
    return { a, b, itemId: item.id };
  };
  const mergedEvents = async (survivor: string) =>
    (
      await app.store.query<{ other_golden_id: string; actor: string; detail: Record<string, unknown> }>(
        `SELECT other_golden_id, actor, detail FROM ${app.store.table('identity_events')} WHERE golden_id = $1 AND kind = 'merged' ORDER BY id`,
        [survivor],
      )
    ).rows;

  it('refuses with CONFLICT to merge customers a person kept separate, naming that decision, and changes nothing', async () => {
    const { a, b, itemId } = await keptApart(60);
    const r = await app.gql('mutation($ids: [ID!]!) { mergeCustomers(ids: $ids) { id } }', { ids: [a, b] });
    expect(r.data).toBeNull();
    expect(r.errors[0]?.extensions).toMatchObject({ code: 'CONFLICT', decisions: [expect.objectContaining({ reason: 'review:keep_separate', decidedBy: testKeyName('admin'), reviewItem: itemId })] });
    expect(r.errors[0]?.message).toMatch(new RegExp(`kept separate.*review item ${itemId}.*override: true`));
    expect((await sourcesOf(b)).id).toBe(b);
    expect(await mergedEvents(a)).toEqual([]);
    expect(await app.services.identity.resolveMany([a, b])).toEqual([a, b]);
  });

  it('merges kept-separate customers only with an explicit override and a reason, audited with the decision it overrode', async () => {
    const { a, b, itemId } = await keptApart(70);
    const noReason = await app.gql('mutation($ids: [ID!]!) { mergeCustomers(ids: $ids, override: true) { id } }', { ids: [a, b] });
    expect(noReason.errors[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'reason' });
    const r = await app.gql<{ mergeCustomers: { id: string } }>('mutation($ids: [ID!]!) { mergeCustomers(ids: $ids, override: true, reason: "same group after the acquisition") { id } }', { ids: [a, b] });
    expect(r.errors).toEqual([]);
    expect(r.data!.mergeCustomers.id).toBe(a);
    const [event] = await mergedEvents(a);
    expect(event).toMatchObject({
      other_golden_id: b,
      actor: testKeyName('admin'),
      detail: { decision: 'manual', override: { reason: 'same group after the acquisition', overrode: [expect.objectContaining({ reason: 'review:keep_separate', reviewItem: itemId })] } },
    });
  });
});

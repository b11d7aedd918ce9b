// The review queue through GraphQL: the POSSIBLE_DUPLICATE items the start-up backfill raised
// (and more raised through the same writer), paged; a person's MERGE, KEEP_SEPARATE and DISMISS, each written whole or not at all; and the
// errors a client can act on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, testKeyName, type TestApp } from '../support/app.ts';
import { ACCOUNT_TYPE, type SourceRecord, type SystemId } from '../../src/sources/types.ts';

interface Rec {
  system: string;
  type: string;
  externalId: string;
  customer: { id: string } | null;
}
interface Item {
  id: string;
  kind: string;
  status: string;
  createdAt: string;
  createdBy: string;
  resolvedAt: string | null;
  resolvedBy: string | null;
  decision: { action: string; note: string | null } | null;
  probability: number | null;
  weight: number | null;
  records: Rec[];
  explanation: { field: string; level: string; weight: number }[];
}
interface Page {
  totalCount: number;
  edges: { cursor: string; node: Item }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}
interface StoredPayload {
  records: { system: string; recordType: string; externalId: string }[];
  probability: number;
  weight: number;
  levels: { field: string; level: string; weight: number }[];
}

const ITEM = `id kind status createdAt createdBy resolvedAt resolvedBy decision { action note } probability weight
  records { system type externalId customer { id } } explanation { field level weight }`;
const QUEUE = `query($status: ReviewStatus, $first: Int, $after: String) {
  reviewQueue(status: $status, first: $first, after: $after) {
    totalCount edges { cursor node { ${ITEM} } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;
const RESOLVE = `mutation($id: ID!, $action: ReviewAction!, $note: String) {
  resolveReview(id: $id, decision: { action: $action, note: $note }) { ${ITEM} }
}`;

describe('review queue', () => {
  let app: TestApp;
  let items: Item[];
  let planted = 0;
  beforeAll(async () => {
    app = await startTestApp({ customers: 1000, seed: 42 });
    // The matcher is sure of nearly every pair in the demo world (a handful of items on this
    // seed); what the queue does with an item does not depend on how it was raised, so more
    // undecided pairs of distinct customers are raised here through the same writer.
    const page = await app.services.identity.list({ first: 24 });
    const links = await app.services.identity.linksFor(page.edges.map((e) => e.node.id));
    const refs = links.map((l) => ({ system: l[0]!.system, recordType: l[0]!.recordType, externalId: l[0]!.externalId }));
    const pairs = Array.from({ length: 12 }, (_, i) => ({
      records: [refs[2 * i]!, refs[2 * i + 1]!] as [(typeof refs)[0], (typeof refs)[0]],
      probability: 0.55 + i * 0.03,
      weight: 2 + i / 4,
      levels: [
        { field: 'name', level: 'damerau-levenshtein ≤ 2', weight: 3.1 },
        { field: 'domain', level: 'null', weight: 0 },
        { field: 'phone', level: 'exact', weight: 7.9 },
      ],
    }));
    planted = await app.services.reviews.addPossibleDuplicates(pairs, 'backfill');
  }, 120_000);
  afterAll(() => app?.close());

  const queue = async (variables: Record<string, unknown> = {}): Promise<Page> => {
    const r = await app.gql<{ reviewQueue: Page }>(QUEUE, variables);
    expect(r.errors).toEqual([]);
    return r.data!.reviewQueue;
  };
  const resolve = (id: string, action: string, note?: string) => app.gql<{ resolveReview: Item }>(RESOLVE, { id, action, ...(note === undefined ? {} : { note }) });
  const customer = async (id: string): Promise<{ id: string; sources: { externalId: string }[] }> => {
    const r = await app.gql<{ customer: { id: string; sources: { externalId: string }[] } }>('query($id: ID!) { customer(id: $id) { id sources { externalId } } }', { id });
    expect(r.errors).toEqual([]);
    return r.data!.customer;
  };
  const cannotLinkRows = async (): Promise<Record<string, string>[]> =>
    (
      await app.store.query<Record<string, string>>(
        `SELECT a_system, a_record_type, a_external_id, b_system, b_record_type, b_external_id, reason, decided_by
           FROM ${app.store.table('identity_cannot_link')} ORDER BY a_system, a_record_type, a_external_id`,
      )
    ).rows;
  /** An open item whose two customers no other test touched, so each test decides on its own pair. */
  const used = new Set<string>();
  const freshItem = async (): Promise<Item> => {
    const open = (await queue({ first: 100 })).edges.map((e) => e.node);
    const item = open.find((i) => i.records.every((r) => r.customer && !used.has(r.customer.id)) && i.records[0]!.customer!.id !== i.records[1]!.customer!.id);
    expect(item).toBeDefined();
    for (const r of item!.records) used.add(r.customer!.id);
    return item!;
  };

  it('lists every item the start-up backfill raised, oldest first, with records, their customers and the explanation', async () => {
    expect(app.backfill?.matcher?.reviewItemsCreated).toBeGreaterThan(0); // the seed-42 world raises 5
    expect(planted).toBe(12);
    const created = app.backfill!.matcher!.reviewItemsCreated + planted;
    const page = await queue({ first: 100 });
    expect(page.totalCount).toBe(created);
    expect(page.edges).toHaveLength(created);
    expect(page.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
    items = page.edges.map((e) => e.node);
    const ids = items.map((i) => Number(i.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));

    const stored = await app.store.query<{ id: string; payload: StoredPayload }>(`SELECT id::text AS id, payload FROM ${app.store.table('review_items')} r ORDER BY r.id`);
    expect(stored.rows.map((r) => r.id)).toEqual(items.map((i) => i.id));
    for (const [i, item] of items.entries()) {
      const payload = stored.rows[i]!.payload;
      expect(item).toMatchObject({ kind: 'POSSIBLE_DUPLICATE', status: 'OPEN', createdBy: 'backfill', resolvedAt: null, resolvedBy: null, decision: null });
      expect(Date.parse(item.createdAt)).not.toBeNaN();
      // Between the customers config's review (0.5) and link (0.99) thresholds.
      expect(item.probability).toBeGreaterThanOrEqual(0.5);
      expect(item.probability).toBeLessThan(0.99);
      expect(item.probability).toBeCloseTo(payload.probability, 10);
      expect(item.weight).toBeCloseTo(payload.weight, 10);
      expect(item.explanation).toEqual(payload.levels);
      expect(item.explanation.map((l) => l.field)).toContain('name');
      expect(item.records.map((r) => [r.system.toLowerCase(), r.type, r.externalId])).toEqual(payload.records.map((r) => [r.system, r.recordType, r.externalId]));
      // The records' customers, read now: two different customers, as the identity store says.
      const golden = await app.services.identity.goldenIdsFor(payload.records as never);
      expect(item.records.map((r) => r.customer?.id ?? null)).toEqual(golden);
      expect(golden[0]).not.toBeNull();
      expect(golden[0]).not.toBe(golden[1]);
    }
    expect((await queue({ status: 'RESOLVED' })).totalCount).toBe(0);
  });

  it('pages with cursors: every item once, in order, whatever the page size', async () => {
    const first = await queue({ first: 3 });
    expect(first.edges.map((e) => e.node.id)).toEqual(items.slice(0, 3).map((i) => i.id));
    expect(first.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false, startCursor: first.edges[0]!.cursor, endCursor: first.edges[2]!.cursor });
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const page: Page = await queue({ first: 7, after });
      pages++;
      expect(page.totalCount).toBe(items.length);
      expect(page.pageInfo.hasPreviousPage).toBe(after !== null);
      seen.push(...page.edges.map((e) => e.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(items.map((i) => i.id));
    expect(pages).toBe(Math.ceil(items.length / 7));
    expect((await queue()).edges).toHaveLength(Math.min(20, items.length)); // first defaults to 20
    expect((await queue({ first: 0 })).edges).toEqual([]);
  });

  it('MERGE joins the two customers: the retired id answers as the survivor, with both records', async () => {
    const item = await freshItem();
    const [a, b] = item.records.map((r) => r.customer!.id) as [string, string];
    // Read both first, so both golden records are cached: the decision must invalidate them.
    const before = [...(await customer(a)).sources, ...(await customer(b)).sources].map((s) => s.externalId).sort();
    const r = await resolve(item.id, 'MERGE', 'same company, renamed');
    expect(r.errors).toEqual([]);
    const done = r.data!.resolveReview;
    expect(done).toMatchObject({ id: item.id, status: 'RESOLVED', resolvedBy: testKeyName(), decision: { action: 'MERGE', note: 'same company, renamed' } });
    expect(Date.parse(done.resolvedAt!)).not.toBeNaN();
    const survivor = a < b ? a : b; // ids are time-ordered: the older one survives
    const retired = survivor === a ? b : a;
    expect(done.records.map((x) => x.customer?.id)).toEqual([survivor, survivor]);

    const viaRetired = await customer(retired);
    expect(viaRetired.id).toBe(survivor);
    expect(viaRetired.sources.map((s) => s.externalId).sort()).toEqual(before);
    const events = await app.store.query<{ actor: string; other_golden_id: string }>(
      `SELECT actor, other_golden_id FROM ${app.store.table('identity_events')} WHERE golden_id = $1 AND kind = 'merged'`,
      [survivor],
    );
    expect(events.rows).toEqual([{ actor: testKeyName(), other_golden_id: retired }]);
    // The backfill raised more than one pair between these two customers (seed 42 does): the
    // decision closed the others too, each naming this item.
    const resolved = (await queue({ status: 'RESOLVED' })).edges.map((e) => e.node.id);
    expect(resolved).toContain(item.id);
    for (const other of resolved.filter((id) => id !== item.id)) {
      expect((await app.services.reviews.get(other))?.decision).toMatchObject({ action: 'MERGE', decidedWith: item.id, survivor });
    }
    const open = (await queue({ first: 100 })).edges.map((e) => e.node);
    expect(open.map((e) => e.id)).not.toContain(item.id);
    expect(open.filter((i) => i.records.every((r) => r.customer?.id === survivor))).toEqual([]);
  });

  it('KEEP_SEPARATE writes one cannot-link row for the pair; deciding the item again is a CONFLICT', async () => {
    const item = await freshItem();
    const before = await cannotLinkRows();
    const r = await resolve(item.id, 'KEEP_SEPARATE');
    expect(r.errors).toEqual([]);
    expect(r.data!.resolveReview).toMatchObject({ status: 'RESOLVED', resolvedBy: testKeyName(), decision: { action: 'KEEP_SEPARATE', note: null } });
    // The two customers are untouched.
    expect(r.data!.resolveReview.records.map((x) => x.customer?.id)).toEqual(item.records.map((x) => x.customer?.id));
    const keys = item.records.map((x) => [x.system.toLowerCase(), x.type, x.externalId] as const);
    const [lo, hi] = [...keys].sort((p, q) => (p.join('\u0000') < q.join('\u0000') ? -1 : 1)) as [(typeof keys)[0], (typeof keys)[0]];
    const row = { a_system: lo[0], a_record_type: lo[1], a_external_id: lo[2], b_system: hi[0], b_record_type: hi[1], b_external_id: hi[2], reason: 'review:keep_separate', decided_by: testKeyName() };
    const after = await cannotLinkRows();
    expect(after).toHaveLength(before.length + 1);
    expect(after).toContainEqual(row);

    for (const action of ['KEEP_SEPARATE', 'MERGE', 'DISMISS']) {
      const again = await resolve(item.id, action);
      expect(again.data).toBeNull();
      expect(again.errors[0]?.extensions).toMatchObject({ code: 'CONFLICT', status: 'RESOLVED' });
      expect(again.errors[0]?.message).toMatch(/is RESOLVED, not OPEN/);
    }
    expect(await cannotLinkRows()).toHaveLength(before.length + 1);
    const [a, b] = item.records.map((x) => x.customer!.id) as [string, string];
    expect((await customer(a)).id).toBe(a);
    expect((await customer(b)).id).toBe(b);
  });

  it('DISMISS closes the item as DISMISSED and writes nothing else', async () => {
    const item = await freshItem();
    const before = await cannotLinkRows();
    const r = await resolve(item.id, 'DISMISS', 'not sure');
    expect(r.errors).toEqual([]);
    expect(r.data!.resolveReview).toMatchObject({ status: 'DISMISSED', decision: { action: 'DISMISS', note: 'not sure' } });
    expect(await cannotLinkRows()).toEqual(before);
    expect((await queue({ status: 'DISMISSED' })).edges.map((e) => e.node.id)).toEqual([item.id]);
    const again = await resolve(item.id, 'DISMISS');
    expect(again.errors[0]?.extensions).toMatchObject({ code: 'CONFLICT', status: 'DISMISSED' });
  });

  it('decides an item once when two people decide it at the same moment', async () => {
    const item = await freshItem();
    const before = await cannotLinkRows();
    const answers = await Promise.all([resolve(item.id, 'KEEP_SEPARATE'), resolve(item.id, 'KEEP_SEPARATE'), resolve(item.id, 'DISMISS')]);
    const ok = answers.filter((a) => a.errors.length === 0);
    expect(ok).toHaveLength(1);
    for (const a of answers.filter((x) => x.errors.length > 0)) expect(a.errors[0]?.extensions?.['code']).toBe('CONFLICT');
    const won = ok[0]!.data!.resolveReview;
    expect(await cannotLinkRows()).toHaveLength(before.length + (won.decision?.action === 'KEEP_SEPARATE' ? 1 : 0));
  });

  it('a MERGE of records that are one customer already only resolves; KEEP_SEPARATE of them is a CONFLICT that writes nothing', async () => {
    const item = await freshItem();
    const [a, b] = item.records.map((x) => x.customer!.id) as [string, string];
    // Merged by a writer that does not close items (the identity store itself): the item stays OPEN.
    const merged = await app.services.identity.mergeCustomers([a, b], { actor: 'test' });
    await app.services.cache.invalidate([a, b]);
    const before = await cannotLinkRows();
    const keep = await resolve(item.id, 'KEEP_SEPARATE');
    expect(keep.errors[0]?.extensions?.['code']).toBe('CONFLICT');
    expect(keep.errors[0]?.message).toMatch(/are one customer .* now; split one off with splitCustomer instead/);
    expect(await cannotLinkRows()).toEqual(before);
    expect((await app.services.reviews.get(item.id))?.status).toBe('OPEN');

    const events = async (): Promise<number> =>
      Number((await app.store.query<{ n: string }>(`SELECT count(*) AS n FROM ${app.store.table('identity_events')} WHERE kind = 'merged'`)).rows[0]!.n);
    const mergesBefore = await events();
    const r = await resolve(item.id, 'MERGE');
    expect(r.errors).toEqual([]);
    expect(r.data!.resolveReview).toMatchObject({ status: 'RESOLVED', decision: { action: 'MERGE' } });
    expect(r.data!.resolveReview.records.map((x) => x.customer?.id)).toEqual([merged.survivor, merged.survivor]);
    expect(await events()).toBe(mergesBefore);
  });

  it('writes the cannot-link row and the decision together or not at all', async () => {
    const item = await freshItem();
    const fn = `${app.store.schema}.fail_review_update`;
    await app.store.query(`CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$`);
    await app.store.query(`CREATE TRIGGER fail_review_update BEFORE UPDATE ON ${app.store.table('review_items')} FOR EACH ROW EXECUTE FUNCTION ${fn}()`);
    const before = await cannotLinkRows();
    try {
      const r = await resolve(item.id, 'KEEP_SEPARATE');
      expect(r.errors).toHaveLength(1);
      expect(r.errors[0]?.extensions?.['code']).toBe('INTERNAL_SERVER_ERROR');
    } finally {
      await app.store.query(`DROP TRIGGER fail_review_update ON ${app.store.table('review_items')}`);
      await app.store.query(`DROP FUNCTION ${fn}()`);
    }
    expect(await cannotLinkRows()).toEqual(before);
    expect((await app.services.reviews.get(item.id))?.status).toBe('OPEN');
    // And once the fault is gone, the same decision goes through.
    expect((await resolve(item.id, 'KEEP_SEPARATE')).errors).toEqual([]);
    expect(await cannotLinkRows()).toHaveLength(before.length + 1);
  });

  it('names the argument of a bad cursor or page size, and answers NOT_FOUND for an unknown item', async () => {
    for (const after of ['nope!', Buffer.from('ri:abc').toString('base64url'), Buffer.from('gc:01').toString('base64url'), '']) {
      const r = await app.gql(QUEUE, { after });
      expect(r.data).toEqual({ reviewQueue: null }); // nullable: a role without REVIEW gets null there (docs/access.md)
      expect(r.errors[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'after' });
    }
    // A customers cursor is not a review-queue cursor.
    const customers = await app.gql<{ customers: { pageInfo: { endCursor: string } } }>('{ customers(first: 1) { pageInfo { endCursor } } }');
    const foreign = await app.gql(QUEUE, { after: customers.data!.customers.pageInfo.endCursor });
    expect(foreign.errors[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'after' });
    for (const first of [101, -1]) {
      const r = await app.gql(QUEUE, { first });
      expect(r.errors[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'first' });
    }
    for (const id of ['999999999', 'abc', '0', '']) {
      const r = await resolve(id, 'DISMISS');
      expect(r.data).toBeNull();
      expect(r.errors[0]?.extensions).toMatchObject({ code: 'NOT_FOUND' });
      expect(r.errors[0]?.message).toBe(`No review item with id ${JSON.stringify(id)}`);
    }
    const long = await resolve(items.at(-1)!.id, 'DISMISS', 'x'.repeat(2001));
    expect(long.errors[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'decision.note' });
    expect((await app.services.reviews.get(items.at(-1)!.id))?.status).toBe('OPEN');
  });

  // ---- decisions are about customers, not record pairs (issue 8, item 17) ----

  /** Customers with two records or more that no test used and no open item names. */
  const freshCustomers = async (n: number): Promise<{ id: string; refs: { system: string; recordType: string; externalId: string }[] }[]> => {
    const open = (await queue({ first: 100 })).edges.flatMap((e) => e.node.records.map((r) => r.customer?.id));
    const page = await app.services.identity.list({ first: 400 });
    const ids = page.edges.map((e) => e.node.id).filter((id) => !used.has(id) && !open.includes(id));
    const links = await app.services.identity.linksFor(ids);
    const out = ids
      .map((id, i) => ({ id, refs: links[i]!.map((l) => ({ system: l.system, recordType: l.recordType, externalId: l.externalId })) }))
      .filter((c) => c.refs.length >= 2)
      .slice(0, n);
    expect(out).toHaveLength(n);
    for (const c of out) used.add(c.id);
    return out;
  };
  /** Raises one item per given pair of record indexes between customers x and y; resolves to their ids, in that order. */
  const raise = async (x: { refs: object[] }, y: { refs: object[] }, pairs: [number, number][]): Promise<string[]> => {
    const t = app.store.table('review_items');
    const ids: string[] = [];
    for (const [i, j] of pairs) {
      const records = [x.refs[i], y.refs[j]] as never;
      expect(await app.services.reviews.addPossibleDuplicates([{ records, probability: 0.6, weight: 2.5, levels: [] }], 'backfill')).toBe(1);
      ids.push((await app.store.query<{ id: string }>(`SELECT max(id)::text AS id FROM ${t}`)).rows[0]!.id);
    }
    return ids;
  };
  const DECIDED = `query($id: ID!) { r: reviewQueue(status: RESOLVED, first: 100) { edges { node { id status decision { action note decidedWith settledBy } } } }
    d: reviewQueue(status: DISMISSED, first: 100) { edges { node { id status decision { action note decidedWith settledBy } } } }
    c: customer(id: $id) { id } }`;
  const decided = async (ids: string[]): Promise<unknown[]> => {
    const r = await app.gql<{ r: { edges: { node: { id: string } }[] }; d: { edges: { node: { id: string } }[] } }>(DECIDED, { id: 'gc_00000000000000000000000000' });
    const all = [...r.data!.r.edges, ...r.data!.d.edges].map((e) => e.node);
    return ids.map((id) => all.find((x) => x.id === id) ?? (null as never));
  };

  it('MERGE on one item closes every other open item between the same two customers, naming the deciding item', async () => {
    const [x, y] = await freshCustomers(2);
    const [first, second, third] = await raise(x!, y!, [[0, 0], [1, 1], [0, 1]]);
    const r = await resolve(first!, 'MERGE', 'one company');
    expect(r.errors).toEqual([]);
    expect(await decided([second!, third!])).toEqual([
      { id: second, status: 'RESOLVED', decision: { action: 'MERGE', note: 'one company', decidedWith: first, settledBy: null } },
      { id: third, status: 'RESOLVED', decision: { action: 'MERGE', note: 'one company', decidedWith: first, settledBy: null } },
    ]);
    expect((await app.services.reviews.get(second!))?.resolvedBy).toBe(testKeyName());
    const open = (await queue({ first: 100 })).edges.map((e) => e.node.id);
    for (const id of [first, second, third]) expect(open).not.toContain(id);
    // Deciding a closed sibling again is a CONFLICT naming its status.
    expect((await resolve(second!, 'KEEP_SEPARATE')).errors[0]?.extensions).toMatchObject({ code: 'CONFLICT', status: 'RESOLVED' });
  });

  it('KEEP_SEPARATE and DISMISS close the sibling items the same way, and a kept-apart pair of customers is never asked about again', async () => {
    const [x, y, v, w] = await freshCustomers(4);
    const [keep, keepSibling] = await raise(x!, y!, [[0, 0], [1, 1]]);
    const [dismiss, dismissSibling] = await raise(v!, w!, [[0, 1], [1, 0]]);
    const rowsBefore = await cannotLinkRows();
    expect((await resolve(keep!, 'KEEP_SEPARATE', 'different firms')).errors).toEqual([]);
    expect((await resolve(dismiss!, 'DISMISS')).errors).toEqual([]);
    expect(await decided([keepSibling!, dismissSibling!])).toEqual([
      { id: keepSibling, status: 'RESOLVED', decision: { action: 'KEEP_SEPARATE', note: 'different firms', decidedWith: keep, settledBy: null } },
      { id: dismissSibling, status: 'DISMISSED', decision: { action: 'DISMISS', note: null, decidedWith: dismiss, settledBy: null } },
    ]);
    // One cannot-link row keeps the two customers apart; the sibling needs none of its own.
    expect(await cannotLinkRows()).toHaveLength(rowsBefore.length + 1);
    // A pair of records of customers a person kept apart is not raised again (the matcher may find it later).
    const again = await app.services.reviews.addPossibleDuplicates([{ records: [x!.refs[0], y!.refs[1]] as never, probability: 0.7, weight: 3, levels: [] }], 'matcher');
    expect(again).toBe(0);
    // Customers still apart: a later pair between them (dismissed, not decided) may be asked.
    expect(await app.services.reviews.addPossibleDuplicates([{ records: [v!.refs[1], w!.refs[1]] as never, probability: 0.7, weight: 3, levels: [] }], 'matcher')).toBe(1);
  });

  it('mergeCustomers closes the open items between the customers it merges, and no item is raised for records of one customer', async () => {
    const [x, y] = await freshCustomers(2);
    const [a, b] = await raise(x!, y!, [[0, 0], [1, 0]]);
    const total = (await queue()).totalCount;
    const m = await app.gql<{ mergeCustomers: { id: string } }>('mutation($ids: [ID!]!) { mergeCustomers(ids: $ids) { id } }', { ids: [y!.id, x!.id] });
    expect(m.errors).toEqual([]);
    expect(await decided([a!, b!])).toEqual([
      { id: a, status: 'RESOLVED', decision: { action: 'MERGE', note: null, decidedWith: null, settledBy: 'mergeCustomers' } },
      { id: b, status: 'RESOLVED', decision: { action: 'MERGE', note: null, decidedWith: null, settledBy: 'mergeCustomers' } },
    ]);
    expect((await queue()).totalCount).toBe(total - 2);
    // Records of one customer are not raised as a pair.
    expect(await app.services.reviews.addPossibleDuplicates([{ records: [x!.refs[1], y!.refs[1]] as never, probability: 0.7, weight: 3, levels: [] }], 'matcher')).toBe(0);
  });

  it('exact keys found later that join two customers close the open items between them', async () => {
    const [x, y] = await freshCustomers(2);
    const [item] = await raise(x!, y!, [[0, 0]]);
    // A new ERP row naming one record of each customer: the live matcher must join them.
    const named = [x!.refs[0]!, y!.refs[0]!];
    expect(named.every((r) => r.recordType === ACCOUNT_TYPE[r.system as SystemId])).toBe(true);
    const bridge: SourceRecord = {
      system: 'erp',
      type: ACCOUNT_TYPE.erp,
      id: 'C-BRIDGE-1',
      updatedAt: '2026-12-01T00:00:00.000Z',
      data: { customer_number: 'C-BRIDGE-1', legal_name: 'Bridge Holdings' },
      xrefs: named.map((r, i) => ({ system: r.system as SystemId, id: r.externalId, field: `ref_${i}` })),
      emails: [],
      deleted: false,
    };
    const r = await app.services.liveMatcher!.matchRecord(bridge, { actor: 'webhook:erp' });
    expect(r.affected).toEqual(expect.arrayContaining([x!.id, y!.id]));
    expect(await decided([item!])).toEqual([{ id: item, status: 'RESOLVED', decision: { action: 'MERGE', note: null, decidedWith: null, settledBy: 'matcher' } }]);
    expect((await app.services.reviews.get(item!))?.resolvedBy).toBe('webhook:erp');
  });
});

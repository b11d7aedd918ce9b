// The identity store's contract: DataLoader-shaped batch reads (one result per key, in key
// order), redirects from retired ids, keyset pagination, and writes that never rename.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityInputError } from '../../src/identity/errors.ts';
import { createIdentityStore, type IdentityStore, type LinkCluster, type ProposedLink } from '../../src/identity/links.ts';
import type { SystemId } from '../../src/sources/types.ts';
import { ACCOUNT_TYPE } from '../../src/sources/types.ts';
import { migratedStore, type TestStore } from './db.ts';

let db: TestStore;
let identity: IdentityStore;

beforeAll(async () => {
  db = await migratedStore('t_links');
  identity = createIdentityStore(db.store);
});
afterAll(async () => {
  await db.close();
});

const link = (system: SystemId, externalId: string, rule = 'email'): ProposedLink => ({
  system,
  recordType: ACCOUNT_TYPE[system],
  externalId,
  confidence: 1,
  rule,
  explanation: { evidence: [] },
});
const cluster = (...links: ProposedLink[]): LinkCluster => ({ links });
const actor = { actor: 'test' };

async function events(goldenId: string): Promise<{ kind: string; other_golden_id: string | null; external_id: string | null }[]> {
  const r = await db.store.query<{ kind: string; other_golden_id: string | null; external_id: string | null }>(
    `SELECT kind, other_golden_id, external_id FROM ${db.store.table('identity_events')} WHERE golden_id = $1 ORDER BY id`,
    [goldenId],
  );
  return r.rows;
}

describe('applyLinks', () => {
  it('issues one golden id per new cluster and links every record to it', async () => {
    const r = await identity.applyLinks([cluster(link('salesforce', '001A'), link('stripe', 'cus_A')), cluster(link('erp', 'C-B'))], actor);
    expect(r).toMatchObject({ created: 2, kept: 0, merged: 0, linksWritten: 3, linksUnchanged: 0 });
    const [a, b] = r.goldenIds;
    expect(a).not.toBe(b);
    expect(await identity.goldenIdsFor([{ system: 'stripe', externalId: 'cus_A' }, { system: 'salesforce', externalId: '001A' }, { system: 'erp', externalId: 'C-B' }])).toEqual([a, a, b]);
    expect((await events(a!)).map((e) => e.kind)).toEqual(['customer_created', 'linked', 'linked']);
  });

  it('changes nothing when the same links are applied again', async () => {
    const before = await db.store.query(`SELECT * FROM ${db.store.table('identity_links')} ORDER BY system, external_id`);
    const r = await identity.applyLinks([cluster(link('salesforce', '001A'), link('stripe', 'cus_A')), cluster(link('erp', 'C-B'))], actor);
    expect(r).toMatchObject({ created: 0, kept: 2, merged: 0, linksWritten: 0, linksUnchanged: 3 });
    const after = await db.store.query(`SELECT * FROM ${db.store.table('identity_links')} ORDER BY system, external_id`);
    expect(after.rows).toEqual(before.rows);
  });

  it('gives a new record that joins an existing customer that customer’s id', async () => {
    const [a] = await identity.goldenIdsFor([{ system: 'salesforce', externalId: '001A' }]);
    const r = await identity.applyLinks([cluster(link('salesforce', '001A'), link('stripe', 'cus_A'), link('zendesk', '77', 'xref:external_id'))], actor);
    expect(r).toMatchObject({ goldenIds: [a], created: 0, kept: 1, linksWritten: 1 });
  });

  it('keeps the older id when a record joins two customers, and redirects the other', async () => {
    const [a, b] = await identity.goldenIdsFor([{ system: 'salesforce', externalId: '001A' }, { system: 'erp', externalId: 'C-B' }]);
    const before = await identity.count();
    const r = await identity.applyLinks([cluster(link('erp', 'C-B'), link('stripe', 'cus_AB'), link('salesforce', '001A'))], actor);
    expect(r).toMatchObject({ goldenIds: [a], created: 0, kept: 1, merged: 1 });
    expect(await identity.resolve(b!)).toBe(a);
    expect(await identity.resolve(a!)).toBe(a);
    expect(await identity.count()).toBe(before - 1);
    expect(await identity.goldenIdsFor([{ system: 'erp', externalId: 'C-B' }])).toEqual([a]);
    expect((await events(a!)).filter((e) => e.kind === 'merged')).toEqual([{ kind: 'merged', other_golden_id: b, external_id: null }]);
    // Links always point at live ids: the retired customer has none left.
    const stale = await db.store.query(`SELECT 1 FROM ${db.store.table('identity_links')} WHERE golden_id = $1`, [b]);
    expect(stale.rowCount).toBe(0);
  });

  it('keeps redirects one hop when a survivor is itself merged later', async () => {
    // x (oldest), y, z: z → y first, then y → x; z must now point straight at x.
    const made = await identity.applyLinks([cluster(link('erp', 'X')), cluster(link('erp', 'Y')), cluster(link('erp', 'Z'))], actor);
    const [x, y, z] = made.goldenIds;
    await identity.applyLinks([cluster(link('erp', 'Y'), link('erp', 'Z'))], actor);
    expect(await identity.resolve(z!)).toBe(y);
    await identity.applyLinks([cluster(link('erp', 'X'), link('erp', 'Y'), link('stripe', 'cus_XY'))], actor);
    expect(await identity.resolveMany([x!, y!, z!])).toEqual([x, x, x]);
    const row = await db.store.query<{ retired_into: string }>(`SELECT retired_into FROM ${db.store.table('golden_customers')} WHERE id = $1`, [z]);
    expect(row.rows[0]!.retired_into).toBe(x);
  });

  it('follows merges decided earlier in the same batch', async () => {
    const made = await identity.applyLinks([cluster(link('erp', 'P')), cluster(link('erp', 'Q')), cluster(link('erp', 'R'), link('erp', 'R2'))], actor);
    const [p, q, r] = made.goldenIds;
    // The first cluster retires r into q; the second reaches r through R2, so it joins q
    // (not the already-retired r) with p: everything ends on p, the oldest.
    const out = await identity.applyLinks([cluster(link('erp', 'Q'), link('erp', 'R')), cluster(link('erp', 'P'), link('erp', 'R2'))], actor);
    expect(out).toMatchObject({ goldenIds: [p, p], created: 0, kept: 2, merged: 2 });
    expect(await identity.resolveMany([p!, q!, r!])).toEqual([p, p, p]);
    expect(await identity.goldenIdsFor(['P', 'Q', 'R', 'R2'].map((externalId) => ({ system: 'erp' as const, externalId })))).toEqual([p, p, p, p]);
  });

  it('serializes concurrent writers: two backfills seeing the same new records agree on one id', async () => {
    const before = await identity.count();
    const other = createIdentityStore(db.store);
    const same = [cluster(link('salesforce', '001RACE'), link('stripe', 'cus_RACE'))];
    const [r1, r2] = await Promise.all([identity.applyLinks(same, actor), other.applyLinks(same, actor)]);
    expect(r1.goldenIds).toEqual(r2.goldenIds);
    expect(r1.created + r2.created).toBe(1);
    expect(await identity.count()).toBe(before + 1);
  });

  it('rejects bad input naming the field, and writes nothing', async () => {
    const before = await identity.count();
    await expect(identity.applyLinks([cluster({ ...link('erp', 'BAD'), confidence: 1.5 })], actor)).rejects.toThrow('clusters[0].links[0].confidence: must be from 0 to 1, got 1.5');
    await expect(identity.applyLinks([cluster(link('erp', 'D')), cluster(link('erp', 'D'))], actor)).rejects.toThrow('clusters[1].links[0]: erp erp_customer D appears twice in one batch');
    await expect(identity.applyLinks([{ links: [] }], actor)).rejects.toThrow(IdentityInputError);
    expect(await identity.count()).toBe(before);
  });

  it('leaves a manual link where a person put it', async () => {
    const made = await identity.applyLinks([cluster(link('stripe', 'cus_M'))], actor);
    await db.store.query(`UPDATE ${db.store.table('identity_links')} SET origin = 'manual', rule = 'manual' WHERE external_id = 'cus_M'`);
    const r = await identity.applyLinks([cluster(link('stripe', 'cus_M'))], actor);
    expect(r).toMatchObject({ goldenIds: made.goldenIds, linksWritten: 0, linksUnchanged: 1 });
    const [l] = (await identity.linksFor(made.goldenIds))[0]!;
    expect(l).toMatchObject({ rule: 'manual', origin: 'manual' });
  });
});

describe('batch reads keep the DataLoader contract', () => {
  it('goldenIdsFor: one answer per key, in key order, null for unknown, duplicates answered twice', async () => {
    const [a] = await identity.goldenIdsFor([{ system: 'salesforce', externalId: '001A' }]);
    const got = await identity.goldenIdsFor([
      { system: 'erp', externalId: 'nope' },
      { system: 'stripe', externalId: 'cus_A' },
      { system: 'salesforce', externalId: '001A', recordType: 'Contact' },
      { system: 'stripe', externalId: 'cus_A' },
    ]);
    expect(got).toEqual([null, a, null, a]);
    expect(await identity.goldenIdsFor([])).toEqual([]);
  });

  it('linksFor: links per key in key order; a retired id gives its survivor’s links; unknown gives []', async () => {
    const [a, b] = await identity.goldenIdsFor([{ system: 'salesforce', externalId: '001A' }, { system: 'erp', externalId: 'X' }]);
    const retired = await db.store.query<{ id: string }>(`SELECT id FROM ${db.store.table('golden_customers')} WHERE retired_into = $1 LIMIT 1`, [a]);
    const old = retired.rows[0]!.id;
    const got = await identity.linksFor([b!, 'gc_01JD0000000000000000000000', old, 'not-an-id', a!]);
    expect(got).toHaveLength(5);
    expect(got[1]).toEqual([]);
    expect(got[3]).toEqual([]);
    expect(got[2]).toEqual(got[4]);
    expect(got[4]!.map((l) => `${l.system}:${l.externalId}`)).toEqual(['erp:C-B', 'salesforce:001A', 'stripe:cus_A', 'stripe:cus_AB', 'zendesk:77']);
    expect(got[0]!.every((l) => l.goldenId === b)).toBe(true);
    expect(got[4]![0]).toMatchObject({ recordType: 'erp_customer', confidence: 1, rule: 'email', origin: 'auto', explanation: { evidence: [] } });
    expect(got[4]![0]!.linkedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(got[2]).not.toBe(got[4]);
  });

  it('linksFor: a live customer no record is linked to any more has no links (not its retired neighbours’)', async () => {
    const [a] = await identity.goldenIdsFor([{ system: 'salesforce', externalId: '001A' }]);
    const bare = 'gc_01JD0000000000000000000099';
    await db.store.query(`INSERT INTO ${db.store.table('golden_customers')} (id) VALUES ($1)`, [bare]);
    try {
      const got = await identity.linksFor([bare, a!, bare]);
      expect(got[0]).toEqual([]);
      expect(got[2]).toEqual([]);
      expect(got[1]!.length).toBeGreaterThan(0);
    } finally {
      await db.store.query(`DELETE FROM ${db.store.table('golden_customers')} WHERE id = $1`, [bare]);
    }
  });

  it('a link’s times are what a Date of the stored time writes (UTC, milliseconds truncated), in every read', async () => {
    const [a] = await identity.goldenIdsFor([{ system: 'salesforce', externalId: '001A' }]);
    const table = db.store.table('identity_links');
    const saved = await db.store.query<{ linked_at: Date; updated_at: Date }>(`SELECT linked_at, updated_at FROM ${table} WHERE system = 'salesforce' AND external_id = '001A'`);
    const times = ['2026-01-02 03:04:05.678901+02', '1999-12-31 23:59:59.999999-11', '2026-06-30 00:00:00+00', '2026-03-04 05:06:07.0005+00'];
    try {
      for (const at of times) {
        await db.store.query(`UPDATE ${table} SET linked_at = $1, updated_at = $1 WHERE system = 'salesforce' AND external_id = '001A'`, [at]);
        const stored = await db.store.query<{ linked_at: Date }>(`SELECT linked_at FROM ${table} WHERE system = 'salesforce' AND external_id = '001A'`);
        const want = stored.rows[0]!.linked_at.toISOString();
        const viaLinksFor = (await identity.linksFor([a!]))[0]!.find((l) => l.system === 'salesforce')!;
        const viaRead = (await identity.read((tx) => tx.linksOf([{ system: 'salesforce', externalId: '001A' }])))[0]!;
        expect([viaLinksFor.linkedAt, viaLinksFor.updatedAt, viaRead.linkedAt, viaRead.updatedAt]).toEqual([want, want, want, want]);
      }
    } finally {
      await db.store.query(`UPDATE ${table} SET linked_at = $1, updated_at = $2 WHERE system = 'salesforce' AND external_id = '001A'`, [saved.rows[0]!.linked_at, saved.rows[0]!.updated_at]);
    }
  });

  it('resolve: null for an id never issued or not an id at all', async () => {
    expect(await identity.resolve('gc_01JD0000000000000000000000')).toBeNull();
    expect(await identity.resolve("'; drop table x; --")).toBeNull();
  });
});

describe('list()', () => {
  it('walks every live customer in id order, page by page, with the total', async () => {
    const all = await db.store.query<{ id: string }>(`SELECT id FROM ${db.store.table('golden_customers')} WHERE retired_into IS NULL ORDER BY id`);
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const page: Awaited<ReturnType<IdentityStore['list']>> = await identity.list({ first: 2, after });
      expect(page.totalCount).toBe(all.rows.length);
      seen.push(...page.edges.map((e) => e.node.id));
      pages++;
      if (!page.pageInfo.hasNextPage) {
        expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor ?? null);
        break;
      }
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(all.rows.map((r) => r.id));
    expect(pages).toBe(Math.ceil(all.rows.length / 2));
    expect(await identity.count()).toBe(all.rows.length);
  });

  it('filters by system', async () => {
    const page = await identity.list({ first: 100, system: 'zendesk' });
    const [a] = await identity.goldenIdsFor([{ system: 'zendesk', externalId: '77' }]);
    expect(page.edges.map((e) => e.node.id)).toEqual([a]);
    expect(page.totalCount).toBe(1);
    expect(page.pageInfo).toEqual({ hasNextPage: false, endCursor: page.edges[0]!.cursor });
  });

  it('accountLinkPage: every live customer once, in id order, with exactly its account links (the link memo’s fill)', async () => {
    // A person record (not an account) linked to one of them: not an account link.
    const [withContact] = (await identity.applyLinks([cluster(link('salesforce', '001C'), { ...link('salesforce', '003C'), recordType: 'Contact' })], actor)).goldenIds;
    const all = await identity.list({ first: 500 });
    const ids = all.edges.map((e) => e.node.id);
    const links = await identity.linksFor(ids);
    const expected = ids.map((goldenId, i) => ({
      goldenId,
      refs: links[i]!.filter((l) => l.recordType === ACCOUNT_TYPE[l.system]).map((l) => ({ system: l.system, externalId: l.externalId })),
    }));
    const seen: Awaited<ReturnType<IdentityStore['accountLinkPage']>>['customers'] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 100; pages++) {
      const page: Awaited<ReturnType<IdentityStore['accountLinkPage']>> = await identity.accountLinkPage(after, 2);
      seen.push(...page.customers);
      if (page.next === null) break;
      after = page.next;
    }
    const sorted = (cs: typeof seen): typeof seen => cs.map((c) => ({ ...c, refs: [...c.refs].sort((a, b) => `${a.system}:${a.externalId}`.localeCompare(`${b.system}:${b.externalId}`)) }));
    expect(sorted(seen)).toEqual(sorted(expected));
    expect(seen.find((c) => c.goldenId === withContact)?.refs).toEqual([{ system: 'salesforce', externalId: '001C' }]);
    // Retired ids are not customers: none is listed.
    const retired = await db.store.query<{ id: string }>(`SELECT id FROM ${db.store.table('golden_customers')} WHERE retired_into IS NOT NULL`);
    expect(retired.rows.length).toBeGreaterThan(0);
    for (const r of retired.rows) expect(seen.map((c) => c.goldenId)).not.toContain(r.id);
    await expect(identity.accountLinkPage(null, 0)).rejects.toThrow('limit: must be a whole number from 1 to 10000, got 0');
  });

  it('answers an empty page after the last customer', async () => {
    const last = await identity.list({ first: 500 });
    const next = await identity.list({ first: 10, after: last.pageInfo.endCursor });
    expect(next.edges).toEqual([]);
    expect(next.pageInfo).toEqual({ hasNextPage: false, endCursor: null });
  });

  it('rejects a malformed cursor or page size with a clear BAD_USER_INPUT error', async () => {
    for (const bad of ['nope!', 'Z2M6bm90LWFuLWlk', Buffer.from('gc:gc_0').toString('base64url'), '']) {
      const err: unknown = await identity.list({ first: 2, after: bad }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(IdentityInputError);
      expect(err).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after', extensions: { code: 'BAD_USER_INPUT', field: 'after' } });
      expect((err as Error).message).toMatch(/^after: not a cursor from this list: /);
    }
    for (const first of [-1, 501, 1.5, Number.NaN]) {
      await expect(identity.list({ first })).rejects.toThrow(`first: must be a whole number from 0 to 500, got ${String(first)}`);
    }
    // first: 0 is a page with no edges: the total, and whether there are any.
    const none = await identity.list({ first: 0 });
    expect(none.edges).toEqual([]);
    expect(none.pageInfo.hasNextPage).toBe(none.totalCount > 0);
  });
});

describe('applyLinks and people’s decisions', () => {
  it('never joins two customers a person kept apart (cannot-link), whatever new record bridges them', async () => {
    const first = await identity.applyLinks([cluster(link('salesforce', '001KA')), cluster(link('stripe', 'cus_KB'))], actor);
    const [a, b] = first.goldenIds as [string, string];
    await db.store.query(
      `INSERT INTO ${db.store.table('identity_cannot_link')} VALUES ('salesforce', 'Account', '001KA', 'stripe', 'customer', 'cus_KB', 'review:keep_separate', 'test')`,
    );
    // A new record shares an exact key with both.
    const r = await identity.applyLinks([cluster(link('salesforce', '001KA'), link('stripe', 'cus_KB'), link('erp', 'C-KN'))], actor);
    expect(r.merged).toBe(0);
    expect(r.refused).toEqual([[a, b]]);
    expect(await identity.goldenIdsFor([{ system: 'salesforce', externalId: '001KA' }, { system: 'stripe', externalId: 'cus_KB' }, { system: 'erp', externalId: 'C-KN' }])).toEqual([a, b, a]);
    expect(await identity.resolve(b)).toBe(b);
  });

  it('still merges the other customers of such a cluster', async () => {
    const first = await identity.applyLinks([cluster(link('salesforce', '001MA')), cluster(link('stripe', 'cus_MB')), cluster(link('zendesk', '9001'))], actor);
    const [a, b, c] = first.goldenIds as [string, string, string];
    await db.store.query(
      `INSERT INTO ${db.store.table('identity_cannot_link')} VALUES ('salesforce', 'Account', '001MA', 'stripe', 'customer', 'cus_MB', 'review:keep_separate', 'test')`,
    );
    const r = await identity.applyLinks([cluster(link('salesforce', '001MA'), link('stripe', 'cus_MB'), link('zendesk', '9001'))], actor);
    expect(r.retired).toEqual([c]);
    expect(r.refused).toEqual([[a, b]]);
    expect(await identity.goldenIdsFor([{ system: 'zendesk', externalId: '9001', recordType: 'organization' }, { system: 'stripe', externalId: 'cus_MB' }])).toEqual([a, b]);
  });
});

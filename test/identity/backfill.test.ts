// The backfill over a generated world of 1000 customers: how well the exact keys cluster
// account-level records against the world's truth, that running it again changes nothing, and
// that later records keep existing golden ids (never a rename; merges keep the older id).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_INVALID_LISTED, emailKey, runBackfill, type BackfillProgress, type BackfillReport } from '../../src/identity/backfill.ts';
import { summaryTable } from '../../src/cli/backfill.ts';
import { InvalidSourceRecordError } from '../../src/sources/errors.ts';
import { scanPage } from '../../src/sources/scan.ts';
import { createIdentityStore, type IdentityStore } from '../../src/identity/links.ts';
import { generateWorld, type World } from '../../src/sandbox/world/index.ts';
import type { SourceConnector, SourceRecord, SystemId } from '../../src/sources/types.ts';
import { migratedStore, type TestStore } from './db.ts';
import { memoryConnector, worldConnectors, type MemoryConnector } from './world-connectors.ts';
import { createBackfillCheckpoints } from '../../src/identity/backfill-checkpoint.ts';
import { customerFeatures, customerNameKey, customersMatcherConfig, matchableRecord, toMatcherRecord } from '../../src/identity/customer-matching.ts';
import { buildFeatures } from '../../src/identity/matcher/features.ts';
import { indexEntryFromTable } from '../../src/identity/matcher/incremental.ts';
import { customerIndexEntry } from '../../src/identity/match-index.ts';

const world: World = generateWorld({ customers: 1000 });
let db: TestStore;
let identity: IdentityStore;
let connectors: Record<SystemId, MemoryConnector>;
let first: BackfillReport;
const progress: BackfillProgress[] = [];

const all = (): MemoryConnector[] => Object.values(connectors);
const key = (system: string, id: string): string => `${system}:${id}`;

beforeAll(async () => {
  db = await migratedStore('t_backfill');
  identity = createIdentityStore(db.store);
  connectors = worldConnectors(world);
  first = await runBackfill({ connectors: all(), store: identity, pageSize: 250, onProgress: (p) => progress.push(p) });
}, 120_000);

afterAll(async () => {
  await db.close();
});

/** Pairwise precision and recall of the golden ids against world.truth, over account-level records. */
async function quality(): Promise<{ precision: number; recall: number; truePairs: number; predictedPairs: number; correctPairs: number; records: number }> {
  const truthOf = new Map<string, string>();
  for (const t of world.truth) for (const r of t.records) truthOf.set(key(r.system, r.id), t.key);
  const refs = [...truthOf.keys()].map((k) => {
    const at = k.indexOf(':');
    return { system: k.slice(0, at) as SystemId, externalId: k.slice(at + 1) };
  });
  const golden = await identity.goldenIdsFor(refs);
  const pairs = (sizes: Iterable<number>): number => {
    let n = 0;
    for (const s of sizes) n += (s * (s - 1)) / 2;
    return n;
  };
  const count = (keys: string[]): Map<string, number> => {
    const m = new Map<string, number>();
    for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
    return m;
  };
  const truthKeys = refs.map((r) => truthOf.get(key(r.system, r.externalId))!);
  const goldenKeys = golden.map((g, i) => g ?? `unlinked:${i}`);
  const truePairs = pairs(count(truthKeys).values());
  const predictedPairs = pairs(count(goldenKeys).values());
  const correctPairs = pairs(count(goldenKeys.map((g, i) => `${g}|${truthKeys[i]}`)).values());
  return {
    precision: predictedPairs === 0 ? 1 : correctPairs / predictedPairs,
    recall: truePairs === 0 ? 1 : correctPairs / truePairs,
    truePairs,
    predictedPairs,
    correctPairs,
    records: refs.length,
  };
}

async function snapshot(): Promise<unknown[]> {
  const t = (n: string): string => db.store.table(n);
  const [g, l, e] = await Promise.all([
    db.store.query(`SELECT * FROM ${t('golden_customers')} ORDER BY id`),
    db.store.query(`SELECT * FROM ${t('identity_links')} ORDER BY system, record_type, external_id`),
    db.store.query(`SELECT count(*) AS n FROM ${t('identity_events')}`),
  ]);
  return [g.rows, l.rows, e.rows];
}

describe('backfill over a 1000-customer world', () => {
  it('reads every account-level record of every source and links each one', async () => {
    const expected = {
      salesforce: world.salesforce.accounts.length,
      stripe: world.stripe.customers.length,
      zendesk: world.zendesk.organizations.length,
      erp: world.erp.customers.length,
    };
    expect(first.records).toEqual(expected);
    const total = Object.values(expected).reduce((a, b) => a + b, 0);
    expect(first.links.written).toBe(total);
    expect(first.customers.created).toBe(first.clusters);
    expect(first.customers.total).toBe(first.clusters);
    const n = await db.store.query<{ n: string }>(`SELECT count(*) AS n FROM ${db.store.table('identity_links')}`);
    expect(Number(n.rows[0]!.n)).toBe(total);
    expect(all().every((c) => c.scans.length === 1 && c.scans[0] === 250)).toBe(true);
  });

  it('clusters with pairwise precision ≥ 0.99 against the truth (and reports recall)', async () => {
    const q = await quality();
    console.log(
      `[backfill quality] customers=${world.truth.length} records=${q.records} clusters=${first.clusters} ` +
        `precision=${q.precision.toFixed(4)} recall=${q.recall.toFixed(4)} ` +
        `pairs: true=${q.truePairs} predicted=${q.predictedPairs} correct=${q.correctPairs} ` +
        `xrefs followed=${first.xrefs.followed} toDeleted=${first.xrefs.toDeleted} dangling=${first.xrefs.dangling} ` +
        `sharedEmails=${first.sharedEmails} largestCluster=${first.largestCluster} byRule=${JSON.stringify(first.links.byRule)} ms=${first.ms}`,
    );
    expect(q.precision).toBeGreaterThanOrEqual(0.99);
    // The world is fixed (seed 42): a drop here means a linking rule got lost. What exact keys
    // miss (records with no xref and no shared email) is #4's scoring.
    expect(q.recall).toBeGreaterThanOrEqual(0.97);
  });

  it('links a deleted (merged-away) record to the customer of its survivor', async () => {
    const merged = world.salesforce.accounts.filter((a) => a.IsDeleted && a.MasterRecordId);
    expect(merged.length).toBeGreaterThan(0);
    expect(first.deletedRecords).toBe(world.salesforce.accounts.filter((a) => a.IsDeleted).length);
    const got = await identity.goldenIdsFor(merged.flatMap((a) => [{ system: 'salesforce' as const, externalId: a.Id }, { system: 'salesforce' as const, externalId: a.MasterRecordId! }]));
    for (let i = 0; i < got.length; i += 2) {
      expect(got[i]).not.toBeNull();
      expect(got[i]).toBe(got[i + 1]);
    }
    const [l] = (await identity.linksFor([got[0]!]))[0]!.filter((x) => x.externalId === merged[0]!.Id);
    expect(l).toMatchObject({ rule: 'xref:MasterRecordId', confidence: 1, explanation: { deleted: true } });
  });

  it('follows stale cross-references to merged-away records instead of reporting them dangling', () => {
    const stale = world.truth.flatMap((t) => t.staleXrefs ?? []);
    expect(first.xrefs.toDeleted).toBeGreaterThanOrEqual(stale.length);
    expect(first.xrefs.dangling).toBe(0);
  });

  it('explains each link with the evidence that made it', async () => {
    const sf = world.salesforce.accounts.find((a) => a.Stripe_Customer_Id__c && !a.IsDeleted)!;
    const [g] = await identity.goldenIdsFor([{ system: 'salesforce', externalId: sf.Id }]);
    const links = (await identity.linksFor([g!]))[0]!;
    const own = links.find((l) => l.externalId === sf.Id)!;
    expect(own.explanation['evidence']).toContainEqual({ rule: 'xref:Stripe_Customer_Id__c', names: { system: 'stripe', recordType: 'customer', externalId: sf.Stripe_Customer_Id__c } });
    const named = links.find((l) => l.externalId === sf.Stripe_Customer_Id__c)!;
    expect(named.explanation['evidence']).toContainEqual({ rule: 'xref:Stripe_Customer_Id__c', namedBy: { system: 'salesforce', recordType: 'Account', externalId: sf.Id } });
  });

  it('reports progress per system while scanning, then per batch while linking', () => {
    expect(progress[0]).toMatchObject({ phase: 'scan', clusters: { done: 0, total: 0 } });
    const scanEnd = progress.filter((p) => p.phase === 'scan').at(-1)!;
    expect(scanEnd.systems.every((s) => s.done)).toBe(true);
    expect(Object.fromEntries(scanEnd.systems.map((s) => [s.system, s.records]))).toEqual(first.records);
    const link = progress.filter((p) => p.phase === 'link');
    expect(link.at(-1)!.clusters).toEqual({ done: first.clusters, total: first.clusters });
    expect(progress.at(-1)!.phase).toBe('done');
  });

  it('changes nothing when run a second time', async () => {
    const before = await snapshot();
    const again = await runBackfill({ connectors: all(), store: identity });
    expect(again.customers).toEqual({ created: 0, kept: first.clusters, merged: 0, keptApart: 0, total: first.clusters });
    expect(again.links).toEqual({ written: 0, unchanged: first.links.written, byRule: first.links.byRule });
    expect(await snapshot()).toEqual(before);
  });

  it('changes nothing when the sources return their records in another order and page size', async () => {
    const before = await snapshot();
    for (const c of all()) c.records.reverse();
    try {
      const again = await runBackfill({ connectors: [...all()].reverse(), store: identity, pageSize: 77, batchSize: 333 });
      expect(again.links.written).toBe(0);
      expect(await snapshot()).toEqual(before);
    } finally {
      for (const c of all()) c.records.reverse();
    }
  });
});

describe('backfill keeps golden ids stable as sources change', () => {
  const stripeRecord = (id: string, xrefs: SourceRecord['xrefs'], emails: string[] = []): SourceRecord => ({
    system: 'stripe', type: 'customer', id, updatedAt: '2026-01-02T00:00:00.000Z', data: { id }, xrefs, emails, deleted: false,
  });

  it('gives a new record that names an existing customer that customer’s id', async () => {
    const sf = world.salesforce.accounts.find((a) => !a.IsDeleted)!;
    const [before] = await identity.goldenIdsFor([{ system: 'salesforce', externalId: sf.Id }]);
    connectors.stripe.records.push(stripeRecord('cus_newA', [{ system: 'salesforce', id: sf.Id, field: 'metadata.salesforce_account_id' }]));
    const r = await runBackfill({ connectors: all(), store: identity });
    expect(r.customers).toMatchObject({ created: 0, merged: 0 });
    expect(r.links.written).toBe(2); // the new record, and the account's evidence now naming it
    expect(await identity.goldenIdsFor([{ system: 'stripe', externalId: 'cus_newA' }, { system: 'salesforce', externalId: sf.Id }])).toEqual([before, before]);
  });

  it('merges two customers a new record joins: the older id survives, the other redirects to it', async () => {
    // Two live ERP customers of different true customers, both already linked.
    const [e1, e2] = world.erp.customers.filter((c) => c.billing_email).slice(5, 7);
    const [g1, g2] = await identity.goldenIdsFor([{ system: 'erp', externalId: e1!.customer_number }, { system: 'erp', externalId: e2!.customer_number }]);
    expect(g1).not.toBe(g2);
    const older = g1! < g2! ? g1! : g2!;
    const younger = older === g1 ? g2! : g1!;
    const countBefore = await identity.count();
    connectors.stripe.records.push(
      stripeRecord('cus_joins', [{ system: 'erp', id: e1!.customer_number, field: 'metadata.erp_customer_number' }], [emailKey(e2!.billing_email!)!]),
    );
    const r = await runBackfill({ connectors: all(), store: identity });
    expect(r.customers.merged).toBe(1);
    expect(r.customers.created).toBe(0);
    expect(await identity.resolve(younger)).toBe(older);
    expect(await identity.count()).toBe(countBefore - 1);
    expect(await identity.goldenIdsFor([{ system: 'erp', externalId: e1!.customer_number }, { system: 'erp', externalId: e2!.customer_number }, { system: 'stripe', externalId: 'cus_joins' }])).toEqual([older, older, older]);
    expect((await identity.linksFor([younger]))[0]!.map((l) => l.goldenId)).toContain(older);
    const merged = await db.store.query(`SELECT 1 FROM ${db.store.table('identity_events')} WHERE kind = 'merged' AND golden_id = $1 AND other_golden_id = $2 AND actor = 'backfill'`, [older, younger]);
    expect(merged.rowCount).toBe(1);
  });

  it('lists a cross-reference to an id no source returned as dangling, and still links the record', async () => {
    connectors.stripe.records.push(stripeRecord('cus_dangling', [{ system: 'salesforce', id: '001000000000GONE', field: 'metadata.salesforce_account_id' }]));
    const r = await runBackfill({ connectors: all(), store: identity });
    expect(r.xrefs.dangling).toBe(1);
    expect(r.danglingXrefs).toEqual([
      { from: { system: 'stripe', recordType: 'customer', externalId: 'cus_dangling' }, field: 'metadata.salesforce_account_id', to: { system: 'salesforce', externalId: '001000000000GONE' } },
    ]);
    expect(r.customers.created).toBe(1);
    const [l] = (await identity.linksFor(await identity.goldenIdsFor([{ system: 'stripe', externalId: 'cus_dangling' }]) as string[]))[0]!;
    expect(l).toMatchObject({ rule: 'singleton', externalId: 'cus_dangling' });
  });
});

describe('what the backfill keeps of each record', () => {
  it('is only what matching reads: the same features, match keys and index entry as the full record, from less than the whole record', () => {
    const config = customersMatcherConfig();
    let full = 0;
    let kept = 0;
    for (const r of all().flatMap((c) => c.records)) {
      const slim = matchableRecord(r);
      expect(customerFeatures(slim)).toEqual(customerFeatures(r));
      expect(customerNameKey(slim)).toEqual(customerNameKey(r));
      expect(customerIndexEntry(config, slim)).toEqual(customerIndexEntry(config, r));
      full += JSON.stringify(r).length;
      kept += JSON.stringify(slim).length;
    }
    expect(kept).toBeLessThan(full);
  });

  it("indexes each record from the full run's feature table exactly as a record indexed on its own", () => {
    const config = customersMatcherConfig();
    const records = all().flatMap((c) => c.records).map(matchableRecord);
    const table = buildFeatures(config, records.map((r) => toMatcherRecord(r)));
    let withKeys = 0;
    records.forEach((r, i) => {
      const own = customerIndexEntry(config, r);
      expect(customerIndexEntry(config, r, indexEntryFromTable(config, table, i))).toEqual(own);
      if (own.keys.length > 0) withKeys++;
    });
    expect(withKeys).toBeGreaterThan(records.length / 2);
  });
});

describe('a source that returns records failing its schema', () => {
  it('counts and names them in the scan report and the summary, and reads the rest', async () => {
    const own = await migratedStore('t_backfill_invalid');
    try {
      const store = createIdentityStore(own.store);
      const c = worldConnectors(generateWorld({ customers: 30, seed: 4 }));
      const stripe = c.stripe.records;
      const bad = Array.from({ length: MAX_INVALID_LISTED + 2 }, (_, i) => new InvalidSourceRecordError('stripe', `cus_bad${i}`, 'email', 'Invalid email address'));
      // The records of each page come with the invalid ones the connector met on the way.
      const withInvalid: SourceConnector = {
        ...c.stripe,
        async *scanAccounts(scan) {
          let first = true;
          for await (const page of c.stripe.scanAccounts(scan)) {
            yield scanPage([...page], page.resumeAfter, first ? bad : []);
            first = false;
          }
        },
      };
      const r = await runBackfill({ connectors: [withInvalid], store, pageSize: 10 });
      const scan = r.scans[0]!;
      expect(scan).toMatchObject({ system: 'stripe', read: stripe.length, complete: true, invalid: bad.length });
      expect(scan.invalidRecords).toEqual(bad.slice(0, MAX_INVALID_LISTED).map((e) => e.message));
      expect(scan.invalidRecords[0]).toBe('stripe record cus_bad0: field email: Invalid email address');
      const lines = summaryTable(r).split('\n');
      expect(lines.find((l) => l.startsWith('stripe'))).toContain(`${bad.length} invalid, not linked`);
      expect(lines).toContain('  invalid: stripe record cus_bad1: field email: Invalid email address');
      expect(lines).toContain('  invalid: … and 2 more stripe records');
    } finally {
      await own.close();
    }
  });
});

describe('a source that fails mid-scan', () => {
  it('links what was read, reports the system it could not finish, and the next run resumes it from its checkpoint', async () => {
    const own = await migratedStore('t_backfill_resume');
    try {
      const store = createIdentityStore(own.store);
      const checkpoints = createBackfillCheckpoints(own.store);
      const c = worldConnectors(generateWorld({ customers: 120, seed: 9 }));
      const zendesk = c.zendesk.records;
      // Run 1: Zendesk goes down after its first page.
      const broken = memoryConnector('zendesk', zendesk, { failWith: new Error('503 Service Unavailable') });
      const r1 = await runBackfill({ connectors: [c.salesforce, broken], store, pageSize: 25, checkpoints });
      expect(r1.scans).toEqual([
        { system: 'salesforce', read: c.salesforce.records.length, resumed: 0, pagesRetried: 0, complete: true, error: null, invalid: 0, invalidRecords: [] },
        { system: 'zendesk', read: 25, resumed: 0, pagesRetried: 0, complete: false, error: '503 Service Unavailable', invalid: 0, invalidRecords: [] },
      ]);
      // Everything read is linked: every Salesforce account and the first 25 organizations.
      const linked = await store.goldenIdsFor([...c.salesforce.records, ...zendesk].map((r) => ({ system: r.system, externalId: r.id, recordType: r.type })));
      expect(linked.slice(0, c.salesforce.records.length).every((g) => g !== null)).toBe(true);
      expect(linked.slice(c.salesforce.records.length).map((g) => g !== null)).toEqual(zendesk.map((_, i) => i < 25));
      // Salesforce's checkpoint is cleared; Zendesk's says where it stopped.
      expect(await checkpoints.load()).toEqual([{ system: 'zendesk', resumeAfter: '25', records: 25, done: false }]);

      // Run 2: Zendesk is back. Its scan resumes after record 25, not from the start.
      c.zendesk.scans.length = 0;
      const r2 = await runBackfill({ connectors: [c.salesforce, c.zendesk], store, pageSize: 25, checkpoints });
      expect(r2.scans.find((x) => x.system === 'zendesk')).toEqual({ system: 'zendesk', read: zendesk.length - 25, resumed: 25, pagesRetried: 0, complete: true, error: null, invalid: 0, invalidRecords: [] });
      expect(r2.records.zendesk).toBe(zendesk.length);
      expect(await checkpoints.load()).toEqual([]);
      const after = await store.goldenIdsFor(zendesk.map((r) => ({ system: r.system, externalId: r.id, recordType: r.type })));
      expect(after.every((g) => g !== null)).toBe(true);
    } finally {
      await own.close();
    }
  });
});

describe('an e-mail address shared by companies with different names', () => {
  it('joins the records whose names agree and leaves the differently named one to the matcher', async () => {
    const own = await migratedStore('t_backfill_mail');
    try {
      const store = createIdentityStore(own.store);
      const customer = (id: string, name: string): SourceRecord => ({
        system: 'stripe', type: 'customer', id, updatedAt: '2026-01-02T00:00:00.000Z', data: { id, name, email: 'bookkeeper.jo88@gmail.com' }, xrefs: [],
        emails: ['bookkeeper.jo88@gmail.com'], deleted: false,
      });
      const erp: SourceRecord = {
        system: 'erp', type: 'erp_customer', id: 'C-77', updatedAt: '2026-01-02T00:00:00.000Z', data: { customer_number: 'C-77', legal_name: 'Harbor Dental Group LLC' },
        xrefs: [], emails: ['Bookkeeper.Jo88@gmail.com'], deleted: false,
      };
      const report = await runBackfill({
        connectors: [memoryConnector('stripe', [customer('cus_H1', 'Harbor Dental Group'), customer('cus_S1', 'Sunrise Bakery')]), memoryConnector('erp', [erp])],
        store,
      });
      const [h, s, e] = await store.goldenIdsFor([{ system: 'stripe', externalId: 'cus_H1' }, { system: 'stripe', externalId: 'cus_S1' }, { system: 'erp', externalId: 'C-77' }]);
      expect(e).toBe(h);
      expect(s).not.toBe(h);
      expect(report.emailsNotTrusted).toBe(1);
    } finally {
      await own.close();
    }
  });
});

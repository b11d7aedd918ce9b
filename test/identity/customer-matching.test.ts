// Probabilistic customer matching on generated worlds (docs/sandbox/world.md): every system's
// account-level records, matched together, scored against world.truth and against the exact-key
// baseline (shared cross-references + exact e-mail, what the backfill links).
import { describe, expect, it } from 'vitest';
import {
  customerFeatures, customersMatcherConfig, entitiesOf, exactKeyClusters, matchCustomerRecords, recordKey, scoreClustering, type ClusteringScores,
} from '../../src/identity/customer-matching.ts';
import { generateWorld } from '../../src/sandbox/world/index.ts';
import type { SourceRecord } from '../../src/sources/types.ts';
import { worldRecords } from '../merge/world-records.ts';
import { worldRecords as backfillWorldRecords } from './world-connectors.ts';

/**
 * `merge`: test/merge/world-records.ts (Zendesk organizations carry no e-mails). `backfill`:
 * test/identity/world-connectors.ts, the backfill's view, where a Zendesk organization carries its
 * end-users' e-mails.
 */
function worldInput(seed: number, customers: number, view: 'merge' | 'backfill' = 'merge'): { records: SourceRecord[]; truth: Map<string, string>; lookalikes: [string, string][] } {
  const world = generateWorld({ seed, customers });
  const truth = new Map<string, string>();
  for (const t of world.truth) for (const r of t.records) truth.set(recordKey(r), t.key);
  const records: SourceRecord[] =
    view === 'merge' ? [...worldRecords(world).byTruth.values()].flat() : Object.values(backfillWorldRecords(world)).flat();
  // Input order says nothing about the truth.
  records.sort((x, y) => (recordKey(x) < recordKey(y) ? -1 : 1));
  const lookalikes: [string, string][] = world.truth.flatMap((t) => (t.lookalikes ?? []).map((o) => [t.key, o] as [string, string]));
  return { records, truth, lookalikes };
}

const fmt = (s: ClusteringScores): string =>
  `pairs P ${s.pairs.precision.toFixed(4)} R ${s.pairs.recall.toFixed(4)} F1 ${s.pairs.f1.toFixed(4)} (${s.pairs.truePositives}/${s.pairs.truePairs} true pairs, ${s.pairs.predictedPairs} predicted)` +
  ` · clusters P ${s.clusters.precision.toFixed(4)} R ${s.clusters.recall.toFixed(4)} (${s.clusters.exact} exact of ${s.clusters.truth} customers, ${s.clusters.predicted} clusters)`;

describe('customer features', () => {
  const base: SourceRecord = { system: 'salesforce', type: 'Account', id: '001A', updatedAt: '2026-01-01T00:00:00.000Z', data: {}, xrefs: [], emails: [], deleted: false };
  it('normalizes names, domains, phones and addresses per system', () => {
    const sf = customerFeatures({
      ...base,
      data: { Name: 'ACME Corp.', Website: 'https://www.Acme.com/', Phone: '(415) 555-0134', BillingStreet: '500 market st\nste 400', BillingCity: 'SAN FRANCISCO', BillingState: 'California', BillingPostalCode: '94105-1234', BillingCountry: 'USA' },
      emails: ['Jon+billing@acme.com', 'liz@gmail.com'],
    });
    expect(sf).toEqual({
      name: 'Acme Corporation', nameKey: 'acme', domain: 'acme.com', emails: ['jon@acme.com', 'liz@gmail.com'], phone: '+14155550134',
      postcode: '94105', city: 'san francisco', street: '500 market street', country: 'US',
    });
    const erp = customerFeatures({ ...base, system: 'erp', type: 'erp_customer', id: 'C-1', data: { legal_name: 'The Acme Company, Inc.', postal_code: '2134', country: 'United States' }, emails: ['ap@gmail.com', 'billing@acme.com', 'x@acme.com'] });
    expect(erp.nameKey).toBe('acme');
    expect(erp.domain).toBe('acme.com'); // free-mail domains never count
    expect(erp.postcode).toBe('02134');
    const zd = customerFeatures({ ...base, system: 'zendesk', type: 'organization', id: '1', data: { name: 'Acme', domain_names: ['acme.com'] } });
    expect(zd).toMatchObject({ nameKey: 'acme', domain: 'acme.com', phone: null, street: null });
  });
});

describe('matchCustomerRecords on generated worlds', () => {
  it('validates configs/customers.json', () => {
    expect(customersMatcherConfig().fields.map((f) => f.name)).toEqual(['name', 'domain', 'emails', 'phone', 'postcode', 'city', 'street']);
  });

  const cases = [
    { seed: 42, customers: 2000, view: 'merge' },
    { seed: 7, customers: 2000, view: 'merge' },
    { seed: 42, customers: 1000, view: 'backfill' },
  ] as const;
  for (const { seed, customers, view } of cases) {
    it(`world seed ${seed}, ${customers} customers, ${view} records: precision ≥ 0.99 and more recall than the exact keys`, () => {
      const { records, truth, lookalikes } = worldInput(seed, customers, view);
      expect(records.every((r) => truth.has(recordKey(r)))).toBe(true);
      const t0 = performance.now();
      const result = matchCustomerRecords(records);
      const ms = performance.now() - t0;
      const entityOf = (k: string): string => truth.get(k)!;
      const baseline = scoreClustering(exactKeyClusters(records), entitiesOf(result.ids, entityOf));
      const scores = result.evaluate(entityOf);
      console.log(
        `customers seed ${seed} (${customers}, ${view} records): ${records.length} records, ${result.match.candidates.count} candidates, ${ms.toFixed(0)} ms\n` +
          `  exact keys (xref + e-mail): ${fmt(baseline)}\n` +
          `  matcher:                    ${fmt(scores)}\n` +
          `  certain links ${result.certainLinks.xref} xref + ${result.certainLinks.email} e-mail; ${result.probabilisticOnlyLinks} probabilistic links beyond them; ` +
          `${result.uniqueNameLinks} unique-name joins; ${result.refused} refused by the guard`,
      );
      expect(scores.pairs.precision).toBeGreaterThanOrEqual(0.99);
      expect(scores.pairs.recall).toBeGreaterThan(baseline.pairs.recall);
      expect(scores.pairs.recall).toBeGreaterThan(0.99);
      expect(scores.pairs.f1).toBeGreaterThan(0.99);
      expect(scores.clusters.precision).toBeGreaterThan(baseline.clusters.precision);
      expect(scores.clusters.recall).toBeGreaterThan(baseline.clusters.recall);
      // The exact keys are honoured: every baseline pair is kept.
      expect(scores.pairs.truePositives).toBeGreaterThanOrEqual(baseline.pairs.truePositives);
      // Hard negatives: no look-alike customers are merged.
      const clusterOf = new Map(result.ids.map((id, i) => [id, result.cluster[i]!] as const));
      const clustersOfTruth = new Map<string, Set<number>>();
      for (const [k, t] of truth) {
        let s = clustersOfTruth.get(t);
        if (s === undefined) clustersOfTruth.set(t, (s = new Set()));
        s.add(clusterOf.get(k)!);
      }
      expect(lookalikes.length).toBeGreaterThan(0);
      const merged = lookalikes.filter(([x, y]) => [...clustersOfTruth.get(x)!].some((c) => clustersOfTruth.get(y)!.has(c)));
      expect(merged).toEqual([]);
      // Pairs name known records, and certain links come first.
      const known = new Set(result.ids);
      expect(result.pairs.every((p) => known.has(p.a) && known.has(p.b))).toBe(true);
      expect(result.pairs.filter((p) => p.rule === 'xref' || p.rule === 'email').every((p) => p.decision === 'link' && p.probability === null)).toBe(true);
    }, 60_000);
  }

  it('is deterministic and can run without the exact keys', () => {
    const { records, truth } = worldInput(3, 300);
    const a = matchCustomerRecords(records);
    const b = matchCustomerRecords([...records]);
    expect([...a.cluster]).toEqual([...b.cluster]);
    const probabilistic = matchCustomerRecords(records, { deterministic: false, uniqueName: false });
    expect(probabilistic.certainLinks).toEqual({ xref: 0, email: 0 });
    expect(probabilistic.pairs.every((p) => p.rule === 'probabilistic')).toBe(true);
    const s = probabilistic.evaluate((k) => truth.get(k)!);
    expect(s.pairs.precision).toBeGreaterThanOrEqual(0.99);
    // Cluster ids are the index of each cluster's first record.
    a.cluster.forEach((c, i) => expect(c).toBeLessThanOrEqual(i));
    expect(a.groups().flat().length).toBeLessThanOrEqual(records.length);
  });
});

// Acceptance on the Febrl benchmark files (Christen's synthetic census-like records; ids
// rec-N-org / rec-N-dup-K share N when they are one person). The data lives outside the repo, in
// /work/shared/data/febrl; without it these tests skip and say so.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadMatcherConfig, type MatcherConfig } from '../../../src/identity/matcher/config.ts';
import { entitiesFromIds, evaluate } from '../../../src/identity/matcher/evaluate.ts';
import { runMatcher, type MatchInput } from '../../../src/identity/matcher/matcher.ts';
import { recordsFromCsv, type ReadRecords } from '../../../src/identity/matcher/records.ts';

const DATA = fileURLToPath(new URL('../../../../shared/data/febrl/', import.meta.url));
const present = existsSync(`${DATA}dataset4a.csv`);
if (!present) console.log(`febrl acceptance tests skipped: no data in ${DATA}`);

/** A generous timeout: a million random pairs on a shared, loaded machine took 40 s (3 s idle). */
const HEAVY = 300_000;

let config: MatcherConfig;
beforeAll(async () => {
  config = await loadMatcherConfig();
});

function read(name: string): ReadRecords {
  return recordsFromCsv(readFileSync(`${DATA}${name}`, 'utf8'), config, name);
}

function run(input: MatchInput, label: string): ReturnType<typeof evaluate> {
  const result = runMatcher(config, input);
  const ev = evaluate(result, entitiesFromIds(result.table.ids, /^rec-(\d+)-/));
  const c = ev.clusters;
  console.log(
    `${label}: pairs P ${ev.pairs.precision.toFixed(4)} R ${ev.pairs.recall.toFixed(4)} F1 ${ev.pairs.f1.toFixed(4)}` +
      (c === null ? '' : ` · clusters P ${c.precision.toFixed(4)} R ${c.recall.toFixed(4)} F1 ${c.f1.toFixed(4)}`) +
      ` · blocking recall ${ev.blockingRecall.toFixed(4)} · ${result.candidates.count} candidates · ` +
      `${Math.round(result.comparisonsPerSecond)} candidate comparisons/s, ${Math.round(result.allComparisonsPerSecond)} with random pairs · ${result.timings.totalMs.toFixed(0)} ms`,
  );
  return ev;
}

describe.skipIf(!present)('Febrl', () => {
  it('links dataset4a to dataset4b with F1 ≥ 0.999 and blocking recall ≥ 0.995', () => {
    const a = read('dataset4a.csv');
    const b = read('dataset4b.csv');
    expect(a.issues).toEqual([]);
    expect(b.issues).toEqual([]);
    const ev = run({ mode: 'link', left: a.records, right: b.records }, 'febrl4 link');
    expect(ev.pairs.truePairs).toBe(5000);
    expect(ev.blockingRecall).toBeGreaterThanOrEqual(0.995);
    expect(ev.pairs.f1).toBeGreaterThanOrEqual(0.999);
  }, HEAVY);

  it('dedupes dataset1 (1,000 records)', () => {
    const ev = run({ mode: 'dedupe', records: read('dataset1.csv').records }, 'febrl dataset1 dedupe');
    expect(ev.pairs.f1).toBeGreaterThanOrEqual(0.99);
    expect(ev.clusters!.f1).toBeGreaterThanOrEqual(0.99);
  }, HEAVY);

  it('dedupes dataset2 (5,000 records, clusters up to 6)', () => {
    const ev = run({ mode: 'dedupe', records: read('dataset2.csv').records }, 'febrl dataset2 dedupe');
    expect(ev.pairs.f1).toBeGreaterThanOrEqual(0.99);
    expect(ev.clusters!.f1).toBeGreaterThanOrEqual(0.99);
  }, HEAVY);
});

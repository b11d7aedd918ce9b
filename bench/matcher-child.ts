// One matcher measurement in a fresh process, so peak memory belongs to it alone: generate n
// Febrl-shaped records (bench/matcher-data.ts), dedupe them with the Febrl config, score against
// the truth in the ids, print one JSON line. Single-threaded: the engine runs on one core.
// Usage: matcher-child.ts <records> [seed] [--correlated-places]
import { loadMatcherConfig } from '../src/identity/matcher/config.ts';
import { entitiesFromIds, evaluate } from '../src/identity/matcher/evaluate.ts';
import { runMatcher } from '../src/identity/matcher/matcher.ts';
import { generateRecords } from './matcher-data.ts';

const args = process.argv.slice(2);
const correlatedPlaces = args.includes('--correlated-places');
const [nArg, seedArg] = args.filter((a) => !a.startsWith('--'));
const n = Number(nArg);
if (!Number.isInteger(n) || n < 2) throw new Error(`usage: matcher-child.ts <records> [seed] (got ${nArg ?? 'nothing'})`);
const seed = seedArg === undefined ? 42 : Number(seedArg);
const verbose = process.env['MATCHER_BENCH_VERBOSE'] === '1';
const log = (msg: string): void => {
  if (verbose) process.stderr.write(`${(performance.now() / 1000).toFixed(1)}s ${msg}\n`);
};

const config = await loadMatcherConfig();
const t0 = performance.now();
const generated = generateRecords({ records: n, seed, correlatedPlaces });
const generateMs = performance.now() - t0;
log(`generated ${n} records (${generated.duplicates} duplicates) in ${generateMs.toFixed(0)} ms`);

let lastPhase = '';
const result = runMatcher(config, { mode: 'dedupe', records: generated.records }, {
  onProgress: (p) => {
    if (p.phase !== lastPhase) log(`phase ${p.phase} (total ${p.total})`);
    lastPhase = p.phase;
  },
});
const t1 = performance.now();
const ev = evaluate(result, entitiesFromIds(result.table.ids, /^rec-(\d+)-/));
const evaluateMs = performance.now() - t1;

const t = result.timings;
const candidatePairs = result.candidates.count;
const randomPairs = result.model.randomPairs;
const comparisons = candidatePairs + randomPairs;
const comparingMs = t.uMs + t.compareMs;
const round = (x: number, d = 4): number => Number(x.toFixed(d));
process.stdout.write(
  JSON.stringify({
    records: n,
    correlatedPlaces,
    originals: generated.originals,
    duplicates: generated.duplicates,
    truePairs: ev.pairs.truePairs,
    candidatePairs,
    randomPairs,
    comparisons,
    msTotal: round(t.totalMs, 0),
    msGenerate: round(generateMs, 0),
    msByPhase: {
      features: round(t.featuresMs, 0), blocking: round(t.blockingMs, 0), u: round(t.uMs, 0), compare: round(t.compareMs, 0),
      em: round(t.emMs, 0), score: round(t.scoreMs, 0), cluster: round(t.clusterMs, 0), evaluate: round(evaluateMs, 0),
    },
    /** All record comparisons (candidates and random pairs for u) per second of comparing, one core. */
    comparisonsPerSecond: Math.round(comparingMs > 0 ? (comparisons / comparingMs) * 1000 : 0),
    candidateComparisonsPerSecond: Math.round(result.comparisonsPerSecond),
    /** Records deduplicated per second, matcher end to end (features to clusters; not generation). */
    recordsPerSecond: Math.round(t.totalMs > 0 ? (n / t.totalMs) * 1000 : 0),
    peakRssMiB: round(process.resourceUsage().maxRSS / 1024, 0),
    cores: 1,
    precision: round(ev.pairs.precision),
    recall: round(ev.pairs.recall),
    f1: round(ev.pairs.f1),
    blockingRecall: round(ev.blockingRecall),
    clusterPrecision: round(ev.clusters?.precision ?? 0),
    clusterRecall: round(ev.clusters?.recall ?? 0),
    clusterF1: round(ev.clusters?.f1 ?? 0),
    clusters: result.clusters?.count ?? 0,
    largestCluster: result.clusters?.largest ?? 0,
    emIterations: result.model.emIterations,
    skippedBlocks: result.candidates.rules.reduce((s, r) => s + r.skippedBlocks, 0),
    skippedPairs: result.candidates.rules.reduce((s, r) => s + r.skippedPairs, 0),
  }) + '\n',
);

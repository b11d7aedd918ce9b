// The matching run, as a pure function over records: features → blocking → u from random pairs →
// comparison vectors of the candidates → EM for m and the prior → match weights (with
// term-frequency adjustments) → decisions → clusters (dedupe). No I/O: the CLI reads and writes.
import type { MatcherConfig } from './config.ts';
import { candidatePairs, type BlockingRuleStats } from './blocking.ts';
import { clusterLinks, type Clusters } from './cluster.ts';
import { compileComparisons, comparePair } from './compare.ts';
import { buildFeatures, type FeatureTable, type InputRecord } from './features.ts';
import { compressPatterns, estimateU, expectationMaximisation, groupAdjustments, groupKey, leaveGroupOutM, levelWeights, probabilityOf } from './model.ts';

export type MatchInput = { mode: 'dedupe'; records: readonly InputRecord[] } | { mode: 'link'; left: readonly InputRecord[]; right: readonly InputRecord[] };

export const DECISION_NEW = 0;
export const DECISION_REVIEW = 1;
export const DECISION_LINK = 2;
export const DECISIONS = ['new', 'review', 'link'] as const;
export type Decision = (typeof DECISIONS)[number];

export interface MatchProgress {
  phase: 'features' | 'blocking' | 'u' | 'compare' | 'em' | 'score' | 'cluster' | 'done';
  done: number;
  total: number;
}

export interface FieldModel {
  name: string;
  levels: { label: string; m: number; u: number; weight: number }[];
  termFrequency: boolean;
}

export interface MatchResult {
  mode: MatchInput['mode'];
  table: FeatureTable;
  /** Index of the first record of the second file (link); null for dedupe. */
  split: number | null;
  candidates: { a: Int32Array; b: Int32Array; count: number; rules: BlockingRuleStats[] };
  /** Comparison vector per candidate: `fields.length` bytes each. */
  gammas: Uint8Array;
  model: {
    fields: FieldModel[];
    /** Prior probability that two records (of the whole comparison space) match. */
    prior: number;
    /** EM's share of matches among the candidates. */
    candidateMatchShare: number;
    emIterations: number;
    emConverged: boolean;
    randomPairs: number;
    /** Correlated groups: their fields (indices) and the joint-agreement adjustment (bits) per pattern key that has one. */
    groups: GroupModel[];
  };
  weights: Float64Array;
  probabilities: Float64Array;
  decisions: Uint8Array;
  /** Dedupe only. */
  clusters: Clusters | null;
  timings: { featuresMs: number; blockingMs: number; uMs: number; compareMs: number; emMs: number; scoreMs: number; clusterMs: number; totalMs: number };
  /** Candidate comparisons per second in the compare phase (one core). */
  comparisonsPerSecond: number;
  /** All record comparisons (random pairs for u and candidates) per second of comparing. */
  allComparisonsPerSecond: number;
}

export interface GroupModel {
  name: string;
  fields: number[];
  /** Pattern key (groupKey) → bits added to the sum of the fields' weights. */
  adjustments: Map<number, number>;
}

export interface MatchOptions {
  onProgress?: (p: MatchProgress) => void;
  /** Milliseconds; default performance.now. */
  now?: () => number;
}

const PROGRESS_EVERY = 1 << 15;

export function runMatcher(config: MatcherConfig, input: MatchInput, options: MatchOptions = {}): MatchResult {
  const now = options.now ?? (() => performance.now());
  const progress = options.onProgress ?? ((): void => undefined);
  const t0 = now();
  const records = input.mode === 'dedupe' ? input.records : [...input.left, ...input.right];
  const split = input.mode === 'dedupe' ? null : input.left.length;
  progress({ phase: 'features', done: 0, total: records.length });
  const table = buildFeatures(config, records);
  const fields = compileComparisons(config, table);
  const t1 = now();

  progress({ phase: 'blocking', done: 0, total: records.length });
  const candidates = candidatePairs(config, table, split);
  const t2 = now();

  progress({ phase: 'u', done: 0, total: config.em.randomPairs });
  const groupNames = [...new Set(config.fields.flatMap((f) => (f.group === undefined ? [] : [f.group])))];
  const groups = groupNames.map((g) => config.fields.flatMap((f, i) => (f.group === g ? [i] : [])));
  const { u, pairs: randomPairs, random } = estimateU(table, fields, split, config.em.randomPairs, config.em.seed, groups);
  const t3 = now();

  const width = fields.length;
  const count = candidates.count;
  const gammas = new Uint8Array(count * width);
  for (let p = 0; p < count; p++) {
    if ((p & (PROGRESS_EVERY - 1)) === 0) progress({ phase: 'compare', done: p, total: count });
    comparePair(table, fields, candidates.a[p]!, candidates.b[p]!, gammas, p * width);
  }
  progress({ phase: 'compare', done: count, total: count });
  const t4 = now();

  progress({ phase: 'em', done: 0, total: config.em.maxIterations });
  const patterns = compressPatterns(gammas, count, fields);
  // Context fields (a contact's company and address) are shared by different entities: EM learns
  // who matches from the other fields, or colleagues would become the match class.
  const context = new Set(config.fields.flatMap((f, i) => (f.context ? [i] : [])));
  const em = expectationMaximisation(patterns, fields, { maxIterations: config.em.maxIterations, tolerance: config.em.tolerance, u, ...(context.size > 0 ? { context } : {}) });
  // Fields configured as one correlated group get their m from the other fields' evidence.
  const emBeforeGroups = { ...em };
  if (groups.length > 0) em.m = leaveGroupOutM(patterns, fields, em, groups);
  const t5 = now();

  // Weights: m from EM, u from random pairs (EM's u describes the non-matches blocking let
  // through, which agree more often than non-matches at large).
  const w = levelWeights(em.m, u);
  const n = table.size;
  const totalPairs = split === null ? (n * (n - 1)) / 2 : split * (n - split);
  const prior = Math.min(0.5, Math.max(1e-12, (em.lambda * count) / Math.max(1, totalPairs)));
  // A group's fields are summed as if independent, then corrected by its joint pattern.
  const adjustments = random === null ? [] : groupAdjustments(patterns, fields, emBeforeGroups, em.m, u, prior, groups, random);
  const logPriorOdds = Math.log2(prior / (1 - prior));
  // Term-frequency adjustment at an exact level: replace u of the level with the frequency of the
  // value itself, i.e. add log2(u_exact / tf(value)).
  const tfFields = fields
    .map((cf, f) => ({ f, exactLevel: cf.features.config.levels.findIndex((l) => l.type === 'exact') + 1, tf: cf.features.tf }))
    .filter((x) => config.fields[x.f]!.termFrequency && x.exactLevel > 0);
  const weights = new Float64Array(count);
  const probabilities = new Float64Array(count);
  const decisions = new Uint8Array(count);
  const logOdds = new Float64Array(count);
  const isLink = new Uint8Array(count);
  for (let p = 0; p < count; p++) {
    if ((p & (PROGRESS_EVERY - 1)) === 0) progress({ phase: 'score', done: p, total: count });
    let s = 0;
    const off = p * width;
    for (let f = 0; f < width; f++) s += w[f]![gammas[off + f]!]!;
    for (let g = 0; g < groups.length; g++) s += adjustments[g]!.get(groupKey(gammas, off, groups[g]!, fields)) ?? 0;
    for (const t of tfFields) {
      if (gammas[off + t.f] === t.exactLevel) {
        const freq = Math.max(t.tf[candidates.a[p]!]!, 1 / n);
        s += Math.log2(u[t.f]![t.exactLevel]! / freq);
      }
    }
    weights[p] = s;
    logOdds[p] = s + logPriorOdds;
    const prob = probabilityOf(s, logPriorOdds);
    probabilities[p] = prob;
    const d = prob >= config.thresholds.link ? DECISION_LINK : prob >= config.thresholds.review ? DECISION_REVIEW : DECISION_NEW;
    decisions[p] = d;
    if (d === DECISION_LINK) isLink[p] = 1;
  }
  const t6 = now();

  let clusters: Clusters | null = null;
  if (split === null) {
    progress({ phase: 'cluster', done: 0, total: count });
    clusters = clusterLinks({ size: n, a: candidates.a, b: candidates.b, count, logOdds, isLink, guard: config.clustering.guard });
    // A link the guard refused goes to a person instead.
    for (const p of clusters.refused) decisions[p] = DECISION_REVIEW;
  }
  const t7 = now();
  progress({ phase: 'done', done: count, total: count });

  const compareMs = t4 - t3;
  return {
    mode: input.mode,
    table,
    split,
    candidates,
    gammas,
    model: {
      fields: fields.map((cf, f) => ({
        name: config.fields[f]!.name,
        termFrequency: config.fields[f]!.termFrequency,
        levels: cf.labels.slice(1).map((label, i) => ({ label, m: em.m[f]![i + 1]!, u: u[f]![i + 1]!, weight: w[f]![i + 1]! })),
      })),
      prior,
      candidateMatchShare: em.lambda,
      emIterations: em.iterations,
      emConverged: em.converged,
      randomPairs,
      groups: groups.map((g, i) => ({ name: groupNames[i]!, fields: g, adjustments: adjustments[i] ?? new Map<number, number>() })),
    },
    weights,
    probabilities,
    decisions,
    clusters,
    timings: { featuresMs: t1 - t0, blockingMs: t2 - t1, uMs: t3 - t2, compareMs, emMs: t5 - t4, scoreMs: t6 - t5, clusterMs: t7 - t6, totalMs: t7 - t0 },
    comparisonsPerSecond: compareMs > 0 ? (count / compareMs) * 1000 : 0,
    allComparisonsPerSecond: compareMs + t3 - t2 > 0 ? ((count + randomPairs) / (compareMs + t3 - t2)) * 1000 : 0,
  };
}

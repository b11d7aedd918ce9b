// The Fellegi–Sunter model: for each field and level, m = P(level | match) and u = P(level |
// non-match); a pair's match weight is Σ log2(m/u) over its fields (a missing value adds 0).
// u is counted on random pairs (nearly all non-matches); m and the share of matches among the
// candidates are estimated with expectation–maximisation over the candidates' comparison vectors,
// compressed to distinct patterns with counts (a few thousand patterns for a million pairs).
import type { CompiledField } from './compare.ts';
import { comparePair } from './compare.ts';
import type { FeatureTable } from './features.ts';

/** Probabilities below this are raised to it, so a level never seen still has a finite weight. */
const FLOOR = 1e-7;
/** Pseudo-count of matched pairs that disagreed on a field (its "else" level), added in each M step. */
const M_ELSE_PRIOR = 0.5;

/**
 * m from weighted level counts, with half a pair added to "else" (a Jeffreys-style prior): a
 * field no match has disagreed on yet among M matched pairs disagrees rarely (m about 1/2M, some
 * −12 bits for a few thousand matches), not never (m → 0 made one disagreement a −23-bit veto that
 * no agreement elsewhere could outweigh, which is brittle on data unlike the training set).
 */
function withElsePrior(counts: Float64Array): Float64Array {
  const c = Float64Array.from(counts);
  c[c.length - 1]! += M_ELSE_PRIOR;
  return normalise(c);
}

export interface LevelParameters {
  /** Per field, per level (index 0 = null, unused): probability. */
  m: Float64Array[];
  u: Float64Array[];
}

export interface EmResult extends LevelParameters {
  /** Estimated share of matches among the candidate pairs. */
  lambda: number;
  iterations: number;
  converged: boolean;
  /** Largest parameter change per iteration, for the record. */
  deltas: number[];
  /** The context fields EM left out of the evidence (EmOptions.context); the later estimates leave them out too. */
  context: ReadonlySet<number>;
}

/** A group's fields and the context fields: what a leave-out estimate must not count as evidence. */
function leftOut(group: readonly number[], context: ReadonlySet<number>): Set<number> {
  return new Set([...group, ...context]);
}

/** Deterministic PRNG (mulberry32): the same seed samples the same random pairs. */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normalise(counts: Float64Array): Float64Array {
  let total = 0;
  for (let l = 1; l < counts.length; l++) total += counts[l]!;
  const p = new Float64Array(counts.length);
  for (let l = 1; l < counts.length; l++) p[l] = Math.max(FLOOR, total === 0 ? 1 / (counts.length - 1) : counts[l]! / total);
  return p;
}

/**
 * u probabilities from pairs drawn at random (two records of different files for a link job).
 * When there are no more pairs than `samples`, every pair is compared instead. A half count is
 * added to each level (a Jeffreys prior), so a level random pairs never reach is rare, not impossible.
 */
export function estimateU(
  table: FeatureTable,
  fields: readonly CompiledField[],
  split: number | null,
  samples: number,
  seed: number,
  groups: readonly (readonly number[])[] = [],
): { u: Float64Array[]; pairs: number; random: Patterns | null } {
  const counts = fields.map((f) => new Float64Array(f.radix).fill(0.5));
  const width = fields.length;
  // The random pairs' comparison vectors are kept (as patterns) only when a group needs them.
  const keep = groups.length > 0;
  let kept = new Uint8Array(keep ? 1 << 16 : 0);
  let gamma = new Uint8Array(width);
  let stored = 0;
  const add = (a: number, b: number): void => {
    if (keep) {
      if ((stored + 1) * width > kept.length) {
        const grown = new Uint8Array(kept.length * 2);
        grown.set(kept);
        kept = grown;
      }
      gamma = kept.subarray(stored * width, (stored + 1) * width);
      stored++;
    }
    comparePair(table, fields, a, b, gamma, 0);
    for (let f = 0; f < width; f++) counts[f]![gamma[f]!]!++;
  };
  const n = table.size;
  const nl = split ?? n;
  const total = split === null ? (n * (n - 1)) / 2 : split * (n - split);
  let pairs = 0;
  if (total <= samples) {
    for (let a = 0; a < nl; a++) for (let b = split === null ? a + 1 : split; b < n; b++) add(a, b);
    pairs = total;
  } else {
    const rand = mulberry32(seed);
    while (pairs < samples) {
      const a = Math.floor(rand() * nl);
      const b = split === null ? Math.floor(rand() * n) : split + Math.floor(rand() * (n - split));
      if (a === b) continue;
      add(a, b);
      pairs++;
    }
  }
  return { u: counts.map(normalise), pairs, random: keep ? compressPatterns(kept, stored, fields) : null };
}

/**
 * Whether an observed (weighted) count departs from the count independence predicts by more than
 * chance would: more than three standard deviations of a Poisson count, plus three.
 */
function departs(observed: number, expected: number): boolean {
  return Math.abs(observed - expected) > 3 * Math.sqrt(expected) + 3;
}

/** The levels of a group's fields in one comparison vector, as one number (mixed radix). */
export function groupKey(gammas: ArrayLike<number>, offset: number, group: readonly number[], fields: readonly { radix: number }[]): number {
  let key = 0;
  for (const f of group) key = key * fields[f]!.radix + gammas[offset + f]!;
  return key;
}

/** Which of a group's fields have a value on both sides, from its key: a bit per field. */
function maskOf(key: number, group: readonly number[], fields: readonly { radix: number }[]): number {
  let mask = 0;
  for (let i = group.length - 1, k = key; i >= 0; i--) {
    const r = fields[group[i]!]!.radix;
    if (k % r !== 0) mask |= 1 << i;
    k = Math.floor(k / r);
  }
  return mask;
}

/**
 * The correction a correlated group's joint agreement needs, in bits per pattern of its levels.
 * Scoring sums the fields' weights as if independent; for fields that move together (suburb,
 * postcode and state of one real place) that counts one agreement several times. For each
 * pattern of the group's levels seen among the candidates (given which of its fields have values):
 * - m: the pattern's share among matched candidates, each weighted by the match probability the
 *   other fields give (as in leaveGroupOutM), against the product of the fields' m;
 * - u: its share among the random pairs, each weighted by the chance the other fields give that it
 *   is not a match (a link job's random sample holds true matches, and they would dominate the
 *   rarest patterns), against the product of the fields' u.
 * An observed share replaces the product only where it departs from it by more than chance
 * (`departs`); the adjustment is log2(m ratio) − log2(u ratio), 0 where independence fits.
 */
export function groupAdjustments(
  patterns: Patterns,
  fields: readonly CompiledField[],
  em: EmResult,
  m: readonly Float64Array[],
  u: readonly Float64Array[],
  prior: number,
  groups: readonly (readonly number[])[],
  randomPatterns: Patterns,
): Map<number, number>[] {
  const width = fields.length;
  const logPrior = Math.log(em.lambda / (1 - em.lambda));
  /** Match probability of each pattern from the fields outside the group. */
  const posteriorWithout = (vectors: Uint8Array, p: number, inGroup: ReadonlySet<number>, prior: number): number => posterior(vectors, p, em.m, em.u, prior, inGroup);
  // Among random pairs the share of matches is the prior's, not the candidates' λ.
  const randomLogPrior = Math.log(Math.max(1e-12, prior) / (1 - Math.max(1e-12, prior)));
  return groups.map((group) => {
    const inGroup = leftOut(group, em.context);
    const mass = new Map<number, number>();
    const massByMask = new Map<number, number>();
    for (let p = 0; p < patterns.size; p++) {
      const post = posteriorWithout(patterns.vectors, p, inGroup, logPrior) * patterns.counts[p]!;
      const key = groupKey(patterns.vectors, p * width, group, fields);
      mass.set(key, (mass.get(key) ?? 0) + post);
      const mask = maskOf(key, group, fields);
      massByMask.set(mask, (massByMask.get(mask) ?? 0) + post);
    }
    // u is about non-matches: a random pair the other fields call a match (a link job's random
    // sample holds a few hundred true matches, and they dominate the rarest joint patterns)
    // counts only as much as it is not one.
    const random = new Map<number, number>();
    const randomByMask = new Map<number, number>();
    for (let p = 0; p < randomPatterns.size; p++) {
      const weight = (1 - posteriorWithout(randomPatterns.vectors, p, inGroup, randomLogPrior)) * randomPatterns.counts[p]!;
      const key = groupKey(randomPatterns.vectors, p * width, group, fields);
      random.set(key, (random.get(key) ?? 0) + weight);
      const mask = maskOf(key, group, fields);
      randomByMask.set(mask, (randomByMask.get(mask) ?? 0) + weight);
    }
    const out = new Map<number, number>();
    for (const [key, matched] of mass) {
      const mask = maskOf(key, group, fields);
      if (mask === 0) continue;
      let mInd = 1;
      let uInd = 1;
      for (let i = group.length - 1, k = key; i >= 0; i--) {
        const f = group[i]!;
        const l = k % fields[f]!.radix;
        k = Math.floor(k / fields[f]!.radix);
        if (l === 0) continue;
        mInd *= m[f]![l]!;
        uInd *= u[f]![l]!;
      }
      const mMask = massByMask.get(mask) ?? 0;
      const uMask = randomByMask.get(mask) ?? 0;
      // The joint frequency replaces the product only where the data contradict independence;
      // the adjustment is the log-ratio of the two, so the level weights (and their floors) stay.
      const seen = random.get(key) ?? 0;
      // The products are not floored again: each factor is (as in the weights), and five agreeing
      // fields of rare values have a product far below FLOOR. Flooring it cut the correction of a
      // five-field joint agreement (a company and its address, 1 in 200 random pairs) by 13 bits.
      const mRatio = departs(matched, mMask * mInd) ? Math.max(FLOOR, matched / mMask) / mInd : 1;
      const uRatio = departs(seen, uMask * uInd) ? Math.max(FLOOR, seen / uMask) / uInd : 1;
      const adjust = Math.log2(mRatio) - Math.log2(uRatio);
      if (Math.abs(adjust) > 1e-9) out.set(key, adjust);
    }
    return out;
  });
}

/**
 * The match probability of comparison vector `p` of `vectors` under m, u and the log prior odds
 * (natural log), leaving out the fields in `skip`. Missing values (level 0) count for nothing.
 */
export function posterior(vectors: Uint8Array, p: number, m: readonly Float64Array[], u: readonly Float64Array[], logPrior: number, skip?: ReadonlySet<number>): number {
  const width = m.length;
  let x = logPrior;
  for (let f = 0; f < width; f++) {
    if (skip?.has(f)) continue;
    const l = vectors[p * width + f]!;
    if (l !== 0) x += Math.log(m[f]![l]! / u[f]![l]!);
  }
  return x > 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/** Distinct comparison vectors and how many pairs have each. */
export interface Patterns {
  vectors: Uint8Array;
  counts: Float64Array;
  size: number;
}

export function compressPatterns(gammas: Uint8Array, pairs: number, fields: readonly CompiledField[]): Patterns {
  const width = fields.length;
  const index = new Map<number, number>();
  const vectors: number[] = [];
  const counts: number[] = [];
  for (let p = 0; p < pairs; p++) {
    let key = 0;
    for (let f = 0; f < width; f++) key = key * fields[f]!.radix + gammas[p * width + f]!;
    const i = index.get(key);
    if (i === undefined) {
      index.set(key, counts.length);
      counts.push(1);
      for (let f = 0; f < width; f++) vectors.push(gammas[p * width + f]!);
    } else counts[i]!++;
  }
  return { vectors: Uint8Array.from(vectors), counts: Float64Array.from(counts), size: counts.length };
}

export interface EmOptions {
  maxIterations: number;
  tolerance: number;
  /** Starting u; default uniform. */
  u?: readonly Float64Array[];
  /** Starting share of matches. Default 0.1. */
  lambda?: number;
  /**
   * Context fields (config `context`): left out of each pair's match probability, so they cannot
   * define what a match is; their m are still counted, weighted by the other fields' evidence.
   */
  context?: ReadonlySet<number>;
}

/**
 * EM for the two-class mixture (Winkler 1988, Jaro 1989): the E step gives each pattern its
 * posterior match probability under the current m, u and λ; the M step re-estimates them as
 * weighted level frequencies. Missing values (level 0) drop out of both classes. m starts high on
 * the first (most similar) level and low elsewhere, so the match class is the agreeing one.
 */
export function expectationMaximisation(patterns: Patterns, fields: readonly CompiledField[], options: EmOptions): EmResult {
  const width = fields.length;
  let m: Float64Array[] = fields.map((f) => {
    const p = new Float64Array(f.radix);
    const k = f.radix - 1;
    for (let l = 1; l <= k; l++) p[l] = l === 1 ? 0.9 : 0.1 / (k - 1);
    return p;
  });
  let u: Float64Array[] = fields.map((f, i) => (options.u?.[i] !== undefined ? Float64Array.from(options.u[i]) : normalise(new Float64Array(f.radix).fill(1))));
  let lambda = options.lambda ?? 0.1;
  const deltas: number[] = [];
  const post = new Float64Array(patterns.size);
  let converged = false;
  let iterations = 0;
  while (iterations < options.maxIterations) {
    iterations++;
    const logPrior = Math.log(lambda / (1 - lambda));
    for (let p = 0; p < patterns.size; p++) post[p] = posterior(patterns.vectors, p, m, u, logPrior, options.context);
    const mc = fields.map((f) => new Float64Array(f.radix));
    const uc = fields.map((f) => new Float64Array(f.radix));
    let matches = 0;
    let total = 0;
    for (let p = 0; p < patterns.size; p++) {
      const c = patterns.counts[p]!;
      const g = post[p]! * c;
      matches += g;
      total += c;
      for (let f = 0; f < width; f++) {
        const l = patterns.vectors[p * width + f]!;
        mc[f]![l]! += g;
        uc[f]![l]! += c - g;
      }
    }
    const nextM = mc.map(normalise);
    const nextU = uc.map(normalise);
    const nextLambda = Math.min(1 - FLOOR, Math.max(FLOOR, matches / total));
    let delta = Math.abs(nextLambda - lambda);
    for (let f = 0; f < width; f++) {
      for (let l = 1; l < fields[f]!.radix; l++) {
        delta = Math.max(delta, Math.abs(nextM[f]![l]! - m[f]![l]!), Math.abs(nextU[f]![l]! - u[f]![l]!));
      }
    }
    m = nextM;
    u = nextU;
    lambda = nextLambda;
    deltas.push(delta);
    if (delta < options.tolerance) {
      converged = true;
      break;
    }
  }
  // The prior on "else" is applied once, to the converged estimate: inside the iterations it
  // would pull a small data set towards "nothing matches" (the pseudo-count outweighing a handful
  // of matched pairs lowers every posterior, which lowers the matched mass further).
  const last = matchedCounts(patterns, fields, m, u, lambda, options.context);
  m = last.map(withElsePrior);
  return { m, u, lambda, iterations, converged, deltas, context: options.context ?? new Set() };
}

/** Per field and level, the pairs' counts weighted by their match probability under m, u and λ. */
function matchedCounts(
  patterns: Patterns,
  fields: readonly CompiledField[],
  m: readonly Float64Array[],
  u: readonly Float64Array[],
  lambda: number,
  context?: ReadonlySet<number>,
): Float64Array[] {
  const width = fields.length;
  const logPrior = Math.log(lambda / (1 - lambda));
  const counts = fields.map((f) => new Float64Array(f.radix));
  for (let p = 0; p < patterns.size; p++) {
    const g = posterior(patterns.vectors, p, m, u, logPrior, context) * patterns.counts[p]!;
    for (let f = 0; f < width; f++) counts[f]![patterns.vectors[p * width + f]!]! += g;
  }
  return counts;
}

/**
 * m of the fields of a correlated group, estimated again with the group left out of the evidence.
 * EM scores every pair with every field, so fields that change together (a person who moved: a new
 * street, number, suburb, postcode and state at once) classify their own disagreements as
 * non-matches, and m of their "else" level collapses to nothing: one move then weighs like five
 * independent contradictions. Here each pair's match probability comes from the other fields
 * only (with EM's final m, u and share of matches), and the group's m are the levels' frequencies
 * weighted by it: how often records that the rest of the evidence calls one entity disagree on them.
 */
export function leaveGroupOutM(patterns: Patterns, fields: readonly CompiledField[], em: EmResult, groups: readonly (readonly number[])[]): Float64Array[] {
  const width = fields.length;
  const m: Float64Array[] = em.m.map((x) => Float64Array.from(x));
  const logPrior = Math.log(em.lambda / (1 - em.lambda));
  for (const group of groups) {
    const inGroup = leftOut(group, em.context);
    const counts = group.map((f) => new Float64Array(fields[f]!.radix));
    for (let p = 0; p < patterns.size; p++) {
      const g = posterior(patterns.vectors, p, em.m, em.u, logPrior, inGroup) * patterns.counts[p]!;
      group.forEach((f, k) => {
        counts[k]![patterns.vectors[p * width + f]!]! += g;
      });
    }
    group.forEach((f, k) => {
      m[f] = withElsePrior(counts[k]!);
    });
  }
  return m;
}

/**
 * log2(m/u) per field and level; 0 for the null level. A configured level never weighs less than
 * the "else" level: passing a similarity test is not evidence against a match. Without this floor,
 * a level EM rarely sees among matches (Soundex-only agreement, say) gets m near 0 and a weight far
 * below that of names that share nothing.
 */
export function levelWeights(m: readonly Float64Array[], u: readonly Float64Array[]): Float64Array[] {
  return m.map((mf, f) => {
    const w = new Float64Array(mf.length);
    for (let l = 1; l < mf.length; l++) w[l] = Math.log2(Math.max(FLOOR, mf[l]!) / Math.max(FLOOR, u[f]![l]!));
    const last = mf.length - 1;
    for (let l = 1; l < last; l++) w[l] = Math.max(w[l]!, w[last]!);
    return w;
  });
}

/** Match probability from a match weight and the prior odds (log2). */
export function probabilityOf(weight: number, logPriorOdds: number): number {
  return 1 / (1 + 2 ** -(weight + logPriorOdds));
}

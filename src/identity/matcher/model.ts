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
export function estimateU(table: FeatureTable, fields: readonly CompiledField[], split: number | null, samples: number, seed: number): { u: Float64Array[]; pairs: number } {
  const counts = fields.map((f) => new Float64Array(f.radix).fill(0.5));
  const gamma = new Uint8Array(fields.length);
  const add = (a: number, b: number): void => {
    comparePair(table, fields, a, b, gamma, 0);
    for (let f = 0; f < fields.length; f++) counts[f]![gamma[f]!]!++;
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
  return { u: counts.map(normalise), pairs };
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
    for (let p = 0; p < patterns.size; p++) {
      let w = logPrior;
      for (let f = 0; f < width; f++) {
        const l = patterns.vectors[p * width + f]!;
        if (l !== 0) w += Math.log(m[f]![l]! / u[f]![l]!);
      }
      post[p] = w > 0 ? 1 / (1 + Math.exp(-w)) : Math.exp(w) / (1 + Math.exp(w));
    }
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
  const last = matchedCounts(patterns, fields, m, u, lambda);
  m = last.map(withElsePrior);
  return { m, u, lambda, iterations, converged, deltas };
}

/** Per field and level, the pairs' counts weighted by their match probability under m, u and λ. */
function matchedCounts(patterns: Patterns, fields: readonly CompiledField[], m: readonly Float64Array[], u: readonly Float64Array[], lambda: number): Float64Array[] {
  const width = fields.length;
  const logPrior = Math.log(lambda / (1 - lambda));
  const counts = fields.map((f) => new Float64Array(f.radix));
  for (let p = 0; p < patterns.size; p++) {
    let w = logPrior;
    for (let f = 0; f < width; f++) {
      const l = patterns.vectors[p * width + f]!;
      if (l !== 0) w += Math.log(m[f]![l]! / u[f]![l]!);
    }
    const g = (w > 0 ? 1 / (1 + Math.exp(-w)) : Math.exp(w) / (1 + Math.exp(w))) * patterns.counts[p]!;
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
    const inGroup = new Set(group);
    const counts = group.map((f) => new Float64Array(fields[f]!.radix));
    for (let p = 0; p < patterns.size; p++) {
      let w = logPrior;
      for (let f = 0; f < width; f++) {
        if (inGroup.has(f)) continue;
        const l = patterns.vectors[p * width + f]!;
        if (l !== 0) w += Math.log(em.m[f]![l]! / em.u[f]![l]!);
      }
      const post = w > 0 ? 1 / (1 + Math.exp(-w)) : Math.exp(w) / (1 + Math.exp(w));
      const g = post * patterns.counts[p]!;
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

// Scoring a run against ground truth. Truth is an entity per record: from the ids (a regex whose
// first group names the entity; Febrl's rec-12-org and rec-12-dup-0 are entity 12) or from a CSV
// of true pairs, closed transitively (if a=b and b=c are true, a=c is too). Pairwise precision,
// recall and F1 are over the pairs the run linked; blocking recall is the share of true pairs that
// blocking let through to be compared at all; for dedupe the clusters are scored too, over the
// pairs they imply.
import type { MatchResult } from './matcher.ts';
import { DECISION_LINK } from './matcher.ts';

export interface Scores {
  truePairs: number;
  predicted: number;
  truePositives: number;
  precision: number;
  recall: number;
  f1: number;
}

export interface Evaluation {
  /** Pairwise: the pairs decided `link`. */
  pairs: Scores;
  /** True pairs among the candidates / all true pairs. */
  blockingRecall: number;
  truePairsInCandidates: number;
  /** Dedupe: pairs implied by the clusters (every two records in one cluster). */
  clusters: Scores | null;
}

function scores(truePairs: number, predicted: number, truePositives: number): Scores {
  const precision = predicted === 0 ? 1 : truePositives / predicted;
  const recall = truePairs === 0 ? 1 : truePositives / truePairs;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { truePairs, predicted, truePositives, precision, recall, f1 };
}

/** Entity per record from the ids; a record whose id does not match is an entity of its own. */
export function entitiesFromIds(ids: readonly string[], pattern: RegExp): Int32Array {
  const keys = new Map<string, number>();
  const out = new Int32Array(ids.length);
  ids.forEach((id, i) => {
    const k = pattern.exec(id)?.[1];
    const key = k === undefined ? `\u0000${i}` : k;
    let e = keys.get(key);
    if (e === undefined) {
      e = keys.size;
      keys.set(key, e);
    }
    out[i] = e;
  });
  return out;
}

/**
 * Entity per record from true pairs (ids as in the files). For a link job, `id_a` names a record
 * of the first file and `id_b` one of the second; pairs naming an unknown id are counted, not used.
 */
export function entitiesFromPairs(ids: readonly string[], split: number | null, pairs: readonly (readonly [string, string])[]): { entities: Int32Array; unknown: number } {
  const n = ids.length;
  const left = new Map<string, number>();
  const right = new Map<string, number>();
  ids.forEach((id, i) => (split === null || i < split ? left : right).set(id, i));
  const parent = new Int32Array(n);
  for (let i = 0; i < n; i++) parent[i] = i;
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]!]!;
      x = parent[x]!;
    }
    return x;
  };
  let unknown = 0;
  for (const [x, y] of pairs) {
    const a = left.get(x);
    const b = split === null ? left.get(y) : right.get(y);
    if (a === undefined || b === undefined) {
      unknown++;
      continue;
    }
    parent[find(a)] = find(b);
  }
  const entities = new Int32Array(n);
  for (let i = 0; i < n; i++) entities[i] = find(i);
  return { entities, unknown };
}

function countTruePairs(entities: Int32Array, split: number | null): number {
  const left = new Map<number, number>();
  const right = new Map<number, number>();
  entities.forEach((e, i) => {
    const side = split === null || i < split ? left : right;
    side.set(e, (side.get(e) ?? 0) + 1);
  });
  let total = 0;
  if (split === null) for (const c of left.values()) total += (c * (c - 1)) / 2;
  else for (const [e, c] of left) total += c * (right.get(e) ?? 0);
  return total;
}

export function evaluate(result: MatchResult, entities: Int32Array): Evaluation {
  const { a, b, count } = result.candidates;
  const truePairs = countTruePairs(entities, result.split);
  let inCandidates = 0;
  let predicted = 0;
  let tp = 0;
  for (let p = 0; p < count; p++) {
    const same = entities[a[p]!] === entities[b[p]!];
    if (same) inCandidates++;
    if (result.decisions[p] === DECISION_LINK) {
      predicted++;
      if (same) tp++;
    }
  }
  let clusters: Scores | null = null;
  if (result.clusters !== null) {
    // Pairs inside clusters, and of those the ones inside one true entity.
    const size = new Map<number, number>();
    const both = new Map<string, number>();
    result.clusters.cluster.forEach((c, i) => {
      size.set(c, (size.get(c) ?? 0) + 1);
      const k = `${c}:${entities[i]!}`;
      both.set(k, (both.get(k) ?? 0) + 1);
    });
    let implied = 0;
    for (const s of size.values()) implied += (s * (s - 1)) / 2;
    let correct = 0;
    for (const s of both.values()) correct += (s * (s - 1)) / 2;
    clusters = scores(truePairs, implied, correct);
  }
  return { pairs: scores(truePairs, predicted, tp), blockingRecall: truePairs === 0 ? 1 : inCandidates / truePairs, truePairsInCandidates: inCandidates, clusters };
}

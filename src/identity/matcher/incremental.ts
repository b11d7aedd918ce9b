// Incremental matching, the pure half: score one new or changed record against a handful of
// candidates with a model estimated earlier by a full run, instead of re-running the whole set.
//
// A full run (runMatcher) estimates m and u, the prior and term frequencies over every record.
// `savedModelOf` keeps what scoring needs of that: the weight of every comparison level, u of
// each exact level (for the term-frequency adjustment), group adjustments and the prior. `indexEntryOf` gives a
// record's key under every blocking rule as plain text, so an index in Postgres can find the
// records that share a block with it; `scoreCandidates` then compares the record with each of
// them exactly as the full run would (the same normalization, comparison levels and weights).
// No I/O here: src/identity/live-matcher.ts reads and writes the index.
import { createHash } from 'node:crypto';
import { givenNameVariants } from '../../normalize/index.ts';
import { compileComparisons, comparePair } from './compare.ts';
import type { MatcherConfig } from './config.ts';
import { buildFeatures, type FeatureTable, type InputRecord } from './features.ts';
import type { MatchResult } from './matcher.ts';
import { groupKey, probabilityOf } from './model.ts';
import { soundex } from './strings.ts';

export interface SavedFieldModel {
  name: string;
  /** Weight (bits) per comparison level as the pair loop numbers them: [0] = a value missing (0), 1…k levels, k+1 else. */
  weights: number[];
  labels: string[];
  /** The level number of the field's `exact` level (1-based); 0 when it has none. */
  exactLevel: number;
  /** u of the exact level: the term-frequency adjustment replaces it by the value's own frequency. */
  uExact: number;
  termFrequency: boolean;
}

export interface SavedModel {
  version: 1;
  /** Hash of the matcher config the model was estimated with; a model of another config is not used. */
  configHash: string;
  fields: SavedFieldModel[];
  /** Prior probability that two records match. */
  prior: number;
  /** Records the model was estimated on. */
  records: number;
  estimatedAt: string;
  /** Correlated field groups: field indices and [pattern key, bits] adjustments (see model.ts groupAdjustments). */
  groups?: { name: string; fields: number[]; adjustments: [number, number][] }[];
}

/** sha256 of the config as parsed (defaults filled in), so formatting changes do not count. */
export function configHash(config: MatcherConfig): string {
  return createHash('sha256').update(JSON.stringify(config)).digest('hex').slice(0, 32);
}

/** What incremental scoring needs of a full run's model. */
export function savedModelOf(config: MatcherConfig, match: MatchResult, estimatedAt: Date): SavedModel {
  return {
    version: 1,
    configHash: configHash(config),
    fields: match.model.fields.map((f, i) => {
      const exact = config.fields[i]!.levels.findIndex((l) => l.type === 'exact');
      return {
        name: f.name,
        weights: [0, ...f.levels.map((l) => l.weight)],
        labels: ['null', ...f.levels.map((l) => l.label)],
        exactLevel: exact + 1,
        uExact: exact >= 0 ? f.levels[exact]!.u : 0,
        termFrequency: f.termFrequency,
      };
    }),
    prior: match.model.prior,
    records: match.table.size,
    estimatedAt: estimatedAt.toISOString(),
    groups: match.model.groups.map((g) => ({ name: g.name, fields: g.fields, adjustments: [...g.adjustments] })),
  };
}

/** Why a saved model cannot score records of this config; null when it can. */
export function modelMismatch(config: MatcherConfig, model: SavedModel): string | null {
  if (model.version !== 1) return `model version ${String(model.version)} is not supported`;
  if (model.configHash !== configHash(config)) return 'the matcher configuration changed since the model was estimated';
  if (model.fields.length !== config.fields.length) return 'the model has other fields than the configuration';
  for (let i = 0; i < config.fields.length; i++) {
    const f = config.fields[i]!;
    const m = model.fields[i]!;
    if (m.name !== f.name || m.weights.length !== f.levels.length + 2) return `field ${f.name} differs between the model and the configuration`;
  }
  return null;
}

export interface BlockingKey {
  /** The blocking rule's name. */
  rule: string;
  /** The rule's parts joined; records with equal keys share a block. */
  key: string;
}

/** Field values after normalization, as the comparisons and term frequencies see them; null when missing. */
export type NormalizedValues = Record<string, string | null>;

const SEPARATOR = '\u001f';

/**
 * A record's normalized values and its key under each blocking rule (a rule gives no key when
 * one of its parts is missing), computed as candidatePairs does in a full run.
 */
export function indexEntryOf(config: MatcherConfig, record: InputRecord): { values: NormalizedValues; keys: BlockingKey[] } {
  return indexEntryFromTable(config, buildFeatures(config, [record]), 0);
}

/**
 * indexEntryOf for row `row` of a feature table a full run built already (runMatcher's
 * `table`): a backfill indexes every record it matched without normalizing each one again.
 */
export function indexEntryFromTable(config: MatcherConfig, table: FeatureTable, row: number): { values: NormalizedValues; keys: BlockingKey[] } {
  const values: NormalizedValues = {};
  const byName = new Map<string, string | null>();
  config.fields.forEach((f, i) => {
    const v = table.fields[i]!.value[row]!;
    const s = v >= 0 ? table.strings[v]! : null;
    values[f.name] = s;
    byName.set(f.name, s);
  });
  const keys: BlockingKey[] = [];
  for (const rule of config.blocking.rules) {
    const parts: string[] = [];
    for (const k of rule.keys) {
      const v = byName.get(k.field) ?? null;
      if (v === null) break;
      let part: string | null;
      switch (k.transform) {
        case 'value':
          part = v;
          break;
        case 'soundex':
          part = soundex(v) || null;
          break;
        case 'nickname':
          part = givenNameVariants(v)[0] ?? null;
          break;
        case 'prefix':
          part = v.slice(0, k.length ?? 1);
          break;
        case 'suffix':
          part = v.slice(-(k.length ?? 1));
          break;
        case 'year':
          part = v.slice(0, 4);
          break;
      }
      if (part === null) break;
      parts.push(part);
    }
    if (parts.length === rule.keys.length) keys.push({ rule: rule.name, key: parts.join(SEPARATOR) });
  }
  return { values, keys };
}

/**
 * The most records one block may hold besides the new record: a full run skips a block that
 * makes more than maxBlockPairs pairs, so a key this common finds no candidates here either.
 */
export function maxBlockRecords(config: MatcherConfig): number {
  const limit = config.blocking.maxBlockPairs;
  // A block of s existing records plus the new one makes (s + 1) s / 2 pairs.
  return Math.max(1, Math.floor((Math.sqrt(1 + 8 * limit) - 1) / 2));
}

export interface ScoredCandidate {
  /** Index into the candidates given. */
  index: number;
  /** Match weight in bits (Σ level weights + term-frequency adjustments). */
  weight: number;
  probability: number;
  /** log2 posterior odds (weight + log2 prior odds). */
  logOdds: number;
  /** Comparison level per field (0 = a value is missing). */
  gamma: Uint8Array;
  explanation: { field: string; level: string; weight: number }[];
}

export interface TermFrequencies {
  /** How many indexed records hold this normalized value in this field. */
  count(field: string, value: string): number;
  /** How many records are indexed. */
  total: number;
}

/**
 * Scores `record` against each candidate with the saved model: the same comparison levels as a
 * full run, the saved level weights, and the term-frequency adjustment from the index's counts.
 */
export function scoreCandidates(config: MatcherConfig, model: SavedModel, record: InputRecord, candidates: readonly InputRecord[], tf: TermFrequencies): ScoredCandidate[] {
  const mismatch = modelMismatch(config, model);
  if (mismatch !== null) throw new Error(`cannot score with this model: ${mismatch}`);
  if (candidates.length === 0) return [];
  const table = buildFeatures(config, [record, ...candidates]);
  const fields = compileComparisons(config, table);
  const width = fields.length;
  const logPriorOdds = Math.log2(model.prior / (1 - model.prior));
  const total = Math.max(1, tf.total);
  const out: ScoredCandidate[] = [];
  const gamma = new Uint8Array(width);
  const groups = (model.groups ?? []).map((g) => ({ name: g.name, fields: g.fields, adjustments: new Map(g.adjustments) }));
  for (let j = 0; j < candidates.length; j++) {
    comparePair(table, fields, 0, j + 1, gamma, 0);
    let weight = 0;
    const explanation: ScoredCandidate['explanation'] = [];
    for (let f = 0; f < width; f++) {
      const fm = model.fields[f]!;
      const g = gamma[f]!;
      let w = fm.weights[g] ?? 0;
      if (fm.termFrequency && fm.exactLevel > 0 && g === fm.exactLevel) {
        const v = table.fields[f]!.value[0]!;
        const freq = Math.max(tf.count(fm.name, table.strings[v]!) / total, 1 / total);
        w += Math.log2(fm.uExact / freq);
      }
      weight += w;
      explanation.push({ field: fm.name, level: fm.labels[g] ?? 'unknown', weight: Math.round(w * 100) / 100 });
    }
    for (const grp of groups) {
      const adjust = grp.adjustments.get(groupKey(gamma, 0, grp.fields, fields)) ?? 0;
      if (adjust === 0) continue;
      weight += adjust;
      explanation.push({ field: `group:${grp.name}`, level: 'joint agreement', weight: Math.round(adjust * 100) / 100 });
    }
    out.push({ index: j, weight, probability: probabilityOf(weight, logPriorOdds), logOdds: weight + logPriorOdds, gamma: gamma.slice(), explanation });
  }
  return out;
}

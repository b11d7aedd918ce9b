// Blocking: which pairs get compared at all. Each rule gives every record a key (the rule's
// parts joined; no key when a part is missing); records sharing a key form a block, and the
// pairs inside blocks are candidates. Rules are unioned without a set of seen pairs: a pair a
// rule produces is dropped when an earlier rule already produced it (the two records share that
// rule's key), the same trick Splink uses. Cost is the sum of block pair counts; a block larger
// than maxBlockPairs is skipped and reported instead of going quadratic.
import type { BlockingRuleConfig, MatcherConfig } from './config.ts';
import type { FeatureTable } from './features.ts';
import { NICKNAME_SLOTS } from './features.ts';

export interface BlockingRuleStats {
  name: string;
  /** Records with a key under this rule. */
  keyed: number;
  /** New candidate pairs this rule added (pairs an earlier rule found are not counted again). */
  pairs: number;
  skippedBlocks: number;
  skippedPairs: number;
}

export interface CandidatePairs {
  a: Int32Array;
  b: Int32Array;
  count: number;
  rules: BlockingRuleStats[];
}

/** Each record's key id under a rule; -1 = no key (some part missing). */
export function ruleKeys(rule: BlockingRuleConfig, config: MatcherConfig, table: FeatureTable): Int32Array {
  const index = new Map(config.fields.map((f, i) => [f.name, i] as const));
  const keys = new Int32Array(table.size).fill(-1);
  const ids = new Map<string, number>();
  const parts: number[] = [];
  for (let r = 0; r < table.size; r++) {
    parts.length = 0;
    let missing = false;
    for (const k of rule.keys) {
      const f = table.fields[index.get(k.field)!]!;
      const v = f.value[r]!;
      let part = -1;
      if (v >= 0) {
        switch (k.transform) {
          case 'value':
            part = v;
            break;
          case 'soundex':
            part = f.soundex[r]!;
            break;
          case 'nickname':
            part = f.nickname[r * NICKNAME_SLOTS]!;
            break;
          case 'prefix':
          case 'suffix':
          case 'year': {
            const s = table.strings[v]!;
            const len = k.transform === 'year' ? 4 : k.length ?? 1;
            const piece = k.transform === 'suffix' ? s.slice(-len) : s.slice(0, len);
            // Pieces are numbered apart from interned ids: the key only has to be the same string.
            const pk = `${k.transform}\u0000${piece}`;
            let id = ids.get(pk);
            if (id === undefined) {
              id = ids.size;
              ids.set(pk, id);
            }
            part = -2 - id;
            break;
          }
        }
      }
      if (part === -1) {
        missing = true;
        break;
      }
      parts.push(part);
    }
    if (missing) continue;
    const key = parts.length === 1 ? `k${parts[0]!}` : parts.join(',');
    let id = ids.get(key);
    if (id === undefined) {
      id = ids.size;
      ids.set(key, id);
    }
    keys[r] = id;
  }
  return keys;
}

class PairBuffer {
  a = new Int32Array(1 << 16);
  b = new Int32Array(1 << 16);
  count = 0;
  push(x: number, y: number): void {
    if (this.count === this.a.length) {
      const a = new Int32Array(this.a.length * 2);
      const b = new Int32Array(this.b.length * 2);
      a.set(this.a);
      b.set(this.b);
      this.a = a;
      this.b = b;
    }
    this.a[this.count] = x;
    this.b[this.count] = y;
    this.count++;
  }
}

/**
 * Candidate pairs under the union of the config's rules. `split` is the first record of the
 * second file for a link job (pairs then join one record of each file, smaller index first);
 * `null` for a dedupe job (every pair within a block, smaller index first).
 */
export function candidatePairs(config: MatcherConfig, table: FeatureTable, split: number | null): CandidatePairs {
  const allKeys = config.blocking.rules.map((r) => ruleKeys(r, config, table));
  const out = new PairBuffer();
  const rules: BlockingRuleStats[] = [];
  const n = table.size;
  allKeys.forEach((keys, ri) => {
    const rule = config.blocking.rules[ri]!;
    const stats: BlockingRuleStats = { name: rule.name, keyed: 0, pairs: 0, skippedBlocks: 0, skippedPairs: 0 };
    rules.push(stats);
    // Counting sort of records by key: block k is order[start[k] … start[k+1]).
    let keyCount = 0;
    for (let r = 0; r < n; r++) if (keys[r]! >= keyCount) keyCount = keys[r]! + 1;
    const start = new Int32Array(keyCount + 1);
    const left = new Int32Array(keyCount);
    for (let r = 0; r < n; r++) {
      const k = keys[r]!;
      if (k < 0) continue;
      stats.keyed++;
      start[k + 1]!++;
      if (split !== null && r < split) left[k]!++;
    }
    for (let k = 0; k < keyCount; k++) start[k + 1]! += start[k]!;
    const fill = start.slice(0, keyCount);
    const order = new Int32Array(start[keyCount]!);
    // Records go in index order, so each block lists the first file's records first.
    for (let r = 0; r < n; r++) {
      const k = keys[r]!;
      if (k >= 0) order[fill[k]!++] = r;
    }
    const earlier = allKeys.slice(0, ri);
    const seenBefore = (x: number, y: number): boolean => {
      for (const e of earlier) {
        const kx = e[x]!;
        if (kx >= 0 && kx === e[y]) return true;
      }
      return false;
    };
    for (let k = 0; k < keyCount; k++) {
      const s = start[k]!;
      const e = start[k + 1]!;
      const size = e - s;
      if (size < 2) continue;
      if (split === null) {
        const blockPairs = (size * (size - 1)) / 2;
        if (blockPairs > config.blocking.maxBlockPairs) {
          stats.skippedBlocks++;
          stats.skippedPairs += blockPairs;
          continue;
        }
        for (let i = s; i < e; i++) {
          const x = order[i]!;
          for (let j = i + 1; j < e; j++) {
            const y = order[j]!;
            if (seenBefore(x, y)) continue;
            out.push(x, y);
            stats.pairs++;
          }
        }
      } else {
        const nl = left[k]!;
        const blockPairs = nl * (size - nl);
        if (blockPairs === 0) continue;
        if (blockPairs > config.blocking.maxBlockPairs) {
          stats.skippedBlocks++;
          stats.skippedPairs += blockPairs;
          continue;
        }
        for (let i = s; i < s + nl; i++) {
          const x = order[i]!;
          for (let j = s + nl; j < e; j++) {
            const y = order[j]!;
            if (seenBefore(x, y)) continue;
            out.push(x, y);
            stats.pairs++;
          }
        }
      }
    }
  });
  return { a: out.a.subarray(0, out.count), b: out.b.subarray(0, out.count), count: out.count, rules };
}

// Comparison levels, compiled from the config into typed arrays and evaluated per pair without
// allocating. A pair's comparison vector ("gamma") holds one level per field: 0 = a value is
// missing, 1…k = the first configured level whose test passes, k+1 = none passed ("else").
import type { FeatureTable, FieldFeatures } from './features.ts';
import { NICKNAME_SLOTS, NO_DAY } from './features.ts';
import type { LevelConfig, MatcherConfig } from './config.ts';
import { commonCharacters, editDistance, jaroWinkler, jaroWinklerBound } from './strings.ts';

const EXACT = 0;
const NICKNAME = 1;
const JARO_WINKLER = 2;
const LEVENSHTEIN = 3;
const SOUNDEX = 4;
const TOKEN_SET = 5;
const SWAPPED = 6;
const DATE_TRANSPOSED = 7;
const DATE_WITHIN = 8;
const NUMERIC_WITHIN = 9;
const PREFIX = 10;
const EMAIL_DOMAIN = 11;

export interface CompiledField {
  features: FieldFeatures;
  /** Level test kinds, in order. */
  kinds: Uint8Array;
  /** The level's threshold (min similarity, max distance, days, length). */
  params: Float64Array;
  /** For `swapped`: the other field's index; for `levenshtein`: 1 with transpositions. */
  extra: Int32Array;
  /** Configured levels + 2 (null and else). */
  radix: number;
  /** The largest `max` of its levenshtein levels: the one distance computed serves them all. */
  maxDistance: number;
  /** The lowest `min` of its jaroWinkler levels: below it no JW level can pass. */
  minJaroWinkler: number;
  transpositions: boolean;
  labels: readonly string[];
}

export function levelLabel(l: LevelConfig): string {
  switch (l.type) {
    case 'jaroWinkler':
      return `jaro-winkler ≥ ${l.min}`;
    case 'levenshtein':
      return `${l.transpositions ? 'damerau-levenshtein' : 'levenshtein'} ≤ ${l.max}`;
    case 'tokenSet':
      return `token set ≥ ${l.min}`;
    case 'swapped':
      return `swapped with ${l.with}`;
    case 'dateWithin':
      return `within ${l.days} days`;
    case 'numericWithin':
      return `within ${l.abs}`;
    case 'prefix':
      return `first ${l.length} agree`;
    case 'emailDomain':
      return 'same e-mail domain';
    case 'dateTransposed':
      return 'day/month transposed';
    default:
      return l.type;
  }
}

export function compileComparisons(config: MatcherConfig, table: FeatureTable): CompiledField[] {
  const index = new Map(config.fields.map((f, i) => [f.name, i] as const));
  return config.fields.map((field, fi) => {
    const k = field.levels.length;
    const kinds = new Uint8Array(k);
    const params = new Float64Array(k);
    const extra = new Int32Array(k);
    let maxDistance = 0;
    let minJaroWinkler = 1;
    let transpositions = false;
    field.levels.forEach((l, i) => {
      switch (l.type) {
        case 'exact':
          kinds[i] = EXACT;
          break;
        case 'nickname':
          kinds[i] = NICKNAME;
          break;
        case 'jaroWinkler':
          kinds[i] = JARO_WINKLER;
          params[i] = l.min;
          minJaroWinkler = Math.min(minJaroWinkler, l.min);
          break;
        case 'levenshtein':
          kinds[i] = LEVENSHTEIN;
          params[i] = l.max;
          maxDistance = Math.max(maxDistance, l.max);
          transpositions ||= l.transpositions;
          break;
        case 'soundex':
          kinds[i] = SOUNDEX;
          break;
        case 'tokenSet':
          kinds[i] = TOKEN_SET;
          params[i] = l.min;
          break;
        case 'swapped':
          kinds[i] = SWAPPED;
          extra[i] = index.get(l.with)!;
          break;
        case 'dateTransposed':
          kinds[i] = DATE_TRANSPOSED;
          break;
        case 'dateWithin':
          kinds[i] = DATE_WITHIN;
          params[i] = l.days;
          break;
        case 'numericWithin':
          kinds[i] = NUMERIC_WITHIN;
          params[i] = l.abs;
          break;
        case 'prefix':
          kinds[i] = PREFIX;
          params[i] = l.length;
          break;
        case 'emailDomain':
          kinds[i] = EMAIL_DOMAIN;
          break;
      }
    });
    return {
      features: table.fields[fi]!,
      kinds,
      params,
      extra,
      radix: k + 2,
      maxDistance,
      minJaroWinkler,
      transpositions,
      labels: ['null', ...field.levels.map(levelLabel), 'else'],
    };
  });
}

function jaccard(x: Int32Array | undefined, y: Int32Array | undefined): number {
  if (x === undefined || y === undefined) return 0;
  let i = 0;
  let j = 0;
  let shared = 0;
  while (i < x.length && j < y.length) {
    const a = x[i]!;
    const b = y[j]!;
    if (a === b) {
      shared++;
      i++;
      j++;
    } else if (a < b) i++;
    else j++;
  }
  return shared / (x.length + y.length - shared);
}

function shareNickname(nick: Int32Array, a: number, b: number): boolean {
  const oa = a * NICKNAME_SLOTS;
  const ob = b * NICKNAME_SLOTS;
  for (let i = 0; i < NICKNAME_SLOTS; i++) {
    const x = nick[oa + i]!;
    if (x < 0) break;
    for (let j = 0; j < NICKNAME_SLOTS; j++) {
      const y = nick[ob + j]!;
      if (y < 0) break;
      if (x === y) return true;
    }
  }
  return false;
}

/** The level of one field for records a and b. */
export function fieldLevel(table: FeatureTable, fields: readonly CompiledField[], cf: CompiledField, a: number, b: number): number {
  const f = cf.features;
  const va = f.value[a]!;
  const vb = f.value[b]!;
  if (va < 0 || vb < 0) return 0;
  const kinds = cf.kinds;
  let jw = -1;
  let dist = -1;
  // Shared characters, counted once: it rules out most dissimilar pairs before the O(n·m) comparators run.
  let common = -2;
  for (let i = 0; i < kinds.length; i++) {
    let pass = false;
    switch (kinds[i]) {
      case EXACT:
        pass = va === vb;
        break;
      case NICKNAME:
        pass = shareNickname(f.nickname, a, b);
        break;
      case JARO_WINKLER:
        if (jw < 0) {
          if (va === vb) jw = 1;
          else {
            const sa = table.strings[va]!;
            const sb = table.strings[vb]!;
            if (common === -2) common = commonCharacters(sa, sb);
            jw = jaroWinklerBound(sa, sb, common) < cf.minJaroWinkler ? 0 : jaroWinkler(sa, sb);
          }
        }
        pass = jw >= cf.params[i]!;
        break;
      case LEVENSHTEIN:
        if (dist < 0) {
          if (va === vb) dist = 0;
          else {
            const sa = table.strings[va]!;
            const sb = table.strings[vb]!;
            if (common === -2) common = commonCharacters(sa, sb);
            // Every character of the longer string not shared needs an edit.
            dist = common >= 0 && Math.max(sa.length, sb.length) - common > cf.maxDistance ? cf.maxDistance + 1 : editDistance(sa, sb, cf.maxDistance, cf.transpositions);
          }
        }
        pass = dist <= cf.params[i]!;
        break;
      case SOUNDEX: {
        const s = f.soundex[a]!;
        pass = s >= 0 && s === f.soundex[b];
        break;
      }
      case TOKEN_SET:
        pass = jaccard(table.tokens[va], table.tokens[vb]) >= cf.params[i]!;
        break;
      case EMAIL_DOMAIN:
        pass = jaccard(table.domains[va], table.domains[vb]) > 0;
        break;
      case SWAPPED: {
        const other = fields[cf.extra[i]!]!.features.value;
        const oa = other[a]!;
        const ob = other[b]!;
        pass = va !== vb && oa >= 0 && ob >= 0 && va === ob && vb === oa;
        break;
      }
      case DATE_TRANSPOSED: {
        const x = f.ymd[a]!;
        const y = f.ymd[b]!;
        if (x !== 0 && y !== 0 && x !== y && Math.floor(x / 10000) === Math.floor(y / 10000)) {
          pass = Math.floor(x / 100) % 100 === y % 100 && x % 100 === Math.floor(y / 100) % 100;
        }
        break;
      }
      case DATE_WITHIN: {
        const x = f.day[a]!;
        const y = f.day[b]!;
        pass = x !== NO_DAY && y !== NO_DAY && Math.abs(x - y) <= cf.params[i]!;
        break;
      }
      case NUMERIC_WITHIN:
        pass = Math.abs(f.num[a]! - f.num[b]!) <= cf.params[i]!;
        break;
      case PREFIX: {
        const len = cf.params[i]!;
        const sa = table.strings[va]!;
        const sb = table.strings[vb]!;
        if (sa.length >= len && sb.length >= len) {
          pass = true;
          for (let c = 0; c < len; c++) {
            if (sa.charCodeAt(c) !== sb.charCodeAt(c)) {
              pass = false;
              break;
            }
          }
        }
        break;
      }
    }
    if (pass) return i + 1;
  }
  return kinds.length + 1;
}

/** Write the comparison vector of (a, b) into `out` at `offset` (one byte per field). */
export function comparePair(table: FeatureTable, fields: readonly CompiledField[], a: number, b: number, out: Uint8Array, offset: number): void {
  for (let f = 0; f < fields.length; f++) out[offset + f] = fieldLevel(table, fields, fields[f]!, a, b);
}

// Records → precomputed comparison features. Everything a comparison level or a blocking key
// needs is computed once per record (normalized value, Soundex code, nickname families, date
// parts, term frequency) and stored in typed arrays indexed by record, with strings interned to
// integer ids, so the pair loop compares integers and only runs string distances on the strings
// it must.
import {
  cleanText, companyMatchKey, countryCode, digitsOnly, emailDomain, emailMatchKey, givenNameVariants, normalizeAddress, normalizeDomain, normalizePhone, parseCalendarDate,
  personNameKey, textMatchKey,
} from '../../normalize/index.ts';
import type { FieldConfig, MatcherConfig, NormalizerName } from './config.ts';
import { soundex } from './strings.ts';

/** A record as read from a source: its id and its raw column values. */
export interface InputRecord {
  id: string;
  values: Readonly<Record<string, string | null | undefined>>;
}

/** Nickname families kept per record; a name in more families keeps the first ones (sorted). */
export const NICKNAME_SLOTS = 3;
/** `day` for a date that is not on the calendar (a typo like 19450231): compared as text only. */
export const NO_DAY = -2147483648;

export interface FieldFeatures {
  config: FieldConfig;
  /** Interned normalized value per record; -1 when missing. */
  value: Int32Array;
  /** Interned Soundex code of the value per record; -1 when it has none. */
  soundex: Int32Array;
  /** NICKNAME_SLOTS interned formal-name ids per record, -1 padded (`nickname` fields only). */
  nickname: Int32Array;
  /** Days since 1970-01-01 (date fields), NO_DAY when the value is not a calendar date. */
  day: Int32Array;
  /** year*10000 + month*100 + day (date fields), 0 when not a calendar date. */
  ymd: Int32Array;
  /** The value as a number (numericWithin), NaN when it is not one. */
  num: Float64Array;
  /** Share of all records holding this record's value (term frequency); 0 when missing. */
  tf: Float64Array;
}

export interface FeatureTable {
  /** Records, in input order; for a link job, the first file's then the second's. */
  ids: readonly string[];
  size: number;
  fields: readonly FieldFeatures[];
  /** Interned strings: every feature id indexes this. */
  strings: readonly string[];
  /** Word ids of each interned string, sorted (built for tokenSet fields only). */
  tokens: readonly (Int32Array | undefined)[];
  /** Company e-mail domain ids of each interned string, sorted (built for emailDomain fields only; free-mail domains left out). */
  domains: readonly (Int32Array | undefined)[];
}

/** Normalize one raw value as a field says. */
export function normalizeValue(field: FieldConfig, raw: string | null): string | null {
  const n: NormalizerName = field.normalize;
  switch (n) {
    case 'text':
      return textMatchKey(raw);
    case 'personName':
    case 'givenName':
      return personNameKey(raw);
    case 'digits':
      return digitsOnly(raw);
    case 'date': {
      const d = parseCalendarDate(raw, field.dateOrder);
      if (d !== null) return `${String(d.year).padStart(4, '0')}${String(d.month).padStart(2, '0')}${String(d.day).padStart(2, '0')}`;
      // A mistyped date ("19450231") still says a lot when compared as text.
      const digits = digitsOnly(raw);
      return digits !== null && digits.length === 8 ? digits : null;
    }
    case 'postcode': {
      // A US ZIP+4 ("94103-1234") names a delivery route inside the ZIP: the ZIP is the postcode.
      const zip4 = typeof raw === 'string' ? /^\s*(\d{5})[-\s]\d{4}\s*$/.exec(raw) : null;
      if (zip4 !== null) return zip4[1]!;
      const k = textMatchKey(raw);
      return k === null ? null : k.replace(/ /g, '');
    }
    case 'email':
      return emailMatchKey(raw);
    case 'phone':
      return normalizePhone(raw, field.phoneRegion);
    case 'phoneExtension': {
      const number = normalizePhone(raw, field.phoneRegion);
      const ext = number === null || raw === null ? null : EXTENSION.exec(raw);
      return ext === null || ext === undefined ? number : `${number} x${ext[1]!}`;
    }
    case 'companyName':
      return companyMatchKey(raw);
    case 'domain':
      return normalizeDomain(raw);
    case 'companyDomain': {
      // Columns joined by spaces (a website, then e-mails): the first web domain, else the first
      // work (not free-mail) e-mail domain.
      const tokens = (cleanText(raw) ?? '').split(' ');
      for (const t of tokens) if (!t.includes('@')) {
        const d = normalizeDomain(t);
        if (d !== null) return d;
      }
      for (const t of tokens) if (t.includes('@')) {
        const d = emailDomain(t);
        if (d !== null) return d;
      }
      return null;
    }
    case 'street':
      // One street line in canonical words ("6035 Lincoln Pkwy." → "6035 lincoln parkway").
      return textMatchKey(normalizeAddress({ line1: raw })?.line1 ?? null);
    case 'country':
      // "US", "USA", "United States" → "US"; a value not known as a country is compared as text.
      return countryCode(raw) ?? textMatchKey(raw);
    case 'raw':
      return cleanText(raw);
  }
}

class Interner {
  readonly strings: string[] = [];
  private readonly ids = new Map<string, number>();
  id(s: string): number {
    let id = this.ids.get(s);
    if (id === undefined) {
      id = this.strings.length;
      this.strings.push(s);
      this.ids.set(s, id);
    }
    return id;
  }
}

function rawValue(record: InputRecord, columns: readonly string[]): string | null {
  if (columns.length === 1) return record.values[columns[0]!] ?? null;
  const parts: string[] = [];
  for (const c of columns) {
    const v = record.values[c];
    if (v !== null && v !== undefined && v.trim() !== '') parts.push(v);
  }
  return parts.length === 0 ? null : parts.join(' ');
}

const DAY_MS = 86_400_000;

/** A phone extension at the end of the text: "x204", "ext. 204", "ext 204", "extension 204", "#204". */
const EXTENSION = /(?:\bext(?:ension)?\.?|\bx|#)\s*(\d{1,6})\s*$/i;

/** Build the feature table for records (one file for dedupe, both files concatenated for a link). */
export function buildFeatures(config: MatcherConfig, records: readonly InputRecord[]): FeatureTable {
  const n = records.length;
  const interner = new Interner();
  const needTokens = new Set<number>();
  const needDomains = new Set<number>();
  const fields: FieldFeatures[] = config.fields.map((field) => {
    const levels = new Set(field.levels.map((l) => l.type));
    const blockTransforms = new Set(config.blocking.rules.flatMap((r) => r.keys.filter((k) => k.field === field.name).map((k) => k.transform)));
    const wantSoundex = levels.has('soundex') || blockTransforms.has('soundex');
    const wantNickname = levels.has('nickname') || blockTransforms.has('nickname');
    const isDate = field.normalize === 'date';
    const f: FieldFeatures = {
      config: field,
      value: new Int32Array(n).fill(-1),
      soundex: new Int32Array(wantSoundex ? n : 0).fill(-1),
      nickname: new Int32Array(wantNickname ? n * NICKNAME_SLOTS : 0).fill(-1),
      day: new Int32Array(isDate ? n : 0).fill(NO_DAY),
      ymd: new Int32Array(isDate ? n : 0),
      num: new Float64Array(levels.has('numericWithin') ? n : 0).fill(Number.NaN),
      tf: new Float64Array(n),
    };
    // Records per interned id, grown as ids appear (a Map here costs seconds at a million records).
    let counts = new Int32Array(1024);
    for (let r = 0; r < n; r++) {
      const raw = rawValue(records[r]!, field.columns);
      const v = normalizeValue(field, raw);
      if (v === null) continue;
      const id = interner.id(v);
      f.value[r] = id;
      if (id >= counts.length) {
        const grown = new Int32Array(Math.max(id + 1, counts.length * 2));
        grown.set(counts);
        counts = grown;
      }
      counts[id]!++;
      if (levels.has('tokenSet')) needTokens.add(id);
      if (levels.has('emailDomain')) needDomains.add(id);
      if (wantSoundex) {
        const code = soundex(v);
        if (code !== '') f.soundex[r] = interner.id(`\u0000sx:${code}`);
      }
      if (wantNickname) {
        const formal = givenNameVariants(v);
        for (let k = 0; k < Math.min(NICKNAME_SLOTS, formal.length); k++) f.nickname[r * NICKNAME_SLOTS + k] = interner.id(`\u0000nk:${formal[k]!}`);
      }
      if (isDate) {
        const d = parseCalendarDate(v, 'YMD');
        if (d !== null) {
          f.day[r] = Math.round(Date.UTC(d.year, d.month - 1, d.day) / DAY_MS);
          f.ymd[r] = d.year * 10000 + d.month * 100 + d.day;
        }
      }
      if (f.num.length > 0) f.num[r] = Number(v);
    }
    for (let r = 0; r < n; r++) {
      const id = f.value[r]!;
      if (id >= 0) f.tf[r] = counts[id]! / n;
    }
    return f;
  });
  const tokens: (Int32Array | undefined)[] = [];
  for (const id of needTokens) {
    const words = [...new Set(interner.strings[id]!.split(' '))].map((w) => interner.id(`\u0000tk:${w}`));
    tokens[id] = Int32Array.from(words).sort();
  }
  const domains: (Int32Array | undefined)[] = [];
  for (const id of needDomains) {
    const found = new Set<number>();
    for (const address of interner.strings[id]!.split(' ')) {
      const d = emailDomain(address);
      if (d !== null) found.add(interner.id(`\u0000dm:${d}`));
    }
    domains[id] = Int32Array.from(found).sort();
  }
  return { ids: records.map((r) => r.id), size: n, fields, strings: interner.strings, tokens, domains };
}

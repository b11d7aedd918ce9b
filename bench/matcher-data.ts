// Synthetic Febrl-shaped person records for the matcher benchmark: seeded, so the same (n, seed)
// gives the same file on any machine. Originals draw names, streets and suburbs from Zipf–Mandelbrot
// distributions over large vocabularies (real names at the top ranks, made-up ones in the long
// tail), so blocks have realistic sizes: a few large ("smith"), most tiny. A share of originals get
// 1–3 duplicates corrupted the way Febrl corrupts them (typos, missing values, swapped names,
// nicknames, day/month transpositions, a move). Ids are `rec-N-org` / `rec-N-dup-K`: the truth is
// in the ids (config truth.idPattern `^rec-(\d+)-`).
import type { InputRecord } from '../src/identity/matcher/features.ts';
import { createRng, type Rng } from '../src/sandbox/kit/rng.ts';
import { FIRST_NAME_FAMILIES, LAST_NAMES, PLAIN_FIRST_NAMES, STREET_NAMES } from '../src/sandbox/world/names.ts';

export const FEBRL_COLUMNS = [
  'rec_id', 'given_name', 'surname', 'street_number', 'address_1', 'address_2', 'suburb', 'postcode', 'state', 'date_of_birth', 'soc_sec_id',
] as const;
type Column = Exclude<(typeof FEBRL_COLUMNS)[number], 'rec_id'>;
type Person = Record<Column, string | null>;

export interface GenerateOptions {
  /** Records in all (originals and duplicates). */
  records: number;
  seed?: number;
  /** Share of originals that get duplicates. Default 0.15. */
  duplicatedShare?: number;
  /** Shuffle the output (Febrl files are). Default true. */
  shuffle?: boolean;
  /**
   * Suburb, postcode and state of one real place (true), or drawn independently as Febrl's
   * generator does ("kellerberrin, 4510, vic"; false, the default). Correlated places break the
   * Fellegi–Sunter independence assumption: the three agree together and count three times.
   */
  correlatedPlaces?: boolean;
}

export interface Generated {
  records: InputRecord[];
  originals: number;
  duplicates: number;
  /** Pairs of records of one person (the true matches). */
  truePairs: number;
}

// ---- vocabularies ---------------------------------------------------------------------------

const ONSETS = ['b', 'br', 'c', 'ch', 'd', 'dr', 'f', 'g', 'gr', 'h', 'j', 'k', 'l', 'm', 'n', 'p', 'r', 's', 'sh', 'st', 't', 'tr', 'v', 'w', 'y', 'z', ''];
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'ai', 'ea', 'ie', 'ou', 'y'];
const CODAS = ['', '', 'n', 'r', 'l', 's', 'th', 'nd', 'rt', 'ck', 'm', 'x', 'ng'];
const ENDINGS = ['', 'son', 'ley', 'ton', 'er', 'man', 'ford', 'well', 'ini', 'ov', 'ez', 'ski', 'berg', 'ham', 'by', 'ett'];
const GIVEN_ENDINGS = ['', 'a', 'ie', 'ah', 'on', 'el', 'yn', 'o', 'ette', 'an', 'is'];
const STREET_TYPES = ['street', 'road', 'avenue', 'crescent', 'place', 'court', 'circuit', 'drive', 'close', 'parade', 'lane', 'terrace'];

/** `count` distinct lowercase words: the given heads first, then made-up ones. */
function vocabulary(rng: Rng, heads: readonly string[], count: number, endings: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const h of heads) {
    const w = h.toLowerCase();
    if (!seen.has(w)) {
      seen.add(w);
      out.push(w);
    }
  }
  while (out.length < count) {
    const syllables = rng.chance(0.35) ? 1 : rng.chance(0.92) ? 2 : 3;
    let w = '';
    for (let s = 0; s < syllables; s++) w += rng.pick(ONSETS) + rng.pick(VOWELS) + rng.pick(CODAS);
    w += rng.pick(endings);
    if (w.length < 3 || seen.has(w)) continue;
    seen.add(w);
    out.push(w);
  }
  return out;
}

/** Sampler of ranks 0…n-1 with P(r) ∝ 1/(r+1+q)^s. */
function zipf(n: number, q: number, s: number): (rng: Rng) => number {
  const cum = new Float64Array(n);
  let total = 0;
  for (let r = 0; r < n; r++) {
    total += 1 / (r + 1 + q) ** s;
    cum[r] = total;
  }
  return (rng) => {
    const x = rng.next() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cum[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

interface Place {
  suburb: string;
  postcode: string;
  state: string;
}

const STATES = ['nsw', 'vic', 'qld', 'sa', 'wa', 'tas'];

interface World {
  given: string[];
  givenRank: (rng: Rng) => number;
  surnames: string[];
  surnameRank: (rng: Rng) => number;
  streets: string[];
  streetRank: (rng: Rng) => number;
  places: Place[];
  placeRank: (rng: Rng) => number;
  buildings: string[];
  /** Lowercased name → the other names of its family. */
  family: Map<string, readonly string[]>;
}

function buildWorld(rng: Rng, records: number): World {
  // Vocabulary sizes grow with the file, as they would with a larger population.
  const scale = Math.max(1, Math.sqrt(records / 100_000));
  const realGiven = [...FIRST_NAME_FAMILIES.flat(), ...PLAIN_FIRST_NAMES];
  const given = vocabulary(rng, realGiven, Math.round(4000 * scale), GIVEN_ENDINGS);
  const surnames = vocabulary(rng, LAST_NAMES, Math.round(30_000 * scale), ENDINGS);
  const stems = vocabulary(rng, STREET_NAMES, Math.round(3000 * scale), ENDINGS);
  const streets: string[] = [];
  for (const s of stems) streets.push(`${s} ${rng.pick(STREET_TYPES)}`);
  const suburbs = vocabulary(rng, [], Math.round(3000 * scale), ['', 'vale', 'field', 'ton', ' heights', ' park', 'wood', ' hill', ' beach', ' upper']);
  const places = suburbs.map((suburb) => {
    const st = rng.int(0, STATES.length - 1);
    return { suburb, postcode: String((st + 2) * 1000 + rng.int(0, 999)), state: STATES[st]! };
  });
  const buildings = vocabulary(rng, [], 5000, ['', ' house', ' villa', ' court', ' lodge', ' park']);
  const family = new Map<string, readonly string[]>();
  for (const f of FIRST_NAME_FAMILIES) {
    const lower = f.map((x) => x.toLowerCase());
    for (const name of lower) family.set(name, lower.filter((x) => x !== name));
  }
  return {
    given,
    givenRank: zipf(given.length, 3, 1),
    surnames,
    surnameRank: zipf(surnames.length, 10, 1),
    streets,
    streetRank: zipf(streets.length, 30, 0.9),
    places,
    placeRank: zipf(places.length, 20, 0.9),
    buildings,
    family,
  };
}

// ---- originals ------------------------------------------------------------------------------

const pad2 = (x: number): string => (x < 10 ? `0${x}` : String(x));
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Social security number of person i: a bijection of i onto 7 digits, so no two people share one. */
function socSec(i: number): string {
  return String(1_000_000 + ((i * 6_700_417 + 1_234_567) % 9_000_000));
}

/** Suburb, postcode and state: one place, or (Febrl) three independent draws. */
function pickPlace(rng: Rng, w: World, correlated: boolean): Place {
  const place = w.places[w.placeRank(rng)]!;
  if (correlated) return place;
  return { suburb: place.suburb, postcode: w.places[w.placeRank(rng)]!.postcode, state: STATES[rng.int(0, STATES.length - 1)]! };
}

function original(rng: Rng, w: World, i: number, correlated: boolean): Person {
  const place = pickPlace(rng, w, correlated);
  const year = rng.int(1915, 2008);
  const month = rng.int(1, 12);
  const day = rng.int(1, DAYS_IN_MONTH[month - 1]!);
  const streetNumber = Math.floor(Math.exp(rng.next() * Math.log(400)));
  const maybe = (p: number, v: string): string | null => (rng.chance(p) ? null : v);
  return {
    given_name: maybe(0.02, w.given[w.givenRank(rng)]!),
    surname: maybe(0.01, w.surnames[w.surnameRank(rng)]!),
    street_number: maybe(0.03, String(streetNumber)),
    address_1: maybe(0.02, w.streets[w.streetRank(rng)]!),
    address_2: maybe(0.5, rng.pick(w.buildings)),
    suburb: maybe(0.01, place.suburb),
    postcode: maybe(0.01, place.postcode),
    state: maybe(0.01, place.state),
    date_of_birth: maybe(0.02, `${year}${pad2(month)}${pad2(day)}`),
    soc_sec_id: maybe(0.01, socSec(i)),
  };
}

// ---- corruption -----------------------------------------------------------------------------

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';

/** One edit: insert, delete, substitute or swap two neighbours (Febrl's typo kinds). */
function typo(rng: Rng, s: string, alphabet: string): string {
  if (s.length === 0) return s;
  const i = rng.int(0, s.length - 1);
  switch (rng.int(0, 3)) {
    case 0:
      return s.slice(0, i) + alphabet[rng.int(0, alphabet.length - 1)]! + s.slice(i);
    case 1:
      return s.length > 1 ? s.slice(0, i) + s.slice(i + 1) : s;
    case 2:
      return s.slice(0, i) + alphabet[rng.int(0, alphabet.length - 1)]! + s.slice(i + 1);
    default:
      if (s.length < 2) return s;
      return i + 1 < s.length ? s.slice(0, i) + s[i + 1]! + s[i]! + s.slice(i + 2) : s.slice(0, i - 1) + s[i]! + s[i - 1]!;
  }
}

type Corruption = (rng: Rng, p: Person, w: World, correlated: boolean) => void;

const typoIn = (c: Column, alphabet = LETTERS): Corruption => (rng, p) => {
  const v = p[c];
  if (v !== null) p[c] = typo(rng, v, alphabet);
};
const missing = (c: Column): Corruption => (_rng, p) => {
  p[c] = null;
};

/** Weighted corruption kinds; a duplicate gets 1–3 of them. */
const CORRUPTIONS: readonly (readonly [weight: number, Corruption])[] = [
  [18, typoIn('given_name')],
  [18, typoIn('surname')],
  [8, (rng, p, w): void => {
    // A nickname (or the formal name) of the same family; a typo when the name has none.
    const g = p.given_name;
    const others = g === null ? undefined : w.family.get(g);
    if (others !== undefined && others.length > 0) p.given_name = rng.pick(others);
    else if (g !== null) p.given_name = typo(rng, g, LETTERS);
  }],
  [4, (_rng, p): void => {
    [p.given_name, p.surname] = [p.surname, p.given_name];
  }],
  [3, missing('given_name')],
  [2, missing('surname')],
  [6, (rng, p): void => {
    const d = p.date_of_birth;
    if (d === null) return;
    const m = d.slice(4, 6);
    const day = d.slice(6, 8);
    if (m !== day && Number(day) <= 12) p.date_of_birth = d.slice(0, 4) + day + m;
    else p.date_of_birth = typo(rng, d, DIGITS);
  }],
  [8, (rng, p): void => {
    // A wrong digit (not an insertion: a date keeps its length).
    const d = p.date_of_birth;
    if (d === null) return;
    const i = rng.int(0, d.length - 1);
    p.date_of_birth = d.slice(0, i) + DIGITS[rng.int(0, 9)]! + d.slice(i + 1);
  }],
  [3, missing('date_of_birth')],
  [10, typoIn('soc_sec_id', DIGITS)],
  [4, missing('soc_sec_id')],
  [6, typoIn('postcode', DIGITS)],
  [6, typoIn('suburb')],
  [8, typoIn('address_1')],
  [5, typoIn('street_number', DIGITS)],
  [4, typoIn('address_2')],
  [3, missing('address_2')],
  [2, missing('state')],
  [3, (rng, p, w, correlated): void => {
    // Moved house: a whole new address.
    const place = pickPlace(rng, w, correlated);
    p.street_number = String(Math.floor(Math.exp(rng.next() * Math.log(400))));
    p.address_1 = w.streets[w.streetRank(rng)]!;
    p.address_2 = rng.chance(0.5) ? null : rng.pick(w.buildings);
    p.suburb = place.suburb;
    p.postcode = place.postcode;
    p.state = place.state;
  }],
];
const CORRUPTION_TOTAL = CORRUPTIONS.reduce((s, [wt]) => s + wt, 0);

function corrupt(rng: Rng, p: Person, w: World, correlated: boolean): void {
  const edits = rng.chance(0.5) ? 1 : rng.chance(0.6) ? 2 : 3;
  for (let e = 0; e < edits; e++) {
    let x = rng.next() * CORRUPTION_TOTAL;
    for (const [wt, c] of CORRUPTIONS) {
      x -= wt;
      if (x < 0) {
        c(rng, p, w, correlated);
        break;
      }
    }
  }
}

// ---- the file -------------------------------------------------------------------------------

function toRecord(id: string, p: Person): InputRecord {
  // A literal with a fixed key order: one hidden class for every record (a spread can leave
  // dictionary-mode objects, slow to read a million times per field).
  return {
    id,
    values: {
      rec_id: id, given_name: p.given_name, surname: p.surname, street_number: p.street_number, address_1: p.address_1, address_2: p.address_2,
      suburb: p.suburb, postcode: p.postcode, state: p.state, date_of_birth: p.date_of_birth, soc_sec_id: p.soc_sec_id,
    },
  };
}

export function generateRecords(options: GenerateOptions): Generated {
  const n = options.records;
  const rng = createRng(options.seed ?? 42);
  const share = options.duplicatedShare ?? 0.15;
  const correlated = options.correlatedPlaces ?? false;
  const world = buildWorld(rng, n);
  const records: InputRecord[] = [];
  let originals = 0;
  let duplicates = 0;
  let truePairs = 0;
  while (records.length < n) {
    const i = originals++;
    const person = original(rng, world, i, correlated);
    records.push(toRecord(`rec-${i}-org`, person));
    let copies = rng.chance(share) ? (rng.chance(0.6) ? 1 : rng.chance(0.75) ? 2 : 3) : 0;
    copies = Math.min(copies, n - records.length);
    for (let k = 0; k < copies; k++) {
      const dup = { ...person };
      corrupt(rng, dup, world, correlated);
      records.push(toRecord(`rec-${i}-dup-${k}`, dup));
    }
    duplicates += copies;
    truePairs += ((copies + 1) * copies) / 2;
  }
  if (options.shuffle ?? true) {
    for (let i = records.length - 1; i > 0; i--) {
      const j = Math.floor(rng.next() * (i + 1));
      const t = records[i]!;
      records[i] = records[j]!;
      records[j] = t;
    }
  }
  return { records, originals, duplicates, truePairs };
}

/** The records as a Febrl-style CSV (for `meridian match`). */
export function recordsToCsv(records: readonly InputRecord[]): string {
  const lines = [FEBRL_COLUMNS.join(', ')];
  for (const r of records) lines.push(FEBRL_COLUMNS.map((c) => r.values[c] ?? '').join(', '));
  return lines.join('\n') + '\n';
}

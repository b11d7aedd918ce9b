// Postal addresses in one canonical form, so two systems' spellings of the same office compare
// equal: full street words ("Street", "Suite"), the suite on line 2, ISO 3166-2 region codes,
// postal codes as the post office issues them, ISO 3166-1 alpha-2 countries.
import { cleanText, fixCase } from './text.ts';
import { countryCode, regionCode } from './regions.ts';

export interface PostalAddress {
  line1: string | null;
  line2: string | null;
  city: string | null;
  /** ISO 3166-2 subdivision code without the country: "CA", "ON", "ENG", "BY". */
  region: string | null;
  postalCode: string | null;
  /** ISO 3166-1 alpha-2. */
  country: string | null;
}

/** An address as a system holds it. `street` is a multi-line street field (Salesforce BillingStreet). */
export interface RawAddress {
  street?: unknown;
  line1?: unknown;
  line2?: unknown;
  city?: unknown;
  region?: unknown;
  postalCode?: unknown;
  country?: unknown;
}

/** Street-type abbreviations (USPS Publication 28 and common UK use) → the full word. */
const STREET_TYPES: Readonly<Record<string, string>> = {
  st: 'Street', str: 'Street', ave: 'Avenue', av: 'Avenue', blvd: 'Boulevard', rd: 'Road', dr: 'Drive', ln: 'Lane',
  pl: 'Place', ct: 'Court', pkwy: 'Parkway', hwy: 'Highway', sq: 'Square', ter: 'Terrace', cir: 'Circle',
  cres: 'Crescent', expy: 'Expressway', fwy: 'Freeway', trl: 'Trail', aly: 'Alley',
};

/** Compass directions before or after the street name: "12 N. Main St", "1600 Pennsylvania Ave NW". */
const DIRECTIONS: Readonly<Record<string, string>> = {
  n: 'North', s: 'South', e: 'East', w: 'West', ne: 'Northeast', nw: 'Northwest', se: 'Southeast', sw: 'Southwest',
};

/** Full street-type words, so a stray dot goes too ("Lake Way." → "Lake Way"). */
const FULL_STREET_TYPES: ReadonlyMap<string, string> = new Map(
  [...Object.values(STREET_TYPES), 'Way', 'Close', 'Row', 'Walk', 'Loop'].map((w) => [w.toLowerCase(), w] as const),
);

/** Unit designators → canonical word. "#" is a suite in US business addresses. */
const UNITS: Readonly<Record<string, string>> = {
  suite: 'Suite', ste: 'Suite', '#': 'Suite', floor: 'Floor', fl: 'Floor', flr: 'Floor', unit: 'Unit',
  apt: 'Apartment', apartment: 'Apartment', room: 'Room', rm: 'Room', bldg: 'Building', building: 'Building',
};

const UNIT_WORDS = 'suite|ste\\.?|floor|fl\\.?|flr\\.?|unit|apt\\.?|apartment|room|rm\\.?|bldg\\.?|building';
/** A unit at the end of line 1: "…, Suite 400", "… Ste. 400", "… #400". */
const UNIT_TAIL = new RegExp(`(?:,\\s*|\\s+)(?:(${UNIT_WORDS})\\s+|(#)\\s*)([\\w-]+)$`, 'i');
/** A whole line that is a unit: "Ste 400", "#400", "Fl 12". */
const UNIT_LINE = new RegExp(`^(?:(${UNIT_WORDS})\\s+|(#)\\s*)([\\w-]+)$`, 'i');

function unitText(word: string, n: string): string {
  const canonical = UNITS[word.toLowerCase().replace(/\.$/, '')] ?? word;
  return `${canonical} ${n.toUpperCase()}`;
}

/** Expand a trailing street-type abbreviation: "12 Main St." → "12 Main Street". */
function expandStreetType(line: string, country: string | null): string {
  let s = line;
  if (country === 'DE') {
    // "Hauptstr. 12", "Hauptstrasse 12" → "Hauptstraße 12".
    s = s.replace(/(\p{L})str\.(?=\s|$)/giu, '$1straße').replace(/(\p{L})strasse(?=\s|$)/giu, '$1straße');
    return s;
  }
  const words = s.split(' ');
  const bare = (w: string | undefined): string => (w ?? '').toLowerCase().replace(/\.$/, '');
  // A direction after the house number ("12 N Main St") or after the street type ("… Ave NW").
  if (words.length >= 4 && /^\d/.test(words[0]!) && DIRECTIONS[bare(words[1])] !== undefined) words[1] = DIRECTIONS[bare(words[1])]!;
  let typeAt = words.length - 1;
  if (words.length >= 4 && DIRECTIONS[bare(words[typeAt])] !== undefined && (STREET_TYPES[bare(words[typeAt - 1])] ?? FULL_STREET_TYPES.get(bare(words[typeAt - 1]))) !== undefined) {
    words[typeAt] = DIRECTIONS[bare(words[typeAt])]!;
    typeAt--;
  }
  if (words.length >= 3) {
    const full = STREET_TYPES[bare(words[typeAt])] ?? FULL_STREET_TYPES.get(bare(words[typeAt]));
    if (full !== undefined) words[typeAt] = full;
  }
  return words.join(' ');
}

function cleanLine(raw: unknown): string | null {
  const s = cleanText(raw);
  return s === null ? null : fixCase(s.replace(/\s+,/g, ','));
}

/** Postal code as issued: US five digits (ZIP+4 dropped, lost leading zeros restored), CA/GB "A1A 1A1", DE without "D-". */
export function normalizePostalCode(raw: unknown, country: string | null): string | null {
  if (typeof raw !== 'string' && typeof raw !== 'number') return null;
  let p = String(raw).trim().toUpperCase().replace(/\s+/g, ' ');
  if (p === '') return null;
  switch (country) {
    case 'US': {
      const zip = p.split('-')[0]!.replace(/\s/g, '');
      return /^\d{3,5}$/.test(zip) ? zip.padStart(5, '0') : p;
    }
    case 'CA':
    case 'GB': {
      p = p.replace(/\s/g, '');
      return p.length > 3 ? `${p.slice(0, -3)} ${p.slice(-3)}` : p;
    }
    case 'DE':
      return p.replace(/^D-?\s*/, '');
    default:
      return p;
  }
}

/**
 * The canonical form of an address; `null` when it has no street, city or postal code.
 * `{street: "500 market st\nste 400", city: "SAN FRANCISCO", region: "California", postalCode: "94105-1234", country: "USA"}`
 * → `{line1: "500 Market Street", line2: "Suite 400", city: "San Francisco", region: "CA", postalCode: "94105", country: "US"}`.
 */
export function normalizeAddress(raw: RawAddress | null | undefined): PostalAddress | null {
  if (raw === null || raw === undefined) return null;
  let line1: string | null;
  let line2: string | null;
  if (typeof raw.street === 'string' && raw.line1 === undefined) {
    const lines = raw.street.split(/\r?\n/).map((l) => cleanLine(l)).filter((l): l is string => l !== null);
    line1 = lines[0] ?? null;
    line2 = lines.length > 1 ? lines.slice(1).join(', ') : null;
  } else {
    line1 = cleanLine(raw.line1);
    line2 = cleanLine(raw.line2);
  }
  const country = countryCode(raw.country);
  const cityText = cleanText(raw.city);
  const city = cityText === null ? null : fixCase(cityText);
  const postalCode = normalizePostalCode(raw.postalCode, country);
  if (line1 === null && city === null && postalCode === null) return null;

  if (line1 !== null) {
    // Many CRMs have one street field, so the suite ends up on line 1.
    const m = UNIT_TAIL.exec(line1);
    if (m !== null && line2 === null && m.index > 0) {
      line2 = unitText(m[1] ?? m[2] ?? '', m[3] ?? '');
      line1 = line1.slice(0, m.index);
    }
    line1 = expandStreetType(line1.replace(/,$/, ''), country);
  }
  if (line2 !== null) {
    const m = UNIT_LINE.exec(line2);
    if (m !== null) line2 = unitText(m[1] ?? m[2] ?? '', m[3] ?? '');
  }
  const region = regionCode(raw.region, country, { city, postalCode });
  return { line1, line2, city, region, postalCode, country };
}

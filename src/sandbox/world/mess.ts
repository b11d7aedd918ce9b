// The ways real systems write the same fact differently: phone formats, address
// abbreviations, company and person name variants, e-mail case, typos, and each system's own
// timestamp format. Everything takes the world's Rng so the mess is as deterministic as the rest.
import type { Rng } from '../kit/rng.ts';
import type { City, Country } from './names.ts';
import { COMPANY_KINDS } from './names.ts';
import type { SystemName } from './types.ts';

// ---------- strings that stay small ----------

/**
 * A flat copy of a concatenated string. V8 keeps `a + b` (13+ chars) as a rope of its parts,
 * about twice the memory of the text; with millions of ids and names that is hundreds of MB.
 * Array.join builds a flat string on Node 20 and 24 alike (flattening by reading a character
 * stopped helping in Node 24's V8).
 */
export function flat(s: string): string {
  return s.length < 13 ? s : [s.slice(0, 1), s.slice(1)].join('');
}

// ---------- timestamps (the world works in whole unix seconds) ----------

export const DAY = 86_400;

// Formatting through Date.toISOString was a fifth of generation time; days and times of day
// repeat, so their text is cached and joined.
const dayText = new Map<number, string>();
const timeText: string[] = [];

function dayOf(sec: number): string {
  const day = Math.floor(sec / DAY);
  let t = dayText.get(day);
  if (t === undefined) {
    t = new Date(day * DAY * 1000).toISOString().slice(0, 10);
    dayText.set(day, t);
  }
  return t;
}

function timeOf(sec: number): string {
  const s = sec - Math.floor(sec / DAY) * DAY;
  let t = timeText[s];
  if (t === undefined) {
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), x = s % 60;
    t = `${h < 10 ? '0' : ''}${h}:${m < 10 ? '0' : ''}${m}:${x < 10 ? '0' : ''}${x}`;
    timeText[s] = t;
  }
  return t;
}

/** ISO-8601 as Postgres/JS print it: 2025-03-04T10:11:12.000Z. */
export function isoTime(sec: number): string {
  return [dayOf(sec), 'T', timeOf(sec), '.000Z'].join('');
}

/** Salesforce REST: 2025-03-04T10:11:12.000+0000. */
export function sfTime(sec: number): string {
  return [dayOf(sec), 'T', timeOf(sec), '.000+0000'].join('');
}

/** Zendesk: 2025-03-04T10:11:12Z. */
export function zdTime(sec: number): string {
  return [dayOf(sec), 'T', timeOf(sec), 'Z'].join('');
}

export function dateOnly(sec: number): string {
  return dayOf(sec);
}

/** Calendar months, as Stripe bills monthly subscriptions. */
export function addMonths(sec: number, months: number): number {
  const d = new Date(sec * 1000);
  d.setUTCMonth(d.getUTCMonth() + months);
  return Math.floor(d.getTime() / 1000);
}

// ---------- phones ----------

export interface Phone {
  cc: '1' | '44' | '49';
  area: string;
  local: string;
}

export function e164(p: Phone): string {
  return `+${p.cc}${p.area}${p.local}`;
}

/**
 * One of the ways people type the number. `system` narrows the choice: Stripe's dashboard
 * users paste anything, but an ERP export tends to have bare digits.
 */
export function formatPhone(rng: Rng, p: Phone, system: SystemName): string {
  return flat(phoneText(rng, p, system));
}

function phoneText(rng: Rng, p: Phone, system: SystemName): string {
  const r = rng.next();
  if (p.cc === '1') {
    const a = p.area, b = p.local.slice(0, 3), c = p.local.slice(3);
    if (system === 'erp' && r < 0.35) return `${a}${b}${c}`;
    if (r < 0.4) return `(${a}) ${b}-${c}`;
    if (r < 0.55) return `${a}.${b}.${c}`;
    if (r < 0.68) return `+1 ${a} ${b} ${c}`;
    if (r < 0.78) return `${a}${b}${c}`;
    if (r < 0.88) return `${a}-${b}-${c}`;
    if (r < 0.94) return `+1 (${a}) ${b}-${c}`;
    return `+1${a}${b}${c}`;
  }
  const cc = p.cc, a = p.area;
  const split = p.local.length === 8 ? `${p.local.slice(0, 4)} ${p.local.slice(4)}` : `${p.local.slice(0, 3)} ${p.local.slice(3)}`;
  if (r < 0.35) return `+${cc} ${a} ${split}`;
  if (r < 0.6) return `0${a} ${split}`;
  if (r < 0.75) return `+${cc} (0)${a} ${split}`;
  if (r < 0.85 && cc === '49') return `0${a}/${p.local}`;
  return `+${cc}${a}${p.local}`;
}

// ---------- addresses ----------

export interface Address {
  country: Country;
  number: string;
  /** US/CA: the street name without its type; GB/DE: the whole street ("High Street", "Hauptstraße"). */
  street: string;
  streetType: readonly [full: string, abbreviated: string] | null;
  unit: { kind: 'Suite' | 'Floor' | 'Unit'; n: string } | null;
  city: City;
  postal: string;
  /** ZIP+4 extension some systems append (US only). */
  plus4: string;
}

export interface CanonicalAddress {
  line1: string;
  line2: string | null;
  city: string;
  region: string;
  postalCode: string;
  country: string;
}

export function canonicalAddress(a: Address): CanonicalAddress {
  let line1: string;
  if (a.country === 'DE') line1 = `${a.street} ${a.number}`;
  else if (a.streetType) line1 = `${a.number} ${a.street} ${a.streetType[0]}`;
  else line1 = `${a.number} ${a.street}`;
  return {
    line1,
    line2: a.unit ? `${a.unit.kind} ${a.unit.n}` : null,
    city: a.city.city,
    region: a.city.region,
    postalCode: a.postal,
    country: a.country,
  };
}

export interface RenderedAddress {
  line1: string;
  line2: string | null;
  city: string;
  region: string | null;
  postal: string;
  country: string;
}

const COUNTRY_SPELLINGS: Readonly<Record<Country, readonly string[]>> = {
  US: ['US', 'USA', 'United States', 'United States of America', 'U.S.'],
  CA: ['CA', 'Canada', 'CAN'],
  GB: ['GB', 'UK', 'United Kingdom', 'England'],
  DE: ['DE', 'Germany', 'Deutschland'],
};

/** An address as one system holds it. Stripe validates country to ISO-2; the others take text. */
export function renderAddress(rng: Rng, a: Address, system: SystemName): RenderedAddress {
  let line1: string;
  let line2: string | null = null;
  if (a.country === 'DE') {
    const r = rng.next();
    const street = r < 0.6 ? a.street : r < 0.85 ? a.street.replace('straße', 'str.') : a.street.replace('straße', 'strasse');
    line1 = `${street} ${a.number}`;
  } else if (a.streetType) {
    const r = rng.next();
    const type = r < 0.45 ? a.streetType[0] : r < 0.85 ? a.streetType[1] : `${a.streetType[1]}.`;
    line1 = `${a.number} ${a.street} ${type}`;
  } else {
    line1 = `${a.number} ${rng.chance(0.3) ? a.street.replace(' Street', ' St').replace(' Road', ' Rd') : a.street}`;
  }
  if (a.unit) {
    const r = rng.next();
    const { kind, n } = a.unit;
    const short = kind === 'Suite' ? (r < 0.5 ? `Ste ${n}` : r < 0.7 ? `Ste. ${n}` : `#${n}`) : kind === 'Floor' ? `Fl ${n}` : `Unit ${n}`;
    const written = rng.chance(0.5) ? `${kind} ${n}` : short;
    // Many CRMs have one street field, so the suite often ends up on line 1.
    if (rng.chance(0.3)) line1 = written.startsWith('#') ? `${line1} ${written}` : `${line1}, ${written}`;
    else line2 = written;
  }
  let city = a.city.city;
  let region: string | null;
  let postal = a.postal;
  switch (a.country) {
    case 'US':
      region = rng.chance(0.8) ? a.city.region : a.city.regionName;
      if (rng.chance(0.12)) postal = `${a.postal}-${a.plus4}`;
      // Spreadsheet round-trips drop the leading zero of New England ZIP codes.
      else if (system === 'erp' && postal.startsWith('0') && rng.chance(0.4)) postal = postal.slice(1);
      break;
    case 'CA':
      region = rng.chance(0.75) ? a.city.region : a.city.regionName;
      if (rng.chance(0.35)) postal = postal.replace(' ', '');
      break;
    case 'GB':
      region = rng.chance(0.5) ? null : a.city.regionName;
      if (rng.chance(0.3)) postal = postal.replace(' ', '');
      break;
    case 'DE':
      region = rng.chance(0.4) ? null : rng.chance(0.5) ? a.city.regionName : a.city.region;
      if (system === 'erp' && rng.chance(0.1)) postal = `D-${postal}`;
      break;
  }
  const country = system === 'stripe' ? a.country : rng.pick(COUNTRY_SPELLINGS[a.country]);
  const c = rng.next();
  if (c < 0.07) {
    line1 = line1.toUpperCase();
    line2 = line2 === null ? null : line2.toUpperCase();
    city = city.toUpperCase();
    postal = postal.toUpperCase();
  } else if (c < 0.09) {
    line1 = line1.toLowerCase();
    city = city.toLowerCase();
    postal = postal.toLowerCase();
  }
  return { line1: flat(line1), line2: line2 === null ? null : flat(line2), city, region, postal, country };
}

// ---------- company names ----------

export interface CompanyName {
  stem: string;
  kind: number; // index into COMPANY_KINDS
  /** The clean name: "Northwind Traders". */
  name: string;
  /** Legal form for the country: 'Inc.', 'LLC', 'Ltd', 'GmbH', … */
  legalForm: string;
}

export function legalName(c: CompanyName): string {
  return c.legalForm === 'Inc.' || c.legalForm === 'Ltd.' ? `${c.name}, ${c.legalForm}` : `${c.name} ${c.legalForm}`;
}

/**
 * How a person typing into a CRM or a checkout writes the company: "Acme Corporation",
 * "ACME Corp.", "Acme Corp, Inc.", "The Acme Company", with a typo now and then.
 */
export function companyVariant(rng: Rng, c: CompanyName, typoRate: number): string {
  const kind = COMPANY_KINDS[c.kind]!;
  let tail = kind[0];
  if (kind[1] !== null && rng.chance(0.3)) tail = kind[1];
  let stem = c.stem;
  let s = `${stem} ${tail}`;
  if ((tail === 'Company' || tail === 'Group') && rng.chance(0.15)) s = `The ${s}`;
  if (rng.chance(0.22)) {
    const form = c.legalForm;
    const r = rng.next();
    s = r < 0.4 ? `${s}, ${form}` : r < 0.8 ? `${s} ${form.replace('.', '')}` : `${s}, ${form.replace('.', '')}`;
  }
  const casing = rng.next();
  if (casing < 0.04) s = s.toUpperCase();
  else if (casing < 0.08) {
    stem = c.stem.toUpperCase();
    s = s.replace(c.stem, stem);
  } else if (casing < 0.1) s = s.toLowerCase();
  if (rng.chance(typoRate)) s = typo(rng, s);
  if (rng.chance(0.03)) s = rng.chance(0.5) ? `${s} ` : s.replace(' ', '  ');
  return flat(s);
}

// ---------- people ----------

/** A transposed pair or a dropped letter, away from the first letter (people get that right). */
export function typo(rng: Rng, s: string): string {
  if (s.length < 4) return s;
  const i = rng.int(1, s.length - 2);
  const a = s.charAt(i), b = s.charAt(i + 1);
  if (a !== b && a !== ' ' && b !== ' ' && rng.chance(0.5)) return s.slice(0, i) + b + a + s.slice(i + 2);
  return s.slice(0, i) + s.slice(i + 1);
}

export function firstNameVariant(rng: Rng, family: readonly string[]): string {
  if (family.length === 1 || rng.chance(0.6)) return family[0]!;
  return family[rng.int(1, family.length - 1)]!;
}

/** E-mail as typed: mostly as issued, sometimes capitalised, in the ERP with stray spaces. */
export function emailVariant(rng: Rng, email: string, system: SystemName): string {
  // Zendesk lower-cases e-mail identities, so its copy is always clean.
  if (system === 'zendesk') return email;
  const r = rng.next();
  let s = email;
  if (r < 0.15) {
    const at = s.indexOf('@');
    s = capitaliseParts(s.slice(0, at), '.') + '@' + capitaliseParts(s.slice(at + 1), '.');
  } else if (r < 0.18) s = s.toUpperCase();
  if (system === 'erp' && rng.chance(0.1)) s = rng.chance(0.5) ? ` ${s}` : `${s} `;
  return flat(s);
}

function capitaliseParts(s: string, sep: string): string {
  const parts = s.split(sep);
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    parts[i] = p.charAt(0).toUpperCase() + p.slice(1);
  }
  return parts.join(sep);
}

export function websiteVariant(rng: Rng, domain: string): string {
  return flat(websiteText(rng, domain));
}

function websiteText(rng: Rng, domain: string): string {
  const r = rng.next();
  if (r < 0.4) return `https://www.${domain}`;
  if (r < 0.6) return `www.${domain}`;
  if (r < 0.75) return `http://${domain}`;
  if (r < 0.9) return domain;
  return `https://${domain}/`;
}

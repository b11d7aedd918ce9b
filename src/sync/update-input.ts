// What updateCustomer accepts: every field checked as a person typed it (format, range,
// required parts), all problems named at once, and the values turned into the canonical forms
// the golden record holds (src/normalize), which is what write routing compares and writes.
// Pure: no store, no clock.
import { isSupportedCountry } from 'libphonenumber-js';
import { countryCode, isKnownRegion, normalizeAddress, normalizeEmail, normalizePhone, normalizeWebsite, regionCode, type PostalAddress } from '../normalize/index.ts';

/** The GraphQL input (CustomerInput), as it arrives: any field may be absent or null. */
export interface CustomerInput {
  name?: string | null | undefined;
  email?: string | null | undefined;
  phone?: string | null | undefined;
  website?: string | null | undefined;
  industry?: string | null | undefined;
  employees?: number | null | undefined;
  address?: AddressInput | null | undefined;
}

export interface AddressInput {
  line1?: string | null | undefined;
  line2?: string | null | undefined;
  city?: string | null | undefined;
  region?: string | null | undefined;
  postalCode?: string | null | undefined;
  country?: string | null | undefined;
}

/** Canonical field → canonical value, only the fields the input set. */
export interface CanonicalUpdate {
  name?: string;
  email?: string;
  phone?: string;
  website?: string;
  industry?: string;
  employees?: number;
  address?: PostalAddress;
}

/** One bad field: its path in the input (`address.country`) and why, in words a person can act on. */
export interface InvalidField {
  field: string;
  reason: string;
}

export type Validated = { ok: true; values: CanonicalUpdate } | { ok: false; invalid: InvalidField[] };

/** Postal code formats Meridian checks, by country (as the post office issues them; a space or not). */
const POSTAL_CODES: Readonly<Record<string, { pattern: RegExp; example: string }>> = {
  US: { pattern: /^\d{5}(?:-\d{4})?$/, example: '94105 or 94105-1234' },
  CA: { pattern: /^[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d$/i, example: 'K1A 0B1' },
  // BS 7666 outward + inward code: A9 9AA, A99 9AA, AA9 9AA, AA99 9AA, A9A 9AA, AA9A 9AA.
  GB: { pattern: /^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}$/i, example: 'SW1A 1AA' },
  DE: { pattern: /^(?:D-?)?\d{5}$/i, example: '10115' },
};

const LIMITS = { name: 255, email: 254, emailLocal: 64, phone: 40, website: 255, industry: 120, line: 255, city: 100, region: 100, postalCode: 16, employees: 10_000_000 } as const;

/** Text a person typed: trimmed; control characters refused (they never belong in a customer field). */
function text(value: string, field: string, max: number, invalid: InvalidField[]): string | null {
  const s = value.trim();
  if (s === '') {
    invalid.push({ field, reason: 'must not be empty' });
    return null;
  }
  if (s.length > max) {
    invalid.push({ field, reason: `at most ${max} characters (got ${s.length})` });
    return null;
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(s)) {
    invalid.push({ field, reason: 'must not contain control characters (line breaks, tabs)' });
    return null;
  }
  return s;
}

/**
 * An e-mail address a mail system would accept: one @, a local part of at most 64 characters
 * without spaces or quotes, and a domain of dot-separated labels (letters, digits, hyphens) with
 * a top-level label of two or more letters. Stricter than the normalizer, which reads what
 * systems hold; this is what a person types now.
 */
function email(value: string, invalid: InvalidField[]): string | null {
  const s = text(value, 'email', LIMITS.email, invalid);
  if (s === null) return null;
  const e = normalizeEmail(s);
  const at = e?.lastIndexOf('@') ?? -1;
  const local = e && at > 0 ? e.slice(0, at) : '';
  const domain = e && at > 0 ? e.slice(at + 1) : '';
  const localOk = local.length > 0 && local.length <= LIMITS.emailLocal && /^[a-z0-9!#$%&'*+/=?^_`{|}~.-]+$/.test(local) && !local.startsWith('.') && !local.endsWith('.') && !local.includes('..');
  const labels = domain.split('.');
  const domainOk = labels.length >= 2 && labels.every((l) => /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(l)) && /^[a-z]{2,63}$/.test(labels[labels.length - 1]!);
  if (e === null || !localOk || !domainOk) {
    invalid.push({ field: 'email', reason: 'not an e-mail address (expected e.g. billing@example.com)' });
    return null;
  }
  return e;
}

/** A part an address must have: named as missing when absent. */
function required(value: string | null | undefined, field: string, max: number, invalid: InvalidField[]): string | null {
  if (value === undefined || value === null) {
    invalid.push({ field, reason: 'required in an address' });
    return null;
  }
  return text(value, field, max, invalid);
}

function address(a: AddressInput, defaultInvalid: InvalidField[]): PostalAddress | null {
  const before = defaultInvalid.length;
  const line1 = required(a.line1, 'address.line1', LIMITS.line, defaultInvalid);
  const line2 = a.line2 === undefined || a.line2 === null ? null : text(a.line2, 'address.line2', LIMITS.line, defaultInvalid);
  const city = required(a.city, 'address.city', LIMITS.city, defaultInvalid);
  const countryText = required(a.country, 'address.country', 60, defaultInvalid);
  let country: string | null = null;
  if (countryText !== null) {
    const code = countryCode(countryText);
    // libphonenumber's regions are the ISO 3166-1 countries with a numbering plan: every country
    // a customer's office can be in. A well-formed but unassigned code (ZZ, QQ) is refused.
    if (code === null || !isSupportedCountry(code)) defaultInvalid.push({ field: 'address.country', reason: `not a country: use an ISO 3166-1 alpha-2 code such as US, GB or DE (got ${JSON.stringify(countryText)})` });
    else country = code;
  }
  const regionText = a.region === undefined || a.region === null ? null : text(a.region, 'address.region', LIMITS.region, defaultInvalid);
  if (regionText !== null && country !== null && isKnownRegion(country, regionCode(regionText, country)) === false) {
    defaultInvalid.push({ field: 'address.region', reason: `not a subdivision of ${country} (expected a name or ISO 3166-2 code, e.g. ${country === 'US' ? 'California or CA' : country === 'CA' ? 'Ontario or ON' : country === 'GB' ? 'England or ENG' : 'Bayern or BY'})` });
  }
  const postalText = a.postalCode === undefined || a.postalCode === null ? null : text(a.postalCode, 'address.postalCode', LIMITS.postalCode, defaultInvalid);
  const format = country === null ? undefined : POSTAL_CODES[country];
  if (postalText === null && format && (a.postalCode === undefined || a.postalCode === null)) {
    defaultInvalid.push({ field: 'address.postalCode', reason: `required for an address in ${country} (e.g. ${format.example})` });
  } else if (postalText !== null && format && !format.pattern.test(postalText)) {
    defaultInvalid.push({ field: 'address.postalCode', reason: `not a postal code of ${country} (expected e.g. ${format.example})` });
  } else if (postalText !== null && !format && !/^[A-Za-z0-9][A-Za-z0-9 -]*$/.test(postalText)) {
    defaultInvalid.push({ field: 'address.postalCode', reason: 'letters, digits, spaces and hyphens only' });
  }
  if (defaultInvalid.length > before) return null;
  return normalizeAddress({ line1, line2, city, region: regionText, postalCode: postalText, country });
}

/**
 * Checks every field of an update and answers the canonical values, or every problem at once.
 * `defaultRegion`: where a phone number without a country code is read (MERIDIAN_DEFAULT_REGION).
 */
export function validateCustomerUpdate(input: CustomerInput, options: { defaultRegion: string }): Validated {
  const invalid: InvalidField[] = [];
  const values: CanonicalUpdate = {};
  let given = 0;
  for (const [field, value] of Object.entries(input) as [keyof CustomerInput, unknown][]) {
    if (value === undefined) continue;
    given++;
    if (value === null) {
      invalid.push({ field, reason: 'null is not a value: omit the field to leave it as it is (clearing a field is not supported)' });
      continue;
    }
    switch (field) {
      case 'name': {
        const s = text(value as string, 'name', LIMITS.name, invalid);
        if (s !== null) values.name = s.replace(/\s+/g, ' ');
        break;
      }
      case 'industry': {
        const s = text(value as string, 'industry', LIMITS.industry, invalid);
        if (s !== null) values.industry = s.replace(/\s+/g, ' ');
        break;
      }
      case 'email': {
        const e = email(value as string, invalid);
        if (e !== null) values.email = e;
        break;
      }
      case 'phone': {
        const s = text(value as string, 'phone', LIMITS.phone, invalid);
        if (s === null) break;
        // A number a person enters now must be a real one (libphonenumber isValid), not merely one of a possible length.
        const p = /[a-z]/i.test(s.replace(/\b(?:ext|x)\.?\s*\d+$/i, '')) ? null : normalizePhone(s, options.defaultRegion, { strict: true });
        if (p === null) invalid.push({ field: 'phone', reason: `not a phone number of ${options.defaultRegion.toUpperCase()}, nor one in international form (+ and the country code, e.g. +14155550134)` });
        else values.phone = p;
        break;
      }
      case 'website': {
        const s = text(value as string, 'website', LIMITS.website, invalid);
        if (s === null) break;
        const w = /\s/.test(s) ? null : normalizeWebsite(s);
        if (w === null) invalid.push({ field: 'website', reason: 'not a web address (expected e.g. https://example.com or example.com)' });
        else values.website = w;
        break;
      }
      case 'employees': {
        const n = value as number;
        if (!Number.isInteger(n) || n < 0 || n > LIMITS.employees) invalid.push({ field: 'employees', reason: `a whole number from 0 to ${LIMITS.employees.toLocaleString('en-US')} (got ${n})` });
        else values.employees = n;
        break;
      }
      case 'address': {
        const a = address(value, invalid);
        if (a !== null) values.address = a;
        break;
      }
      default:
        // The schema admits no other field; a caller that builds the input by hand is told.
        invalid.push({ field, reason: 'not a field of CustomerInput' });
    }
  }
  if (given === 0) invalid.push({ field: 'input', reason: 'names no field to change' });
  return invalid.length > 0 ? { ok: false, invalid } : { ok: true, values };
}

// Config inference: a matcher config worked out from a CSV header and a sample of its rows, for a
// user who has none (`npx meridian match people.csv --out pairs.csv`). Each column gets a role
// from its header name (case, spaces and punctuation ignored: "First Name", "first_name",
// "FirstName", "fname"), checked or decided by its values where a name says too little ("name"
// is a company or a person; in which order a date is written; whether an id is unique). Each role
// brings the comparison levels of the hand-written configs (configs/febrl.json for people,
// configs/customers.json for companies), and the blocking rules are every rule of a fixed list
// whose fields exist, so a file with a different layout still gets a tested shape. Pure: the
// caller reads the files (src/cli/match.ts). docs/matching.md, "Without a config: inference".
import febrlJson from './configs/febrl.json' with { type: 'json' };
import { DEFAULT_PHONE_REGION, digitsOnly, emailMatchKey, foldDiacritics, normalizePhone, parseCalendarDate, stripLegalForm } from '../../normalize/index.ts';
import type { DateOrder } from '../../normalize/index.ts';
import { parseMatcherConfig, type MatcherConfig, type MatcherConfigInput, type NormalizerName } from './config.ts';
import { parseCsv } from './csv.ts';

/** What a column holds. `middleName` and `username` are recognized but never compared. */
export type ColumnRole =
  | 'id' | 'givenName' | 'surname' | 'fullName' | 'companyName' | 'email' | 'phone' | 'streetNumber' | 'street' | 'address2'
  | 'city' | 'postcode' | 'state' | 'country' | 'dateOfBirth' | 'nationalId' | 'website' | 'middleName' | 'username';

/** One input file as inference sees it: its header and a sample of its rows (column → cell). */
export interface InferenceSample {
  header: readonly string[];
  rows: readonly Readonly<Record<string, string>>[];
}

export interface InferredColumn {
  column: string;
  /** null: nothing in the name or the values says what the column is. */
  role: ColumnRole | null;
  /** The config field it feeds; null for the id column and ignored columns. */
  field: string | null;
  why: string;
}

export interface InferredConfig {
  config: MatcherConfig;
  /** The config as written before defaults were filled in: what `--save-config` saves. */
  json: MatcherConfigInput;
  /** Every column of every file, in header order (the first file's, then new ones of the others). */
  columns: InferredColumn[];
  /** `febrl`: the header is the Febrl layout and configs/febrl.json is used as it is. */
  source: 'inferred' | 'febrl';
}

export interface InferOptions {
  /** ISO 3166-1 alpha-2 region of phone numbers written without a country code. Default US. */
  phoneRegion?: string;
  /** The files' delimiter, written into the config. Default ','. */
  delimiter?: string;
}

export class ConfigInferenceError extends Error {
  override readonly name = 'ConfigInferenceError';
  readonly code = 'CONFIG_INFERENCE_FAILED';
  /** What was decided for each column before inference gave up. */
  readonly columns: readonly InferredColumn[];
  constructor(message: string, columns: readonly InferredColumn[]) {
    super(message);
    this.columns = columns;
  }
}

/** Rows of each file that inference reads. */
export const INFERENCE_SAMPLE_ROWS = 2000;

// ---------------------------------------------------------------------------------------------
// Header names

type HeaderRole = ColumnRole | 'name';

/** Header names, letters and digits only, lower case. "First Name" / "first_name" / "FirstName" → "firstname". */
const HEADER_NAMES: Readonly<Record<HeaderRole, readonly string[]>> = {
  id: ['id', 'recid', 'recordid', 'rowid', 'key', 'recordkey', 'uid', 'uuid', 'guid', 'pk', 'identifier', 'externalid', 'ref', 'reference', 'customernumber', 'customerno', 'custno', 'clientnumber', 'membernumber', 'accountnumber'],
  givenName: ['firstname', 'fname', 'givenname', 'forename', 'forenames', 'first', 'given', 'christianname', 'firstnames', 'vorname', 'prenom'],
  surname: ['lastname', 'lname', 'surname', 'familyname', 'last', 'family', 'sname', 'nachname'],
  fullName: ['fullname', 'personname', 'contactname', 'contact', 'person', 'namefull', 'fullnames'],
  name: ['name', 'displayname', 'customer', 'client', 'names'],
  companyName: [
    'company', 'companyname', 'organization', 'organisation', 'org', 'orgname', 'organizationname', 'organisationname', 'business', 'businessname',
    'employer', 'firm', 'legalname', 'tradingname', 'registeredname', 'enterprise', 'vendor', 'vendorname', 'supplier', 'suppliername', 'merchant', 'merchantname',
  ],
  email: ['email', 'emailaddress', 'mail', 'emailaddr', 'mailaddress', 'emailid'],
  phone: [
    'phone', 'phonenumber', 'phoneno', 'telephone', 'telephonenumber', 'tel', 'telno', 'mobile', 'mobilephone', 'mobilenumber', 'mobileno', 'cell',
    'cellphone', 'cellular', 'cellnumber', 'contactnumber', 'contactphone', 'handy',
  ],
  streetNumber: ['streetnumber', 'streetno', 'streetnum', 'housenumber', 'houseno', 'housenum', 'buildingnumber', 'hausnummer'],
  street: [
    'address', 'address1', 'addressline1', 'addressline', 'addr', 'addr1', 'street', 'street1', 'streetaddress', 'streetaddress1', 'streetname',
    'line1', 'road', 'strasse',
  ],
  address2: ['address2', 'addressline2', 'addr2', 'street2', 'streetaddress2', 'line2', 'apt', 'apartment', 'suite', 'unit', 'aptsuite', 'building', 'complement'],
  city: ['city', 'town', 'suburb', 'locality', 'municipality', 'village', 'cityname', 'towncity', 'citytown', 'ort', 'stadt'],
  postcode: ['postcode', 'zip', 'zipcode', 'postalcode', 'postal', 'plz', 'pincode', 'zip5', 'postcodezip', 'zippostalcode', 'postzip', 'zippostcode'],
  state: ['state', 'region', 'province', 'county', 'stateprovince', 'stateorprovince', 'statecode', 'provincecode', 'territory', 'prefecture', 'canton'],
  country: ['country', 'countrycode', 'countryname', 'nation', 'countryiso'],
  dateOfBirth: ['dob', 'dateofbirth', 'birthdate', 'birthday', 'bdate', 'birth', 'born', 'birthdt', 'dobdate'],
  nationalId: [
    'ssn', 'socsecid', 'socsecno', 'socsec', 'socialsecurity', 'socialsecuritynumber', 'socialsecurityno', 'nationalid', 'nationalidnumber', 'nationalnumber',
    'taxid', 'taxnumber', 'taxno', 'tin', 'vat', 'vatid', 'vatnumber', 'vatno', 'nin', 'nino', 'nationalinsurancenumber', 'sin', 'ein', 'bsn',
    'steuerid', 'personnummer', 'cpf', 'passport', 'passportnumber', 'passportno', 'fiscalcode', 'codicefiscale',
  ],
  website: ['website', 'web', 'url', 'domain', 'homepage', 'site', 'websiteurl', 'webaddress', 'webpage', 'domainname'],
  middleName: ['middlename', 'mname', 'middle', 'middleinitial', 'mi', 'middlenames'],
  username: ['username', 'login', 'userlogin', 'loginname', 'handle', 'screenname'],
};

const ROLE_OF_NAME = new Map<string, HeaderRole>(
  (Object.entries(HEADER_NAMES) as [HeaderRole, readonly string[]][]).flatMap(([role, names]) => names.map((n) => [n, role] as const)),
);

/**
 * Leading words that say whose or which value a column holds, not what it is:
 * "customer_email", "billing_zip", "home_phone", "contact_first_name", "customer_id".
 */
const QUALIFIERS = new Set([
  'customer', 'cust', 'client', 'contact', 'billing', 'bill', 'mailing', 'shipping', 'ship', 'home', 'work', 'primary', 'main', 'person', 'personal',
  'member', 'patient', 'user', 'account', 'acct', 'business', 'company', 'current', 'preferred', 'residential', 'postal', 'physical', 'private',
  'office', 'the', 'my', 'record', 'rec', 'lead', 'buyer', 'owner',
]);

/** "FirstName" → ["first", "name"]; "E-mail" → ["e", "mail"]; "ZIPCode" → ["zip", "code"]. */
export function headerWords(column: string): string[] {
  const spaced = column.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2');
  return foldDiacritics(spaced)
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== '');
}

/** The role a header name alone gives, or null. "name" stays ambiguous (company or person) until the values decide. */
export function headerRole(column: string): HeaderRole | null {
  const words = headerWords(column);
  for (let start = 0; start < words.length; start++) {
    if (start > 0 && !QUALIFIERS.has(words[start - 1]!)) break;
    const compact = words.slice(start).join('');
    // "phone2", "email_1": a numbered copy of a column ("address2" is in the table itself).
    const role = ROLE_OF_NAME.get(compact) ?? ROLE_OF_NAME.get(compact.replace(/\d+$/, ''));
    if (role !== undefined) return role;
  }
  // "order_id", "patient_key": any other …id column is a candidate id (its values decide).
  const last = words[words.length - 1];
  if (words.length > 1 && (last === 'id' || last === 'key' || last === 'uuid' || last === 'guid')) return 'id';
  return null;
}

// ---------------------------------------------------------------------------------------------
// Values

const fmt = (n: number): string => n.toLocaleString('en-US');
const pct = (x: number): string => `${Math.round(x * 100)}%`;

function valuesOf(files: readonly InferenceSample[], column: string): string[] {
  const out: string[] = [];
  for (const f of files) {
    for (const r of f.rows) {
      const v = (r[column] ?? '').trim();
      if (v !== '') out.push(v);
    }
  }
  return out;
}

function share(values: readonly string[], test: (v: string) => boolean): number {
  if (values.length === 0) return 0;
  let n = 0;
  for (const v of values) if (test(v)) n++;
  return n / values.length;
}

/** Words that, besides a legal form (src/normalize/company.ts), mark a business rather than a person. */
const BUSINESS_WORDS = new Set([
  'inc', 'incorporated', 'llc', 'llp', 'ltd', 'limited', 'plc', 'gmbh', 'corp', 'corporation', 'co', 'company', 'pty', 'bv', 'nv', 'sarl', 'srl', 'spa',
  'ag', 'kg', 'oy', 'ulc', 'group', 'holdings', 'holding', 'partners', 'associates', 'industries', 'international', 'enterprises', 'solutions',
  'services', 'systems', 'technologies', 'technology', 'consulting', 'labs', 'bank', 'foundation', 'university', 'hospital', 'intl', 'mfg', 'grp',
]);

/** A company name rather than a person's: it ends in a legal form, holds a business word, or an "&". */
export function looksLikeCompany(value: string): boolean {
  const v = value.trim();
  if (v.includes('&')) return true;
  if (stripLegalForm(v) !== v) return true;
  return headerWords(v).some((w) => BUSINESS_WORDS.has(w));
}

/** Share of values that must look like a company for a "name" column to be one. */
const COMPANY_SHARE = 0.2;
/** Share of values that must look like e-mails (phones, websites) for an unnamed column to be one. */
const VALUE_SHARE = 0.8;
/** Below this share of readable values, a column named like an e-mail, phone or date is not used. */
const READABLE_SHARE = 0.5;

const looksLikeEmail = (v: string): boolean => v.includes('@') && emailMatchKey(v) !== null;
const looksLikeWebsite = (v: string): boolean => /^(https?:\/\/|www\.)[^\s@]+$/i.test(v);

/** "+1 (415) 555-0134", "030/1234567": 7–15 digits with a plus or separators, and not a date. */
function looksLikePhone(v: string): boolean {
  if (!/^\+?[\d\s().\-/]+$/.test(v)) return false;
  const d = digitsOnly(v);
  if (d === null || d.length < 7 || d.length > 15) return false;
  if (parseCalendarDate(v) !== null) return false;
  return v.startsWith('+') || /[\s().-]/.test(v);
}

export interface DateOrderGuess {
  order: DateOrder;
  why: string;
}

/**
 * How the dates of a sample are written. Year first (19081209, 1908-12-09) is YMD. For
 * "03/04/1990" a first part above 12 means day first (DMY), a second part above 12 month first
 * (MDY); with neither, the region decides (MDY in the US, DMY elsewhere) and the reason says so.
 */
export function detectDateOrder(values: readonly string[], region: string = DEFAULT_PHONE_REGION): DateOrderGuess {
  let yearFirst = 0;
  let dayFirst = 0;
  let monthFirst = 0;
  let slashed = 0;
  for (const raw of values) {
    const v = raw.trim();
    if (/^\d{8}$/.test(v) || /^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?:$|[T ])/.test(v)) {
      yearFirst++;
      continue;
    }
    const m = /^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$/.exec(v);
    if (m === null) continue;
    slashed++;
    const a = Number(m[1]);
    const b = Number(m[2]);
    if (a > 12 && b <= 12) dayFirst++;
    else if (b > 12 && a <= 12) monthFirst++;
  }
  if (slashed === 0) return { order: 'YMD', why: yearFirst > 0 ? 'written year first' : 'no date format recognized' };
  if (dayFirst > 0 && dayFirst >= monthFirst) {
    return { order: 'DMY', why: `day first: ${fmt(dayFirst)} values have a first part above 12${monthFirst > 0 ? ` (${fmt(monthFirst)} a second part: mixed)` : ''}` };
  }
  if (monthFirst > 0) {
    return { order: 'MDY', why: `month first: ${fmt(monthFirst)} values have a second part above 12${dayFirst > 0 ? ` (${fmt(dayFirst)} a first part: mixed)` : ''}` };
  }
  const us = region.toUpperCase() === 'US';
  return { order: us ? 'MDY' : 'DMY', why: `no part above 12 in the sample: read ${us ? 'month first, as in the US' : 'day first'} (--region ${region.toUpperCase()})` };
}

/**
 * Share of a sample's rows whose id may repeat an earlier one: such rows are skipped and reported
 * by line when the file is read (records.ts), as a few rows of an export often are. More repeats
 * than this and the column is not a record id (an order file's customer_id).
 */
const REPEATED_ID_SHARE = 0.01;

/** Every non-empty value unique in each file's sample (but for a few repeats), and nearly every row has one. */
function uniqueness(files: readonly InferenceSample[], column: string): { ok: true; rows: number; repeated: number } | { ok: false; why: string } {
  let rows = 0;
  let repeatedRows = 0;
  for (const f of files) {
    const seen = new Map<string, number>();
    let empty = 0;
    let repeated = 0;
    let firstRepeat: string | null = null;
    for (let i = 0; i < f.rows.length; i++) {
      const v = (f.rows[i]![column] ?? '').trim();
      if (v === '') {
        empty++;
        continue;
      }
      const first = seen.get(v);
      if (first !== undefined) {
        repeated++;
        firstRepeat ??= `${JSON.stringify(v)} repeats (sample rows ${first + 1} and ${i + 1})`;
        continue;
      }
      seen.set(v, i);
    }
    // A small share of the sample; one stray row once the sample has ten rows or more.
    if (firstRepeat !== null && repeated > Math.max(f.rows.length >= 10 ? 1 : 0, Math.floor(f.rows.length * REPEATED_ID_SHARE))) {
      return { ok: false, why: repeated === 1 ? firstRepeat : `${firstRepeat}; ${fmt(repeated)} rows repeat an earlier value` };
    }
    if (f.rows.length > 0 && empty / f.rows.length > 0.05) return { ok: false, why: `${pct(empty / f.rows.length)} of rows have none` };
    rows += f.rows.length;
    repeatedRows += repeated;
  }
  return { ok: true, rows, repeated: repeatedRows };
}

const uniqueWords = (files: readonly InferenceSample[], u: { rows: number; repeated: number }): string =>
  u.repeated === 0
    ? `unique in ${sampleWords(files, u.rows)}`
    : `${fmt(u.repeated)} repeated value${u.repeated === 1 ? '' : 's'} in ${sampleWords(files, u.rows)}: those rows are skipped and reported by line`;

const sampleWords = (files: readonly InferenceSample[], rows: number): string =>
  files.length > 1 ? `each file's sample (${fmt(rows)} rows in all)` : `the ${fmt(rows)} sampled rows`;

/** Short tokens without spaces: "C-1042", "rec-12-org", "8f3a…". */
const looksLikeIdValue = (v: string): boolean => v.length <= 64 && !v.includes('@') && /^[\p{L}\p{N}][\p{L}\p{N}_.:/#-]*$/u.test(v);

// ---------------------------------------------------------------------------------------------
// Roles → fields

type LevelInput = MatcherConfigInput['fields'][number]['levels'][number];
type FieldInput = MatcherConfigInput['fields'][number];
type BlockingKeyInput = MatcherConfigInput['blocking']['rules'][number]['keys'][number];

const exact: LevelInput = { type: 'exact' };
const lev = (max: number): LevelInput => ({ type: 'levenshtein', max });
const jw = (min: number): LevelInput => ({ type: 'jaroWinkler', min });
const tokenSet = (min: number): LevelInput => ({ type: 'tokenSet', min });
const soundexLevel: LevelInput = { type: 'soundex' };

type ComparedRole = Exclude<ColumnRole, 'id' | 'middleName' | 'username'>;

interface RoleSpec {
  field: string;
  /** How the role is named in messages. */
  label: string;
  normalize: NormalizerName;
  termFrequency: boolean;
  /** `has(field)`: whether another field exists (a swapped level needs its partner). */
  levels: (has: (field: string) => boolean) => LevelInput[];
}

/** In a file of people at companies: what colleagues share (config `context`, group "workplace"). */
const WORKPLACE_ROLES: readonly ComparedRole[] = ['companyName', 'streetNumber', 'street', 'address2', 'city', 'postcode', 'state', 'website'];

/** Fields that are parts of one address (config `group: "address"`, model.ts leaveGroupOutM). */
const ADDRESS_FIELDS: ReadonlySet<string> = new Set(['street_number', 'street', 'address_2', 'city', 'postcode', 'state']);

// The shapes of configs/febrl.json (people) and configs/customers.json (companies).
const ROLE_SPECS: Readonly<Record<ComparedRole, RoleSpec>> = {
  givenName: {
    field: 'given_name', label: 'first name', normalize: 'givenName', termFrequency: true,
    levels: (has) => [exact, ...(has('surname') ? [{ type: 'swapped', with: 'surname' } as const] : []), { type: 'nickname' }, lev(1), jw(0.9), jw(0.8), soundexLevel],
  },
  surname: {
    field: 'surname', label: 'last name', normalize: 'personName', termFrequency: true,
    levels: (has) => [exact, ...(has('given_name') ? [{ type: 'swapped', with: 'given_name' } as const] : []), lev(1), jw(0.9), jw(0.8), soundexLevel],
  },
  fullName: {
    field: 'full_name', label: 'full name', normalize: 'personName', termFrequency: true,
    levels: () => [exact, lev(1), jw(0.9), tokenSet(0.5), jw(0.8), soundexLevel],
  },
  companyName: {
    field: 'company_name', label: 'company name', normalize: 'companyName', termFrequency: true,
    levels: () => [exact, lev(1), lev(2), tokenSet(0.6)],
  },
  email: {
    field: 'email', label: 'e-mail', normalize: 'email', termFrequency: false,
    // Records of companies (a company name, no person's): two mailboxes at one company domain
    // are evidence, as in configs/customers.json. Records of people: colleagues share a domain.
    levels: (has) => [exact, lev(1), ...(has('company_name') && !has('given_name') && !has('surname') && !has('full_name') ? [{ type: 'emailDomain' } as const] : [])],
  },
  phone: {
    field: 'phone', label: 'phone', normalize: 'phone', termFrequency: false,
    // People (phoneExtension): "token set ≥ 0.5" is one number, one record without the extension.
    levels: (has) => [exact, ...(has('given_name') || has('surname') || has('full_name') ? [tokenSet(0.5)] : []), lev(1)],
  },
  streetNumber: { field: 'street_number', label: 'street number', normalize: 'digits', termFrequency: false, levels: () => [exact, lev(1)] },
  street: { field: 'street', label: 'street address', normalize: 'street', termFrequency: true, levels: () => [exact, lev(2), jw(0.9), tokenSet(0.5)] },
  address2: { field: 'address_2', label: 'address line 2', normalize: 'text', termFrequency: false, levels: () => [exact, lev(2), jw(0.9)] },
  city: { field: 'city', label: 'city', normalize: 'text', termFrequency: true, levels: () => [exact, lev(2), jw(0.9)] },
  postcode: { field: 'postcode', label: 'postcode', normalize: 'postcode', termFrequency: true, levels: () => [exact, lev(1)] },
  state: { field: 'state', label: 'state', normalize: 'text', termFrequency: false, levels: () => [exact] },
  country: { field: 'country', label: 'country', normalize: 'country', termFrequency: false, levels: () => [exact] },
  dateOfBirth: {
    field: 'date_of_birth', label: 'date of birth', normalize: 'date', termFrequency: false,
    levels: () => [exact, { type: 'dateTransposed' }, lev(1), lev(2), { type: 'dateWithin', days: 365 }],
  },
  nationalId: { field: 'national_id', label: 'national or tax id', normalize: 'digits', termFrequency: false, levels: () => [exact, lev(1), lev(2)] },
  website: { field: 'website', label: 'website', normalize: 'domain', termFrequency: true, levels: () => [exact] },
};

/** Field order in the config: names first, then contact, address, the rest. */
const FIELD_ORDER: readonly ComparedRole[] = [
  'givenName', 'surname', 'fullName', 'companyName', 'email', 'phone', 'streetNumber', 'street', 'address2', 'city', 'postcode', 'state', 'country',
  'dateOfBirth', 'nationalId', 'website',
];

type Key = string | readonly [field: string, transform: 'soundex' | 'prefix', length?: number];

/**
 * Blocking rules, unioned, in this order; a rule is kept when all its fields exist. Strong
 * identifiers alone first, then name combinations that survive a typo in any one part (the
 * Febrl rules), then the company rules of configs/customers.json, then the street.
 */
const BLOCKING_RULES: readonly (readonly Key[])[] = [
  ['national_id'],
  ['email'],
  ['phone'],
  ['website'],
  ['given_name', 'surname'],
  [['surname', 'soundex'], 'postcode'],
  [['surname', 'soundex'], 'city'],
  ['surname', 'date_of_birth'],
  ['given_name', 'date_of_birth'],
  ['date_of_birth', 'postcode'],
  ['full_name'],
  [['full_name', 'soundex'], 'postcode'],
  [['full_name', 'soundex'], 'city'],
  ['full_name', 'date_of_birth'],
  ['company_name'],
  [['company_name', 'soundex']],
  [['company_name', 'prefix', 3], 'postcode'],
  [['company_name', 'prefix', 4], 'city'],
  ['street', 'postcode'],
  ['street_number', 'street'],
  // People at one company whose surnames (or first names) sound alike: a typo in the other part.
  [['surname', 'soundex'], 'company_name'],
  [['given_name', 'soundex'], 'company_name'],
  // A national id with a typo still shares its first digits; the first name's sound narrows it.
  [['national_id', 'prefix', 4], ['given_name', 'soundex']],
];

/**
 * `context`: fields that colleagues share (a file of people at companies). A rule on them alone
 * would make every two colleagues a candidate: the candidates would be mostly colleagues, and EM
 * would learn from them what a match is not; such rules are left out, and the context only narrows
 * a name key.
 */
function blockingRules(has: (field: string) => boolean, context: ReadonlySet<string> = new Set()): MatcherConfigInput['blocking']['rules'] {
  const rules: MatcherConfigInput['blocking']['rules'] = [];
  for (const rule of BLOCKING_RULES) {
    const keys: BlockingKeyInput[] = rule.map((k) => (typeof k === 'string' ? { field: k } : k[2] === undefined ? { field: k[0], transform: k[1] } : { field: k[0], transform: k[1], length: k[2] }));
    if (!keys.every((k) => has(k.field))) continue;
    if (keys.every((k) => context.has(k.field))) continue;
    // Without context the company-only rules above catch these pairs already.
    if (context.size === 0 && keys.some((k) => k.field === 'company_name') && keys.some((k) => k.field === 'surname' || k.field === 'given_name')) continue;
    const name = keys.map((k) => (k.transform === undefined ? k.field : `${k.field}~${k.transform}${k.length ?? ''}`)).join('+');
    rules.push({ name, keys });
  }
  return rules;
}

// ---------------------------------------------------------------------------------------------
// Febrl

const FEBRL_ROLES: Readonly<Record<string, ColumnRole>> = {
  rec_id: 'id', given_name: 'givenName', surname: 'surname', street_number: 'streetNumber', address_1: 'street', address_2: 'address2',
  suburb: 'city', postcode: 'postcode', state: 'state', date_of_birth: 'dateOfBirth', soc_sec_id: 'nationalId',
};

function febrlLayout(files: readonly InferenceSample[], all: readonly string[]): InferredConfig | null {
  const config = parseMatcherConfig(febrlJson, 'configs/febrl.json');
  const needed = [config.id, ...config.fields.flatMap((f) => f.columns)];
  if (!files.every((f) => needed.every((c) => f.header.includes(c)))) return null;
  const fieldOf = new Map(config.fields.flatMap((f) => f.columns.map((c) => [c, f.name] as const)));
  const columns = all.map((column): InferredColumn => {
    if (column === config.id) return { column, role: 'id', field: null, why: 'the Febrl layout: configs/febrl.json is used as it is' };
    const field = fieldOf.get(column);
    if (field !== undefined) return { column, role: FEBRL_ROLES[column] ?? null, field, why: 'the Febrl layout: configs/febrl.json' };
    return { column, role: null, field: null, why: 'not in configs/febrl.json' };
  });
  return { config, json: febrlJson as unknown as MatcherConfigInput, columns, source: 'febrl' };
}

// ---------------------------------------------------------------------------------------------
// Inference

interface Decision {
  role: ColumnRole | null;
  why: string;
  /** The column is compared (as `role`) unless a later step drops it. */
  use: boolean;
  dateOrder?: DateOrder;
  normalize?: NormalizerName;
}

const roleLabel = (role: ColumnRole): string =>
  role === 'id' ? 'record id' : role === 'middleName' ? 'middle name' : role === 'username' ? 'login name' : ROLE_SPECS[role].label;

const STRONG_ID_NAMES = new Set(['id', 'recid', 'recordid', 'rowid', 'key', 'recordkey', 'uid', 'uuid', 'guid', 'identifier']);

function decideColumn(files: readonly InferenceSample[], column: string, region: string): Decision {
  const values = valuesOf(files, column);
  const sampled = files.reduce((n, f) => n + f.rows.length, 0);
  const role = headerRole(column);
  const header = `header ${JSON.stringify(column)}`;
  if (role === 'middleName') return { role, why: 'a middle name: not compared', use: false };
  if (role === 'username' && share(values, looksLikeEmail) < VALUE_SHARE) return { role, why: 'a login name says nothing about the person: not compared', use: false };
  if (role === 'id') return { role, why: 'named like an id; another column is the record id', use: false };
  if (sampled > 0 && values.length === 0) return { role: role === 'name' ? null : role, why: `empty in the ${fmt(sampled)} sampled rows`, use: false };

  // A "contact" or "username" column that holds e-mail addresses is an e-mail column.
  if (role === null || role === 'name' || role === 'fullName' || role === 'username') {
    const emails = share(values, looksLikeEmail);
    if (emails >= VALUE_SHARE) return { role: 'email', why: `${role === null ? '' : `${header}, but `}${pct(emails)} of values are e-mail addresses`, use: true };
  }
  if (role === 'name') {
    const companies = share(values, looksLikeCompany);
    const measured = `${pct(companies)} of ${fmt(values.length)} values carry a legal form or business word (inc, llc, ltd, gmbh, co, group…)`;
    return companies >= COMPANY_SHARE
      ? { role: 'companyName', why: `${header}; ${measured}: company names`, use: true }
      : { role: 'fullName', why: `${header}; ${measured}: person names`, use: true };
  }
  if (role === 'email') {
    const s = share(values, looksLikeEmail);
    if (values.length > 0 && s < READABLE_SHARE) return { role, why: `${header}, but only ${pct(s)} of values are e-mail addresses: not compared`, use: false };
    return { role, why: header, use: true };
  }
  if (role === 'phone') {
    const s = share(values, (v) => normalizePhone(v, region) !== null);
    if (values.length > 0 && s < READABLE_SHARE) {
      return { role, why: `${header}, but only ${pct(s)} of values read as phone numbers in region ${region} (--region sets it): not compared`, use: false };
    }
    return { role, why: `${header}; numbers without a country code are read in region ${region}`, use: true };
  }
  if (role === 'dateOfBirth') {
    const guess = detectDateOrder(values, region);
    const s = share(values, (v) => parseCalendarDate(v, guess.order) !== null);
    if (values.length > 0 && s < READABLE_SHARE) {
      return { role, why: `${header}, but only ${pct(s)} of values read as dates (YYYYMMDD, YYYY-MM-DD, DD/MM/YYYY, MM/DD/YYYY): not compared`, use: false };
    }
    return { role, why: `${header}; ${guess.order}: ${guess.why}`, use: true, dateOrder: guess.order };
  }
  if (role === 'nationalId') {
    // Digits only when the ids are numbers ("123-45-6789"); with letters (VAT "DE 123456789")
    // the letters count: the postcode key keeps them, case-folded and without spaces.
    const numeric = share(values, (v) => /^[\d\s.\-/]+$/.test(v));
    return numeric >= 0.9 || values.length === 0 ? { role, why: header, use: true } : { role, why: `${header}; ${pct(1 - numeric)} of values hold letters: compared as text`, use: true, normalize: 'postcode' };
  }
  if (role !== null) return { role, why: header, use: true };

  // No header name known: the values may still say what the column is.
  if (values.length > 0) {
    const websites = share(values, looksLikeWebsite);
    if (websites >= VALUE_SHARE) return { role: 'website', why: `${pct(websites)} of values are web addresses`, use: true };
    const phones = share(values, (v) => looksLikePhone(v) && normalizePhone(v, region) !== null);
    if (phones >= VALUE_SHARE) return { role: 'phone', why: `${pct(phones)} of values are phone numbers (region ${region} for those without a country code)`, use: true };
  }
  return { role: null, why: 'not a column name the matcher knows, and its values are not e-mails, phones or web addresses', use: false };
}

/** The id column and why, or why none; `rejected` says why each other id-named column is not it. */
function chooseId(files: readonly InferenceSample[], inEvery: readonly string[]): { column: string | null; why: string; rejected: Map<string, string> } {
  const named = inEvery.filter((c) => headerRole(c) === 'id');
  const strong = (c: string): boolean => STRONG_ID_NAMES.has(headerWords(c).join('')) || STRONG_ID_NAMES.has(headerWords(c).slice(-1).join(''));
  const ordered = [...named.filter(strong), ...named.filter((c) => !strong(c))];
  const rejected: string[] = [];
  const notUnique = new Map<string, string>();
  for (const c of ordered) {
    const u = uniqueness(files, c);
    if (u.ok) return { column: c, why: `named like an id; ${uniqueWords(files, u)}`, rejected: notUnique };
    notUnique.set(c, `named like an id, but not unique: ${u.why}`);
    rejected.push(`${JSON.stringify(c)} is not unique: ${u.why}`);
  }
  const first = files[0]?.header[0];
  if (first !== undefined && inEvery.includes(first) && !named.includes(first)) {
    const role = headerRole(first);
    const u = uniqueness(files, first);
    const values = valuesOf(files, first);
    const idLike = share(values, looksLikeIdValue) >= 0.95;
    if (role === null && u.ok && idLike && values.length > 0) {
      return { column: first, why: `the first column: ${uniqueWords(files, u)} and its values look like ids`, rejected: notUnique };
    }
    rejected.push(
      `the first column ${JSON.stringify(first)} ${role !== null ? `is named like a ${role === 'name' ? 'name' : roleLabel(role)}` : !u.ok ? `is not unique: ${u.why}` : values.length === 0 ? 'is empty' : 'does not look like an id (its values have spaces or odd characters)'}`,
    );
  }
  if (named.length === 0) rejected.unshift('no column is named like an id (id, rec_id, record_id, customer_id, key…)');
  return { column: null, why: rejected.join('; '), rejected: notUnique };
}

/**
 * A matcher config for files with the given headers and sample rows. For a link (two files)
 * only columns present in every file are used. Throws ConfigInferenceError when no id column
 * can be found or no column is worth matching on.
 */
export function inferMatcherConfig(files: readonly InferenceSample[], options: InferOptions = {}): InferredConfig {
  const region = (options.phoneRegion ?? DEFAULT_PHONE_REGION).toUpperCase();
  const all = [...new Set(files.flatMap((f) => f.header))];
  if (files.length === 0 || all.length === 0) throw new ConfigInferenceError('cannot infer a matcher config: the input has no header row', []);

  const febrl = febrlLayout(files, all);
  if (febrl !== null) return febrl;

  const inEvery = all.filter((c) => files.every((f) => f.header.includes(c)));
  const id = chooseId(files, inEvery);

  const decisions = new Map<string, Decision>();
  for (const column of all) {
    if (column === id.column) decisions.set(column, { role: 'id', why: id.why, use: false });
    else if (id.rejected.has(column)) decisions.set(column, { role: 'id', why: id.rejected.get(column)!, use: false });
    else if (!inEvery.includes(column)) {
      const role = headerRole(column);
      decisions.set(column, { role: role === 'name' ? null : role, why: 'not in every input file: a link compares the columns both files have', use: false });
    } else decisions.set(column, decideColumn(files, column, region));
  }

  // One column per role: the first. A person's full name beside first and last name columns
  // would count the same evidence twice.
  const chosen = new Map<ColumnRole, string>();
  for (const column of all) {
    const d = decisions.get(column)!;
    if (!d.use || d.role === null) continue;
    const earlier = chosen.get(d.role);
    if (earlier !== undefined) {
      d.use = false;
      d.why = `a second ${roleLabel(d.role)} column: only ${JSON.stringify(earlier)} is compared`;
    } else chosen.set(d.role, column);
  }
  const fullName = chosen.get('fullName');
  if (fullName !== undefined && chosen.has('givenName') && chosen.has('surname')) {
    const d = decisions.get(fullName)!;
    d.use = false;
    d.why = `${d.why}; not compared: the first and last name columns hold the name already`;
    chosen.delete('fullName');
  }

  // Records of companies: a work e-mail's domain is the company's web domain too, so one record's
  // website meets another's billing@ address (configs/customers.json's `domain` does the same).
  const companyRecords = chosen.has('companyName') && !chosen.has('givenName') && !chosen.has('surname') && !chosen.has('fullName');
  const emailColumn = chosen.get('email');
  const domainFromEmail = companyRecords && emailColumn !== undefined;
  if (domainFromEmail) {
    const e = decisions.get(emailColumn)!;
    e.why = `${e.why}; its domain (unless free-mail) also stands for the company's web domain${chosen.has('website') ? ' where a record has no website' : ''}`;
    if (!chosen.has('website')) chosen.set('website', emailColumn);
  }

  // Records of people at companies (a person's name and a company): the company, its address and
  // its website are the workplace, which colleagues share. They are context: EM learns who is one
  // person from the names, e-mails and phones, and the workplace fields count for a pair only with
  // the weight those say they deserve (config `context`, one correlated group).
  const personRecords = chosen.has('givenName') || chosen.has('surname') || chosen.has('fullName');
  const workplace = personRecords && chosen.has('companyName');
  if (workplace) {
    for (const role of WORKPLACE_ROLES) {
      const column = chosen.get(role);
      if (column === undefined) continue;
      const d = decisions.get(column)!;
      d.why = `${d.why}; context: the records are people at companies, and colleagues share the ${ROLE_SPECS[role].label}`;
    }
  }

  const fieldNames = new Set([...chosen.keys()].map((r) => ROLE_SPECS[r as ComparedRole].field));
  const has = (f: string): boolean => fieldNames.has(f);
  const fields: FieldInput[] = [];
  for (const role of FIELD_ORDER) {
    const column = chosen.get(role);
    if (column === undefined) continue;
    const spec = ROLE_SPECS[role];
    const d = decisions.get(column)!;
    const companyDomain = role === 'website' && domainFromEmail;
    // Keys in the order of the hand-written configs, levels last.
    fields.push({
      name: spec.field,
      // The website first; a work e-mail's domain where there is none.
      columns: companyDomain && column !== emailColumn ? [column, emailColumn] : [column],
      // People at one company share its main line and differ in their extensions.
      normalize: companyDomain ? 'companyDomain' : role === 'phone' && personRecords ? 'phoneExtension' : (d.normalize ?? spec.normalize),
      ...(spec.termFrequency ? { termFrequency: true } : {}),
      // The parts of an address change together when someone moves: one correlated group. At a
      // workplace the company joins them: a contact who changes jobs changes them all.
      ...(workplace && WORKPLACE_ROLES.includes(role) ? { group: 'workplace', context: true } : ADDRESS_FIELDS.has(spec.field) ? { group: 'address' } : {}),
      ...(d.dateOrder === undefined ? {} : { dateOrder: d.dateOrder }),
      ...(spec.normalize === 'phone' ? { phoneRegion: region } : {}),
      levels: spec.levels(has),
    });
  }
  const rules = blockingRules(has, workplace ? new Set(WORKPLACE_ROLES.map((r) => ROLE_SPECS[r].field)) : undefined);

  const columns = all.map((column): InferredColumn => {
    const d = decisions.get(column)!;
    const field = d.use && d.role !== null && d.role !== 'id' ? ROLE_SPECS[d.role as ComparedRole].field : null;
    return { column, role: d.role, field, why: d.why };
  });

  const problems: string[] = [];
  if (id.column === null) problems.push(`no id column: ${id.why}. Add a column of unique record ids (named "id") or pass --config`);
  if (rules.length === 0) {
    const found = columns.filter((c) => c.field !== null).map((c) => `${JSON.stringify(c.column)} (${c.field})`);
    problems.push(
      `nothing to match on: ${found.length === 0 ? 'no column was recognized' : `only ${found.join(', ')}`}. ` +
        'Needed: an e-mail, phone, national id or website column, a name (first and last name, full name or company name) ' +
        'or a street with a postcode. Rename the columns (docs/matching.md lists the names) or pass --config',
    );
  }
  if (problems.length > 0) {
    throw new ConfigInferenceError(`cannot infer a matcher config from the columns ${all.map((c) => JSON.stringify(c)).join(', ')}:\n  ${problems.join('\n  ')}`, columns);
  }

  const json: MatcherConfigInput = {
    version: 1,
    id: id.column!,
    csv: { delimiter: options.delimiter ?? ',', trim: true },
    fields,
    blocking: { rules, maxBlockPairs: 250_000 },
    em: { maxIterations: 100, tolerance: 1e-6, randomPairs: 1_000_000, seed: 1 },
    thresholds: { link: 0.99, review: 0.5 },
    clustering: { guard: true },
  };
  return { config: parseMatcherConfig(json, 'inferred config'), json, columns, source: 'inferred' };
}

// ---------------------------------------------------------------------------------------------
// Reading a sample

/** The delimiter of a header line: the most frequent of , ; tab | outside quotes (',' when none). */
export function detectDelimiter(headerLine: string): string {
  const counts = new Map<string, number>();
  let quoted = false;
  for (const ch of headerLine) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === ',' || ch === ';' || ch === '\t' || ch === '|')) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  }
  let best = ',';
  let most = 0;
  for (const [d, n] of counts) {
    if (n > most) {
      best = d;
      most = n;
    }
  }
  return best;
}

/**
 * The header and first `maxRows` rows of CSV text, and its delimiter. Only the text up to the
 * row limit is parsed; a row cut short there (a quoted line break) is dropped.
 */
export function csvSample(text: string, maxRows = INFERENCE_SAMPLE_ROWS): InferenceSample & { delimiter: string } {
  const firstBreak = text.indexOf('\n');
  const delimiter = detectDelimiter(firstBreak < 0 ? text : text.slice(0, firstBreak));
  const table = parseCsv(text, { delimiter, trim: true });
  // Rows spread evenly over the file, not its head: exports are often sorted by source or date,
  // and a column empty in the first rows may be full further down.
  const step = Math.max(1, table.rows.length / maxRows);
  const picked: typeof table.rows = [];
  for (let k = 0; k < Math.min(maxRows, table.rows.length); k++) picked.push(table.rows[Math.floor(k * step)]!);
  const rows = picked.map((r) => Object.fromEntries(table.header.map((h, j) => [h, r.cells[j] ?? ''])));
  return { header: table.header, rows, delimiter };
}

// Company names: a display form (the name people use, without the legal form) and a match key.
import { cleanText, foldDiacritics, isAllLower, isAllUpper, titleCase } from './text.ts';

/**
 * Legal forms that end a registered name, longest first. Matched as whole trailing words, with
 * or without a comma before and a dot after ("Acme, Inc.", "Acme Inc", "Acme GmbH").
 */
const LEGAL_FORMS: readonly string[] = [
  'Incorporated', 'Inc', 'LLC', 'L.L.C', 'LLP', 'Ltd', 'Limited', 'PLC', 'GmbH', 'AG', 'KG', 'S.A', 'SA', 'SAS', 'SARL',
  'B.V', 'BV', 'N.V', 'NV', 'Pty Ltd', 'Pty', 'S.r.l', 'SpA', 'Oy', 'AB', 'ULC', 'Corp',
];

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A legal form at the end, after a comma or a space. "Corp" only after a comma: without one it names the business ("Acme Corp."). */
const LEGAL_TAIL = new RegExp(`(?:,\\s*(?:${LEGAL_FORMS.map(escape).join('|')})|\\s+(?:${LEGAL_FORMS.filter((f) => f !== 'Corp').map(escape).join('|')}))\\.?$`, 'i');

/** Abbreviations of the last word of a business name → the word. "Acme Corp." → "Acme Corporation". */
const ABBREVIATIONS: Readonly<Record<string, string>> = {
  'corp.': 'Corporation', corp: 'Corporation', 'co.': 'Company', co: 'Company', 'intl.': 'International', intl: 'International',
  'mfg.': 'Manufacturing', mfg: 'Manufacturing', 'inds.': 'Industries', 'assoc.': 'Associates', 'sys.': 'Systems',
  grp: 'Group', 'bros.': 'Brothers', 'svcs.': 'Services', svcs: 'Services', 'mgmt.': 'Management', mgmt: 'Management',
};

/** A trailing legal form including "Corp." without a comma: for names known to end in their legal form. */
const LEGAL_TAIL_STRICT = new RegExp(`(?:,\\s*|\\s+)(?:${LEGAL_FORMS.map(escape).join('|')})\\.?$`, 'i');

/** Strip every trailing legal form: "Acme Traders, Inc." → "Acme Traders"; "Acme Corporation Corp." keeps "Corporation". */
export function stripLegalForm(name: string): string {
  let s = name;
  for (let i = 0; i < 3; i++) {
    const next = s.replace(LEGAL_TAIL, '').trim();
    if (next === s || next === '') break;
    s = next;
  }
  return s;
}

/**
 * Text typed in one case gets title case ("ACME TRADERS" → "Acme Traders"), except a lone short
 * word, which is an acronym ("IBM"); in mixed text, all-caps words longer than an acronym get
 * title case ("ACME Corp." → "Acme Corp.").
 */
function fixWordCase(s: string): string {
  if (isAllUpper(s) && !s.includes(' ') && s.length <= 4) return s;
  if (isAllUpper(s) || isAllLower(s)) return titleCase(s);
  return s.split(' ').map((w) => (w.length >= 4 && isAllUpper(w) ? titleCase(w) : w)).join(' ');
}

/**
 * The name to show: trimmed, one case fixed, the legal form and a leading "The" of
 * "The … Company/Group" dropped, the abbreviated last word spelled out.
 * "THE ACME COMPANY, INC." → "Acme Company"; "acme corp." → "Acme Corporation".
 */
export function companyDisplayName(raw: unknown): string | null {
  const text = cleanText(raw);
  if (text === null) return null;
  let s = stripLegalForm(fixWordCase(text));
  if (/^the\s/i.test(s) && /\s(company|co\.?|group|grp)$/i.test(s)) s = s.slice(4);
  const words = s.split(' ');
  const last = words[words.length - 1];
  if (words.length >= 2 && last !== undefined) {
    const full = ABBREVIATIONS[last.toLowerCase()];
    if (full !== undefined) words[words.length - 1] = full;
  }
  s = words.join(' ').replace(/\s+,/g, ',').replace(/,$/, '').trim();
  return s === '' ? null : s;
}

/**
 * The display name from a registered name, which always ends in its legal form (an ERP's
 * `legal_name`): that form is dropped even where it could name the business ("Acme Traders
 * Corp." → "Acme Traders"; "Acme Corporation Corp." → "Acme Corporation").
 */
export function companyNameFromLegalName(raw: unknown): string | null {
  const text = cleanText(raw);
  if (text === null) return null;
  const stripped = text.replace(LEGAL_TAIL_STRICT, '').trim();
  return companyDisplayName(stripped === '' ? text : stripped);
}

/** The registered (legal) name as written, whitespace cleaned: "Acme Traders,  Inc. " → "Acme Traders, Inc.". */
export function companyLegalName(raw: unknown): string | null {
  return cleanText(raw);
}

/** Words that say what kind of entity it is, not which one: dropped from the match key. */
/** Abbreviations spelled out in the match key, so "Acme Mfg." and "Acme Manufacturing" meet. */
const KEY_WORDS: Readonly<Record<string, string>> = {
  mfg: 'manufacturing', intl: 'international', inds: 'industries', assoc: 'associates', sys: 'systems', grp: 'group',
  tech: 'technologies', labs: 'laboratories', pharma: 'pharmaceuticals', svcs: 'services', mgmt: 'management', bros: 'brothers',
};

const ENTITY_WORDS = new Set([
  'the', 'inc', 'incorporated', 'llc', 'llp', 'ltd', 'limited', 'plc', 'gmbh', 'ag', 'kg', 'sa', 'sas', 'sarl', 'bv', 'nv',
  'pty', 'srl', 'spa', 'oy', 'ab', 'ulc', 'corp', 'corporation', 'co', 'company',
]);

/**
 * A key for matching, not a name to show: lower case, diacritics folded, punctuation dropped,
 * legal forms and "the/company/corporation" dropped. "The Acme Company, Inc." → "acme".
 * Look-alikes ("Northwind Traders" / "Northwind Logistics") keep different keys; telling
 * similar keys apart is identity's job.
 */
export function companyMatchKey(raw: unknown): string | null {
  const text = cleanText(raw);
  if (text === null) return null;
  const words = foldDiacritics(text.toLowerCase())
    .replace(/&/g, ' and ')
    .replace(/['’]/g, '')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim()
    .split(' ')
    .filter((w) => w !== '' && !ENTITY_WORDS.has(w))
    .map((w) => KEY_WORDS[w] ?? w);
  return words.length === 0 ? null : words.join(' ');
}

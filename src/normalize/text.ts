// Small text helpers the other normalizers share. Pure; no locale data beyond what is written here.

/** Trim and collapse every run of whitespace to one space; `null` for empty or non-strings. */
export function cleanText(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  const s = raw.replace(/\s+/g, ' ').trim();
  return s === '' ? null : s;
}

/** Remove diacritics: "Müller" → "Muller", "Montréal" → "Montreal" (ß → ss). */
export function foldDiacritics(s: string): string {
  return s.normalize('NFD').replace(/\p{M}/gu, '').replace(/ß/g, 'ss');
}

/** True when the text has letters and every letter is upper case ("ACME CORP."). */
export function isAllUpper(s: string): boolean {
  return /\p{L}/u.test(s) && s === s.toUpperCase() && s !== s.toLowerCase();
}

/** True when the text has letters and every letter is lower case ("acme corp."). */
export function isAllLower(s: string): boolean {
  return /\p{L}/u.test(s) && s === s.toLowerCase() && s !== s.toUpperCase();
}

/**
 * Words kept lower case inside a title-cased name ("Frankfurt am Main", "Newcastle upon Tyne",
 * "Van der Berg"), except as the first word.
 */
const SMALL_WORDS = new Set(['am', 'an', 'der', 'den', 'des', 'die', 'von', 'van', 'de', 'du', 'la', 'le', 'of', 'and', 'upon', 'on', 'the', 'im', 'bei', 'zu']);

function capitaliseWord(w: string): string {
  // Hyphenated and apostrophe parts each get a capital: "Saint-Laurent", "O'Brien".
  return w.replace(/(^|[-'’])(\p{L})/gu, (_m, sep: string, ch: string) => sep + ch.toUpperCase());
}

/**
 * Title case for text typed in one case: every word capitalised, small connecting words
 * lower case unless first. "FRANKFURT AM MAIN" → "Frankfurt am Main".
 */
export function titleCase(s: string): string {
  return s
    .toLowerCase()
    .split(' ')
    .map((w, i) => (i > 0 && SMALL_WORDS.has(w) ? w : capitaliseWord(w)))
    .join(' ');
}

/**
 * Title-case text that was typed all in one case; leave mixed-case text as written (its
 * capitals carry information: "McDonald", "MacLeod", "de Luca").
 */
export function fixCase(s: string): string {
  return isAllUpper(s) || isAllLower(s) ? titleCase(s) : s;
}

/**
 * A key for comparing free text: lower case, diacritics folded, apostrophes dropped, every other
 * run of non-alphanumerics one space. "  St. James’  Court " → "st james court". `null` when empty.
 */
export function textMatchKey(raw: unknown): string | null {
  if (typeof raw !== 'string' && typeof raw !== 'number') return null;
  const k = foldDiacritics(String(raw).toLowerCase()).replace(/['’]/g, '').replace(/[^a-z0-9]+/g, ' ').trim();
  return k === '' ? null : k;
}

/** The digits of a value, `null` when it has none: "(415) 555-0134" → "4155550134", "7364009" → "7364009". */
export function digitsOnly(raw: unknown): string | null {
  if (typeof raw !== 'string' && typeof raw !== 'number') return null;
  const d = String(raw).replace(/\D+/g, '');
  return d === '' ? null : d;
}

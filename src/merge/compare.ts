// When two canonical values agree (no conflict). Implements the comparators a field spec may name.
import type { ComparatorName } from '../mapping/index.ts';
import { companyMatchKey, emailMatchKey, foldDiacritics, personNameKey } from '../normalize/index.ts';

/** Stable JSON (sorted keys), so structurally equal values compare equal. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'undefined';
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
}

const field = (v: unknown, k: string): unknown => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined);

/** Name-like tokens of a person: the words of the name and of the e-mail's local part. */
function personTokens(v: unknown): string[] {
  const out: string[] = [];
  const name = personNameKey(field(v, 'name'));
  if (name !== null) out.push(...name.split(' '));
  const email = field(v, 'email');
  if (typeof email === 'string') {
    const local = foldDiacritics(email.slice(0, email.indexOf('@')).toLowerCase());
    out.push(...local.split(/[^a-z]+/));
  }
  return out.filter((t) => t.length >= 3);
}

/** The first name a contact shows: the name's first word, else the first of two or more e-mail words. */
function firstNameToken(v: unknown): string | null {
  const name = personNameKey(field(v, 'name'));
  if (name !== null && name.includes(' ')) return name.split(' ')[0]!;
  const email = field(v, 'email');
  if (typeof email !== 'string') return null;
  const words = foldDiacritics(email.slice(0, email.indexOf('@')).toLowerCase()).split(/[^a-z]+/).filter((w) => w !== '');
  return words.length >= 2 ? words[0]! : null;
}

/** The last name a contact shows: the name's last word, else the last of two or more e-mail words. */
function lastNameToken(v: unknown): string | null {
  const name = personNameKey(field(v, 'name'));
  if (name !== null && name.includes(' ')) return name.split(' ').pop()!;
  const email = field(v, 'email');
  if (typeof email !== 'string') return null;
  const words = foldDiacritics(email.slice(0, email.indexOf('@')).toLowerCase()).split(/[^a-z]+/).filter((w) => w !== '');
  return words.length >= 2 ? words[words.length - 1]! : null;
}

const overlaps = (x: string, y: string): boolean => x === y || (x.length > y.length ? x.includes(y) : y.includes(x));

/**
 * Same person: the same e-mail (match key), else the same name, else a name-like token shared
 * between them ("jsmith@" and "Jon Smith" share "smith") with no clash of first names
 * ("joseph.white@" is not "Christina White") or last names ("sean.williams@" is not "Sean
 * Peterson"): an old address of the same person is a stale e-mail, not a different billing
 * contact. Nicknames ("Bob" / "robert.") count as a clash until identity matching (issue #4)
 * brings name families.
 */
function samePerson(a: unknown, b: unknown): boolean {
  const ea = emailMatchKey(field(a, 'email')), eb = emailMatchKey(field(b, 'email'));
  if (ea !== null && ea === eb) return true;
  const na = personNameKey(field(a, 'name')), nb = personNameKey(field(b, 'name'));
  if (na !== null && na === nb) return true;
  const fa = firstNameToken(a), fb = firstNameToken(b);
  if (fa !== null && fb !== null && !fa.startsWith(fb) && !fb.startsWith(fa)) return false;
  const ta = personTokens(a), tb = personTokens(b);
  const la = lastNameToken(a), lb = lastNameToken(b);
  if (la !== null && lb !== null && !tb.some((y) => overlaps(la, y)) && !ta.some((x) => overlaps(lb, x))) return false;
  return ta.some((x) => tb.some((y) => overlaps(x, y)));
}

export const COMPARATOR_IMPLS: Readonly<Record<ComparatorName, (a: unknown, b: unknown) => boolean>> = {
  value: (a, b) => canonicalJson(a) === canonicalJson(b),
  emailMatchKey: (a, b) => emailMatchKey(a) === emailMatchKey(b),
  companyMatchKey: (a, b) => companyMatchKey(a) === companyMatchKey(b),
  person: samePerson,
};

// People's names: a display form, a match key, and the formal names a nickname stands for
// (Bob → Robert), from the hand-written name-family table in nicknames.ts.
import { formalGivenNames } from './nicknames.ts';
import { cleanText, fixCase, foldDiacritics } from './text.ts';

/** Trimmed, whitespace collapsed, one-case text title-cased, diacritics kept: "JOSÉ  CÔTÉ" → "José Côté". */
export function personName(raw: unknown): string | null {
  const s = cleanText(raw);
  return s === null ? null : fixCase(s);
}

/** "First Last" from separate parts, either of which may be missing. */
export function personNameFromParts(first: unknown, last: unknown): string | null {
  const parts = [cleanText(first), cleanText(last)].filter((p): p is string => p !== null);
  return parts.length === 0 ? null : personName(parts.join(' '));
}

/** A key for comparing names: lower case, diacritics folded, punctuation dropped. "Sean O'Brien" → "sean obrien". */
export function personNameKey(raw: unknown): string | null {
  const s = cleanText(raw);
  if (s === null) return null;
  const k = foldDiacritics(s.toLowerCase()).replace(/['’.]/g, '').replace(/[^a-z0-9]+/g, ' ').trim();
  return k === '' ? null : k;
}

/**
 * The formal given names a first name can stand for, as match keys: "Bob" → ["robert"],
 * "Liz" → ["elizabeth"], "Jon" → ["john", "jonathan"], "Al" → ["alan", "albert", "alexander"],
 * "José" → ["jose"]. Only the first word is read ("Mary Anne" → ["mary"]). Two first names can be
 * one person's when their lists share a name. `[]` for no name.
 */
export function givenNameVariants(raw: unknown): readonly string[] {
  const key = personNameKey(raw);
  if (key === null) return [];
  return formalGivenNames(key.split(' ')[0]!);
}

/** One key per name family, for blocking and exact comparison: the first of `givenNameVariants`. "Bob" → "robert". */
export function givenNameMatchKey(raw: unknown): string | null {
  return givenNameVariants(raw)[0] ?? null;
}

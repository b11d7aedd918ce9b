// People's names: a display form and a match key. Nicknames (Bob/Robert) are not resolved
// here: that needs a name-family table and belongs to identity matching.
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

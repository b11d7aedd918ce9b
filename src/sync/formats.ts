// Golden values back into each system's own format (the field spec's write formats,
// src/mapping/catalog.ts WRITE_FORMATS). Pure.
import type { SourcePath, WriteFormatName } from '../mapping/index.ts';
import { getPath, parsePath } from '../mapping/index.ts';
import { normalizeEmail, normalizePhone } from '../normalize/index.ts';

/** The paths a target writes, in a stable order. */
export function targetPaths(path: SourcePath): string[] {
  return typeof path === 'string' ? [path] : Object.values(path);
}

const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null);

interface CanonicalAddress {
  line1?: unknown;
  line2?: unknown;
  city?: unknown;
  region?: unknown;
  postalCode?: unknown;
  country?: unknown;
}

function addressPart(a: CanonicalAddress, part: string): string | null {
  if (part === 'street') {
    const lines = [str(a.line1), str(a.line2)].filter((l): l is string => l !== null);
    return lines.length === 0 ? null : lines.join('\n');
  }
  return str((a as Record<string, unknown>)[part]);
}

/**
 * Target path → the value to send, for a golden `value` in `format`. A part the golden value
 * lacks is null (the writer clears it), so what is written reads back as the golden value.
 * Throws TypeError when the value is not of the format's type (the spec's checks make that a bug).
 */
export function toTargetValues(format: WriteFormatName, value: unknown, path: SourcePath): Record<string, unknown> {
  switch (format) {
    case 'text':
    case 'email':
    case 'e164': {
      if (typeof path !== 'string') throw new TypeError(`${format} writes one path`);
      const s = str(value);
      if (s === null) throw new TypeError(`${format}: not a string value`);
      // Canonical values are already in these forms; normalizing again keeps the writer honest.
      const out = format === 'email' ? normalizeEmail(s) : format === 'e164' ? (s.startsWith('+') ? normalizePhone(s, 'US') : null) : s;
      if (out === null) throw new TypeError(`${format}: ${JSON.stringify(s)} is not a valid ${format === 'email' ? 'e-mail address' : 'E.164 number'}`);
      return { [path]: out };
    }
    case 'address': {
      if (typeof path === 'string') throw new TypeError('address writes an object of parts');
      if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new TypeError('address: not an address value');
      const out: Record<string, unknown> = {};
      for (const [part, p] of Object.entries(path)) out[p] = addressPart(value, part);
      return out;
    }
  }
}

/** The value at `path` in a record's data as a writer compares it: trimmed text, null for empty. */
export function currentValue(data: Record<string, unknown>, path: string): unknown {
  const v = getPath(data, path);
  if (v === undefined || v === null) return null;
  return typeof v === 'string' ? (v.trim() === '' ? null : v.trim()) : v;
}

/** Whether two raw values are the same for a write: equal after trimming; empty equals null. */
export function sameRaw(a: unknown, b: unknown): boolean {
  const x = typeof a === 'string' ? (a.trim() === '' ? null : a.trim()) : (a ?? null);
  const y = typeof b === 'string' ? (b.trim() === '' ? null : b.trim()) : (b ?? null);
  return JSON.stringify(x) === JSON.stringify(y);
}

/**
 * Whether the record has the object a path writes into: a path through an array element
 * (Salesforce `Contacts[0].Email`) needs that element, since writing it updates a related
 * record that must exist. Plain nested paths (Stripe `address.line1`) are created by the write.
 */
export function targetExists(data: Record<string, unknown>, path: string): boolean {
  const steps = parsePath(path);
  if (steps === null) return false;
  const lastIndex = steps.map((s) => typeof s === 'number').lastIndexOf(true);
  if (lastIndex === -1) return true;
  let prefix = '';
  for (const step of steps.slice(0, lastIndex + 1)) prefix += typeof step === 'number' ? `[${step}]` : prefix === '' ? step : `.${step}`;
  const element = getPath(data, prefix);
  return element !== null && typeof element === 'object';
}

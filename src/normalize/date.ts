// Timestamps as ISO-8601 UTC with milliseconds ("2025-03-04T10:11:12.000Z"), whatever each
// system writes: Salesforce "…+0000", Zendesk "…Z", Stripe unix seconds, Postgres Date objects.

/** A time as both forms (the ISO text and its epoch milliseconds), or nulls for a non-time. */
interface Instant {
  iso: string | null;
  ms: number | null;
}
const NOT_A_TIME: Instant = { iso: null, ms: null };

/**
 * Strings read before, with their instants: a merge reads each record's timestamp for every
 * field it compares and sorts by (tens of times per record), and V8's Date.parse is the
 * largest part of a merge otherwise. Pure, so a plain bounded memo (emptied when full).
 */
const readStrings = new Map<string, Instant>();
const READ_STRINGS_MAX = 4_096;

function instantOfString(raw: string): Instant {
  let known = readStrings.get(raw);
  if (known === undefined) {
    const s = raw.trim();
    // "+0000" (Salesforce) is ISO-8601 basic-format offset; Date.parse wants "+00:00".
    const ms = /^\d{4}-\d{2}-\d{2}/.test(s) ? Date.parse(s.replace(/([+-]\d{2})(\d{2})$/, '$1:$2')) : NaN;
    known = Number.isFinite(ms) ? { iso: new Date(ms).toISOString(), ms } : NOT_A_TIME;
    if (readStrings.size >= READ_STRINGS_MAX) readStrings.clear();
    readStrings.set(raw, known);
  }
  return known;
}

/** Epoch milliseconds of a time, or null: strings through the memo, Dates and unix seconds directly. */
function epochOf(raw: unknown): number | null {
  if (typeof raw === 'string') return instantOfString(raw).ms;
  // new Date: whole milliseconds, NaN past the range a Date holds.
  const ms = raw instanceof Date ? raw.getTime() : typeof raw === 'number' ? new Date(raw * 1000).getTime() : NaN;
  return Number.isFinite(ms) ? ms : null;
}

/**
 * ISO-8601 UTC, or `null` for anything that is not a time. Numbers are unix seconds (Stripe's
 * unit); a date-only string is midnight UTC.
 */
export function toIsoUtc(raw: unknown): string | null {
  if (typeof raw === 'string') return instantOfString(raw).iso;
  const ms = epochOf(raw);
  return ms === null ? null : new Date(ms).toISOString();
}

/** Milliseconds since the epoch of a time `toIsoUtc` accepts; `null` otherwise. */
export function toEpochMs(raw: unknown): number | null {
  return epochOf(raw);
}

/** A calendar date without a time or zone (a date of birth, a contract start). */
export interface CalendarDate {
  year: number;
  month: number;
  day: number;
}

/** How to read an all-numeric date with separators: "03/04/1990" is 3 April in DMY, 4 March in MDY. */
export type DateOrder = 'DMY' | 'MDY' | 'YMD';

function calendarDate(year: number, month: number, day: number): CalendarDate | null {
  if (!Number.isInteger(year) || year < 1000 || year > 9999 || month < 1 || month > 12 || day < 1) return null;
  // Day 0 of the next month is the last day of this one (leap years included).
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day <= last ? { year, month, day } : null;
}

/**
 * A calendar date as people and systems write it: "19081209" (YYYYMMDD, Febrl and most
 * exports), "1908-12-09", "1908/12/09", "09/12/1908" and "09.12.1908" (read in `order`, default
 * DMY), ISO timestamps (their date part), Date objects (their UTC date). `null` for anything
 * that is not a real date: "19080231", "", "1908".
 */
export function parseCalendarDate(raw: unknown, order: DateOrder = 'DMY'): CalendarDate | null {
  if (raw instanceof Date) {
    const t = raw.getTime();
    return Number.isFinite(t) ? calendarDate(raw.getUTCFullYear(), raw.getUTCMonth() + 1, raw.getUTCDate()) : null;
  }
  if (typeof raw !== 'string' && typeof raw !== 'number') return null;
  const s = String(raw).trim();
  let m = /^(\d{4})(\d{2})(\d{2})$/.exec(s) ?? /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:$|[T ])/.exec(s);
  if (m !== null) return calendarDate(Number(m[1]), Number(m[2]), Number(m[3]));
  m = /^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$/.exec(s);
  if (m === null) return null;
  const [a, b, year] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return order === 'MDY' ? calendarDate(year, a, b) : calendarDate(year, b, a);
}

/** "YYYY-MM-DD" for a date `parseCalendarDate` reads; `null` otherwise. "19081209" → "1908-12-09". */
export function toIsoDate(raw: unknown, order: DateOrder = 'DMY'): string | null {
  const d = parseCalendarDate(raw, order);
  if (d === null) return null;
  return `${String(d.year).padStart(4, '0')}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;
}

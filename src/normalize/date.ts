// Timestamps as ISO-8601 UTC with milliseconds ("2025-03-04T10:11:12.000Z"), whatever each
// system writes: Salesforce "…+0000", Zendesk "…Z", Stripe unix seconds, Postgres Date objects.

/**
 * ISO-8601 UTC, or `null` for anything that is not a time. Numbers are unix seconds (Stripe's
 * unit); a date-only string is midnight UTC.
 */
export function toIsoUtc(raw: unknown): string | null {
  let ms: number;
  if (raw instanceof Date) ms = raw.getTime();
  else if (typeof raw === 'number') ms = raw * 1000;
  else if (typeof raw === 'string') {
    const s = raw.trim();
    if (!/^\d{4}-\d{2}-\d{2}/.test(s)) return null;
    // "+0000" (Salesforce) is ISO-8601 basic-format offset; Date.parse wants "+00:00".
    ms = Date.parse(s.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  } else return null;
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

/** Milliseconds since the epoch of a time `toIsoUtc` accepts; `null` otherwise. */
export function toEpochMs(raw: unknown): number | null {
  const iso = toIsoUtc(raw);
  return iso === null ? null : Date.parse(iso);
}

// Salesforce's REST error shapes and the wire format of its values.
// https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm

/** One error as the REST API reports it (`statusCode` inside collection results). */
export interface SfErrorItem {
  errorCode: string;
  message: string;
  fields?: string[];
}

/** A failed call: HTTP status plus Salesforce's `[{message, errorCode, fields?}]` body. */
export class SfApiError extends Error {
  readonly status: number;
  readonly errorCode: string;
  readonly fields: string[] | undefined;

  constructor(status: number, errorCode: string, message: string, fields?: string[]) {
    super(message);
    this.name = 'SfApiError';
    this.status = status;
    this.errorCode = errorCode;
    this.fields = fields;
  }

  /** The body of a single-resource error answer. */
  body(): Record<string, unknown>[] {
    return [{ message: this.message, errorCode: this.errorCode, ...(this.fields ? { fields: this.fields } : {}) }];
  }

  /** The entry inside a collection result (`errors: [{statusCode, message, fields}]`). */
  collectionError(): { statusCode: string; message: string; fields: string[] } {
    return { statusCode: this.errorCode, message: this.message, fields: this.fields ?? [] };
  }
}

export const notFoundError = (): SfApiError => new SfApiError(404, 'NOT_FOUND', 'The requested resource does not exist');

export const entityDeletedError = (): SfApiError => new SfApiError(404, 'ENTITY_IS_DELETED', 'entity is deleted', []);

export const sessionError = (): SfApiError => new SfApiError(401, 'INVALID_SESSION_ID', 'Session expired or invalid');

export function jsonParserError(message: string): SfApiError {
  return new SfApiError(400, 'JSON_PARSER_ERROR', message);
}

/**
 * Salesforce writes datetimes as `2024-01-15T10:30:00.000+0000` (always UTC, offset without
 * a colon); clients that validate ISO-8601 strictly must cope, so the emulator does the same.
 */
export function toSfDateTime(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  return new Date(ms).toISOString().replace('Z', '+0000');
}

/** Parses what Salesforce accepts for a datetime (ISO-8601 with Z, ±hh:mm or ±hhmm, or a date). */
export function parseSfDateTime(value: string): number | null {
  const m = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}:?\d{2})?)?$/.exec(value);
  if (!m) return null;
  const [, date, time, zone] = m;
  let z = zone ?? 'Z';
  if (/^[+-]\d{4}$/.test(z)) z = `${z.slice(0, 3)}:${z.slice(3)}`;
  const ms = Date.parse(time ? `${date}T${time}${z}` : `${date}T00:00:00Z`);
  return Number.isNaN(ms) ? null : ms;
}

export function isValidDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(value);
}

/** Text of a stored scalar (records hold strings, numbers, booleans and null only). */
export function scalarText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v) ?? '';
}

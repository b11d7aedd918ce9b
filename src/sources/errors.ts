// Errors a connector returns per key (never throws for one bad key). Each carries a code from
// CONTRACT.md's list in `extensions.code`, the system it came from, and what a caller needs to
// decide what to do next (retry after, upstream status/code). Shared by every connector.
import type { z } from 'zod';
import type { SystemId } from '../domain/records.ts';

export type SourceErrorCode = 'SOURCE_UNAVAILABLE' | 'RATE_LIMITED' | 'BAD_USER_INPUT';

export interface SourceErrorDetails {
  /** HTTP status the system answered, when there was an answer. */
  status?: number | null;
  /** The system's own error code (`REQUEST_LIMIT_EXCEEDED`, `RecordNotFound` …). */
  upstreamCode?: string | null;
  /** Seconds a 503 asked the caller to wait (Retry-After), when it said. */
  retryAfterSeconds?: number | null;
  /** What happened in our own words, safe for clients and /readyz (server/errors.ts publicReason), when the connector knows. */
  publicReason?: string;
  cause?: unknown;
}

export class SourceError extends Error {
  readonly code: SourceErrorCode;
  readonly system: SystemId;
  readonly status: number | null;
  readonly upstreamCode: string | null;
  readonly publicReason?: string;

  constructor(code: SourceErrorCode, system: SystemId, message: string, details: SourceErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'SourceError';
    this.code = code;
    this.system = system;
    this.status = details.status ?? null;
    this.upstreamCode = details.upstreamCode ?? null;
    if (details.publicReason !== undefined) this.publicReason = details.publicReason;
  }

  get extensions(): { code: SourceErrorCode; system: SystemId } {
    return { code: this.code, system: this.system };
  }
}

/** The system answered, but not with data: down, 5xx, auth failure, or a payload we cannot read. */
export class SourceUnavailableError extends SourceError {
  /** Seconds the system asked us to wait before trying again (a 503's Retry-After), null when it did not say. */
  readonly retryAfterSeconds: number | null;
  constructor(system: SystemId, message: string, details: SourceErrorDetails = {}) {
    super('SOURCE_UNAVAILABLE', system, message, details);
    this.name = 'SourceUnavailableError';
    this.retryAfterSeconds = details.retryAfterSeconds ?? null;
  }
}

/** One record failed validation against the raw-payload schema; other keys are unaffected. */
export class InvalidSourceRecordError extends SourceError {
  /** Dotted path of the first offending field, e.g. `Contacts.records.0.Email`. */
  readonly field: string;
  constructor(system: SystemId, recordId: string, field: string, problem: string) {
    super('SOURCE_UNAVAILABLE', system, `${system} record ${recordId}: field ${field}: ${problem}`, { upstreamCode: 'INVALID_RECORD' });
    this.name = 'InvalidSourceRecordError';
    this.field = field;
  }
}

/**
 * A zod failure as the error of the one record it concerns, naming its first bad field: the one
 * way every connector turns a raw payload that fails its schema into a per-record error.
 * `prefix`: where the parsed value sits in the record (`Contacts.records.3`); `whole`: what
 * names the record itself when the problem has no path.
 */
export function invalidRecord(system: SystemId, recordId: string, error: z.ZodError, prefix: readonly (string | number)[] = [], whole = '(record)'): InvalidSourceRecordError {
  const issue = error.issues[0];
  const path = [...prefix, ...(issue?.path ?? [])].map(String).join('.') || whole;
  return new InvalidSourceRecordError(system, recordId, path, issue?.message ?? 'invalid');
}

/** The system refused because of a rate limit. */
export class SourceRateLimitedError extends SourceError {
  /** Seconds the system asked us to wait (Retry-After), null when it did not say. */
  readonly retryAfterSeconds: number | null;
  /** `retryAfterSeconds` from the moment of the answer, by the connector's clock. */
  readonly retryAt: Date | null;
  constructor(system: SystemId, message: string, retryAfterSeconds: number | null, now: Date, details: SourceErrorDetails = {}) {
    super('RATE_LIMITED', system, message, details);
    this.name = 'SourceRateLimitedError';
    this.retryAfterSeconds = retryAfterSeconds;
    this.retryAt = retryAfterSeconds === null ? null : new Date(now.getTime() + retryAfterSeconds * 1000);
  }
}

/** The key itself cannot name a record of this system (wrong id format); no call was made for it. */
export class InvalidSourceIdError extends SourceError {
  readonly id: string;
  constructor(system: SystemId, id: string, expected: string) {
    super('BAD_USER_INPUT', system, `${system}: ${JSON.stringify(id)} is not ${expected}`);
    this.name = 'InvalidSourceIdError';
    this.id = id;
  }
}

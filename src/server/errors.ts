// One enum of error codes (CONTRACT.md), small error classes that set extensions.code.
// Anything else thrown inside a resolver is masked for clients and logged (its name and message).
import { GraphQLError } from 'graphql';
import type { SystemId } from '../domain/records.ts';
import { systemEnum } from '../sources/types.ts';
import { InvalidSourceRecordError, SourceError, SourceRateLimitedError } from '../sources/errors.ts';
import { oneLine } from '../observability/redact.ts';
import { CircuitOpenError, TimeoutError } from '../resilience/index.ts';

export const ErrorCode = {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  SOURCE_UNAVAILABLE: 'SOURCE_UNAVAILABLE',
  READ_ONLY_SYSTEM: 'READ_ONLY_SYSTEM',
  CONFLICT: 'CONFLICT',
  RATE_LIMITED: 'RATE_LIMITED',
  // Refused before execution by the operation limits (src/limits/, docs/limits.md): nothing ran.
  COST_LIMIT_EXCEEDED: 'COST_LIMIT_EXCEEDED',
  DEPTH_LIMIT_EXCEEDED: 'DEPTH_LIMIT_EXCEEDED',
  ALIAS_LIMIT_EXCEEDED: 'ALIAS_LIMIT_EXCEEDED',
  DOCUMENT_TOO_LARGE: 'DOCUMENT_TOO_LARGE',
  TOKEN_LIMIT_EXCEEDED: 'TOKEN_LIMIT_EXCEEDED',
  VARIABLES_TOO_DEEP: 'VARIABLES_TOO_DEEP',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class BadUserInputError extends GraphQLError {
  /** `reason` may already start with the argument's name (the stores' errors do): it is said once. */
  constructor(argument: string, reason: string) {
    const own = reason.startsWith(`${argument}: `) ? reason.slice(argument.length + 2) : reason;
    super(`Invalid argument ${argument}: ${own}`, { extensions: { code: ErrorCode.BAD_USER_INPUT, argument } });
  }
}

export class NotFoundError extends GraphQLError {
  constructor(what: string, id: string) {
    super(`No ${what} with id ${JSON.stringify(id)}`, { extensions: { code: ErrorCode.NOT_FOUND } });
  }
}

/** The request is valid but the thing it acts on is not in a state that allows it; `extensions` say which. */
export class ConflictError extends GraphQLError {
  constructor(message: string, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { ...extensions, code: ErrorCode.CONFLICT } });
  }
}

/**
 * A system could not answer, as the client sees it: the GraphQL face of the connectors' one
 * SourceUnavailableError (src/sources/errors.ts), which it wraps when there is one. Clients get
 * the code, the system and what happened in our own words (publicReason); what the system or
 * its SDK said (`detail`: internal hosts, masked keys, upstream error text) goes only to the
 * log, redacted.
 */
export class SourceUnavailableGraphQLError extends GraphQLError {
  readonly system: SystemId;
  /** The whole reason, for the log. */
  readonly detail: string;
  /** `cause`: the connector's own error, when there was one (e.g. an InvalidSourceRecordError). */
  constructor(system: SystemId, reason: string, cause?: Error) {
    const said = publicReason(cause ?? reason);
    super(said ? `${systemEnum(system)} is unavailable: ${said}` : `${systemEnum(system)} is unavailable`, {
      extensions: { code: ErrorCode.SOURCE_UNAVAILABLE, system: systemEnum(system) },
      ...(cause ? { originalError: cause } : {}),
    });
    this.system = system;
    this.detail = cause && cause.message !== reason ? `${reason} (${cause.message})` : reason;
  }
}

/**
 * Our own wording of a timeout or an open circuit, safe to show as it is. Errors that know what a
 * client may read say it themselves (a `publicReason` property); these are for bare messages.
 */
const OWN_WORDS = [/^no answer within \d+ ms$/, /^circuit open\b[^\n]{0,100}$/];

/**
 * What happened to a call, in words that name no host, key or upstream text: safe for clients
 * and /readyz. null when nothing more than "unavailable" can be said safely.
 */
export function publicReason(e: unknown): string | null {
  if (typeof e === 'string') return OWN_WORDS.some((w) => w.test(e)) ? e : null;
  if (!(e instanceof Error)) return null;
  // An error may say itself what a client may read (e.g. the Salesforce session's login state).
  if ('publicReason' in e && typeof e.publicReason === 'string') return e.publicReason;
  if (e instanceof SourceUnavailableGraphQLError) return publicReason(e.originalError ?? e.detail);
  if (e instanceof CircuitOpenError) return 'circuit open after repeated failures; not called';
  if (e instanceof TimeoutError) return `no answer within ${e.timeoutMs} ms`;
  if (e.name === 'TimeoutError') return publicReason(e.message) ?? 'no answer in time';
  if (e instanceof SourceRateLimitedError) return e.retryAfterSeconds === null ? 'rate limited' : `rate limited (retry after ${e.retryAfterSeconds} s)`;
  if (e instanceof SourceError) {
    // Our validation's words (record id, field, what was expected), not the system's.
    if (e instanceof InvalidSourceRecordError) return oneLine(e, 200);
    if (e.status !== null) return `answered HTTP ${e.status}`;
  }
  return publicReason(e.message);
}

const KNOWN = new Set<string>([...Object.values(ErrorCode), 'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_REQUEST', 'PERSISTED_QUERY_NOT_FOUND', 'OPERATION_RESOLUTION_FAILURE']);

export function isClientFacing(code: unknown): boolean {
  return typeof code === 'string' && KNOWN.has(code);
}

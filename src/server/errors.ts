// One enum of error codes (CONTRACT.md), small error classes that set extensions.code.
// Anything else thrown inside a resolver is masked for clients and logged whole.
import { GraphQLError } from 'graphql';
import type { SystemId } from '../sources/types.ts';
import { systemEnum } from '../sources/types.ts';

export const ErrorCode = {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  SOURCE_UNAVAILABLE: 'SOURCE_UNAVAILABLE',
  READ_ONLY_SYSTEM: 'READ_ONLY_SYSTEM',
  CONFLICT: 'CONFLICT',
  RATE_LIMITED: 'RATE_LIMITED',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class BadUserInputError extends GraphQLError {
  constructor(argument: string, reason: string) {
    super(`Invalid argument ${argument}: ${reason}`, { extensions: { code: ErrorCode.BAD_USER_INPUT, argument } });
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

export class SourceUnavailableError extends GraphQLError {
  /** `cause`: the connector's own error, when there was one (e.g. an InvalidSourceRecordError). */
  constructor(system: SystemId, reason: string, cause?: Error) {
    super(`${systemEnum(system)} is unavailable: ${reason}`, {
      extensions: { code: ErrorCode.SOURCE_UNAVAILABLE, system: systemEnum(system) },
      ...(cause ? { originalError: cause } : {}),
    });
  }
}

const KNOWN = new Set<string>([...Object.values(ErrorCode), 'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_REQUEST', 'PERSISTED_QUERY_NOT_FOUND', 'OPERATION_RESOLUTION_FAILURE']);

export function isClientFacing(code: unknown): boolean {
  return typeof code === 'string' && KNOWN.has(code);
}

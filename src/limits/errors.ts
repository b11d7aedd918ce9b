// Refusals of the operation limits and the rate limiter: each names what was measured, the
// limit and the variable that sets it, and carries its own code (docs/limits.md). They are
// raised before anything executes, with the HTTP status they answer with.
import { GraphQLError } from 'graphql';
import { ErrorCode } from '../server/errors.ts';

/** What a refused operation exceeded: the code, the measure and the variable that sets its limit. */
export const LIMITS = {
  cost: { code: ErrorCode.COST_LIMIT_EXCEEDED, variable: 'MERIDIAN_MAX_COST', field: 'cost' },
  depth: { code: ErrorCode.DEPTH_LIMIT_EXCEEDED, variable: 'MERIDIAN_MAX_DEPTH', field: 'depth' },
  aliases: { code: ErrorCode.ALIAS_LIMIT_EXCEEDED, variable: 'MERIDIAN_MAX_ALIASES', field: 'aliases' },
  bytes: { code: ErrorCode.DOCUMENT_TOO_LARGE, variable: 'MERIDIAN_MAX_DOCUMENT_BYTES', field: 'bytes' },
  tokens: { code: ErrorCode.TOKEN_LIMIT_EXCEEDED, variable: 'MERIDIAN_MAX_DOCUMENT_TOKENS', field: 'tokens' },
} as const;
export type LimitName = keyof typeof LIMITS;

const WHAT: Record<LimitName, (n: string) => string> = {
  cost: (n) => `costs ${n}`,
  depth: (n) => `is ${n} fields deep`,
  aliases: (n) => `has ${n} aliases`,
  bytes: (n) => `is ${n} bytes long`,
  tokens: (n) => `has ${n} tokens`,
};

const fmt = (n: number): string => n.toLocaleString('en-US');

/**
 * The operation was refused before execution: `measured` is over `limit`. `extensions` carry the
 * code, the measure under its own name (`cost`, `depth`, `aliases`, `bytes`, `tokens`) and `limit`.
 */
export class OperationLimitError extends GraphQLError {
  /** GraphQL over HTTP: a request that is refused before execution is a 4xx. */
  readonly status = 400;
  readonly limitName: LimitName;
  /** `atLeast`: counting stopped at the first one past the limit, so `measured` is a lower bound (tokens). */
  constructor(name: LimitName, measured: number, limit: number, options: { atLeast?: boolean; hint?: string } = {}) {
    const l = LIMITS[name];
    const n = options.atLeast ? `more than ${fmt(measured - 1)}` : fmt(measured);
    super(`The operation ${WHAT[name](n)}; the limit is ${fmt(limit)} (${l.variable}). Nothing was executed.${options.hint ? ` ${options.hint}` : ''}`, {
      extensions: { code: l.code, [l.field]: measured, limit },
    });
    this.limitName = name;
  }
}

/**
 * The request's variables nest deeper than the limit (limits/variables.ts): refused before
 * anything reads them, answered 400. The limit is fixed, so no variable is named.
 */
export class VariablesTooDeepError extends GraphQLError {
  readonly status = 400;
  constructor(limit: number) {
    super(`The variables are nested more than ${fmt(limit)} levels deep; the limit is ${fmt(limit)}. Nothing was executed.`, {
      extensions: { code: ErrorCode.VARIABLES_TOO_DEEP, limit },
    });
  }
}

/** Too many requests from one principal (or address): answered 429 with Retry-After, nothing executed. */
export class RateLimitedError extends GraphQLError {
  readonly status = 429;
  /** Whole seconds to wait, at least 1 (the Retry-After header). */
  readonly retryAfter: number;
  constructor(retryAfterMs: number, what: string, variable: string) {
    const retryAfter = Math.max(1, Math.ceil(retryAfterMs / 1000));
    super(`Too many requests ${what}; retry after ${retryAfter} s (${variable}). Nothing was executed.`, {
      extensions: { code: ErrorCode.RATE_LIMITED, retryAfter },
    });
    this.retryAfter = retryAfter;
  }
}

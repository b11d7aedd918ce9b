// A source as the gateway uses it: every call bounded by the request's deadline for that source
// and guarded by its circuit breaker, every failure turned into a per-key SourceUnavailableError.
// A dead or slow source costs the answer only that source's fields, once per request.
import type { SourceConnector, SourceRecord, SystemId } from '../sources/types.ts';
import { createCircuitBreaker, withTimeout, CircuitOpenError, TimeoutError, systemClock, type CircuitBreaker, type Clock } from '../resilience/index.ts';
import { SourceUnavailableError, publicReason } from '../server/errors.ts';
import { SourceError, SourceRateLimitedError } from '../sources/errors.ts';
import { UpstreamBudgetError, type RequestLimits } from './request-limits.ts';
import { withCallSignal } from '../sources/concurrency.ts';
import { upstreamCallDuration, upstreamErrors } from '../observability/metrics.ts';
import { failSpan, startChildSpan } from '../observability/tracing.ts';
import type { Span, Tracer } from '@opentelemetry/api';

/** A per-key error that says the key was wrong (bad id), not that the source failed. */
const isInputError = (e: Error): boolean => e instanceof SourceError && e.code === 'BAD_USER_INPUT';

export interface GuardOptions {
  /** Per-request deadline for this source (default 2 s). */
  timeoutMs?: number;
  /** Consecutive failures that open the breaker (default 5), and how long it stays open (10 s, longer when the source sends Retry-After). */
  failureThreshold?: number;
  cooldownMs?: number;
  /** How long an id the source said does not exist is answered as absent without asking again (default 5 s; 0 = never). */
  notFoundTtlMs?: number;
  clock?: Clock;
  /** Traces each call as a child span of its request's (observability/tracing.ts); none when null. */
  tracer?: Tracer | null;
}

/** Per call: the request's deadlines and lookup budget; without them a call gets the full timeout and no budget. */
export type CallLimits = RequestLimits | undefined;

/** What this gateway last learned of a system's health from its own calls (syncOverview). */
export interface SourceHealth {
  /** The last call the system refused for its rate limit, and until when it asked us to wait (null: it did not say). */
  rateLimit: { lastLimitedAt: Date; retryAt: Date | null } | null;
  /** The last failed call, in our words (publicReason): no upstream text, host or key. */
  lastError: { message: string; at: Date } | null;
}

export interface GuardedSource {
  readonly system: SystemId;
  readonly breaker: CircuitBreaker;
  health(): SourceHealth;
  loadAccounts(ids: readonly string[], limits?: CallLimits): Promise<(SourceRecord | null | Error)[]>;
  loadRelated(kind: string, accountIds: readonly string[], limits?: CallLimits): Promise<(unknown[] | Error)[]>;
  accountOfPerson(ids: readonly string[], limits?: CallLimits): Promise<(string | null | Error)[]>;
  ping(): Promise<void>;
}

/** A call cut short by what was left of the request's deadline, not by the source's full timeout. */
class DeadlineError extends TimeoutError {
  readonly leftMs: number;
  readonly fullMs: number;
  constructor(leftMs: number, fullMs: number) {
    super(leftMs, `no answer within the ${leftMs} ms left of this request's ${fullMs} ms deadline for this system`);
    this.leftMs = leftMs;
    this.fullMs = fullMs;
  }
}

/** Ends the timing and span of one call: null when it succeeded, else what it failed with. */
type Finish = (error: unknown) => void;

/** The code a failed or refused call is counted and traced under (meridian_upstream_errors_total). */
function errorCode(e: unknown): string {
  if (e instanceof CircuitOpenError) return 'CIRCUIT_OPEN';
  if (e instanceof DeadlineError) return 'DEADLINE';
  if (e instanceof TimeoutError) return 'TIMEOUT';
  if (e instanceof SourceError) return e.code;
  return 'UNEXPECTED';
}

function describe(e: unknown): string {
  if (e instanceof CircuitOpenError) {
    return e.retryAfterMs > 0 ? `circuit open after repeated failures or a Retry-After; not called (next try in ${Math.ceil(e.retryAfterMs / 1000)} s)` : 'circuit open after repeated failures; not called';
  }
  if (e instanceof TimeoutError) return e instanceof DeadlineError ? e.message : `no answer within ${e.timeoutMs} ms`;
  return e instanceof Error ? e.message : String(e);
}

/** Ids a source said do not exist, remembered briefly so a repeated miss costs no call. Bounded; oldest out first. */
class AbsentIds {
  readonly #until = new Map<string, number>();
  readonly ttlMs: number;
  readonly clock: Clock;
  readonly max: number;
  constructor(ttlMs: number, clock: Clock, max = 10_000) {
    this.ttlMs = ttlMs;
    this.clock = clock;
    this.max = max;
  }
  has(kind: string, id: string): boolean {
    if (this.ttlMs <= 0) return false;
    const k = `${kind}\u0000${id}`;
    const until = this.#until.get(k);
    if (until === undefined) return false;
    if (until > this.clock.now()) return true;
    this.#until.delete(k);
    return false;
  }
  add(kind: string, id: string): void {
    if (this.ttlMs <= 0) return;
    const k = `${kind}\u0000${id}`;
    this.#until.delete(k);
    this.#until.set(k, this.clock.now() + this.ttlMs);
    if (this.#until.size > this.max) this.#until.delete(this.#until.keys().next().value!);
  }
}

export function guardSource(connector: SourceConnector, options: GuardOptions = {}): GuardedSource {
  const timeoutMs = options.timeoutMs ?? 2_000;
  const clock = options.clock ?? systemClock;
  const system = connector.system;
  const health: SourceHealth = { rateLimit: null, lastError: null };
  const noteFailure = (e: unknown): void => {
    const at = new Date(clock.now());
    health.lastError = { message: publicReason(e) ?? 'unavailable', at };
    const limited = e instanceof SourceUnavailableError ? e.originalError : e;
    if (limited instanceof SourceRateLimitedError) health.rateLimit = { lastLimitedAt: at, retryAt: limited.retryAt };
  };
  const breaker = createCircuitBreaker({
    name: system,
    failureThreshold: options.failureThreshold ?? 5,
    cooldownMs: options.cooldownMs ?? 10_000,
    // A call cut short by the request's own deadline says nothing about the source's health.
    isFailure: (e) => !(e instanceof DeadlineError),
    retryAfterMs: (e) => (e instanceof SourceRateLimitedError && e.retryAfterSeconds !== null ? e.retryAfterSeconds * 1000 : null),
    clock,
  });
  const absent = new AbsentIds(options.notFoundTtlMs ?? 5_000, clock);

  const tracer = options.tracer ?? null;

  /** Starts timing (and tracing) one call to the system; the function returned ends it. */
  const begin = (operation: string, keys: number): Finish => {
    const t0 = performance.now();
    const span: Span | null = tracer ? startChildSpan(tracer, `${system} ${operation}`, { 'meridian.system': system, 'meridian.operation': operation, 'meridian.keys': keys }) : null;
    return (error) => {
      const outcome = error === null ? 'ok' : 'error';
      upstreamCallDuration.observe({ system, operation, outcome }, (performance.now() - t0) / 1000);
      if (error !== null) upstreamErrors.inc({ system, code: errorCode(error) });
      if (span) {
        span.setAttribute('meridian.outcome', outcome);
        if (error !== null) failSpan(span, describe(error), errorCode(error));
        span.end();
      }
    };
  };

  /** A call refused before reaching the system: counted as an error, not as a call. */
  const refused = (operation: string, code: string, reason: string): void => {
    upstreamErrors.inc({ system, code });
    if (tracer) {
      const span = startChildSpan(tracer, `${system} ${operation}`, { 'meridian.system': system, 'meridian.operation': operation, 'meridian.outcome': 'refused' });
      failSpan(span, reason, code);
      span.end();
    }
  };

  /**
   * Runs a batch call for the unique keys not known to be absent (when `absentIsNull`: a null
   * answer means "no such record" and is remembered briefly), within the request's deadline and
   * budget; a whole-call failure becomes the same error for every key.
   */
  const run = async <T>(kind: string, keys: readonly string[], limits: CallLimits, call: (ids: readonly string[]) => Promise<(T | Error)[]>, absentIsNull: boolean): Promise<(T | Error | null)[]> => {
    const ask = [...new Set(absentIsNull ? keys.filter((k) => !absent.has(kind, k)) : keys)];
    const answer = new Map<string, T | Error>();
    if (ask.length > 0) {
      for (const [i, r] of (await guarded(kind.startsWith('#') ? kind.slice(1) : kind, ask, limits, call)).entries()) {
        answer.set(ask[i]!, r);
        if (absentIsNull && r === null) absent.add(kind, ask[i]!);
      }
    }
    return keys.map((k) => (answer.has(k) ? answer.get(k)! : null));
  };

  const guarded = async <T>(operation: string, keys: readonly string[], limits: CallLimits, call: (ids: readonly string[]) => Promise<(T | Error)[]>): Promise<(T | Error)[]> => {
    const left = limits ? limits.timeLeft(system) : timeoutMs;
    if (left <= 0) {
      const said = `this request had already waited its ${timeoutMs} ms deadline on this system; not called`;
      refused(operation, 'DEADLINE_SPENT', said);
      const err = new SourceUnavailableError(system, said, Object.assign(new Error(said), { publicReason: said }));
      return keys.map(() => err);
    }
    if (limits && !limits.take(keys.length)) {
      const err = new UpstreamBudgetError(system, limits.budget);
      refused(operation, 'BUDGET', err.message);
      return keys.map(() => err);
    }
    const end = limits?.begin(system);
    const made: { finish: Finish | null } = { finish: null };
    try {
      const results = await breaker.exec(async () => {
        made.finish = begin(operation, keys.length);
        const r = await withTimeout((signal) => withCallSignal(signal, () => call(keys)), left, () => (left < timeoutMs ? new DeadlineError(left, timeoutMs) : new TimeoutError(left)));
        // Every key failing for a reason other than its own input is the source failing.
        if (r.length > 0 && r.every((x) => x instanceof Error && !isInputError(x))) throw r[0] as Error;
        return r;
      });
      made.finish?.(null);
      return results.map((r) => (r instanceof Error && !isInputError(r) ? new SourceUnavailableError(system, r.message, r) : r));
    } catch (e) {
      if (!(e instanceof CircuitOpenError) && !(e instanceof DeadlineError)) noteFailure(e);
      // Refused by the open circuit: no call was made, so no duration; still an error.
      if (made.finish) made.finish(e);
      else if (e instanceof CircuitOpenError) refused(operation, 'CIRCUIT_OPEN', describe(e));
      else upstreamErrors.inc({ system, code: errorCode(e) });
      // The cause lets the client message say what happened in our words (server/errors.ts publicReason).
      const err = new SourceUnavailableError(system, describe(e), e instanceof Error ? e : undefined);
      return keys.map(() => err);
    } finally {
      end?.();
    }
  };

  return {
    system,
    breaker,
    health: () => ({ ...health }),
    loadAccounts: (ids, limits) => run('#accounts', ids, limits, (keys) => connector.loadAccounts(keys), true),
    // Related lists are never null: an unknown account has an empty list, which is not remembered.
    loadRelated: async (kind, ids, limits) =>
      (await run(kind, ids, limits, (keys) => (connector.loadRelated as (k: string, ids: readonly string[]) => Promise<(unknown[] | Error)[]>)(kind, keys), false)) as (unknown[] | Error)[],
    accountOfPerson: (ids, limits) => run('#people', ids, limits, (keys) => connector.accountOfPerson(keys), true),
    ping: async () => {
      const made: { finish: Finish | null } = { finish: null };
      try {
        await breaker.exec(() => {
          made.finish = begin('ping', 0);
          return withTimeout(connector.ping(), timeoutMs);
        });
        made.finish?.(null);
      } catch (e) {
        if (!(e instanceof CircuitOpenError)) noteFailure(e);
        if (made.finish) made.finish(e);
        else refused('ping', errorCode(e), describe(e));
        throw e;
      }
    },
  };
}

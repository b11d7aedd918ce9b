// What one request may spend upstream: one deadline per system (the time the request spends
// waiting on that system, added up over its calls: a later call gets only what is left, so a slow
// system costs the answer one timeout, not one per dependent call, while a system that answered
// quickly keeps its time whatever the others did), and a budget of source lookups (one per id sent to a
// system, and one per customer on each page of customers served, since each may need them), so a
// query of a thousand aliases or of huge pages cannot turn into thousands of calls.
import { GraphQLError } from 'graphql';
import { systemClock, type Clock } from '../resilience/index.ts';
import { ErrorCode } from '../server/errors.ts';
import { systemEnum } from '../sources/types.ts';
import type { SystemId } from '../domain/records.ts';

/** Lookups one request may send to the systems when MERIDIAN_REQUEST_UPSTREAM_BUDGET is unset. */
export const DEFAULT_UPSTREAM_BUDGET = 2_000;

export interface RequestLimits {
  /** The per-system deadline, in ms, that each system gets per request. */
  readonly timeoutMs: number;
  /** Milliseconds left of this request's deadline for `system`. */
  timeLeft(system: SystemId): number;
  /** A call to `system` starts; the returned function ends it. Time with any call in flight counts against the deadline. */
  begin(system: SystemId): () => void;
  /** Takes `n` lookups from the budget; false (and nothing taken) when they do not fit. */
  take(n: number): boolean;
  readonly budget: number;
  used(): number;
}

export function createRequestLimits(options: { timeoutMs: number; budget?: number; clock?: Clock }): RequestLimits {
  const clock = options.clock ?? systemClock;
  const budget = options.budget ?? DEFAULT_UPSTREAM_BUDGET;
  // Per system: time waited in finished busy spans, calls in flight, and when the current span began.
  const waits = new Map<SystemId, { spent: number; inFlight: number; since: number }>();
  const waitOf = (system: SystemId) => {
    let w = waits.get(system);
    if (!w) waits.set(system, (w = { spent: 0, inFlight: 0, since: 0 }));
    return w;
  };
  let spent = 0;
  return {
    timeoutMs: options.timeoutMs,
    budget,
    timeLeft(system) {
      const w = waitOf(system);
      const waited = w.spent + (w.inFlight > 0 ? clock.now() - w.since : 0);
      return Math.max(0, options.timeoutMs - waited);
    },
    begin(system) {
      const w = waitOf(system);
      if (w.inFlight++ === 0) w.since = clock.now();
      let ended = false;
      return () => {
        if (ended) return;
        ended = true;
        if (--w.inFlight === 0) w.spent += clock.now() - w.since;
      };
    },
    take(n) {
      if (spent + n > budget) return false;
      spent += n;
      return true;
    },
    used: () => spent,
  };
}

/**
 * The request spent its lookup budget: the fields that needed more fail with RATE_LIMITED
 * (the client asked for too much at once; a smaller query will do) instead of calling.
 * `system`: the system that was not called; null for a page of customers that was not served.
 */
export class UpstreamBudgetError extends GraphQLError {
  constructor(system: SystemId | null, budget: number) {
    const what = system ? `${systemEnum(system)} was not called` : 'this page of customers was not served';
    super(`This request reached its budget of ${budget} source lookups (MERIDIAN_REQUEST_UPSTREAM_BUDGET); ${what}. Ask for fewer customers, aliases or fields per request.`, {
      extensions: { code: ErrorCode.RATE_LIMITED, ...(system ? { system: systemEnum(system) } : {}), budget },
    });
  }
}

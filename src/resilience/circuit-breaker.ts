// A circuit breaker in front of one dependency (a source system, Redis). When the dependency
// keeps failing, callers stop waiting on it: calls fail fast with CircuitOpenError, which the
// GraphQL layer turns into SOURCE_UNAVAILABLE for that source's fields (CONTRACT.md) while the
// rest of the answer is served. After a cooldown a limited number of probe calls test the
// water: success closes the circuit, failure reopens it for another cooldown.
//
// Pure: no timers. "Open until" is computed from the injected clock when a call arrives.
// Put a deadline (withTimeout) inside `exec`, or a hung probe holds the half-open slot.

import { systemClock, type Clock } from './clock.ts';

export type CircuitState = 'closed' | 'open' | 'half-open';

export class CircuitOpenError extends Error {
  readonly code = 'CIRCUIT_OPEN';
  /** The breaker's name, usually the dependency ("stripe", "redis"). */
  readonly circuit: string;
  /** How long until a probe will be let through; 0 when probes are already running. */
  readonly retryAfterMs: number;
  constructor(circuit: string, retryAfterMs: number) {
    super(`Circuit "${circuit}" is open; failing fast (retry in ${Math.max(0, Math.ceil(retryAfterMs))} ms)`);
    this.circuit = circuit;
    this.retryAfterMs = retryAfterMs;
    this.name = 'CircuitOpenError';
  }
}

/** Open when the failure share of calls in the last `windowMs` reaches `rate`, once at least `minimumCalls` were made. */
export interface FailureRateThreshold {
  rate: number;
  windowMs: number;
  minimumCalls: number;
}

export interface CircuitBreakerOptions {
  name?: string;
  /** A number: open after that many consecutive failures (default 5). An object: open on a failure rate over a sliding window. */
  failureThreshold?: number | FailureRateThreshold;
  /** How long the circuit stays open before probes are allowed (default 10 000 ms). */
  cooldownMs?: number;
  /** Probe calls allowed at once while half-open; this many successes close the circuit (default 1). */
  halfOpenMaxCalls?: number;
  /** Which errors count against the dependency. Default: all. A 404 or a validation error usually should not. */
  isFailure?: (error: unknown) => boolean;
  /**
   * How long the dependency asked us to stay away (an HTTP Retry-After), read from a failure;
   * null when it did not say. Such a failure opens the circuit at once, for at least that long:
   * calling before then only earns more refusals (and counts against the caller's allowance).
   */
  retryAfterMs?: (error: unknown) => number | null;
  onStateChange?: (from: CircuitState, to: CircuitState) => void;
  clock?: Clock;
}

export interface CircuitBreaker {
  readonly name: string;
  /** Runs `fn` unless the circuit is open; rejects at once with CircuitOpenError when it is. */
  exec<T>(fn: () => Promise<T>): Promise<T>;
  state(): CircuitState;
}

// The rate window is kept as 10 buckets, so memory stays constant whatever the call rate.
const BUCKETS = 10;

export function createCircuitBreaker(options: CircuitBreakerOptions = {}): CircuitBreaker {
  const name = options.name ?? 'circuit';
  const threshold = options.failureThreshold ?? 5;
  const cooldownMs = options.cooldownMs ?? 10_000;
  const halfOpenMaxCalls = options.halfOpenMaxCalls ?? 1;
  const isFailure = options.isFailure ?? (() => true);
  const clock = options.clock ?? systemClock;
  const retryAfterOf = options.retryAfterMs ?? (() => null);

  if (typeof threshold === 'number') {
    if (!Number.isInteger(threshold) || threshold < 1) throw new RangeError(`failureThreshold must be an integer >= 1 (got ${threshold})`);
  } else {
    if (!(threshold.rate > 0 && threshold.rate <= 1)) throw new RangeError(`failureThreshold.rate must be in (0, 1] (got ${threshold.rate})`);
    if (!(threshold.windowMs > 0)) throw new RangeError(`failureThreshold.windowMs must be > 0 (got ${threshold.windowMs})`);
    if (!Number.isInteger(threshold.minimumCalls) || threshold.minimumCalls < 1) {
      throw new RangeError(`failureThreshold.minimumCalls must be an integer >= 1 (got ${threshold.minimumCalls})`);
    }
  }
  if (!(cooldownMs >= 0)) throw new RangeError(`cooldownMs must be >= 0 (got ${cooldownMs})`);
  if (!Number.isInteger(halfOpenMaxCalls) || halfOpenMaxCalls < 1) throw new RangeError(`halfOpenMaxCalls must be an integer >= 1 (got ${halfOpenMaxCalls})`);

  let current: CircuitState = 'closed';
  // When the open circuit lets probes through: the cooldown, or longer when a Retry-After said so.
  let openUntil = 0;
  // Each state change starts a new generation; a call's outcome only counts in the generation
  // it started in (a slow call from before the circuit opened must not close it).
  let generation = 0;
  let consecutiveFailures = 0;
  let probesInFlight = 0;
  let probeSuccesses = 0;
  const buckets = new Map<number, { calls: number; failures: number }>();

  const transition = (to: CircuitState, holdMs = cooldownMs) => {
    if (to === 'open' && current === 'open') {
      openUntil = Math.max(openUntil, clock.now() + holdMs);
      return;
    }
    if (to === current) return;
    const from = current;
    current = to;
    generation += 1;
    probesInFlight = 0;
    probeSuccesses = 0;
    if (to === 'open') openUntil = clock.now() + holdMs;
    if (to === 'closed') {
      consecutiveFailures = 0;
      buckets.clear();
    }
    options.onStateChange?.(from, to);
  };

  const refresh = () => {
    if (current === 'open' && clock.now() >= openUntil) transition('half-open');
  };

  const tripsOnRate = (failed: boolean): boolean => {
    if (typeof threshold === 'number') return false;
    const bucketMs = threshold.windowMs / BUCKETS;
    const index = Math.floor(clock.now() / bucketMs);
    for (const key of buckets.keys()) if (key <= index - BUCKETS) buckets.delete(key);
    const bucket = buckets.get(index) ?? { calls: 0, failures: 0 };
    bucket.calls += 1;
    if (failed) bucket.failures += 1;
    buckets.set(index, bucket);
    let calls = 0;
    let failures = 0;
    for (const b of buckets.values()) {
      calls += b.calls;
      failures += b.failures;
    }
    return calls >= threshold.minimumCalls && failures / calls >= threshold.rate;
  };

  const record = (callGeneration: number, failed: boolean, retryAfterMs: number | null = null) => {
    // A Retry-After holds the circuit open whatever the generation or the count of failures.
    if (failed && retryAfterMs !== null && retryAfterMs > 0) {
      return transition('open', Math.max(cooldownMs, retryAfterMs));
    }
    if (callGeneration !== generation) return;
    if (current === 'half-open') {
      probesInFlight -= 1;
      if (failed) return transition('open');
      probeSuccesses += 1;
      if (probeSuccesses >= halfOpenMaxCalls) transition('closed');
      return;
    }
    // closed
    consecutiveFailures = failed ? consecutiveFailures + 1 : 0;
    const tripped = typeof threshold === 'number' ? consecutiveFailures >= threshold : tripsOnRate(failed);
    if (tripped) transition('open');
  };

  return {
    name,
    state() {
      refresh();
      return current;
    },
    async exec<T>(fn: () => Promise<T>): Promise<T> {
      refresh();
      if (current === 'open') throw new CircuitOpenError(name, openUntil - clock.now());
      if (current === 'half-open') {
        if (probesInFlight >= halfOpenMaxCalls) throw new CircuitOpenError(name, 0);
        probesInFlight += 1;
      }
      const callGeneration = generation;
      let result: T;
      try {
        result = await fn();
      } catch (error) {
        const failed = isFailure(error);
        record(callGeneration, failed, failed ? retryAfterOf(error) : null);
        throw error;
      }
      record(callGeneration, false);
      return result;
    },
  };
}

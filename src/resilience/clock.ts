// Time is injected (STYLE habit 6) so breakers and caches are tested with a fake clock, no sleeps.

export interface Clock {
  /** Milliseconds since the epoch, like Date.now(). */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to: for tests and deterministic replays. */
export interface ManualClock extends Clock {
  advance(ms: number): void;
  set(epochMs: number): void;
}

export function createManualClock(startMs = 0): ManualClock {
  let current = startMs;
  return {
    now: () => current,
    advance(ms) {
      if (!(ms >= 0)) throw new RangeError(`advance(ms): ms must be >= 0 (got ${ms})`);
      current += ms;
    },
    set(epochMs) {
      current = epochMs;
    },
  };
}

// What every connector's options share: an injectable clock (tests wait on it, not on time)
// and validation of numeric settings at construction.

export interface ConnectorClock {
  now(): Date;
  sleep(ms: number): Promise<void>;
}

export const systemClock: ConnectorClock = { now: () => new Date(), sleep: (ms) => new Promise<void>((r) => setTimeout(r, ms)) };

/** A whole-number setting within [min, max], or a RangeError naming it. */
export function checkInt(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`${name} must be an integer in ${min}–${max}, got ${value}`);
  return value;
}

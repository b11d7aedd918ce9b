// Waiting for a moment on performance.now()'s clock, as the emulators' latency does (faults.ts).

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Resolves at `deadline` (performance.now() time), never before. A timer's delay is whole
 * milliseconds counted from the event loop's cached clock, so it can end up to a millisecond
 * early: the rest is waited out a loop turn at a time.
 */
export async function until(deadline: number): Promise<void> {
  const left = deadline - performance.now();
  if (left <= 0) return;
  if (left >= 1) await sleep(Math.floor(left));
  while (performance.now() < deadline) await new Promise<void>((r) => setImmediate(r));
}

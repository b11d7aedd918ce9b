// p-limit style: at most `n` calls in flight, the rest wait in FIFO order. For source APIs
// without batch endpoints, where a DataLoader batch of 200 ids must not become 200 parallel
// requests (and a rate-limit answer).

export interface ConcurrencyLimiter {
  <T>(fn: () => Promise<T> | T): Promise<T>;
  /** Calls running now. */
  readonly activeCount: number;
  /** Calls waiting for a slot. */
  readonly pendingCount: number;
}

export function limitConcurrency(n: number): ConcurrencyLimiter {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`limitConcurrency(n): n must be an integer >= 1 (got ${n})`);
  let active = 0;
  const waiting: (() => void)[] = [];

  const release = () => {
    active -= 1;
    const next = waiting.shift();
    if (next) next();
  };

  const limit = <T>(fn: () => Promise<T> | T): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const run = () => {
        active += 1;
        // fn may throw synchronously or return a non-promise; both become a settled promise.
        // The slot is freed before the caller resumes, so counts are exact when it looks.
        new Promise<T>((inner) => inner(fn())).then(
          (value) => {
            release();
            resolve(value);
          },
          (error: unknown) => {
            release();
            reject(error instanceof Error ? error : new Error(String(error)));
          },
        );
      };
      if (active < n) run();
      else waiting.push(run);
    });

  Object.defineProperties(limit, {
    activeCount: { get: () => active },
    pendingCount: { get: () => waiting.length },
  });
  return limit as ConcurrencyLimiter;
}

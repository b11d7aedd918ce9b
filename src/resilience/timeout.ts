// Bound any promise by a deadline. A source that is slow costs the query its fields, never the
// whole answer (ARCHITECTURE "Rules that keep it honest"); this is the bound.

export class TimeoutError extends Error {
  readonly code = 'TIMEOUT';
  readonly timeoutMs: number;
  constructor(timeoutMs: number, message = `Timed out after ${timeoutMs} ms`) {
    super(message);
    this.timeoutMs = timeoutMs;
    this.name = 'TimeoutError';
  }
}

/**
 * Resolves or rejects as `work` does, or rejects with `onTimeoutError()` (default a
 * `TimeoutError`) once `ms` have passed, whichever comes first.
 *
 * `work` may be a function taking an AbortSignal: the signal aborts on timeout, so SDK calls
 * that accept one (fetch, node-redis, pg) stop instead of running on unobserved. A promise
 * alone cannot be cancelled; its late result is dropped (and a late rejection is handled, so
 * it never surfaces as an unhandled rejection).
 *
 * `ms = Infinity` means no deadline.
 */
export function withTimeout<T>(
  work: Promise<T> | ((signal: AbortSignal) => Promise<T>),
  ms: number,
  onTimeoutError: () => Error = () => new TimeoutError(ms),
): Promise<T> {
  if (!(ms > 0)) return Promise.reject(new RangeError(`withTimeout: ms must be > 0 (got ${ms})`));
  const controller = new AbortController();
  let promise: Promise<T>;
  try {
    promise = typeof work === 'function' ? work(controller.signal) : work;
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
  if (ms === Infinity) return promise;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      const error = onTimeoutError();
      controller.abort(error);
      reject(error);
    }, ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

// Bounded fan-out for upstream calls that cannot be batched (one request per id).
import { AsyncLocalStorage } from 'node:async_hooks';

// The gateway bounds each batch call by a deadline; past it the answer is dropped, and the
// fan-out must stop too, or a timed-out batch of a thousand Stripe ids goes on calling in the
// background. The signal travels with the call (not through every connector's signature).
const callSignal = new AsyncLocalStorage<AbortSignal>();

/** Runs `fn` so that every fan-out it starts stops starting calls once `signal` aborts. */
export function withCallSignal<T>(signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
  return callSignal.run(signal, fn);
}

/**
 * Runs `fn` over `items` with at most `limit` calls in flight and returns the results in
 * input order. `fn` must not throw for one item's failure (return an Error instead); a throw
 * rejects the whole call, as Promise.all would. Inside withCallSignal, an aborted signal stops
 * new items from starting and rejects the call.
 */
export async function mapWithConcurrency<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency limit must be a positive integer (got ${limit})`);
  const results = new Array<R>(items.length);
  const signal = callSignal.getStore();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      // The caller gave up (deadline): start nothing more; the whole call rejects with its reason.
      if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('aborted');
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Splits `items` into consecutive chunks of at most `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`chunk size must be a positive integer (got ${size})`);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TimeoutError, withTimeout } from '../../src/resilience/timeout.ts';

describe('withTimeout', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('resolves with the value when the work finishes in time, and leaves no timer behind', async () => {
    await expect(withTimeout(Promise.resolve(42), 100)).resolves.toBe(42);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('passes the work’s own rejection through', async () => {
    await expect(withTimeout(Promise.reject(new Error('source down')), 100)).rejects.toThrow('source down');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects with a TimeoutError at the deadline', async () => {
    const result = withTimeout(new Promise(() => undefined), 100).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(99);
    await vi.advanceTimersByTimeAsync(1);
    const error = await result;
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ code: 'TIMEOUT', timeoutMs: 100, message: 'Timed out after 100 ms' });
  });

  it('uses the error from onTimeoutError', async () => {
    const result = withTimeout(new Promise(() => undefined), 50, () => new Error('stripe: no answer in 50 ms')).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(50);
    expect(await result).toMatchObject({ message: 'stripe: no answer in 50 ms' });
  });

  it('aborts the signal it gave the work on timeout', async () => {
    let seen: AbortSignal | undefined;
    const result = withTimeout((signal) => {
      seen = signal;
      return new Promise<never>(() => undefined);
    }, 10).catch((e: unknown) => e);
    expect(seen?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(10);
    await result;
    expect(seen?.aborted).toBe(true);
    expect(seen?.reason).toBeInstanceOf(TimeoutError);
  });

  it('a late rejection after the deadline does not become an unhandled rejection', async () => {
    let fail!: (e: Error) => void;
    const result = withTimeout(new Promise<never>((_, reject) => (fail = reject)), 10).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(10);
    fail(new Error('late'));
    expect(await result).toBeInstanceOf(TimeoutError);
  });

  it('Infinity means no deadline; zero or negative is refused', async () => {
    await expect(withTimeout(Promise.resolve('x'), Infinity)).resolves.toBe('x');
    expect(vi.getTimerCount()).toBe(0);
    await expect(withTimeout(Promise.resolve('x'), 0)).rejects.toThrow('withTimeout: ms must be > 0 (got 0)');
  });
});

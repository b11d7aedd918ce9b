import { describe, expect, it } from 'vitest';
import { limitConcurrency } from '../../src/resilience/limit-concurrency.ts';

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('limitConcurrency', () => {
  it('runs at most n at once and starts waiting calls in FIFO order as slots free', async () => {
    const limit = limitConcurrency(2);
    const started: string[] = [];
    const gates = new Map(['a', 'b', 'c', 'd'].map((k) => [k, deferred<string>()]));
    const results = ['a', 'b', 'c', 'd'].map((k) =>
      limit(() => {
        started.push(k);
        return gates.get(k)!.promise;
      }),
    );
    const settledAll = Promise.allSettled(results);
    await tick();
    expect(started).toEqual(['a', 'b']);
    expect([limit.activeCount, limit.pendingCount]).toEqual([2, 2]);
    gates.get('b')!.resolve('B');
    await tick();
    expect(started).toEqual(['a', 'b', 'c']);
    gates.get('a')!.reject(new Error('A failed'));
    await tick();
    expect(started).toEqual(['a', 'b', 'c', 'd']);
    gates.get('c')!.resolve('C');
    gates.get('d')!.resolve('D');
    const settled = await settledAll;
    expect(settled.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as Error).message))).toEqual(['A failed', 'B', 'C', 'D']);
    expect([limit.activeCount, limit.pendingCount]).toEqual([0, 0]);
  });

  it('a function that throws synchronously rejects its own call and frees its slot', async () => {
    const limit = limitConcurrency(1);
    await expect(
      limit(() => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    await expect(limit(() => 'plain value')).resolves.toBe('plain value');
    expect(limit.activeCount).toBe(0);
  });

  it('refuses a limit below 1', () => {
    expect(() => limitConcurrency(0)).toThrow('limitConcurrency(n): n must be an integer >= 1 (got 0)');
  });
});

// The bench's percentile: what the sync suite's propagation rows report, misses included.
import { describe, expect, it } from 'vitest';
import { percentile } from '../../bench/percentile.ts';

describe('bench percentile', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => 100 - i);

  it('ranks unsorted samples without reordering them', () => {
    const samples = [30, 10, 20];
    expect(percentile(samples, 50)).toBe(20);
    expect(samples).toEqual([30, 10, 20]);
    expect(percentile(hundred, 50)).toBe(51);
    expect(percentile(hundred, 95)).toBe(96);
    expect(percentile(hundred, 99)).toBe(100);
  });

  it('keeps a change never written in the tail instead of averaging it away', () => {
    const twoMissed = [...hundred.slice(2), Infinity, Infinity];
    expect(percentile(twoMissed, 50)).toBe(51);
    expect(percentile(twoMissed, 95)).toBe(96);
    expect(percentile(twoMissed, 99)).toBe(Infinity);
  });

  it('has no value for no samples', () => {
    expect(percentile([], 50)).toBeNaN();
  });
});

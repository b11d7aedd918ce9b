// Golden ids: opaque, unique, and in creation order.
import { describe, expect, it } from 'vitest';
import { goldenIdSource, goldenIdTime, isGoldenId } from '../../src/identity/golden-id.ts';

describe('golden ids', () => {
  it('are gc_ + 26 Crockford base32 characters carrying the creation millisecond', () => {
    const t = Date.parse('2026-01-01T00:00:00Z');
    const id = goldenIdSource({ now: () => t }).next();
    expect(id).toMatch(/^gc_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(isGoldenId(id)).toBe(true);
    expect(goldenIdTime(id)).toBe(t);
  });

  it('sort in creation order, also within one millisecond and when the clock steps back', () => {
    const t = 1_700_000_000_000;
    const clock = [0, 0, 0, 5, 3, 3, 9];
    let i = 0;
    const ids = goldenIdSource({ now: () => t + clock[Math.min(i++, clock.length - 1)]! });
    const made = Array.from({ length: 200 }, () => ids.next());
    expect([...made].sort()).toEqual(made);
    expect(new Set(made).size).toBe(made.length);
  });

  it('differ between sources in the same millisecond (random part)', () => {
    const a = goldenIdSource({ now: () => 42 }).next();
    const b = goldenIdSource({ now: () => 42 }).next();
    expect(a).not.toBe(b);
    expect(a.slice(0, 13)).toBe(b.slice(0, 13));
  });

  it('rejects what is not a golden id', () => {
    for (const s of ['cus_01JD0000000000000000000000', 'gc_01jd0000000000000000000000', 'gc_01JD000000000000000000000U', 'gc_', '']) expect(isGoldenId(s)).toBe(false);
    expect(() => goldenIdTime('nope')).toThrow('not a golden id: "nope"');
  });
});

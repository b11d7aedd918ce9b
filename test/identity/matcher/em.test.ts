// EM recovers the m and u probabilities and the share of matches it generated the data with.
import { describe, expect, it } from 'vitest';
import type { CompiledField } from '../../../src/identity/matcher/compare.ts';
import { compressPatterns, expectationMaximisation, groupAdjustments, groupKey, leaveGroupOutM, levelWeights, mulberry32 } from '../../../src/identity/matcher/model.ts';

// Three fields of three levels each (null, agree, close, else = radix 5 with one unused level).
const M = [[0, 0.85, 0.1, 0.05], [0, 0.9, 0.05, 0.05], [0, 0.7, 0.2, 0.1]];
const U = [[0, 0.01, 0.04, 0.95], [0, 0.02, 0.08, 0.9], [0, 0.05, 0.15, 0.8]];
const fields = M.map(() => ({ radix: 4 }) as CompiledField);

function draw(p: readonly number[], r: number): number {
  let acc = 0;
  for (let l = 1; l < p.length; l++) {
    acc += p[l]!;
    if (r < acc) return l;
  }
  return p.length - 1;
}

function synthetic(pairs: number, lambda: number, missing: number): Uint8Array {
  const rand = mulberry32(7);
  const g = new Uint8Array(pairs * 3);
  for (let p = 0; p < pairs; p++) {
    const match = rand() < lambda;
    for (let f = 0; f < 3; f++) g[p * 3 + f] = rand() < missing ? 0 : draw((match ? M : U)[f]!, rand());
  }
  return g;
}

describe('expectation–maximisation', () => {
  it('converges to the generating m, u and match share, missing values ignored', () => {
    const gammas = synthetic(50_000, 0.2, 0.1);
    const patterns = compressPatterns(gammas, 50_000, fields);
    expect(patterns.size).toBeLessThanOrEqual(64);
    const em = expectationMaximisation(patterns, fields, { maxIterations: 500, tolerance: 1e-7 });
    expect(em.converged).toBe(true);
    expect(em.lambda).toBeCloseTo(0.2, 1);
    for (let f = 0; f < 3; f++) {
      for (let l = 1; l < 4; l++) {
        expect(Math.abs(em.m[f]![l]! - M[f]![l]!)).toBeLessThan(0.03);
        expect(Math.abs(em.u[f]![l]! - U[f]![l]!)).toBeLessThan(0.03);
      }
    }
    // Each iteration moves the parameters less, in the end.
    expect(em.deltas.at(-1)!).toBeLessThan(em.deltas[0]!);
  });

  it('weighs agreement up and disagreement down, and never a similarity level below else', () => {
    const w = levelWeights([Float64Array.from([0, 0.9, 0.0, 0.1])], [Float64Array.from([0, 0.01, 0.1, 0.89])]);
    expect(w[0]![0]).toBe(0);
    expect(w[0]![1]).toBeCloseTo(Math.log2(90), 6);
    expect(w[0]![3]).toBeCloseTo(Math.log2(0.1 / 0.89), 6);
    expect(w[0]![2]).toBe(w[0]![3]);
  });
});

describe('m of a level no match has shown', () => {
  it('is about one in twice the matched pairs, not the floor', () => {
    // Field 0 always agrees on matches; field 1 separates the classes.
    const rand = mulberry32(3);
    const n = 20_000;
    const two = [{ radix: 3 }, { radix: 3 }] as CompiledField[];
    const g = new Uint8Array(n * 2);
    let matches = 0;
    for (let p = 0; p < n; p++) {
      const match = rand() < 0.1;
      if (match) matches++;
      g[p * 2] = match ? 1 : rand() < 0.3 ? 1 : 2;
      g[p * 2 + 1] = match ? (rand() < 0.9 ? 1 : 2) : rand() < 0.02 ? 1 : 2;
    }
    const em = expectationMaximisation(compressPatterns(g, n, two), two, { maxIterations: 500, tolerance: 1e-8 });
    expect(em.m[0]![2]!).toBeGreaterThan(0.2 / matches);
    expect(em.m[0]![2]!).toBeLessThan(5 / matches);
  });
});

describe('m of a correlated group (leaveGroupOutM)', () => {
  // Two identity fields (name, birth date) and two parts of one address. A quarter of the true
  // matches moved: both address fields disagree together. Levels: 1 agree, 2 else.
  const width = 4;
  const four = Array.from({ length: width }, () => ({ radix: 3 }) as CompiledField);
  function pairs(n: number): Uint8Array {
    const rand = mulberry32(11);
    const g = new Uint8Array(n * width);
    for (let p = 0; p < n; p++) {
      const match = rand() < 0.1;
      const moved = match && rand() < 0.25;
      for (let f = 0; f < width; f++) {
        const agree = match ? (f >= 2 ? !moved : rand() < 0.97) : rand() < (f >= 2 ? 0.05 : 0.02);
        g[p * width + f] = agree ? 1 : 2;
      }
    }
    return g;
  }

  it('learns how often one entity disagrees on the group from the other fields, where EM alone learns almost never', () => {
    const n = 40_000;
    const patterns = compressPatterns(pairs(n), n, four);
    const em = expectationMaximisation(patterns, four, { maxIterations: 500, tolerance: 1e-8 });
    const grouped = leaveGroupOutM(patterns, four, em, [[2, 3]]);
    // EM calls the movers non-matches, so m(else) of the address fields falls far below the 25 % moved.
    expect(em.m[2]![2]!).toBeLessThan(0.1);
    expect(grouped[2]![2]!).toBeGreaterThan(0.2);
    expect(grouped[3]![2]!).toBeGreaterThan(0.2);
    expect(grouped[2]![2]!).toBeLessThan(0.3);
    // Fields outside the group keep EM's estimate.
    expect(grouped[0]).toEqual(em.m[0]);
  });
});

describe('joint agreement of a correlated group (groupAdjustments)', () => {
  it('counts two fields that always agree together once, and leaves independent ones alone', () => {
    // Field 0 identifies; fields 1 and 2 are one place written twice: among random pairs they agree
    // together (1 in 50) or not at all, so summing their weights counts that agreement twice.
    const three = Array.from({ length: 3 }, () => ({ radix: 3 }) as CompiledField);
    const rand = mulberry32(9);
    const draw = (n: number, matchShare: number, correlated: boolean): Uint8Array => {
      const g = new Uint8Array(n * 3);
      for (let p = 0; p < n; p++) {
        const match = rand() < matchShare;
        g[p * 3] = match ? (rand() < 0.95 ? 1 : 2) : rand() < 0.01 ? 1 : 2;
        const place = match ? rand() < 0.9 : rand() < 0.02;
        g[p * 3 + 1] = place ? 1 : 2;
        g[p * 3 + 2] = (correlated ? place : match ? rand() < 0.9 : rand() < 0.02) ? 1 : 2;
      }
      return g;
    };
    for (const correlated of [true, false]) {
      const candidates = compressPatterns(draw(30_000, 0.3, correlated), 30_000, three);
      const random = compressPatterns(draw(200_000, 0.0001, correlated), 200_000, three);
      const em = expectationMaximisation(candidates, three, { maxIterations: 500, tolerance: 1e-8 });
      // u of each field from the random pairs, as the matcher counts it.
      const u = three.map((_, f) => {
        const c = new Float64Array(3);
        for (let p = 0; p < random.size; p++) c[random.vectors[p * 3 + f]!]! += random.counts[p]!;
        return c.map((x) => x / 200_000);
      });
      const [adjust] = groupAdjustments(candidates, three, em, em.m, u, 0.0001, [[1, 2]], random);
      const bothAgree = adjust!.get(groupKey([0, 1, 1], 0, [1, 2], three)) ?? 0;
      if (correlated) {
        // u(both agree) is u of one field (1/50), not its square: about log2(50) ≈ 5.6 bits less.
        expect(bothAgree).toBeLessThan(-4.5);
        expect(bothAgree).toBeGreaterThan(-6.5);
      } else {
        expect(Math.abs(bothAgree)).toBeLessThan(0.5);
      }
    }
  });
});

describe('context fields (people at companies)', () => {
  // Fields: given name, surname (the person); company, street, city, postcode, state (the
  // workplace: colleagues share all five). Candidates as blocking on the company makes them: a few
  // duplicates, many colleagues, some others.
  const WIDTH = 7;
  function contacts(): { patterns: ReturnType<typeof compressPatterns>; seven: CompiledField[]; matches: number; n: number } {
    const rand = mulberry32(11);
    const n = 30_000;
    const seven = Array.from({ length: WIDTH }, () => ({ radix: 3 }) as CompiledField);
    const g = new Uint8Array(n * WIDTH);
    const agree = (p: number): number => (rand() < p ? 1 : 2);
    let matches = 0;
    for (let p = 0; p < n; p++) {
      const r = rand();
      const kind = r < 0.05 ? 'duplicate' : r < 0.8 ? 'colleagues' : 'other';
      if (kind === 'duplicate') matches++;
      const [given, surname, place] = kind === 'duplicate' ? [0.9, 0.95, 0.95] : kind === 'colleagues' ? [0.02, 0.05, 1] : [0.02, 0.3, 0.01];
      g[p * WIDTH] = agree(given);
      g[p * WIDTH + 1] = agree(surname);
      const same = agree(place);
      for (let f = 2; f < WIDTH; f++) g[p * WIDTH + f] = same;
    }
    return { patterns: compressPatterns(g, n, seven), seven, matches, n };
  }

  it('learn the match class from the other fields: colleagues are not matches, and a first-name disagreement weighs', () => {
    const { patterns, seven, matches, n } = contacts();
    const plain = expectationMaximisation(patterns, seven, { maxIterations: 500, tolerance: 1e-8 });
    // With the workplace as evidence, the match class is "same workplace": the colleagues.
    expect(plain.lambda).toBeGreaterThan(0.5);
    expect(plain.m[0]![2]!).toBeGreaterThan(0.5);
    const context = new Set([2, 3, 4, 5, 6]);
    const em = expectationMaximisation(patterns, seven, { maxIterations: 500, tolerance: 1e-8, context });
    expect(em.lambda).toBeCloseTo(matches / n, 2);
    expect(em.m[0]![2]!).toBeLessThan(0.15);
    // The workplace's m is still estimated, from the pairs the names call one person.
    expect(em.m[2]![1]!).toBeGreaterThan(0.85);
    expect(em.context).toBe(context);
  });
});

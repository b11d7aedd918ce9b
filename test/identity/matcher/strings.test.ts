// The string comparators against published values: Jaro–Winkler from Winkler's papers and the
// usual test pairs, Soundex from the US National Archives' examples.
import { describe, expect, it } from 'vitest';
import { commonCharacters, damerauLevenshtein, jaro, jaroWinkler, jaroWinklerBound, levenshtein, soundex } from '../../../src/identity/matcher/strings.ts';

describe('Jaro and Jaro–Winkler', () => {
  it.each([
    ['MARTHA', 'MARHTA', 0.944, 0.961],
    ['DWAYNE', 'DUANE', 0.822, 0.84],
    ['DIXON', 'DICKSONX', 0.767, 0.813],
    ['JELLYFISH', 'SMELLYFISH', 0.896, 0.896],
  ])('scores %s / %s as Jaro %f and Jaro–Winkler %f', (a, b, j, jw) => {
    expect(jaro(a, b)).toBeCloseTo(j, 3);
    expect(jaroWinkler(a, b)).toBeCloseTo(jw, 3);
    expect(jaroWinkler(b, a)).toBeCloseTo(jw, 3);
  });

  it('gives 1 for equal strings, 0 for strings with nothing in common or one empty', () => {
    expect(jaroWinkler('smith', 'smith')).toBe(1);
    expect(jaroWinkler('abc', 'xyz')).toBe(0);
    expect(jaroWinkler('', 'abc')).toBe(0);
    expect(jaroWinkler('', '')).toBe(1);
  });

  it('never bounds a pair below its real score (the bound only prunes)', () => {
    const words = ['tullaroop street', 'giblin street', 'michaela', 'michafla', 'neumann', 'newman', 'x', 'martha', 'marhta'];
    for (const a of words) for (const b of words) expect(jaroWinklerBound(a, b, commonCharacters(a, b))).toBeGreaterThanOrEqual(jaroWinkler(a, b) - 1e-12);
  });
});

describe('edit distances', () => {
  it.each([
    ['kitten', 'sitting', 3],
    ['flaw', 'lawn', 2],
    ['', 'abc', 3],
    ['abc', 'abc', 0],
    ['ca', 'ac', 2],
    ['19081209', '19081290', 2],
  ])('Levenshtein %s / %s = %i', (a, b, d) => {
    expect(levenshtein(a, b)).toBe(d);
    expect(levenshtein(b, a)).toBe(d);
  });

  it.each([
    ['ca', 'ac', 1],
    ['19081209', '19081290', 1],
    ['stanley street', 'stanleykstreet', 1],
    ['ca', 'abc', 3],
  ])('Damerau–Levenshtein (optimal string alignment) %s / %s = %i', (a, b, d) => expect(damerauLevenshtein(a, b)).toBe(d));

  it('stops at max + 1 when bounded', () => {
    expect(levenshtein('kitten', 'sitting', 1)).toBe(2);
    expect(levenshtein('abcdefgh', 'zyxwvuts', 2)).toBe(3);
    expect(levenshtein('kitten', 'sitting', 3)).toBe(3);
  });
});

describe('Soundex', () => {
  it.each([
    ['Robert', 'R163'],
    ['Rupert', 'R163'],
    ['Rubin', 'R150'],
    ['Ashcraft', 'A261'],
    ['Ashcroft', 'A261'],
    ['Tymczak', 'T522'],
    ['Pfister', 'P236'],
    ['Honeyman', 'H555'],
    ['Lee', 'L000'],
    ['O\'Hara', 'O600'],
    ['', ''],
    ['123', ''],
  ])('codes %j as %j', (name, code) => expect(soundex(name)).toBe(code));
});

// String comparators for record linkage, written for the inner loop: they read strings with
// charCodeAt and work in module-level scratch buffers, so a comparison allocates nothing (the
// buffers grow once to the longest string seen). Not re-entrant, which JavaScript's one thread
// makes safe as long as none of them calls another mid-comparison.

let flagsA = new Uint8Array(64);
let flagsB = new Uint8Array(64);
let row0 = new Int32Array(65);
let row1 = new Int32Array(65);
let row2 = new Int32Array(65);

function ensureFlags(n: number): void {
  if (flagsA.length >= n) return;
  const size = Math.max(n, flagsA.length * 2);
  flagsA = new Uint8Array(size);
  flagsB = new Uint8Array(size);
}

function ensureRows(n: number): void {
  if (row0.length >= n + 1) return;
  const size = Math.max(n + 1, row0.length * 2);
  row0 = new Int32Array(size);
  row1 = new Int32Array(size);
  row2 = new Int32Array(size);
}

/**
 * Jaro similarity in [0, 1] (Jaro 1989): characters match when equal and no further apart than
 * half the longer string less one; the score averages the share of matched characters in each
 * string and the share of matches in the same order.
 */
export function jaro(a: string, b: string): number {
  const la = a.length;
  const lb = b.length;
  if (la === 0 || lb === 0) return la === lb ? 1 : 0;
  if (a === b) return 1;
  const window = Math.max(0, (Math.max(la, lb) >> 1) - 1);
  ensureFlags(Math.max(la, lb));
  flagsA.fill(0, 0, la);
  flagsB.fill(0, 0, lb);
  let matches = 0;
  for (let i = 0; i < la; i++) {
    const c = a.charCodeAt(i);
    const lo = i > window ? i - window : 0;
    const hi = Math.min(lb - 1, i + window);
    for (let j = lo; j <= hi; j++) {
      if (flagsB[j] === 0 && b.charCodeAt(j) === c) {
        flagsA[i] = 1;
        flagsB[j] = 1;
        matches++;
        break;
      }
    }
  }
  if (matches === 0) return 0;
  let transpositions = 0;
  let k = 0;
  for (let i = 0; i < la; i++) {
    if (flagsA[i] === 0) continue;
    while (flagsB[k] === 0) k++;
    if (a.charCodeAt(i) !== b.charCodeAt(k)) transpositions++;
    k++;
  }
  const m = matches;
  return (m / la + m / lb + (m - transpositions / 2) / m) / 3;
}

/**
 * Jaro–Winkler similarity (Winkler 1990): Jaro raised for a shared prefix of up to four
 * characters, by 0.1 per character, when the Jaro score is above 0.7 (Winkler's boost threshold).
 * MARTHA/MARHTA → 0.961, DWAYNE/DUANE → 0.840, DIXON/DICKSONX → 0.813.
 */
export function jaroWinkler(a: string, b: string): number {
  const j = jaro(a, b);
  if (j <= 0.7) return j;
  const n = Math.min(4, a.length, b.length);
  let prefix = 0;
  while (prefix < n && a.charCodeAt(prefix) === b.charCodeAt(prefix)) prefix++;
  return j + prefix * 0.1 * (1 - j);
}

/**
 * Edit distance: insertions, deletions and substitutions each cost 1; with `transpositions`,
 * swapping two adjacent characters also costs 1 (optimal string alignment, the restricted
 * Damerau–Levenshtein distance). Stops early once the distance must exceed `max` and then returns
 * `max + 1`, so a bounded check costs about `max` diagonals instead of the whole table.
 */
export function editDistance(a: string, b: string, max = Number.MAX_SAFE_INTEGER, transpositions = false): number {
  if (a === b) return 0;
  let la = a.length;
  let lb = b.length;
  if (Math.abs(la - lb) > max) return max + 1;
  // Common prefix and suffix cost nothing.
  let start = 0;
  while (start < la && start < lb && a.charCodeAt(start) === b.charCodeAt(start)) start++;
  while (la > start && lb > start && a.charCodeAt(la - 1) === b.charCodeAt(lb - 1)) {
    la--;
    lb--;
  }
  const n = la - start;
  const m = lb - start;
  if (n === 0) return Math.min(m, max + 1);
  if (m === 0) return Math.min(n, max + 1);
  ensureRows(m);
  // Only cells within `band` of the diagonal can stay at or under max (Ukkonen 1985); the rest
  // are held at band + 1, which is all a bounded check needs.
  const band = Math.min(Math.max(n, m), max);
  const out = band + 1;
  let prev2 = row2;
  let prev = row0;
  let cur = row1;
  for (let j = 0; j <= m; j++) prev[j] = j <= band ? j : out;
  for (let i = 1; i <= n; i++) {
    const ca = a.charCodeAt(start + i - 1);
    const lo = i - band > 1 ? i - band : 1;
    const hi = i + band < m ? i + band : m;
    cur[0] = i <= band ? i : out;
    if (lo > 1) cur[lo - 1] = out;
    let rowMin = cur[0];
    for (let j = lo; j <= hi; j++) {
      const cb = b.charCodeAt(start + j - 1);
      let d = prev[j - 1]! + (ca === cb ? 0 : 1);
      const del = prev[j]! + 1;
      const ins = cur[j - 1]! + 1;
      if (del < d) d = del;
      if (ins < d) d = ins;
      if (transpositions && i > 1 && j > 1 && ca === b.charCodeAt(start + j - 2) && a.charCodeAt(start + i - 2) === cb) {
        const t = prev2[j - 2]! + 1;
        if (t < d) d = t;
      }
      if (d > out) d = out;
      cur[j] = d;
      if (d < rowMin) rowMin = d;
    }
    if (hi < m) cur[hi + 1] = out;
    // With transpositions a later row can reach back two rows, so the cut needs both rows above max.
    if (rowMin > max && (!transpositions || minOf(prev, m) > max)) return max + 1;
    const t = prev2;
    prev2 = prev;
    prev = cur;
    cur = t;
  }
  const d = prev[m]!;
  return d > max ? max + 1 : d;
}

function minOf(row: Int32Array, m: number): number {
  let min = row[0]!;
  for (let j = 1; j <= m; j++) if (row[j]! < min) min = row[j]!;
  return min;
}

/** Levenshtein distance (insert, delete, substitute). "kitten"/"sitting" → 3. */
export function levenshtein(a: string, b: string, max?: number): number {
  return editDistance(a, b, max, false);
}

/** Optimal-string-alignment distance: Levenshtein plus adjacent transpositions. "ca"/"ac" → 1. */
export function damerauLevenshtein(a: string, b: string, max?: number): number {
  return editDistance(a, b, max, true);
}

// A=0 … Z=25 → Soundex digit; 0 for vowels and Y (they separate), 7 for H and W (they do not).
const SOUNDEX_CODES = [0, 1, 2, 3, 0, 1, 2, 7, 0, 2, 2, 4, 5, 5, 0, 1, 2, 6, 2, 3, 0, 1, 7, 2, 0, 2];

/**
 * American Soundex (the US National Archives rules): the first letter, then up to three digits
 * for the consonants that follow; letters with one code next to each other, or separated only by
 * H or W, count once; vowels separate. "Robert" → R163, "Tymczak" → T522, "Pfister" → P236,
 * "Ashcraft" → A261. Non-letters are ignored (diacritics must be folded first); `''` when there is no letter.
 */
export function soundex(s: string): string {
  let out = '';
  let last = -1;
  for (let i = 0; i < s.length && out.length < 4; i++) {
    let c = s.charCodeAt(i);
    if (c >= 97 && c <= 122) c -= 32;
    if (c < 65 || c > 90) continue;
    const code = SOUNDEX_CODES[c - 65]!;
    if (out === '') {
      out = String.fromCharCode(c);
      last = code;
      continue;
    }
    if (code === 7) continue;
    if (code !== 0 && code !== last) out += String(code);
    last = code;
  }
  return out === '' ? '' : out.padEnd(4, '0');
}

const charCounts = new Int32Array(128);

/**
 * How many characters two strings have in common as multisets, ignoring position: an upper bound
 * on Jaro's matches and so a cheap way to rule a pair out before the O(n·m) comparators
 * (`jaroWinklerBound`, and edit distance ≥ longer length − common). -1 when a string has a
 * character outside ASCII (no bound).
 */
export function commonCharacters(a: string, b: string): number {
  const la = a.length;
  const lb = b.length;
  for (let i = 0; i < la; i++) {
    const c = a.charCodeAt(i);
    if (c >= 128) {
      for (let k = 0; k < i; k++) charCounts[a.charCodeAt(k)] = 0;
      return -1;
    }
    charCounts[c]!++;
  }
  let common = 0;
  let ascii = true;
  for (let j = 0; j < lb; j++) {
    const c = b.charCodeAt(j);
    if (c >= 128) {
      ascii = false;
      break;
    }
    if (charCounts[c]! > 0) {
      charCounts[c]!--;
      common++;
    }
  }
  for (let i = 0; i < la; i++) charCounts[a.charCodeAt(i)] = 0;
  return ascii ? common : -1;
}

/** The highest Jaro–Winkler score two strings with `common` shared characters could reach. */
export function jaroWinklerBound(a: string, b: string, common: number): number {
  if (common < 0) return 1;
  if (common === 0) return 0;
  const j = (common / a.length + common / b.length + 1) / 3;
  if (j <= 0.7) return j;
  const n = Math.min(4, a.length, b.length);
  let prefix = 0;
  while (prefix < n && a.charCodeAt(prefix) === b.charCodeAt(prefix)) prefix++;
  return j + prefix * 0.1 * (1 - j);
}

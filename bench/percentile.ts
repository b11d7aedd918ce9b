// Nearest-rank percentiles, as the bench rows report them (bench/load.ts ranks its sorted samples
// the same way). A sample that never came (a change never written) is passed as Infinity: it is
// the slowest, so a tail percentile over a loss that large says so instead of averaging it away.
export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

// Binary search over the emulators' sorted lists, so a page deep into a large list costs its
// own rows rather than a scan from the start.

/**
 * The index of the first item for which `isPast` holds, in a list where it is false for a
 * prefix and true for the rest (items.length when it never holds).
 */
export function firstIndexWhere<T>(items: readonly T[], isPast: (item: T) => boolean): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (isPast(items[mid]!)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

// A long batch (the backfill) lets go of a large working set at a few known points: after the
// matcher, after the clusters are built, after the links are written. V8 would otherwise
// collect that garbage only once the heap had grown to a multiple of what is alive, so the
// process's memory would climb through the run instead of following what it holds. A full
// collection at those points costs a fraction of a second each and gives the pages back.
// `gc` is reached through V8's own flag (node's documented `v8.setFlagsFromString`), so no
// command-line flag is needed; where that is refused, releasing is a no-op.
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | null | undefined;

/** Runs a full garbage collection, when the runtime allows it. */
export function releaseMemory(): void {
  if (collect === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc');
      const gc: unknown = runInNewContext('gc');
      collect = typeof gc === 'function' ? (gc as () => void) : null;
    } catch {
      collect = null;
    }
  }
  collect?.();
}

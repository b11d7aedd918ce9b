// The write capability of a connector (src/sources/<system>/writer.ts, opened by its descriptor
// as OpenedSystem.writer): what the outbox worker calls to put decided values into a system.
export type { RecordWriter, WriteOptions } from '../sources/contract.ts';

/** `a.b.c` = v → `{ a: { b: { c: v } } }`, merged into `into`; null becomes `empty`. */
export function nestPaths(changes: Record<string, unknown>, empty: unknown = null): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [path, value] of Object.entries(changes)) {
    const steps = path.split('.');
    let cur = out;
    for (const step of steps.slice(0, -1)) {
      const next = cur[step];
      if (next === null || typeof next !== 'object') cur[step] = {};
      cur = cur[step] as Record<string, unknown>;
    }
    cur[steps.at(-1)!] = value === null ? empty : value;
  }
  return out;
}

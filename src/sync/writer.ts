// The write capability of a connector (src/sources/<system>/writer.ts): what the outbox worker
// calls to put decided values into a system. Self-contained, so it plugs into a connector
// descriptor's `write` slot (issue #10 Part 1).
import type { SourceRecord, SystemId } from '../sources/types.ts';

export interface WriteOptions {
  /** Derived from the outbox row; sent where the system takes one (Stripe's Idempotency-Key). */
  idempotencyKey: string;
}

export interface RecordWriter {
  readonly system: SystemId;
  /**
   * Sends `changes` (target path, as the field spec names it in the record's data → value; null
   * clears) to the record as it was just read. Only the paths given are sent. Throws a SourceError
   * (src/sources/errors.ts): RATE_LIMITED with the Retry-After the system sent, SOURCE_UNAVAILABLE
   * with the HTTP status (a 4xx other than 408/409/429 is a refusal that retrying will not change).
   */
  write(record: SourceRecord, changes: Record<string, unknown>, options: WriteOptions): Promise<void>;
}

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

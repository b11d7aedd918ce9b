// A source as the gateway uses it: every call bounded by the source's timeout and guarded by
// its circuit breaker, every failure turned into a per-key SourceUnavailableError. A dead or
// slow source costs the answer only that source's fields.
import type { SourceConnector, SourceRecord, SystemId } from '../sources/types.ts';
import { createCircuitBreaker, withTimeout, CircuitOpenError, type CircuitBreaker, type Clock } from '../resilience/index.ts';
import { SourceUnavailableError } from '../server/errors.ts';
import { SourceError } from '../sources/errors.ts';

/** A per-key error that says the key was wrong (bad id), not that the source failed. */
const isInputError = (e: Error): boolean => e instanceof SourceError && e.code === 'BAD_USER_INPUT';

export interface GuardOptions {
  /** Per-call deadline (default 2 s). */
  timeoutMs?: number;
  /** Consecutive failures that open the breaker (default 5), and how long it stays open (10 s). */
  failureThreshold?: number;
  cooldownMs?: number;
  clock?: Clock;
}

export interface GuardedSource {
  readonly system: SystemId;
  readonly breaker: CircuitBreaker;
  loadAccounts(ids: readonly string[]): Promise<(SourceRecord | null | Error)[]>;
  loadRelated(kind: string, accountIds: readonly string[]): Promise<(unknown[] | Error)[]>;
  accountOfPerson(ids: readonly string[]): Promise<(string | null | Error)[]>;
  ping(): Promise<void>;
}

function describe(e: unknown, timeoutMs: number): string {
  if (e instanceof CircuitOpenError) return 'circuit open after repeated failures; not called';
  if (e instanceof Error && e.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  return e instanceof Error ? e.message : String(e);
}

export function guardSource(connector: SourceConnector, options: GuardOptions = {}): GuardedSource {
  const timeoutMs = options.timeoutMs ?? 2_000;
  const system = connector.system;
  const breaker = createCircuitBreaker({
    name: system,
    failureThreshold: options.failureThreshold ?? 5,
    cooldownMs: options.cooldownMs ?? 10_000,
    ...(options.clock ? { clock: options.clock } : {}),
  });

  /** Runs a batch call; a whole-call failure becomes the same error for every key. */
  const run = async <T>(keys: readonly unknown[], call: () => Promise<(T | Error)[]>): Promise<(T | Error)[]> => {
    try {
      const results = await breaker.exec(async () => {
        const r = await withTimeout(call(), timeoutMs);
        // Every key failing for a reason other than its own input is the source failing.
        if (r.length > 0 && r.every((x) => x instanceof Error && !isInputError(x))) throw r[0] as Error;
        return r;
      });
      return results.map((r) => (r instanceof Error && !isInputError(r) ? new SourceUnavailableError(system, r.message, r) : r));
    } catch (e) {
      // The cause lets the client message say what happened in our words (server/errors.ts publicReason).
      const err = new SourceUnavailableError(system, describe(e, timeoutMs), e instanceof Error ? e : undefined);
      return keys.map(() => err);
    }
  };

  return {
    system,
    breaker,
    loadAccounts: (ids) => run(ids, () => connector.loadAccounts(ids)),
    loadRelated: (kind, ids) =>
      run(ids, () => (connector.loadRelated as (k: string, ids: readonly string[]) => Promise<(unknown[] | Error)[]>)(kind, ids)),
    accountOfPerson: (ids) => run(ids, () => connector.accountOfPerson(ids)),
    ping: () => breaker.exec(() => withTimeout(connector.ping(), timeoutMs)),
  };
}

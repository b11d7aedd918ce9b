// The outbox worker loop (docs/sync.md): claims due rows so two workers never take the same one
// (FOR UPDATE SKIP LOCKED, with a lease a dead worker's claim runs out of), re-reads each target,
// writes only what differs through the system's writer, and records the outcome exactly once.
//
// Why it is safe to crash anywhere: a row is DONE only by the worker that holds its claim (renewed
// while the worker works it); a row whose worker died is claimed again once its lease runs out
// (15 s by default), and the retry re-reads the target first:
// values already there (the write landed before the crash) are DONE without another write, and a
// Stripe write that must be sent again carries the row's idempotency key, which Stripe answers
// from its saved result. Optimistic concurrency: a target whose value changed since the decision
// read it is not overwritten; the row is SUPERSEDED and the customer decided again.
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Store } from '../store/index.ts';
import type { SourceRecord, SystemId } from '../sources/types.ts';
import { SourceError, SourceRateLimitedError, SourceUnavailableError } from '../sources/errors.ts';
import { CircuitOpenError, TimeoutError, createCircuitBreaker, type CircuitBreaker } from '../resilience/index.ts';
import { mapWithConcurrency } from '../sources/concurrency.ts';
import type { PubSub } from '../pubsub/index.ts';
import { raiseSyncFailure } from '../review/items.ts';
import type { AccountReader, Decider } from './decide.ts';
import type { RecordWriter } from './writer.ts';
import type { EchoLog } from './echo.ts';
import { audit, outboxColumns, toEntry, type OutboxEntry } from './outbox-store.ts';
import { currentValue, sameRaw } from './formats.ts';
import { createStatusPublisher, type StatusPublisher } from './status.ts';
import { observeWrittenIntent } from './observed.ts';

export interface RetryPolicy {
  /** Attempts per row before it is a dead letter (default 6). */
  attempts: number;
  /** First backoff (default 500 ms), doubled per attempt up to maxMs (default 5 min), with full jitter. */
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseMs: 500, maxMs: 5 * 60_000 };

export interface OutboxLogger {
  info(msg: string, extra?: Record<string, unknown>): void;
  error(msg: string, extra?: Record<string, unknown>): void;
}

export interface OutboxDeps {
  store: Store;
  /** Reads each target fresh before writing it. */
  sources: Partial<Record<SystemId, AccountReader>>;
  /** The write capability of each system Meridian writes (src/sources/<system>/writer.ts). */
  writers: Partial<Record<SystemId, RecordWriter>>;
  /** Decides a customer again when a target changed under a decided write. */
  decider: Decider;
  echo?: EchoLog | null;
  pubsub?: PubSub | null;
  status?: StatusPublisher;
  logger?: OutboxLogger;
  /** Names this worker's claims (default host:pid:random). */
  workerId?: string;
  /**
   * How long a claim holds unless renewed (default 15 s). The worker renews the claims of the rows
   * it is working every third of it, so a live worker keeps a slow batch; a dead worker's rows are
   * taken over by another once it runs out.
   */
  leaseMs?: number;
  /** Rows claimed per round (default 20) and written at once (default 4). */
  batchSize?: number;
  concurrency?: number;
  /** Sleep between rounds that found nothing (default 250 ms). */
  pollMs?: number;
  retry?: Partial<RetryPolicy>;
  /** One breaker per system (default: 5 consecutive failures open it for 10 s, longer on Retry-After). */
  breakers?: Partial<Record<SystemId, CircuitBreaker>>;
  /** Jitter source (tests pin it). */
  random?: () => number;
  actor?: string;
}

export interface RoundResult {
  claimed: number;
  done: number;
  retried: number;
  failed: number;
  superseded: number;
}

export interface OutboxLoop {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** One round: claim due rows and perform them. */
  runOnce(): Promise<RoundResult>;
  /** Rounds until nothing is due (or `maxRounds`); for tests and `replay`. */
  drain(maxRounds?: number): Promise<RoundResult>;
  /** Rows were just committed: a waiting loop claims now, a busy one goes another round before it waits. */
  wake(): void;
}

/** A failure that retrying may fix: no answer, a 5xx, 408/409, a rate limit, an open circuit, a timeout. */
export function isRetryable(e: unknown): boolean {
  if (e instanceof CircuitOpenError || e instanceof TimeoutError || e instanceof SourceRateLimitedError) return true;
  if (e instanceof SourceError) {
    if (e.code === 'BAD_USER_INPUT') return false;
    const s = e.status;
    return s === null || s >= 500 || s === 408 || s === 409 || s === 429;
  }
  return true;
}

/** How long the system asked us to wait, in ms (Retry-After, or an open circuit's cooldown); null when it did not say. */
export function retryAfterMs(e: unknown): number | null {
  // A connector's error may arrive wrapped (the gateway's guarded sources keep it as the cause).
  for (let x: unknown = e, depth = 0; x instanceof Error && depth < 4; x = x.cause, depth++) {
    if (x instanceof CircuitOpenError) return x.retryAfterMs;
    if ((x instanceof SourceRateLimitedError || x instanceof SourceUnavailableError) && x.retryAfterSeconds !== null) return x.retryAfterSeconds * 1000;
  }
  return null;
}

/** Backoff before attempt `attempt + 1`: exponential with full jitter, never shorter than Retry-After. */
export function backoffMs(attempt: number, policy: RetryPolicy, random: () => number, after: number | null): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  const jittered = Math.round(ceiling / 2 + random() * (ceiling / 2));
  return Math.max(jittered, after ?? 0);
}

const describe = (e: unknown): string => (e instanceof Error ? e.message : String(e)).slice(0, 500);

/**
 * Paths to send: those whose current value differs from the new one, plus the rest of any nested
 * object they belong to (`address.*`), since systems replace such an object whole.
 */
function pathsToSend(changes: Record<string, unknown>, differing: readonly string[]): string[] {
  const groups = new Set(differing.filter((p) => p.includes('.') && !p.includes('[')).map((p) => p.slice(0, p.indexOf('.'))));
  return Object.keys(changes).filter((p) => differing.includes(p) || (p.includes('.') && !p.includes('[') && groups.has(p.slice(0, p.indexOf('.')))));
}

export function createOutboxLoop(deps: OutboxDeps): OutboxLoop {
  const { store } = deps;
  const t = store.table('sync_outbox');
  const workerId = deps.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const leaseMs = deps.leaseMs ?? 15_000;
  const batchSize = deps.batchSize ?? 20;
  const concurrency = deps.concurrency ?? 4;
  const pollMs = deps.pollMs ?? 250;
  const policy: RetryPolicy = { ...DEFAULT_RETRY, ...deps.retry };
  const random = deps.random ?? Math.random;
  const actor = deps.actor ?? 'sync';
  const logger = deps.logger ?? { info: () => undefined, error: () => undefined };
  const status = deps.status ?? createStatusPublisher(deps.pubsub, { onError: (e) => logger.error('sync status not published', { error: describe(e) }) });
  const breakers = new Map<SystemId, CircuitBreaker>(Object.entries(deps.breakers ?? {}) as [SystemId, CircuitBreaker][]);
  const breakerOf = (system: SystemId): CircuitBreaker => {
    let b = breakers.get(system);
    if (b === undefined) {
      b = createCircuitBreaker({
        name: `${system}:write`,
        // A refusal of one record's values says nothing about the system's health.
        isFailure: (e) => isRetryable(e),
        retryAfterMs: (e) => (e instanceof SourceRateLimitedError && e.retryAfterSeconds !== null ? e.retryAfterSeconds * 1000 : null),
      });
      breakers.set(system, b);
    }
    return b;
  };

  const claim = async (): Promise<OutboxEntry[]> => {
    const r = await store.query(
      `WITH due AS (
         SELECT o.id FROM ${t} o
          WHERE ((o.state = 'QUEUED' AND o.next_attempt_at <= now()) OR (o.state = 'WRITING' AND o.lease_until < now()))
            -- One row per record at a time, oldest first: writes to one record land in decision order.
            AND NOT EXISTS (SELECT 1 FROM ${t} p WHERE p.system = o.system AND p.record_id = o.record_id AND p.id < o.id AND p.state IN ('QUEUED', 'WRITING'))
          ORDER BY o.next_attempt_at, o.id
          LIMIT $1
          FOR UPDATE SKIP LOCKED
       )
       UPDATE ${t} o SET state = 'WRITING', claimed_by = $2, lease_until = now() + $3::int * interval '1 millisecond', attempts = o.attempts + 1, updated_at = now()
         FROM due WHERE o.id = due.id
       RETURNING ${outboxColumns('o')}`,
      [batchSize, workerId, leaseMs],
    );
    return (r.rows as Parameters<typeof toEntry>[0][]).map(toEntry);
  };

  /** Renews this worker's claims on `ids` (the rows of its round not finished yet) until the returned function is called. */
  const holdClaims = (ids: Set<string>): (() => void) => {
    const timer = setInterval(() => {
      if (ids.size === 0) return;
      store
        .query(`UPDATE ${t} SET lease_until = now() + $3::int * interval '1 millisecond' WHERE id = ANY($1::bigint[]) AND state = 'WRITING' AND claimed_by = $2`, [[...ids], workerId, leaseMs])
        .catch((e: unknown) => logger.error('outbox claims not renewed', { error: describe(e) }));
    }, Math.max(1, Math.floor(leaseMs / 3)));
    timer.unref();
    return () => clearInterval(timer);
  };

  /** Ends this worker's claim on a row with `set`; false when the claim was lost (lease ran out, another worker took it). */
  const finish = async (c: { query: Store['query'] }, entry: OutboxEntry, set: string, values: unknown[]): Promise<boolean> => {
    const r = await c.query(`UPDATE ${t} SET ${set}, lease_until = NULL, updated_at = now() WHERE id = $1 AND state = 'WRITING' AND claimed_by = $2`, [entry.id, workerId, ...values]);
    return (r.rowCount ?? 0) === 1;
  };

  const readTarget = async (entry: OutboxEntry): Promise<SourceRecord | null> => {
    const reader = deps.sources[entry.system];
    if (reader === undefined) throw new SourceUnavailableError(entry.system, `${entry.system} is not configured: its record cannot be read`, { status: 400 });
    const [r] = await breakerOf(entry.system).exec(() => reader.loadAccounts([entry.recordId]));
    if (r instanceof Error) throw r;
    return r ?? null;
  };

  type Outcome = 'done' | 'retried' | 'failed' | 'superseded' | 'lost';

  const fail = async (entry: OutboxEntry, e: unknown): Promise<Outcome> => {
    const reason = describe(e);
    // An open circuit did not try the system: it does not spend the row's budget.
    const spent = e instanceof CircuitOpenError ? entry.attempts - 1 : entry.attempts;
    if (isRetryable(e) && spent < policy.attempts) {
      const delay = backoffMs(spent, policy, random, retryAfterMs(e));
      const ok = await finish(store, entry, `state = 'QUEUED', attempts = $4, last_error = $3, next_attempt_at = now() + $5::int * interval '1 millisecond'`, [reason, spent, delay]);
      if (ok) await status.status(entry, 'QUEUED', reason);
      return ok ? 'retried' : 'lost';
    }
    const itemId = await store.transaction(async (c) => {
      if (!(await finish(c, entry, `state = 'FAILED', last_error = $3, outcome = 'dead letter'`, [reason]))) return null;
      const itemId = await raiseSyncFailure(c, store, { system: entry.system, recordType: entry.recordType, externalId: entry.recordId }, {
        customerId: entry.goldenId, outboxId: entry.id, fields: entry.fields, values: entry.goldenValues, reason, attempts: entry.attempts,
      }, actor);
      await c.query(
        `INSERT INTO ${store.table('sync_dead_letters')} (system, record_id, golden_id, outbox_id, fields, reason, attempts, review_item_id)
         VALUES ($1, $2, $3, $4::bigint, $5, $6, $7, $8::bigint)
         ON CONFLICT (system, record_id) DO UPDATE SET golden_id = EXCLUDED.golden_id, outbox_id = EXCLUDED.outbox_id, fields = EXCLUDED.fields,
           reason = EXCLUDED.reason, attempts = EXCLUDED.attempts, review_item_id = EXCLUDED.review_item_id, failed_at = now()`,
        [entry.system, entry.recordId, entry.goldenId, entry.id, entry.fields, reason, entry.attempts, itemId],
      );
      await audit(c, store, [
        { kind: 'write_failed', goldenId: entry.goldenId, system: entry.system, recordId: entry.recordId, outboxId: entry.id, fields: entry.fields, detail: { reason, attempts: entry.attempts }, actor },
        { kind: 'dead_letter', goldenId: entry.goldenId, system: entry.system, recordId: entry.recordId, outboxId: entry.id, fields: entry.fields, detail: { reason, reviewItem: itemId }, actor },
      ]);
      return itemId;
    });
    if (itemId === null) return 'lost';
    await status.reviewChanged([itemId]);
    logger.error('sync write failed for good', { system: entry.system, recordId: entry.recordId, outboxId: entry.id, reason });
    await status.status(entry, 'FAILED', reason);
    return 'failed';
  };

  const perform = async (entry: OutboxEntry): Promise<Outcome> => {
    await status.status(entry, 'WRITING');
    try {
      const writer = deps.writers[entry.system];
      if (writer === undefined) throw new SourceUnavailableError(entry.system, `no writer for ${entry.system}: Meridian does not write it in this deployment`, { status: 400 });
      const record = await readTarget(entry);
      if (record === null || record.deleted) throw new SourceUnavailableError(entry.system, `${entry.system} record ${entry.recordId} no longer exists`, { status: 404 });
      const differing: string[] = [];
      const changedSince: string[] = [];
      for (const [path, value] of Object.entries(entry.changes)) {
        const now = currentValue(record.data, path);
        if (sameRaw(now, value)) continue;
        differing.push(path);
        if (!sameRaw(now, entry.expected[path] ?? null)) changedSince.push(path);
      }
      if (changedSince.length > 0) {
        // Someone changed the target since the decision read it: decide again from what is
        // there now (the new rows wait behind this one until it is closed below).
        await deps.decider.decide(entry.goldenId, { reason: 'target-changed' });
        const ok = await store.transaction(async (c) => {
          if (!(await finish(c, entry, `state = 'SUPERSEDED', outcome = $3`, [`target changed since decided: ${changedSince.join(', ')}`]))) return false;
          await audit(c, store, [{ kind: 'redecided', goldenId: entry.goldenId, system: entry.system, recordId: entry.recordId, outboxId: entry.id, fields: entry.fields, detail: { changedSince }, actor }]);
          return true;
        });
        if (ok) await status.status(entry, 'FAILED', `superseded: ${entry.system} record ${entry.recordId} changed since this write was decided (${changedSince.join(', ')}); decided again`);
        return ok ? 'superseded' : 'lost';
      }
      const send = pathsToSend(entry.changes, differing);
      if (send.length > 0) {
        const writer2 = writer;
        await breakerOf(entry.system).exec(() => writer2.write(record, Object.fromEntries(send.map((p) => [p, entry.changes[p]])), { idempotencyKey: entry.idempotencyKey }));
      }
      const outcome = send.length > 0 ? 'written' : 'already there';
      const ok = await store.transaction(async (c) => {
        if (!(await finish(c, entry, `state = 'DONE', outcome = $3, done_at = now(), last_error = NULL`, [outcome]))) return false;
        await deps.echo?.remember({ system: entry.system, recordId: entry.recordId, outboxId: entry.id, values: entry.goldenValues }, c);
        if (entry.origin.startsWith('intent:')) await observeWrittenIntent(c, store, entry.system, entry.recordId, entry.goldenValues);
        await audit(c, store, [{ kind: 'write_done', goldenId: entry.goldenId, system: entry.system, recordId: entry.recordId, outboxId: entry.id, fields: entry.fields, detail: { outcome, sent: send }, actor }]);
        return true;
      });
      if (!ok) return 'lost';
      await status.status(entry, 'DONE');
      await status.customerChanged(entry.goldenId);
      return 'done';
    } catch (e) {
      return fail(entry, e);
    }
  };

  const runOnce = async (): Promise<RoundResult> => {
    const claimed = await claim();
    const result: RoundResult = { claimed: claimed.length, done: 0, retried: 0, failed: 0, superseded: 0 };
    if (claimed.length === 0) return result;
    // The rows wait their turn in this round (`concurrency` at once): their claims are kept alive meanwhile.
    const working = new Set(claimed.map((e) => e.id));
    const release = holdClaims(working);
    let outcomes: Outcome[];
    try {
      outcomes = await mapWithConcurrency(claimed, concurrency, (entry) =>
        perform(entry)
          .catch((e: unknown) => {
            // The database failed while recording an outcome: the claim runs out and the row is retried.
            logger.error('outbox row not recorded', { outboxId: entry.id, error: describe(e) });
            return 'lost' as const;
          })
          .finally(() => working.delete(entry.id)),
      );
    } finally {
      release();
    }
    for (const o of outcomes) if (o !== 'lost') result[o] += 1;
    return result;
  };

  let running: Promise<void> | null = null;
  let stopping = false;
  let wake: (() => void) | null = null;
  let woken = false;

  return {
    name: 'outbox',
    runOnce,
    drain: async (maxRounds = 1000) => {
      const total: RoundResult = { claimed: 0, done: 0, retried: 0, failed: 0, superseded: 0 };
      for (let i = 0; i < maxRounds; i++) {
        const r = await runOnce();
        for (const k of Object.keys(total) as (keyof RoundResult)[]) total[k] += r[k];
        if (r.claimed === 0) break;
      }
      return total;
    },
    start: () => {
      if (running) return Promise.resolve();
      stopping = false;
      running = (async () => {
        let prunedAt = 0;
        while (!stopping) {
          // Echo memories past their window are dropped now and then (any worker may do it).
          if (deps.echo && Date.now() - prunedAt > 60_000) {
            prunedAt = Date.now();
            await deps.echo.prune().catch((e: unknown) => logger.error('echo prune failed', { error: describe(e) }));
          }
          let claimed = 0;
          woken = false;
          try {
            claimed = (await runOnce()).claimed;
          } catch (e) {
            logger.error('outbox round failed', { error: describe(e) });
          }
          if (claimed === 0 && !stopping && !woken) {
            await new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, pollMs);
              wake = () => {
                clearTimeout(timer);
                resolve();
              };
            });
            wake = null;
          }
        }
      })();
      return Promise.resolve();
    },
    wake: () => {
      woken = true;
      wake?.();
    },
    stop: async () => {
      stopping = true;
      wake?.();
      await running;
      running = null;
    },
  };
}

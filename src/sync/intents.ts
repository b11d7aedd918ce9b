// The intents of updateCustomer (table sync_intents, migration 0014): what a caller asked, under
// which idempotency key, and the write jobs routing answered. No transaction is held while the
// router works (it reads systems and writes the outbox in its own transaction, and the embedded
// Postgres runs one transaction at a time): a row is claimed first ('pending'), then completed
// with the jobs ('routed'), or deleted when routing fails, so a failed call leaves nothing.
import { createHash } from 'node:crypto';
import type { Store } from '../store/index.ts';

/** One write job as routing answers it and updateCustomer returns it. */
export interface WriteJob {
  system: string;
  recordId: string;
  outboxId: string;
  fields: string[];
}

export interface IntentRequest {
  /** The principal's stable id: keys are unique per actor. */
  actorId: string;
  /** The principal's name, as the audit records it. */
  actor: string;
  key: string;
  /** The id as the caller gave it. */
  requestedId: string;
  /** The live customer it resolves to. */
  goldenId: string;
  values: Record<string, unknown>;
}

export interface RoutedIntent {
  intentId: string;
  goldenId: string;
  jobs: WriteJob[];
  /** true when the key had been used: the first call's answer, nothing new written. */
  replayed: boolean;
}

/** The same key with another customer or other values. */
export class IntentKeyReusedError extends Error {
  readonly intentId: string;
  constructor(intentId: string) {
    super('this idempotencyKey was used for another update (another customer or other values); use a new key for a new update');
    this.name = 'IntentKeyReusedError';
    this.intentId = intentId;
  }
}

/** Another call with the same key is still routing, past how long this one waits for it. */
export class IntentInProgressError extends Error {
  readonly intentId: string;
  constructor(intentId: string) {
    super('an update with this idempotencyKey is still being routed; retry with the same key shortly for its answer');
    this.name = 'IntentInProgressError';
    this.intentId = intentId;
  }
}

export interface IntentStoreOptions {
  /** A pending claim older than this was abandoned (its gateway died) and may be taken over (default 30 s). */
  leaseMs?: number;
  /** How long a repeat waits for the first call with its key to finish before answering IN_PROGRESS (default 5 s). */
  waitMs?: number;
  /** How often it looks meanwhile (default 50 ms). */
  pollMs?: number;
}

/** Deterministic per actor and key: every retry of one update hands routing the same intent key. */
export const intentIdOf = (actorId: string, key: string): string => `si_${createHash('sha256').update(`${actorId}\u0000${key}`).digest('hex').slice(0, 32)}`;

/** Canonical JSON (object keys sorted), so equal values hash equal whatever order they came in. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

const inputHash = (requestedId: string, values: Record<string, unknown>): string => createHash('sha256').update(canonicalJson({ id: requestedId, values })).digest('hex');

interface Row {
  id: string;
  golden_id: string;
  input_hash: string;
  state: 'pending' | 'routed';
  jobs: WriteJob[] | null;
  stale: boolean;
}

export interface IntentStore {
  /**
   * Runs `route` once per actor and key: the first call claims the intent, routes, and records
   * the jobs; a repeat with the same request answers them (replayed) without routing. `route`
   * failing removes the claim, so nothing is recorded and the key may be used again.
   */
  run(request: IntentRequest, route: (intentId: string) => Promise<WriteJob[]>): Promise<RoutedIntent>;
}

export function createIntentStore(store: Store, options: IntentStoreOptions = {}): IntentStore {
  const t = store.table('sync_intents');
  const leaseMs = options.leaseMs ?? 30_000;
  const waitMs = options.waitMs ?? 5_000;
  const pollMs = options.pollMs ?? 50;

  const read = async (id: string): Promise<Row | null> =>
    (
      await store.query<Row>(
        `SELECT id, golden_id, input_hash, state, jobs, claimed_at < now() - make_interval(secs => $2::double precision / 1000) AS stale FROM ${t} WHERE id = $1`,
        [id, leaseMs],
      )
    ).rows[0] ?? null;

  return {
    async run(request, route) {
      const id = intentIdOf(request.actorId, request.key);
      const hash = inputHash(request.requestedId, request.values);
      const deadline = Date.now() + waitMs;
      for (;;) {
        const inserted = await store.query(
          `INSERT INTO ${t} (id, actor_id, actor, idempotency_key, requested_id, golden_id, input, input_hash, state)
           VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, 'pending') ON CONFLICT DO NOTHING`,
          [id, request.actorId, request.actor, request.key, request.requestedId, request.goldenId, JSON.stringify(request.values), hash],
        );
        if (inserted.rowCount === 1) break;
        const row = await read(id);
        if (row === null) continue; // the first call failed and removed its claim meanwhile: claim it now
        if (row.input_hash !== hash) throw new IntentKeyReusedError(id);
        if (row.state === 'routed') return { intentId: id, goldenId: row.golden_id, jobs: row.jobs ?? [], replayed: true };
        if (row.stale) {
          // Its gateway died mid-call. Routing is keyed by the intent id, so routing again cannot write twice.
          const taken = await store.query(`UPDATE ${t} SET claimed_at = now() WHERE id = $1 AND state = 'pending' AND claimed_at < now() - make_interval(secs => $2::double precision / 1000)`, [id, leaseMs]);
          if (taken.rowCount === 1) break;
          continue;
        }
        if (Date.now() >= deadline) throw new IntentInProgressError(id);
        await new Promise((r) => setTimeout(r, pollMs));
      }
      let jobs: WriteJob[];
      try {
        jobs = await route(id);
      } catch (e) {
        await store.query(`DELETE FROM ${t} WHERE id = $1 AND state = 'pending'`, [id]);
        throw e;
      }
      await store.query(`UPDATE ${t} SET state = 'routed', jobs = $2::jsonb, routed_at = now() WHERE id = $1`, [id, JSON.stringify(jobs)]);
      return { intentId: id, goldenId: request.goldenId, jobs, replayed: false };
    },
  };
}

// Which webhook events were already processed, so that a sender's re-delivery (Stripe and
// Salesforce re-send until acknowledged, and a replayed request looks the same) is answered
// without reading its system again. An event is recorded only once it was processed: one that
// was refused (503) must be processed when it comes back.
// Two deliveries of one event at the same time: the first claims it, the second is told
// 'busy' (answered 409, so the sender tries again later and by then finds it done).
import type { Store } from '../store/index.ts';
import type { SystemId } from '../sources/types.ts';

export type ClaimState = 'new' | 'done' | 'busy';

export interface DeliveryLog {
  /** Claims each event id: 'new' = now ours to process, 'done' = processed before, 'busy' = another delivery holds it. */
  claim(system: SystemId, eventIds: readonly string[]): Promise<Map<string, ClaimState>>;
  /** Records claimed events as processed. */
  complete(system: SystemId, eventIds: readonly string[]): Promise<void>;
  /** Gives claimed events up (processing failed): the next delivery processes them. */
  release(system: SystemId, eventIds: readonly string[]): Promise<void>;
}

export interface DeliveryLogOptions {
  /** How long a processed event is remembered (default 7 days: Stripe re-sends for 3, Salesforce for 1). */
  retentionMs?: number;
  /** A claim older than this was abandoned (its process died) and may be taken over (default 2 min). */
  leaseMs?: number;
  now?: () => Date;
}

const DAY_MS = 86_400_000;
/** Old rows are deleted at most this often, by whichever delivery comes first. */
const PRUNE_EVERY_MS = 3_600_000;

const defaults = (o: DeliveryLogOptions): Required<DeliveryLogOptions> => ({ retentionMs: o.retentionMs ?? 7 * DAY_MS, leaseMs: o.leaseMs ?? 120_000, now: o.now ?? (() => new Date()) });

export function createPostgresDeliveryLog(store: Store, options: DeliveryLogOptions = {}): DeliveryLog {
  const { retentionMs, leaseMs, now } = defaults(options);
  const t = store.table('webhook_deliveries');
  let prunedAt = -Infinity;
  const prune = async (at: Date): Promise<void> => {
    if (at.getTime() - prunedAt < PRUNE_EVERY_MS) return;
    prunedAt = at.getTime();
    await store.query(`DELETE FROM ${t} WHERE claimed_at < $1`, [new Date(at.getTime() - retentionMs)]);
  };
  return {
    claim: async (system, eventIds) => {
      const states = new Map<string, ClaimState>();
      const ids = [...new Set(eventIds)];
      if (ids.length === 0) return states;
      const at = now();
      await prune(at);
      // One statement: a new id is inserted, an abandoned claim is taken over; the unique key
      // makes two deliveries racing for one id see one winner.
      const claimed = await store.query<{ event_id: string }>(
        `INSERT INTO ${t} AS d (system, event_id, claimed_at)
         SELECT $1, id, $3 FROM unnest($2::text[]) AS id
         ON CONFLICT (system, event_id) DO UPDATE SET claimed_at = EXCLUDED.claimed_at
           WHERE d.processed_at IS NULL AND d.claimed_at < $4
         RETURNING event_id`,
        [system, ids, at, new Date(at.getTime() - leaseMs)],
      );
      for (const r of claimed.rows) states.set(r.event_id, 'new');
      const others = ids.filter((id) => !states.has(id));
      if (others.length > 0) {
        const seen = await store.query<{ event_id: string; processed: boolean }>(`SELECT event_id, processed_at IS NOT NULL AS processed FROM ${t} WHERE system = $1 AND event_id = ANY($2::text[])`, [system, others]);
        for (const r of seen.rows) states.set(r.event_id, r.processed ? 'done' : 'busy');
        // Deleted in between (released): another delivery will process it, so this one waits.
        for (const id of others) if (!states.has(id)) states.set(id, 'busy');
      }
      return states;
    },
    complete: async (system, eventIds) => {
      if (eventIds.length === 0) return;
      await store.query(`UPDATE ${t} SET processed_at = $3 WHERE system = $1 AND event_id = ANY($2::text[])`, [system, [...eventIds], now()]);
    },
    release: async (system, eventIds) => {
      if (eventIds.length === 0) return;
      await store.query(`DELETE FROM ${t} WHERE system = $1 AND event_id = ANY($2::text[]) AND processed_at IS NULL`, [system, [...eventIds]]);
    },
  };
}

/** The same contract in memory, for one process (tests, tools). */
export function createMemoryDeliveryLog(options: DeliveryLogOptions = {}): DeliveryLog {
  const { retentionMs, leaseMs, now } = defaults(options);
  const rows = new Map<string, { claimedAt: number; processed: boolean }>();
  const key = (system: SystemId, id: string): string => `${system}\u0000${id}`;
  return {
    claim: (system, eventIds) => {
      const at = now().getTime();
      for (const [k, r] of rows) if (r.claimedAt < at - retentionMs) rows.delete(k);
      const states = new Map<string, ClaimState>();
      for (const id of new Set(eventIds)) {
        const r = rows.get(key(system, id));
        if (!r || (!r.processed && r.claimedAt < at - leaseMs)) {
          rows.set(key(system, id), { claimedAt: at, processed: false });
          states.set(id, 'new');
        } else states.set(id, r.processed ? 'done' : 'busy');
      }
      return Promise.resolve(states);
    },
    complete: (system, eventIds) => {
      for (const id of eventIds) {
        const r = rows.get(key(system, id));
        if (r) r.processed = true;
      }
      return Promise.resolve();
    },
    release: (system, eventIds) => {
      for (const id of eventIds) if (rows.get(key(system, id))?.processed === false) rows.delete(key(system, id));
      return Promise.resolve();
    },
  };
}

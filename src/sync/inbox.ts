// The webhook inbox: each verified event is stored once, keyed by (system, event id), and its
// changes are queued as sync.change jobs in the same transaction. Either both are committed or
// neither: a crash between the two cannot leave an event stored without its jobs (it would be
// acknowledged as a repeat and never processed) or jobs without the event. A re-delivery finds its
// row and is acknowledged without queueing anything.
import { createHash } from 'node:crypto';
import type { Store } from '../store/index.ts';
import type { SystemId } from '../sources/types.ts';
import type { ChangeNotice } from './notices.ts';
import type { ChangeJob, SyncQueue } from './queue.ts';

export interface InboxEvent {
  /** The sender's id; null when it sent none (the body's SHA-256 stands in, so an identical replay is still recognised). */
  eventId: string | null;
  notices: ChangeNotice[];
  /** The body as received when it carried this event alone; null for one notification of several. */
  raw: string | null;
}

export interface AcceptResult {
  /** Events stored now. */
  fresh: string[];
  /** Events stored before: acknowledged, nothing queued. */
  repeats: string[];
  /** sync.change jobs queued (fewer than the changes when one for the same record was already waiting). */
  queued: number;
}

export interface WebhookInbox {
  accept(system: SystemId, events: readonly InboxEvent[]): Promise<AcceptResult>;
  /**
   * Marks handled every event received up to `until` that named this record (the worker, once it
   * processed the record): a change whose job was folded into one already waiting is covered too.
   */
  markProcessed(system: SystemId, change: { type: 'account' | 'person'; id: string }, until: Date): Promise<void>;
}

export interface WebhookInboxOptions {
  /** How long an event is remembered (default 7 days: Stripe re-sends for 3, Salesforce for 1). */
  retentionMs?: number;
  now?: () => Date;
}

const DAY_MS = 86_400_000;
/** Old rows are deleted at most this often, by whichever delivery comes first. */
const PRUNE_EVERY_MS = 3_600_000;

/** The id an event is stored under: the sender's, or `sha256:<hex of the body>` when it sent none. */
export const inboxEventId = (e: InboxEvent, rawBody: string): string => e.eventId ?? `sha256:${createHash('sha256').update(rawBody).digest('hex')}`;

/** The jobs an event's notices become: one per record named. */
export function changesOf(system: SystemId, eventId: string, notices: readonly ChangeNotice[]): ChangeJob[] {
  return notices.map((n) => ({ system, type: n.level, id: n.id, reason: 'webhook', eventId, ...(n.identity ? {} : { identity: false }), ...(n.attributes ? { attributes: n.attributes } : {}) }));
}

export function createWebhookInbox(store: Store, queue: Pick<SyncQueue, 'enqueueMany' | 'wake'>, options: WebhookInboxOptions = {}): WebhookInbox {
  const retentionMs = options.retentionMs ?? 7 * DAY_MS;
  const now = options.now ?? (() => new Date());
  const t = store.table('sync_inbox');
  let prunedAt = -Infinity;
  return {
    accept: async (system, events) => {
      const at = now();
      if (at.getTime() - prunedAt >= PRUNE_EVERY_MS) {
        prunedAt = at.getTime();
        await store.query(`DELETE FROM ${t} WHERE received_at < $1 AND processed_at IS NOT NULL`, [new Date(at.getTime() - retentionMs)]);
      }
      const byId = new Map<string, InboxEvent>();
      for (const e of events) if (e.eventId !== null && !byId.has(e.eventId)) byId.set(e.eventId, e);
      if (byId.size === 0) return { fresh: [], repeats: [], queued: 0 };
      const ids = [...byId.keys()];
      const result = await store.transaction(async (c) => {
        // The primary key decides between two deliveries racing with one event: one inserts it, the
        // other waits for that transaction and then finds it (a repeat).
        const inserted = await c.query<{ event_id: string }>(
          `INSERT INTO ${t} (system, event_id, notices, raw, received_at)
           SELECT $1, e.id, e.notices, e.raw, $5 FROM unnest($2::text[], $3::jsonb[], $4::text[]) AS e(id, notices, raw)
           ON CONFLICT (system, event_id) DO NOTHING
           RETURNING event_id`,
          [system, ids, ids.map((id) => JSON.stringify(byId.get(id)!.notices)), ids.map((id) => byId.get(id)!.raw), at],
        );
        const fresh = new Set(inserted.rows.map((r) => r.event_id));
        const changes = ids.filter((id) => fresh.has(id)).flatMap((id) => changesOf(system, id, byId.get(id)!.notices));
        const queued = await queue.enqueueMany(changes, { client: c });
        return { fresh: ids.filter((id) => fresh.has(id)), repeats: ids.filter((id) => !fresh.has(id)), queued };
      });
      if (result.queued > 0) queue.wake();
      return result;
    },
    markProcessed: async (system, change, until) => {
      await store.query(`UPDATE ${t} SET processed_at = $4 WHERE system = $1 AND processed_at IS NULL AND received_at <= $2 AND notices @> $3::jsonb`, [
        system,
        until,
        JSON.stringify([{ level: change.type, id: change.id }]),
        now(),
      ]);
    },
  };
}

/** The same contract in memory, for one process (unit tests, tools): the changes it would queue are kept in `queued`. */
export function createMemoryWebhookInbox(): WebhookInbox & { queued: ChangeJob[] } {
  const seen = new Set<string>();
  const queued: ChangeJob[] = [];
  return {
    queued,
    accept: (system, events) => {
      const fresh: string[] = [];
      const repeats: string[] = [];
      let n = 0;
      for (const e of events) {
        if (e.eventId === null) continue;
        const k = `${system}\u0000${e.eventId}`;
        if (seen.has(k)) {
          repeats.push(e.eventId);
          continue;
        }
        seen.add(k);
        fresh.push(e.eventId);
        const changes = changesOf(system, e.eventId, e.notices);
        queued.push(...changes);
        n += changes.length;
      }
      return Promise.resolve({ fresh, repeats, queued: n });
    },
    markProcessed: () => Promise.resolve(),
  };
}

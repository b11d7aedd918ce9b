// The sync job queue: pg-boss 12 (https://pgboss.io) in Meridian's Postgres, in a schema of its
// own (`<store schema>_queue`). Workers scale by adding processes: pg-boss claims each job for one
// worker (SELECT … FOR UPDATE SKIP LOCKED), retries a failed one with backoff, and a job whose
// worker died is expired and retried by its supervisor.
//
// Two ways to reach the database:
// - a real server (DATABASE_URL): pg-boss owns a small pool and LISTENs, so a worker in another
//   process is woken the moment a job is committed (polling stays as the floor);
// - the embedded PGlite: pg-boss runs its statements through the store's own pool (its `db`
//   option). PGlite is one session shared by every connection (src/store/pglite-server.ts), so a
//   LISTEN there would not reach the right client; a worker in the same process is woken directly
//   (`wake`) and otherwise polls.
// Either way a job can be sent on a caller's transaction (`enqueue(…, { client })`): the webhook
// inbox row and its job commit together or not at all.
import { PgBoss } from 'pg-boss';
import type pg from 'pg';
import { z } from 'zod';
import type { Store } from '../store/index.ts';
import { quoteIdentifier } from '../store/sql.ts';
import { SYSTEMS, ACCOUNT_TYPE, type SystemId } from '../sources/types.ts';

/** The job a change to a record becomes (CONTRACT: the sync contract of issue #10). */
export const SYNC_CHANGE = 'sync.change';
/** Where a sync.change job goes after its last retry: kept for inspection and `redrive`, never dropped. */
export const SYNC_CHANGE_FAILED = 'sync.change.failed';

export const CHANGE_REASONS = ['webhook', 'poll', 'query', 'manual', 'write'] as const;
export type ChangeReason = (typeof CHANGE_REASONS)[number];

/**
 * A record that changed (or may have). `type` is 'account' (an account-level record: Salesforce
 * Account, Stripe customer, Zendesk organization, ERP customer; the system's own type name is
 * accepted too) or 'person' (a Contact or Zendesk user: its account is looked up first).
 * `identity: false` says only the account's related records changed (a ticket, an invoice): its
 * customer's cached records are refreshed without matching the account again.
 */
export interface ChangeJob {
  system: SystemId;
  type: 'account' | 'person';
  id: string;
  reason: ChangeReason;
  eventId?: string;
  identity?: boolean;
  /** What the notification says changed in the record (ChangeNotice.attributes). */
  attributes?: string[];
}

const ACCOUNT_TYPE_NAMES = new Set(Object.values(ACCOUNT_TYPE));

/** Job data as it comes back from the queue (written by any version of any process): checked, never trusted. */
export const changeJobSchema = z.object({
  system: z.enum(SYSTEMS as [SystemId, ...SystemId[]]),
  type: z.string().transform((t, ctx) => {
    if (t === 'account' || ACCOUNT_TYPE_NAMES.has(t)) return 'account' as const;
    if (t === 'person') return 'person' as const;
    ctx.addIssue({ code: 'custom', message: `must be account or person, got ${JSON.stringify(t)}` });
    return z.NEVER;
  }),
  id: z.string().min(1).max(255),
  reason: z.enum(CHANGE_REASONS),
  eventId: z.string().min(1).max(255).optional(),
  identity: z.boolean().optional(),
  attributes: z.array(z.string().max(255)).max(100).optional(),
});

/**
 * At most one job per record waits in the queue (pg-boss policy `short`, keyed by record): a
 * second change while one waits is already covered, since the job reads the record as it is when
 * it runs. What the second notification says changed (`attributes`) is added to the waiting job's,
 * so the decision sees the evidence of both. A change arriving while the record's job runs is
 * queued after it.
 */
export const changeKey = (c: Pick<ChangeJob, 'system' | 'type' | 'id' | 'identity'>): string => `${c.system}:${c.type}:${c.id}${c.identity === false ? ':related' : ''}`;

/**
 * A job a worker holds is refreshed every HEARTBEAT_SECONDS / 2 while its handler runs. When the
 * worker dies (SIGKILL, a lost machine) the refreshes stop: HEARTBEAT_SECONDS later the job is
 * stale, and the next supervision pass (every SUPERVISE_SECONDS, by whichever process of the
 * deployment claims it) puts it back for retry, so another worker runs it within about
 * HEARTBEAT_SECONDS + SUPERVISE_SECONDS + the first retry delay (2 s) of the death. Without a
 * heartbeat pg-boss waits out the job's whole expiry (15 minutes by default).
 * pg-boss's minimum heartbeat is 10 s.
 */
export const HEARTBEAT_SECONDS = 10;
export const SUPERVISE_SECONDS = 5;
/**
 * A handler still running after this long, heartbeat or not, is failed and its job retried: a
 * change job reads one record and decides its customer, each call bounded by the source timeout,
 * so one running for minutes is stuck, not slow.
 */
export const EXPIRE_SECONDS = 300;

export interface SyncQueueOptions {
  /** The database URL when it is a real server: pg-boss gets its own pool and LISTEN/NOTIFY. Omit on the embedded store. */
  url?: string;
  /** Connections of pg-boss's own pool (with `url`). Default 4. */
  max?: number;
  /** Times a failed job is tried again (backoff from 2 s, doubling, at most 5 min) before it is dead-lettered. Default 10. */
  retryLimit?: number;
  /** Seconds between polls when no job woke the worker. Default 2. */
  pollingIntervalSeconds?: number;
  onError?: (error: Error) => void;
}

const withAttributes = (job: ChangeJob, more: readonly string[] | undefined): ChangeJob =>
  more?.length ? { ...job, attributes: [...new Set([...(job.attributes ?? []), ...more])] } : job;

type Db = ReturnType<typeof onClient>;

/** Adds each change's attributes to its record's waiting job; resolves with the changes whose record had no waiting job. */
async function foldAttributes(db: Db, schema: string, changes: readonly ChangeJob[]): Promise<ChangeJob[]> {
  const rows = changes.map((c) => ({ key: changeKey(c), attributes: c.attributes ?? [] }));
  const r = await db.executeSql(
    `UPDATE ${quoteIdentifier(schema)}.job j
     SET data = jsonb_set(j.data, '{attributes}', (
       SELECT coalesce(jsonb_agg(DISTINCT a), '[]'::jsonb)
       FROM (SELECT jsonb_array_elements_text(coalesce(j.data->'attributes', '[]'::jsonb)) UNION SELECT jsonb_array_elements_text(u.attributes)) AS x (a)))
     FROM jsonb_to_recordset($2::jsonb) AS u (key text, attributes jsonb)
     WHERE j.name = $1 AND j.state = 'created' AND j.singleton_key = u.key
     RETURNING j.singleton_key AS key`,
    [SYNC_CHANGE, JSON.stringify(rows)],
  );
  const found = new Set((r.rows as { key: string }[]).map((x) => x.key));
  return changes.filter((c) => !found.has(changeKey(c)));
}

/** Runs statements on the caller's transaction: pass it as pg-boss's `db` option. */
export const onClient = (client: pg.ClientBase): { executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }> } => ({
  executeSql: (text, values) => client.query(text, values),
});

export interface SyncQueue {
  readonly boss: PgBoss;
  /** pg-boss's schema. */
  readonly schema: string;
  readonly pollingIntervalSeconds: number;
  /**
   * Queues a change; on `client`'s transaction when given. Resolves with the job id, or null when
   * a job for the same record was already waiting (it covers this change).
   */
  enqueue(change: ChangeJob, options?: { client?: pg.ClientBase }): Promise<string | null>;
  /** The same for many changes in one statement (one per record: later duplicates are dropped); resolves with how many were queued. */
  enqueueMany(changes: readonly ChangeJob[], options?: { client?: pg.ClientBase }): Promise<number>;
  /** sync.change jobs waiting or running (not completed, not failed for good). */
  pending(): Promise<number>;
  /** Wakes this process's workers now (a job was just committed). */
  wake(): void;
  /** Registers a worker id to wake (startWorker does this). */
  addLocalWorker(id: string): void;
  /** Stops pg-boss; `graceful` waits for handlers that are running (up to `timeoutMs`). */
  stop(options?: { graceful?: boolean; timeoutMs?: number }): Promise<void>;
}

export async function startSyncQueue(store: Store, options: SyncQueueOptions = {}): Promise<SyncQueue> {
  const schema = `${store.schema}_queue`;
  quoteIdentifier(schema, 'queue schema');
  const supervise = { superviseIntervalSeconds: SUPERVISE_SECONDS, monitorIntervalSeconds: SUPERVISE_SECONDS };
  const boss = options.url
    ? new PgBoss({ connectionString: options.url, max: options.max ?? 4, schema, schedule: false, useListenNotify: true, application_name: 'meridian-sync', ...supervise })
    : new PgBoss({ db: { executeSql: (text, values) => store.pool.query(text, values) }, schema, schedule: false, ...supervise });
  // pg-boss reports background failures (a poll, maintenance) as events; an unhandled 'error' event would crash the process.
  boss.on('error', (e: Error) => options.onError?.(e));
  await boss.start();
  const retry = { retryLimit: options.retryLimit ?? 10, retryDelay: 2, retryBackoff: true };
  const claims = { heartbeatSeconds: HEARTBEAT_SECONDS, expireInSeconds: EXPIRE_SECONDS };
  // Idempotent: every process creates them at start. The settings that can change are set again,
  // so a queue an older version created gets this version's heartbeat and expiry (they apply to
  // the jobs sent from then on).
  await boss.createQueue(SYNC_CHANGE_FAILED, { policy: 'standard', retentionSeconds: 30 * 86_400 });
  await boss.createQueue(SYNC_CHANGE, { policy: 'short', notify: true, deadLetter: SYNC_CHANGE_FAILED, retryDelayMax: 300, ...retry, ...claims });
  await boss.updateQueue(SYNC_CHANGE, { ...retry, ...claims });
  const local = new Set<string>();
  return {
    boss,
    schema,
    pollingIntervalSeconds: options.pollingIntervalSeconds ?? 2,
    enqueue: async (change, o = {}) => {
      const db = o.client ? onClient(o.client) : boss.getDb();
      const id = await boss.send(SYNC_CHANGE, change as unknown as object, { singletonKey: changeKey(change), db });
      // A job for the record was waiting (it covers this change); if it started meanwhile, queue this one after it.
      if (id === null && change.attributes?.length) return (await foldAttributes(db, schema, [change])).length === 0 ? null : boss.send(SYNC_CHANGE, change as unknown as object, { singletonKey: changeKey(change), db });
      return id;
    },
    enqueueMany: async (changes, o = {}) => {
      const byKey = new Map<string, ChangeJob>();
      for (const c of changes) {
        const k = changeKey(c);
        const had = byKey.get(k);
        byKey.set(k, had ? withAttributes(had, c.attributes) : c);
      }
      if (byKey.size === 0) return 0;
      const db = o.client ? onClient(o.client) : boss.getDb();
      const insert = (list: readonly ChangeJob[]): Promise<unknown[] | null> =>
        boss.insert(SYNC_CHANGE, list.map((data) => ({ data: data, singletonKey: changeKey(data) })), { returnId: true, db });
      let queued = (await insert([...byKey.values()]))?.length ?? 0;
      const folded = [...byKey.values()].filter((c) => (c.attributes?.length ?? 0) > 0);
      if (queued < byKey.size && folded.length > 0) {
        // A job that was waiting may have started between the insert and the fold: queue those again.
        const missed = await foldAttributes(db, schema, folded);
        if (missed.length > 0) queued += (await insert(missed))?.length ?? 0;
      }
      return queued;
    },
    pending: async () => {
      const r = await boss.getDb().executeSql(`SELECT count(*)::int AS n FROM ${quoteIdentifier(schema)}.job WHERE name = $1 AND state IN ('created', 'retry', 'active')`, [SYNC_CHANGE]);
      return (r.rows[0] as { n: number } | undefined)?.n ?? 0;
    },
    wake: () => {
      // Every worker of each local work() call (one per localConcurrency slot): an idle one fetches
      // now, a busy one fetches again as soon as its job ends instead of waiting out its interval.
      for (const w of boss.getWipData()) if (local.has(w.workId)) boss.notifyWorker(w.id);
    },
    addLocalWorker: (id) => void local.add(id),
    stop: async (o = {}) => {
      local.clear();
      await boss.stop({ graceful: o.graceful ?? true, timeout: o.timeoutMs ?? 30_000, close: true });
    },
  };
}

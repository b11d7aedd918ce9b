// The capture pipeline put together, for meridian serve (src/app.ts) and meridian worker
// (src/cli/worker.ts): the job queue, the webhook inbox, and (when this process works jobs) the
// change handler, the change-feed pollers and the worker running them with any extra loops.
import type { Store } from '../store/index.ts';
import type { GatewayServices } from '../gateway/loaders.ts';
import type { PubSub } from '../pubsub/types.ts';
import type { Logger } from '../server/http.ts';
import { pollIntervals, type SyncEnv as SyncSettings } from '../config/sync.ts';
import { oneLine } from '../observability/redact.ts';
import { startSyncQueue, type SyncQueue } from './queue.ts';
import { createWebhookInbox, type WebhookInbox } from './inbox.ts';
import { createChangeHandler, createPostgresInvalidRecordLog, type OnCustomerChanged } from './change.ts';
import { createPollLoop, type ChangeFeed, type PollLoop } from './poll.ts';
import { startWorker, type RunningWorker, type WorkerLoop } from './worker.ts';
import { createWriteback, type Writeback } from './writeback.ts';
import type { SourceConnector, RecordWriter } from '../sources/contract.ts';
import type { SystemId } from '../sources/registry.ts';
import type { IdentityStore } from '../identity/links.ts';

type SyncEnv = SyncSettings & { MERIDIAN_SOURCE_TIMEOUT_MS: number };

export interface SyncRuntimeOptions {
  store: Store;
  /** The real server's URL (pg-boss then LISTENs); null on the embedded store. */
  serverUrl: string | null;
  services: GatewayServices;
  pubsub: PubSub;
  logger: Logger;
  env: SyncEnv;
  /** Every configured system's change feeds, as its descriptor opened them (OpenedSources.feeds); closed with the systems. */
  feeds: readonly ChangeFeed[];
  /** Run sync.change jobs and poll in this process. */
  work: boolean;
  /** Writeback's decider (src/sync/decide.ts) once merged; default: no write is decided. */
  onCustomerChanged?: OnCustomerChanged;
  /** More loops for the worker (writeback's outbox loop). */
  loops?: WorkerLoop[];
}

export interface SyncRuntime {
  queue: SyncQueue;
  inbox: WebhookInbox;
  worker: RunningWorker | null;
  polls: PollLoop | null;
  /** Stops the worker (running jobs finish), then the queue. */
  close(): Promise<void>;
}

/** MERIDIAN_WORKER_CONCURRENCY, or 4 on a server and 1 on the embedded store (PGlite is one session: a second job only waits for it, and webhook answers wait behind both). */
export const workerConcurrency = (env: Pick<SyncEnv, 'MERIDIAN_WORKER_CONCURRENCY'>, serverUrl: string | null): number => env.MERIDIAN_WORKER_CONCURRENCY ?? (serverUrl ? 4 : 1);

export async function startSyncRuntime(options: SyncRuntimeOptions): Promise<SyncRuntime> {
  const { store, services, logger, env } = options;
  const queue = await startSyncQueue(store, {
    ...(options.serverUrl ? { url: options.serverUrl } : {}),
    onError: (e) => logger.error('job queue error', { error: oneLine(e) }),
  });
  const inbox = createWebhookInbox(store, queue, { now: services.now });
  if (!options.work) {
    // The embedded store belongs to this process: no other can work its queue.
    if (!options.serverUrl) logger.error('MERIDIAN_WORKER=off on the embedded store: no process works the queued changes (webhooks, polls, link-on-read) until a gateway runs with MERIDIAN_WORKER=on');
    return { queue, inbox, worker: null, polls: null, close: () => queue.stop() };
  }
  try {
    const handler = createChangeHandler({
      services,
      invalidRecords: createPostgresInvalidRecordLog(store, services.now),
      pubsub: options.pubsub,
      logger,
      inbox,
      now: services.now,
      ...(options.onCustomerChanged ? { onCustomerChanged: options.onCustomerChanged } : {}),
    });
    const polls = createPollLoop({ store, queue, feeds: options.feeds, intervalMs: pollIntervals(env), logger });
    const running: RunningWorker = await startWorker({ queue, handler, logger, loops: [polls, ...(options.loops ?? [])], concurrency: workerConcurrency(env, options.serverUrl) });
    return {
      queue,
      inbox,
      worker: running,
      polls,
      close: async () => {
        try {
          await running.stop();
        } finally {
          await queue.stop();
        }
      },
    };
  } catch (e) {
    await queue.stop().catch(() => undefined);
    throw e;
  }
}

/** What a process opened that two-way sync runs on (OpenedSources in src/app.ts). */
export interface OpenedForSync {
  store: Store;
  /** The embedded store's server, when the store is embedded (then pg-boss runs on the store's pool). */
  embedded: unknown;
  databaseUrl: string;
  connectors: readonly SourceConnector[];
  writers: Partial<Record<SystemId, RecordWriter>>;
  feeds: readonly ChangeFeed[];
}

/**
 * Two-way sync for one process, as `meridian serve` and `meridian worker` both run it: the
 * write-backs (decider, outbox loop, routing; docs/sync.md) and the capture runtime whose worker
 * calls the decider for each customer a change touched and runs the outbox loop.
 */
export async function startSyncProcess(
  opened: OpenedForSync,
  options: Omit<SyncRuntimeOptions, 'store' | 'serverUrl' | 'feeds' | 'onCustomerChanged' | 'loops'> & {
    identity: IdentityStore;
    spec: Parameters<typeof createWriteback>[0]['spec'];
    defaultRegion: string;
    /** Replaces the decider (tests). */
    onCustomerChanged?: OnCustomerChanged;
    /** More loops beside the outbox (tests). */
    loops?: WorkerLoop[];
  },
): Promise<{ sync: SyncRuntime; writeback: Writeback }> {
  const { logger } = options;
  const writeback = createWriteback({
    store: opened.store,
    identity: options.identity,
    spec: options.spec,
    connectors: [...opened.connectors],
    writers: opened.writers,
    pubsub: options.pubsub,
    defaultRegion: options.defaultRegion,
    logger: { info: (m, x) => logger.info(m, x), error: (m, x) => logger.error(m, x) },
  });
  const sync = await startSyncRuntime({
    store: opened.store,
    serverUrl: opened.embedded ? null : opened.databaseUrl,
    services: options.services,
    pubsub: options.pubsub,
    logger,
    env: options.env,
    feeds: opened.feeds,
    work: options.work,
    onCustomerChanged: options.onCustomerChanged ?? ((g, o) => writeback.decideWrites(g, o).then(() => undefined)),
    loops: [writeback.loop, ...(options.loops ?? [])],
  });
  return { sync, writeback };
}

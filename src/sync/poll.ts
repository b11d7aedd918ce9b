// Polling the systems' change feeds, for deployments without webhooks and to heal missed ones
// (and the ERP's only way in: it sends no notifications). Each feed reads what changed after its
// stored position and turns it into sync.change jobs; the jobs and the new position are committed
// together, so a restarted worker goes on where the last one stopped, and a crash between the two
// re-reads the same page (the jobs are deduplicated per record) instead of skipping it.
// Deletes come only from each system's own delete feed (Salesforce getDeleted, Stripe's
// customer.deleted events, Zendesk's deleted_at, the ERP's deletions table), never from a record's
// absence in a page of changes.
// Several workers may poll one feed: the position is compare-and-set, so when two read the same
// page one commits and the other's jobs are dropped with its transaction.
import type { Store } from '../store/index.ts';
import type { SystemId } from '../sources/types.ts';
import type { Logger } from '../server/http.ts';
import { oneLine } from '../observability/redact.ts';
import type { SyncQueue } from './queue.ts';
import type { WorkerLoop } from './worker.ts';
import type { ChangeFeed } from '../sources/contract.ts';

export type { ChangeFeed, FeedPage } from '../sources/contract.ts';

export interface PollLoopOptions {
  store: Store;
  queue: Pick<SyncQueue, 'enqueueMany' | 'wake'>;
  feeds: readonly ChangeFeed[];
  /** Milliseconds between polls per system; 0 = that system's feeds are not polled. */
  intervalMs: Partial<Record<SystemId, number>>;
  logger: Logger;
  /** Pages read one after another while a feed says there is more, before waiting for the interval. */
  maxPagesPerTick?: number;
}

export interface PollLoop extends WorkerLoop {
  /** Reads every feed once now (tests, `syncCustomer`-style nudges); resolves with the jobs queued. */
  pollOnce(): Promise<number>;
}

export function createPollLoop(options: PollLoopOptions): PollLoop {
  const { store, queue, logger } = options;
  const t = store.table('sync_cursors');
  const maxPages = options.maxPagesPerTick ?? 20;
  const feeds = options.feeds.filter((f) => (options.intervalMs[f.system] ?? 0) > 0);
  const timers = new Map<ChangeFeed, NodeJS.Timeout>();
  const running = new Map<ChangeFeed, Promise<number>>();
  let stopped = true;

  const position = async (feed: ChangeFeed): Promise<string> => {
    const r = await store.query<{ position: string }>(`SELECT position FROM ${t} WHERE system = $1 AND feed = $2`, [feed.system, feed.name]);
    if (r.rows[0]) return r.rows[0].position;
    const initial = await feed.initial();
    await store.query(`INSERT INTO ${t} (system, feed, position) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [feed.system, feed.name, initial]);
    const again = await store.query<{ position: string }>(`SELECT position FROM ${t} WHERE system = $1 AND feed = $2`, [feed.system, feed.name]);
    return again.rows[0]?.position ?? initial;
  };

  const recordFailure = async (feed: ChangeFeed, e: unknown): Promise<void> => {
    const message = `change feed ${feed.name} not read: ${oneLine(e, 200)}`;
    await store.query(`UPDATE ${t} SET last_error = $3, error_at = now() WHERE system = $1 AND feed = $2`, [feed.system, feed.name, message]).catch(() => undefined);
  };

  /** Reads pages until the feed is caught up (or maxPages); the jobs queued. */
  const pollFeed = async (feed: ChangeFeed): Promise<number> => {
    let queued = 0;
    for (let i = 0; i < maxPages; i++) {
      const from = await position(feed);
      const page = await feed.read(from);
      const committed = await store.transaction(async (c) => {
        const moved = await c.query(`UPDATE ${t} SET position = $4, updated_at = now(), last_error = NULL, error_at = NULL WHERE system = $1 AND feed = $2 AND position = $3`, [
          feed.system,
          feed.name,
          from,
          page.position,
        ]);
        // Another worker read this page and moved on: its jobs cover these changes.
        if (moved.rowCount !== 1) return null;
        return queue.enqueueMany(page.changes, { client: c });
      });
      if (committed === null) return queued;
      queued += committed;
      if (!page.more) break;
    }
    if (queued > 0) queue.wake();
    return queued;
  };

  const once = (feed: ChangeFeed): Promise<number> => {
    const current = running.get(feed);
    if (current) return current;
    // A failure is kept with the position too, for syncOverview's lastError (cleared by the next read that works).
    const p = pollFeed(feed)
      .catch(async (e: unknown) => {
        await recordFailure(feed, e);
        throw e;
      })
      .finally(() => running.delete(feed));
    running.set(feed, p);
    return p;
  };

  const schedule = (feed: ChangeFeed): void => {
    if (stopped) return;
    const interval = options.intervalMs[feed.system] ?? 0;
    const timer = setTimeout(() => {
      once(feed).then(
        (n) => {
          if (n > 0) logger.info('change feed polled', { system: feed.system, feed: feed.name, queued: n });
        },
        // The system is down or refused: the position stays, the next tick reads the same changes.
        (e: unknown) => logger.error('change feed not read; tried again at the next interval', { system: feed.system, feed: feed.name, error: oneLine(e) }),
      ).finally(() => schedule(feed));
    }, interval);
    timer.unref();
    timers.set(feed, timer);
  };

  return {
    name: 'change-feeds',
    start: async () => {
      stopped = false;
      // Positions first: a feed read for the first time starts now, not at the next tick.
      for (const feed of feeds) {
        await position(feed).catch((e: unknown) => logger.error('change feed position not set; set at its first poll', { system: feed.system, feed: feed.name, error: oneLine(e) }));
        schedule(feed);
      }
      if (feeds.length > 0) logger.info('polling change feeds', { feeds: feeds.map((f) => `${f.system}:${f.name} every ${(options.intervalMs[f.system] ?? 0) / 1000} s`).join(', ') });
    },
    stop: async () => {
      stopped = true;
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
      await Promise.allSettled([...running.values()]);
    },
    pollOnce: async () => {
      let n = 0;
      for (const feed of options.feeds) n += await once(feed);
      return n;
    },
  };
}

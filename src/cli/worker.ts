// `meridian worker`: a sync worker on its own, beside any number of gateways and other workers on
// one Postgres (DATABASE_URL) and Redis (REDIS_URL). It runs sync.change jobs and polls the
// configured systems' change feeds (src/sync/); it serves no HTTP.
// The embedded store belongs to one process (its data directory's lock): a worker there is the
// one inside `meridian serve`, and this command is refused while serve holds it.
import { readGatewayConfig, type GatewayConfig } from '../config/gateway.ts';
import { StartupError, probeRedis } from '../server/startup.ts';
import type { Logger } from '../server/http.ts';
import type { GoldenRecordCache } from '../cache/types.ts';
import type { CachedGolden } from '../gateway/loaders.ts';

export interface WorkerCommandIo {
  logger: Logger;
  /** Resolves when the worker should stop (a signal); the command then finishes its running jobs. */
  stopRequested: Promise<NodeJS.Signals>;
  out: (line: string) => void;
}

export const WORKER_SANDBOX_MESSAGE =
  'meridian worker works for configured systems (SALESFORCE_*, STRIPE_*, ZENDESK_*, ERP_DATABASE_URL); none is configured, so the sandbox would run, and its worker is the one inside `meridian serve` (MERIDIAN_WORKER=on, the default)';

export async function runWorkerCommand(io: WorkerCommandIo, env: Record<string, string | undefined> = process.env): Promise<number> {
  const config: GatewayConfig = readGatewayConfig(env);
  if (config.sandbox) throw new StartupError(WORKER_SANDBOX_MESSAGE);
  const { logger } = io;
  if (config.env.REDIS_URL) await probeRedis('REDIS_URL', config.env.REDIS_URL);
  else if (config.env.DATABASE_URL) {
    logger.error('meridian worker without REDIS_URL: gateways in other processes keep serving their cached golden records until the TTL (MERIDIAN_CACHE_TTL_SECONDS); set REDIS_URL to invalidate them at once');
  }
  const { openSources, INVALIDATION_CHANNEL } = await import('../app.ts');
  const { createIdentityStore } = await import('../identity/links.ts');
  const { createReviewItems } = await import('../review/items.ts');
  const { publishReviewChanges } = await import('../review/events.ts');
  const { CustomerSearch } = await import('../identity/search.ts');
  const { MatchIndex } = await import('../identity/match-index.ts');
  const { createLiveMatcher } = await import('../identity/live-matcher.ts');
  const { guardSource } = await import('../gateway/guarded-source.ts');
  const { createMemoryCache, createRedisCache } = await import('../cache/index.ts');
  const { createMemoryPubSub, createRedisPubSub } = await import('../pubsub/index.ts');
  const { ResponseCache, withResponseCache } = await import('../gateway/response-cache.ts');
  const { loadFieldSpec } = await import('../mapping/index.ts');
  const { startSyncProcess, workerConcurrency } = await import('../sync/runtime.ts');
  const e = config.env;
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async (): Promise<void> => {
    for (const c of closers.reverse()) await c().catch((err: unknown) => logger.error('shutdown step failed', { error: String(err) }));
  };
  try {
    const opened = await openSources(config, { logger });
    closers.push(() => opened.close());
    const { store, connectors } = opened;
    const pubsub = e.REDIS_URL ? await createRedisPubSub({ url: e.REDIS_URL }) : createMemoryPubSub();
    closers.push(() => pubsub.close());
    const identity = createIdentityStore(store);
    // Items this worker raises (possible duplicates, SYNC_FAILURE) reach the gateways' reviewQueueChanged.
    const reviews = createReviewItems(store, { identity, onChanged: (ids) => publishReviewChanges(pubsub, ids, (err) => logger.error('review change not published', { error: String(err) })) });
    const sources: Parameters<typeof startSyncProcess>[1]['services']['sources'] = {};
    for (const c of connectors) sources[c.system] = guardSource(c, { timeoutMs: e.MERIDIAN_SOURCE_TIMEOUT_MS, cooldownMs: e.MERIDIAN_BREAKER_COOLDOWN_MS });
    const search = new CustomerSearch(store);
    const onCacheError = (error: unknown, context: { operation: string }): void => logger.error('cache error', { operation: context.operation, error: String(error) });
    const golden: GoldenRecordCache<CachedGolden> = e.REDIS_URL
      ? await createRedisCache<CachedGolden>({ url: e.REDIS_URL, ttlSeconds: e.MERIDIAN_CACHE_TTL_SECONDS, onError: onCacheError })
      : createMemoryCache<CachedGolden>({ ttlSeconds: e.MERIDIAN_CACHE_TTL_SECONDS, onError: onCacheError });
    closers.push(() => golden.close());
    // What this worker invalidates reaches every gateway's response cache too (src/app.ts subscribes).
    const cache = withResponseCache(golden, new ResponseCache({ ttlSeconds: e.MERIDIAN_CACHE_TTL_SECONDS }), (ids) => pubsub.publish(INVALIDATION_CHANNEL, { ids: [...ids] }));
    const services = {
      sources,
      identity,
      search,
      liveMatcher: createLiveMatcher({ identity, index: new MatchIndex(store), reviews, search, defaultRegion: e.MERIDIAN_DEFAULT_REGION }),
      reviews,
      cache,
      spec: loadFieldSpec(e.MERIDIAN_MAPPING),
      defaultRegion: e.MERIDIAN_DEFAULT_REGION,
      now: () => new Date(),
    };
    // Two-way sync as serve runs it (src/sync/runtime.ts): changes in, decisions, the outbox.
    const { sync } = await startSyncProcess(opened, { services, identity, spec: services.spec, defaultRegion: e.MERIDIAN_DEFAULT_REGION, pubsub, logger, env: e, work: true });
    closers.push(() => sync.close());
    io.out(
      `meridian worker: running sync.change jobs (${workerConcurrency(e, opened.embedded ? null : opened.databaseUrl)} at once) for ${connectors.map((c) => c.system).join(', ')}; store ${e.DATABASE_URL ? 'PostgreSQL (DATABASE_URL)' : `embedded PGlite in ${e.MERIDIAN_DATA_DIR}/pgdata`}; Ctrl-C or SIGTERM stops it after the running jobs`,
    );
    const signal = await io.stopRequested;
    io.out(`meridian worker: stopping (${signal}): no new jobs; waiting for the running ones…`);
    await closeAll();
    io.out('meridian worker: stopped');
    return 0;
  } catch (err) {
    await closeAll();
    throw err;
  }
}

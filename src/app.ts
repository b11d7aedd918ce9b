// Puts the gateway together from its configuration: the store (Postgres or embedded), the
// cache (Redis or memory), one guarded connector per configured system (the sandbox's when it
// runs), the GraphQL schema and the HTTP server. `meridian serve` and the tests use this.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLSchema } from 'graphql';
import type { GatewayConfig } from './config/gateway.ts';
import { readSystemSettings, type SystemSettings } from './config/systems.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './store/embedded-postgres.ts';
import { acquireDataDirLock, type DataDirLock } from './store/data-dir-lock.ts';
import { claimSandboxWorld } from './store/sandbox-world.ts';
import { generateWorld } from './sandbox/world/generate.ts';
import { createStore, type Store } from './store/index.ts';
import { createIdentityStore, type IdentityStore } from './identity/links.ts';
import { runBackfill, scanFailureSummary, type BackfillReport } from './identity/backfill.ts';
import { CustomerSearch, indexingScans } from './identity/search.ts';
import { MatchIndex } from './identity/match-index.ts';
import { createLiveMatcher } from './identity/live-matcher.ts';
import { createReviewItems } from './review/items.ts';
import { publishReviewChanges, subscribeReviewChanges } from './review/events.ts';
import { createMemoryCache, createRedisCache } from './cache/index.ts';
import type { GoldenRecordCache } from './cache/types.ts';
import { startSandbox, worldMarker, type Sandbox } from './sandbox/index.ts';
import { notifyGateway, sandboxPortsFrom } from './sandbox/gateway.ts';
import { SYSTEM_DESCRIPTORS, type SystemId } from './sources/registry.ts';
import { SystemRefusedError, type ConnectorDeps, type ChangeFeed, type OpenedSystem, type RecordWriter, type SourceConnector, type WebhookVerifier } from './sources/contract.ts';
import { systemClock } from './sources/options.ts';
import { guardSource, type GuardedSource } from './gateway/guarded-source.ts';
import { createLoaders, type CachedGolden, type GatewayServices } from './gateway/loaders.ts';
import { LinkMemo, preloadLinkMemo } from './gateway/link-memo.ts';
import { loadFieldSpec } from './mapping/index.ts';
import { startHttpServer, type Logger, type Readiness, type RunningServer } from './server/http.ts';
import { createWebhookIntake } from './sync/intake.ts';
import { createSyncApi, type SyncSeams } from './sync/api.ts';
import { startSyncProcess, type SyncRuntime } from './sync/runtime.ts';
import type { OnCustomerChanged } from './sync/change.ts';
import type { WorkerLoop } from './sync/worker.ts';
import { routeUpdate } from './sync/route.ts';
import { createSyncStats } from './sync/overview-stats.ts';
import { ResponseCache, newCacheability, withResponseCache } from './gateway/response-cache.ts';
import { publicReason } from './server/errors.ts';
import { StartupError, assertPortsFree, explainListenErrorOf, explainPostgresError, probePostgres, probeRedis, sandboxPorts, type WantedPort } from './server/startup.ts';
import { createMemoryPubSub, createRedisPubSub, type PubSub } from './pubsub/index.ts';
import { buildCostModel, createGatewayLimits, createMemoryRateLimitStore, createRedisRateLimitStore } from './limits/index.ts';
import { limitsConfig } from './config/limits.ts';
import { createLogOnce } from './observability/log-once.ts';
import { addScrapeSource, collectProcessMetrics, limitRefusals, rateLimited } from './observability/metrics.ts';
import { startTracing } from './observability/tracing.ts';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import type { IncomingHttpHeaders } from 'node:http';

/** Where a replica announces the golden ids it invalidated, for every replica's response cache. */
export const INVALIDATION_CHANNEL = 'meridian:golden-invalidated';
/** How long one readiness check answers /readyz. */
const READINESS_TTL_MS = 5_000;
import { resolvers } from '../resolvers/index.ts';
import type { Principal } from './access/principal.ts';
import { withAccessRules } from './access/guard.ts';
import { planAccess } from './access/plan.ts';
import type { FieldSpec } from './mapping/spec.ts';
import type { GatewayContext } from './server/context.ts';
import { createKeyStore } from './access/key-store.ts';
import { ensureLocalAdminKey } from './access/local-key.ts';
import { authenticateFor, createAuthenticator, type Authenticator } from './access/authenticate.ts';

export interface App {
  url: string;
  server: RunningServer;
  services: GatewayServices;
  connectors: SourceConnector[];
  /** Each configured system's writer (write-backs). */
  writers: Partial<Record<SystemId, RecordWriter>>;
  store: Store;
  sandbox: Sandbox | null;
  backfill: BackfillReport | null;
  /** The executable schema the server runs, access rules applied. */
  schema: GraphQLSchema;
  /** A request's context as the server builds it, for `principal` (in-process execution: tests, tools). */
  context(requestId: string, principal: Principal): GatewayContext;
  /** Turns request credentials into a Principal: for routes besides GraphQL that need one (e.g. /metrics). */
  authenticator: Authenticator;
  /** The embedded default's admin key (MERIDIAN_DATA_DIR/admin.key), when it runs; null otherwise. */
  localKey: { key: string; path: string; created: boolean } | null;
  /** What /readyz answers (one check serves a 5 s window). */
  readiness(): Promise<Readiness>;
  /** The capture pipeline: job queue, webhook inbox, and the in-process worker unless MERIDIAN_WORKER=off (src/sync/runtime.ts). */
  sync: SyncRuntime;
  /** Cross-replica messages (invalidations, sync.status, customer.changed): Redis with REDIS_URL, memory otherwise. */
  pubsub: PubSub;
  close(): Promise<void>;
}

export interface AppOptions {
  config: GatewayConfig;
  logger: Logger;
  /** Start the sandbox's emulators on free ports instead of the contract ports (tests). */
  ephemeralPorts?: boolean;
  /** Keep the embedded Postgres in memory instead of MERIDIAN_DATA_DIR (tests). */
  inMemory?: boolean;
  /** Schema names, so several apps can share one Postgres (tests). */
  storeSchema?: string;
  erpSchema?: string;
  /** Backfill at start (default: when the sandbox runs). */
  backfill?: boolean;
  /** A world for the sandbox instead of a generated one (tests). */
  sandboxOptions?: Parameters<typeof startSandbox>[0];
  /** Who may read GET /metrics (server/http.ts). Default: keys and tokens of role admin or service. */
  authorizeMetrics?: (headers: IncomingHttpHeaders) => boolean | Promise<boolean>;
  /** Spans go to this exporter (tests: an in-memory one) instead of OTEL_EXPORTER_OTLP_ENDPOINT's. */
  traceExporter?: SpanExporter;
  /** Make and accept MERIDIAN_DATA_DIR/admin.key (default: when the sandbox runs on a persistent data directory). */
  localAdminKey?: boolean;
  /** Two-way sync's seams (src/sync/api.ts), for tests: each replaces the one the gateway wires itself. */
  sync?: SyncSeams;
  /** Replaces the write-backs' decider as what the sync worker calls for each golden customer a change touched (tests). */
  onCustomerChanged?: OnCustomerChanged;
  /** More loops for the in-process sync worker (tests). */
  workerLoops?: WorkerLoop[];
}

/** One line for a gateway on real systems that nobody could call, or anybody could. */
export const NO_CREDENTIALS_MESSAGE =
  'Real systems are configured but no credentials are: set MERIDIAN_API_KEYS (key:role pairs), create a key with `npx meridian keys create --role admin --name <name>`, or set MERIDIAN_JWT_ISSUER, MERIDIAN_JWT_AUDIENCE and MERIDIAN_JWT_JWKS_URL (MERIDIAN_AUTH=off runs it without authentication: never in production)';

const SCHEMA_DIR = new URL('../schema/', import.meta.url);

/** The SDL of schema/*.graphql, one string per file. */
export async function loadTypeDefs(): Promise<string[]> {
  const files = (await readdir(SCHEMA_DIR)).filter((f) => f.endsWith('.graphql')).sort();
  return Promise.all(files.map((f) => readFile(new URL(f, SCHEMA_DIR), 'utf8')));
}

/**
 * The gateway's executable schema: the SDL, the resolvers, and the access rules of `spec`
 * (docs/access.md). `accessRules: false`: without them, only for principals whose role holds
 * every access class (src/server/http.ts fullAccessSchema).
 */
export async function loadSchema(spec: FieldSpec, options: { accessRules?: boolean } = {}): Promise<GraphQLSchema> {
  // The generated Resolvers type is stricter than graphql-tools' loose resolver map.
  const schema = makeExecutableSchema({ typeDefs: await loadTypeDefs(), resolvers: resolvers as NonNullable<Parameters<typeof makeExecutableSchema>[0]['resolvers']> });
  if (options.accessRules === false) return schema;
  // src/server/http.ts keys the response cache by role: answers that read guarded fields may be kept.
  return withAccessRules(schema, spec, { responseCacheKeyedByRole: true });
}

export const EXAMPLE_QUERY = `# One customer, every system. Try customer(id: "…") with an id from this list.
{
  customers(first: 3) {
    totalCount
    edges {
      node {
        id name email phone
        address { line1 city region postalCode country }
        contractValue { amount currency }
        lifecycle accountingStatus paymentStatus
        sources { system externalId matchRule }
        lineage { field value source rule candidates { system value chosen } }
        conflicts { field kind }
        opportunities(first: 2) { edges { node { name stage amount { amount } } } }
        tickets(first: 2) { edges { node { subject status } } }
        subscriptions { edges { node { status } } }
        contracts { edges { node { number totalValue { amount } } } }
      }
    }
  }
}`;

/**
 * One connector per configured system, each opened by its descriptor (src/sources/registry.ts).
 * None of them waits for its system: Salesforce's login starts here and is retried in the
 * background, so a system that is down at start costs its fields, not the start. A system whose
 * settings it refuses (SystemRefusedError) stops the start with one line.
 */
async function openSystems(systems: SystemSettings, deps: ConnectorDeps, closers: Closer[]): Promise<OpenedSystem[]> {
  const opened: OpenedSystem[] = [];
  try {
    for (const d of SYSTEM_DESCRIPTORS) {
      const settings = systems[d.id];
      if (settings === null) continue;
      const o = await d.create(settings, deps);
      opened.push(o);
      closers.push(() => o.close());
    }
    for (const o of opened) await o.ready?.();
  } catch (e) {
    throw e instanceof SystemRefusedError ? new StartupError(e.message) : e;
  }
  return opened;
}

export interface OpenedStore {
  store: Store;
  databaseUrl: string;
  embedded: EmbeddedPostgres | null;
  /** The data directory's lock, held while the embedded store is open (data-dir-lock.ts). */
  lock: DataDirLock | null;
  close(): Promise<void>;
}

type Closer = () => Promise<void>;

/** For commands that pass no logger (the backfill): the same two levels, on stderr. */
const consoleLogger: Logger = {
  info: () => undefined,
  error: (msg, extra) => console.error(extra ? `${msg} ${JSON.stringify(extra)}` : msg),
};

async function closeInReverse(closers: Closer[], logger?: Logger): Promise<void> {
  for (const c of closers.reverse()) await c().catch((e: unknown) => logger?.error('shutdown step failed', { error: String(e) }));
}

/**
 * Meridian's Postgres: DATABASE_URL, or PGlite under MERIDIAN_DATA_DIR (in memory for tests).
 * The embedded store is opened by one process at a time: a second one gets DataDirInUseError.
 */
export async function openStore(config: GatewayConfig, options: Pick<AppOptions, 'inMemory' | 'storeSchema'> & { logger?: Logger } = {}): Promise<OpenedStore> {
  const env = config.env;
  let embedded: EmbeddedPostgres | null = null;
  let lock: DataDirLock | null = null;
  let databaseUrl = env.DATABASE_URL;
  if (!databaseUrl) {
    if (!options.inMemory) lock = acquireDataDirLock(env.MERIDIAN_DATA_DIR, {});
    try {
      embedded = await startEmbeddedPostgres({ dataDir: options.inMemory ? null : join(env.MERIDIAN_DATA_DIR, 'pgdata') });
    } catch (e) {
      lock?.release();
      throw e;
    }
    databaseUrl = embedded.url;
  } else {
    // A wrong or unreachable DATABASE_URL is one line naming it, before anything else starts.
    await probePostgres('DATABASE_URL', databaseUrl);
  }
  const store = createStore(databaseUrl, {
    ...(options.storeSchema ? { schema: options.storeSchema } : {}),
    max: embedded ? 4 : 10,
    namedStatements: !embedded,
    onNamedStatementsOff: (reason) => (options.logger ?? consoleLogger).error(`named statements off: ${reason}; using plain statements from now on (docs/deploy.md)`),
  });
  return {
    store,
    databaseUrl,
    embedded,
    lock,
    close: async () => {
      try {
        await store.close();
        await embedded?.close();
      } finally {
        lock?.release();
      }
    },
  };
}

export interface OpenedSources extends OpenedStore {
  sandbox: Sandbox | null;
  systems: SystemSettings;
  connectors: SourceConnector[];
  /** Each configured system's webhook verifier, made when asked (a gateway serves them; a backfill does not). */
  webhooks(): Partial<Record<SystemId, WebhookVerifier>>;
  /** Each configured system's writer, where its descriptor declares one (write-backs, docs/sync.md). */
  writers: Partial<Record<SystemId, RecordWriter>>;
  /** Every configured system's change feeds (polled by the sync worker, src/sync/poll.ts). */
  feeds: ChangeFeed[];
}

/** The store plus one connector per configured system, or per sandbox system when it runs. */
export async function openSources(config: GatewayConfig, options: Omit<AppOptions, 'config' | 'logger' | 'backfill'> & { logger?: Logger } = {}): Promise<OpenedSources> {
  const env = config.env;
  const closers: Closer[] = [];
  try {
    const opened = await openStore(config, options);
    closers.push(() => opened.close());
    // Once, before anything reads the store (the sandbox's world marker, the gateway, a backfill).
    await opened.store.migrate().catch((e: unknown) => {
      throw (env.DATABASE_URL ? explainPostgresError(e, 'DATABASE_URL', env.DATABASE_URL) : null) ?? e;
    });
    let sandbox: Sandbox | null = null;
    let systems = config.systems;
    if (config.sandbox) {
      const ports = options.ephemeralPorts
        ? {}
        : sandboxPortsFrom(env);
      // The store records the world its links were built for; another world is refused before anything is seeded.
      const so = options.sandboxOptions;
      const world = so?.world ?? generateWorld({ customers: so?.customers ?? env.MERIDIAN_SANDBOX_CUSTOMERS, seed: so?.seed ?? env.MERIDIAN_SANDBOX_SEED });
      await claimSandboxWorld(opened.store, worldMarker(world), env.DATABASE_URL ? `DATABASE_URL (schema ${opened.store.schema})` : env.MERIDIAN_DATA_DIR);
      sandbox = await startSandbox({
        world,
        host: env.SANDBOX_HOST,
        ports,
        databaseUrl: opened.databaseUrl,
        ...(options.erpSchema ? { erpSchema: options.erpSchema } : {}),
        ...options.sandboxOptions,
      }).catch((e: unknown) => {
        throw explainListenErrorOf(e, env.SANDBOX_HOST, sandboxPorts(env)) ?? e;
      });
      const sb = sandbox;
      closers.push(() => sb.close());
      systems = readSystemSettings(sandbox.env());
    }
    const deps: ConnectorDeps = { clock: systemClock, logger: options.logger ?? consoleLogger, timeoutMs: env.MERIDIAN_SOURCE_TIMEOUT_MS, env, sandbox };
    const systemsOpened = await openSystems(systems, deps, closers);
    const connectors = systemsOpened.map((o) => o.connector);
    const webhooks = (): Partial<Record<SystemId, WebhookVerifier>> =>
      Object.fromEntries(systemsOpened.flatMap((o) => (o.webhook ? [[o.connector.system, o.webhook()]] : [])));
    const writers: Partial<Record<SystemId, RecordWriter>> = Object.fromEntries(systemsOpened.flatMap((o) => (o.writer ? [[o.connector.system, o.writer]] : [])));
    const feeds = systemsOpened.flatMap((o) => o.changes ?? []);
    return { ...opened, sandbox, systems, connectors, webhooks, writers, feeds, close: () => closeInReverse(closers, options.logger) };
  } catch (e) {
    await closeInReverse(closers, options.logger);
    throw e;
  }
}

export async function startApp(options: AppOptions): Promise<App> {
  const { config, logger } = options;
  const env = config.env;
  const closers: Closer[] = [];
  const closeAll = (): Promise<void> => closeInReverse(closers, logger);
  // Ports first: one taken is known in a millisecond, not after the whole boot.
  const wanted: WantedPort[] = [{ variable: 'PORT', port: env.PORT }, ...(config.sandbox && !options.ephemeralPorts ? sandboxPorts(env) : [])];
  await assertPortsFree(env.HOST, wanted.slice(0, 1));
  if (wanted.length > 1) await assertPortsFree(env.SANDBOX_HOST, wanted.slice(1));
  // Pub/sub needs Redis at start: an unreachable REDIS_URL is one line now, not reconnect logs later.
  if (env.REDIS_URL) await probeRedis('REDIS_URL', env.REDIS_URL);
  try {
    collectProcessMetrics();
    const tracing = startTracing({ endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: env.OTEL_SERVICE_NAME, ...(options.traceExporter ? { exporter: options.traceExporter } : {}) });
    // Closed last: spans of the shutdown's own work are exported too.
    closers.push(() => tracing.shutdown());
    const opened = await openSources(config, { ...options, logger });
    closers.push(() => opened.close());
    const { store, sandbox, connectors } = opened;
    const keys = createKeyStore(store);
    const access = config.access;
    if (access.mode === 'off') {
      logger.error('MERIDIAN_AUTH=off: AUTHENTICATION IS OFF. Every request runs as admin without credentials; never run this where anyone else can reach the port');
    } else if (!config.sandbox && access.apiKeys.length === 0 && !access.jwt && (await keys.countActive()) === 0) {
      throw new StartupError(NO_CREDENTIALS_MESSAGE);
    }
    const localKey = access.mode === 'on' && (options.localAdminKey ?? (config.sandbox && !options.inMemory)) ? ensureLocalAdminKey(env.MERIDIAN_DATA_DIR) : null;
    const authenticator = createAuthenticator({
      access,
      keys,
      localKey: localKey?.key ?? null,
      onKeySetError: (reason) => logger.error('JWT key set unavailable', { url: access.jwt?.jwksUrl.href ?? '', reason }),
    });
    // Other replicas invalidate what they learn of (their notices reach this replica's response
    // cache below); review items and sync status travel on it too.
    const pubsub = env.REDIS_URL ? await createRedisPubSub({ url: env.REDIS_URL }) : createMemoryPubSub();
    closers.push(() => pubsub.close());
    const identity: IdentityStore = createIdentityStore(store);
    const onReviewPublishError = (e: unknown): void => logger.error('review change not published', { error: String(e) });
    const reviews = createReviewItems(store, { identity, onChanged: (ids) => publishReviewChanges(pubsub, ids, onReviewPublishError) });

    const sources: Partial<Record<SystemId, GuardedSource>> = {};
    for (const c of connectors) sources[c.system] = guardSource(c, { timeoutMs: env.MERIDIAN_SOURCE_TIMEOUT_MS, cooldownMs: env.MERIDIAN_BREAKER_COOLDOWN_MS, tracer: tracing.tracer });

    const search = new CustomerSearch(store);
    const matchIndex = new MatchIndex(store);
    let backfill: BackfillReport | null = null;
    if (options.backfill ?? config.sandbox) {
      backfill = await runBackfill({
        connectors: connectors.map((c) => indexingScans(c, search, env.MERIDIAN_DEFAULT_REGION)),
        store: identity,
        reviews,
        index: matchIndex,
      });
      logger.info('backfill done', { customers: await identity.count(), ms: Math.round(backfill.ms) });
      // What could not be read is linked by the next backfill; the gateway serves what was.
      const incomplete = scanFailureSummary(backfill);
      if (incomplete !== null) logger.error(`backfill incomplete: ${incomplete}`);
    }

    const onCacheError = (error: unknown, context: { operation: string }): void => logger.error('cache error', { operation: context.operation, error: String(error) });
    const goldenCache: GoldenRecordCache<CachedGolden> = env.REDIS_URL
      ? await createRedisCache<CachedGolden>({ url: env.REDIS_URL, ttlSeconds: env.MERIDIAN_CACHE_TTL_SECONDS, onError: onCacheError })
      : createMemoryCache<CachedGolden>({ ttlSeconds: env.MERIDIAN_CACHE_TTL_SECONDS, onError: onCacheError });
    closers.push(() => goldenCache.close());
    const responseCache = new ResponseCache({ ttlSeconds: env.MERIDIAN_CACHE_TTL_SECONDS });
    const cache = withResponseCache(goldenCache, responseCache, (ids) => pubsub.publish(INVALIDATION_CHANNEL, { ids: [...ids] }));
    const unsubscribe = await pubsub.subscribe(INVALIDATION_CHANNEL, (message) => {
      const ids = (message as { ids?: unknown }).ids;
      if (Array.isArray(ids)) responseCache.invalidate(ids.filter((x): x is string => typeof x === 'string'));
    });
    closers.push(() => unsubscribe());
    // What /metrics reads from this gateway at each scrape (observability/metrics.ts).
    const removeScrapeSource = addScrapeSource({
      breakers: () => Object.values(sources).map((s) => ({ system: s.system, state: s.breaker.state() })),
      caches: () => [
        { cache: 'golden', ...cache.stats() },
        { cache: 'response', ...responseCache.stats() },
      ],
      reviewBacklog: () => reviews.backlog(),
    });
    closers.push(() => Promise.resolve(removeScrapeSource()));

    const spec = loadFieldSpec(env.MERIDIAN_MAPPING);
    const liveMatcher = createLiveMatcher({ identity, index: matchIndex, reviews, search, defaultRegion: env.MERIDIAN_DEFAULT_REGION });
    const limits = { timeoutMs: env.MERIDIAN_SOURCE_TIMEOUT_MS, budget: env.MERIDIAN_REQUEST_UPSTREAM_BUDGET };
    const linkMemo = env.MERIDIAN_LINK_MEMO > 0 ? new LinkMemo(env.MERIDIAN_LINK_MEMO) : undefined;
    const services: GatewayServices = {
      sources, identity, search, liveMatcher, reviews, cache, spec, defaultRegion: env.MERIDIAN_DEFAULT_REGION, now: () => new Date(), limits,
      reviewChanges: () => subscribeReviewChanges(pubsub, (id) => reviews.get(id)),
      ...(linkMemo ? { linkMemo } : {}),
    };
    if (linkMemo) {
      // In the background: the gateway serves meanwhile (a customer not yet in is read as without the memo).
      const stop = new AbortController();
      const t0 = performance.now();
      const filling = preloadLinkMemo(linkMemo, identity, { signal: stop.signal }).then(
        (n) => logger.info('link memo filled', { customers: n, max: linkMemo.max, ms: Math.round(performance.now() - t0) }),
        (e: unknown) => {
          if (!stop.signal.aborted) logger.error('link memo not filled; cache misses wait for Postgres first until customers are read', { error: e instanceof Error ? e.message : String(e) });
        },
      );
      closers.push(async () => {
        stop.abort();
        await filling;
      });
    }

    const checkReadiness = async (): Promise<Readiness> => {
      const deps: Readiness['dependencies'] = {};
      const timed = async (name: string, required: boolean, fn: () => Promise<unknown>): Promise<void> => {
        const t0 = performance.now();
        try {
          await fn();
          deps[name] = { ok: true, required, latencyMs: Math.round(performance.now() - t0) };
        } catch (e) {
          // /readyz is anonymous: a short reason in our words; what the dependency said goes to the log.
          deps[name] = { ok: false, required, detail: publicReason(e) ?? 'unavailable (details in the log)' };
          logger.error('readiness check failed', { dependency: name, error: e instanceof Error ? e.message : String(e) });
        }
      };
      await Promise.all([
        timed('postgres', true, () => store.query('SELECT 1')),
        timed(`cache:${cache.kind}`, false, () => cache.get(['readyz'])),
        ...Object.values(sources).map((s) => timed(s.system, false, () => s.ping())),
      ]);
      return { ready: Object.values(deps).every((d) => d.ok || !d.required), dependencies: deps };
    };
    // Orchestrators probe every few seconds; each check calls every system (Salesforce counts
    // those against the org's API allowance), so one check serves all probes of a 5 s window.
    let lastCheck: { at: number; result: Promise<Readiness> } | null = null;
    const readiness = (): Promise<Readiness> => {
      if (!lastCheck || Date.now() - lastCheck.at > READINESS_TTL_MS) lastCheck = { at: Date.now(), result: checkReadiness() };
      return lastCheck.result;
    };

    // Two-way sync (docs/sync.md): the job queue and webhook inbox, the write-backs (decider,
    // outbox loop, routing), and the worker running them unless separate `meridian worker`
    // processes do (MERIDIAN_WORKER=off).
    const { sync, writeback } = await startSyncProcess(opened, {
      services,
      identity,
      spec: services.spec,
      defaultRegion: services.defaultRegion,
      pubsub,
      logger,
      env,
      work: env.MERIDIAN_WORKER === 'on',
      ...(options.onCustomerChanged ? { onCustomerChanged: options.onCustomerChanged } : {}),
      ...(options.workerLoops ? { loops: options.workerLoops } : {}),
    });
    closers.push(() => sync.close());
    // A query that meets a record no customer is linked to queues it for matching (src/gateway/linking.ts).
    services.enqueueChange = async (change) => {
      if ((await sync.queue.enqueue(change)) !== null) sync.queue.wake();
    };
    services.sync = createSyncApi({
      store,
      identity,
      pubsub,
      sources,
      defaultRegion: services.defaultRegion,
      now: services.now,
      routeUpdate: (g, v, k) => routeUpdate(writeback.routeDeps, g, v as Record<string, unknown>, k),
      enqueueChange: async (change) => {
        const id = await sync.queue.enqueue(change);
        if (id !== null) sync.queue.wake();
        return id;
      },
      stats: createSyncStats(store, sync.queue, connectors.map((c) => c.system)),
      ...options.sync,
    });
    const intake = createWebhookIntake({ verifiers: opened.webhooks(), inbox: sync.inbox, logger, now: services.now });

    // Operation limits and rate limits (docs/limits.md); rate counts shared through Redis when it is configured.
    const logOnce = createLogOnce(logger);
    const rateStore = env.REDIS_URL
      ? await createRedisRateLimitStore({ url: env.REDIS_URL, onError: (e, operation) => logOnce('rate limit store error; counting in this process meanwhile', { operation, error: String(e) }, `ratelimit:${operation}`) })
      : createMemoryRateLimitStore();
    const operationLimits = createGatewayLimits({
      config: limitsConfig(env),
      model: buildCostModel(spec, Object.keys(sources) as SystemId[]),
      store: rateStore,
      // meridian_limit_refusals_total{code, scope}; meridian_rate_limited_total{scope="request"|"webhook"}
      onRefused: (code, where) => {
        limitRefusals.inc({ code, scope: where });
        if (code === 'RATE_LIMITED') rateLimited.inc({ scope: where });
      },
    });
    closers.push(() => operationLimits.close());

    const schema = await loadSchema(spec);
    const fullAccessSchema = await loadSchema(spec, { accessRules: false });
    const context = (requestId: string, principal: Principal): GatewayContext => ({ requestId, principal, loaders: createLoaders(services), services, cacheability: newCacheability() });
    const server = await startHttpServer({
      schema,
      fullAccessSchema,
      accessPlan: planAccess(fullAccessSchema, spec),
      limits: operationLimits,
      context,
      authenticator,
      allowedOrigins: access.allowedOrigins,
      introspection: access.introspection ?? 'admin',
      ...(env.MERIDIAN_RESPONSE_CACHE === 'on' ? { responseCache } : {}),
      readiness,
      logger,
      host: env.HOST,
      port: env.PORT,
      exampleQuery: EXAMPLE_QUERY,
      webhooks: (system, headers, raw) => intake.handle(system, headers, raw),
      stacktraces: env.MERIDIAN_DEV_ERRORS === '1',
      executor: env.MERIDIAN_EXECUTOR,
      jitCacheSize: env.MERIDIAN_JIT_CACHE_SIZE,
      shutdownGraceMs: env.MERIDIAN_SHUTDOWN_GRACE_MS,
      // Operators' keys and tokens: role admin or service.
      authorizeMetrics: options.authorizeMetrics ?? ((headers) => authenticateFor(authenticator, headers, ['admin', 'service']).then(() => true, () => false)),
      tracer: tracing.tracer,
    }).catch((e: unknown) => {
      throw explainListenErrorOf(e, env.HOST, [{ variable: 'PORT', port: env.PORT }]) ?? e;
    });
    closers.push(() => server.close());
    // A second process refused by the data directory's lock is told where this gateway is.
    opened.lock?.describe({ url: server.url });
    // The sandbox's systems notify this gateway of their changes, as real ones would be set up to.
    if (sandbox) notifyGateway(sandbox, server.url);

    return { url: server.url, server, services, connectors, writers: opened.writers, store, sandbox, backfill, schema, context, authenticator, localKey, readiness, sync, pubsub, close: closeAll };
  } catch (e) {
    await closeAll();
    throw e;
  }
}

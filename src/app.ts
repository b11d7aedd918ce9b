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
import { createStore, type Store } from './store/index.ts';
import { createIdentityStore, type IdentityStore } from './identity/links.ts';
import { runBackfill, scanFailureSummary, type BackfillReport } from './identity/backfill.ts';
import { CustomerSearch, indexingScans } from './identity/search.ts';
import { MatchIndex } from './identity/match-index.ts';
import { createLiveMatcher } from './identity/live-matcher.ts';
import { createReviewItems } from './review/items.ts';
import { createMemoryCache, createRedisCache } from './cache/index.ts';
import type { GoldenRecordCache } from './cache/types.ts';
import { startSandbox, type Sandbox } from './sandbox/index.ts';
import { connectSalesforce } from './sources/salesforce/client.ts';
import { createStripeClient } from './sources/stripe/client.ts';
import { createZendeskClient } from './sources/zendesk/client.ts';
import { createErpPool } from './sources/erp/client.ts';
import { createSalesforceConnector } from './sources/salesforce/index.ts';
import { createStripeConnector } from './sources/stripe/index.ts';
import { createZendeskConnector } from './sources/zendesk/index.ts';
import { createErpConnector } from './sources/erp/index.ts';
import type { SourceConnector, SystemId } from './sources/types.ts';
import { guardSource, type GuardedSource } from './gateway/guarded-source.ts';
import { createLoaders, type CachedGolden, type GatewayServices } from './gateway/loaders.ts';
import { loadFieldSpec } from './mapping/index.ts';
import { startHttpServer, type Logger, type Readiness, type RunningServer } from './server/http.ts';
import { createWebhookIntake } from './sync/intake.ts';
import { ResponseCache, newCacheability, withResponseCache } from './gateway/response-cache.ts';
import { createMemoryPubSub, createRedisPubSub } from './pubsub/index.ts';

/** Where a replica announces the golden ids it invalidated, for every replica's response cache. */
const INVALIDATION_CHANNEL = 'meridian:golden-invalidated';
/** How long one readiness check answers /readyz. */
const READINESS_TTL_MS = 5_000;
import { resolvers } from '../resolvers/index.ts';

export interface App {
  url: string;
  server: RunningServer;
  services: GatewayServices;
  connectors: SourceConnector[];
  store: Store;
  sandbox: Sandbox | null;
  backfill: BackfillReport | null;
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
}

const SCHEMA_DIR = new URL('../schema/', import.meta.url);

export async function loadSchema(): Promise<GraphQLSchema> {
  const files = (await readdir(SCHEMA_DIR)).filter((f) => f.endsWith('.graphql')).sort();
  const typeDefs = await Promise.all(files.map((f) => readFile(new URL(f, SCHEMA_DIR), 'utf8')));
  // The generated Resolvers type is stricter than graphql-tools' loose resolver map.
  return makeExecutableSchema({ typeDefs, resolvers: resolvers as NonNullable<Parameters<typeof makeExecutableSchema>[0]['resolvers']> });
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

async function buildConnectors(
  systems: SystemSettings,
  timeoutMs: number,
): Promise<{ connectors: SourceConnector[]; salesforceOrgId: string | null }> {
  const out: Promise<SourceConnector>[] = [];
  let salesforceOrgId: string | null = null;
  if (systems.salesforce) {
    const s = systems.salesforce;
    out.push(
      connectSalesforce(s).then((conn) => {
        salesforceOrgId = conn.userInfo?.organizationId ?? null;
        return createSalesforceConnector(conn);
      }),
    );
  }
  if (systems.stripe) out.push(Promise.resolve(createStripeConnector(createStripeClient(systems.stripe, { timeoutMs, maxNetworkRetries: 0 }))));
  if (systems.zendesk) out.push(Promise.resolve(createZendeskConnector(createZendeskClient(systems.zendesk))));
  if (systems.erp) out.push(Promise.resolve(createErpConnector(createErpPool(systems.erp, { statementTimeoutMs: timeoutMs }), { schema: systems.erp.schema })));
  const connectors = await Promise.all(out);
  return { connectors, salesforceOrgId };
}

export interface OpenedStore {
  store: Store;
  databaseUrl: string;
  embedded: EmbeddedPostgres | null;
  close(): Promise<void>;
}

type Closer = () => Promise<void>;

async function closeInReverse(closers: Closer[], logger?: Logger): Promise<void> {
  for (const c of closers.reverse()) await c().catch((e: unknown) => logger?.error('shutdown step failed', { error: String(e) }));
}

/** Meridian's Postgres: DATABASE_URL, or PGlite under MERIDIAN_DATA_DIR (in memory for tests). */
export async function openStore(config: GatewayConfig, options: Pick<AppOptions, 'inMemory' | 'storeSchema'> = {}): Promise<OpenedStore> {
  const env = config.env;
  let embedded: EmbeddedPostgres | null = null;
  let databaseUrl = env.DATABASE_URL;
  if (!databaseUrl) {
    embedded = await startEmbeddedPostgres({ dataDir: options.inMemory ? null : join(env.MERIDIAN_DATA_DIR, 'pgdata') });
    databaseUrl = embedded.url;
  }
  const store = createStore(databaseUrl, { ...(options.storeSchema ? { schema: options.storeSchema } : {}), max: embedded ? 4 : 10 });
  return {
    store,
    databaseUrl,
    embedded,
    close: async () => {
      await store.close();
      await embedded?.close();
    },
  };
}

export interface OpenedSources extends OpenedStore {
  sandbox: Sandbox | null;
  systems: SystemSettings;
  connectors: SourceConnector[];
  salesforceOrgId: string | null;
}

/** The store plus one connector per configured system, or per sandbox system when it runs. */
export async function openSources(config: GatewayConfig, options: Omit<AppOptions, 'config' | 'logger' | 'backfill'> & { logger?: Logger } = {}): Promise<OpenedSources> {
  const env = config.env;
  const closers: Closer[] = [];
  try {
    const opened = await openStore(config, options);
    closers.push(() => opened.close());
    let sandbox: Sandbox | null = null;
    let systems = config.systems;
    if (config.sandbox) {
      const ports = options.ephemeralPorts
        ? {}
        : { salesforce: env.SANDBOX_SALESFORCE_PORT, stripe: env.SANDBOX_STRIPE_PORT, zendesk: env.SANDBOX_ZENDESK_PORT, erp: env.SANDBOX_ERP_PORT };
      sandbox = await startSandbox({
        customers: env.MERIDIAN_SANDBOX_CUSTOMERS,
        seed: env.MERIDIAN_SANDBOX_SEED,
        host: env.SANDBOX_HOST,
        ports,
        databaseUrl: opened.databaseUrl,
        ...(options.erpSchema ? { erpSchema: options.erpSchema } : {}),
        ...options.sandboxOptions,
      });
      const sb = sandbox;
      closers.push(() => sb.close());
      systems = readSystemSettings(sandbox.env());
    }
    const { connectors, salesforceOrgId } = await buildConnectors(systems, env.MERIDIAN_SOURCE_TIMEOUT_MS);
    closers.push(async () => {
      await Promise.all(connectors.map((c) => c.close()));
    });
    return { ...opened, sandbox, systems, connectors, salesforceOrgId, close: () => closeInReverse(closers, options.logger) };
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
  try {
    const opened = await openSources(config, options);
    closers.push(() => opened.close());
    const { store, sandbox, systems, connectors, salesforceOrgId } = opened;
    await store.migrate();
    const identity: IdentityStore = createIdentityStore(store);
    const reviews = createReviewItems(store, { identity });

    const sources: Partial<Record<SystemId, GuardedSource>> = {};
    for (const c of connectors) sources[c.system] = guardSource(c, { timeoutMs: env.MERIDIAN_SOURCE_TIMEOUT_MS, cooldownMs: env.MERIDIAN_BREAKER_COOLDOWN_MS });

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
    // Other replicas invalidate what they learn of; their notices reach this replica's response cache here.
    const pubsub = env.REDIS_URL ? await createRedisPubSub({ url: env.REDIS_URL }) : createMemoryPubSub();
    closers.push(() => pubsub.close());
    const responseCache = new ResponseCache({ ttlSeconds: env.MERIDIAN_CACHE_TTL_SECONDS });
    const cache = withResponseCache(goldenCache, responseCache, (ids) => pubsub.publish(INVALIDATION_CHANNEL, { ids: [...ids] }));
    const unsubscribe = await pubsub.subscribe(INVALIDATION_CHANNEL, (message) => {
      const ids = (message as { ids?: unknown }).ids;
      if (Array.isArray(ids)) responseCache.invalidate(ids.filter((x): x is string => typeof x === 'string'));
    });
    closers.push(() => unsubscribe());

    const spec = loadFieldSpec(env.MERIDIAN_MAPPING);
    const liveMatcher = createLiveMatcher({ identity, index: matchIndex, reviews, search, defaultRegion: env.MERIDIAN_DEFAULT_REGION });
    const services: GatewayServices = { sources, identity, search, liveMatcher, reviews, cache, spec, defaultRegion: env.MERIDIAN_DEFAULT_REGION, now: () => new Date() };

    const checkReadiness = async (): Promise<Readiness> => {
      const deps: Readiness['dependencies'] = {};
      const timed = async (name: string, required: boolean, fn: () => Promise<unknown>): Promise<void> => {
        const t0 = performance.now();
        try {
          await fn();
          deps[name] = { ok: true, required, latencyMs: Math.round(performance.now() - t0) };
        } catch (e) {
          deps[name] = { ok: false, required, detail: e instanceof Error ? e.message : String(e) };
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

    const intake = createWebhookIntake(
      services,
      {
        ...(systems.stripe?.webhookSecret ? { stripe: { client: createStripeClient(systems.stripe), secret: systems.stripe.webhookSecret } } : {}),
        ...(systems.zendesk?.webhookSecret ? { zendesk: { secret: systems.zendesk.webhookSecret } } : {}),
        ...(systems.salesforce ? { salesforce: { orgId: salesforceOrgId } } : {}),
      },
      logger,
    );

    const schema = await loadSchema();
    const server = await startHttpServer({
      schema,
      context: (requestId) => ({ requestId, loaders: createLoaders(services), services, cacheability: newCacheability() }),
      ...(env.MERIDIAN_RESPONSE_CACHE === 'on' ? { responseCache } : {}),
      readiness,
      logger,
      host: env.HOST,
      port: env.PORT,
      exampleQuery: EXAMPLE_QUERY,
      webhooks: (system, headers, raw) => intake.handle(system, headers, raw),
    });
    closers.push(() => server.close());
    // The sandbox's systems notify this gateway of their changes, as real ones would be set up to.
    if (sandbox) {
      sandbox.salesforce.notifier?.setTarget(`${server.url}/webhooks/salesforce`);
      sandbox.stripe.notifier?.setTarget(`${server.url}/webhooks/stripe`);
      sandbox.zendesk.notifier?.setTarget(`${server.url}/webhooks/zendesk`);
    }

    return { url: server.url, server, services, connectors, store, sandbox, backfill, close: closeAll };
  } catch (e) {
    await closeAll();
    throw e;
  }
}

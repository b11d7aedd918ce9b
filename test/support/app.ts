// Starts the whole gateway on the sandbox for a test file: real Postgres and Redis when CI
// provides them (unique schemas so files can run side by side), embedded otherwise.
import pg from 'pg';
import { readGatewayConfig } from '../../src/config/gateway.ts';
import { startApp, type App, type AppOptions } from '../../src/app.ts';
import type { Logger } from '../../src/server/http.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { uniqueSchema } from './postgres.ts';
import { ROLES, type Role } from '../../src/access/principal.ts';
import { hashApiKey } from '../../src/access/api-key.ts';

/**
 * One bootstrap key per role for every test gateway (MERIDIAN_API_KEYS), as a deployment would
 * configure them. `gql` sends the admin key unless told otherwise; the audit names a bootstrap
 * key `env-key-<first 12 hex digits of its SHA-256>`.
 */
export const TEST_KEYS: Readonly<Record<Role, string>> = Object.fromEntries(ROLES.map((r) => [r, `test-${r}-key-0123456789abcdef`])) as Record<Role, string>;
export const TEST_API_KEYS_ENV = ROLES.map((r) => `${TEST_KEYS[r]}:${r}`).join(',');
/** What the audit records for a test key's decisions. */
export const testKeyName = (role: Role = 'admin'): string => `env-key-${hashApiKey(TEST_KEYS[role]).slice(0, 12)}`;
/** `Authorization` header for a test key (default: admin). */
export const bearer = (role: Role = 'admin'): { authorization: string } => ({ authorization: `Bearer ${TEST_KEYS[role]}` });

export interface TestApp extends App {
  /** The schema of Meridian's own tables, for a replica to share. */
  storeSchema: string;
  /** POSTs a GraphQL request with the admin test key, or `options.headers` instead (e.g. none: `{}`). */
  gql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, options?: { headers?: Record<string, string> }): Promise<GqlResult<T>>;
}

export interface GqlResult<T> {
  status: number;
  data: T | null;
  errors: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

export async function startTestApp(
  options: {
    customers?: number;
    seed?: number;
    env?: Record<string, string>;
    sandboxOptions?: AppOptions['sandboxOptions'];
    logger?: Logger;
    /** Observability hooks (who may read /metrics, where spans go) and two-way sync's seams. */
    app?: Pick<AppOptions, 'authorizeMetrics' | 'traceExporter' | 'sync' | 'onCustomerChanged' | 'workerLoops'>;
  } = {},
): Promise<TestApp> {
  const storeSchema = uniqueSchema('mtest');
  const erpSchema = uniqueSchema('erptest');
  const env: Record<string, string | undefined> = {
    PORT: '0',
    MERIDIAN_SANDBOX_CUSTOMERS: String(options.customers ?? 200),
    MERIDIAN_SANDBOX_SEED: String(options.seed ?? 42),
    DATABASE_URL: process.env['DATABASE_URL'],
    REDIS_URL: process.env['REDIS_URL'],
    MERIDIAN_API_KEYS: TEST_API_KEYS_ENV,
    // Change feeds not polled unless a test asks (MERIDIAN_POLL_SECONDS): a poll round every 60 s
    // (the default) lands in a slow test's window and its reads are counted as the test's calls.
    MERIDIAN_POLL_SECONDS: '0',
    ...options.env,
  };
  const config = readGatewayConfig(env);
  const app = await startApp({
    config,
    logger: options.logger ?? createLogger({ quiet: true }),
    ephemeralPorts: true,
    inMemory: true,
    storeSchema,
    erpSchema,
    ...(options.sandboxOptions ? { sandboxOptions: options.sandboxOptions } : {}),
    ...options.app,
  });
  const close = async (): Promise<void> => {
    // Closed first (its sync loops and queue stop), then what it made dropped: Meridian's schema,
    // the job queue's and the sandbox ERP's.
    await app.close();
    const url = process.env['DATABASE_URL'];
    if (url) {
      const db = new pg.Client({ connectionString: url });
      await db.connect();
      try {
        for (const s of [storeSchema, `${storeSchema}_queue`, erpSchema]) await db.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`).catch(() => undefined);
      } finally {
        await db.end();
      }
    }
  };
  return {
    ...app,
    storeSchema,
    close,
    gql: (query, variables = {}, gqlOptions = {}) => gqlAt(app.url, query, variables, gqlOptions),
  };
}

/** POSTs a GraphQL request to the gateway at `url` (any process), with the admin test key unless `options.headers` says otherwise. */
export async function gqlAt<T = Record<string, unknown>>(url: string, query: string, variables: Record<string, unknown> = {}, options: { headers?: Record<string, string> } = {}): Promise<GqlResult<T>> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...(options.headers ?? bearer('admin')) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: unknown; errors?: [] };
  return { status: res.status, data: (body.data ?? null) as T | null, errors: body.errors ?? [] };
}

/**
 * A second gateway replica beside `primary`: the same Postgres schema, Redis and systems (the
 * primary's sandbox, configured by environment as a deployment would be), no backfill of its
 * own. Needs DATABASE_URL and REDIS_URL: replicas share nothing in-process.
 */
export async function startReplica(primary: TestApp, env: Record<string, string> = {}, app: Pick<AppOptions, 'sync'> = {}): Promise<App> {
  const config = readGatewayConfig({
    ...primary.sandbox!.env(),
    PORT: '0',
    DATABASE_URL: process.env['DATABASE_URL'],
    REDIS_URL: process.env['REDIS_URL'],
    MERIDIAN_API_KEYS: TEST_API_KEYS_ENV,
    MERIDIAN_POLL_SECONDS: '0',
    ...env,
  });
  return startApp({ config, logger: createLogger({ quiet: true }), inMemory: true, storeSchema: primary.storeSchema, backfill: false, ...app });
}

/** Counts the pages the app reads from its identity store (`customers` lists) from now on. */
export function countPageReads(app: App): () => number {
  const identity = app.services.identity;
  const list = identity.list.bind(identity);
  let pages = 0;
  identity.list = (o) => {
    pages += 1;
    return list(o);
  };
  return () => pages;
}

/**
 * Waits until the app's sync worker has run every queued sync.change job (the webhook intake
 * only stores and queues; the reads and links happen there).
 */
export async function drainSync(app: App, timeoutMs = 20_000): Promise<void> {
  // Drained: no change job waiting or running and no write-back queued or being written, seen
  // three times in a row (a write's echo, a notification from the emulator, arrives just after).
  const until = Date.now() + timeoutMs;
  const outbox = app.store.table('sync_outbox');
  let quiet = 0;
  for (;;) {
    app.sync.queue.wake();
    const pending = await app.sync.queue.pending();
    const writing = (await app.store.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${outbox} WHERE state IN ('QUEUED', 'WRITING')`)).rows[0]!.n;
    // Notifications the sandbox's systems are still sending to the gateway (a write's echo).
    const sb = app.sandbox;
    const notifying = sb ? (sb.salesforce.notifier?.pending ?? 0) + (sb.stripe.notifier?.pending ?? 0) + (sb.zendesk.notifier?.pending ?? 0) : 0;
    quiet = pending === 0 && writing === 0 && notifying === 0 ? quiet + 1 : 0;
    if (quiet >= 3) return;
    if (Date.now() > until) throw new Error(`sync jobs still pending after ${timeoutMs} ms (${pending} changes, ${writing} writes, ${notifying} notifications)`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Webhooks off: the sandbox's systems notify nobody (polling alone, or only the deliveries a test sends). */
export function silenceNotifications(app: TestApp): void {
  const sandbox = app.sandbox!;
  for (const system of [sandbox.stripe, sandbox.salesforce, sandbox.zendesk]) system.notifier!.setTarget(null);
}

// `npx meridian worker` as an operator runs it: a child process beside a gateway on one Postgres
// (DATABASE_URL) and Redis. The gateway (MERIDIAN_WORKER=off) only stores and queues a webhook;
// the child works the job (reads Stripe, links the new customer, invalidates its cache) and stops
// on SIGTERM after its running jobs, exit 0. Refusals: no system configured (the sandbox's
// worker is serve's), and an embedded store another process holds.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_BIN, cleanEnv, runCli } from '../support/cli.ts';
import { createTestDatabase, uniqueSchema } from '../support/postgres.ts';
import { TEST_API_KEYS_ENV } from '../support/app.ts';
import { startApp, type App } from '../../src/app.ts';
import { readGatewayConfig } from '../../src/config/gateway.ts';
import { readSystemSettings } from '../../src/config/systems.ts';
import { createStripeClient } from '../../src/sources/stripe/client.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { acquireDataDirLock } from '../../src/store/data-dir-lock.ts';

const serverUrl = process.env['DATABASE_URL'];

describe.skipIf(!serverUrl)('meridian worker (child process, DATABASE_URL)', () => {
  let app: App;
  let dbUrl: string;
  let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
  let stripe: Stripe;
  const children = new Set<ChildProcessWithoutNullStreams>();

  beforeAll(async () => {
    // A database of its own: the worker uses Meridian's default schema, as a deployment does.
    database = await createTestDatabase(serverUrl!, 'wt_worker_cli');
    dbUrl = database.url;
    app = await startApp({
      config: readGatewayConfig({ PORT: '0', MERIDIAN_SANDBOX_CUSTOMERS: '30', DATABASE_URL: dbUrl, REDIS_URL: process.env['REDIS_URL'], MERIDIAN_API_KEYS: TEST_API_KEYS_ENV, MERIDIAN_WORKER: 'off', MERIDIAN_POLL_SECONDS: '0' }),
      logger: createLogger({ quiet: true }),
      ephemeralPorts: true,
      inMemory: true,
      erpSchema: uniqueSchema('erp_worker_cli'),
    });
    stripe = createStripeClient(readSystemSettings(app.sandbox!.env()).stripe!, { maxNetworkRetries: 0 });
  });
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await app?.close();
    await database?.drop();
  });

  const linkOf = async (id: string): Promise<string | null> => (await app.services.identity.goldenIdsFor([{ system: 'stripe', externalId: id }]))[0] ?? null;

  it('works the jobs the gateway queued, and stops on SIGTERM after them with exit 0', async () => {
    const created = await stripe.customers.create({ name: 'Worker Wharf Supplies', email: 'ap@worker-wharf.example' });
    await app.sandbox!.stripe.notifier!.idle();
    // Stored and queued by the gateway; nobody works it yet.
    expect(await app.sync.queue.pending()).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 300));
    expect(await linkOf(created.id)).toBeNull();

    const child = spawn(process.execPath, [CLI_BIN, 'worker'], {
      env: cleanEnv({ ...app.sandbox!.env(), DATABASE_URL: dbUrl, ...(process.env['REDIS_URL'] ? { REDIS_URL: process.env['REDIS_URL'] } : {}), MERIDIAN_POLL_SECONDS: '0', MERIDIAN_LOG_FORMAT: 'json' }),
    });
    children.add(child);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));

    const until = Date.now() + 30_000;
    while ((await linkOf(created.id)) === null && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    expect(await linkOf(created.id), out).not.toBeNull();
    expect(out).toContain('meridian worker: running sync.change jobs');
    const events = await app.store.query<{ actor: string }>(`SELECT actor FROM ${app.store.table('identity_events')} WHERE external_id = $1 AND kind IN ('linked', 'customer_created')`, [created.id]);
    expect(events.rows.map((r) => r.actor)).toContain('sync:webhook:stripe');
    while ((await app.sync.queue.pending()) > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    expect(await app.sync.queue.pending()).toBe(0);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    children.delete(child);
    expect(out).toContain('meridian worker: stopped');
    // No stack traces in what it printed.
    expect(out).not.toMatch(/\n\s+at \S+ \(/);
  });
});

describe('meridian worker refusals', () => {
  it('refuses to run with no system configured: the sandbox worker is the one inside meridian serve', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meridian-worker-'));
    try {
      const r = await runCli(['worker'], cleanEnv({ MERIDIAN_DATA_DIR: dir }));
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('meridian worker works for configured systems');
      expect(r.stderr).toContain('meridian serve');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses the embedded store while another process holds it, saying serve runs its worker itself', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meridian-worker-'));
    const lock = acquireDataDirLock(dir, { command: 'meridian serve' });
    try {
      // A system configured (so not the sandbox), no DATABASE_URL: the embedded store in `dir`.
      const r = await runCli(['worker'], cleanEnv({ MERIDIAN_DATA_DIR: dir, STRIPE_API_KEY: 'sk_test_x', STRIPE_API_BASE: 'http://127.0.0.1:9' }));
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('is in use by meridian serve');
      expect(r.stderr).toContain('meridian serve runs its sync worker itself');
    } finally {
      lock.release();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

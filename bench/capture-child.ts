// Capture figures (issue #10 part 2): webhook acknowledgement latency, and how fast one in-process
// worker turns stored events into refreshed customers. Starts the whole gateway on the sandbox
// (DATABASE_URL / REDIS_URL when set, the embedded default otherwise), polling off.
//   node bench/capture-child.ts [events=500]      BENCH_WORKER=off: acknowledgements only (no worker competing for the CPU)
//   BENCH_WORKERS=2 (needs DATABASE_URL): one more worker, `meridian worker` in a child process, on a database of its own
// Prints one JSON line: ack p50/p99 (ms, sequential signed Stripe events), drain (events/s for the
// workers, from the first event sent until no job is pending), notification → processed p50/p95/p99
// (ms, the inbox's received_at → processed_at).
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import pg from 'pg';
import { startApp } from '../src/app.ts';
import { readGatewayConfig } from '../src/config/gateway.ts';
import { createLogger } from '../src/observability/logger.ts';
import { createStripeClient } from '../src/sources/stripe/client.ts';
import { readSystemSettings } from '../src/config/systems.ts';

const N = Number(process.argv[2] ?? 500);
const extraWorkers = Math.max(0, Number(process.env['BENCH_WORKERS'] ?? 1) - 1);
const schema = extraWorkers > 0 ? 'meridian' : `bench_capture_${process.pid}`;
// Separate workers read Meridian's default schema: they get a database of their own.
let databaseUrl = process.env['DATABASE_URL'];
const dbName = `bench_capture_${process.pid}`;
if (extraWorkers > 0) {
  if (!databaseUrl) throw new Error('BENCH_WORKERS needs DATABASE_URL');
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  await admin.end();
  const u = new URL(databaseUrl);
  u.pathname = `/${dbName}`;
  databaseUrl = u.toString();
}
const key = `bench-${randomBytes(8).toString('hex')}`;
const app = await startApp({
  config: readGatewayConfig({ PORT: '0', MERIDIAN_SANDBOX_CUSTOMERS: '1000', DATABASE_URL: databaseUrl, REDIS_URL: process.env['REDIS_URL'], MERIDIAN_API_KEYS: `${key}:admin`, MERIDIAN_POLL_SECONDS: '0', MERIDIAN_WORKER: process.env['BENCH_WORKER'] === 'off' ? 'off' : 'on', MERIDIAN_WORKER_CONCURRENCY: process.env['MERIDIAN_WORKER_CONCURRENCY'] }),
  logger: createLogger({ level: 'error', format: 'json' }),
  ephemeralPorts: true,
  inMemory: true,
  storeSchema: schema,
  erpSchema: `${schema}_erp`,
});
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! * 100) / 100;
};
const children: ChildProcess[] = [];
try {
  for (let i = 0; i < extraWorkers; i++) {
    const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'], ...app.sandbox!.env(), DATABASE_URL: databaseUrl, MERIDIAN_POLL_SECONDS: '0', MERIDIAN_LOG_LEVEL: 'error', ...(process.env['REDIS_URL'] ? { REDIS_URL: process.env['REDIS_URL'] } : {}) };
    const child = spawn(process.execPath, [new URL('../bin/meridian.js', import.meta.url).pathname, 'worker'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('running sync.change jobs') && resolve());
      child.on('exit', (code) => reject(new Error(`meridian worker exited ${String(code)}`)));
    });
  }
  const stripe = createStripeClient(readSystemSettings(app.sandbox!.env()).stripe!);
  const secret = app.sandbox!.env()['STRIPE_WEBHOOK_SECRET']!;
  const customers = app.sandbox!.world.stripe.customers.map((c) => c.id);
  const send = async (i: number): Promise<number> => {
    const body = JSON.stringify({ id: `evt_bench_${i}`, object: 'event', type: 'customer.updated', api_version: '2026-10-28.endive', created: Math.floor(Date.now() / 1000), data: { object: { id: customers[i % customers.length], object: 'customer' } } });
    const headers = { 'content-type': 'application/json', 'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload: body, secret }) };
    const t0 = performance.now();
    const res = await fetch(`${app.url}/webhooks/stripe`, { method: 'POST', headers, body });
    await res.text();
    if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
    return performance.now() - t0;
  };
  // Warm-up (connections, JIT), not measured.
  for (let i = 0; i < 20; i++) await send(1_000_000 + i);
  while (app.sync.worker && (await app.sync.queue.pending()) > 0) await new Promise((r) => setTimeout(r, 20));

  const t0 = performance.now();
  const acks: number[] = [];
  for (let i = 0; i < N; i++) acks.push(await send(i));
  while (app.sync.worker && (await app.sync.queue.pending()) > 0) await new Promise((r) => setTimeout(r, 10));
  const seconds = (performance.now() - t0) / 1000;
  const lag = await app.store.query<{ ms: number }>(
    `SELECT extract(epoch FROM processed_at - received_at) * 1000 AS ms FROM ${app.store.table('sync_inbox')} WHERE event_id LIKE 'evt_bench_%' AND event_id NOT LIKE 'evt_bench_1000___' AND processed_at IS NOT NULL`,
  );
  const lags = lag.rows.map((r) => Number(r.ms));
  console.log(
    JSON.stringify({
      store: process.env['DATABASE_URL'] ? 'postgres' : 'embedded',
      workers: 1 + extraWorkers,
      events: N,
      ackP50Ms: pct(acks, 50),
      ackP99Ms: pct(acks, 99),
      eventsPerSecond: Math.round((N / seconds) * 10) / 10,
      processedP50Ms: pct(lags, 50),
      processedP95Ms: pct(lags, 95),
      processedP99Ms: pct(lags, 99),
      processedCount: lags.length,
    }),
  );
} finally {
  for (const c of children) c.kill('SIGTERM');
  await Promise.all(children.map((c) => new Promise((r) => c.once('exit', r))));
  if (process.env['DATABASE_URL'] && extraWorkers === 0) {
    await app.store.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await app.store.query(`DROP SCHEMA IF EXISTS ${schema}_queue CASCADE`).catch(() => undefined);
    await app.store.query(`DROP SCHEMA IF EXISTS ${schema}_erp CASCADE`).catch(() => undefined);
  }
  await app.close();
  if (extraWorkers > 0) {
    const admin = new pg.Client({ connectionString: process.env['DATABASE_URL'] });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
  }
  setTimeout(() => process.exit(0), 500).unref();
}

// The outbox under concurrency and crashes, on one database: two loops never write a row twice,
// a loop killed with SIGKILL mid-batch and replaced leaves every row applied exactly once, and a
// live loop whose batch outlasts the lease keeps its rows (it renews their claims).
// Writes are counted at the Stripe emulator's request log.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore } from '../../src/store/index.ts';
import { mapWithConcurrency } from '../../src/sources/concurrency.ts';
import { startWriteback, type Writeback } from './writeback-harness.ts';

const CHILD = fileURLToPath(new URL('./outbox-child.ts', import.meta.url));

let wb: Writeback;
beforeAll(async () => {
  wb = await startWriteback({ customers: 20 });
}, 120_000);
afterAll(async () => {
  await wb?.close();
});

const stripeClient = (): Stripe => {
  const env = wb.sandbox.env();
  const base = new URL(env['STRIPE_API_BASE']!);
  return new Stripe(env['STRIPE_API_KEY']!, { host: base.hostname, port: Number(base.port), protocol: 'http', telemetry: false, maxNetworkRetries: 0 });
};

/** `n` new Stripe customers without a phone, and one outbox row per customer giving each its own number. */
async function rowsFor(n: number, tag: string): Promise<{ customers: string[]; phones: Map<string, string> }> {
  const stripe = stripeClient();
  const customers = await mapWithConcurrency(Array.from({ length: n }, (_, i) => i), 16, async (i) => (await stripe.customers.create({ name: `${tag} ${i}` })).id);
  const phones = new Map(customers.map((id, i) => [id, `+1415${String(5_000_000 + i).padStart(7, '0')}`]));
  await wb.app.store.query(
    `INSERT INTO ${wb.app.store.table('sync_outbox')} (golden_id, system, record_type, record_id, fields, golden_values, changes, expected, idempotency_key, origin)
     SELECT 'gc_' || $1, 'stripe', 'customer', x.id, ARRAY['phone'], jsonb_build_object('phone', x.phone), jsonb_build_object('phone', x.phone), '{"phone": null}'::jsonb, 'test_' || x.key, 'test'
       FROM unnest($2::text[], $3::text[], $4::text[]) AS x (id, phone, key)`,
    [tag, customers, customers.map((c) => phones.get(c)!), customers.map(() => randomUUID())],
  );
  return { customers, phones };
}

/** Stripe updates answered per customer since `since`. */
function updatesPerCustomer(since: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of wb.sandbox.stripe.requests.list({ operation: 'customers.update', sinceSeq: since })) {
    const id = r.path.split('/').at(-1)!;
    out.set(id, (out.get(id) ?? 0) + 1);
  }
  return out;
}

const states = async (tag: string): Promise<Record<string, number>> => {
  const r = await wb.app.store.query<{ state: string; n: string }>(`SELECT state, count(*) AS n FROM ${wb.app.store.table('sync_outbox')} WHERE golden_id = $1 GROUP BY state`, [`gc_${tag}`]);
  return Object.fromEntries(r.rows.map((x) => [x.state, Number(x.n)]));
};

describe('two outbox loops on one database', () => {
  it('write each of 1,000 rows exactly once between them', async () => {
    const { customers, phones } = await rowsFor(1000, 'pair');
    const since = wb.sandbox.stripe.requests.lastSeq;
    const stores = [createStore(process.env['DATABASE_URL'] ?? wb.app.store.pool.options.connectionString!, { schema: wb.app.store.schema, max: 4 }), createStore(process.env['DATABASE_URL'] ?? wb.app.store.pool.options.connectionString!, { schema: wb.app.store.schema, max: 4 })];
    try {
      const loops = stores.map((store, i) => wb.loop({ store, workerId: `worker-${i}`, batchSize: 10, concurrency: 4 }));
      await Promise.all(loops.map((l) => l.drain(10_000)));
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
    expect(await states('pair')).toEqual({ DONE: 1000 });
    const updates = updatesPerCustomer(since);
    expect(updates.size).toBe(1000);
    expect([...updates.values()].every((n) => n === 1)).toBe(true);
    const byWorker = await wb.app.store.query<{ claimed_by: string; n: string }>(`SELECT claimed_by, count(*) AS n FROM ${wb.app.store.table('sync_outbox')} WHERE golden_id = 'gc_pair' GROUP BY claimed_by`);
    expect(byWorker.rows.map((r) => r.claimed_by).sort()).toEqual(['worker-0', 'worker-1']);
    const done = await wb.app.store.query<{ n: string }>(`SELECT count(*) AS n FROM ${wb.app.store.table('sync_audit')} WHERE kind = 'write_done' AND golden_id = 'gc_pair'`);
    expect(Number(done.rows[0]!.n)).toBe(1000);
    const sample = customers[517]!;
    expect(((await stripeClient().customers.retrieve(sample)) as Stripe.Customer).phone).toBe(phones.get(sample));
  }, 180_000);
});

describe('a loop killed with SIGKILL mid-batch', () => {
  it('leaves its claims to the next loop after their lease, and every row is applied exactly once', async () => {
    const { customers } = await rowsFor(300, 'crash');
    const since = wb.sandbox.stripe.requests.lastSeq;
    // Each call takes a while, so the kill lands while a batch is being written.
    wb.sandbox.stripe.faults.set({ latencyMs: 15 });
    const env = wb.sandbox.env();
    const child = spawn(process.execPath, [CHILD], {
      env: {
        ...process.env, DATABASE_URL: process.env['DATABASE_URL'] ?? wb.app.store.pool.options.connectionString!, OUTBOX_TEST_SCHEMA: wb.app.store.schema,
        STRIPE_API_KEY: env['STRIPE_API_KEY'], STRIPE_API_BASE: env['STRIPE_API_BASE'], OUTBOX_TEST_LEASE_MS: '1500',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    let atKill: Record<string, number>;
    try {
      // Killed the moment it is seen holding claims, once a few rounds are done (between two
      // rounds it holds none: a kill there would not be mid-batch).
      for (let i = 0; i < 2400; i++) {
        const s = await states('crash');
        if ((s['DONE'] ?? 0) >= 60 && (s['WRITING'] ?? 0) > 0) break;
        await new Promise((r) => setTimeout(r, 5));
      }
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      atKill = await states('crash');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      wb.sandbox.stripe.faults.reset();
    }
    expect(stderr).toBe('');
    // Killed mid-batch: some rows were claimed and not finished.
    expect(atKill['WRITING'] ?? 0).toBeGreaterThan(0);
    expect(atKill['DONE'] ?? 0).toBeLessThan(300);

    const loop = wb.loop({ workerId: 'successor' });
    for (let i = 0; i < 200 && (await states('crash'))['DONE'] !== 300; i++) {
      await loop.runOnce();
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await states('crash')).toEqual({ DONE: 300 });
    const updates = updatesPerCustomer(since);
    expect(customers.filter((c) => updates.get(c) !== 1)).toEqual([]);
  }, 120_000);
});

describe('a live loop working a slow batch', () => {
  it('keeps its claims past their lease, so a second loop never takes a row it is still writing', async () => {
    const { customers } = await rowsFor(8, 'slow');
    const since = wb.sandbox.stripe.requests.lastSeq;
    // Each row takes two Stripe calls of 250 ms, one row at a time: the batch (about 4 s) outlasts
    // the 1 s lease several times over. (A shorter lease makes the test depend on the renewal
    // query answering within a few hundred ms on a loaded machine.)
    wb.sandbox.stripe.faults.set({ latencyMs: 250 });
    try {
      const first = wb.loop({ workerId: 'slow-first', leaseMs: 1000, batchSize: 8, concurrency: 1 });
      const second = wb.loop({ workerId: 'slow-second', leaseMs: 1000 });
      const firstRound = first.runOnce();
      // The second loop starts once the first holds the batch (both claiming at once would only
      // share the rows out, which is not what this test is about).
      for (let i = 0; i < 400 && (await states('slow'))['WRITING'] !== 8; i++) await new Promise((r) => setTimeout(r, 5));
      let stolen = 0;
      let done = false;
      void firstRound.finally(() => (done = true));
      while (!done) {
        stolen += (await second.runOnce()).claimed;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect((await firstRound).done).toBe(8);
      expect(stolen).toBe(0);
    } finally {
      wb.sandbox.stripe.faults.reset();
    }
    expect(await states('slow')).toEqual({ DONE: 8 });
    const updates = updatesPerCustomer(since);
    expect(customers.map((c) => updates.get(c))).toEqual(customers.map(() => 1));
  }, 60_000);
});

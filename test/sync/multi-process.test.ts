// Two-way sync as a deployment runs it (issue #10's acceptance): two `meridian serve` gateways
// (MERIDIAN_WORKER=off) and two `meridian worker` processes on one Postgres database and one
// Redis, against the sandbox's systems (in this process, so the test reads their request logs).
// Stripe notifies gateway A, Salesforce and Zendesk gateway B; the workers also poll every
// system's change feed every second. Writes are counted at the emulators.
// - A subscription on gateway A follows an updateCustomer sent through gateway B, written by a
//   worker process: QUEUED → WRITING → DONE, one write per system.
// - The loop test: one change in Stripe, one write to Salesforce, none elsewhere, then 10 s in
//   which no system is written and nothing is received or queued (the polls would show an echo).
// - A worker killed with SIGKILL in the middle of 50 changes, a new worker started: every change
//   written to Salesforce exactly once, none lost, no dead letter.
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type Stripe from 'stripe';
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.ts';
import { webhookTargets } from '../../src/sandbox/gateway.ts';
import { readSystemSettings } from '../../src/config/systems.ts';
import { createStripeClient } from '../../src/sources/stripe/client.ts';
import { mapWithConcurrency } from '../../src/sources/concurrency.ts';
import { createRedisPubSub, type PubSub } from '../../src/pubsub/index.ts';
import { SYNC_CHANGE, SYNC_CHANGE_FAILED } from '../../src/sync/queue.ts';
import { SYNC_STATUS_CHANNEL } from '../../src/sync/status.ts';
import type { RequestRecord } from '../../src/sandbox/kit/requests.ts';
import { cleanEnv, runCli, startCli, type CliProcess } from '../support/cli.ts';
import { createTestDatabase } from '../support/postgres.ts';
import { gqlAt, TEST_API_KEYS_ENV } from '../support/app.ts';
import { nextWithin, subscribe, whenListening } from '../support/subscriptions.ts';

const serverUrl = process.env['DATABASE_URL'];
const redisUrl = process.env['REDIS_URL'];
if (!serverUrl || !redisUrl) console.warn('test/sync/multi-process.test.ts skipped: it needs DATABASE_URL and REDIS_URL (gateways and workers in separate processes share only those)');

const GATEWAY_READY = /Ctrl-C stops it\./;
const WORKER_READY = /meridian worker: running sync\.change jobs/;
/** Requests with a write method that only read (a token, a retrieve of many ids by POST). */
const READS_BY_POST = new Set(['oauth.token', 'composite.retrieve']);
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

interface Gateway extends CliProcess {
  url: string;
}

describe.skipIf(!serverUrl || !redisUrl)('two gateways and two meridian workers as processes on one Postgres and Redis', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
  let db: pg.Pool;
  let sandbox: Sandbox;
  let env: NodeJS.ProcessEnv;
  let stripe: Stripe;
  let pubsub: PubSub;
  let a: Gateway;
  let b: Gateway;
  const workers: CliProcess[] = [];
  const processes = new Set<CliProcess>();
  /** Every child started, ready or not, until it exits. */
  const running = new Set<ChildProcessWithoutNullStreams>();
  const clients: Client[] = [];
  /** Customers with one Stripe customer and one Salesforce account, each test taking its own. */
  let pairs: { golden: string; stripe: string; salesforce: string }[];

  const gateway = async (name: string): Promise<Gateway> => {
    const p = await startCli(['serve'], { ...env, PORT: '0', MERIDIAN_WORKER: 'off' }, GATEWAY_READY, running);
    processes.add(p);
    const url = /GraphQL\s+(http:\/\/\S+)\/graphql/.exec(p.output())?.[1];
    if (!url) throw new Error(`gateway ${name} printed no URL:\n${p.output()}`);
    return { ...p, url };
  };
  const worker = async (): Promise<CliProcess> => {
    const p = await startCli(['worker'], { ...env, MERIDIAN_POLL_SECONDS: '1' }, WORKER_READY, running);
    processes.add(p);
    workers.push(p);
    return p;
  };
  const outputs = (): string => [...processes].map((p) => `--- pid ${p.child.pid}\n${p.output().slice(-4000)}`).join('\n');

  beforeAll(async () => {
    database = await createTestDatabase(serverUrl!, 'wt_multiproc');
    const dbUrl = database.url;
    db = new pg.Pool({ connectionString: dbUrl, max: 2 });
    sandbox = await startSandbox({ customers: 100, seed: 23, databaseUrl: dbUrl, erpSchema: 'erp' });
    env = cleanEnv({ ...sandbox.env(), DATABASE_URL: dbUrl, REDIS_URL: redisUrl!, MERIDIAN_API_KEYS: TEST_API_KEYS_ENV, MERIDIAN_LOG_FORMAT: 'json' });
    stripe = createStripeClient(readSystemSettings(sandbox.env()).stripe!, { maxNetworkRetries: 0 });
    pubsub = await createRedisPubSub({ url: redisUrl! });

    // As an operator starts a deployment: the processes, and the backfill that links what the
    // systems hold (beside them: each process migrates the store under the same lock first).
    const backfill = runCli(['backfill'], env);
    [a, b] = (await Promise.all([gateway('A'), gateway('B'), worker(), worker()])) as [Gateway, Gateway, ...unknown[]];
    const linked = await backfill;
    expect(linked.code, linked.stderr).toBe(0);
    const atA = webhookTargets(new URL(a.url));
    const atB = webhookTargets(new URL(b.url));
    sandbox.stripe.notifier!.setTarget(atA.stripe!);
    sandbox.salesforce.notifier!.setTarget(atB.salesforce!);
    sandbox.zendesk.notifier!.setTarget(atB.zendesk!);

    const r = await db.query<{ golden: string; stripe: string; salesforce: string }>(
      `SELECT golden_id AS golden, min(external_id) FILTER (WHERE system = 'stripe') AS stripe, min(external_id) FILTER (WHERE system = 'salesforce') AS salesforce
         FROM meridian.identity_links WHERE record_type IN ('Account', 'customer') GROUP BY golden_id
        HAVING count(*) FILTER (WHERE system = 'stripe') = 1 AND count(*) FILTER (WHERE system = 'salesforce') = 1 ORDER BY golden_id`,
    );
    pairs = r.rows.slice(0, 52);
    expect(pairs).toHaveLength(52);
  }, 120_000);

  afterAll(async () => {
    for (const c of clients) await c.dispose();
    const exits = [...running].map((child) => new Promise((resolve) => child.once('close', resolve)));
    for (const child of running) child.kill('SIGKILL');
    await Promise.all(exits);
    await pubsub?.close();
    await sandbox?.close();
    await db?.end();
    await database?.drop();
  }, 60_000);

  const seqs = (): { salesforce: number; stripe: number; zendesk: number } => ({
    salesforce: sandbox.salesforce.requests.lastSeq, stripe: sandbox.stripe.requests.lastSeq, zendesk: sandbox.zendesk.requests.lastSeq,
  });
  /** Every request with a write method that each system answered with success since `since`, reads by POST aside. */
  const writesSince = (since: ReturnType<typeof seqs>): { salesforce: string[]; stripe: string[]; zendesk: string[] } => {
    const writes = (log: { list(f: { sinceSeq: number }): RequestRecord[] }, seq: number): string[] =>
      log.list({ sinceSeq: seq }).filter((r) => WRITE_METHODS.has(r.method) && !READS_BY_POST.has(r.operation) && r.status < 300).map((r) => `${r.operation} ${r.path}`);
    return { salesforce: writes(sandbox.salesforce.requests, since.salesforce), stripe: writes(sandbox.stripe.requests, since.stripe), zendesk: writes(sandbox.zendesk.requests, since.zendesk) };
  };
  const count = async (sql: string, values: unknown[] = []): Promise<number> => Number((await db.query<{ n: string }>(sql, values)).rows[0]!.n);
  const pendingJobs = (): Promise<number> => count(`SELECT count(*) AS n FROM meridian_queue.job WHERE name = $1 AND state IN ('created', 'retry', 'active')`, [SYNC_CHANGE]);
  const eventually = async (ok: () => Promise<boolean> | boolean, what: string, ms = 30_000): Promise<void> => {
    const until = Date.now() + ms;
    while (!(await ok())) {
      if (Date.now() > until) throw new Error(`${what}: not within ${ms} ms\n${outputs()}`);
      await sleep(100);
    }
  };
  /**
   * Settled: no notification on its way, no change job waiting or running, no write queued or
   * being written, and no change queued for the last 2.5 s (longer than the workers' polls).
   */
  const settled = (): Promise<void> =>
    eventually(async () => {
      const notifying = (sandbox.salesforce.notifier?.pending ?? 0) + (sandbox.stripe.notifier?.pending ?? 0) + (sandbox.zendesk.notifier?.pending ?? 0);
      if (notifying > 0 || (await pendingJobs()) > 0) return false;
      if ((await count(`SELECT count(*) AS n FROM meridian.sync_outbox WHERE state IN ('QUEUED', 'WRITING')`)) > 0) return false;
      return (await count(`SELECT count(*) AS n FROM meridian_queue.job WHERE name = $1 AND created_on > now() - interval '2.5 seconds'`, [SYNC_CHANGE])) === 0;
    }, 'the pipeline settles');

  it('a subscription on gateway A sees QUEUED → WRITING → DONE of an updateCustomer sent through gateway B, each system written once by a worker process', async () => {
    const c = pairs[0]!;
    const s = subscribe(a.url, 'agent', 'subscription($id: ID!) { syncStatus(customerId: $id) { system recordId outboxId state error } }', { id: c.golden });
    clients.push(s.client);
    const probe = { customerId: c.golden, system: 'salesforce', recordId: 'probe', outboxId: 'probe', state: 'QUEUED', fields: ['phone'], error: null, at: new Date().toISOString() };
    await whenListening(s.results, () => pubsub.publish(SYNC_STATUS_CHANNEL, probe));
    const since = seqs();

    const r = await gqlAt<{ updateCustomer: { jobs: { system: string; recordId: string; outboxId: string }[] } }>(
      b.url,
      'mutation($id: ID!, $key: String!) { updateCustomer(id: $id, idempotencyKey: $key, input: { phone: "+1 415 555 0177" }) { jobs { system recordId outboxId } } }',
      { id: c.golden, key: 'multi-process-1' },
    );
    expect(r.errors).toEqual([]);
    const jobs = r.data!.updateCustomer.jobs;
    expect(jobs.map((j) => [j.system, j.recordId]).sort()).toEqual([['SALESFORCE', c.salesforce], ['STRIPE', c.stripe]]);

    const seen = new Map<string, string[]>(jobs.map((j) => [j.outboxId, []]));
    const finished = (): boolean => [...seen.values()].every((states) => states.includes('DONE') || states.includes('FAILED'));
    while (!finished()) {
      const e = (await nextWithin(s.results, 20_000)).data!['syncStatus'] as { outboxId: string; state: string; error: string | null };
      seen.get(e.outboxId)?.push(e.error ? `${e.state}: ${e.error}` : e.state);
    }
    for (const j of jobs) expect(seen.get(j.outboxId), j.system).toEqual(['QUEUED', 'WRITING', 'DONE']);

    // Written by the worker processes (their claims name their pids), once per system, and the
    // writes' echoes (Salesforce's notification to B, the polls) write nothing more.
    const claims = await db.query<{ claimed_by: string }>(`SELECT claimed_by FROM meridian.sync_outbox WHERE id = ANY($1::bigint[])`, [jobs.map((j) => j.outboxId)]);
    const pids = workers.map((w) => String(w.child.pid));
    for (const row of claims.rows) expect(pids).toContain(row.claimed_by.split(':')[1]);
    await settled();
    const writes = writesSince(since);
    expect(writes.salesforce).toHaveLength(1);
    expect(writes.salesforce[0]).toMatch(new RegExp(`^sobject\\.update /services/data/[^ ]+/sobjects/Account/${c.salesforce}$`));
    expect(writes.stripe).toEqual([`customers.update /v1/customers/${c.stripe}`]);
    expect(writes.zendesk).toEqual([]);
    expect((sandbox.salesforce.store.get('Account', c.salesforce) as { Phone?: string }).Phone).toBe('+14155550177');
  }, 60_000);

  it('after one change in Stripe, Salesforce gets one write and no other system any, then 10 s pass with no write, no notification and no change queued, the feeds polled every second', async () => {
    const c = pairs[1]!;
    // First the customer's systems agree: what they disagreed on before Meridian came (a Stripe
    // customer without the address Salesforce has) is written now, so that what follows is the
    // change's own writes.
    expect((await gqlAt(b.url, 'mutation($id: ID!) { syncCustomer(id: $id) { customerId } }', { id: c.golden })).errors).toEqual([]);
    await settled();
    const before = seqs();
    await stripe.customers.update(c.stripe, { phone: '+1 415-555-0163' });
    // Any write of Meridian's to Stripe would come after the person's own request.
    const since = { ...before, stripe: sandbox.stripe.requests.lastSeq };
    await eventually(() => writesSince(since).salesforce.length > 0, 'the change is written to Salesforce');
    // The write's echoes (Salesforce notifies gateway B; the next polls read the account changed) are worked.
    await settled();

    const quiet = seqs();
    const from = (await db.query<{ t: Date }>('SELECT now() AS t')).rows[0]!.t;
    await sleep(10_000);
    expect(writesSince(quiet)).toEqual({ salesforce: [], stripe: [], zendesk: [] });
    expect(await count(`SELECT count(*) AS n FROM meridian_queue.job WHERE name = $1 AND created_on > $2`, [SYNC_CHANGE, from])).toBe(0);
    expect(await count(`SELECT count(*) AS n FROM meridian.sync_inbox WHERE received_at > $1`, [from])).toBe(0);
    expect(await count(`SELECT count(*) AS n FROM meridian.sync_outbox WHERE created_at > $1`, [from])).toBe(0);
    // The workers did look: every second, at each system's feed.
    expect(sandbox.stripe.requests.count({ operation: 'events.list', sinceSeq: quiet.stripe })).toBeGreaterThanOrEqual(8);
    expect(sandbox.salesforce.requests.count({ operation: 'query', sinceSeq: quiet.salesforce })).toBeGreaterThanOrEqual(8);

    const all = writesSince(since);
    expect(all.salesforce).toHaveLength(1);
    expect(all.salesforce[0]).toContain(c.salesforce);
    expect(all.stripe).toEqual([]);
    expect(all.zendesk).toEqual([]);
    expect((sandbox.salesforce.store.get('Account', c.salesforce) as { Phone?: string }).Phone).toBe('+14155550163');
  }, 60_000);

  it('a worker killed with SIGKILL in the middle of 50 changes, and a new one started: each change written to Salesforce exactly once, none lost, no dead letter', async () => {
    // One worker left, so the one killed holds work that only its successor can take over.
    const second = workers[1]!;
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    const victim = workers[0]!;
    const batch = pairs.slice(2, 52);
    const phones = new Map(batch.map((c, i) => [c.salesforce, `+1415555${String(1000 + i)}`]));
    const since = seqs();
    const from = (await db.query<{ t: Date }>('SELECT now() AS t')).rows[0]!.t;
    // Each Salesforce call takes a while, so the kill lands while changes are being worked.
    sandbox.salesforce.faults.set({ latencyMs: 40 });
    try {
      await mapWithConcurrency(batch, 8, (c) => stripe.customers.update(c.stripe, { phone: phones.get(c.salesforce)! }));
      const sfWrites = (): RequestRecord[] => sandbox.salesforce.requests.list({ operation: 'sobject.update', sinceSeq: since.salesforce }).filter((r) => r.status < 300);
      const inFlight = async (): Promise<{ jobs: string[]; writing: number }> => ({
        jobs: (await db.query<{ id: string }>(`SELECT id FROM meridian_queue.job WHERE name = $1 AND state = 'active'`, [SYNC_CHANGE])).rows.map((r) => r.id),
        writing: await count(`SELECT count(*) AS n FROM meridian.sync_outbox WHERE state = 'WRITING'`),
      });
      await eventually(async () => {
        if (sfWrites().length < 10) return false;
        const f = await inFlight();
        return f.jobs.length + f.writing > 0;
      }, 'the worker is writing the batch');
      victim.child.kill('SIGKILL');
      expect(await victim.exited).toBe('SIGKILL');
      const atKill = await inFlight();
      const writtenAtKill = sfWrites().length;
      // Killed mid-batch: changes taken and not finished, and writes still to make.
      expect(atKill.jobs.length + atKill.writing).toBeGreaterThan(0);
      expect(writtenAtKill).toBeLessThan(50);

      await worker();
      const held = (id: string): string | null => (sandbox.salesforce.store.get('Account', id) as { Phone?: string | null }).Phone ?? null;
      await eventually(() => batch.every((c) => held(c.salesforce) === phones.get(c.salesforce)), 'every change reaches Salesforce', 60_000);
      await settled();

      const perAccount = new Map<string, number>();
      for (const r of sfWrites()) {
        const id = r.path.split('/').at(-1)!;
        perAccount.set(id, (perAccount.get(id) ?? 0) + 1);
      }
      expect(Object.fromEntries(perAccount)).toEqual(Object.fromEntries(batch.map((c) => [c.salesforce, 1])));
      // Nothing went back to Stripe: each customer keeps the phone the person gave it, and no
      // write Meridian decided for Stripe carries a phone (a first decision may fill in an
      // address Stripe lacked). Zendesk is not written.
      const atStripe = await mapWithConcurrency(batch, 8, async (c) => ((await stripe.customers.retrieve(c.stripe)) as Stripe.Customer).phone);
      expect(atStripe).toEqual(batch.map((c) => phones.get(c.salesforce)));
      expect(await count(`SELECT count(*) AS n FROM meridian.sync_outbox WHERE system = 'stripe' AND 'phone' = ANY(fields) AND created_at > $1`, [from])).toBe(0);
      expect(writesSince(since).zendesk).toEqual([]);
      // The jobs the dead worker held were taken over and done, not dropped or failed.
      const jobs = await db.query<{ state: string }>(`SELECT state FROM meridian_queue.job WHERE id = ANY($1::uuid[])`, [atKill.jobs]);
      expect(jobs.rows.map((j) => j.state)).toEqual(atKill.jobs.map(() => 'completed'));
      expect(await count(`SELECT count(*) AS n FROM meridian_queue.job WHERE name = $1`, [SYNC_CHANGE_FAILED])).toBe(0);
      expect(await count(`SELECT count(*) AS n FROM meridian.sync_dead_letters`)).toBe(0);
      // Every outbox row done, and every account's change done. The per-account count above is
      // the proof of "written once"; the outcomes say who saw the write:
      // - A change whose job the dead worker had decided (and committed) but not completed is
      //   decided again by its successor. When that second row comes after the first was written,
      //   it finds the value there and is done without a write ('already there').
      // - A row the dead worker was writing when killed (WRITING at the kill) may have reached
      //   Salesforce without its outcome being recorded. Its successor re-reads, finds the value
      //   there and closes it 'already there'.
      const states = await db.query<{ record_id: string; state: string; outcome: string }>(
        `SELECT record_id, state, outcome FROM meridian.sync_outbox WHERE record_id = ANY($1) AND created_at > $2`,
        [batch.map((c) => c.salesforce), from],
      );
      const byOutcome: Record<string, number> = {};
      for (const r of states.rows) byOutcome[`${r.state} ${r.outcome}`] = (byOutcome[`${r.state} ${r.outcome}`] ?? 0) + 1;
      expect(Object.keys(byOutcome).filter((k) => k !== 'DONE written' && k !== 'DONE already there')).toEqual([]);
      expect(new Set(states.rows.map((r) => r.record_id))).toEqual(new Set(batch.map((c) => c.salesforce)));
      expect(byOutcome['DONE written']).toBeLessThanOrEqual(50);
      expect(byOutcome['DONE written']).toBeGreaterThanOrEqual(50 - atKill.writing);
    } finally {
      sandbox.salesforce.faults.reset();
    }
  }, 90_000);
});

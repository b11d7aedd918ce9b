// Capture, durably (issue #10, part 2), on the whole gateway over the sandbox: a webhook is
// stored and queued in one transaction and acknowledged (a failure between the two leaves
// neither); duplicate deliveries make one job; the worker refreshes the customer's golden record
// and tells writeback and subscribers; with webhooks off, polling alone carries a change made at
// an emulator; a poller's cursor outlives its process. Real Postgres and Redis when CI sets
// DATABASE_URL and REDIS_URL (the embedded default otherwise); calls counted at the emulators.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type Stripe from 'stripe';
import { drainSync, silenceNotifications, startTestApp, type TestApp } from '../support/app.ts';
import { readSystemSettings } from '../../src/config/systems.ts';
import { createStripeClient } from '../../src/sources/stripe/client.ts';
import { connectSalesforce } from '../support/salesforce.ts';
import { createWebhookInbox } from '../../src/sync/inbox.ts';
import { createPollLoop } from '../../src/sync/poll.ts';
import { erpFeeds } from '../../src/sources/erp/feed.ts';
import { stripeEventsFeed } from '../../src/sources/stripe/feed.ts';
import { CUSTOMER_CHANGED } from '../../src/sync/change.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { readCaptureStats } from '../../src/sync/stats.ts';
import { SYNC_CHANGE, changeKey } from '../../src/sync/queue.ts';

interface Cust {
  id: string;
  phone: string | null;
  accountingStatus: string | null;
  sources: { system: string; externalId: string }[];
}
const FIELDS = 'id phone accountingStatus sources { system externalId }';

describe('capture: webhooks stored and queued, worked by the worker', () => {
  let app: TestApp;
  let stripe: Stripe;
  const changed: { goldenId: string; reason: string }[] = [];

  beforeAll(async () => {
    app = await startTestApp({
      customers: 60,
      seed: 5,
      // Only what a test asks for is polled.
      env: { MERIDIAN_POLL_SECONDS: '0' },
      app: { onCustomerChanged: (goldenId, { reason }) => (changed.push({ goldenId, reason }), Promise.resolve()) },
    });
    stripe = createStripeClient(readSystemSettings(app.sandbox!.env()).stripe!, { maxNetworkRetries: 0 });
    await drainSync(app);
  });
  afterAll(async () => {
    await app?.close();
  });

  const secret = (): string => app.sandbox!.env()['STRIPE_WEBHOOK_SECRET']!;
  const stripeEvent = (id: string, customer: string): { body: string; headers: Record<string, string> } => {
    const body = JSON.stringify({ id, object: 'event', type: 'customer.updated', api_version: '2026-10-28.endive', created: Math.floor(Date.now() / 1000), data: { object: { id: customer, object: 'customer' } } });
    return { body, headers: { 'content-type': 'application/json', 'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload: body, secret: secret() }) } };
  };
  const jobsFor = async (eventId: string): Promise<{ state: string; data: { reason: string } }[]> =>
    (await app.store.query<{ state: string; data: { reason: string } }>(`SELECT state::text, data FROM ${app.sync.queue.schema}.job WHERE name = 'sync.change' AND data->>'eventId' = $1`, [eventId])).rows;
  const inboxRows = async (eventId: string): Promise<number> => (await app.store.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${app.store.table('sync_inbox')} WHERE event_id = $1`, [eventId])).rows[0]!.n;
  const customerOf = async (system: string, externalId: string): Promise<Cust> => {
    const r = await app.gql<{ customerBySource: Cust }>(`query($s: System!, $id: ID!) { customerBySource(system: $s, externalId: $id) { ${FIELDS} } }`, { s: system, id: externalId });
    expect(r.errors).toEqual([]);
    return r.data!.customerBySource;
  };

  it('stores the event and its job in one transaction: a failure after both writes leaves neither, and the re-sent event is then taken', async () => {
    const customer = app.sandbox!.world.stripe.customers[0]!.id;
    const queue = app.sync.queue;
    // The process "dies" after the inbox row and the job were written, before the commit.
    const dying = createWebhookInbox(app.store, {
      enqueueMany: async (changes, options) => {
        await queue.enqueueMany(changes, options);
        throw new Error('killed before commit');
      },
      wake: () => undefined,
    });
    await expect(dying.accept('stripe', [{ eventId: 'evt_torn_1', notices: [{ system: 'stripe', level: 'account', id: customer, event: 'customer.updated', identity: true }], raw: null }])).rejects.toThrow('killed before commit');
    expect(await inboxRows('evt_torn_1')).toBe(0);
    expect(await jobsFor('evt_torn_1')).toEqual([]);
    // Not stored, so the sender's retry is a new event, not a duplicate.
    const { body, headers } = stripeEvent('evt_torn_1', customer);
    const answer = await fetch(`${app.url}/webhooks/stripe`, { method: 'POST', headers, body });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ received: true, queued: 1 });
    expect(await inboxRows('evt_torn_1')).toBe(1);
    await drainSync(app);
    expect((await jobsFor('evt_torn_1')).map((j) => j.state)).toEqual(['completed']);
  });

  it('acknowledges before any system is read, and makes one job of 20 concurrent deliveries of one event', async () => {
    const customer = app.sandbox!.world.stripe.customers[1]!.id;
    const { body, headers } = stripeEvent('evt_dup_20', customer);
    const since = app.sandbox!.stripe.requests.lastSeq;
    const answers = await Promise.all(Array.from({ length: 20 }, () => fetch(`${app.url}/webhooks/stripe`, { method: 'POST', headers, body })));
    const bodies = (await Promise.all(answers.map((a) => a.json()))) as Record<string, unknown>[];
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(bodies.filter((b) => b['queued'] === 1)).toHaveLength(1);
    expect(await inboxRows('evt_dup_20')).toBe(1);
    expect(await jobsFor('evt_dup_20')).toHaveLength(1);
    await drainSync(app);
    // One job, one read of the customer.
    expect(app.sandbox!.stripe.requests.count({ sinceSeq: since, operation: 'customers.retrieve' }) + app.sandbox!.stripe.requests.count({ sinceSeq: since, operation: 'customers.list' })).toBeGreaterThan(0);
    const processed = app.sandbox!.stripe.requests.count({ sinceSeq: since });
    await fetch(`${app.url}/webhooks/stripe`, { method: 'POST', headers, body });
    await drainSync(app);
    expect(app.sandbox!.stripe.requests.count({ sinceSeq: since })).toBe(processed);
    const processedAt = await app.store.query<{ processed: boolean }>(`SELECT processed_at IS NOT NULL AS processed FROM ${app.store.table('sync_inbox')} WHERE event_id = 'evt_dup_20'`);
    expect(processedAt.rows).toEqual([{ processed: true }]);
  });

  it("refreshes the customer's golden record once the worker ran the job, and tells writeback and subscribers", async () => {
    // A customer only Stripe knows: its golden phone is Stripe's.
    const customer = (await stripe.customers.create({ name: 'Capture Cartography Co', email: 'ap@capture-cartography.example', phone: '+1 415 555 0141' })).id;
    await app.sandbox!.stripe.notifier!.idle();
    await drainSync(app);
    const before = await customerOf('STRIPE', customer);
    const messages: unknown[] = [];
    // Subscribers hear of it on customer.changed (the app's own pub/sub: Redis or memory).
    const iterator = app.pubsub.asyncIterator([CUSTOMER_CHANGED]);
    await iterator.ready();
    const reading = (async () => {
      for await (const m of iterator) {
        messages.push(m);
        if ((m as { customerId?: string }).customerId === before.id) break;
      }
    })();
    // Cached now.
    expect((await app.services.cache.get([before.id]))[0]).not.toBeNull();
    const phone = '+1 415 555 0142';
    await stripe.customers.update(customer, { phone });
    await app.sandbox!.stripe.notifier!.idle();
    await drainSync(app);
    await reading;
    expect(messages).toContainEqual({ customerId: before.id, at: expect.any(String) as unknown });
    expect(changed).toContainEqual({ goldenId: before.id, reason: 'webhook' });
    const after = await customerOf('STRIPE', customer);
    expect(after.id).toBe(before.id);
    expect(after.phone).toBe('+14155550142');
    expect(before.phone).not.toBe(after.phone);
  });
  it('reports per system what waits in the queue and since when (the lag syncOverview shows)', async () => {
    const change = { system: 'zendesk' as const, type: 'account' as const, id: '999999', reason: 'manual' as const };
    // Held back for a minute, so it waits while we look.
    const id = await app.sync.queue.boss.send(SYNC_CHANGE, change, { singletonKey: changeKey(change), startAfter: 60 });
    try {
      const stats = await readCaptureStats(app.store, app.sync.queue, ['stripe', 'zendesk']);
      const zendesk = stats.find((s) => s.system === 'zendesk')!;
      expect(zendesk.queued).toBe(1);
      expect(zendesk.oldestQueuedAt).toBeInstanceOf(Date);
      expect(stats.find((s) => s.system === 'stripe')).toMatchObject({ queued: 0, oldestQueuedAt: null, failed: 0 });
    } finally {
      await app.sync.queue.boss.deleteJob(SYNC_CHANGE, id!);
    }
  });
});

describe('capture without webhooks: polling alone', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({ customers: 40, seed: 8, env: { MERIDIAN_POLL_SECONDS: '1' } });
    // Webhooks off: the sandbox's systems notify nobody.
    silenceNotifications(app);
    await drainSync(app);
  });
  afterAll(async () => {
    await app?.close();
  });

  const inbox = async (): Promise<number> => (await app.store.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${app.store.table('sync_inbox')}`)).rows[0]!.n;
  const query = async (system: string, id: string): Promise<{ phone: string | null; accountingStatus: string | null }> => {
    const r = await app.gql<{ customerBySource: { phone: string | null; accountingStatus: string | null } }>(`query($s: System!, $id: ID!) { customerBySource(system: $s, externalId: $id) { phone accountingStatus } }`, { s: system, id });
    if (!r.data?.customerBySource) throw new Error(JSON.stringify(r.errors));
    return r.data.customerBySource;
  };
  const eventually = async <T>(read: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> => {
    const until = Date.now() + ms;
    for (;;) {
      const v = await read();
      if (ok(v) || Date.now() > until) return v;
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  it('picks up a Stripe change, a Salesforce change and an ERP change from their change feeds, with no webhook received', async () => {
    const stripe = createStripeClient(readSystemSettings(app.sandbox!.env()).stripe!, { maxNetworkRetries: 0 });
    const sfConn = await connectSalesforce(readSystemSettings(app.sandbox!.env()).salesforce!);
    // Created with webhooks off: the events feed brings it in, and the worker links it.
    const stripeId = (await stripe.customers.create({ name: 'Polling Pelican Freight', email: 'ap@polling-pelican.example', phone: '+1 415 555 0176' })).id;
    const linkOf = async (): Promise<string | null> => (await app.services.identity.goldenIdsFor([{ system: 'stripe', externalId: stripeId }]))[0] ?? null;
    expect(await eventually(linkOf, (g) => g !== null)).not.toBeNull();
    const linkedBy = await app.store.query<{ actor: string }>(`SELECT actor FROM ${app.store.table('identity_events')} WHERE external_id = $1 AND kind IN ('linked', 'customer_created')`, [stripeId]);
    expect(linkedBy.rows.map((r) => r.actor)).toContain('sync:poll:stripe');
    expect((await query('STRIPE', stripeId)).phone).toBe('+14155550176');
    const sfId = app.sandbox!.world.salesforce.accounts[4]!.Id;
    const erpRow = app.sandbox!.world.erp.customers[5]!;
    // Read once: cached.
    await query('STRIPE', stripeId);
    await query('SALESFORCE', sfId);
    const erpBefore = await query('ERP', erpRow.customer_number);
    const status = erpBefore.accountingStatus === 'ON_HOLD' ? 'collections' : 'on_hold';

    await stripe.customers.update(stripeId, { phone: '+1 415 555 0177' });
    await sfConn.sobject('Account').update({ Id: sfId, Phone: '+1 415 555 0178' });
    const erp = app.sandbox!.erp;
    await erp.pool.query(`UPDATE "${erp.schema}".customers SET accounting_status = $2, updated_at = now() WHERE customer_number = $1`, [erpRow.customer_number, status]);

    expect((await eventually(() => query('STRIPE', stripeId), (c) => c.phone === '+14155550177')).phone).toBe('+14155550177');
    expect((await eventually(() => query('SALESFORCE', sfId), (c) => c.phone === '+14155550178')).phone).toBe('+14155550178');
    expect((await eventually(() => query('ERP', erpRow.customer_number), (c) => c.accountingStatus === status.toUpperCase())).accountingStatus).toBe(status.toUpperCase());
    expect(await inbox()).toBe(0);
    const polled = await app.store.query<{ system: string }>(`SELECT DISTINCT data->>'system' AS system FROM ${app.sync.queue.schema}.job WHERE name = 'sync.change' AND data->>'reason' = 'poll' ORDER BY 1`);
    expect(polled.rows.map((r) => r.system)).toEqual(expect.arrayContaining(['erp', 'salesforce', 'stripe']));
  });

  it('keeps each feed position in Postgres: a poller started after a restart reads only what changed since', async () => {
    const logger = createLogger({ quiet: true });
    const stripe = createStripeClient(readSystemSettings(app.sandbox!.env()).stripe!, { maxNetworkRetries: 0 });
    const erp = app.sandbox!.erp;
    // Feeds of their own (other names), so the app's running poller does not move them.
    const feeds = () => [
      { ...stripeEventsFeed(stripe), name: 'restart-test-events' },
      ...erpFeeds(erp.pool, erp.schema).filter((f) => f.name === 'customers').map((f) => ({ ...f, name: 'restart-test-customers' })),
    ];
    const queued: string[][] = [];
    const queue = {
      enqueueMany: (changes: readonly { system: string; id: string }[]) => (queued.push(changes.map((c) => `${c.system}:${c.id}`)), Promise.resolve(changes.length)),
      wake: () => undefined,
    };
    const first = createPollLoop({ store: app.store, queue, feeds: feeds(), intervalMs: {}, logger });
    await first.start();
    await first.pollOnce();
    await first.stop();
    const positions = await app.store.query<{ feed: string; position: string }>(`SELECT feed, position FROM ${app.store.table('sync_cursors')} WHERE feed LIKE 'restart-test-%' ORDER BY feed`);
    expect(positions.rows).toHaveLength(2);

    // Changes while no poller runs.
    const stripeId = app.sandbox!.world.stripe.customers[6]!.id;
    const erpRow = app.sandbox!.world.erp.customers[7]!;
    await stripe.customers.update(stripeId, { phone: '+1 415 555 0190' });
    await erp.pool.query(`UPDATE "${erp.schema}".customers SET phone = '+1 415 555 0191', updated_at = now() WHERE customer_number = $1`, [erpRow.customer_number]);
    await new Promise((r) => setTimeout(r, 1_100)); // the ERP feed reads rows once they are a second old

    queued.length = 0;
    const second = createPollLoop({ store: app.store, queue, feeds: feeds(), intervalMs: {}, logger });
    await second.start();
    await second.pollOnce();
    await second.stop();
    // Exactly what changed since the stored positions: not everything, not nothing.
    expect(queued.flat().sort()).toEqual([`erp:${erpRow.customer_number}`, `stripe:${stripeId}`]);
    const moved = await app.store.query<{ feed: string; position: string }>(`SELECT feed, position FROM ${app.store.table('sync_cursors')} WHERE feed LIKE 'restart-test-%' ORDER BY feed`);
    expect(moved.rows.map((r) => r.position)).not.toEqual(positions.rows.map((r) => r.position));
  });

  it("shows a feed that cannot be read in syncOverview's lastError for its system, until a read works", async () => {
    const logger = createLogger({ quiet: true });
    const queue = { enqueueMany: (changes: readonly unknown[]) => Promise.resolve(changes.length), wake: () => undefined };
    let broken = true;
    const feed = {
      system: 'zendesk' as const,
      name: 'overview-test',
      initial: () => Promise.resolve('p0'),
      read: (position: string) => (broken ? Promise.reject(new Error('Zendesk answered 503 to the organizations incremental export')) : Promise.resolve({ changes: [], position: `${position}+`, more: false })),
    };
    const lastError = async (): Promise<{ message: string } | null> => {
      const r = await app.gql<{ syncOverview: { systems: { system: string; lastError: { message: string } | null }[] } }>('{ syncOverview { systems { system lastError { message } } } }');
      return r.data!.syncOverview.systems.find((s) => s.system === 'ZENDESK')!.lastError;
    };
    const loop = createPollLoop({ store: app.store, queue, feeds: [feed], intervalMs: {}, logger });
    await loop.start();
    await expect(loop.pollOnce()).rejects.toThrow(/503/);
    expect((await lastError())?.message).toBe('change feed overview-test not read: Zendesk answered 503 to the organizations incremental export');
    broken = false;
    await loop.pollOnce();
    expect((await lastError())?.message ?? '').not.toMatch(/overview-test/);
    await loop.stop();
  });

  it('reads on when Stripe no longer has the event its position names (events are kept 30 days; the sandbox keeps them while it runs)', async () => {
    const logger = createLogger({ quiet: true });
    const stripe = createStripeClient(readSystemSettings(app.sandbox!.env()).stripe!, { maxNetworkRetries: 0 });
    const queued: string[] = [];
    const queue = {
      enqueueMany: (changes: readonly { system: string; id: string }[]) => (queued.push(...changes.map((c) => `${c.system}:${c.id}`)), Promise.resolve(changes.length)),
      wake: () => undefined,
    };
    const t = app.store.table('sync_cursors');
    const anHourAgo = Math.floor(Date.now() / 1000) - 3600;
    // A position with the event's time, and one from before the time was kept (a bare id).
    for (const [feed, position] of [
      ['gone-event-timed', `evt_gone00000000001@${anHourAgo}`],
      ['gone-event-bare', 'evt_gone00000000002'],
    ] as const) {
      await app.store.query(`INSERT INTO ${t} (system, feed, position) VALUES ('stripe', $1, $2)`, [feed, position]);
      const stripeId = app.sandbox!.world.stripe.customers[feed.endsWith('timed') ? 8 : 9]!.id;
      await stripe.customers.update(stripeId, { phone: feed.endsWith('timed') ? '+1 415 555 0192' : '+1 415 555 0193' });
      queued.length = 0;
      const loop = createPollLoop({ store: app.store, queue, feeds: [{ ...stripeEventsFeed(stripe), name: feed }], intervalMs: {}, logger });
      await loop.start();
      await loop.pollOnce(); // before the fix: "No such event", every poll, the change never read
      await loop.stop();
      expect(queued, feed).toContain(`stripe:${stripeId}`);
      const moved = (await app.store.query<{ position: string }>(`SELECT position FROM ${t} WHERE system = 'stripe' AND feed = $1`, [feed])).rows[0]!.position;
      // On a real event now, with its time: the next read asks Stripe for what came after it.
      expect(moved, feed).toMatch(/^evt_\w+@\d+$/);
      expect((await stripe.events.list({ ending_before: moved.split('@')[0]!, limit: 1 })).data).toEqual([]);
    }
  });
});

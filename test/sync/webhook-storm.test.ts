// Issue #10's storm: 1,000 deliveries of a customer's three real Stripe events, duplicated and
// in shuffled order, at 20 at once, through serve's own wiring (inbox, queue, worker, decide,
// outbox). Writes are counted at the emulators: the final value reaches Salesforce once, nothing
// is written back to Stripe, the inbox keeps each event once.
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSystemSettings } from '../../src/config/systems.ts';
import { createStripeClient } from '../../src/sources/stripe/client.ts';
import { drainSync, silenceNotifications, startTestApp, type TestApp } from '../support/app.ts';

describe('1,000 duplicated and reordered Stripe webhooks', () => {
  let app: TestApp;
  let stripe: Stripe;

  beforeAll(async () => {
    app = await startTestApp({ customers: 40, seed: 13, env: { MERIDIAN_POLL_SECONDS: '0' } });
    // Only the deliveries this test sends reach the gateway.
    silenceNotifications(app);
    stripe = createStripeClient(readSystemSettings(app.sandbox!.env()).stripe!, { maxNetworkRetries: 0 });
    await drainSync(app);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('write the final value to Salesforce once, nothing back to Stripe, and keep each event once', async () => {
    const links = app.store.table('identity_links');
    const r = await app.store.query<{ stripe: string; salesforce: string }>(
      `SELECT min(external_id) FILTER (WHERE system = 'stripe') AS stripe, min(external_id) FILTER (WHERE system = 'salesforce') AS salesforce
         FROM ${links} WHERE record_type IN ('Account', 'customer') GROUP BY golden_id
        HAVING count(*) FILTER (WHERE system = 'stripe') = 1 AND count(*) FILTER (WHERE system = 'salesforce') = 1 ORDER BY golden_id LIMIT 1`,
    );
    const { stripe: cus, salesforce: account } = r.rows[0]!;
    const newest = (await stripe.events.list({ limit: 1 })).data[0]?.id;
    // Three changes by a person, one after another: the last one is the truth.
    for (const phone of ['(415) 555-0101', '(415) 555-0102', '(415) 555-0103']) await stripe.customers.update(cus, { phone });
    const events = (await stripe.events.list(newest ? { ending_before: newest, limit: 100 } : { limit: 100 })).data.filter((e) => e.type === 'customer.updated');
    expect(events).toHaveLength(3);

    const secret = app.sandbox!.env()['STRIPE_WEBHOOK_SECRET']!;
    const bodies = events.map((e) => JSON.stringify(e));
    // 1,000 deliveries: each event about a third of the time, shuffled by a fixed generator.
    let seed = 7;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const deliveries = Array.from({ length: 1000 }, (_, i) => bodies[i % 3]!);
    for (let i = deliveries.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [deliveries[i], deliveries[j]] = [deliveries[j]!, deliveries[i]!];
    }
    const sf0 = app.sandbox!.salesforce.requests.lastSeq;
    const st0 = app.sandbox!.stripe.requests.lastSeq;
    const statuses: number[] = [];
    let cursor = 0;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (cursor < deliveries.length) {
          const body = deliveries[cursor++]!;
          const res = await fetch(`${app.url}/webhooks/stripe`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload: body, secret }) },
            body,
          });
          statuses.push(res.status);
          await res.arrayBuffer();
        }
      }),
    );
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    await drainSync(app, 60_000);

    const inbox = await app.store.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${app.store.table('sync_inbox')} WHERE system = 'stripe' AND event_id = ANY($1)`, [events.map((e) => e.id)]);
    expect(inbox.rows[0]!.n).toBe(3);
    const sfWrites = app.sandbox!.salesforce.requests.list({ method: 'PATCH', sinceSeq: sf0 }).filter((q) => q.operation === 'sobject.update' && q.status < 300);
    expect(sfWrites).toHaveLength(1);
    expect((app.sandbox!.salesforce.store.get('Account', account) as { Phone?: string } | undefined)?.Phone).toBe('+14155550103');
    expect(app.sandbox!.stripe.requests.list({ operation: 'customers.update', sinceSeq: st0 }).filter((q) => q.status < 300)).toEqual([]);
  }, 180_000);
});

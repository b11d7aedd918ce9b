// Two-way sync as `npm start` wires it (src/app.ts): a person changes a phone in Stripe; the
// Stripe emulator notifies the gateway (or, with webhooks off, the events feed is polled); the
// in-process worker reads, matches and decides; the outbox loop writes Salesforce with jsforce.
// Writes are counted at the emulators. After the one write, nothing more: the write's own echo
// (Salesforce's change, Stripe's unchanged value) decides nothing new.
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSystemSettings } from '../../src/config/systems.ts';
import { createStripeClient } from '../../src/sources/stripe/client.ts';
import { drainSync, silenceNotifications, startTestApp, type TestApp } from '../support/app.ts';

const eventually = async <T>(read: () => Promise<T>, ok: (v: T) => boolean, ms = 30_000): Promise<T> => {
  const until = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v) || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
};

for (const path of ['webhook', 'polling'] as const) {
  describe(`a phone changed in Stripe reaches Salesforce through the ${path} path, once`, () => {
    let app: TestApp;
    let stripe: Stripe;

    beforeAll(async () => {
      app = await startTestApp({ customers: 60, seed: 11, env: { MERIDIAN_POLL_SECONDS: path === 'polling' ? '1' : '0' } });
      if (path === 'polling') {
        // Webhooks off: the sandbox's systems notify nobody.
        silenceNotifications(app);
      }
      stripe = createStripeClient(readSystemSettings(app.sandbox!.env()).stripe!, { maxNetworkRetries: 0 });
      await drainSync(app);
    });
    afterAll(async () => {
      await app?.close();
    });

    const sfWrites = (since: number): { path: string }[] =>
      app.sandbox!.salesforce.requests.list({ method: 'PATCH', sinceSeq: since }).filter((r) => r.operation === 'sobject.update' && r.status < 300);
    const stripeWrites = (since: number): unknown[] => app.sandbox!.stripe.requests.list({ operation: 'customers.update', sinceSeq: since }).filter((r) => r.status < 300);
    const zendeskWrites = (since: number): unknown[] => app.sandbox!.zendesk.requests.list({ operation: 'organizations.update', sinceSeq: since }).filter((r) => r.status < 300);

    it('writes the new phone to the Salesforce account once, sends nothing back to Stripe, then stays quiet', async () => {
      const links = app.store.table('identity_links');
      // A customer with one Stripe customer and one Salesforce account.
      const r = await app.store.query<{ golden_id: string; stripe: string; salesforce: string }>(
        `SELECT golden_id, min(external_id) FILTER (WHERE system = 'stripe') AS stripe, min(external_id) FILTER (WHERE system = 'salesforce') AS salesforce
           FROM ${links} WHERE record_type IN ('Account', 'customer') GROUP BY golden_id
          HAVING count(*) FILTER (WHERE system = 'stripe') = 1 AND count(*) FILTER (WHERE system = 'salesforce') = 1 ORDER BY golden_id LIMIT 1`,
      );
      const { stripe: cus, salesforce: account } = r.rows[0]!;
      const sf0 = app.sandbox!.salesforce.requests.lastSeq;
      // Our own writes start after this point (the person's update below is not one of them).
      const st0 = app.sandbox!.stripe.requests.lastSeq + 1;
      const zd0 = app.sandbox!.zendesk.requests.lastSeq;

      await stripe.customers.update(cus, { phone: '(415) 555-0142' });

      const written = await eventually(() => Promise.resolve(sfWrites(sf0)), (w) => w.length > 0);
      expect(written).toHaveLength(1);
      expect(written[0]!.path).toContain(account);
      const held = app.sandbox!.salesforce.store.get('Account', account) as { Phone?: string | null } | null;
      expect(held?.Phone).toBe('+14155550142');

      // Quiet: the write's echo comes back (notification or feed), is worked, and decides nothing.
      await new Promise((res) => setTimeout(res, 4000));
      await drainSync(app);
      expect(sfWrites(sf0)).toHaveLength(1);
      expect(stripeWrites(st0)).toEqual([]);
      expect(zendeskWrites(zd0)).toEqual([]);
      const outbox = await app.store.query<{ system: string; state: string }>(`SELECT system, state FROM ${app.store.table('sync_outbox')}`);
      expect(outbox.rows).toEqual([{ system: 'salesforce', state: 'DONE' }]);
    }, 60_000);
  });
}

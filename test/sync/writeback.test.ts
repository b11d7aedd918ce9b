// Write-backs end to end on the sandbox: a change in one system reaches each other writable
// system exactly once, then nothing more. Writes are counted at the emulators.
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWriteback, type Writeback } from './writeback-harness.ts';

let wb: Writeback;
beforeAll(async () => {
  wb = await startWriteback();
}, 120_000);
afterAll(async () => {
  await wb?.close();
});

const stripeClient = (): Stripe => {
  const env = wb.sandbox.env();
  const base = new URL(env['STRIPE_API_BASE']!);
  return new Stripe(env['STRIPE_API_KEY']!, { host: base.hostname, port: Number(base.port), protocol: 'http', telemetry: false, maxNetworkRetries: 0 });
};

describe('a phone changed in Stripe', () => {
  it('is written once to Salesforce with the new number, and then nothing more is written', async () => {
    const [goldenId] = await wb.customersWith(['salesforce', 'stripe']);
    expect(goldenId).toBeDefined();
    const g = goldenId!;
    // Converge first: whatever the demo world disagreed about is written once.
    await wb.decider.decide(g);
    await wb.loop().drain();
    expect((await wb.decider.decide(g)).outbox).toEqual([]);

    const cus = await wb.recordOf(g, 'stripe');
    const sf = await wb.recordOf(g, 'salesforce');
    await stripeClient().customers.update(cus, { phone: '(415) 555-0199' });
    wb.mark();
    const decided = await wb.decider.decide(g, { reason: 'webhook' });
    expect(decided.outbox.map((o) => ({ system: o.system, recordId: o.recordId, fields: o.fields }))).toEqual([{ system: 'salesforce', recordId: sf, fields: ['phone'] }]);
    await wb.loop().drain();
    expect(wb.writes()).toEqual({ salesforce: 1, stripe: 0, zendesk: 0 });
    const account = wb.sandbox.salesforce.store.get('Account', sf) as { Phone: string } | undefined;
    expect(account?.Phone).toBe('+14155550199');

    // The loop test: the write's echo decides nothing, however often it is decided again.
    for (let i = 0; i < 3; i++) expect((await wb.decider.decide(g, { reason: 'webhook' })).outbox).toEqual([]);
    await wb.loop().drain();
    expect(wb.writes()).toEqual({ salesforce: 1, stripe: 0, zendesk: 0 });
  });
});

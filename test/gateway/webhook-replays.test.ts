// Each webhook event is processed once: a re-delivery (or a replayed request) of an event the
// gateway already stored is answered 200 without queueing anything, so its system is not called
// again; two deliveries of one event at once are stored and processed once; signatures dated
// outside the tolerance, in the past or the future, are refused. The intake only stores and
// queues: the worker (in-process here) reads the system, so calls are counted once it is idle
// (drainSync). Calls are counted at the sandbox emulators, which record every request the real SDKs make.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type Stripe from 'stripe';
import { drainSync, startTestApp, type TestApp } from '../support/app.ts';
import { readSystemSettings } from '../../src/config/systems.ts';
import { createStripeClient } from '../../src/sources/stripe/client.ts';
import { createZendeskClient } from '../../src/sources/zendesk/client.ts';
import { connectSalesforce } from '../support/salesforce.ts';
import { signZendeskWebhook } from '../../src/sandbox/zendesk/webhooks.ts';
import { buildOutboundEnvelope } from '../../src/sandbox/salesforce/outbound.ts';

describe('webhook replays and tolerances', () => {
  let app: TestApp;
  let stripe: Stripe;
  let stripeCustomer: string;

  beforeAll(async () => {
    app = await startTestApp({ customers: 60, seed: 11 });
    stripe = createStripeClient(readSystemSettings(app.sandbox!.env()).stripe!, { maxNetworkRetries: 0 });
    stripeCustomer = (await stripe.customers.create({ name: 'Replay Instruments', email: 'ap@replay-instruments.example' })).id;
    await app.sandbox!.stripe.notifier!.idle();
    await drainSync(app);
  });
  afterAll(async () => {
    await app?.close();
  });

  const stripeEvent = (id: string, at = Math.floor(Date.now() / 1000)): { body: string; signature: string } => {
    const body = JSON.stringify({ id, object: 'event', type: 'customer.updated', api_version: '2026-10-28.endive', created: at, data: { object: { id: stripeCustomer, object: 'customer' } } });
    const secret = app.sandbox!.env()['STRIPE_WEBHOOK_SECRET']!;
    return { body, signature: stripe.webhooks.generateTestHeaderString({ payload: body, secret, timestamp: at }) };
  };
  const post = (system: string, body: string, headers: Record<string, string>): Promise<Response> =>
    fetch(`${app.url}/webhooks/${system}`, { method: 'POST', headers: { 'content-type': system === 'salesforce' ? 'text/xml' : 'application/json', ...headers }, body });
  const stripeCalls = (since: number): number => app.sandbox!.stripe.requests.count({ sinceSeq: since });

  it('processes a signed Stripe event once when it is delivered 100 times', async () => {
    const { body, signature } = stripeEvent('evt_replay_100');
    const since = app.sandbox!.stripe.requests.lastSeq;
    const first = await post('stripe', body, { 'stripe-signature': signature });
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ received: true, queued: 1 });
    await drainSync(app);
    const once = stripeCalls(since);
    expect(once).toBeGreaterThan(0);
    for (let i = 0; i < 99; i++) {
      const again = await post('stripe', body, { 'stripe-signature': signature });
      expect(again.status).toBe(200);
      expect(await again.json()).toEqual({ received: true, duplicate: true });
    }
    await drainSync(app);
    expect(stripeCalls(since)).toBe(once);
  });

  it('processes one Stripe event once when ten deliveries of it arrive at the same time', async () => {
    const { body, signature } = stripeEvent('evt_replay_concurrent');
    const since = app.sandbox!.stripe.requests.lastSeq;
    const answers = await Promise.all(Array.from({ length: 10 }, () => post('stripe', body, { 'stripe-signature': signature })));
    const bodies = (await Promise.all(answers.map((a) => a.json()))) as { received?: boolean; duplicate?: boolean; queued?: number }[];
    // One stored it and queued its change; the others found it stored (the inbox's key decides).
    expect(answers.map((a) => a.status)).toEqual(Array.from({ length: 10 }, () => 200));
    expect(bodies.filter((b) => b.queued !== undefined)).toEqual([{ received: true, queued: 1 }]);
    expect(bodies.filter((b) => b.duplicate === true)).toHaveLength(9);
    await drainSync(app);
    const processed = stripeCalls(since);
    expect(processed).toBeGreaterThan(0);
    const retry = await post('stripe', body, { 'stripe-signature': signature });
    expect(await retry.json()).toEqual({ received: true, duplicate: true });
    await drainSync(app);
    expect(stripeCalls(since)).toBe(processed);
  });

  it('refuses a Stripe signature dated ten years ahead, and one older than five minutes', async () => {
    const since = app.sandbox!.stripe.requests.lastSeq;
    const future = stripeEvent('evt_future', Math.floor(Date.now() / 1000) + 10 * 365 * 86_400);
    const ahead = await post('stripe', future.body, { 'stripe-signature': future.signature });
    expect(ahead.status).toBe(400);
    expect(((await ahead.json()) as { error: string }).error).toMatch(/in the future/);
    const past = stripeEvent('evt_past', Math.floor(Date.now() / 1000) - 301);
    const stale = await post('stripe', past.body, { 'stripe-signature': past.signature });
    expect(stale.status).toBe(400);
    expect(((await stale.json()) as { error: string }).error).toMatch(/tolerance/);
    expect(stripeCalls(since)).toBe(0);
  });

  it('processes a Zendesk invocation once by its X-Zendesk-Webhook-Invocation-Id', async () => {
    const zd = createZendeskClient(readSystemSettings(app.sandbox!.env()).zendesk!);
    const created = (await zd.organizations.create({ organization: { name: 'Replay Robotics', domain_names: ['replay-robotics.example'] } })) as unknown as { result: { id: number } };
    await app.sandbox!.zendesk.notifier!.idle();
    await drainSync(app);
    const body = JSON.stringify({ type: 'zen:event-type:organization.updated', account_id: 1, id: 'evt-zd-1', time: new Date().toISOString(), zendesk_event_version: '2022-11-06', subject: `zen:organization:${created.result.id}`, detail: { id: String(created.result.id) }, event: {} });
    const timestamp = new Date().toISOString();
    const headers = {
      'x-zendesk-webhook-invocation-id': '8350205582',
      'x-zendesk-webhook-signature': signZendeskWebhook(app.sandbox!.env()['ZENDESK_WEBHOOK_SECRET']!, timestamp, body),
      'x-zendesk-webhook-signature-timestamp': timestamp,
    };
    const since = app.sandbox!.zendesk.requests.lastSeq;
    const first = await post('zendesk', body, headers);
    expect(first.status).toBe(200);
    await drainSync(app);
    const once = app.sandbox!.zendesk.requests.count({ sinceSeq: since });
    expect(once).toBeGreaterThan(0);
    const again = await post('zendesk', body, headers);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ received: true, duplicate: true });
    await drainSync(app);
    expect(app.sandbox!.zendesk.requests.count({ sinceSeq: since })).toBe(once);
  });

  it('acknowledges a re-sent Outbound Message without querying Salesforce again', async () => {
    const conn = await connectSalesforce(readSystemSettings(app.sandbox!.env()).salesforce!);
    const account = await conn.sobject('Account').create({ Name: 'Replay Rail Systems', Phone: '+1 415 555 0199' });
    await app.sandbox!.salesforce.notifier!.idle();
    await drainSync(app);
    const sf = app.sandbox!.salesforce;
    const body = buildOutboundEnvelope({ orgId: sf.orgId, baseUrl: sf.url, apiVersion: '59.0' }, 'Account', [{ type: 'Account', record: { Id: account.id, Name: 'Replay Rail Systems' }, fields: ['Name'] } as never], () => '04l000000000777AAA');
    const since = sf.requests.lastSeq;
    const first = await post('salesforce', body, { soapaction: '""' });
    expect(first.status).toBe(200);
    expect(await first.text()).toContain('<Ack>true</Ack>');
    await drainSync(app);
    const once = sf.requests.count({ sinceSeq: since });
    expect(once).toBeGreaterThan(0);
    const again = await post('salesforce', body, { soapaction: '""' });
    expect(again.status).toBe(200);
    expect(await again.text()).toContain('<Ack>true</Ack>');
    await drainSync(app);
    expect(sf.requests.count({ sinceSeq: since })).toBe(once);
  });

  it("checks Outbound Messages against the org its password login named, never asking Salesforce's identity service", async () => {
    const sf = app.sandbox!.salesforce;
    const account = sf.store.list('Account')[0]!;
    const body = buildOutboundEnvelope({ orgId: sf.orgId, baseUrl: sf.url, apiVersion: '59.0' }, 'Account', [{ type: 'Account', record: account, fields: ['Name'] } as never], () => '04l000000000778AAA');
    const answer = await post('salesforce', body, { soapaction: '""' });
    expect(answer.status).toBe(200);
    // Since the gateway started (its org id is first asked for at start-up).
    expect(sf.requests.count({ operation: 'identity' })).toBe(0);
  });

  it('answers /healthz while it refuses an unsigned 400 KB message of unclosed <sObject tags', async () => {
    const sf = app.sandbox!.salesforce;
    const body = `<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><notifications xmlns="http://soap.sforce.com/2005/09/outbound"><OrganizationId>${sf.orgId}</OrganizationId>${'<sObject '.repeat(45_000)}`;
    const [attack, health] = await Promise.all([post('salesforce', body, {}), fetch(`${app.url}/healthz`)]);
    expect(health.status).toBe(200);
    expect(attack.status).toBe(400);
    expect(await attack.text()).toContain('not well-formed XML');
  });
});

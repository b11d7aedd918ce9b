// The Stripe emulator driven by the real stripe-node SDK: what Meridian's connector relies on.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  startStripeEmulator,
  STRIPE_SANDBOX_API_KEY,
  STRIPE_SANDBOX_API_VERSION,
  STRIPE_SANDBOX_WEBHOOK_SECRET,
} from '../../src/sandbox/stripe/index.ts';
import type { StripeEmulator } from '../../src/sandbox/stripe/index.ts';
import { makeStripeData } from './stripe.fixture.ts';

interface Received {
  body: string;
  signature: string;
  status: number;
}

/** A webhook endpoint that records every attempt and can be told to fail some. */
async function startReceiver(): Promise<{ url: string; received: Received[]; failMatching: Map<string, number>; close(): Promise<void> }> {
  const received: Received[] = [];
  /** Body substring → how many more attempts carrying it to refuse with 500. */
  const failMatching = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const marker = [...failMatching.keys()].find((m) => body.includes(m) && failMatching.get(m)! > 0);
      const status = marker === undefined ? 200 : 500;
      if (marker !== undefined) failMatching.set(marker, failMatching.get(marker)! - 1);
      received.push({ body, signature: String(req.headers['stripe-signature']), status });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks/stripe`,
    received,
    failMatching,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

function sdk(emulator: StripeEmulator, key = STRIPE_SANDBOX_API_KEY, maxNetworkRetries = 0): Stripe {
  return new Stripe(key, { host: '127.0.0.1', port: emulator.port, protocol: 'http', maxNetworkRetries, telemetry: false });
}

async function waitFor(check: () => boolean, timeoutMs = 3_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

let emulator: StripeEmulator;
let stripe: Stripe;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
const data = makeStripeData(30);
const [c1, c2, c3] = data.customers as [(typeof data.customers)[number], (typeof data.customers)[number], (typeof data.customers)[number]];

beforeAll(async () => {
  receiver = await startReceiver();
  emulator = await startStripeEmulator({ data, webhookUrl: receiver.url, webhookRetryDelaysMs: [50, 100] });
  stripe = sdk(emulator);
});

afterAll(async () => {
  await emulator.close();
  await receiver.close();
});

beforeEach(() => {
  emulator.faults.reset();
});

describe('customers', () => {
  it('creates, retrieves, updates (metadata merge and unset) and deletes a customer', async () => {
    const created = await stripe.customers.create({
      name: 'Globex Corp',
      email: 'ap@globex.example.com',
      address: { line1: '1 Globex Way', city: 'Cypress Creek', country: 'US' },
      metadata: { salesforce_account_id: '001GLOBEX', tier: 'gold' },
    });
    expect(created).toMatchObject({
      object: 'customer',
      name: 'Globex Corp',
      email: 'ap@globex.example.com',
      address: { line1: '1 Globex Way', line2: null, city: 'Cypress Creek', country: 'US' },
      metadata: { salesforce_account_id: '001GLOBEX', tier: 'gold' },
      livemode: false,
      invoice_settings: { default_payment_method: null },
    });
    expect(created.id).toMatch(/^cus_[A-Za-z0-9]{14}$/);
    expect(created.lastResponse.requestId).toMatch(/^req_/);

    const fetched = await stripe.customers.retrieve(created.id);
    expect(fetched).toEqual({ ...created });

    const updated = await stripe.customers.update(created.id, {
      email: '',
      phone: '+15550001111',
      metadata: { tier: '', region: 'emea' },
    });
    expect(updated.email).toBeNull();
    expect(updated.phone).toBe('+15550001111');
    expect(updated.metadata).toEqual({ salesforce_account_id: '001GLOBEX', region: 'emea' });

    const deleted = await stripe.customers.del(created.id);
    expect(deleted).toEqual({ id: created.id, object: 'customer', deleted: true });
    expect(await stripe.customers.retrieve(created.id)).toEqual({ id: created.id, object: 'customer', deleted: true });
    await expect(stripe.customers.update(created.id, { name: 'x' })).rejects.toMatchObject({ statusCode: 404, code: 'resource_missing' });
    await expect(stripe.customers.del(created.id)).rejects.toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);

    const events = await stripe.events.list({ type: 'customer.*', limit: 100 });
    const mine = events.data.filter((e) => (e.data.object as { id: string }).id === created.id);
    expect(mine.map((e) => e.type)).toEqual(['customer.deleted', 'customer.updated', 'customer.created']);
    const update = mine[1]!;
    expect(update.data.previous_attributes).toEqual({
      email: 'ap@globex.example.com',
      phone: null,
      metadata: { tier: 'gold', region: null },
    });
    expect(update.request).toEqual({ id: expect.stringMatching(/^req_/) as string, idempotency_key: expect.stringMatching(/^stripe-node-retry-/) as string });
    expect(update.api_version).toBe(STRIPE_SANDBOX_API_VERSION);
    // The account version follows the installed SDK's pinned version; a bump of stripe-node shows here.
    expect(STRIPE_SANDBOX_API_VERSION).toBe(Stripe.API_VERSION);
  });

  it('validates values the way Stripe does', async () => {
    await expect(stripe.customers.create({ email: 'not-an-email' })).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      code: 'email_invalid',
      param: 'email',
    });
    await expect(stripe.customers.list({ limit: 101 })).rejects.toMatchObject({ code: 'parameter_invalid_integer', param: 'limit' });
    await expect(
      stripe.customers.update(c1.id, { invoice_settings: { default_payment_method: 'pm_doesnotexist' } }),
    ).rejects.toMatchObject({ code: 'resource_missing', param: 'invoice_settings[default_payment_method]' });
  });

  it('rejects an unknown parameter with parameter_unknown and changes nothing', async () => {
    const before = emulator.store.list('customer').length;
    const err = await stripe.customers
      .create({ name: 'x', foo: 'bar' } as Stripe.CustomerCreateParams)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err).toMatchObject({ statusCode: 400, code: 'parameter_unknown', param: 'foo', message: 'Received unknown parameter: foo' });
    await expect(stripe.customers.update(c1.id, { address: { line9: 'x' } } as Stripe.CustomerUpdateParams)).rejects.toMatchObject({
      param: 'address[line9]',
    });
    expect(emulator.store.list('customer').length).toBe(before);
  });

  it('answers a missing customer with 404 resource_missing', async () => {
    const err = await stripe.customers.retrieve('cus_nope').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err).toMatchObject({ statusCode: 404, code: 'resource_missing', param: 'id', message: "No such customer: 'cus_nope'" });
  });

  it('refuses a wrong key with 401 and a masked key', async () => {
    const err = await sdk(emulator, 'sk_test_wrongwrongwrong1234').customers.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    expect((err as Stripe.errors.StripeError).message).toBe('Invalid API Key provided: sk_test_***************1234');
  });
});

describe('lists and paging', () => {
  it('pages through all customers newest first with autoPagingToArray and by hand', async () => {
    const expected = emulator.store.list('customer').map((c) => c.id);
    expect(expected.length).toBeGreaterThanOrEqual(30);
    const seq = emulator.requests.lastSeq;
    const all = await stripe.customers.list({ limit: 7 }).autoPagingToArray({ limit: 1000 });
    expect(all.map((c) => c.id)).toEqual(expected);
    const pages = emulator.requests.list({ sinceSeq: seq, operation: 'customers.list' });
    expect(pages.length).toBe(Math.ceil(expected.length / 7));
    expect(pages[0]!.batchSize).toBe(7);

    const manual: string[] = [];
    let startingAfter: string | undefined;
    for (;;) {
      const page = await stripe.customers.list({ limit: 10, ...(startingAfter ? { starting_after: startingAfter } : {}) });
      manual.push(...page.data.map((c) => c.id));
      if (!page.has_more) break;
      startingAfter = page.data.at(-1)!.id;
    }
    expect(manual).toEqual(expected);

    // The two customers created in the same second keep a stable order (later insert first).
    expect(expected.indexOf(c2.id)).toBeLessThan(expected.indexOf(c1.id));

    const back = await stripe.customers.list({ limit: 3, ending_before: expected[10]! });
    expect(back.data.map((c) => c.id)).toEqual(expected.slice(7, 10));
    expect(back.has_more).toBe(true);
  });

  it('filters customers by email and created', async () => {
    const byEmail = await stripe.customers.list({ email: c3.email! });
    expect(byEmail.data.map((c) => c.id)).toEqual([c3.id]);
    const recent = await stripe.customers.list({ created: { gte: c3.created, lte: c3.created + 60 }, limit: 100 });
    expect(recent.data.map((c) => c.name).sort()).toEqual(['Acme 3 Industries', 'Acme 4 Industries']);
  });
});

describe('search', () => {
  it('finds customers by email (case-insensitive), name substring and metadata', async () => {
    const byEmail = await stripe.customers.search({ query: `email:"${c3.email!.toUpperCase()}"` });
    expect(byEmail).toMatchObject({ object: 'search_result', has_more: false, next_page: null, url: '/v1/customers/search' });
    expect(byEmail.data.map((c) => c.id)).toEqual([c3.id]);

    const byName = await stripe.customers.search({ query: "name~'acme 1'", limit: 100 });
    expect(byName.data.map((c) => c.name).sort()).toEqual(
      ['Acme 1 Industries', ...Array.from({ length: 10 }, (_, i) => `Acme ${10 + i} Industries`)].sort(),
    );

    const byMeta = await stripe.customers.search({ query: "metadata['salesforce_account_id']:'001SF000009'" });
    expect(byMeta.data.map((c) => c.name)).toEqual(['Acme 9 Industries']);

    const either = await stripe.customers.search({ query: `email:"${c1.email!}" OR metadata["erp_customer_number"]:"C-000010"` });
    expect(either.data.map((c) => c.name).sort()).toEqual(['Acme 1 Industries', 'Acme 10 Industries']);

    const negated = await stripe.customers.search({ query: "name~'acme' -metadata['salesforce_account_id']:null", limit: 100 });
    expect(negated.data.every((c) => c.metadata.salesforce_account_id !== undefined)).toBe(true);
    expect(negated.data.length).toBe(10);
  });

  it('pages search results with page/next_page and reports total_count when expanded', async () => {
    const first = await stripe.customers.search({ query: "name~'industries'", limit: 4, expand: ['total_count'] });
    expect(first.has_more).toBe(true);
    expect(first.next_page).toEqual(expect.any(String));
    expect(first.total_count).toBeGreaterThanOrEqual(30);
    const second = await stripe.customers.search({ query: "name~'industries'", limit: 4, page: first.next_page! });
    expect(second.data[0]!.id).not.toBe(first.data[0]!.id);

    const all = await stripe.customers.search({ query: "name~'industries'", limit: 8 }).autoPagingToArray({ limit: 1000 });
    expect(all.length).toBe(first.total_count);
    expect(new Set(all.map((c) => c.id)).size).toBe(all.length);
  });

  it('rejects a malformed query with 400 on param query', async () => {
    for (const query of ['email:', 'foo:"x"', 'name~"ab"', 'email:"a" AND name:"b" OR phone:"c"', 'email:unquoted@x.com']) {
      await expect(stripe.customers.search({ query })).rejects.toMatchObject({ type: 'StripeInvalidRequestError', statusCode: 400, param: 'query' });
    }
  });
});

describe('billing objects', () => {
  it('lists subscriptions, invoices, charges and payment methods by customer', async () => {
    const subs = await stripe.subscriptions.list({ customer: c1.id });
    expect(subs.data.map((s) => s.customer)).toEqual([c1.id]);

    const c5 = data.customers[4]!;
    expect((await stripe.subscriptions.list({ customer: c5.id })).data).toEqual([]);
    expect((await stripe.subscriptions.list({ customer: c5.id, status: 'all' })).data.map((s) => s.status)).toEqual(['canceled']);
    expect((await stripe.subscriptions.list({ status: 'canceled' })).data.length).toBe(1);

    const invoices = await stripe.invoices.list({ customer: c1.id });
    expect(invoices.data.map((i) => i.number)).toEqual(['ACME-1-2', 'ACME-1-1']);
    expect((await stripe.invoices.list({ customer: c1.id, status: 'paid' })).data.map((i) => i.number)).toEqual(['ACME-1-1']);

    const charges = await stripe.charges.list({ customer: c1.id });
    expect(charges.data).toHaveLength(1);
    expect(charges.data[0]).toMatchObject({ object: 'charge', amount: 9900, status: 'succeeded' });

    const pms = await stripe.paymentMethods.list({ customer: c1.id, type: 'card' });
    expect(pms.data.map((p) => p.id)).toEqual([c1.invoice_settings.default_payment_method]);
    const viaCustomer = await stripe.customers.listPaymentMethods(c1.id);
    expect(viaCustomer.data.map((p) => p.id)).toEqual(pms.data.map((p) => p.id));
    const pm = await stripe.customers.retrievePaymentMethod(c1.id, pms.data[0]!.id);
    expect(pm.card?.brand).toBe('visa');
    await expect(stripe.paymentMethods.retrieve('pm_missing')).rejects.toMatchObject({ message: "No such PaymentMethod: 'pm_missing'" });
    await expect(stripe.invoices.list({ customer: 'cus_missing' })).rejects.toMatchObject({ code: 'resource_missing', param: 'customer' });
  });

  it('includes a customer’s current subscriptions with expand[]=subscriptions (and data.subscriptions on lists)', async () => {
    const plain = (await stripe.customers.retrieve(c1.id)) as Stripe.Customer;
    expect(plain.subscriptions).toBeUndefined();
    const withSubs = (await stripe.customers.retrieve(c1.id, { expand: ['subscriptions'] })) as Stripe.Customer;
    expect(withSubs.subscriptions).toMatchObject({ object: 'list', has_more: false, url: `/v1/customers/${c1.id}/subscriptions` });
    expect(withSubs.subscriptions!.data.map((s) => s.id)).toEqual((await stripe.subscriptions.list({ customer: c1.id })).data.map((s) => s.id));
    const c5 = data.customers[4]!; // only a canceled subscription: not current
    expect(((await stripe.customers.retrieve(c5.id, { expand: ['subscriptions'] })) as Stripe.Customer).subscriptions!.data).toEqual([]);
    const listed = await stripe.customers.list({ limit: 100, expand: ['data.subscriptions'] });
    expect(listed.data.every((c) => c.subscriptions?.object === 'list')).toBe(true);
  });

  it('expands customer on objects and data.customer on lists, and rejects other paths', async () => {
    const sub = await stripe.subscriptions.retrieve(data.subscriptions[0]!.id, { expand: ['customer'] });
    expect(sub.customer).toMatchObject({ object: 'customer', id: c1.id });

    const charge = await stripe.charges.retrieve(data.charges[0]!.id, { expand: ['customer'] });
    expect(charge.customer).toMatchObject({ object: 'customer', id: c1.id });
    // `charge.invoice` is gone since API version 2025-03-31, and so is its expansion.
    await expect(stripe.charges.retrieve(data.charges[0]!.id, { expand: ['invoice'] })).rejects.toMatchObject({
      statusCode: 400,
      message: 'This property cannot be expanded (invoice).',
    });

    const invoices = await stripe.invoices.list({ customer: c1.id, expand: ['data.customer'] });
    expect(invoices.data.every((i) => typeof i.customer === 'object' && i.customer?.id === c1.id)).toBe(true);

    const customer = await stripe.customers.retrieve(c1.id, { expand: ['invoice_settings.default_payment_method'] });
    expect((customer as Stripe.Customer).invoice_settings.default_payment_method).toMatchObject({ object: 'payment_method' });

    await expect(stripe.invoices.list({ expand: ['customer'] })).rejects.toMatchObject({
      message: "This property cannot be expanded (customer). You may want to try expanding 'data.customer' instead.",
    });
    await expect(stripe.charges.retrieve(data.charges[0]!.id, { expand: ['balance_transaction'] })).rejects.toMatchObject({ statusCode: 400 });
  });
});

describe('API version shapes (2026-10-28.endive)', () => {
  it('follows the version stripe-node pins', () => {
    expect(STRIPE_SANDBOX_API_VERSION).toBe(Stripe.API_VERSION);
  });

  it('puts the billing period on subscription items and filters by it', async () => {
    const sub = await stripe.subscriptions.retrieve(data.subscriptions[0]!.id);
    expect(sub).not.toHaveProperty('current_period_start');
    expect(sub).not.toHaveProperty('current_period_end');
    const item = sub.items.data[0]!;
    expect(item).toMatchObject({ object: 'subscription_item', current_period_start: data.subscriptions[0]!.items.data[0]!.current_period_start });
    expect(item.current_period_end).toBeGreaterThan(item.current_period_start);

    const end = item.current_period_end;
    expect((await stripe.subscriptions.list({ current_period_end: { gte: end }, limit: 100 })).data.length).toBe(4);
    expect((await stripe.subscriptions.list({ current_period_end: { lt: end } })).data).toEqual([]);
    expect((await stripe.subscriptions.list({ current_period_start: item.current_period_start, status: 'all', limit: 100 })).data.length).toBe(5);
  });

  it('links an invoice to its subscription through parent, for filters, search and expansion', async () => {
    const subId = data.subscriptions[0]!.id;
    const inv = await stripe.invoices.retrieve(data.invoices[0]!.id, { expand: ['parent.subscription_details.subscription'] });
    expect(inv).not.toHaveProperty('subscription');
    expect(inv.parent).toMatchObject({ type: 'subscription_details', quote_details: null, subscription_details: { metadata: {} } });
    expect(inv.parent!.subscription_details!.subscription).toMatchObject({ object: 'subscription', id: subId });

    const bySub = await stripe.invoices.list({ subscription: subId });
    expect(bySub.data.map((i) => i.number)).toEqual(['ACME-1-2', 'ACME-1-1']);
    expect(bySub.data.every((i) => i.parent?.subscription_details?.subscription === subId)).toBe(true);
    const found = await stripe.invoices.search({ query: `subscription:"${subId}" AND status:"paid"` });
    expect(found.data.map((i) => i.number)).toEqual(['ACME-1-1']);

    await expect(stripe.invoices.retrieve(data.invoices[0]!.id, { expand: ['subscription'] })).rejects.toMatchObject({
      message: 'This property cannot be expanded (subscription).',
    });
  });

  it('links invoices and charges through invoice payments', async () => {
    const paid = data.invoices[0]!;
    expect(paid.status).toBe('paid');
    const plain = await stripe.invoices.retrieve(paid.id);
    expect(plain).not.toHaveProperty('payments');

    const withPayments = await stripe.invoices.retrieve(paid.id, { expand: ['payments'] });
    expect(withPayments.payments).toMatchObject({ object: 'list', has_more: false });
    expect(withPayments.payments!.data).toHaveLength(1);
    const payment = withPayments.payments!.data[0]!;
    expect(payment).toMatchObject({
      object: 'invoice_payment',
      invoice: paid.id,
      status: 'paid',
      amount_paid: 9900,
      is_default: true,
      payment: { type: 'charge', charge: data.charges[0]!.id },
    });

    const listed = await stripe.invoicePayments.list({ invoice: paid.id, expand: ['data.payment.charge'] });
    expect(listed.data.map((p) => p.id)).toEqual([payment.id]);
    expect(listed.data[0]!.payment.charge).toMatchObject({ object: 'charge', id: data.charges[0]!.id, customer: c1.id });
    expect((await stripe.invoicePayments.list({ invoice: data.invoices[1]!.id })).data).toEqual([]);
    expect((await stripe.invoicePayments.list({ status: 'paid', limit: 100 })).data).toHaveLength(data.invoicePayments.length);

    const one = await stripe.invoicePayments.retrieve(payment.id, { expand: ['invoice.customer'] });
    expect(one.invoice).toMatchObject({ object: 'invoice', id: paid.id, customer: { object: 'customer', id: c1.id } });
    await expect(stripe.invoicePayments.retrieve('inpay_missing')).rejects.toMatchObject({ statusCode: 404, code: 'resource_missing' });

    const invoices = await stripe.invoices.list({ customer: c1.id, expand: ['data.payments'] });
    expect(invoices.data.map((i) => i.payments?.data.length)).toEqual([0, 1]);
  });

  it('echoes the Stripe-Version a client sends but always answers in the account version\'s shapes', async () => {
    const old = await fetch(`${emulator.url}/v1/subscriptions/${data.subscriptions[0]!.id}`, {
      headers: { authorization: `Bearer ${STRIPE_SANDBOX_API_KEY}`, 'stripe-version': '2024-06-20' },
    });
    expect(old.status).toBe(200);
    expect(old.headers.get('stripe-version')).toBe('2024-06-20');
    const body = (await old.json()) as { current_period_end?: number; items: { data: { current_period_end: number }[] } };
    expect(body.current_period_end).toBeUndefined();
    expect(body.items.data[0]!.current_period_end).toBeGreaterThan(0);

    const none = await fetch(`${emulator.url}/v1/customers/${c1.id}`, { headers: { authorization: `Bearer ${STRIPE_SANDBOX_API_KEY}` } });
    expect(none.headers.get('stripe-version')).toBe(STRIPE_SANDBOX_API_VERSION);
    const viaSdk = await stripe.customers.retrieve(c1.id);
    expect(viaSdk.lastResponse.headers['stripe-version']).toBe(Stripe.API_VERSION);

    const bad = await fetch(`${emulator.url}/v1/customers/${c1.id}`, {
      headers: { authorization: `Bearer ${STRIPE_SANDBOX_API_KEY}`, 'stripe-version': 'latest' },
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: { type: 'invalid_request_error', message: 'Invalid Stripe API version: latest' } });
  });
});

describe('events', () => {
  it('records API and in-process changes, filters by type and created, and pages', async () => {
    const created = await stripe.customers.create({ name: 'Event Co' });
    emulator.store.updateCustomer(created.id, { email: 'ops@event.example.com' });
    emulator.store.updateInvoice(data.invoices[1]!.id, { status: 'paid', amount_paid: 9900, amount_remaining: 0 });

    const updates = await stripe.events.list({ type: 'customer.updated', limit: 100 });
    const inProcess = updates.data.find((e) => (e.data.object as Stripe.Customer).id === created.id)!;
    expect(inProcess).toMatchObject({ object: 'event', livemode: false, request: { id: null, idempotency_key: null } });
    expect(inProcess.data.previous_attributes).toEqual({ email: null });

    const invoiceEvents = await stripe.events.list({ types: ['invoice.updated', 'invoice.paid'] });
    expect(invoiceEvents.data.map((e) => e.type)).toEqual(['invoice.paid', 'invoice.updated']);

    const all = await stripe.events.list({ limit: 2 }).autoPagingToArray({ limit: 1000 });
    expect(all.length).toBe(emulator.store.events().length);
    const one = await stripe.events.retrieve(all[0]!.id);
    expect(one.id).toBe(all[0]!.id);
    expect((await stripe.events.list({ created: { gt: 4_000_000_000 } })).data).toEqual([]);
  });
});

describe('idempotency', () => {
  it('replays the saved answer for a repeated key and creates one customer', async () => {
    const before = emulator.store.list('customer').length;
    const key = `test-${Date.now()}`;
    const a = await stripe.customers.create({ name: 'Once Only', metadata: { a: '1' } }, { idempotencyKey: key });
    const b = await stripe.customers.create({ name: 'Once Only', metadata: { a: '1' } }, { idempotencyKey: key });
    expect(b).toEqual(a);
    expect(b.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(a.lastResponse.headers['idempotent-replayed']).toBeUndefined();
    expect(emulator.store.list('customer').length).toBe(before + 1);

    const err = await stripe.customers.create({ name: 'Something Else' }, { idempotencyKey: key }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect((err as Stripe.errors.StripeError).message).toContain('same parameters');
    await expect(stripe.customers.update(c1.id, { name: 'Once Only' }, { idempotencyKey: key })).rejects.toBeInstanceOf(
      Stripe.errors.StripeIdempotencyError,
    );
  });

  it('forgets keys after 24 hours', async () => {
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const em = await startStripeEmulator({ data: makeStripeData(2), now: () => new Date(clock) });
    try {
      const client = sdk(em);
      const a = await client.customers.create({ name: 'A' }, { idempotencyKey: 'k1' });
      expect(a.created).toBe(clock / 1000);
      clock += 24 * 3600 * 1000;
      const b = await client.customers.create({ name: 'B' }, { idempotencyKey: 'k1' });
      expect(b.id).not.toBe(a.id);
    } finally {
      await em.close();
    }
  });
});

describe('faults', () => {
  it('answers an injected 429 in Stripe style, which the SDK surfaces without retrying', async () => {
    emulator.faults.set({ rateLimitRate: 1, retryAfterSeconds: 2 });
    const seq = emulator.requests.lastSeq;
    const err = await sdk(emulator, STRIPE_SANDBOX_API_KEY, 2).customers.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
    expect(err).toMatchObject({ code: 'rate_limit', statusCode: 429 });
    expect((err as Stripe.errors.StripeError).headers?.['retry-after']).toBe('2');
    expect(emulator.requests.count({ sinceSeq: seq })).toBe(1);
  });

  it('answers injected 5xx with api_error, which the SDK retries', async () => {
    emulator.faults.set({ errorRate: 1, errorStatus: 500 });
    const seq = emulator.requests.lastSeq;
    const err = await sdk(emulator, STRIPE_SANDBOX_API_KEY, 1).customers.retrieve(c1.id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect(err).toMatchObject({ statusCode: 500, rawType: 'api_error' });
    const log = emulator.requests.list({ sinceSeq: seq });
    expect(log.map((r) => [r.status, r.fault])).toEqual([[500, 'error'], [500, 'error']]);
  });

  it('lets a POST that failed by injection succeed once on the SDK retry with the same Idempotency-Key', async () => {
    const client = sdk(emulator, STRIPE_SANDBOX_API_KEY, 1);
    let attempts = 0;
    // 'request' fires synchronously as each attempt starts, before the emulator can see it.
    (client as unknown as { on(event: 'request', listener: () => void): void }).on('request', () => {
      attempts++;
      if (attempts === 2) emulator.faults.reset();
    });
    emulator.faults.set({ errorRate: 1, errorStatus: 503 });
    const before = emulator.store.list('customer').length;
    const seq = emulator.requests.lastSeq;
    const created = await client.customers.create({ name: 'Retried Co' });
    expect(emulator.requests.list({ sinceSeq: seq }).map((r) => [r.status, r.fault])).toEqual([[503, 'error'], [200, null]]);
    expect(emulator.store.list('customer').length).toBe(before + 1);
    const event = emulator.store.events().find((e) => (e.data.object as { id: string }).id === created.id)!;
    expect(event.request.idempotency_key).toBe(created.lastResponse.idempotencyKey);
  });

  it('answers an outage with 503', async () => {
    emulator.faults.set({ outage: 'http' });
    await expect(stripe.customers.retrieve(c1.id)).rejects.toMatchObject({ type: 'StripeAPIError', statusCode: 503 });
  });
});

describe('webhooks', () => {
  it('delivers signed events that constructEvent verifies, and pending_webhooks drops to 0', async () => {
    const created = await stripe.customers.create({ name: 'Hooked Inc' });
    await waitFor(() => receiver.received.some((r) => r.body.includes(created.id) && r.status === 200));
    const hit = receiver.received.find((r) => r.body.includes(created.id))!;
    expect(hit.signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    const event = stripe.webhooks.constructEvent(hit.body, hit.signature, STRIPE_SANDBOX_WEBHOOK_SECRET);
    expect(event.type).toBe('customer.created');
    expect(event.pending_webhooks).toBe(1);
    expect(() => stripe.webhooks.constructEvent(hit.body, hit.signature, 'whsec_other')).toThrow(
      Stripe.errors.StripeSignatureVerificationError,
    );
    await waitFor(() => emulator.notifier?.pending === 0);
    expect((await stripe.events.retrieve(event.id)).pending_webhooks).toBe(0);
  });

  it('retries a delivery the endpoint refused, and keeps pending_webhooks at 1 until it is accepted', async () => {
    receiver.failMatching.set('Retry Ltd', 1);
    const created = emulator.store.createCustomer({ name: 'Retry Ltd' });
    const event = emulator.store.events().find((e) => (e.data.object as { id: string }).id === created.id)!;
    expect(event).toMatchObject({ type: 'customer.created', pending_webhooks: 1, request: { id: null, idempotency_key: null } });
    await waitFor(() => receiver.received.some((r) => r.body.includes(event.id)));
    await emulator.notifier!.idle();
    const attempts = receiver.received.filter((r) => r.body.includes(event.id));
    expect(attempts.map((a) => a.status)).toEqual([500, 200]);
    for (const a of attempts) {
      expect(stripe.webhooks.constructEvent(a.body, a.signature, STRIPE_SANDBOX_WEBHOOK_SECRET).id).toBe(event.id);
    }
    const delivery = emulator.notifier!.deliveries().find((d) => d.body.includes(event.id))!;
    expect(delivery.state).toBe('delivered');
    expect(delivery.attempts.map((a) => a.status)).toEqual([500, 200]);
    expect((await stripe.events.retrieve(event.id)).pending_webhooks).toBe(0);
  });
});

describe('raw HTTP', () => {
  it('answers unknown URLs and methods with 404 Unrecognized request URL, with Request-Id and Stripe-Version', async () => {
    const auth = { authorization: `Bearer ${STRIPE_SANDBOX_API_KEY}`, 'stripe-version': '2024-06-20' };
    const res = await fetch(`${emulator.url}/v1/foo`, { headers: auth });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      error: {
        type: 'invalid_request_error',
        message: 'Unrecognized request URL (GET: /v1/foo). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.',
      },
    });
    const put = await fetch(`${emulator.url}/v1/customers`, { method: 'PUT', headers: auth });
    expect(put.status).toBe(404);
    const ok = await fetch(`${emulator.url}/v1/customers/${c1.id}`, { headers: auth });
    expect(ok.headers.get('request-id')).toMatch(/^req_/);
    expect(ok.headers.get('stripe-version')).toBe('2024-06-20');
  });

  it('accepts Basic auth with the key as user name and explains a missing key', async () => {
    const basic = Buffer.from(`${STRIPE_SANDBOX_API_KEY}:`).toString('base64');
    expect((await fetch(`${emulator.url}/v1/customers?limit=1`, { headers: { authorization: `Basic ${basic}` } })).status).toBe(200);
    const none = await fetch(`${emulator.url}/v1/customers`);
    expect(none.status).toBe(401);
    const body = (await none.json()) as { error: { type: string; message: string } };
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.message).toMatch(/^You did not provide an API key/);
  });

  it('never crashes on malformed bodies', async () => {
    const res = await fetch(`${emulator.url}/v1/customers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${STRIPE_SANDBOX_API_KEY}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'metadata[a][b][c]=1&%E0%A4%A=2&name[]=x',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
    expect((await fetch(`${emulator.url}/v1/customers/${c1.id}`, { headers: { authorization: `Bearer ${STRIPE_SANDBOX_API_KEY}` } })).status).toBe(200);
  });
});

// Webhook intake deciding what to tell the sender when the account a notification names cannot be
// read: refused (503, the sender retries) when the system is down, acknowledged and reported when
// the record itself is invalid (retrying would never help). The sources here are stand-ins of the
// gateway's own GuardedSource interface; the signature check is the real Stripe SDK's.
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import type { GatewayServices } from '../../src/gateway/loaders.ts';
import type { GuardedSource } from '../../src/gateway/guarded-source.ts';
import type { LiveMatcher } from '../../src/identity/live-matcher.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { SourceUnavailableGraphQLError } from '../../src/server/errors.ts';
import { InvalidSourceRecordError } from '../../src/sources/errors.ts';
import { createWebhookIntake } from '../../src/sync/intake.ts';
import { stripeWebhook } from '../../src/sources/stripe/webhook.ts';
import { createMemoryDeliveryLog } from '../../src/sync/deliveries.ts';

const SECRET = 'whsec_test_intake';
const stripe = new Stripe('sk_test_intake');

function intakeWith(loaded: Error) {
  const matched: string[] = [];
  const source = { system: 'stripe', loadAccounts: (ids: readonly string[]) => Promise.resolve(ids.map(() => loaded)) } as unknown as GuardedSource;
  const services = {
    sources: { stripe: source },
    identity: { goldenIdsFor: (refs: readonly unknown[]) => Promise.resolve(refs.map(() => null)) },
    cache: { invalidate: () => Promise.resolve() },
    liveMatcher: { matchRecord: (r: { id: string }) => (matched.push(r.id), Promise.reject(new Error('not expected'))) } as unknown as LiveMatcher,
    now: () => new Date(),
  } as unknown as GatewayServices;
  const intake = createWebhookIntake(services, { stripe: stripeWebhook(stripe, SECRET) }, createLogger({ quiet: true }), createMemoryDeliveryLog());
  const body = JSON.stringify({ id: 'evt_1', object: 'event', type: 'customer.created', created: 1, data: { object: { id: 'cus_BAD', object: 'customer' } } });
  const send = () => intake.handle('stripe', { 'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload: body, secret: SECRET }) }, body);
  return { send, matched };
}

describe('webhook intake when the named account cannot be read', () => {
  it('acknowledges an invalid record and reports it, so the sender does not retry for days', async () => {
    const invalid = new InvalidSourceRecordError('stripe', 'cus_BAD', 'address.country', 'expected a string');
    const { send, matched } = intakeWith(new SourceUnavailableGraphQLError('stripe', invalid.message, invalid));
    const answer = await send();
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ received: true, linked: [], invalid: [{ system: 'stripe', id: 'cus_BAD', error: expect.stringContaining('address.country') as unknown }] });
    expect(matched).toEqual([]);
  });

  it('refuses with 503 when the system cannot answer', async () => {
    const { send, matched } = intakeWith(new SourceUnavailableGraphQLError('stripe', 'no answer within 2000 ms'));
    const answer = await send();
    expect(answer.status).toBe(503);
    expect((JSON.parse(answer.body) as { error: string }).error).toMatch(/could not read stripe record cus_BAD/);
    expect(matched).toEqual([]);
  });
});

describe('webhook intake under a flood of refused deliveries', () => {
  it('logs the same refusal once per window, however often an unsigned sender posts it, and counts the repeats', async () => {
    const lines: { msg: string; extra: Record<string, unknown> }[] = [];
    const logger = { info: () => undefined, error: (msg: string, extra: Record<string, unknown> = {}) => void lines.push({ msg, extra }) };
    const services = { now: () => new Date() } as unknown as GatewayServices;
    const intake = createWebhookIntake(services, { stripe: stripeWebhook(stripe, SECRET) }, logger, createMemoryDeliveryLog());
    const answers = await Promise.all(Array.from({ length: 100 }, () => intake.handle('stripe', {}, '{"id":"evt_1"}')));
    expect(answers.every((a) => a.status === 400)).toBe(true);
    expect(lines.filter((l) => l.msg === 'webhook rejected')).toEqual([{ msg: 'webhook rejected', extra: { system: 'stripe', status: 400, reason: 'missing Stripe-Signature header' } }]);
  });
});

describe('createLogOnce', () => {
  it('says a key once per window and how many times it was held back', async () => {
    const { createLogOnce } = await import('../../src/observability/log-once.ts');
    const lines: Record<string, unknown>[] = [];
    let t = 0;
    const logOnce = createLogOnce({ info: () => undefined, error: (_m, extra = {}) => void lines.push(extra) }, { windowMs: 1_000, now: () => t });
    for (let i = 0; i < 5; i++) logOnce('x', { n: i }, 'a');
    logOnce('x', { n: 'b' }, 'b');
    t = 1_000;
    logOnce('x', { n: 5 }, 'a');
    logOnce('x', { n: 6 }, 'a');
    expect(lines).toEqual([{ n: 0 }, { n: 'b' }, { n: 5, repeats: 4 }]);
  });
});

// Webhook intake: a verified notification is stored and its changes queued, without reading any
// system (the worker reads them); and the change handler deciding what a job's failure means: the
// system cannot answer (thrown: pg-boss retries the job) or the record itself is invalid
// (recorded with its reason and completed: retrying would never help). The sources here are
// stand-ins of the gateway's own GuardedSource interface; the signature check is the real Stripe SDK's.
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
import { createMemoryWebhookInbox } from '../../src/sync/inbox.ts';
import { createChangeHandler, SourceReadError } from '../../src/sync/change.ts';
import type { ChangeJob } from '../../src/sync/queue.ts';

const SECRET = 'whsec_test_intake';
const stripe = new Stripe('sk_test_intake');

describe('webhook intake', () => {
  it('stores a signed event and queues its change without calling any system; a repeat queues nothing', async () => {
    const inbox = createMemoryWebhookInbox();
    const intake = createWebhookIntake({ verifiers: { stripe: stripeWebhook(stripe, SECRET) }, inbox, logger: createLogger({ quiet: true }) });
    const body = JSON.stringify({ id: 'evt_1', object: 'event', type: 'customer.updated', created: 1, data: { object: { id: 'cus_1', object: 'customer' } } });
    const send = () => intake.handle('stripe', { 'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload: body, secret: SECRET }) }, body);
    const first = await send();
    expect(first.status).toBe(200);
    expect(JSON.parse(first.body)).toEqual({ received: true, queued: 1 });
    expect(inbox.queued).toEqual([{ system: 'stripe', type: 'account', id: 'cus_1', reason: 'webhook', eventId: 'evt_1' }]);
    const again = await send();
    expect(JSON.parse(again.body)).toEqual({ received: true, duplicate: true });
    expect(inbox.queued).toHaveLength(1);
  });
});

function handlerWith(loaded: Error) {
  const matched: string[] = [];
  const invalid: { id: string; reason: string }[] = [];
  const source = { system: 'stripe', loadAccounts: (ids: readonly string[]) => Promise.resolve(ids.map(() => loaded)) } as unknown as GuardedSource;
  const services = {
    sources: { stripe: source },
    identity: { goldenIdsFor: (refs: readonly unknown[]) => Promise.resolve(refs.map(() => null)) },
    cache: { invalidate: () => Promise.resolve() },
    liveMatcher: { matchRecord: (r: { id: string }) => (matched.push(r.id), Promise.reject(new Error('not expected'))) } as unknown as LiveMatcher,
  } as unknown as GatewayServices;
  const handler = createChangeHandler({
    services,
    invalidRecords: { record: (_c, id, reason) => (invalid.push({ id, reason }), Promise.resolve()) },
    pubsub: { publish: () => Promise.resolve() },
    logger: createLogger({ quiet: true }),
  });
  const change: ChangeJob = { system: 'stripe', type: 'account', id: 'cus_BAD', reason: 'webhook', eventId: 'evt_1' };
  return { run: () => handler.handle(change), matched, invalid };
}

describe('sync change handler when the named account cannot be read', () => {
  it('records an invalid record with its reason and completes, so the job is not retried for days', async () => {
    const bad = new InvalidSourceRecordError('stripe', 'cus_BAD', 'address.country', 'expected a string');
    const { run, matched, invalid } = handlerWith(new SourceUnavailableGraphQLError('stripe', bad.message, bad));
    const outcome = await run();
    expect(outcome).toMatchObject({ status: 'invalid', reason: expect.stringContaining('address.country') as unknown });
    expect(invalid).toEqual([{ id: 'cus_BAD', reason: expect.stringContaining('address.country') as unknown }]);
    expect(matched).toEqual([]);
  });

  it('throws (the queue retries the job with backoff) when the system cannot answer', async () => {
    const { run, matched, invalid } = handlerWith(new SourceUnavailableGraphQLError('stripe', 'no answer within 2000 ms'));
    await expect(run()).rejects.toThrow(SourceReadError);
    await expect(run()).rejects.toThrow(/could not read stripe record cus_BAD/);
    expect(matched).toEqual([]);
    expect(invalid).toEqual([]);
  });
});

describe('webhook intake under a flood of refused deliveries', () => {
  it('logs the same refusal once per window, however often an unsigned sender posts it, and counts the repeats', async () => {
    const lines: { msg: string; extra: Record<string, unknown> }[] = [];
    const logger = { info: () => undefined, error: (msg: string, extra: Record<string, unknown> = {}) => void lines.push({ msg, extra }) };
    const intake = createWebhookIntake({ verifiers: { stripe: stripeWebhook(stripe, SECRET) }, inbox: createMemoryWebhookInbox(), logger });
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

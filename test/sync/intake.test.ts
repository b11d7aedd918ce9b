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
import { SourceUnavailableError } from '../../src/server/errors.ts';
import { InvalidSourceRecordError } from '../../src/sources/errors.ts';
import { createWebhookIntake } from '../../src/sync/intake.ts';
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
  const intake = createWebhookIntake(services, { stripe: { client: stripe, secret: SECRET } }, createLogger({ quiet: true }), createMemoryDeliveryLog());
  const body = JSON.stringify({ id: 'evt_1', object: 'event', type: 'customer.created', created: 1, data: { object: { id: 'cus_BAD', object: 'customer' } } });
  const send = () => intake.handle('stripe', { 'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload: body, secret: SECRET }) }, body);
  return { send, matched };
}

describe('webhook intake when the named account cannot be read', () => {
  it('acknowledges an invalid record and reports it, so the sender does not retry for days', async () => {
    const invalid = new InvalidSourceRecordError('stripe', 'cus_BAD', 'address.country', 'expected a string');
    const { send, matched } = intakeWith(new SourceUnavailableError('stripe', invalid.message, invalid));
    const answer = await send();
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ received: true, linked: [], invalid: [{ system: 'stripe', id: 'cus_BAD', error: expect.stringContaining('address.country') as unknown }] });
    expect(matched).toEqual([]);
  });

  it('refuses with 503 when the system cannot answer', async () => {
    const { send, matched } = intakeWith(new SourceUnavailableError('stripe', 'no answer within 2000 ms'));
    const answer = await send();
    expect(answer.status).toBe(503);
    expect((JSON.parse(answer.body) as { error: string }).error).toMatch(/could not read stripe record cus_BAD/);
    expect(matched).toEqual([]);
  });
});

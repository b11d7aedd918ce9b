// Stripe webhooks: the signature is checked with the SDK's own verifier, then each event names
// the customer it concerns. https://docs.stripe.com/webhooks#verify-events
import type Stripe from 'stripe';
import { type ChangeNotice, WebhookRejectedError } from '../../sync/notices.ts';

export function parseStripeWebhook(stripe: Stripe, rawBody: string, signature: string | undefined, secret: string): ChangeNotice[] {
  if (!signature) throw new WebhookRejectedError(400, 'missing Stripe-Signature header');
  let event: Stripe.Event;
  try {
    event = stripe.webhooks.constructEvent(rawBody, signature, secret);
  } catch (e) {
    throw new WebhookRejectedError(400, `Stripe signature check failed: ${(e as Error).message}`);
  }
  const object = event.data.object as unknown as Record<string, unknown>;
  // customer.* events carry the customer; billing objects name theirs in `customer`.
  const customerId = object['object'] === 'customer' ? object['id'] : object['customer'];
  if (typeof customerId !== 'string') return [];
  return [{ system: 'stripe', level: 'account', id: customerId, event: event.type, identity: object['object'] === 'customer' }];
}

// Stripe webhooks: the signature is checked with the SDK's own verifier, then each event names
// the customer it concerns. https://docs.stripe.com/webhooks#verify-events
// The SDK refuses a signature older than its tolerance but takes one dated in the future; a
// timestamp is a claim of when Stripe signed, so both sides are held to the same window.
import type Stripe from 'stripe';
import { type ChangeNotice, type Delivery, WebhookRejectedError } from '../../sync/notices.ts';
import type { WebhookVerifier } from '../contract.ts';

/** Seconds a signature may be away from our clock, either way (stripe-node's default tolerance). */
export const STRIPE_SIGNATURE_TOLERANCE_S = 300;

/** The signed timestamp, read as the SDK reads it (the last `t=` element). */
function signedAt(header: string): number | null {
  let t: number | null = null;
  for (const part of header.split(',')) {
    const [k, v] = part.split('=', 2);
    if (k?.trim() === 't' && v !== undefined && /^\d+$/.test(v.trim())) t = Number(v.trim());
  }
  return t;
}

export function parseStripeWebhook(stripe: Stripe, rawBody: string, signature: string | undefined, secret: string, now: Date = new Date()): Delivery[] {
  if (!signature) throw new WebhookRejectedError(400, 'missing Stripe-Signature header', 'signature');
  let event: Stripe.Event;
  try {
    event = stripe.webhooks.constructEvent(rawBody, signature, secret, STRIPE_SIGNATURE_TOLERANCE_S, undefined, now.getTime());
  } catch (e) {
    throw new WebhookRejectedError(400, `Stripe signature check failed: ${(e as Error).message}`, 'signature');
  }
  const t = signedAt(signature);
  if (t === null || t - Math.floor(now.getTime() / 1000) > STRIPE_SIGNATURE_TOLERANCE_S) {
    throw new WebhookRejectedError(400, `Stripe signature check failed: timestamp ${String(t)} is more than ${STRIPE_SIGNATURE_TOLERANCE_S} s in the future`, 'signature');
  }
  const eventId = typeof event.id === 'string' && event.id !== '' ? event.id : null;
  return [{ eventId, notices: noticesOfStripeEvent(event) }];
}

/** The customer an event concerns (a webhook's, or one read from the events list by the poller). */
export function noticesOfStripeEvent(event: Stripe.Event): ChangeNotice[] {
  const object = event.data.object as unknown as Record<string, unknown>;
  // customer.* events carry the customer; billing objects name theirs in `customer`.
  const customerId = object['object'] === 'customer' ? object['id'] : object['customer'];
  if (typeof customerId !== 'string') return [];
  // customer.updated names what changed and its old values (https://docs.stripe.com/api/events/object#event_object-data-previous_attributes).
  const previous = (event.data as { previous_attributes?: unknown }).previous_attributes;
  const attributes = object['object'] === 'customer' && previous !== null && typeof previous === 'object' ? Object.keys(previous).slice(0, 100) : [];
  return [{ system: 'stripe', level: 'account', id: customerId, event: event.type, identity: object['object'] === 'customer', ...(attributes.length > 0 ? { attributes } : {}) }];
}

/** The route's verifier (src/sources/contract.ts): the signature header, checked with the SDK. */
export function stripeWebhook(stripe: Stripe, secret: string): WebhookVerifier {
  return { parse: (header, rawBody, now) => parseStripeWebhook(stripe, rawBody, header('stripe-signature'), secret, now) };
}

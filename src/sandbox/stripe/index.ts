// The Stripe API emulator: the v1 endpoints Meridian's connector uses, close enough to the real
// API that stripe-node works against it unchanged (`host`, `port`, `protocol: 'http'`).
// What is and is not supported: docs/sandbox/stripe.md.
import { createHmac } from 'node:crypto';
import type { Emulator, EmulatorRequest, EmulatorResponse, FaultStyle } from '../kit/server.ts';
import { startEmulator } from '../kit/server.ts';
import { WebhookNotifier } from '../kit/notifier.ts';
import type { Delivery } from '../kit/notifier.ts';
import type { StripeData } from '../world/types.ts';
import { IdempotencyCache } from './idempotency.ts';
import { buildRouter, unrecognizedUrl } from './routes.ts';
import { StripeStore } from './store.ts';

export { StripeStore } from './store.ts';
export type { ChangeContext, CustomerInput, StripeEventRecord, StripeObjectKind, StripeObjects } from './store.ts';
export { parseSearchQuery, matchesSearch, SearchQueryError } from './search.ts';

export const STRIPE_SANDBOX_API_KEY = 'sk_test_meridian_sandbox';
export const STRIPE_SANDBOX_WEBHOOK_SECRET = 'whsec_meridian_sandbox';
export const STRIPE_SANDBOX_PORT = 4402;
/**
 * The account's API version: the one stripe-node 23.1 pins (`Stripe.API_VERSION`), so events
 * and SDK agree. Every object is served in this version's shape, whatever `Stripe-Version` a
 * request sends (it is echoed, not applied): items carry `current_period_*`, invoices name
 * their subscription in `parent`, charges link to invoices only through invoice payments.
 */
export const STRIPE_SANDBOX_API_VERSION = '2026-10-28.endive';
/**
 * Real Stripe retries a failed webhook with exponential backoff for up to three days; the
 * sandbox keeps that shape on a clock of seconds to minutes.
 */
export const DEFAULT_WEBHOOK_RETRY_DELAYS_MS: readonly number[] = [1_000, 5_000, 30_000, 120_000, 600_000];

export interface StripeEmulatorOptions {
  data: StripeData;
  /** Default 0 (ephemeral); the CLI passes 4402. */
  port?: number;
  host?: string;
  apiKey?: string;
  webhookSecret?: string;
  webhookUrl?: string | null;
  webhookRetryDelaysMs?: readonly number[];
  /** The clock for `created`, events and idempotency-key expiry. */
  now?: () => Date;
  apiVersion?: string;
}

export interface StripeEmulator extends Emulator {
  readonly credentials: { apiKey: string; webhookSecret: string };
  /** In-process access to the objects and events; changes made here emit events and webhooks too. */
  readonly store: StripeStore;
}

/** `Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body", keyed with the whole whsec_ string>`. */
export function stripeSignatureHeader(body: string, secret: string, at: Date): string {
  const t = Math.floor(at.getTime() / 1000);
  const v1 = createHmac('sha256', secret).update(`${t}.${body}`, 'utf8').digest('hex');
  return `t=${t},v1=${v1}`;
}

let faultRequestSeq = 0;
const faultRequestId = (): string => `req_sandboxfault${String(++faultRequestSeq).padStart(6, '0')}`;

/**
 * Stripe's wording for injected faults. https://docs.stripe.com/rate-limits: a 429 carries
 * `code: 'rate_limit'` under `invalid_request_error`. No `Stripe-Should-Retry` header on it, so
 * stripe-node surfaces StripeRateLimitError at once and the caller owns the backoff (the SDK
 * retries a 429 only when the header says true, which Stripe sends for lock timeouts). 5xx
 * answers are `api_error` without the header, which stripe-node retries up to maxNetworkRetries.
 */
export const stripeFaultStyle: FaultStyle = {
  rateLimited: (retryAfterSeconds: number): EmulatorResponse => ({
    status: 429,
    headers: { 'request-id': faultRequestId(), 'retry-after': String(retryAfterSeconds) },
    body: {
      error: {
        type: 'invalid_request_error',
        code: 'rate_limit',
        doc_url: 'https://stripe.com/docs/error-codes/rate-limit',
        message: 'Request rate limit exceeded. You can learn more about rate limits here https://stripe.com/docs/rate-limits.',
      },
    },
  }),
  serverError: (status: number): EmulatorResponse => ({
    status,
    headers: { 'request-id': faultRequestId() },
    body: { error: { type: 'api_error', message: 'Sorry, something went wrong on our end. Please try again, or contact support at https://support.stripe.com/.' } },
  }),
  unavailable: (): EmulatorResponse => ({
    status: 503,
    headers: { 'request-id': faultRequestId() },
    body: { error: { type: 'api_error', message: 'Stripe is temporarily unavailable. Please try again later.' } },
  }),
  notFound: (req: EmulatorRequest): EmulatorResponse => {
    const err = unrecognizedUrl(req);
    return { status: err.status, headers: { 'request-id': faultRequestId() }, body: { error: err.body } };
  },
};

export async function startStripeEmulator(opts: StripeEmulatorOptions): Promise<StripeEmulator> {
  const apiKey = opts.apiKey ?? STRIPE_SANDBOX_API_KEY;
  const webhookSecret = opts.webhookSecret ?? STRIPE_SANDBOX_WEBHOOK_SECRET;
  const now = opts.now ?? ((): Date => new Date());
  const notifier = new WebhookNotifier({
    // Signed at the moment of each attempt, as Stripe does: constructEvent checks `t` against
    // the receiver's clock (300 s tolerance), not against the event's `created`.
    sign: (body, at) => ({ 'stripe-signature': stripeSignatureHeader(body, webhookSecret, at) }),
    retryDelaysMs: opts.webhookRetryDelaysMs ?? DEFAULT_WEBHOOK_RETRY_DELAYS_MS,
  });
  if (opts.webhookUrl) notifier.setTarget(opts.webhookUrl);

  const deliveries = new Map<string, Delivery>();
  const store = new StripeStore(opts.data, {
    now,
    apiVersion: opts.apiVersion ?? STRIPE_SANDBOX_API_VERSION,
    webhookEndpoints: () => (notifier.target === null ? 0 : 1),
    pendingWebhooks: (eventId) => {
      const d = deliveries.get(eventId);
      if (!d) return undefined;
      return d.state === 'delivered' ? 0 : 1;
    },
  });
  store.onEvent((event) => {
    const delivery = notifier.enqueue({
      body: JSON.stringify(event, null, 2),
      contentType: 'application/json; charset=utf-8',
      headers: { 'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)' },
      label: event.type,
    });
    if (delivery) deliveries.set(event.id, delivery);
  });

  const router = buildRouter({ store, apiKey, idempotency: new IdempotencyCache(now) });
  const emulator = await startEmulator({
    name: 'stripe',
    ...(opts.host !== undefined ? { host: opts.host } : {}),
    port: opts.port ?? 0,
    router,
    faultStyle: stripeFaultStyle,
    notifier,
    describeState: () => store.counts(),
  });
  return { ...emulator, credentials: { apiKey, webhookSecret }, store };
}

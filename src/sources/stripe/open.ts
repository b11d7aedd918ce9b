// Opens the Stripe connector for the gateway: one client without the SDK's own retries (the
// gateway's deadline and breaker decide), and the webhook route when a signing secret is set.
import type { ConnectorDeps, OpenedSystem } from '../contract.ts';
import { createStripeClient } from './client.ts';
import { createStripeConnector } from './index.ts';
import type { StripeSettings } from './settings.ts';
import { stripeWebhook } from './webhook.ts';
import { createStripeWriter } from './writer.ts';
import { stripeEventsFeed } from './feed.ts';

export function openStripe(settings: StripeSettings, deps: ConnectorDeps): OpenedSystem<'stripe'> {
  const connector = createStripeConnector(createStripeClient(settings, { timeoutMs: deps.timeoutMs, maxNetworkRetries: 0 }), { clock: deps.clock });
  const secret = settings.webhookSecret;
  return {
    connector,
    ...(secret ? { webhook: () => stripeWebhook(createStripeClient(settings), secret) } : {}),
    // The outbox owns retries (backoff honouring Retry-After): the SDK makes none of its own.
    changes: [stripeEventsFeed(createStripeClient(settings, { timeoutMs: deps.timeoutMs, maxNetworkRetries: 0 }), () => deps.clock.now())],
    writer: createStripeWriter(createStripeClient(settings, { timeoutMs: deps.timeoutMs, maxNetworkRetries: 0 })),
    close: () => connector.close(),
  };
}

// stripe-node set-up. https://github.com/stripe/stripe-node#configuration
import Stripe from 'stripe';
import type { StripeSettings } from './settings.ts';

export interface StripeClientOptions {
  /** Per-request timeout in ms (default 10 s; the gateway's source timeout is shorter). */
  timeoutMs?: number;
  /** SDK retries on network errors, 409 and 5xx, with the same Idempotency-Key. */
  maxNetworkRetries?: number;
}

export function createStripeClient(settings: StripeSettings, options: StripeClientOptions = {}): Stripe {
  const base = settings.apiBase;
  const protocol = base.protocol === 'http:' ? 'http' : 'https';
  return new Stripe(settings.apiKey, {
    host: base.hostname,
    port: base.port ? Number(base.port) : protocol === 'http' ? 80 : 443,
    protocol,
    timeout: options.timeoutMs ?? 10_000,
    maxNetworkRetries: options.maxNetworkRetries ?? 2,
    telemetry: false,
  });
}

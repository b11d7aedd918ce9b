// Stripe's settings (CONTRACT.md § Environment): a secret or restricted key, where the API is,
// and the webhook's signing secret.
import { z } from 'zod';
import type { Env } from '../contract.ts';
import { envReader, isUrl } from '../settings.ts';

export interface StripeSettings {
  apiKey: string;
  /** Where the API is; Stripe's own host unless STRIPE_API_BASE says otherwise. */
  apiBase: URL;
  webhookSecret: string | null;
}

export const stripeSettings = z.custom<Env>().transform((env, ctx): StripeSettings | null => {
  const e = envReader(env, ctx);
  if (!e.any(['STRIPE_API_KEY', 'STRIPE_API_BASE', 'STRIPE_WEBHOOK_SECRET'])) return null;
  e.need('Stripe', ['STRIPE_API_KEY']);
  e.url('STRIPE_API_BASE', ['http:', 'https:']);
  const key = e.get('STRIPE_API_KEY');
  if (key !== undefined && !/^(sk|rk)_(test|live)_/.test(key)) e.problem('STRIPE_API_KEY: must be a secret or restricted key (sk_… or rk_…)');
  const base = e.get('STRIPE_API_BASE') ?? 'https://api.stripe.com';
  return {
    apiKey: key ?? '',
    apiBase: isUrl(base, ['http:', 'https:']) ? new URL(base) : new URL('https://api.stripe.com'),
    webhookSecret: e.get('STRIPE_WEBHOOK_SECRET') ?? null,
  };
});

// Stripe, as the registry knows it (src/sources/contract.ts): customers (the account level and
// the billing entity at once) with subscriptions, invoices and charges; signed webhooks.
import type { ChargeRecord, InvoiceRecord, SubscriptionRecord } from '../../domain/records.ts';
import type { SystemDescriptor } from '../contract.ts';
import { stripeSettings, type StripeSettings } from './settings.ts';

export interface StripeKinds {
  subscriptions: SubscriptionRecord;
  invoices: InvoiceRecord;
  charges: ChargeRecord;
}

export const stripeSystem: SystemDescriptor<'stripe', StripeSettings, StripeKinds> = {
  id: 'stripe',
  label: 'Stripe',
  settings: stripeSettings,
  kinds: { account: 'customer', related: { subscriptions: 'subscriptions', invoices: 'invoices', charges: 'charges' }, personIsAccount: true },
  // https://docs.stripe.com/api/pagination (limit ≤ 100)
  maxScanPageSize: 100,
  capabilities: { read: true, changeFeed: true, write: { recordTypes: ['customer'] }, modifiedTime: false, webhook: { unconfigured: 'Stripe webhooks are not configured (STRIPE_WEBHOOK_SECRET)' } },
  create: async (settings, deps) => (await import('./open.ts')).openStripe(settings, deps),
};

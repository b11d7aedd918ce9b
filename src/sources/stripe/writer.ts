// Writes to Stripe customers: https://docs.stripe.com/api/customers/update
// One POST /v1/customers/{id} per outbox row, with the row's idempotency key, so a retry of a
// write that reached Stripe is answered from Stripe's saved result instead of applied again.
import type Stripe from 'stripe';
import type { RecordWriter } from '../contract.ts';
import { nestPaths } from '../../sync/writer.ts';
import { stripeFailure } from './reader.ts';

export function createStripeWriter(stripe: Stripe, options: { now?: () => Date } = {}): RecordWriter {
  const now = options.now ?? (() => new Date());
  return {
    system: 'stripe',
    write: async (record, changes, { idempotencyKey }) => {
      // Stripe takes '' to unset a value; nested hashes (address) are sent whole by the plan.
      const params = nestPaths(changes, '') as Stripe.CustomerUpdateParams;
      try {
        await stripe.customers.update(record.id, params, { idempotencyKey });
      } catch (e) {
        throw stripeFailure(e, now());
      }
    },
  };
}

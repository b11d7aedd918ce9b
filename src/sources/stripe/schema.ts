// Raw Stripe API objects as zod schemas: only the fields the mapping reads are checked, every
// other field passes through untouched (Stripe adds fields in every API version). Shapes are
// API version 2026-10-28.endive, the one stripe-node 23 pins: since 2025-03-31.basil the billing
// period lives on subscription items, not on the subscription.
// https://docs.stripe.com/api/customers/object
import { z } from 'zod';

/** Stripe ids are `<prefix>_<alphanumerics>`; a customer id is `cus_…`. */
export const CUSTOMER_ID_RE = /^cus_[A-Za-z0-9]{1,250}$/;

const unixSeconds = z.number().int().nonnegative();
const currency = z.string().regex(/^[a-zA-Z]{3}$/, 'expected a three-letter currency code');
const metadata = z.record(z.string(), z.string());
/** An id field that may come back expanded into its object. */
const idOrObject = z.union([z.string(), z.looseObject({ id: z.string() })]);

// https://docs.stripe.com/api/subscriptions/object
export const subscriptionItemSchema = z.looseObject({
  id: z.string(),
  price: z.looseObject({
    id: z.string(),
    // null for tiered and metered prices: the amount is then not a simple product.
    unit_amount: z.number().int().nullable(),
    currency,
    recurring: z.looseObject({ interval: z.enum(['day', 'week', 'month', 'year']), interval_count: z.number().int().positive() }).nullable(),
  }),
  quantity: z.number().int().nonnegative().optional(),
  current_period_start: unixSeconds,
  current_period_end: unixSeconds,
});

export const subscriptionSchema = z.looseObject({
  id: z.string().startsWith('sub_'),
  object: z.literal('subscription'),
  customer: idOrObject,
  status: z.string(),
  currency,
  items: z.looseObject({ data: z.array(subscriptionItemSchema) }),
  cancel_at_period_end: z.boolean(),
  created: unixSeconds,
});
export type RawSubscription = z.infer<typeof subscriptionSchema>;

/** A list as the API returns it: `{object: 'list', data, has_more}`. */
const listOf = <T extends z.ZodType>(item: T) => z.looseObject({ object: z.literal('list'), data: z.array(item), has_more: z.boolean() });

/** The customer's fields we read; `subscriptions` is the includable list (expand[]=subscriptions). */
export const customerSchema = z.looseObject({
  id: z.string().regex(CUSTOMER_ID_RE, 'expected a cus_… id'),
  object: z.literal('customer'),
  email: z.string().nullable(),
  name: z.string().nullable().optional(),
  metadata,
  created: unixSeconds,
  // Checked as an unknown list here; each subscription is checked on its own, so one bad
  // subscription names itself in the error.
  subscriptions: listOf(z.unknown()).optional(),
});
export type RawCustomer = z.infer<typeof customerSchema>;

/** What retrieving a deleted customer returns. https://docs.stripe.com/api/customers/delete */
export const deletedCustomerSchema = z.looseObject({ id: z.string(), object: z.literal('customer'), deleted: z.literal(true) });

// https://docs.stripe.com/api/invoices/object
export const invoiceSchema = z.looseObject({
  id: z.string().startsWith('in_'),
  object: z.literal('invoice'),
  customer: idOrObject.nullable(),
  // Drafts have no number yet; status is nullable in the API reference.
  number: z.string().nullable(),
  status: z.string().nullable(),
  currency,
  amount_due: z.number().int(),
  amount_paid: z.number().int(),
  created: unixSeconds,
  due_date: unixSeconds.nullable(),
});
export type RawInvoice = z.infer<typeof invoiceSchema>;

// https://docs.stripe.com/api/charges/object
export const chargeSchema = z.looseObject({
  id: z.string().startsWith('ch_'),
  object: z.literal('charge'),
  customer: idOrObject.nullable(),
  status: z.string(),
  amount: z.number().int(),
  currency,
  paid: z.boolean(),
  failure_message: z.string().nullable(),
  created: unixSeconds,
});
export type RawCharge = z.infer<typeof chargeSchema>;

/** A page of any list endpoint; its items are checked one by one by the caller. */
export const listPageSchema = listOf(z.unknown());

// Stripe objects (validated by schema.ts) → Meridian's canonical source records. Pure functions.
import type { ChargeRecord, InvoiceRecord, Money, SourceRecord, SubscriptionRecord } from '../types.ts';
import { moneyFromMinorUnits } from '../money.ts';
import type { RawCharge, RawCustomer, RawInvoice, RawSubscription } from './schema.ts';

/** Unix seconds → ISO-8601 UTC. */
export const isoFromUnix = (seconds: number): string => new Date(seconds * 1000).toISOString();

/** Metadata keys Meridian's integrations write on a Stripe customer, and the system each names. */
export const XREF_METADATA = [
  { key: 'salesforce_account_id', system: 'salesforce' },
  { key: 'erp_customer_number', system: 'erp' },
] as const;

/**
 * A customer with its current subscriptions as one SourceRecord.
 *
 * `updatedAt` is the customer's `created`: Stripe keeps no last-modified time on objects (the
 * only change history is the events feed), so creation is the best the object itself says.
 * The merge should therefore treat Stripe values as "as of created" unless a webhook/event
 * told us a newer time.
 *
 * `data` is the customer as the API returned it, with `subscriptions: {data: [...]}` holding
 * every current (not canceled) subscription, complete even past the API's 10 included ones.
 */
export function customerToSourceRecord(customer: RawCustomer, subscriptions: readonly RawSubscription[]): SourceRecord {
  const xrefs: SourceRecord['xrefs'] = [];
  for (const { key, system } of XREF_METADATA) {
    const value = customer.metadata[key]?.trim();
    if (value) xrefs.push({ system, id: value, field: `metadata.${key}` });
  }
  const email = customer.email?.trim().toLowerCase();
  return {
    system: 'stripe',
    type: 'customer',
    id: customer.id,
    updatedAt: isoFromUnix(customer.created),
    data: { ...customer, subscriptions: { data: [...subscriptions] } },
    xrefs,
    emails: email ? [email] : [],
    deleted: false,
  };
}

/** How often a price recurs: 'month', 'year', or e.g. '3 months' for interval_count 3. */
function intervalLabel(recurring: { interval: string; interval_count: number } | null): string | null {
  if (!recurring) return null;
  return recurring.interval_count === 1 ? recurring.interval : `${recurring.interval_count} ${recurring.interval}s`;
}

/**
 * Amount per period = Σ items' `price.unit_amount × quantity` (quantity defaults to 1), in the
 * subscription's currency; null when any item has no unit amount (tiered or metered prices),
 * because then the amount depends on usage. Interval from the first item's price (Stripe
 * requires every item of a subscription to share it). The current period end is the earliest
 * of the items' ends (since basil each item has its own; Stripe filters on that minimum too).
 */
export function toSubscriptionRecord(s: RawSubscription): SubscriptionRecord {
  const items = s.items.data;
  let amount: Money | null = null;
  if (items.length > 0 && items.every((i) => i.price.unit_amount !== null)) {
    const minor = items.reduce((sum, i) => sum + (i.price.unit_amount ?? 0) * (i.quantity ?? 1), 0);
    amount = moneyFromMinorUnits(minor, s.currency);
  }
  const ends = items.map((i) => i.current_period_end);
  return {
    id: s.id,
    status: s.status,
    amount,
    interval: intervalLabel(items[0]?.price.recurring ?? null),
    currentPeriodEnd: ends.length > 0 ? isoFromUnix(Math.min(...ends)) : null,
    cancelAtPeriodEnd: s.cancel_at_period_end,
  };
}

/** `amount` is what the invoice asks for (`amount_due`), `amountPaid` what was paid so far. */
export function toInvoiceRecord(i: RawInvoice): InvoiceRecord {
  return {
    id: i.id,
    system: 'stripe',
    number: i.number,
    status: i.status ?? 'unknown',
    amount: moneyFromMinorUnits(i.amount_due, i.currency),
    amountPaid: moneyFromMinorUnits(i.amount_paid, i.currency),
    issuedAt: isoFromUnix(i.created),
    dueAt: i.due_date === null ? null : isoFromUnix(i.due_date),
  };
}

export function toChargeRecord(c: RawCharge): ChargeRecord {
  return {
    id: c.id,
    status: c.status,
    amount: moneyFromMinorUnits(c.amount, c.currency),
    paid: c.paid,
    failureMessage: c.failure_message,
    createdAt: isoFromUnix(c.created),
  };
}

// Batched reads from Stripe through stripe-node. Stripe has no batch retrieve and its lists
// take one customer at a time, so a batch of keys becomes one call per unique key, at most
// `concurrency` in flight. Every answer is validated (schema.ts) before it is used; every
// failure becomes a SourceError for its key only.
import Stripe from 'stripe';
import type { z } from 'zod';
import { mapWithConcurrency } from '../concurrency.ts';
import type { InvalidSourceRecordError} from '../errors.ts';
import { InvalidSourceIdError, invalidRecord, SourceError, SourceRateLimitedError, SourceUnavailableError } from '../errors.ts';
import {
  chargeSchema,
  CUSTOMER_ID_RE,
  customerSchema,
  deletedCustomerSchema,
  invoiceSchema,
  listPageSchema,
  subscriptionSchema,
  type RawCharge,
  type RawCustomer,
  type RawInvoice,
  type RawSubscription,
} from './schema.ts';

export interface StripeReaderOptions {
  /** Calls in flight at once for one batch (Stripe allows ~100 reads/s in live mode). */
  concurrency: number;
  /** `limit` of related-object list calls (1–100). */
  relatedPageSize: number;
  /** Pages followed per customer and kind; beyond that a list is cut (see docs/sources/stripe.md). */
  maxRelatedPages: number;
  now: () => Date;
}

/** A customer and its complete list of current subscriptions. */
export interface CustomerWithSubscriptions {
  customer: RawCustomer;
  subscriptions: RawSubscription[];
}

export type RelatedKind = 'subscriptions' | 'invoices' | 'charges';
export interface RawRelated {
  subscriptions: RawSubscription;
  invoices: RawInvoice;
  charges: RawCharge;
}

const RELATED_SCHEMA: { [K in RelatedKind]: z.ZodType<RawRelated[K]> } = { subscriptions: subscriptionSchema, invoices: invoiceSchema, charges: chargeSchema };

/** A validated value, or the error that names the first bad field of the record. */
export function parseRecord<T extends z.ZodType>(schema: T, value: unknown, fallbackId: string): z.infer<T> | InvalidSourceRecordError {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const id = typeof value === 'object' && value !== null && typeof (value as { id?: unknown }).id === 'string' ? (value as { id: string }).id : fallbackId;
  return invalidRecord('stripe', id, parsed.error);
}

export function isCustomerId(id: string): boolean {
  return CUSTOMER_ID_RE.test(id);
}

/** 404 `resource_missing`: the object (or the customer a list filter names) does not exist. */
function isMissing(e: unknown): boolean {
  return e instanceof Stripe.errors.StripeError && e.statusCode === 404 && e.code === 'resource_missing';
}

/** Any failure of a call → the SourceError a caller can act on (rate limit vs. unavailable). */
export function stripeFailure(e: unknown, now: Date): SourceError {
  if (e instanceof SourceError) return e;
  if (e instanceof Stripe.errors.StripeError) {
    const status = e.statusCode ?? null;
    const upstreamCode = e.code ?? e.type;
    const header = e.headers?.['retry-after'];
    const retryAfter = header !== undefined && /^\d+$/.test(header) ? Number(header) : null;
    if (status === 429 || e.type === 'StripeRateLimitError') {
      return new SourceRateLimitedError('stripe', `stripe: rate limited (${upstreamCode}): ${e.message}`, retryAfter, now, { status, upstreamCode, cause: e });
    }
    return new SourceUnavailableError('stripe', `stripe: ${e.type}${status === null ? '' : ` ${status}`} (${upstreamCode}): ${e.message}`, { status, upstreamCode, retryAfterSeconds: retryAfter, cause: e });
  }
  const message = e instanceof Error ? e.message : String(e);
  return new SourceUnavailableError('stripe', `stripe: ${message}`, { cause: e });
}

export class StripeReader {
  readonly #stripe: Stripe;
  readonly #o: StripeReaderOptions;

  constructor(stripe: Stripe, options: StripeReaderOptions) {
    this.#stripe = stripe;
    this.#o = options;
  }

  /**
   * Runs `one` once per unique well-formed id (bounded concurrency) and answers every key in
   * order: malformed ids get InvalidSourceIdError without a call, thrown errors become
   * SourceErrors.
   */
  async #perCustomer<R>(ids: readonly string[], one: (id: string) => Promise<R | Error>): Promise<(R | Error)[]> {
    const unique = [...new Set(ids.filter(isCustomerId))];
    const results = await mapWithConcurrency(unique, this.#o.concurrency, async (id) => {
      try {
        return await one(id);
      } catch (e) {
        return stripeFailure(e, this.#o.now());
      }
    });
    const byId = new Map(unique.map((id, i) => [id, results[i]!]));
    return ids.map((id) => (byId.has(id) ? byId.get(id)! : new InvalidSourceIdError('stripe', id, 'a Stripe customer id (cus_…)')));
  }

  /**
   * Customers by id with their current subscriptions, null for a deleted or unknown customer.
   * https://docs.stripe.com/api/customers/retrieve — with expand[]=subscriptions, the includable
   * list of current subscriptions (https://docs.stripe.com/api/customers/object#customer_object-subscriptions).
   */
  retrieveCustomers(ids: readonly string[]): Promise<(CustomerWithSubscriptions | null | Error)[]> {
    return this.#perCustomer(ids, async (id) => {
      let raw: unknown;
      try {
        raw = await this.#stripe.customers.retrieve(id, { expand: ['subscriptions'] });
      } catch (e) {
        if (isMissing(e)) return null;
        throw e;
      }
      if (deletedCustomerSchema.safeParse(raw).success) return null;
      const customer = parseRecord(customerSchema, raw, id);
      if (customer instanceof Error) return customer;
      return this.#withSubscriptions(customer);
    });
  }

  /** Whether each customer exists (deleted ones do not). https://docs.stripe.com/api/customers/retrieve */
  customersExist(ids: readonly string[]): Promise<(boolean | Error)[]> {
    return this.#perCustomer(ids, async (id) => {
      try {
        const raw: unknown = await this.#stripe.customers.retrieve(id);
        return !deletedCustomerSchema.safeParse(raw).success;
      } catch (e) {
        if (isMissing(e)) return false;
        throw e;
      }
    });
  }

  /**
   * The included `subscriptions` list holds at most 10; past that, the rest comes from the
   * subscriptions list, which without `status` gives the same (current) set.
   */
  async #withSubscriptions(customer: RawCustomer): Promise<CustomerWithSubscriptions | Error> {
    const included = customer.subscriptions;
    const items: unknown[] = included && !included.has_more ? included.data : await this.#listAll('subscriptions', customer.id, false);
    const subscriptions: RawSubscription[] = [];
    for (const item of items) {
      const s = parseRecord(subscriptionSchema, item, customer.id);
      if (s instanceof Error) return s;
      subscriptions.push(s);
    }
    return { customer, subscriptions };
  }

  /** One page of a per-customer list. */
  async #listPage(kind: RelatedKind, customer: string, allStatuses: boolean, startingAfter: string | undefined): Promise<unknown> {
    const page = { customer, limit: this.#o.relatedPageSize, ...(startingAfter === undefined ? {} : { starting_after: startingAfter }) };
    switch (kind) {
      // https://docs.stripe.com/api/subscriptions/list — status 'all' includes canceled ones.
      case 'subscriptions':
        return this.#stripe.subscriptions.list(allStatuses ? { ...page, status: 'all' } : page);
      // https://docs.stripe.com/api/invoices/list
      case 'invoices':
        return this.#stripe.invoices.list(page);
      // https://docs.stripe.com/api/charges/list
      case 'charges':
        return this.#stripe.charges.list(page);
    }
  }

  /** Every item of one customer's list, newest first, up to maxRelatedPages pages. */
  async #listAll(kind: RelatedKind, customer: string, allStatuses: boolean): Promise<unknown[]> {
    const out: unknown[] = [];
    let after: string | undefined;
    for (let pageNo = 0; pageNo < this.#o.maxRelatedPages; pageNo++) {
      const raw = await this.#listPage(kind, customer, allStatuses, after);
      const page = listPageSchema.safeParse(raw);
      if (!page.success) {
        throw invalidRecord('stripe', `${kind} of ${customer}`, page.error);
      }
      out.push(...page.data.data);
      const last = page.data.data.at(-1) as { id?: unknown } | undefined;
      if (!page.data.has_more || typeof last?.id !== 'string') break;
      after = last.id;
    }
    return out;
  }

  /** Related objects per customer; [] for a customer Stripe does not know. */
  listRelated<K extends RelatedKind>(kind: K, ids: readonly string[]): Promise<(RawRelated[K][] | Error)[]> {
    const schema: z.ZodType<RawRelated[K]> = RELATED_SCHEMA[kind];
    return this.#perCustomer(ids, async (id) => {
      let items: unknown[];
      try {
        items = await this.#listAll(kind, id, true);
      } catch (e) {
        if (isMissing(e)) return [];
        throw e;
      }
      const out: RawRelated[K][] = [];
      for (const item of items) {
        const parsed = parseRecord(schema, item, id);
        if (parsed instanceof Error) return parsed;
        out.push(parsed);
      }
      return out;
    });
  }

  /**
   * One page of all customers, newest first, with their current subscriptions included
   * (`expand[]=data.subscriptions`). https://docs.stripe.com/api/customers/list
   * Invalid customers are returned as errors so the caller can report and skip them.
   */
  async customersPage(limit: number, startingAfter: string | undefined): Promise<{ items: (CustomerWithSubscriptions | Error)[]; lastId: string | undefined; hasMore: boolean }> {
    const raw: unknown = await this.#stripe.customers.list({
      limit,
      expand: ['data.subscriptions'],
      ...(startingAfter === undefined ? {} : { starting_after: startingAfter }),
    });
    const page = listPageSchema.safeParse(raw);
    if (!page.success) {
      throw invalidRecord('stripe', 'customers page', page.error);
    }
    const parsed = page.data.data.map((c) => parseRecord(customerSchema, c, '(customer)'));
    const withSubs = await mapWithConcurrency(parsed, this.#o.concurrency, async (c) => {
      if (c instanceof Error) return c;
      try {
        return await this.#withSubscriptions(c);
      } catch (e) {
        return stripeFailure(e, this.#o.now());
      }
    });
    const last = page.data.data.at(-1) as { id?: unknown } | undefined;
    return { items: withSubs, lastId: typeof last?.id === 'string' ? last.id : undefined, hasMore: page.data.has_more };
  }

  /** The cheapest authenticated read. https://docs.stripe.com/api/customers/list */
  async ping(): Promise<void> {
    try {
      await this.#stripe.customers.list({ limit: 1 });
    } catch (e) {
      throw stripeFailure(e, this.#o.now());
    }
  }
}

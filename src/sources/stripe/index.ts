// The Stripe connector: SourceConnector<'stripe'> over stripe-node. Account-level record type
// is `customer` (a Stripe customer is itself the billing entity). What is read, with which
// calls and how many: docs/sources/stripe.md.
import { checkInt, systemClock, type ConnectorClock } from '../options.ts';
import type Stripe from 'stripe';
import type { RelatedKinds, SourceConnector, SourceRecord } from '../types.ts';
import { InvalidSourceRecordError, SourceError } from '../errors.ts';
import { clampPageSize, connectorScanOptions, fetchPageWithRetry, scanPage, type ScanOptions, type ScanPage } from '../scan.ts';
import { customerToSourceRecord, toChargeRecord, toInvoiceRecord, toSubscriptionRecord } from './mapping.ts';
import { StripeReader, stripeFailure } from './reader.ts';

export interface StripeConnectorOptions {
  /** Calls in flight at once per batch (Stripe cannot batch reads). Default 8. */
  concurrency?: number;
  /** Customers per page in scanAccounts (1–100, Stripe's maximum; a larger scan request is clamped). Default 100. */
  pageSize?: number;
  /** `limit` of the per-customer list calls of loadRelated (1–100). Default 100. */
  relatedPageSize?: number;
  /** Pages followed per customer and kind in loadRelated. Default 10 (1,000 objects). */
  maxRelatedPages?: number;
  /** How often scanAccounts retries a page that failed transiently (src/sources/scan.ts) before giving up. Default 5. */
  scanRetries?: number;
  clock?: ConnectorClock;
}


export function createStripeConnector(stripe: Stripe, options: StripeConnectorOptions = {}): SourceConnector<'stripe'> {
  const clock = options.clock ?? systemClock;
  const concurrency = checkInt('concurrency', options.concurrency ?? 8, 1, 100);
  const defaultPageSize = checkInt('pageSize', options.pageSize ?? 100, 1, 100);
  const scanRetries = checkInt('scanRetries', options.scanRetries ?? 5, 0, 20);
  const reader = new StripeReader(stripe, {
    concurrency,
    relatedPageSize: checkInt('relatedPageSize', options.relatedPageSize ?? 100, 1, 100),
    maxRelatedPages: checkInt('maxRelatedPages', options.maxRelatedPages ?? 10, 1, 1000),
    now: () => clock.now(),
  });

  const mapRelated = {
    subscriptions: toSubscriptionRecord,
    invoices: toInvoiceRecord,
    charges: toChargeRecord,
  } as const;

  // https://docs.stripe.com/api/customers/list — newest first; `starting_after` (the last id
  // of a page) is also where a stopped scan resumes.
  async function* scanAccounts(scan: ScanOptions = {}): AsyncIterable<ScanPage> {
    const pageSize = clampPageSize('stripe', scan.pageSize, defaultPageSize);
    const retry = connectorScanOptions(clock, scan, scanRetries);
    let after: string | undefined = scan.after;
    for (;;) {
      // A customer whose subscriptions could not be listed fails the page (retried like any
      // page), instead of being left out of the scan; one that fails its schema is reported.
      const fetch = async (): Promise<Awaited<ReturnType<StripeReader['customersPage']>>> => {
        const page = await reader.customersPage(pageSize, after);
        const failed = page.items.find((i): i is Error => i instanceof Error && !(i instanceof InvalidSourceRecordError));
        if (failed) throw failed;
        return page;
      };
      const page = await fetchPageWithRetry('stripe', fetch, (e) => stripeFailure(e, clock.now()), retry);
      const records: SourceRecord[] = [];
      const invalid: InvalidSourceRecordError[] = [];
      for (const item of page.items) {
        if (item instanceof InvalidSourceRecordError) invalid.push(item);
        else if (item instanceof Error) throw item;
        else records.push(customerToSourceRecord(item.customer, item.subscriptions));
      }
      if (records.length > 0 || invalid.length > 0) yield scanPage(records, page.lastId ?? after ?? null, invalid);
      if (!page.hasMore || page.lastId === undefined) return;
      after = page.lastId;
    }
  }

  return {
    system: 'stripe',

    async loadAccounts(ids) {
      const found = await reader.retrieveCustomers(ids);
      return found.map((r) => (r === null || r instanceof Error ? r : customerToSourceRecord(r.customer, r.subscriptions)));
    },

    async loadRelated<K extends keyof RelatedKinds['stripe']>(kind: K, accountIds: readonly string[]) {
      if (!(kind in mapRelated)) throw new TypeError(`stripe has no related kind ${JSON.stringify(kind)}`);
      const raw = await reader.listRelated(kind, accountIds);
      const map = mapRelated[kind] as (x: unknown) => RelatedKinds['stripe'][K];
      return raw.map((list) => {
        if (list instanceof Error) return list;
        try {
          return list.map(map);
        } catch (e) {
          // Money conversion refuses impossible amounts (unsafe integers, bad currency codes).
          return e instanceof SourceError ? e : stripeFailure(e, clock.now());
        }
      });
    },

    async accountOfPerson(personIds) {
      // A Stripe customer is itself the billing entity: its account is itself, if it exists.
      const exists = await reader.customersExist(personIds);
      return exists.map((e, i) => (e instanceof Error ? e : e ? personIds[i]! : null));
    },

    scanAccounts,

    ping: () => reader.ping(),

    // The Stripe client holds no connections of its own to close (keep-alive sockets die with it).
    close: () => Promise.resolve(),
  };
}

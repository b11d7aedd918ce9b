// The Salesforce connector: Accounts (with contacts and won-opportunity totals), Contacts and
// Opportunities, read through a jsforce Connection the caller built (client.ts) and owns.
import type { Connection } from 'jsforce';
import type { RelatedKinds, SourceConnector } from '../types.ts';
import type { ScanOptions, ScanPage } from '../scan.ts';
import { SalesforceReader, type SalesforceReaderOptions } from './reader.ts';

export interface SalesforceConnectorOptions {
  /** Ids per SOQL `IN (…)` list (default 200; at most 1000). */
  idsPerQuery?: number;
  /** Queries in flight when one batch needs several (default 8). */
  concurrency?: number;
  /** Default page size of scanAccounts (default 200; at most 2,000, and a larger scan request is clamped). */
  scanPageSize?: number;
  /** The org's currency for opportunity amounts when records carry no CurrencyIsoCode (default 'USD'). */
  currency?: string;
  clock?: () => Date;
  /** Told about each record scanAccounts skips because it fails the schema (default: console.warn). */
  onInvalidRecord?: (error: Error) => void;
}

const positiveInt = (name: string, v: number, max: number): number => {
  if (!Number.isInteger(v) || v < 1 || v > max) throw new RangeError(`${name} must be an integer in 1…${max} (got ${v})`);
  return v;
};

export function createSalesforceConnector(conn: Connection, options: SalesforceConnectorOptions = {}): SourceConnector<'salesforce'> {
  const settings: SalesforceReaderOptions = {
    idsPerQuery: positiveInt('idsPerQuery', options.idsPerQuery ?? 200, 1000),
    concurrency: positiveInt('concurrency', options.concurrency ?? 8, 100),
    scanPageSize: positiveInt('scanPageSize', options.scanPageSize ?? 200, 2000),
    currency: options.currency ?? 'USD',
    clock: options.clock ?? (() => new Date()),
    onInvalidRecord: options.onInvalidRecord ?? ((e) => console.warn(`salesforce scan skipped a record: ${e.message}`)),
  };
  if (!/^[A-Z]{3}$/.test(settings.currency)) throw new RangeError(`currency must be an ISO 4217 code (got ${JSON.stringify(settings.currency)})`);
  const reader = new SalesforceReader(conn, settings);

  const loadRelated = async <K extends keyof RelatedKinds['salesforce'] >(kind: K, accountIds: readonly string[]): Promise<(RelatedKinds['salesforce'][K][] | Error)[]> => {
    switch (kind) {
      case 'contacts':
        return (await reader.loadContacts(accountIds)) as (RelatedKinds['salesforce'][K][] | Error)[];
      case 'opportunities':
        return (await reader.loadOpportunities(accountIds)) as (RelatedKinds['salesforce'][K][] | Error)[];
      default:
        throw new TypeError(`salesforce has no related kind ${JSON.stringify(kind)}`);
    }
  };

  return {
    system: 'salesforce',
    loadAccounts: (ids) => reader.loadAccounts(ids),
    loadRelated,
    accountOfPerson: (ids) => reader.accountOfContacts(ids),
    scanAccounts: (o?: ScanOptions): AsyncIterable<ScanPage> => reader.scanAccounts(o),
    ping: () => reader.ping(),
    // The Connection belongs to the caller (it may be shared); nothing of ours to release.
    close: () => Promise.resolve(),
  };
}

export { toSalesforceId18 } from './schema.ts';
export { SALESFORCE_ACCOUNT_TYPE } from './mapping.ts';

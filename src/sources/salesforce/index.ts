// The Salesforce connector: Accounts (with contacts and won-opportunity totals), Contacts and
// Opportunities, read through a jsforce Connection the caller built (client.ts) and owns.
import type { Connection } from 'jsforce';
import type { RelatedKinds, SourceConnector } from '../types.ts';
import type { ScanOptions, ScanPage } from '../scan.ts';
import { systemClock, type ConnectorClock } from '../options.ts';
import { SalesforceReader, type SalesforceReaderOptions } from './reader.ts';
import { SalesforceSession } from './session.ts';

export interface SalesforceConnectorOptions {
  /** Ids per SOQL `IN (…)` list (default 200; at most 1000). */
  idsPerQuery?: number;
  /** Queries in flight when one batch needs several (default 8). */
  concurrency?: number;
  /** Default page size of scanAccounts (default 200; at most 2,000, and a larger scan request is clamped). */
  scanPageSize?: number;
  /** The org's currency for opportunity amounts when records carry no CurrencyIsoCode (default 'USD'). */
  currency?: string;
  /** Time for errors' retry-at and the scan's waits between retries (tests pass one that does not wait). */
  clock?: ConnectorClock;
  /** Told once which of Meridian's custom Account fields the org lacks, and what that costs (default: console.warn). */
  onMissingFields?: (message: string, missing: readonly string[]) => void;
}

const positiveInt = (name: string, v: number, max: number): number => {
  if (!Number.isInteger(v) || v < 1 || v > max) throw new RangeError(`${name} must be an integer in 1…${max} (got ${v})`);
  return v;
};

/**
 * `conn`: a logged-in Connection, or the gateway's SalesforceSession, which logs in when first
 * needed; while it cannot, every key of a call gets its login error (the system is unavailable).
 */
export function createSalesforceConnector(conn: Connection | SalesforceSession, options: SalesforceConnectorOptions = {}): SourceConnector<'salesforce'> {
  const settings: SalesforceReaderOptions = {
    idsPerQuery: positiveInt('idsPerQuery', options.idsPerQuery ?? 200, 1000),
    concurrency: positiveInt('concurrency', options.concurrency ?? 8, 100),
    scanPageSize: positiveInt('scanPageSize', options.scanPageSize ?? 200, 2000),
    currency: options.currency ?? 'USD',
    clock: options.clock ?? systemClock,
    onMissingFields: options.onMissingFields ?? ((message) => console.warn(message)),
  };
  if (!/^[A-Z]{3}$/.test(settings.currency)) throw new RangeError(`currency must be an ISO 4217 code (got ${JSON.stringify(settings.currency)})`);
  // One reader per Connection: a session yields the same Connection until it logs in anew.
  let readerOf: { conn: Connection; reader: SalesforceReader } | null = null;
  const session = conn instanceof SalesforceSession ? conn : null;
  const currentReader = async (): Promise<SalesforceReader> => {
    const c = session ? await session.connection() : (conn as Connection);
    if (readerOf?.conn !== c) readerOf = { conn: c, reader: new SalesforceReader(c, settings) };
    return readerOf.reader;
  };
  /** A batch call per the DataLoader contract: a failed login is every key's error. */
  const perKey = async <T>(keys: readonly unknown[], call: (reader: SalesforceReader) => Promise<(T | Error)[]>): Promise<(T | Error)[]> => {
    let reader: SalesforceReader;
    try {
      reader = await currentReader();
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      return keys.map(() => error);
    }
    return call(reader);
  };

  const loadRelated = <K extends keyof RelatedKinds['salesforce'] >(kind: K, accountIds: readonly string[]): Promise<(RelatedKinds['salesforce'][K][] | Error)[]> =>
    perKey(accountIds, async (reader) => {
      switch (kind) {
        case 'contacts':
          return (await reader.loadContacts(accountIds)) as (RelatedKinds['salesforce'][K][] | Error)[];
        case 'opportunities':
          return (await reader.loadOpportunities(accountIds)) as (RelatedKinds['salesforce'][K][] | Error)[];
        default:
          throw new TypeError(`salesforce has no related kind ${JSON.stringify(kind)}`);
      }
    });

  return {
    system: 'salesforce',
    loadAccounts: (ids) => perKey(ids, (reader) => reader.loadAccounts(ids)),
    loadRelated,
    accountOfPerson: (ids) => perKey(ids, (reader) => reader.accountOfContacts(ids)),
    scanAccounts: (o?: ScanOptions): AsyncIterable<ScanPage> => ({
      async *[Symbol.asyncIterator]() {
        yield* (await currentReader()).scanAccounts(o);
      },
    }),
    ping: async () => (await currentReader()).ping(),
    // The Connection belongs to the caller (it may be shared); nothing of ours to release.
    close: () => Promise.resolve(),
  };
}

export { toSalesforceId18 } from './schema.ts';
export { SalesforceSession, SalesforceLoginError, type SalesforceSessionState } from './session.ts';
export { SALESFORCE_ACCOUNT_TYPE } from './mapping.ts';

// The Zendesk connector: organizations (account level), their users, tickets and satisfaction
// ratings, read through a node-zendesk client the caller built (client.ts) and owns.
import type { RelatedKinds, SourceConnector } from '../types.ts';
import type { ScanOptions, ScanPage } from '../scan.ts';
import { systemClock, type ConnectorClock } from '../options.ts';
import type { ZendeskClient } from './client.ts';
import { ZendeskReader, type ZendeskReaderOptions } from './reader.ts';

export interface ZendeskConnectorOptions {
  /** Ids per show_many call (default and maximum 100, Zendesk's limit). */
  idsPerCall?: number;
  /** Calls in flight for per-organization endpoints and multi-chunk batches (default 8). */
  concurrency?: number;
  /** Default page size of scanAccounts (default and maximum 100; a larger scan request is clamped). */
  scanPageSize?: number;
  /** Time for errors' retry-at and the scan's waits between retries (tests pass one that does not wait). */
  clock?: ConnectorClock;
}

const positiveInt = (name: string, v: number, max: number): number => {
  if (!Number.isInteger(v) || v < 1 || v > max) throw new RangeError(`${name} must be an integer in 1…${max} (got ${v})`);
  return v;
};

export function createZendeskConnector(client: ZendeskClient, options: ZendeskConnectorOptions = {}): SourceConnector<'zendesk'> {
  const settings: ZendeskReaderOptions = {
    idsPerCall: positiveInt('idsPerCall', options.idsPerCall ?? 100, 100),
    concurrency: positiveInt('concurrency', options.concurrency ?? 8, 100),
    scanPageSize: positiveInt('scanPageSize', options.scanPageSize ?? 100, 100),
    clock: options.clock ?? systemClock,
  };
  const reader = new ZendeskReader(client, settings);

  type Out<K extends keyof RelatedKinds['zendesk']> = (RelatedKinds['zendesk'][K][] | Error)[];
  const loadRelated = async <K extends keyof RelatedKinds['zendesk'] >(kind: K, accountIds: readonly string[]): Promise<Out<K>> => {
    switch (kind) {
      case 'users':
        return (await reader.loadUsers(accountIds)) as Out<K>;
      case 'tickets':
        return (await reader.loadTickets(accountIds)) as Out<K>;
      case 'satisfactionRatings':
        return (await reader.loadSatisfactionRatings(accountIds)) as Out<K>;
      default:
        throw new TypeError(`zendesk has no related kind ${JSON.stringify(kind)}`);
    }
  };

  return {
    system: 'zendesk',
    loadAccounts: (ids) => reader.loadAccounts(ids),
    loadRelated,
    accountOfPerson: (ids) => reader.accountOfUsers(ids),
    scanAccounts: (o?: ScanOptions): AsyncIterable<ScanPage> => reader.scanAccounts(o),
    ping: () => reader.ping(),
    // The client belongs to the caller; node-zendesk keeps no connections of its own to close.
    close: () => Promise.resolve(),
  };
}

export { ZENDESK_ACCOUNT_TYPE } from './mapping.ts';

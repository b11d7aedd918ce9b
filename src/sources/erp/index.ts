// The ERP connector: SourceConnector<'erp'> over a pg pool, read-only. Account-level record
// type is `erp_customer` (a customers row). What is read, with which statements and how many
// round trips: docs/sources/erp.md.
import { checkInt, systemClock, type ConnectorClock } from '../options.ts';
import type pg from 'pg';
import type { RelatedKinds, SourceConnector, SourceRecord } from '../types.ts';
import { SourceError, type InvalidSourceRecordError } from '../errors.ts';
import { MAX_SCAN_PAGE_SIZE, clampPageSize, connectorScanOptions, fetchPageWithRetry, scanPage, type ScanOptions, type ScanPage } from '../scan.ts';
import { contractRowToRecord, customerRowToSourceRecord, invoiceRowToRecord, paymentRowToRecord } from './mapping.ts';
import { ErpReader, pgFailure, type ErpReadMode } from './reader.ts';

export interface ErpConnectorOptions {
  /** Schema that holds the ERP tables (a plain lower-case identifier). Default 'erp'. */
  schema?: string;
  /** How reads are made read-only; see ErpReadMode. Default 'statement' (1 round trip per read). */
  readMode?: ErpReadMode;
  /** Keys per statement; larger batches are split. Default 1,000. */
  maxKeysPerQuery?: number;
  /** Rows per page of scanAccounts. Default 1,000. */
  pageSize?: number;
  /** How often scanAccounts retries a page that failed transiently (src/sources/scan.ts). Default 5. */
  scanRetries?: number;
  /** close() ends the pool (the connector owns it). Default true. */
  endPoolOnClose?: boolean;
  clock?: ConnectorClock;
}


export function createErpConnector(pool: pg.Pool, options: ErpConnectorOptions = {}): SourceConnector<'erp'> {
  const clock = options.clock ?? systemClock;
  const defaultPageSize = checkInt('pageSize', options.pageSize ?? 1000, 1, MAX_SCAN_PAGE_SIZE.erp);
  const scanRetries = checkInt('scanRetries', options.scanRetries ?? 5, 0, 20);
  const reader = new ErpReader(pool, {
    schema: options.schema ?? 'erp',
    mode: options.readMode ?? 'statement',
    maxKeysPerQuery: checkInt('maxKeysPerQuery', options.maxKeysPerQuery ?? 1000, 1, 100_000),
    now: () => clock.now(),
  });
  let closed = false;

  const mapRelated = {
    contracts: contractRowToRecord,
    invoices: invoiceRowToRecord,
    payments: paymentRowToRecord,
  } as const;

  // Keyset pages in customer_number order: the last number of a page is where the next starts,
  // and where a stopped scan resumes.
  async function* scanAccounts(scan: ScanOptions = {}): AsyncIterable<ScanPage> {
    const pageSize = clampPageSize('erp', scan.pageSize, defaultPageSize);
    const retry = connectorScanOptions(clock, scan, scanRetries);
    let after: string | null = scan.after ?? null;
    for (;;) {
      const from = after;
      const page = await fetchPageWithRetry('erp', () => reader.customersPage(from, pageSize), (e) => pgFailure(e, clock.now()), retry);
      const records: SourceRecord[] = [];
      const invalid: InvalidSourceRecordError[] = [];
      for (const row of page.rows) {
        if (row instanceof Error) invalid.push(row);
        else records.push(customerRowToSourceRecord(row));
      }
      if (records.length > 0 || invalid.length > 0) yield scanPage(records, page.lastKey ?? records.at(-1)?.id ?? from, invalid);
      if (page.lastKey === null) return;
      after = page.lastKey;
    }
  }

  return {
    system: 'erp',

    async loadAccounts(numbers) {
      const rows = await reader.customers(numbers);
      return rows.map((r) => (r === null || r instanceof Error ? r : customerRowToSourceRecord(r)));
    },

    async loadRelated<K extends keyof RelatedKinds['erp']>(kind: K, accountIds: readonly string[]) {
      if (!(kind in mapRelated)) throw new TypeError(`erp has no related kind ${JSON.stringify(kind)}`);
      const raw = await reader.related(kind, accountIds);
      const map = mapRelated[kind] as (row: unknown) => RelatedKinds['erp'][K];
      return raw.map((list) => {
        if (list instanceof Error) return list;
        try {
          return list.map(map);
        } catch (e) {
          // mapping.ts throws InvalidSourceRecordError for money it cannot represent.
          return e instanceof SourceError ? e : pgFailure(e, clock.now());
        }
      });
    },

    // The ERP has no person-level records: nothing to resolve.
    accountOfPerson: (personIds) => Promise.resolve(personIds.map(() => null)),

    scanAccounts,

    ping: () => reader.ping(),

    async close() {
      if (closed || options.endPoolOnClose === false) return;
      closed = true;
      await pool.end();
    },
  };
}

// The sandbox ERP database: schema `erp` (by default) in the configured Postgres, or in the
// embedded one, seeded from the demo world. A wire-protocol proxy in front of it gives the ERP
// the same request accounting and fault injection as the HTTP emulators.
import pg from 'pg';
import type { ErpData } from '../world/types.ts';
import { assertSchemaName, erpSchemaSql } from './schema.ts';
import { startPgProxy, type PgProxy } from './proxy.ts';

export interface ErpSandboxOptions {
  data: ErpData;
  /** The Postgres that holds the schema (real server or the embedded one). */
  databaseUrl: string;
  schema?: string;
  /** Drop and recreate the schema (default). False keeps an existing, already seeded schema. */
  reset?: boolean;
  /** Port of the accounting/fault proxy; 0 (default) picks a free one. */
  proxyPort?: number;
  host?: string;
}

export interface ErpSandbox {
  readonly schema: string;
  /** Connection string through the proxy: what Meridian's ERP connector is given. */
  readonly url: string;
  /** Direct connection string (no accounting, no faults), for seeding and test set-up. */
  readonly directUrl: string;
  readonly proxy: PgProxy;
  /** A pool on the direct URL, for simulating ERP-side changes in tests and demos. */
  readonly pool: pg.Pool;
  counts(): Promise<Record<'customers' | 'contracts' | 'invoices' | 'payments', number>>;
  close(): Promise<void>;
}

const BATCH = 5_000;

async function insertColumns(
  client: pg.PoolClient,
  table: string,
  columns: readonly { name: string; type: string }[],
  rows: readonly Record<string, unknown>[],
): Promise<void> {
  // One INSERT … SELECT FROM unnest($1::t[], $2::t[], …) per batch: parameterized and fast.
  const list = columns.map((c) => c.name).join(', ');
  const unnest = columns.map((c, i) => `$${i + 1}::${c.type}[]`).join(', ');
  const sql = `INSERT INTO ${table} (${list}) SELECT * FROM unnest(${unnest})`;
  for (let start = 0; start < rows.length; start += BATCH) {
    const slice = rows.slice(start, start + BATCH);
    const params = columns.map((c) => slice.map((r) => r[c.name] ?? null));
    await client.query(sql, params);
  }
}

const CUSTOMER_COLUMNS = [
  ['customer_number', 'text'], ['legal_name', 'text'], ['tax_id', 'text'], ['billing_email', 'text'],
  ['billing_contact', 'text'], ['phone', 'text'], ['address_line1', 'text'], ['address_line2', 'text'],
  ['city', 'text'], ['region', 'text'], ['postal_code', 'text'], ['country', 'text'], ['currency', 'text'],
  ['payment_terms', 'text'], ['credit_limit', 'numeric'], ['accounting_status', 'text'],
  ['salesforce_account_id', 'text'], ['created_at', 'timestamptz'], ['updated_at', 'timestamptz'],
] as const;
const CONTRACT_COLUMNS = [
  ['contract_id', 'bigint'], ['customer_number', 'text'], ['contract_number', 'text'], ['start_date', 'date'],
  ['end_date', 'date'], ['total_value', 'numeric'], ['currency', 'text'], ['status', 'text'], ['updated_at', 'timestamptz'],
] as const;
const INVOICE_COLUMNS = [
  ['invoice_id', 'bigint'], ['customer_number', 'text'], ['contract_id', 'bigint'], ['invoice_number', 'text'],
  ['issue_date', 'date'], ['due_date', 'date'], ['amount', 'numeric'], ['currency', 'text'], ['status', 'text'],
  ['updated_at', 'timestamptz'],
] as const;
const PAYMENT_COLUMNS = [
  ['payment_id', 'bigint'], ['invoice_id', 'bigint'], ['customer_number', 'text'], ['amount', 'numeric'],
  ['currency', 'text'], ['method', 'text'], ['paid_at', 'timestamptz'], ['updated_at', 'timestamptz'],
] as const;

const cols = (list: readonly (readonly [string, string])[]): { name: string; type: string }[] =>
  list.map(([name, type]) => ({ name, type }));

/** Creates the schema and loads the data in one transaction: all of it or nothing. */
export async function seedErp(pool: pg.Pool, schema: string, data: ErpData, reset = true): Promise<void> {
  const s = assertSchemaName(schema);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    if (!reset) {
      const exists = await client.query('SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2', [s, 'customers']);
      if (exists.rowCount) {
        await client.query('COMMIT');
        return;
      }
    }
    await client.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
    await client.query(erpSchemaSql(s));
    // Historic timestamps are loaded as they are; the touch trigger only fires on UPDATE.
    await insertColumns(client, `${s}.customers`, cols(CUSTOMER_COLUMNS), data.customers as unknown as Record<string, unknown>[]);
    await insertColumns(client, `${s}.contracts`, cols(CONTRACT_COLUMNS), data.contracts as unknown as Record<string, unknown>[]);
    await insertColumns(client, `${s}.invoices`, cols(INVOICE_COLUMNS), data.invoices as unknown as Record<string, unknown>[]);
    await insertColumns(client, `${s}.payments`, cols(PAYMENT_COLUMNS), data.payments as unknown as Record<string, unknown>[]);
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
}

export async function startErpSandbox(options: ErpSandboxOptions): Promise<ErpSandbox> {
  const schema = assertSchemaName(options.schema ?? 'erp');
  const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 4 });
  try {
    await seedErp(pool, schema, options.data, options.reset ?? true);
  } catch (e) {
    await pool.end();
    throw e;
  }
  const target = new URL(options.databaseUrl);
  const proxy = await startPgProxy({
    target: { host: target.hostname, port: Number(target.port || 5432) },
    host: options.host ?? '127.0.0.1',
    port: options.proxyPort ?? 0,
  });
  const viaProxy = new URL(options.databaseUrl);
  viaProxy.hostname = proxy.host;
  viaProxy.port = String(proxy.port);
  return {
    schema,
    url: viaProxy.toString(),
    directUrl: options.databaseUrl,
    proxy,
    pool,
    counts: async () => {
      const r = await pool.query<{ customers: string; contracts: string; invoices: string; payments: string }>(
        `SELECT (SELECT count(*) FROM ${schema}.customers) AS customers, (SELECT count(*) FROM ${schema}.contracts) AS contracts,
                (SELECT count(*) FROM ${schema}.invoices) AS invoices, (SELECT count(*) FROM ${schema}.payments) AS payments`,
      );
      const row = r.rows[0]!;
      return { customers: Number(row.customers), contracts: Number(row.contracts), invoices: Number(row.invoices), payments: Number(row.payments) };
    },
    close: async () => {
      await proxy.close();
      await pool.end();
    },
  };
}

export { erpSchemaSql, assertSchemaName } from './schema.ts';

// The sandbox ERP database: schema `erp` (by default) in the configured Postgres, or in the
// embedded one, seeded from the demo world once: a schema already seeded with the same world is
// kept, changes included, and nothing is ever dropped. A wire-protocol proxy in front of it gives the ERP
// the same request accounting and fault injection as the HTTP emulators.
import { createHash } from 'node:crypto';
import pg from 'pg';
import { advisoryLockKey } from '../../store/sql.ts';
import { SandboxWorldError, describeWorld, worldMarkerSchema } from '../world-marker.ts';
import type { ErpData } from '../world/types.ts';
import { assertSchemaName, erpSchemaSql } from './schema.ts';
import { startPgProxy, type PgProxy } from './proxy.ts';
import { ensureReaderRole, type ReaderRole } from './reader-role.ts';

export interface ErpSandboxOptions {
  data: ErpData;
  /** The Postgres that holds the schema (real server or the embedded one). */
  databaseUrl: string;
  schema?: string;
  /** Which world `data` is (worldMarker()); default: a digest of the data. A schema seeded with the same marker is kept as it is. */
  marker?: Record<string, unknown>;
  /** Port of the accounting/fault proxy; 0 (default) picks a free one. */
  proxyPort?: number;
  host?: string;
}

export interface ErpSandbox {
  readonly schema: string;
  /** 'reused': the schema already held this world (and whatever changed in it since). */
  readonly seeded: SeedOutcome;
  /**
   * Connection string through the proxy, as the read-only role (reader-role.ts): what Meridian's
   * ERP connector is given. The owner's credentials when that role could not be made (`readerRole`).
   */
  readonly url: string;
  /** The read-only role, or why there is none. */
  readonly readerRole: ReaderRole;
  /** Through the proxy as the owner (the configured Postgres's credentials): for changing the demo ERP's rows by hand. */
  readonly adminUrl: string;
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

/** What seedErp found: an empty place it seeded, or the same world seeded before, kept as it is. */
export type SeedOutcome = 'seeded' | 'reused';

/** The tables the sandbox creates; a schema holding exactly these (and no marker) is an older sandbox. */
const SANDBOX_TABLES = ['contracts', 'customers', 'deletions', 'invoices', 'payments'];
/** Which world the schema was seeded with (one row), and the emulators' changes since (journal.ts). */
const MARKER_TABLE = 'sandbox_world';
export const JOURNAL_TABLE = 'sandbox_changes';

export function sandboxMetaSql(s: string): string {
  return `
CREATE TABLE IF NOT EXISTS ${s}.${MARKER_TABLE} (
  singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  marker     jsonb NOT NULL,
  seeded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS ${s}.${JOURNAL_TABLE} (
  seq        bigserial PRIMARY KEY,
  system     text NOT NULL,
  kind       text NOT NULL,
  record_id  text NOT NULL,
  deleted    boolean NOT NULL DEFAULT false,
  record     jsonb NOT NULL,
  at         timestamptz NOT NULL DEFAULT now()
);`;
}

/** Stable JSON (sorted keys) so two markers compare by value. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** A marker for data that is not a generated world (test fixtures): a digest of the rows. */
export function dataMarker(data: ErpData): Record<string, unknown> {
  return { fixture: createHash('sha256').update(JSON.stringify(data)).digest('hex') };
}

function describeMarker(marker: unknown, current: unknown, prefix: string, otherwise: string): string {
  const w = worldMarkerSchema.safeParse(marker);
  const c = worldMarkerSchema.safeParse(current);
  return w.success ? `${prefix}${describeWorld(w.data, c.success ? c.data : undefined)}` : otherwise;
}

/**
 * Creates the schema and loads the data in one transaction (all of it or nothing), or keeps a
 * schema that was seeded with the same world before, changes included. Nothing is ever
 * dropped: a schema that holds another world, or tables the sandbox did not create, is left as
 * it is and refused with SandboxWorldError. `marker` says which world `data` is (worldMarker()).
 */
export async function seedErp(pool: pg.Pool, schema: string, data: ErpData, marker: Record<string, unknown> = dataMarker(data)): Promise<SeedOutcome> {
  const s = assertSchemaName(schema);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // Two processes seeding the same schema of one server: the second waits, then finds it seeded.
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [advisoryLockKey(`meridian-sandbox-erp:${s}`)]);
    const tables = (
      await client.query<{ table_name: string }>('SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1', [s])
    ).rows.map((r) => r.table_name);
    if (tables.length > 0) {
      const outcome = await adoptExisting(client, s, tables, data, marker);
      await client.query('COMMIT');
      return outcome;
    }
    await client.query(erpSchemaSql(s));
    await client.query(sandboxMetaSql(s));
    // Historic timestamps are loaded as they are; the touch trigger only fires on UPDATE.
    await insertColumns(client, `${s}.customers`, cols(CUSTOMER_COLUMNS), data.customers as unknown as Record<string, unknown>[]);
    await insertColumns(client, `${s}.contracts`, cols(CONTRACT_COLUMNS), data.contracts as unknown as Record<string, unknown>[]);
    await insertColumns(client, `${s}.invoices`, cols(INVOICE_COLUMNS), data.invoices as unknown as Record<string, unknown>[]);
    await insertColumns(client, `${s}.payments`, cols(PAYMENT_COLUMNS), data.payments as unknown as Record<string, unknown>[]);
    await client.query(`INSERT INTO ${s}.${MARKER_TABLE} (marker) VALUES ($1)`, [canonical(marker)]);
    await client.query('COMMIT');
    return 'seeded';
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
}

async function adoptExisting(client: pg.PoolClient, s: string, tables: string[], data: ErpData, marker: Record<string, unknown>): Promise<SeedOutcome> {
  const where = `ERP schema "${s}"`;
  if (tables.includes(MARKER_TABLE)) {
    const row = (await client.query<{ marker: unknown }>(`SELECT marker FROM ${s}.${MARKER_TABLE}`)).rows[0];
    if (row && canonical(row.marker) === canonical(marker)) {
      await client.query(sandboxMetaSql(s)); // the journal table, if the schema predates it
      return 'reused';
    }
    throw new SandboxWorldError(
      `${where} holds ${describeMarker(row?.marker, marker, 'the sandbox world of ', 'other sandbox data')}, not ${describeMarker(marker, row?.marker, '', 'this data')}; it was left as it is. Start the sandbox with that seed and size, or give it an empty place (another MERIDIAN_DATA_DIR, or another database)`,
    );
  }
  // A sandbox schema from before worlds were recorded: the old sandbox re-seeded it at every
  // start, so it holds one generated world. Adopt it only if its rows are exactly this world's.
  const sameTables = tables.length === SANDBOX_TABLES.length && tables.every((t, i) => t === SANDBOX_TABLES[i]);
  if (sameTables) {
    if (await holdsExactly(client, s, data)) {
      await client.query(sandboxMetaSql(s));
      await client.query(`INSERT INTO ${s}.${MARKER_TABLE} (marker) VALUES ($1)`, [canonical(marker)]);
      return 'reused';
    }
    throw new SandboxWorldError(
      `${where} holds a sandbox ERP from an earlier version whose rows are not exactly this world's, and it does not say which world it was; it was left as it is. Give the sandbox an empty place (another MERIDIAN_DATA_DIR, or another database), or drop that schema yourself if you no longer need it`,
    );
  }
  throw new SandboxWorldError(
    `${where} already holds tables the sandbox did not seed for this world (${tables.slice(0, 5).join(', ')}${tables.length > 5 ? ', …' : ''}); it was left as it is. Give the sandbox an empty place (another MERIDIAN_DATA_DIR, or another database), or drop that schema yourself if it is a sandbox you no longer need`,
  );
}

/** Same row counts and the same first and last customer: the world this data was generated as. */
async function holdsExactly(client: pg.PoolClient, s: string, data: ErpData): Promise<boolean> {
  const r = await client.query<{ customers: string; contracts: string; invoices: string; payments: string; first: string | null; last: string | null }>(
    `SELECT (SELECT count(*) FROM ${s}.customers) AS customers, (SELECT count(*) FROM ${s}.contracts) AS contracts,
            (SELECT count(*) FROM ${s}.invoices) AS invoices, (SELECT count(*) FROM ${s}.payments) AS payments,
            (SELECT min(customer_number) FROM ${s}.customers) AS first, (SELECT max(customer_number) FROM ${s}.customers) AS last`,
  );
  const row = r.rows[0]!;
  const numbers = data.customers.map((c) => c.customer_number).sort();
  return (
    Number(row.customers) === data.customers.length &&
    Number(row.contracts) === data.contracts.length &&
    Number(row.invoices) === data.invoices.length &&
    Number(row.payments) === data.payments.length &&
    row.first === (numbers[0] ?? null) &&
    row.last === (numbers[numbers.length - 1] ?? null)
  );
}

/** The read-only role and its grants, under the schema's seeding lock (GRANTs on one schema at once conflict). */
async function grantReader(pool: pg.Pool, s: string, ownerUrl: string): Promise<ReaderRole> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [advisoryLockKey(`meridian-sandbox-erp:${s}`)]);
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [advisoryLockKey('meridian-sandbox-reader-role')]);
    const role = await ensureReaderRole(client, s, ownerUrl);
    await client.query('COMMIT');
    return role;
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
  let seeded: SeedOutcome;
  let readerRole: ReaderRole;
  try {
    seeded = await seedErp(pool, schema, options.data, options.marker);
    readerRole = await grantReader(pool, schema, options.databaseUrl);
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
  const adminUrl = viaProxy.toString();
  if (readerRole.ok) {
    viaProxy.username = readerRole.user;
    viaProxy.password = readerRole.password;
  }
  return {
    schema,
    seeded,
    readerRole,
    adminUrl,
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

// Batched, read-only reads from the ERP database through pg. One parameterized SELECT per
// batch and kind (`customer_number = ANY($1)`), derived fields computed in the same statement,
// so a batch costs one round trip. Values are formatted by the SQL itself (numerics and ids as
// text, timestamps as ISO-8601 UTC, dates as YYYY-MM-DD), so neither the pool's type parsers
// nor the session's DateStyle/TimeZone can change what we read.
// https://node-postgres.com/features/queries#parameterized-query
import type pg from 'pg';
import type { z } from 'zod';
import type { InvalidSourceRecordError} from '../errors.ts';
import { InvalidSourceIdError, invalidRecord, SourceError, SourceRateLimitedError, SourceUnavailableError } from '../errors.ts';
import {
  contractRowSchema,
  CUSTOMER_NUMBER_RE,
  customerRowSchema,
  invoiceRowSchema,
  paymentRowSchema,
  SCHEMA_NAME_RE,
  type ErpContractRow,
  type ErpCustomerRow,
  type ErpInvoiceRow,
  type ErpPaymentRow,
} from './schema.ts';

/**
 * How each read is made read-only:
 * - 'statement' (default): the SELECT is sent alone, so Postgres runs it as its own implicit
 *   transaction (one snapshot, atomic) — 1 round trip. Read-only is guaranteed by the reader
 *   sending nothing but SELECTs, and by the session default (createErpPool starts every
 *   session with default_transaction_read_only=on, which makes that implicit transaction
 *   READ ONLY).
 * - 'transaction': BEGIN READ ONLY; SELECT; COMMIT on one pooled connection — 3 round trips
 *   (pg sends one statement at a time and a parameterized one cannot share a message with
 *   others), for pools whose sessions are not read-only by default.
 * https://www.postgresql.org/docs/current/sql-begin.html
 */
export type ErpReadMode = 'statement' | 'transaction';

export interface ErpReaderOptions {
  schema: string;
  mode: ErpReadMode;
  /** Keys per statement; a larger batch is split (each part one round trip). */
  maxKeysPerQuery: number;
  now: () => Date;
}

export type RelatedKind = 'contracts' | 'invoices' | 'payments';
export interface RawRelated {
  contracts: ErpContractRow;
  invoices: ErpInvoiceRow;
  payments: ErpPaymentRow;
}

const iso = (col: string): string => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const day = (col: string): string => `to_char(${col}, 'YYYY-MM-DD')`;

function customerSelect(s: string): string {
  // The derived contract fields come from a LATERAL aggregate in the same statement (uses the
  // contracts(customer_number) index; an aggregate without GROUP BY always yields one row).
  return `SELECT c.customer_number, c.legal_name, c.tax_id, c.billing_email, c.billing_contact, c.phone,
       c.address_line1, c.address_line2, c.city, c.region, c.postal_code, c.country,
       c.currency::text AS currency, c.payment_terms, c.credit_limit::text AS credit_limit, c.accounting_status,
       c.salesforce_account_id, ${iso('c.created_at')} AS created_at, ${iso('c.updated_at')} AS updated_at,
       k.contract_total::text AS contract_total, coalesce(k.has_active_contract, false) AS has_active_contract
  FROM ${s}.customers c
  LEFT JOIN LATERAL (
    SELECT sum(t.total_value) FILTER (WHERE t.status <> 'draft') AS contract_total,
           bool_or(t.status = 'active') AS has_active_contract
      FROM ${s}.contracts t
     WHERE t.customer_number = c.customer_number
  ) k ON true`;
}

function relatedSql(kind: RelatedKind, s: string): string {
  switch (kind) {
    case 'contracts':
      return `SELECT t.contract_id::text AS contract_id, t.customer_number, t.contract_number,
       ${day('t.start_date')} AS start_date, ${day('t.end_date')} AS end_date, t.total_value::text AS total_value,
       t.currency::text AS currency, t.status, ${iso('t.updated_at')} AS updated_at
  FROM ${s}.contracts t
 WHERE t.customer_number = ANY($1::text[])
 ORDER BY t.customer_number, t.start_date DESC, t.contract_id DESC`;
    case 'invoices':
      // Amount paid = Σ payments of the invoice, aggregated over the batch's payments (by the
      // payments(customer_number) index) in the same statement.
      return `SELECT i.invoice_id::text AS invoice_id, i.customer_number, i.contract_id::text AS contract_id, i.invoice_number,
       ${day('i.issue_date')} AS issue_date, ${day('i.due_date')} AS due_date, i.amount::text AS amount,
       i.currency::text AS currency, i.status, ${iso('i.updated_at')} AS updated_at, p.amount_paid::text AS amount_paid
  FROM ${s}.invoices i
  LEFT JOIN (SELECT invoice_id, sum(amount) AS amount_paid FROM ${s}.payments WHERE customer_number = ANY($1::text[]) GROUP BY invoice_id) p
         ON p.invoice_id = i.invoice_id
 WHERE i.customer_number = ANY($1::text[])
 ORDER BY i.customer_number, i.issue_date DESC, i.invoice_id DESC`;
    case 'payments':
      return `SELECT p.payment_id::text AS payment_id, p.invoice_id::text AS invoice_id, p.customer_number, p.amount::text AS amount,
       p.currency::text AS currency, p.method, ${iso('p.paid_at')} AS paid_at, ${iso('p.updated_at')} AS updated_at
  FROM ${s}.payments p
 WHERE p.customer_number = ANY($1::text[])
 ORDER BY p.customer_number, p.paid_at DESC, p.payment_id DESC`;
  }
}

const RELATED_SCHEMA: { [K in RelatedKind]: z.ZodType<RawRelated[K]> } = {
  contracts: contractRowSchema,
  invoices: invoiceRowSchema,
  payments: paymentRowSchema,
};

/** A pg failure → SourceError with the SQLSTATE in the message and in `upstreamCode`. */
export function pgFailure(e: unknown, now: Date): SourceError {
  if (e instanceof SourceError) return e;
  const code = typeof (e as { code?: unknown })?.code === 'string' ? (e as { code: string }).code : null;
  const message = e instanceof Error ? e.message : String(e);
  // 53300 is too_many_connections on a real server and the sandbox proxy's rate limit: both
  // mean "come back later". https://www.postgresql.org/docs/current/errcodes-appendix.html
  if (code === '53300') {
    const m = /retry after (\d+)\s*s/i.exec(message);
    return new SourceRateLimitedError('erp', `erp: query refused (${code}): ${message}`, m ? Number(m[1]) : null, now, { upstreamCode: code, cause: e });
  }
  return new SourceUnavailableError('erp', `erp: query failed (${code ?? 'no SQLSTATE'}): ${message}`, { upstreamCode: code, cause: e });
}

export function parseRow<T>(schema: z.ZodType<T>, row: unknown, recordId: string): T | InvalidSourceRecordError {
  const parsed = schema.safeParse(row);
  if (parsed.success) return parsed.data;
  return invalidRecord('erp', recordId, parsed.error, [], '(row)');
}

export function isCustomerNumber(key: string): boolean {
  return CUSTOMER_NUMBER_RE.test(key);
}

export class ErpReader {
  readonly #pool: pg.Pool;
  readonly #o: ErpReaderOptions;
  readonly #s: string;

  constructor(pool: pg.Pool, options: ErpReaderOptions) {
    if (!SCHEMA_NAME_RE.test(options.schema)) {
      throw new RangeError(`ERP schema name must be a lower-case SQL identifier, got ${JSON.stringify(options.schema)}`);
    }
    this.#pool = pool;
    this.#o = options;
    this.#s = options.schema;
  }

  /** Runs one SELECT read-only (see ErpReadMode) and returns its rows; failures as SourceError. */
  async query(text: string, values: unknown[]): Promise<unknown[]> {
    try {
      if (this.#o.mode === 'statement') {
        const r = await this.#pool.query({ text, values });
        return r.rows as unknown[];
      }
      const client = await this.#pool.connect();
      let failed = false;
      try {
        await client.query('BEGIN READ ONLY');
        const r = await client.query({ text, values });
        await client.query('COMMIT');
        return r.rows as unknown[];
      } catch (e) {
        failed = true;
        throw e;
      } finally {
        // After a failure the session may sit in an aborted transaction: drop it, do not reuse it.
        client.release(failed);
      }
    } catch (e) {
      throw pgFailure(e, this.#o.now());
    }
  }

  /**
   * Runs `run` once per chunk of unique well-formed keys and answers every key in order:
   * malformed keys get InvalidSourceIdError without a query; a failed query fails every key
   * of its chunk, and only those.
   */
  async #perChunk<R>(keys: readonly string[], run: (chunk: string[]) => Promise<Map<string, R | Error>>, missing: () => R): Promise<(R | Error)[]> {
    const unique = [...new Set(keys.filter(isCustomerNumber))];
    const answers = new Map<string, R | Error>();
    for (let i = 0; i < unique.length; i += this.#o.maxKeysPerQuery) {
      const chunk = unique.slice(i, i + this.#o.maxKeysPerQuery);
      let got: Map<string, R | Error>;
      try {
        got = await run(chunk);
      } catch (e) {
        const failure = pgFailure(e, this.#o.now());
        for (const k of chunk) answers.set(k, failure);
        continue;
      }
      for (const k of chunk) answers.set(k, got.has(k) ? got.get(k)! : missing());
    }
    return keys.map((k) => (answers.has(k) ? answers.get(k)! : new InvalidSourceIdError('erp', k, 'an ERP customer number')));
  }

  /** Customers rows with derived contract fields, null for an unknown number. One statement per chunk. */
  customers(numbers: readonly string[]): Promise<(ErpCustomerRow | null | Error)[]> {
    const sql = `${customerSelect(this.#s)}\n WHERE c.customer_number = ANY($1::text[])`;
    return this.#perChunk<ErpCustomerRow | null>(
      numbers,
      async (chunk) => {
        const rows = await this.query(sql, [chunk]);
        const out = new Map<string, ErpCustomerRow | Error>();
        for (const row of rows) {
          const key = (row as { customer_number?: unknown }).customer_number;
          if (typeof key === 'string') out.set(key, parseRow(customerRowSchema, row, key));
        }
        return out;
      },
      () => null,
    );
  }

  /** Related rows per customer number, in key order; [] for a number with none (or unknown). */
  related<K extends RelatedKind>(kind: K, numbers: readonly string[]): Promise<(RawRelated[K][] | Error)[]> {
    const sql = relatedSql(kind, this.#s);
    const schema = RELATED_SCHEMA[kind];
    return this.#perChunk<RawRelated[K][]>(
      numbers,
      async (chunk) => {
        const rows = await this.query(sql, [chunk]);
        const out = new Map<string, RawRelated[K][] | Error>();
        for (const row of rows) {
          const key = (row as { customer_number?: unknown }).customer_number;
          if (typeof key !== 'string') continue;
          const list = out.get(key) ?? [];
          if (list instanceof Error) continue;
          const parsed = parseRow(schema, row, `${kind} row of ${key}`);
          if (parsed instanceof Error) out.set(key, parsed);
          else {
            list.push(parsed);
            out.set(key, list);
          }
        }
        return out;
      },
      () => [],
    );
  }

  /** One keyset page of customers after `after` (exclusive), in customer_number order. */
  async customersPage(after: string | null, limit: number): Promise<{ rows: (ErpCustomerRow | InvalidSourceRecordError)[]; lastKey: string | null }> {
    const base = customerSelect(this.#s);
    const rows =
      after === null
        ? await this.query(`${base}\n ORDER BY c.customer_number LIMIT $1`, [limit])
        : await this.query(`${base}\n WHERE c.customer_number > $1 ORDER BY c.customer_number LIMIT $2`, [after, limit]);
    let lastKey: string | null = null;
    const parsed = rows.map((row) => {
      const key = (row as { customer_number?: unknown }).customer_number;
      if (typeof key === 'string') lastKey = key;
      return parseRow(customerRowSchema, row, typeof key === 'string' ? key : '(customer)');
    });
    return { rows: parsed, lastKey: rows.length < limit ? null : lastKey };
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1', []);
  }
}

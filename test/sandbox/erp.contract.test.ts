// The sandbox ERP through `pg`, the driver Meridian's ERP connector uses: schema and seed,
// read-only reads, the change feed (updated_at, deletions), and the proxy's request
// accounting and faults.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startErpSandbox, seedErp, type ErpSandbox } from '../../src/sandbox/erp/index.ts';
import type { ErpData } from '../../src/sandbox/world/types.ts';
import { testPostgres, uniqueSchema, type TestPostgres } from '../support/postgres.ts';

function fixture(n: number): ErpData {
  const data: ErpData = { customers: [], contracts: [], invoices: [], payments: [] };
  for (let i = 1; i <= n; i++) {
    const num = `C-${String(i).padStart(6, '0')}`;
    data.customers.push({
      customer_number: num,
      legal_name: `Customer ${i} LLC`,
      tax_id: null,
      billing_email: `billing${i}@customer${i}.example`,
      billing_contact: `Pat Payer ${i}`,
      phone: '+1 415 555 01' + String(i % 100).padStart(2, '0'),
      address_line1: `${i} Main St`,
      address_line2: null,
      city: 'Springfield',
      region: 'IL',
      postal_code: '62701',
      country: 'US',
      currency: 'USD',
      payment_terms: 'NET30',
      credit_limit: '10000.00',
      accounting_status: i % 5 === 0 ? 'on_hold' : 'good_standing',
      salesforce_account_id: i % 2 === 0 ? `001000000000000AA${i}` : null,
      created_at: '2024-01-01T00:00:00.000Z',
      updated_at: `2025-0${1 + (i % 9)}-01T00:00:00.000Z`,
    });
    data.contracts.push({
      contract_id: i,
      customer_number: num,
      contract_number: `K-${i}`,
      start_date: '2025-01-01',
      end_date: null,
      total_value: `${45000 + i}.00`,
      currency: 'USD',
      status: 'active',
      updated_at: '2025-01-02T00:00:00.000Z',
    });
    data.invoices.push({
      invoice_id: i,
      customer_number: num,
      contract_id: i,
      invoice_number: `INV-${i}`,
      issue_date: '2025-02-01',
      due_date: '2025-03-03',
      amount: '1000.00',
      currency: 'USD',
      status: 'paid',
      updated_at: '2025-03-01T00:00:00.000Z',
    });
    data.payments.push({
      payment_id: i,
      invoice_id: i,
      customer_number: num,
      amount: '1000.00',
      currency: 'USD',
      method: 'ach',
      paid_at: '2025-03-01T00:00:00.000Z',
      updated_at: '2025-03-01T00:00:00.000Z',
    });
  }
  return data;
}

describe('sandbox ERP', () => {
  let db: TestPostgres;
  let erp: ErpSandbox;
  let reader: pg.Pool;
  const schema = uniqueSchema('erp_test');

  beforeAll(async () => {
    db = await testPostgres();
    erp = await startErpSandbox({ data: fixture(12_345), databaseUrl: db.url, schema });
    reader = new pg.Pool({ connectionString: erp.url, max: 2 });
  });

  afterAll(async () => {
    await reader?.end();
    await erp?.pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await erp?.close();
    await db?.close();
  });

  it('seeds every table in batches', async () => {
    expect(await erp.counts()).toEqual({ customers: 12_345, contracts: 12_345, invoices: 12_345, payments: 12_345 });
  });

  it('serves parameterized batched reads through the proxy and counts one call per query', async () => {
    erp.proxy.requests.clear();
    const ids = ['C-000001', 'C-000002', 'C-000404'];
    const r = await reader.query<{ customer_number: string; total_value: string }>(
      `SELECT c.customer_number, k.total_value FROM ${schema}.customers c JOIN ${schema}.contracts k USING (customer_number)
       WHERE c.customer_number = ANY($1) ORDER BY 1`,
      [ids],
    );
    expect(r.rows).toEqual([
      { customer_number: 'C-000001', total_value: '45001.00' },
      { customer_number: 'C-000002', total_value: '45002.00' },
      { customer_number: 'C-000404', total_value: '45404.00' },
    ]);
    const calls = erp.proxy.requests.list({ operation: 'select' });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.batchSize).toBe(3);
    expect(calls[0]!.path).toContain('= ANY($1)');
  });

  it('keeps read-only transactions read-only', async () => {
    const client = await reader.connect();
    try {
      await client.query('BEGIN READ ONLY');
      await expect(client.query(`UPDATE ${schema}.customers SET phone = 'x' WHERE customer_number = 'C-000001'`)).rejects.toThrow(
        /read-only transaction/,
      );
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
  });

  it('exposes changes for polling: updated_at moves on update, deletions are recorded', async () => {
    const before = await erp.pool.query<{ updated_at: Date }>(`SELECT updated_at FROM ${schema}.customers WHERE customer_number = 'C-000003'`);
    await erp.pool.query(`UPDATE ${schema}.customers SET phone = '+14155550199' WHERE customer_number = 'C-000003'`);
    const after = await erp.pool.query<{ updated_at: Date }>(`SELECT updated_at FROM ${schema}.customers WHERE customer_number = 'C-000003'`);
    expect(after.rows[0]!.updated_at.getTime()).toBeGreaterThan(before.rows[0]!.updated_at.getTime());

    await erp.pool.query(`DELETE FROM ${schema}.payments WHERE payment_id = 7`);
    const gone = await erp.pool.query<{ table_name: string; row_key: string }>(`SELECT table_name, row_key FROM ${schema}.deletions`);
    expect(gone.rows).toEqual([{ table_name: 'payments', row_key: 'payment_id:7' }]);
  });

  it('answers injected errors and rate limits with a Postgres error, then keeps serving', async () => {
    erp.proxy.faults.set({ errorRate: 1 });
    await expect(reader.query(`SELECT 1 FROM ${schema}.customers LIMIT 1`)).rejects.toMatchObject({ code: '58000' });
    erp.proxy.faults.set({ errorRate: 0, rateLimitRate: 1, retryAfterSeconds: 3 });
    await expect(reader.query('SELECT 1')).rejects.toMatchObject({ code: '53300', message: expect.stringContaining('retry after 3 s') as unknown });
    erp.proxy.faults.reset();
    const ok = await reader.query<{ n: number }>('SELECT 1 AS n');
    expect(ok.rows).toEqual([{ n: 1 }]);
    expect(erp.proxy.requests.list({ sinceSeq: 0 }).filter((r) => r.fault !== null).map((r) => r.fault)).toEqual(
      expect.arrayContaining(['error', 'rateLimited']),
    );
  });

  it('adds the configured latency to each call', async () => {
    erp.proxy.faults.set({ latencyMs: 120 });
    const t0 = performance.now();
    await reader.query('SELECT 1');
    const elapsed = performance.now() - t0;
    erp.proxy.faults.reset();
    expect(elapsed).toBeGreaterThanOrEqual(115);
  });

  it('answers a SELECT when the latency has passed since it arrived, its time in Postgres inside it; other statements wait it first', async () => {
    erp.proxy.faults.set({ latencyMs: 100 });
    try {
      const t0 = performance.now();
      const r = await reader.query<{ n: number }>('SELECT pg_sleep(0.06), 7 AS n');
      const ms = performance.now() - t0;
      expect(r.rows[0]!.n).toBe(7);
      expect(ms).toBeGreaterThanOrEqual(99);
      expect(ms).toBeLessThan(150); // 60 ms in Postgres inside the 100, not after them
      const many = await Promise.all([1, 2, 3, 4, 5].map((i) => reader.query<{ n: number }>('SELECT $1::int AS n', [i])));
      expect(many.map((x) => x.rows[0]!.n)).toEqual([1, 2, 3, 4, 5]);
      const t1 = performance.now();
      await reader.query('SHOW server_version');
      expect(performance.now() - t1).toBeGreaterThanOrEqual(99);
      const answered = erp.proxy.requests.list({ sinceSeq: 0 }).filter((q) => q.operation === 'select' && q.status === 200).slice(-6);
      for (const q of answered) expect(q.durationMs).toBeGreaterThanOrEqual(100);
      // An injected error after a held answer still comes after it, on the same connection.
      erp.proxy.faults.set({ errorRate: 1 });
      await expect(reader.query('SELECT 1')).rejects.toMatchObject({ code: '58000' });
    } finally {
      erp.proxy.faults.reset();
    }
  });

  it('refuses new connections during an outage with a clear error', async () => {
    erp.proxy.faults.set({ outage: 'http' });
    const fresh = new pg.Client({ connectionString: erp.url });
    await expect(fresh.connect()).rejects.toThrow(/not accepting connections/);
    erp.proxy.faults.reset();
    const again = new pg.Client({ connectionString: erp.url });
    await again.connect();
    await again.end();
  });

  it('loads all or nothing: a bad row rolls the whole seed back', async () => {
    const bad = fixture(3);
    bad.contracts[2]!.customer_number = 'C-999999'; // violates the foreign key
    const other = uniqueSchema('erp_bad');
    await expect(seedErp(erp.pool, other, bad)).rejects.toThrow(/foreign key/);
    const exists = await erp.pool.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [other]);
    expect(exists.rowCount).toBe(0);
  });

  it('rejects schema names that are not plain identifiers', async () => {
    await expect(startErpSandbox({ data: fixture(1), databaseUrl: db.url, schema: 'erp; drop table x' })).rejects.toThrow(
      /lower-case SQL identifier/,
    );
  });
});

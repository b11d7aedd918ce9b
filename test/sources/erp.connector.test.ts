// The ERP connector against the sandbox ERP (schema in DATABASE_URL's Postgres, else the
// embedded one) through the wire proxy that counts round trips and injects faults, with the
// production pool set-up built from sandbox.env(). Values are checked against the world.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.ts';
import { readSystemSettings } from '../../src/config/systems.ts';
import { createErpPool } from '../../src/sources/erp/client.ts';
import { createErpConnector } from '../../src/sources/erp/index.ts';
import { InvalidSourceIdError, InvalidSourceRecordError, SourceRateLimitedError, SourceUnavailableError } from '../../src/sources/errors.ts';
import { moneyFromDecimal } from '../../src/sources/money.ts';
import type { SourceConnector, SourceRecord } from '../../src/sources/types.ts';
import type { ErpCustomer } from '../../src/sandbox/world/types.ts';
import { uniqueSchema } from '../support/postgres.ts';

/** Exact sum of decimal strings with two places, as a decimal string (no floats). */
function sumDecimals(values: readonly string[]): string {
  const cents = values.reduce((s, v) => s + BigInt(v.replace('.', '')), 0n);
  const digits = cents.toString().padStart(3, '0');
  return `${digits.slice(0, -2)}.${digits.slice(-2)}`;
}

describe('ERP connector', () => {
  let sandbox: Sandbox;
  let pool: pg.Pool;
  let erp: SourceConnector<'erp'>;
  const realServer = Boolean(process.env['DATABASE_URL']);
  const erpSchema = uniqueSchema('erp_src');

  beforeAll(async () => {
    const databaseUrl = process.env['DATABASE_URL'];
    sandbox = await startSandbox({ customers: 200, seed: 9, ...(databaseUrl ? { databaseUrl, erpSchema } : {}) });
    pool = createErpPool(readSystemSettings(sandbox.env()).erp!);
    erp = createErpConnector(pool, { schema: sandbox.erp.schema });
  });

  afterAll(async () => {
    await erp?.close(); // ends the pool it owns
    if (realServer) await sandbox?.erp.pool.query(`DROP SCHEMA IF EXISTS ${erpSchema} CASCADE`);
    await sandbox?.close();
  });

  beforeEach(() => {
    sandbox.erp.proxy.faults.reset();
    sandbox.erp.proxy.requests.clear();
  });

  const world = (): Sandbox['world'] => sandbox.world;
  const calls = (): { operation: string; batchSize: number | null }[] =>
    sandbox.erp.proxy.requests.list().map((r) => ({ operation: r.operation, batchSize: r.batchSize }));
  const expectedContractTotal = (n: string): string | null => {
    const values = world().erp.contracts.filter((c) => c.customer_number === n && c.status !== 'draft').map((c) => c.total_value);
    return values.length === 0 ? null : sumDecimals(values);
  };

  it('loads 50 customers in one round trip, in key order, with contract_total and has_active_contract from the contracts', async () => {
    const sample: ErpCustomer[] = world().erp.customers.slice(0, 50);
    const keys = [sample[0]!.customer_number, 'C-999999', '', ...sample.slice(1).map((c) => c.customer_number), sample[3]!.customer_number];

    const out = await erp.loadAccounts(keys);

    expect(calls()).toEqual([{ operation: 'select', batchSize: 51 }]); // 50 numbers + the unknown one
    expect(out).toHaveLength(keys.length);
    expect(out[1]).toBeNull();
    expect(out[2]).toBeInstanceOf(InvalidSourceIdError);
    const records = out.filter((r): r is SourceRecord => r !== null && !(r instanceof Error));
    expect(records.map((r) => r.id)).toEqual(keys.filter((k) => k.startsWith('C-') && k !== 'C-999999'));

    let withoutContracts = 0;
    for (const c of sample) {
      const r = records.find((x) => x.id === c.customer_number)!;
      const total = expectedContractTotal(c.customer_number);
      if (total === null) withoutContracts++;
      expect(r).toMatchObject({ system: 'erp', type: 'erp_customer', deleted: false, updatedAt: new Date(c.updated_at).toISOString() });
      expect(r.data).toEqual({
        ...c,
        created_at: new Date(c.created_at).toISOString(),
        updated_at: new Date(c.updated_at).toISOString(),
        contract_total: total,
        has_active_contract: world().erp.contracts.some((k) => k.customer_number === c.customer_number && k.status === 'active'),
      });
      expect(r.emails).toEqual(c.billing_email?.trim() ? [c.billing_email.trim().toLowerCase()] : []);
      expect(r.xrefs).toEqual(c.salesforce_account_id ? [{ system: 'salesforce', id: c.salesforce_account_id, field: 'salesforce_account_id' }] : []);
    }
    expect(withoutContracts).toBeLessThan(sample.length); // the sample exercises real sums
  });

  it('loads contracts, invoices and payments in one round trip per kind, grouped per key in key order', async () => {
    const numbers = world().erp.customers.slice(5, 25).map((c) => c.customer_number);
    const keys = [...numbers, 'C-999999', ' bad '];
    const [contracts, invoices, payments] = [
      await erp.loadRelated('contracts', keys),
      await erp.loadRelated('invoices', keys),
      await erp.loadRelated('payments', keys),
    ];
    expect(calls()).toEqual([
      { operation: 'select', batchSize: 21 },
      { operation: 'select', batchSize: 21 },
      { operation: 'select', batchSize: 21 },
    ]);
    for (const lists of [contracts, invoices, payments]) {
      expect(lists).toHaveLength(keys.length);
      expect(lists[numbers.length]).toEqual([]);
      expect(lists[numbers.length + 1]).toBeInstanceOf(InvalidSourceIdError);
    }

    numbers.forEach((n, k) => {
      const wc = world().erp.contracts.filter((c) => c.customer_number === n);
      const gotC = contracts[k] as Exclude<(typeof contracts)[number], Error>;
      expect(gotC).toHaveLength(wc.length);
      for (const c of wc) {
        expect(gotC.find((g) => g.id === String(c.contract_id))).toEqual({
          id: String(c.contract_id),
          number: c.contract_number,
          status: c.status,
          totalValue: { amount: c.total_value, minorUnits: Number(c.total_value.replace('.', '')), currency: c.currency },
          startDate: c.start_date,
          endDate: c.end_date,
        });
      }

      const wi = world().erp.invoices.filter((i) => i.customer_number === n);
      const gotI = invoices[k] as Exclude<(typeof invoices)[number], Error>;
      expect(gotI.map((i) => i.id)).toEqual(
        [...wi].sort((a, b) => b.issue_date.localeCompare(a.issue_date) || b.invoice_id - a.invoice_id).map((i) => String(i.invoice_id)),
      );
      for (const i of wi) {
        const paid = sumDecimals(world().erp.payments.filter((p) => p.invoice_id === i.invoice_id).map((p) => p.amount));
        expect(gotI.find((g) => g.id === String(i.invoice_id))).toEqual({
          id: String(i.invoice_id),
          system: 'erp',
          number: i.invoice_number,
          status: i.status,
          amount: moneyFromDecimal(i.amount, i.currency),
          amountPaid: moneyFromDecimal(paid, i.currency),
          issuedAt: i.issue_date,
          dueAt: i.due_date,
        });
      }

      const wp = world().erp.payments.filter((p) => p.customer_number === n);
      const gotP = payments[k] as Exclude<(typeof payments)[number], Error>;
      expect(gotP.map((p) => p.id).sort()).toEqual(wp.map((p) => String(p.payment_id)).sort());
      for (const p of wp) {
        expect(gotP.find((g) => g.id === String(p.payment_id))).toEqual({
          id: String(p.payment_id),
          system: 'erp',
          amount: moneyFromDecimal(p.amount, p.currency),
          method: p.method,
          paidAt: new Date(p.paid_at).toISOString(),
          invoiceId: String(p.invoice_id),
        });
      }
    });
    expect(contracts.slice(0, numbers.length).some((l) => Array.isArray(l) && l.length > 0)).toBe(true);
  });

  it('fails only the key whose row is malformed, naming the column', async () => {
    const [a, b] = world().erp.contracts.filter((c, i, all) => all.findIndex((x) => x.customer_number === c.customer_number) === i).slice(0, 2);
    const s = sandbox.erp.schema;
    // A fraction of a yen has no minor units: that contract cannot become Money.
    await sandbox.erp.pool.query(`UPDATE ${s}.contracts SET currency = 'JPY', total_value = 1000.50 WHERE contract_id = $1`, [a!.contract_id]);
    await sandbox.erp.pool.query(`UPDATE ${s}.customers SET currency = '1$X' WHERE customer_number = $1`, [b!.customer_number]);
    try {
      const related = await erp.loadRelated('contracts', [a!.customer_number, b!.customer_number]);
      expect(related[0]).toBeInstanceOf(InvalidSourceRecordError);
      expect((related[0] as InvalidSourceRecordError).field).toBe('total_value');
      expect(Array.isArray(related[1])).toBe(true);

      const accounts = await erp.loadAccounts([a!.customer_number, b!.customer_number]);
      expect(accounts[0]).toMatchObject({ id: a!.customer_number });
      expect(accounts[1]).toBeInstanceOf(InvalidSourceRecordError);
      expect((accounts[1] as InvalidSourceRecordError).field).toBe('currency');
    } finally {
      await sandbox.erp.pool.query(`UPDATE ${s}.contracts SET currency = $2, total_value = $3 WHERE contract_id = $1`, [a!.contract_id, a!.currency, a!.total_value]);
      await sandbox.erp.pool.query(`UPDATE ${s}.customers SET currency = $2 WHERE customer_number = $1`, [b!.customer_number, world().erp.customers.find((c) => c.customer_number === b!.customer_number)!.currency]);
    }
  });

  it('turns injected failures (58000) and rate limits (53300) into an Error for every key of the batch', async () => {
    const keys = world().erp.customers.slice(0, 4).map((c) => c.customer_number);
    sandbox.erp.proxy.faults.set({ errorRate: 1 });
    const failed = await erp.loadAccounts([...keys, '']);
    for (const r of failed.slice(0, 4)) {
      expect(r).toBeInstanceOf(SourceUnavailableError);
      expect((r as SourceUnavailableError).upstreamCode).toBe('58000');
      expect((r as Error).message).toContain('58000');
    }
    expect(failed[4]).toBeInstanceOf(InvalidSourceIdError);
    expect((await erp.loadRelated('invoices', keys)).every((r) => r instanceof SourceUnavailableError)).toBe(true);
    await expect(erp.ping()).rejects.toBeInstanceOf(SourceUnavailableError);

    sandbox.erp.proxy.faults.set({ errorRate: 0, rateLimitRate: 1, retryAfterSeconds: 4 });
    const limited = await erp.loadRelated('payments', keys);
    for (const r of limited) {
      expect(r).toBeInstanceOf(SourceRateLimitedError);
      expect((r as SourceRateLimitedError).retryAfterSeconds).toBe(4);
      expect((r as SourceRateLimitedError).upstreamCode).toBe('53300');
    }
    expect(calls().map((c) => c.operation)).toEqual(['select', 'select', 'select', 'select']);

    sandbox.erp.proxy.faults.reset();
    await expect(erp.ping()).resolves.toBeUndefined();
    expect((await erp.loadAccounts(keys)).every((r) => r !== null && !(r instanceof Error))).toBe(true);
  });

  it('in transaction mode wraps the same SELECT in BEGIN READ ONLY … COMMIT: 3 round trips, same answer', async () => {
    const keys = world().erp.customers.slice(30, 40).map((c) => c.customer_number);
    const tx = createErpConnector(pool, { schema: sandbox.erp.schema, readMode: 'transaction', endPoolOnClose: false });
    const viaTx = await tx.loadAccounts(keys);
    expect(calls().map((c) => c.operation)).toEqual(['begin', 'select', 'commit']);
    expect(sandbox.erp.proxy.requests.list()[0]!.path).toBe('BEGIN READ ONLY');
    expect(viaTx).toEqual(await erp.loadAccounts(keys));

    // A failed statement inside the transaction fails the batch and the connection is dropped.
    sandbox.erp.proxy.requests.clear();
    sandbox.erp.proxy.faults.set({ errorRate: 1 });
    expect((await tx.loadAccounts(keys)).every((r) => r instanceof SourceUnavailableError)).toBe(true);
    sandbox.erp.proxy.faults.reset();
    expect((await tx.loadAccounts(keys)).every((r) => r !== null && !(r instanceof Error))).toBe(true);
    await tx.close();
    await expect(erp.ping()).resolves.toBeUndefined(); // the shared pool is still open
  });

  it.runIf(realServer)('reads through sessions that refuse writes (default_transaction_read_only)', async () => {
    await expect(pool.query(`UPDATE ${sandbox.erp.schema}.customers SET legal_name = legal_name WHERE false`)).rejects.toMatchObject({ code: '25006' });
  });

  it('scans every customer exactly once by keyset pages, one round trip per page', async () => {
    const all = world().erp.customers.map((c) => c.customer_number).sort();
    const pages: SourceRecord[][] = [];
    for await (const page of erp.scanAccounts({ pageSize: 37 })) pages.push(page);
    expect(pages.flat().map((r) => r.id)).toEqual(all);
    expect(pages.every((p) => p.length <= 37)).toBe(true);
    // A full last page needs one more (empty) query to know it was the last.
    expect(calls()).toHaveLength(Math.floor(all.length / 37) + 1);
    const one = pages.flat().find((r) => r.id === all[7])!;
    expect(one.data['contract_total']).toBe(expectedContractTotal(all[7]!));
  });

  it('has no person records, validates the schema name and pings with SELECT 1', async () => {
    expect(await erp.accountOfPerson(['C-000001', 'x'])).toEqual([null, null]);
    expect(calls()).toEqual([]);
    expect(() => createErpConnector(pool, { schema: 'erp; DROP TABLE x' })).toThrow(RangeError);
    await erp.ping();
    expect(sandbox.erp.proxy.requests.list().map((r) => r.path)).toEqual(['SELECT 1']);
  });
});

describe('Money from ERP decimals', () => {
  it('keeps the exact amount and writes it with the currency’s decimal places', () => {
    expect(moneyFromDecimal('45000.00', 'USD')).toEqual({ amount: '45000.00', minorUnits: 4_500_000, currency: 'USD' });
    expect(moneyFromDecimal('45000', 'usd')).toEqual({ amount: '45000.00', minorUnits: 4_500_000, currency: 'USD' });
    expect(moneyFromDecimal('-0.05', 'EUR')).toEqual({ amount: '-0.05', minorUnits: -5, currency: 'EUR' });
    expect(moneyFromDecimal('1000.00', 'JPY')).toEqual({ amount: '1000', minorUnits: 1000, currency: 'JPY' });
    expect(moneyFromDecimal('0.00', 'GBP')).toEqual({ amount: '0.00', minorUnits: 0, currency: 'GBP' });
    expect(() => moneyFromDecimal('1000.50', 'JPY')).toThrow(/more than 0 decimal places/);
    expect(() => moneyFromDecimal('1e5', 'USD')).toThrow(RangeError);
  });
});

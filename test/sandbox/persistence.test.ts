// The sandbox persists with its database: a second start on the same database and schema keeps
// the seeded ERP as it is and puts back every change made through the emulators, so records the
// identity links name are still there and new ids never repeat. Another world, or tables the
// sandbox did not create, are refused and left as they are: nothing is ever dropped.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.ts';
import { SandboxWorldError } from '../../src/sandbox/world-marker.ts';
import { testPostgres, uniqueSchema, type TestPostgres } from '../support/postgres.ts';

describe('sandbox persistence', () => {
  let db: TestPostgres;
  let admin: pg.Pool;
  const erpSchema = uniqueSchema('erp_persist');
  const foreign = uniqueSchema('erp_foreign');
  const legacy = uniqueSchema('erp_legacy');

  beforeAll(async () => {
    db = await testPostgres();
    admin = new pg.Pool({ connectionString: db.url, max: 2 });
  });

  afterAll(async () => {
    for (const s of [erpSchema, foreign, legacy]) await admin?.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
    await admin?.end();
    await db?.close();
  });

  const start = (customers = 50): Promise<Sandbox> => startSandbox({ customers, seed: 7, databaseUrl: db.url, erpSchema });
  /** What a start that should be refused threw; null (after closing it) when it started. */
  const refusal = (starting: Promise<Sandbox>): Promise<unknown> =>
    starting.then(
      async (s) => {
        await s.close();
        return null;
      },
      (e: unknown) => e,
    );

  it('puts back the changes of an earlier session on the same database, and hands out no id twice', async () => {
    const first = await start();
    expect(first.seeded).toBe('seeded');
    const account = first.salesforce.store.insert('Account', { Name: 'Harrowgate Lantern Works' });
    const renamed = first.world.salesforce.accounts[0]!;
    first.salesforce.store.update('Account', renamed.Id, { Name: 'Renamed Inc' });
    const customer = first.stripe.store.createCustomer({ name: 'Harrowgate Lantern Works', email: 'ap@harrowgate.example' });
    const gone = first.world.stripe.customers.find((c) => !c.id.startsWith('x'))!;
    first.stripe.store.deleteCustomer(gone.id);
    const org = first.zendesk.store.createOrganization({ name: 'Harrowgate Lantern Works' });
    await first.erp.pool.query(`UPDATE ${erpSchema}.customers SET legal_name = 'Changed Ltd' WHERE customer_number = $1`, [first.world.erp.customers[0]!.customer_number]);
    await first.close();

    const second = await start();
    try {
      expect(second.seeded).toBe('reused');
      expect(second.journal.replayed).toBeGreaterThanOrEqual(5);
      expect(second.salesforce.store.get('Account', account.Id)?.Name).toBe('Harrowgate Lantern Works');
      expect(second.salesforce.store.get('Account', renamed.Id)?.Name).toBe('Renamed Inc');
      expect(second.stripe.store.get('customer', customer.id)?.name).toBe('Harrowgate Lantern Works');
      expect(second.stripe.store.get('customer', gone.id)).toBeUndefined();
      expect(second.zendesk.store.organization(org.id)?.name).toBe('Harrowgate Lantern Works');
      const erp = await second.erp.pool.query<{ legal_name: string }>(`SELECT legal_name FROM ${erpSchema}.customers WHERE customer_number = $1`, [first.world.erp.customers[0]!.customer_number]);
      expect(erp.rows[0]?.legal_name).toBe('Changed Ltd');
      // New records of the second session get new ids, not the first session's again.
      expect(second.salesforce.store.insert('Account', { Name: 'Next Co' }).Id).not.toBe(account.Id);
      expect(second.stripe.store.createCustomer({ name: 'Next Co' }).id).not.toBe(customer.id);
      expect(second.zendesk.store.createOrganization({ name: 'Next Co' }).id).not.toBe(org.id);
    } finally {
      await second.close();
    }
  }, 120_000);

  it('refuses a schema seeded with another world and leaves it as it is', async () => {
    const before = await admin.query<{ n: string }>(`SELECT count(*) AS n FROM ${erpSchema}.customers`);
    const error = await refusal(start(60));
    expect(error).toBeInstanceOf(SandboxWorldError);
    expect((error as Error).message).toContain(`ERP schema "${erpSchema}" holds the sandbox world of seed 7 and 50 customers, not seed 7 and 60 customers; it was left as it is`);
    const after = await admin.query<{ n: string }>(`SELECT count(*) AS n FROM ${erpSchema}.customers`);
    expect(after.rows[0]!.n).toBe(before.rows[0]!.n);
  }, 120_000);

  it('refuses a schema holding tables the sandbox did not create, and drops nothing', async () => {
    await admin.query(`CREATE SCHEMA ${foreign}; CREATE TABLE ${foreign}.ledger (id int PRIMARY KEY); INSERT INTO ${foreign}.ledger VALUES (1)`);
    const error = await refusal(startSandbox({ customers: 50, seed: 7, databaseUrl: db.url, erpSchema: foreign }));
    expect(error).toBeInstanceOf(SandboxWorldError);
    expect((error as Error).message).toContain(`ERP schema "${foreign}" already holds tables the sandbox did not seed for this world (ledger)`);
    const rows = await admin.query(`SELECT id FROM ${foreign}.ledger`);
    expect(rows.rows).toEqual([{ id: 1 }]);
  }, 120_000);

  it('adopts a sandbox ERP from before worlds were recorded only when its rows are exactly this world', async () => {
    const older = async (): Promise<void> => {
      // What the earlier sandbox left: its tables and rows, no marker, no journal.
      const s = await startSandbox({ customers: 50, seed: 7, databaseUrl: db.url, erpSchema: legacy });
      await s.close();
      await admin.query(`DROP TABLE ${legacy}.sandbox_world, ${legacy}.sandbox_changes`);
    };
    await older();
    const adopted = await startSandbox({ customers: 50, seed: 7, databaseUrl: db.url, erpSchema: legacy });
    expect(adopted.seeded).toBe('reused');
    await adopted.close();

    await admin.query(`DROP SCHEMA ${legacy} CASCADE`);
    await older();
    await admin.query(
      `INSERT INTO ${legacy}.customers (customer_number, legal_name, currency, payment_terms, accounting_status, created_at, updated_at)
       VALUES ('C-900001', 'Someone Added Ltd', 'USD', 'NET30', 'good_standing', now(), now())`,
    );
    const refused = await refusal(startSandbox({ customers: 50, seed: 7, databaseUrl: db.url, erpSchema: legacy }));
    expect(refused).toBeInstanceOf(SandboxWorldError);
    expect((refused as Error).message).toContain('holds a sandbox ERP from an earlier version');
    const kept = await admin.query(`SELECT legal_name FROM ${legacy}.customers WHERE customer_number = 'C-900001'`);
    expect(kept.rows).toEqual([{ legal_name: 'Someone Added Ltd' }]);
  }, 120_000);
});

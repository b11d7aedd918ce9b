// Migrations: applied once each, recorded, safe when two gateways start together, and the same
// on a real server and on embedded PGlite.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore, InvalidIdentifierError, migrate, MIGRATIONS, MigrationError, type Migration, type Store } from '../../src/store/index.ts';
import { advisoryLockKey } from '../../src/store/sql.ts';
import { testPostgres, uniqueSchema, type TestPostgres } from '../support/postgres.ts';

let pg: TestPostgres;
const stores: Store[] = [];
const schemas: string[] = [];

function storeIn(schema: string): Store {
  const s = createStore(pg.url, { schema, max: 2 });
  stores.push(s);
  if (!schemas.includes(schema)) schemas.push(schema);
  return s;
}

beforeAll(async () => {
  pg = await testPostgres();
});

afterAll(async () => {
  const admin = createStore(pg.url, { max: 1 });
  try {
    for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  } finally {
    await admin.close();
    for (const s of stores) await s.close();
    await pg.close();
  }
});

describe('migrate()', () => {
  it('creates the schema, applies every migration once and records it', async () => {
    const store = storeIn(uniqueSchema('t_mig'));
    const first = await store.migrate();
    expect(first).toEqual({ applied: MIGRATIONS.map((m) => m.id), alreadyApplied: [] });
    const second = await store.migrate();
    expect(second).toEqual({ applied: [], alreadyApplied: MIGRATIONS.map((m) => m.id) });
    const recorded = await store.query<{ id: string }>(`SELECT id FROM ${store.table('migrations')} ORDER BY id`);
    expect(recorded.rows.map((r) => r.id)).toEqual(MIGRATIONS.map((m) => m.id));
    const tables = await store.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
      [store.schema],
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual([
      'api_keys', 'backfill_records', 'backfill_scans', 'customer_search', 'customer_search_tokens', 'golden_customers', 'identity_cannot_link', 'identity_events', 'identity_links', 'match_keys', 'match_models', 'match_records', 'match_terms', 'migrations', 'review_items', 'sandbox_world', 'sync_audit', 'sync_cursors', 'sync_dead_letters', 'sync_echoes', 'sync_inbox', 'sync_intents', 'sync_invalid_records', 'sync_observed', 'sync_outbox', 'webhook_deliveries',
    ]);
  });

  it('applies each migration exactly once when two processes migrate at the same time', async () => {
    const schema = uniqueSchema('t_race');
    const a = storeIn(schema);
    const b = createStore(pg.url, { schema, max: 2 });
    stores.push(b);
    const [ra, rb] = await Promise.all([a.migrate(), b.migrate()]);
    expect([...ra.applied, ...rb.applied].sort()).toEqual(MIGRATIONS.map((m) => m.id));
    expect([...ra.applied, ...ra.alreadyApplied].sort()).toEqual(MIGRATIONS.map((m) => m.id));
    const n = await a.query<{ n: string }>(`SELECT count(*) AS n FROM ${a.table('migrations')}`);
    expect(Number(n.rows[0]!.n)).toBe(MIGRATIONS.length);
  });

  it('applies only the new migration when one is added later, in order', async () => {
    const store = storeIn(uniqueSchema('t_more'));
    const extra: Migration = { id: '9999_test_extra', sql: (s) => `CREATE TABLE ${s}.extra (x int); INSERT INTO ${s}.extra VALUES (1), (2);` };
    await migrate(store.pool, store.schema);
    const r = await migrate(store.pool, store.schema, [...MIGRATIONS, extra]);
    expect(r.applied).toEqual(['9999_test_extra']);
    const rows = await store.query<{ n: string }>(`SELECT count(*) AS n FROM ${store.table('extra')}`);
    expect(Number(rows.rows[0]!.n)).toBe(2);
  });

  it('rolls a failing migration back whole and records nothing for it', async () => {
    const store = storeIn(uniqueSchema('t_fail'));
    const bad: Migration = { id: '9999_bad', sql: (s) => `CREATE TABLE ${s}.half (x int); SELECT no_such_function();` };
    await expect(migrate(store.pool, store.schema, [...MIGRATIONS, bad])).rejects.toThrow(/no_such_function/);
    const half = await store.query(`SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'half'`, [store.schema]);
    expect(half.rowCount).toBe(0);
    const ids = await store.query<{ id: string }>(`SELECT id FROM ${store.table('migrations')}`);
    expect(ids.rows.map((r) => r.id)).not.toContain('9999_bad');
  });

  it('refuses to run when a shipped migration was edited', async () => {
    const store = storeIn(uniqueSchema('t_edit'));
    const v1: Migration = { id: '0001_x', sql: (s) => `CREATE TABLE ${s}.x (a int)` };
    const v2: Migration = { id: '0001_x', sql: (s) => `CREATE TABLE ${s}.x (a int, b int)` };
    await migrate(store.pool, store.schema, [v1]);
    await expect(migrate(store.pool, store.schema, [v2])).rejects.toThrow(MigrationError);
    await expect(migrate(store.pool, store.schema, [v2])).rejects.toThrow(/0001_x was applied to schema .* with different SQL/);
  });

  it('refuses migrations out of order', async () => {
    const store = storeIn(uniqueSchema('t_order'));
    const m = (id: string): Migration => ({ id, sql: () => 'SELECT 1' });
    await expect(migrate(store.pool, store.schema, [m('0002_b'), m('0001_a')])).rejects.toThrow('migration ids must be unique and ascending: "0002_b" comes before "0001_a"');
  });
});

describe('createStore()', () => {
  it('rejects a schema name that is not a plain identifier, before connecting', () => {
    for (const bad of ['Meridian', 'a;drop schema public', 'a"b', '1abc', '', 'x'.repeat(64)]) {
      expect(() => createStore(pg.url, { schema: bad })).toThrow(InvalidIdentifierError);
    }
    expect(() => createStore(pg.url, { schema: 'a-b' })).toThrow('schema must be a lower-case SQL identifier (a-z, 0-9, _; at most 63 characters; not starting with a digit), got "a-b"');
  });

  it('uses the meridian schema by default and rejects a bad pool size', async () => {
    const s = createStore(pg.url);
    expect(s.schema).toBe('meridian');
    expect(s.table('identity_links')).toBe('"meridian"."identity_links"');
    expect(() => s.table('x y')).toThrow(InvalidIdentifierError);
    await s.close();
    expect(() => createStore(pg.url, { max: 0 })).toThrow('max must be a positive whole number, got 0');
  });

  it('rolls a failed transaction back and keeps the pool usable', async () => {
    const store = storeIn(uniqueSchema('t_tx'));
    await store.migrate();
    await expect(
      store.transaction(async (c) => {
        await c.query(`INSERT INTO ${store.table('golden_customers')} (id) VALUES ($1)`, ['gc_01JD0000000000000000000000']);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const n = await store.query<{ n: string }>(`SELECT count(*) AS n FROM ${store.table('golden_customers')}`);
    expect(n.rows[0]!.n).toBe('0');
  });

  it('enforces the identity tables’ constraints', async () => {
    const store = storeIn(uniqueSchema('t_cons'));
    await store.migrate();
    const g = store.table('golden_customers');
    const l = store.table('identity_links');
    await expect(store.query(`INSERT INTO ${g} (id) VALUES ('cus_123')`)).rejects.toThrow(/check constraint/);
    await store.query(`INSERT INTO ${g} (id) VALUES ($1)`, ['gc_01JD0000000000000000000000']);
    const link = (golden: string, confidence: number): Promise<unknown> =>
      store.query(`INSERT INTO ${l} (system, record_type, external_id, golden_id, confidence, rule) VALUES ('stripe', 'customer', $3, $1, $2, 'email')`, [golden, confidence, `cus_${confidence}`]);
    await expect(link('gc_01JD0000000000000000000000', 1.5)).rejects.toThrow(/check constraint/);
    await expect(link('gc_01JD0000000000000000000001', 1)).rejects.toThrow(/foreign key/);
    await link('gc_01JD0000000000000000000000', 1);
    await expect(store.query(`UPDATE ${g} SET retired_into = id, retired_at = now()`)).rejects.toThrow(/check constraint/);
  });
});

describe('advisoryLockKey()', () => {
  it('is a stable signed 64-bit integer', () => {
    const k = advisoryLockKey('meridian:migrate:meridian');
    expect(k).toBe(advisoryLockKey('meridian:migrate:meridian'));
    expect(k).not.toBe(advisoryLockKey('meridian:migrate:other'));
    expect(BigInt(k) >= -(2n ** 63n) && BigInt(k) < 2n ** 63n).toBe(true);
  });
});

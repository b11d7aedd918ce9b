// Store.prepared: named statements, and what happens when the server does not keep them the way
// the client thinks (a pooler in transaction mode in front of Postgres hands a client another
// server connection): one retry as a plain statement, the answer right, plain statements from
// then on, said once. On a real server and on embedded PGlite.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore, type Store } from '../../src/store/index.ts';
import { testPostgres, type TestPostgres } from '../support/postgres.ts';

let pg: TestPostgres;
const stores: Store[] = [];
const open = (said: string[]): Store => {
  // One connection: what the test does to the server's session is what the next call meets.
  const s = createStore(pg.url, { max: 1, namedStatements: true, onNamedStatementsOff: (reason) => said.push(reason) });
  stores.push(s);
  return s;
};
const TEXT = 'SELECT $1::int + 1 AS n';

beforeAll(async () => {
  pg = await testPostgres();
});
afterAll(async () => {
  for (const s of stores) await s.close();
  await pg.close();
});

describe('Store.prepared', () => {
  it('runs a named statement, and the server keeps it for the next call', async () => {
    const said: string[] = [];
    const store = open(said);
    expect((await store.prepared<{ n: number }>(TEXT, [1])).rows).toEqual([{ n: 2 }]);
    const kept = await store.query<{ name: string }>('SELECT name FROM pg_prepared_statements WHERE statement = $1', [TEXT]);
    expect(kept.rows).toHaveLength(1);
    expect(kept.rows[0]!.name).toMatch(/^meridian_[0-9a-f]{24}$/);
    expect((await store.prepared<{ n: number }>(TEXT, [41])).rows).toEqual([{ n: 42 }]);
    expect(said).toEqual([]);
    await store.query('DEALLOCATE ALL');
  });

  it('answers once more as a plain statement when the server lost the statement (SQLSTATE 26000), and stays plain', async () => {
    const said: string[] = [];
    const store = open(said);
    expect((await store.prepared<{ n: number }>(TEXT, [1])).rows).toEqual([{ n: 2 }]);
    // As a pooler would: the client believes the statement is there; the server has none.
    await store.query('DEALLOCATE ALL');
    expect((await store.prepared<{ n: number }>(TEXT, [2])).rows).toEqual([{ n: 3 }]);
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/missing on the server \(SQLSTATE 26000\)/);
    // Plain from now on: nothing named is made again, and nothing more is said.
    expect((await store.prepared<{ n: number }>(TEXT, [3])).rows).toEqual([{ n: 4 }]);
    expect((await store.query('SELECT name FROM pg_prepared_statements')).rows).toEqual([]);
    expect(said).toHaveLength(1);
  });

  it('answers once more as a plain statement when the server already had the name (SQLSTATE 42P05)', async () => {
    const first = open([]);
    await first.prepared(TEXT, [1]);
    const name = (await first.query<{ name: string }>('SELECT name FROM pg_prepared_statements WHERE statement = $1', [TEXT])).rows[0]!.name;
    const said: string[] = [];
    const store = open(said);
    // Another client's statement of that name on this server session (embedded PGlite shares one already).
    const has = await store.query('SELECT 1 FROM pg_prepared_statements WHERE name = $1', [name]);
    if (has.rowCount === 0) await store.query(`PREPARE ${name} AS SELECT 0`);
    expect((await store.prepared<{ n: number }>(TEXT, [9])).rows).toEqual([{ n: 10 }]);
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/already existed on the server \(SQLSTATE 42P05\)/);
    await store.query('DEALLOCATE ALL');
    await first.query('DEALLOCATE ALL');
  });

  it('passes on every other error as it is', async () => {
    const said: string[] = [];
    const store = open(said);
    await expect(store.prepared('SELECT $1::int / 0 AS n', [1])).rejects.toMatchObject({ code: '22012' });
    expect(said).toEqual([]);
    await store.query('DEALLOCATE ALL');
  });
});

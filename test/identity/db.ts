// A migrated store in a schema of its own, dropped afterwards: real Postgres when DATABASE_URL
// is set, embedded PGlite otherwise.
import { createStore, type Store } from '../../src/store/index.ts';
import { testPostgres, uniqueSchema, type TestPostgres } from '../support/postgres.ts';

export interface TestStore {
  pg: TestPostgres;
  store: Store;
  close(): Promise<void>;
}

export async function migratedStore(prefix: string): Promise<TestStore> {
  const pg = await testPostgres();
  const store = createStore(pg.url, { schema: uniqueSchema(prefix), max: 4 });
  await store.migrate();
  return {
    pg,
    store,
    close: async () => {
      try {
        await store.query(`DROP SCHEMA IF EXISTS "${store.schema}" CASCADE`);
      } finally {
        await store.close();
        await pg.close();
      }
    },
  };
}

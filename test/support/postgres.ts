// Which Postgres a test uses: the real server named by DATABASE_URL (CI sets it), otherwise
// the embedded one. Each suite gets its own schema name so suites can run side by side.
import pg from 'pg';
import { createStore, type Store } from '../../src/store/index.ts';
import { startSyncQueue, type SyncQueue } from '../../src/sync/queue.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/store/embedded-postgres.ts';

export interface TestPostgres {
  url: string;
  kind: 'server' | 'embedded';
  close(): Promise<void>;
}

export async function testPostgres(): Promise<TestPostgres> {
  const url = process.env['DATABASE_URL'];
  if (url) return { url, kind: 'server', close: () => Promise.resolve() };
  const embedded: EmbeddedPostgres = await startEmbeddedPostgres({ dataDir: null });
  return { url: embedded.url, kind: 'embedded', close: () => embedded.close() };
}

export function uniqueSchema(prefix: string): string {
  return `${prefix}_${process.pid}_${Math.floor(Math.random() * 1e6)}`;
}

/** A database of its own on the server at `serverUrl` (for processes that use Meridian's default schema, as a deployment does); `drop()` removes it. */
export async function createTestDatabase(serverUrl: string, prefix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = uniqueSchema(prefix);
  const onServer = async (sql: string): Promise<void> => {
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    try {
      await admin.query(sql);
    } finally {
      await admin.end();
    }
  };
  await onServer(`CREATE DATABASE ${name}`);
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  // Dropped once its sessions have ended: FORCE terminates any left, and a client of this process
  // that is terminated that way reports an error nobody handles (the run fails with every test
  // passed). A session still there after the wait is named, so the leak can be found.
  const drop = async (): Promise<void> => {
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    try {
      const sessions = (): Promise<{ application_name: string; state: string | null; query: string }[]> =>
        admin.query<{ application_name: string; state: string | null; query: string }>('SELECT application_name, state, query FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]).then((r) => r.rows);
      let left = await sessions();
      for (const until = Date.now() + 10_000; left.length > 0 && Date.now() < until; left = await sessions()) await new Promise((r) => setTimeout(r, 100));
      if (left.length > 0) {
        process.stderr.write(`[test] database ${name} still had ${String(left.length)} session(s) at its drop: ${left.map((s) => `${s.application_name || '(no name)'} ${s.state ?? ''} ${s.query.slice(0, 60)}`).join('; ')}\n`);
      }
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  };
  return { url: u.toString(), drop: () => drop().catch(() => undefined) };
}

/** A migrated store in a schema of its own and its job queue, on the test Postgres; `close()` drops both schemas (on a server) and stops everything. */
export async function startTestQueue(prefix: string): Promise<{ store: Store; queue: SyncQueue; close: () => Promise<void> }> {
  const pgt = await testPostgres();
  const store = createStore(pgt.url, { schema: uniqueSchema(prefix), max: 4 });
  await store.migrate();
  const queue = await startSyncQueue(store, pgt.kind === 'server' ? { url: pgt.url } : {});
  return {
    store,
    queue,
    close: async () => {
      await queue.stop();
      if (pgt.kind === 'server') await store.query(`DROP SCHEMA IF EXISTS ${store.schema} CASCADE; DROP SCHEMA IF EXISTS ${queue.schema} CASCADE`).catch(() => undefined);
      await store.close();
      await pgt.close();
    },
  };
}

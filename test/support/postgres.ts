// Which Postgres a test uses: the real server named by DATABASE_URL (CI sets it), otherwise
// the embedded one. Each suite gets its own schema name so suites can run side by side.
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

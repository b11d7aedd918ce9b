// Embedded Postgres for the zero-config default: PGlite in-process, served over the Postgres
// wire protocol on a loopback port (pglite-server.ts) so every part of Meridian talks to it
// with `pg`, exactly as it talks to a real server. PGlite is single-session: batches from
// several connections are queued, and a transaction holds the others until it ends.
import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { startPgliteServer } from './pglite-server.ts';

export interface EmbeddedPostgresOptions {
  /** Folder for the data files; null keeps everything in memory. */
  dataDir: string | null;
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
}

export interface EmbeddedPostgres {
  readonly db: PGlite;
  /** postgres:// URL for `pg` clients. */
  readonly url: string;
  close(): Promise<void>;
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  if (options.dataDir !== null) await mkdir(options.dataDir, { recursive: true });
  const db = options.dataDir === null ? await PGlite.create() : await PGlite.create(options.dataDir);
  const host = options.host ?? '127.0.0.1';
  let server;
  try {
    server = await startPgliteServer(db, { host, port: options.port ?? 0 });
  } catch (e) {
    await db.close();
    throw e;
  }
  const running = server;
  return {
    db,
    url: `postgres://postgres@${host}:${running.port}/postgres?sslmode=disable`,
    close: async () => {
      await running.close();
      await db.close();
    },
  };
}

// The ERP connection: pg with a small pool and a statement timeout, so a slow ERP costs its
// fields and not the whole answer. Meridian only reads the ERP: every session starts with
// default_transaction_read_only=on (a startup parameter, no extra round trip), so each
// statement the reader sends runs in a read-only transaction and a write would be refused
// with SQLSTATE 25006. Real Postgres servers honour startup parameters; the embedded PGlite
// sandbox ignores them (docs/sources/erp.md).
// https://www.postgresql.org/docs/current/runtime-config-client.html#GUC-DEFAULT-TRANSACTION-READ-ONLY
import pg from 'pg';
import type { ErpSettings } from './settings.ts';

export interface ErpPoolOptions {
  max?: number;
  statementTimeoutMs?: number;
  connectTimeoutMs?: number;
}

export function createErpPool(settings: ErpSettings, options: ErpPoolOptions = {}): pg.Pool {
  return new pg.Pool({
    connectionString: settings.url,
    max: options.max ?? 4,
    statement_timeout: options.statementTimeoutMs ?? 5_000,
    // The server-side timeout cannot fire when the server never got the query (a stalled
    // connection): the client gives up a second later.
    query_timeout: (options.statementTimeoutMs ?? 5_000) + 1_000,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    options: '-c default_transaction_read_only=on',
    application_name: 'meridian',
  });
}

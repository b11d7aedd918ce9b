// The ERP connection: pg with a small pool and a statement timeout, so a slow ERP costs its
// fields and not the whole answer. Meridian only reads the ERP; the reader runs each read
// in a READ ONLY transaction.
import pg from 'pg';
import type { ErpSettings } from '../../config/systems.ts';

export interface ErpPoolOptions {
  max?: number;
  statementTimeoutMs?: number;
}

export function createErpPool(settings: ErpSettings, options: ErpPoolOptions = {}): pg.Pool {
  return new pg.Pool({
    connectionString: settings.url,
    max: options.max ?? 4,
    statement_timeout: options.statementTimeoutMs ?? 5_000,
    application_name: 'meridian',
  });
}

// Postgres access for every part of Meridian: one pg.Pool against a URL (a real server, or the
// embedded PGlite served over the wire protocol), one schema per deployment, and migrations.
import { createHash } from 'node:crypto';
import pg from 'pg';
import { migrate, type MigrateResult } from './migrate.ts';
import { quoteIdentifier } from './sql.ts';
import { withTransaction } from './transaction.ts';

export { migrate, MigrationError, type MigrateResult } from './migrate.ts';
export { MIGRATIONS, type Migration } from './migrations/index.ts';
export { advisoryLockKey, InvalidIdentifierError, quoteIdentifier } from './sql.ts';
export { withTransaction } from './transaction.ts';

export const DEFAULT_SCHEMA = 'meridian';

export interface StoreOptions {
  /** Schema holding Meridian's tables; a lower-case SQL identifier. Default 'meridian'. */
  schema?: string;
  /** Pool size. Default 10. */
  max?: number;
  /** Errors of idle pooled connections (e.g. a server restart); the pool drops the connection. */
  onIdleError?: (error: Error) => void;
  /**
   * `prepared` runs named statements (default true). Off for the embedded store: its one PGlite
   * session serves every connection (pglite-server.ts), so a name one connection prepared is
   * already taken when the next prepares it.
   */
  namedStatements?: boolean;
  /**
   * Called once when named statements are turned off for the rest of the process because the
   * server lost or already had one (a pooler that does not keep them: see `prepared`).
   */
  onNamedStatementsOff?: (reason: string) => void;
}

export interface Store {
  readonly pool: pg.Pool;
  readonly schema: string;
  /** `"schema"."name"` for use in SQL text (the name itself is checked as an identifier). */
  table(name: string): string;
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
  /**
   * The same as query, as a named statement: each pooled connection parses and plans it once,
   * then only binds and runs it. For the statements on a request's path (a cache miss's link
   * lookup): planning is most of a small statement's time on the server. A pooler in front of
   * Postgres should keep protocol-level prepared statements (PgBouncer 1.21+: max_prepared_statements).
   * One that does not (the server answers that a statement does not exist, or exists already)
   * costs one retry as a plain statement, and the store uses plain statements from then on
   * (onNamedStatementsOff). Both errors come before the statement runs, so the retry never
   * runs it twice.
   */
  prepared<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
  /** See withTransaction: use only the given client inside. */
  transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T>;
  /** Applies pending migrations; idempotent and safe to run from several processes at once. */
  migrate(): Promise<MigrateResult>;
  close(): Promise<void>;
}

export function createStore(url: string, options: StoreOptions = {}): Store {
  const schema = options.schema ?? DEFAULT_SCHEMA;
  const quoted = quoteIdentifier(schema, 'schema');
  const max = options.max ?? 10;
  if (!Number.isInteger(max) || max < 1) throw new RangeError(`max must be a positive whole number, got ${String(max)}`);
  const pool = new pg.Pool({ connectionString: url, max });
  // Without a listener an idle client's error (server restart) would crash the process.
  const onIdleError = options.onIdleError ?? (() => {});
  pool.on('error', (e) => onIdleError(e));
  let closed = false;
  let named = options.namedStatements !== false;
  const prepared = async <R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> => {
    if (!named) return pool.query<R>(text, values);
    try {
      return await pool.query<R>({ name: statementName(text), text, values: values ?? [] });
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      // 26000: the connection behind the pooler never saw this statement; 42P05: it saw another client's.
      if (code !== '26000' && code !== '42P05') throw e;
      if (named) {
        named = false;
        options.onNamedStatementsOff?.(`${code === '26000' ? 'a prepared statement was missing on the server' : 'a prepared statement already existed on the server'} (SQLSTATE ${code}); is a pooler in transaction mode in front of Postgres?`);
      }
      return pool.query<R>(text, values);
    }
  };
  return {
    pool,
    schema,
    table: (name) => `${quoted}.${quoteIdentifier(name, 'table name')}`,
    query: <R extends pg.QueryResultRow>(text: string, values?: unknown[]) => pool.query<R>(text, values),
    prepared,
    transaction: (fn) => withTransaction(pool, fn),
    migrate: () => migrate(pool, schema),
    close: async () => {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}

const statementNames = new Map<string, string>();
/** A name per statement text (the text names its schema, so one name never means two statements). */
function statementName(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `meridian_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    statementNames.set(text, name);
  }
  return name;
}

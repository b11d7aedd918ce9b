// Proof, at start, that the ERP connection cannot write: Meridian only reads the ERP, and a
// connection that could write (a superuser, the ERP's owner, a role with INSERT somewhere) turns
// any mistake of ours into damage to the books. Two things are checked on a session opened
// exactly as the connector opens its own (createErpPool):
// - the session: `transaction_read_only` is on (client.ts asks for default_transaction_read_only
//   at start-up; a pooler that drops start-up options shows here). A guard rail only: any
//   client may still say BEGIN READ WRITE.
// - the role's privileges, which a client cannot undo: not a superuser; no INSERT, UPDATE,
//   DELETE or TRUNCATE on any table or view in a schema it can use; no CREATE on the database or
//   on any schema. Roles it could become with SET ROLE count as its own.
// A hot standby (a read replica) cannot be written by anyone: it passes whatever the role.
// https://www.postgresql.org/docs/current/functions-info.html#FUNCTIONS-INFO-ACCESS-TABLE
import type pg from 'pg';
import type { ErpSettings } from './settings.ts';
import { redact } from '../../observability/redact.ts';
import { SourceUnavailableError } from '../errors.ts';
import type { SourceConnector } from '../types.ts';

export interface ErpWriteAccess {
  /** current_user of the session. */
  role: string;
  /** pg_is_in_recovery(): a standby, which refuses every write. */
  standby: boolean;
  /** transaction_read_only in the session's own (implicit) transaction. */
  sessionReadOnly: boolean;
  /** Superuser roles it is or can become. */
  superuser: string[];
  /** Tables (and views) it can change, with what it may do to each; at most TABLES_LISTED. */
  tables: { table: string; privileges: string[] }[];
  /** How many tables it can change in all. */
  tablesTotal: number;
  databaseCreate: boolean;
  /** Schemas it may create objects in. */
  schemasCreate: string[];
}

const TABLES_LISTED = 5;

/** Schemas of the system itself: their catalogs are not the ERP's data. */
const USER_SCHEMAS = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'`;
/** Roles the session is or may become (itself included; every role for a superuser). */
const MY_ROLES = `SELECT r.oid, r.rolname, r.rolsuper FROM pg_roles r WHERE pg_has_role(current_user, r.oid, 'MEMBER')`;

interface Queryable {
  query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

export async function inspectErpAccess(db: Queryable): Promise<ErpWriteAccess> {
  const session = (
    await db.query<{ role: string; standby: boolean; read_only: string; superuser: string[] | null; db_create: boolean }>(
      `WITH me AS (${MY_ROLES})
       SELECT current_user AS role, pg_is_in_recovery() AS standby, current_setting('transaction_read_only') AS read_only,
              (SELECT array_agg(rolname::text ORDER BY rolname) FROM me WHERE rolsuper) AS superuser,
              EXISTS (SELECT 1 FROM me WHERE has_database_privilege(me.oid, current_database(), 'CREATE')) AS db_create`,
    )
  ).rows[0]!;
  const tables = await db.query<{ tbl: string; privileges: string[]; total: string }>(
    `WITH me AS (${MY_ROLES}),
     writable AS (
       SELECT format('%I.%I', n.nspname, c.relname) AS tbl,
              array_remove(ARRAY[
                CASE WHEN bool_or(has_any_column_privilege(me.oid, c.oid, 'INSERT')) THEN 'INSERT' END,
                CASE WHEN bool_or(has_any_column_privilege(me.oid, c.oid, 'UPDATE')) THEN 'UPDATE' END,
                CASE WHEN bool_or(has_table_privilege(me.oid, c.oid, 'DELETE')) THEN 'DELETE' END,
                CASE WHEN bool_or(has_table_privilege(me.oid, c.oid, 'TRUNCATE')) THEN 'TRUNCATE' END
              ], NULL) AS privileges
         FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN me ON has_schema_privilege(me.oid, n.oid, 'USAGE')
        WHERE c.relkind IN ('r', 'p', 'v', 'f') AND ${USER_SCHEMAS}
        GROUP BY n.nspname, c.relname
     )
     SELECT tbl, privileges, count(*) OVER () AS total FROM writable WHERE cardinality(privileges) > 0 ORDER BY tbl LIMIT ${TABLES_LISTED}`,
  );
  const schemas = await db.query<{ nspname: string }>(
    `WITH me AS (${MY_ROLES})
     SELECT n.nspname FROM pg_namespace n
      WHERE ${USER_SCHEMAS} AND EXISTS (SELECT 1 FROM me WHERE has_schema_privilege(me.oid, n.oid, 'CREATE'))
      ORDER BY 1`,
  );
  return {
    role: session.role,
    standby: session.standby,
    sessionReadOnly: session.read_only === 'on',
    superuser: session.superuser ?? [],
    tables: tables.rows.map((r) => ({ table: r.tbl, privileges: r.privileges })),
    tablesTotal: Number(tables.rows[0]?.total ?? 0),
    databaseCreate: session.db_create,
    schemasCreate: schemas.rows.map((r) => r.nspname),
  };
}

/** What the connection could do to the ERP, in words; empty when it cannot write. */
export function writeCapabilities(a: ErpWriteAccess): string[] {
  if (a.standby) return [];
  const can: string[] = [];
  if (a.superuser.length > 0) can.push(a.superuser.includes(a.role) ? `${a.role} is a superuser` : `${a.role} can become superuser ${a.superuser.join(', ')}`);
  if (a.tablesTotal > 0) {
    const first = a.tables[0]!;
    const more = a.tablesTotal - 1;
    can.push(`${first.privileges.join(', ')} on ${first.table}${more > 0 ? ` and ${more} more table${more === 1 ? '' : 's'} (${a.tables.slice(1).map((t) => t.table).join(', ')}${a.tablesTotal > a.tables.length ? ', …' : ''})` : ''}`);
  }
  if (a.databaseCreate) can.push('CREATE on the database');
  if (a.schemasCreate.length > 0) can.push(`CREATE on schema ${a.schemasCreate.join(', ')}`);
  if (!a.sessionReadOnly) can.push('its sessions are not read-only (default_transaction_read_only did not take: a pooler that drops start-up options?)');
  return can;
}

/** The URL as it may be shown: no password. */
const shown = (url: string): string => redact(url).replace(/\?.*$/, '');

/** The one line that refuses a connection that can write. */
export function refusal(url: string, can: readonly string[]): string {
  return `ERP_DATABASE_URL (${shown(url)}) can write to the ERP: ${can.join('; ')}. Meridian only reads the ERP: connect as a role with SELECT only (docs/deploy.md, "The ERP"), or set MERIDIAN_ERP_ALLOW_WRITES=1 to start anyway`;
}

export type ErpWriteVerdict =
  | { kind: 'read-only'; access: ErpWriteAccess }
  | { kind: 'can-write'; access: ErpWriteAccess; can: string[] }
  | { kind: 'unknown'; reason: string };

/** Opens one session as the connector would (`openPool`), inspects it and closes it. */
export async function checkErpConnection(openPool: () => pg.Pool): Promise<ErpWriteVerdict> {
  const pool = openPool();
  try {
    const access = await inspectErpAccess(pool);
    const can = writeCapabilities(access);
    return can.length === 0 ? { kind: 'read-only', access } : { kind: 'can-write', access, can };
  } catch (e) {
    return { kind: 'unknown', reason: redact(e instanceof Error ? e.message : String(e)) };
  } finally {
    await pool.end().catch(() => undefined);
  }
}

export interface ErpWriteGuardOptions {
  settings: ErpSettings;
  openPool: () => pg.Pool;
  /** MERIDIAN_ERP_ALLOW_WRITES=1: start anyway, loudly. */
  allowWrites: boolean;
  /** The sandbox's own ERP: a connection that can write is said, not refused (its data is the demo world). */
  sandbox: { reason: string | null } | null;
  logger: { info(msg: string, extra?: Record<string, unknown>): void; error(msg: string, extra?: Record<string, unknown>): void };
  /** How long a failed check is not tried again when the ERP could not be reached. Default 5 s. */
  retryMs?: number;
}

/** A connection that can write, refused at start: one line, exit 2 (the CLI's ConfigError path). */
export class ErpCanWriteError extends Error {
  constructor(line: string) {
    super(line);
    this.name = 'ErpCanWriteError';
  }
}

/**
 * Checks the ERP connection at start. Throws ErpCanWriteError for a connection that can write
 * (unless overridden, or the sandbox's). An ERP that cannot be reached does not stop the start
 * (a system down at start never does): the connector it returns makes no call until the check
 * has passed, answering SOURCE_UNAVAILABLE meanwhile, and a connection found able to write later
 * stays unused.
 */
export async function guardErpWrites(connector: SourceConnector<'erp'>, options: ErpWriteGuardOptions): Promise<SourceConnector<'erp'>> {
  const { logger, settings } = options;
  const decide = (verdict: ErpWriteVerdict, atStart: boolean): 'ok' | 'refused' | 'unknown' => {
    if (verdict.kind === 'read-only') {
      logger.info('erp connection is read-only', { role: verdict.access.role, ...(verdict.access.standby ? { standby: true } : {}) });
      return 'ok';
    }
    if (verdict.kind === 'unknown') return 'unknown';
    const line = refusal(settings.url, verdict.can);
    if (options.allowWrites) {
      logger.error(`WARNING: ${line.replace(/, or set MERIDIAN_ERP_ALLOW_WRITES=1 to start anyway$/, '')}; starting anyway because MERIDIAN_ERP_ALLOW_WRITES=1`);
      return 'ok';
    }
    if (options.sandbox) {
      logger.error(`sandbox ERP: the gateway's ERP connection can write to the demo ERP (${verdict.can.join('; ')})${options.sandbox.reason ? `: ${options.sandbox.reason}` : ''}`);
      return 'ok';
    }
    if (atStart) throw new ErpCanWriteError(line);
    logger.error(`${line}; the ERP is not read until this is fixed and the gateway restarted`);
    return 'refused';
  };

  const first = await checkErpConnection(options.openPool);
  const state = decide(first, true);
  if (state === 'ok') return connector;
  logger.error('erp: could not check that ERP_DATABASE_URL cannot write; the ERP is not read until the check passes', { reason: first.kind === 'unknown' ? first.reason : '' });

  let status: 'unknown' | 'refused' | 'ok' = 'unknown';
  let lastTry = Date.now();
  let inFlight: Promise<void> | null = null;
  const retryMs = options.retryMs ?? 5_000;
  const unavailable = (why: string): SourceUnavailableError => new SourceUnavailableError('erp', `erp: ${why}`, { publicReason: why });
  const ready = (): Promise<void> => {
    if (status === 'ok') return Promise.resolve();
    if (status === 'refused') return Promise.reject(unavailable('the ERP connection can write, so it is not used (see the log)'));
    if (inFlight) return inFlight;
    if (Date.now() - lastTry < retryMs) return Promise.reject(unavailable('not yet checked to be read-only (the ERP could not be reached)'));
    lastTry = Date.now();
    inFlight = checkErpConnection(options.openPool)
      .then((verdict) => {
        const d = decide(verdict, false);
        if (d === 'ok') status = 'ok';
        else if (d === 'refused') status = 'refused';
      })
      .finally(() => {
        inFlight = null;
      });
    return inFlight.then(() => (status === 'ok' ? undefined : ready()));
  };
  /** The DataLoader contract: while the check has not passed, its reason is every key's error. */
  const notReady = async (keys: readonly unknown[]): Promise<Error[] | null> => {
    try {
      await ready();
      return null;
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      return keys.map(() => error);
    }
  };
  return {
    ...connector,
    loadAccounts: async (ids) => (await notReady(ids)) ?? connector.loadAccounts(ids),
    loadRelated: async (kind, ids) => (await notReady(ids)) ?? connector.loadRelated(kind, ids),
    accountOfPerson: (ids) => connector.accountOfPerson(ids),
    async *scanAccounts(scan) {
      await ready();
      yield* connector.scanAccounts(scan);
    },
    ping: async () => {
      await ready();
      await connector.ping();
    },
    close: () => connector.close(),
  };
}

// The role the gateway reads the sandbox ERP as: LOGIN, SELECT on the ERP schema's tables and
// nothing else, so the gateway's ERP connection is read-only by its privileges (the start-up
// check in src/sources/erp/read-only.ts proves it), as a real deployment's would be.
//
// One role, `meridian_sandbox_reader`, granted each sandbox ERP schema it is used with. On a
// Postgres server roles belong to the whole cluster: a role of that name that the sandbox did not
// create (no marker comment) is left alone, and the role is created once, never altered. Its
// password is derived from the creating owner's (an HMAC: stable across starts and processes,
// not guessable from this code). In the embedded PGlite the role is taken per connection by the
// embedded server (src/store/pglite-server.ts), which checks no password.
// https://www.postgresql.org/docs/current/sql-createrole.html
import { createHmac } from 'node:crypto';
import type pg from 'pg';

/** The comment that marks a role as the sandbox's own. */
const MARKER = 'meridian sandbox: read-only role of the ERP emulator';

export type ReaderRole = { ok: true; user: string; password: string } | { ok: false; reason: string };

export const READER_ROLE = 'meridian_sandbox_reader';

const errorCode = (e: unknown): string | undefined => (typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : undefined);

/**
 * Creates (or updates) the reader role and grants it SELECT on the schema's tables. Runs in the
 * caller's transaction (seedErp's, which holds the schema's advisory lock). A role that cannot be
 * created (no CREATEROLE) is a reason, not an error: the sandbox still runs, and the gateway says
 * its ERP connection can write.
 */
export async function ensureReaderRole(client: pg.PoolClient, schema: string, ownerUrl: string): Promise<ReaderRole> {
  const user = READER_ROLE;
  const password = createHmac('sha256', decodeURIComponent(new URL(ownerUrl).password) || 'meridian-sandbox').update(user).digest('base64url');
  await client.query('SAVEPOINT reader_role');
  try {
    const existing = await client.query<{ comment: string | null }>("SELECT shobj_description(oid, 'pg_authid') AS comment FROM pg_roles WHERE rolname = $1", [user]);
    const row = existing.rows[0];
    if (row && row.comment !== MARKER) {
      await client.query('RELEASE SAVEPOINT reader_role');
      return { ok: false, reason: `a role named ${user} exists that the sandbox did not create; it was left alone` };
    }
    // Role names and the password are ours (no user input); the password is base64url.
    if (!row) {
      try {
        await client.query(`CREATE ROLE ${user} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD '${password}'`);
      } catch (e) {
        // Another database of the same server created it a moment ago: it is the same role.
        if (errorCode(e) !== '42710' && errorCode(e) !== '23505') throw e;
      }
      await client.query(`COMMENT ON ROLE ${user} IS '${MARKER}'`);
    }
    await client.query(`GRANT USAGE ON SCHEMA ${schema} TO ${user}`);
    await client.query(`GRANT SELECT ON ALL TABLES IN SCHEMA ${schema} TO ${user}`);
    await client.query('RELEASE SAVEPOINT reader_role');
    return { ok: true, user, password };
  } catch (e) {
    await client.query('ROLLBACK TO SAVEPOINT reader_role');
    if (errorCode(e) === '42501') return { ok: false, reason: `the DATABASE_URL role may not create roles (${e instanceof Error ? e.message : String(e)}); grant it CREATEROLE` };
    throw e;
  }
}

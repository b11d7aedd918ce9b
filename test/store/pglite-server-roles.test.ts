// The embedded server takes each connection's role and read-only setting from its start-up
// message (PGlite itself ignores both and is one session for all): interleaved connections each
// see their own, a role's privileges are what PGlite checks, and an unknown role is refused as
// Postgres refuses it.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/store/embedded-postgres.ts';

describe('embedded Postgres: the role and settings a connection asks for', () => {
  let embedded: EmbeddedPostgres;
  const pools: pg.Pool[] = [];
  const pool = (user: string, readOnly: boolean): pg.Pool => {
    const url = new URL(embedded.url);
    url.username = user;
    const p = new pg.Pool({ connectionString: url.toString(), max: 1, ...(readOnly ? { options: '-c default_transaction_read_only=on' } : {}) });
    pools.push(p);
    return p;
  };

  beforeAll(async () => {
    embedded = await startEmbeddedPostgres({ dataDir: null });
    await embedded.db.exec(`CREATE SCHEMA ledger; CREATE TABLE ledger.t (a int); CREATE ROLE auditor LOGIN;
      GRANT USAGE ON SCHEMA ledger TO auditor; GRANT SELECT ON ALL TABLES IN SCHEMA ledger TO auditor`);
  });
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.end()));
    await embedded?.close();
  });

  it('gives interleaved connections each their own role and read-only setting', async () => {
    const who = "SELECT current_user AS role, current_setting('transaction_read_only') AS ro";
    const auditor = pool('auditor', true);
    const owner = pool('postgres', false);
    const ownerReadOnly = pool('postgres', true);
    for (let i = 0; i < 3; i++) {
      expect((await auditor.query(who)).rows[0]).toEqual({ role: 'auditor', ro: 'on' });
      expect((await owner.query(who)).rows[0]).toEqual({ role: 'postgres', ro: 'off' });
      expect((await ownerReadOnly.query(who)).rows[0]).toEqual({ role: 'postgres', ro: 'on' });
      expect((await auditor.query(who)).rows[0]).toEqual({ role: 'auditor', ro: 'on' });
      expect((await ownerReadOnly.query(who)).rows[0]).toEqual({ role: 'postgres', ro: 'on' });
      expect((await owner.query(who)).rows[0]).toEqual({ role: 'postgres', ro: 'off' });
    }
  });

  it('checks the role’s privileges: a read-write transaction of a SELECT-only role cannot write', async () => {
    const client = await pool('auditor', true).connect();
    try {
      await expect(client.query('INSERT INTO ledger.t VALUES (1)')).rejects.toMatchObject({ code: '25006' });
      await client.query('BEGIN READ WRITE');
      await expect(client.query('INSERT INTO ledger.t VALUES (1)')).rejects.toMatchObject({ code: '42501' });
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    // The owner still writes, in its own session settings.
    expect((await pool('postgres', false).query('INSERT INTO ledger.t VALUES (2) RETURNING a')).rows).toEqual([{ a: 2 }]);
  });

  it('refuses a role that does not exist, as Postgres does', async () => {
    const url = new URL(embedded.url);
    url.username = 'nobody';
    const client = new pg.Client({ connectionString: url.toString() });
    await expect(client.connect()).rejects.toThrow(/role "nobody" does not exist/);
  });
});

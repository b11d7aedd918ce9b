// The ERP connection must not be able to write, proven at start (src/sources/erp/read-only.ts):
// a role with SELECT only is accepted; a superuser, a role with INSERT on one table or CREATE on
// a schema is refused — by `meridian serve` with one line naming ERP_DATABASE_URL (password
// hidden) and exit 2 — unless MERIDIAN_ERP_ALLOW_WRITES=1, which starts with a loud warning.
// Roles are real (CREATE ROLE … LOGIN) in the test Postgres: the server DATABASE_URL names, or
// the embedded PGlite, whose server takes the connection's role (src/store/pglite-server.ts).
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createErpPool } from '../../src/sources/erp/client.ts';
import { checkErpConnection, guardErpWrites, refusal, writeCapabilities } from '../../src/sources/erp/read-only.ts';
import { createErpConnector } from '../../src/sources/erp/index.ts';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.ts';
import { readSystemSettings } from '../../src/config/systems.ts';
import { CLI_BIN, runCli } from '../support/cli.ts';
import { testPostgres, uniqueSchema, type TestPostgres } from '../support/postgres.ts';
import { TEST_API_KEYS_ENV } from '../support/app.ts';

const schema = uniqueSchema('erp_ro');
const suffix = schema.slice('erp_ro_'.length);
const roles = { reader: `ro_reader_${suffix}`, inserter: `ro_inserter_${suffix}`, creator: `ro_creator_${suffix}` };
const PASSWORD = 'Pw-erp-7731';

let db: TestPostgres;
let owner: pg.Pool;

/** The test Postgres's URL as `user` (with a password, which trust authentication ignores). */
function urlAs(user: string): string {
  const u = new URL(db.url);
  u.username = user;
  u.password = PASSWORD;
  return u.toString();
}

const check = (url: string): ReturnType<typeof checkErpConnection> => checkErpConnection(() => createErpPool({ url, schema }, { max: 1 }));

beforeAll(async () => {
  db = await testPostgres();
  owner = new pg.Pool({ connectionString: db.url, max: 1 });
  await owner.query(`CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.customers (customer_number text PRIMARY KEY); CREATE TABLE ${schema}.invoices (id int)`);
  for (const role of Object.values(roles)) {
    await owner.query(`CREATE ROLE ${role} LOGIN PASSWORD '${PASSWORD}'`);
    await owner.query(`GRANT USAGE ON SCHEMA ${schema} TO ${role}; GRANT SELECT ON ALL TABLES IN SCHEMA ${schema} TO ${role}`);
  }
  await owner.query(`GRANT INSERT ON ${schema}.invoices TO ${roles.inserter}`);
  await owner.query(`GRANT CREATE ON SCHEMA ${schema} TO ${roles.creator}`);
});

afterAll(async () => {
  await owner?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  for (const role of Object.values(roles)) await owner?.query(`DROP OWNED BY ${role}; DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
  await owner?.end();
  await db?.close();
});

describe('the ERP connection’s write check', () => {
  it('accepts a role with SELECT only, whose sessions are read-only', async () => {
    const verdict = await check(urlAs(roles.reader));
    expect(verdict).toMatchObject({ kind: 'read-only', access: { role: roles.reader, sessionReadOnly: true, superuser: [], tablesTotal: 0, databaseCreate: false, schemasCreate: [] } });
  });

  it('and that role really cannot write: BEGIN READ WRITE; CREATE TABLE and INSERT are refused', async () => {
    const pool = createErpPool({ url: urlAs(roles.reader), schema }, { max: 1 });
    try {
      await expect(pool.query(`INSERT INTO ${schema}.customers VALUES ('C-1')`)).rejects.toMatchObject({ code: '25006' });
      const client = await pool.connect();
      try {
        await client.query('BEGIN READ WRITE');
        await expect(client.query(`CREATE TABLE ${schema}.sneaky (a int)`)).rejects.toMatchObject({ code: '42501' });
        await client.query('ROLLBACK');
        await client.query('BEGIN READ WRITE');
        await expect(client.query(`INSERT INTO ${schema}.customers VALUES ('C-1')`)).rejects.toMatchObject({ code: '42501' });
        await client.query('ROLLBACK');
      } finally {
        client.release();
      }
    } finally {
      await pool.end();
    }
  });

  it('refuses a superuser, naming what it can do', async () => {
    const verdict = await check(db.url);
    expect(verdict.kind).toBe('can-write');
    const can = verdict.kind === 'can-write' ? verdict.can : [];
    expect(can.join('; ')).toMatch(/is a superuser/);
    expect(can.join('; ')).toMatch(/INSERT, UPDATE, DELETE, TRUNCATE on \S+ and \d+ more tables?\b/);
  });

  it('refuses a role with INSERT on one table, naming the table', async () => {
    const verdict = await check(urlAs(roles.inserter));
    expect(verdict.kind).toBe('can-write');
    expect(verdict.kind === 'can-write' ? verdict.can : []).toEqual([`INSERT on ${schema}.invoices`]);
  });

  it('refuses a role with CREATE on a schema', async () => {
    const verdict = await check(urlAs(roles.creator));
    expect(verdict.kind === 'can-write' ? verdict.can : []).toEqual([`CREATE on schema ${schema}`]);
  });

  it('refuses sessions that are not read-only even for a SELECT-only role', () => {
    const can = writeCapabilities({ role: 'r', standby: false, sessionReadOnly: false, superuser: [], tables: [], tablesTotal: 0, databaseCreate: false, schemasCreate: [] });
    expect(can).toEqual([expect.stringMatching(/sessions are not read-only/)]);
    // A standby refuses every write, whoever connects.
    expect(writeCapabilities({ role: 'r', standby: true, sessionReadOnly: true, superuser: ['r'], tables: [], tablesTotal: 0, databaseCreate: true, schemasCreate: ['x'] })).toEqual([]);
  });

  it('says the refusal in one line that names ERP_DATABASE_URL and hides the password', () => {
    const line = refusal(urlAs('erp_admin'), ['erp_admin is a superuser']);
    expect(line).toMatch(/^ERP_DATABASE_URL \(postgres:\/\/erp_admin:\*\*\*@/);
    expect(line).not.toContain(PASSWORD);
    expect(line).toMatch(/MERIDIAN_ERP_ALLOW_WRITES=1/);
    expect(line.split('\n')).toHaveLength(1);
  });
});

describe('meridian serve and the ERP connection', { timeout: 120_000 }, () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'meridian-erp-ro-'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  const env = (erpUrl: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
    const base: NodeJS.ProcessEnv = { ...process.env };
    for (const k of Object.keys(base)) if (/^(DATABASE_URL|REDIS_URL|NODE_ENV|SALESFORCE_|STRIPE_|ZENDESK_|ERP_|SANDBOX_|MERIDIAN_)/.test(k)) delete base[k];
    return { ...base, PORT: '0', MERIDIAN_DATA_DIR: dataDir, ERP_DATABASE_URL: erpUrl, ERP_SCHEMA: schema, MERIDIAN_API_KEYS: TEST_API_KEYS_ENV, ...extra };
  };

  /** Starts serve, waits for its banner, stops it with SIGTERM; the output and exit code. */
  const serveOnce = (e: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CLI_BIN, 'serve'], { env: e });
      let out = '';
      let stopped = false;
      const onData = (d: Buffer): void => {
        out += d.toString();
        if (!stopped && out.includes('Ctrl-C stops it.')) {
          stopped = true;
          child.kill('SIGTERM');
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, out }));
    });

  it('exits 2 with one line naming ERP_DATABASE_URL when it is a superuser, password hidden', async () => {
    const r = await runCli(['serve'], env(urlAs(new URL(db.url).username || 'postgres')));
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^ERP_DATABASE_URL \(.*\) can write to the ERP: .* is a superuser/);
    expect(r.stderr + r.stdout).not.toContain(PASSWORD);
  });

  it('exits 2 for a role with INSERT on one table', async () => {
    const r = await runCli(['serve'], env(urlAs(roles.inserter)));
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(new RegExp(`can write to the ERP: INSERT on ${schema}\\.invoices`));
  });

  it('starts with a role with SELECT only, and says nothing alarming', async () => {
    const r = await serveOnce(env(urlAs(roles.reader)));
    expect(r.out).toContain('Meridian is ready');
    expect(r.out).not.toMatch(/WARNING|can write/);
    expect(r.code, r.out).toBe(0);
  });

  it('starts anyway with MERIDIAN_ERP_ALLOW_WRITES=1, with a warning naming what it can do', async () => {
    const r = await serveOnce(env(urlAs(roles.inserter), { MERIDIAN_ERP_ALLOW_WRITES: '1' }));
    expect(r.out).toContain('Meridian is ready');
    expect(r.out).toMatch(new RegExp(`WARNING: ERP_DATABASE_URL \\(.*\\) can write to the ERP: INSERT on ${schema}\\.invoices.*starting anyway because MERIDIAN_ERP_ALLOW_WRITES=1`));
    expect(r.out).not.toContain(PASSWORD);
    expect(r.code).toBe(0);
  });
});

describe('the sandbox ERP', { timeout: 120_000 }, () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    // Embedded (PGlite) unless DATABASE_URL names a server: the connection the gateway is given either way.
    const url = process.env['DATABASE_URL'];
    sandbox = await startSandbox({ customers: 20, seed: 3, ...(url ? { databaseUrl: url, erpSchema: uniqueSchema('erp_ro_sb') } : {}) });
  });
  afterAll(async () => {
    if (process.env['DATABASE_URL']) await sandbox?.erp.pool.query(`DROP SCHEMA IF EXISTS ${sandbox.erp.schema} CASCADE`);
    await sandbox?.close();
  });

  it('gives the gateway a connection that passes the check and cannot write', async () => {
    expect(sandbox.erp.readerRole).toMatchObject({ ok: true, user: 'meridian_sandbox_reader' });
    const erp = readSystemSettings(sandbox.env()).erp!;
    expect(await checkErpConnection(() => createErpPool(erp, { max: 1 }))).toMatchObject({ kind: 'read-only', access: { role: 'meridian_sandbox_reader', sessionReadOnly: true } });
    const pool = createErpPool(erp, { max: 1 });
    try {
      await expect(pool.query(`UPDATE ${erp.schema}.customers SET legal_name = 'x'`)).rejects.toMatchObject({ code: '25006' });
      const client = await pool.connect();
      try {
        await client.query('BEGIN READ WRITE');
        await expect(client.query(`CREATE TABLE ${erp.schema}.sneaky (a int)`)).rejects.toMatchObject({ code: '42501' });
        await client.query('ROLLBACK');
      } finally {
        client.release();
      }
      // Reads work, and the sandbox's own writes (direct, as the owner) still do.
      expect((await pool.query(`SELECT count(*)::int AS n FROM ${erp.schema}.customers`)).rows[0]).toEqual({ n: expect.any(Number) as number });
      await sandbox.erp.pool.query(`UPDATE ${erp.schema}.customers SET legal_name = legal_name WHERE false`);
    } finally {
      await pool.end();
    }
  });
});

describe('an ERP that cannot be reached at start', { timeout: 60_000 }, () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    const url = process.env['DATABASE_URL'];
    sandbox = await startSandbox({ customers: 20, seed: 6, ...(url ? { databaseUrl: url, erpSchema: uniqueSchema('erp_ro_down') } : {}) });
  });
  afterAll(async () => {
    if (process.env['DATABASE_URL']) await sandbox?.erp.pool.query(`DROP SCHEMA IF EXISTS ${sandbox.erp.schema} CASCADE`);
    await sandbox?.close();
  });

  const logs: string[] = [];
  const logger = { info: (m: string) => void logs.push(`info ${m}`), error: (m: string) => void logs.push(`error ${m}`) };

  it('does not stop the start; reads wait for the check, and run once it passes', async () => {
    const erp = readSystemSettings(sandbox.env()).erp!;
    sandbox.erp.proxy.faults.set({ outage: 'http' });
    const connector = await guardErpWrites(createErpConnector(createErpPool(erp, { max: 1, connectTimeoutMs: 1_000 })), {
      settings: erp,
      openPool: () => createErpPool(erp, { max: 1, connectTimeoutMs: 1_000 }),
      allowWrites: false,
      sandbox: null,
      logger,
      retryMs: 100,
    });
    try {
      expect(logs.join('\n')).toMatch(/could not check that ERP_DATABASE_URL cannot write/);
      await expect(connector.ping()).rejects.toMatchObject({ code: 'SOURCE_UNAVAILABLE', system: 'erp' });
      sandbox.erp.proxy.faults.reset();
      await new Promise((resolve) => setTimeout(resolve, 150));
      await connector.ping();
      const [first] = await connector.loadAccounts([sandbox.world.erp.customers[0]!.customer_number]);
      expect(first).toMatchObject({ system: 'erp' });
      expect(logs.join('\n')).toMatch(/info erp connection is read-only/);
    } finally {
      sandbox.erp.proxy.faults.reset();
      await connector.close();
    }
  });

  it('and a connection found able to write once it is reached is never used', async () => {
    const erp = { ...readSystemSettings(sandbox.env()).erp!, url: sandbox.erp.adminUrl };
    sandbox.erp.proxy.faults.set({ outage: 'http' });
    logs.length = 0;
    const connector = await guardErpWrites(createErpConnector(createErpPool(erp, { max: 1, connectTimeoutMs: 1_000 })), {
      settings: erp,
      openPool: () => createErpPool(erp, { max: 1, connectTimeoutMs: 1_000 }),
      allowWrites: false,
      sandbox: null,
      logger,
      retryMs: 100,
    });
    try {
      sandbox.erp.proxy.faults.reset();
      await new Promise((resolve) => setTimeout(resolve, 150));
      sandbox.erp.proxy.requests.clear();
      // Per key, as every batch call answers (the DataLoader contract).
      expect(await connector.loadAccounts(['C-000001'])).toEqual([expect.objectContaining({ code: 'SOURCE_UNAVAILABLE', publicReason: expect.stringMatching(/can write/) as string })]);
      await expect(connector.ping()).rejects.toMatchObject({ code: 'SOURCE_UNAVAILABLE' });
      expect(logs.join('\n')).toMatch(/error ERP_DATABASE_URL \(.*\) can write to the ERP: .*the ERP is not read until this is fixed/);
      // Only the check's own session reached the ERP: no read was sent through the writable connection.
      const sent = sandbox.erp.proxy.requests.list().map((r) => r.path);
      expect(sent.some((sql) => sql.includes('pg_has_role'))).toBe(true);
      expect(sent.filter((sql) => sql.includes(`${erp.schema}.customers`))).toEqual([]);
    } finally {
      await connector.close();
    }
  });
});

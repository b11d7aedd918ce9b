// `npx meridian serve` starting against the world as it is: a system down or hanging at start,
// configuration that cannot work (refused credentials, unreachable database, ports in use).
// Each case runs the CLI as a child process configured by environment variables, as a user
// would, and reads what it prints and its exit code.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../src/sandbox/index.ts';
import { CLI_BIN, cleanEnv, runCli } from './support/cli.ts';
import { uniqueSchema } from './support/postgres.ts';
import { TEST_API_KEYS_ENV, bearer } from './support/app.ts';

/** The environment of a user's shell: none of CI's servers, no NODE_ENV (Apollo reads it). */
interface Served {
  url: string;
  output(): string;
  stop(): Promise<number | null>;
}

const running = new Set<ChildProcessWithoutNullStreams>();

/** Starts `meridian serve`; resolves once it prints that it is ready, rejects if it exits first. */
function serve(env: NodeJS.ProcessEnv): Promise<Served> {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [CLI_BIN, 'serve'], { env });
  running.add(child);
  child.on('close', () => running.delete(child));
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  return new Promise((resolve, reject) => {
    const onData = (): void => {
      const url = /GraphQL\s+(http:\/\/\S+)\/graphql/.exec(out)?.[1];
      if (url && out.includes('Ctrl-C stops it.')) {
        child.stdout.off('data', onData);
        resolve({
          url,
          output: () => out,
          stop: () => {
            child.kill('SIGINT');
            return closed;
          },
        });
      }
    };
    child.stdout.on('data', onData);
    void closed.then((code) => reject(new Error(`serve exited with ${code} before it was ready:\n${out}`)));
  });
}

const gql = async <T>(url: string, query: string, variables: Record<string, unknown> = {}): Promise<{ data: T | null; errors: { message: string; extensions?: Record<string, unknown> }[] }> => {
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer() }, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as { data?: T; errors?: [] };
  return { data: body.data ?? null, errors: body.errors ?? [] };
};

interface Readyz {
  status: string;
  dependencies: Record<string, { ok: boolean; required: boolean; detail?: string }>;
}

/** A port that is taken for the test's duration. */
async function occupyPort(): Promise<{ port: number; close(): Promise<void> }> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return { port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const STACK_LINE = /^\s+at .+\(?.+:\d+:\d+\)?$/m;

// A gateway boots its embedded store first: tens of seconds on a loaded machine.
describe('meridian serve when a system is down at start', { timeout: 120_000 }, () => {
  let sandbox: Sandbox;
  let dataDir: string;
  const erpSchema = uniqueSchema('erpstart');
  const databaseUrl = process.env['DATABASE_URL'];
  beforeAll(async () => {
    sandbox = await startSandbox({ customers: 30, seed: 4, ...(databaseUrl ? { databaseUrl, erpSchema } : {}) });
  });
  afterAll(async () => {
    await sandbox?.close();
  });
  afterEach(async () => {
    // A failed test may leave its gateway running: stopped here, by its own handle.
    await Promise.all([...running].map((c) => new Promise((resolve) => {
      c.once('close', resolve);
      c.kill('SIGKILL');
    })));
    sandbox.salesforce.faults.reset();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  /** The gateway configured for the sandbox's Salesforce only, with an embedded store of its own. */
  async function gatewayEnv(extra: Record<string, string> = {}): Promise<NodeJS.ProcessEnv> {
    dataDir = await mkdtemp(join(tmpdir(), 'meridian-start-'));
    const sf = Object.fromEntries(Object.entries(sandbox.env()).filter(([k]) => k.startsWith('SALESFORCE_')));
    return cleanEnv({ ...sf, PORT: '0', MERIDIAN_DATA_DIR: dataDir, MERIDIAN_SOURCE_TIMEOUT_MS: '1000', MERIDIAN_BREAKER_COOLDOWN_MS: '300', MERIDIAN_API_KEYS: TEST_API_KEYS_ENV, ...extra });
  }

  it('starts degraded when Salesforce answers 503, names it in /readyz, and uses it once it answers', async () => {
    sandbox.salesforce.faults.set({ outage: 'http' });
    const gw = await serve(await gatewayEnv());
    try {
      const ready = await fetch(`${gw.url}/readyz`);
      expect(ready.status).toBe(200);
      const body = (await ready.json()) as Readyz;
      expect(body.dependencies['salesforce']).toMatchObject({ ok: false, required: false });
      expect(body.dependencies['salesforce']!.detail).toMatch(/login answered HTTP 503/);
      expect(JSON.stringify(body)).not.toContain('127.0.0.1');

      const account = sandbox.world.salesforce.accounts[0]!;
      const query = 'query($id: ID!) { customerBySource(system: SALESFORCE, externalId: $id) { id name } }';
      const down = await gql<{ customerBySource: unknown }>(gw.url, query, { id: account.Id });
      expect(down.errors[0]?.extensions).toMatchObject({ code: 'SOURCE_UNAVAILABLE', system: 'SALESFORCE' });
      // No stack traces, no internal host for an anonymous client.
      for (const e of down.errors) {
        expect(e.extensions).not.toHaveProperty('stacktrace');
        expect(e.message).not.toContain('127.0.0.1');
      }

      sandbox.salesforce.faults.reset();
      // Recovery needs no restart: the session logs in again (on demand or by its background retry).
      // Nothing is linked yet (no backfill here), and queries never link: the mutation reads and links it.
      const link = 'mutation($id: ID!) { linkSourceRecord(system: SALESFORCE, externalId: $id) { id name } }';
      let name: string | null = null;
      for (let i = 0; i < 60 && name === null; i++) {
        const r = await gql<{ linkSourceRecord: { name: string | null } | null }>(gw.url, link, { id: account.Id });
        name = r.data?.linkSourceRecord?.name ?? null;
        if (name === null) await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(name).toBe(account.Name);
      const after = (await (await fetch(`${gw.url}/readyz`)).json()) as Readyz;
      // One readiness check answers for 5 s; the dependency is either re-checked or still the old answer.
      expect(after.dependencies['salesforce']).toBeDefined();
      // The banner says which system it started without, in the same safe words as /readyz.
      expect(gw.output()).toMatch(/degraded {4}salesforce \(login answered HTTP 503\): its fields answer SOURCE_UNAVAILABLE/);
      expect(gw.output()).not.toMatch(STACK_LINE);
    } finally {
      expect(await gw.stop()).toBe(0);
    }
  });

  it('starts within its deadline when Salesforce hangs at start', async () => {
    sandbox.salesforce.faults.set({ outage: 'hang' });
    const gw = await serve(await gatewayEnv());
    try {
      const body = (await (await fetch(`${gw.url}/readyz`)).json()) as Readyz;
      expect(body.dependencies['salesforce']).toMatchObject({ ok: false });
      expect(body.dependencies['salesforce']!.detail).toMatch(/no answer within \d+ ms/);
      expect(gw.output()).toMatch(/salesforce unavailable/);
    } finally {
      // The hanging login is aborted: the process stops when asked.
      expect(await gw.stop()).toBe(0);
    }
  });

  it('exits 2 with one line naming SALESFORCE_PASSWORD when Salesforce refuses the login', async () => {
    const r = await runCli(['serve'], await gatewayEnv({ SALESFORCE_PASSWORD: 'not-the-password' }));
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/SALESFORCE_PASSWORD/);
    expect(lines[0]).toMatch(/invalid_grant/);
    expect(r.stderr).not.toContain('not-the-password');
  });
});

describe('meridian serve with configuration that cannot work', { timeout: 120_000 }, () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'meridian-conf-'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('never prints the password of a bad DATABASE_URL, REDIS_URL or ERP_DATABASE_URL', async () => {
    const r = await runCli(
      ['serve'],
      cleanEnv({
        DATABASE_URL: 'postgress://app:Pw-db-9431@db.internal/x',
        REDIS_URL: 'http://cache:Pw-redis-9431@cache.internal:6379',
        ERP_DATABASE_URL: 'mysqlx://erp:Pw-erp-9431@erp.internal/ledger',
        MERIDIAN_DATA_DIR: dataDir,
      }),
    );
    expect(r.code).toBe(2);
    for (const v of ['DATABASE_URL', 'REDIS_URL', 'ERP_DATABASE_URL']) expect(r.stderr).toContain(v);
    expect(r.stderr + r.stdout).not.toMatch(/Pw-(db|redis|erp)-9431/);
    expect(r.stderr).toContain('db.internal');
  });

  it('exits 2 with one line naming DATABASE_URL and its host, password hidden, when Postgres cannot be reached', async () => {
    const closed = await occupyPort();
    await closed.close(); // a port nobody listens on
    const r = await runCli(['serve'], cleanEnv({ DATABASE_URL: `postgres://app:Pw-9431@127.0.0.1:${closed.port}/x`, PORT: '0', MERIDIAN_DATA_DIR: dataDir }));
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`DATABASE_URL: cannot connect to 127.0.0.1:${closed.port}`);
    expect(r.stderr + r.stdout).not.toContain('Pw-9431');
  });

  it('exits 2 with one line naming REDIS_URL, password hidden, when Redis cannot be reached', async () => {
    const closed = await occupyPort();
    await closed.close();
    const r = await runCli(['serve'], cleanEnv({ REDIS_URL: `redis://u:Pw-9431@127.0.0.1:${closed.port}/0`, PORT: '0', MERIDIAN_DATA_DIR: dataDir }));
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([`REDIS_URL: cannot connect to 127.0.0.1:${closed.port} (connection refused); is Redis running there?`]);
    expect(r.stderr + r.stdout).not.toContain('Pw-9431');
  });

  it.skipIf(!process.env['DATABASE_URL'])('exits 2 with one line naming DATABASE_URL when Postgres refuses the role', async () => {
    const url = new URL(process.env['DATABASE_URL']!);
    url.username = 'no_such_role_9431';
    url.password = 'Pw-9431';
    const r = await runCli(['serve'], cleanEnv({ DATABASE_URL: url.href, PORT: '0', MERIDIAN_DATA_DIR: dataDir }));
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^DATABASE_URL: .*refused user "no_such_role_9431"/);
    expect(r.stderr).not.toContain('Pw-9431');
  });

  it('exits 2 naming PORT once, before starting anything, when the port is in use', async () => {
    const taken = await occupyPort();
    const fresh = await mkdtemp(join(tmpdir(), 'meridian-port-'));
    try {
      const r = await runCli(['serve'], cleanEnv({ PORT: String(taken.port), MERIDIAN_DATA_DIR: fresh }));
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^PORT: port ${taken.port} on 127\\.0\\.0\\.1 is already in use`))]);
      // Checked first: no embedded store was created, no sandbox was started.
      expect(await readdir(fresh)).toEqual([]);
      expect(r.stdout).toBe('');
    } finally {
      await taken.close();
      await rm(fresh, { recursive: true, force: true });
    }
  });

  it('exits 2 naming the SANDBOX_*_PORT variable when a sandbox port is busy', async () => {
    const taken = await occupyPort();
    try {
      const ports = { SANDBOX_SALESFORCE_PORT: '0', SANDBOX_STRIPE_PORT: String(taken.port), SANDBOX_ZENDESK_PORT: '0', SANDBOX_ERP_PORT: '0' };
      const standalone = await runCli(['sandbox', '--customers', '5'], cleanEnv(ports));
      expect(standalone.code).toBe(2);
      expect(standalone.stderr.trim()).toMatch(new RegExp(`^SANDBOX_STRIPE_PORT: port ${taken.port} on 127\\.0\\.0\\.1 is already in use`));
      const gateway = await runCli(['serve'], cleanEnv({ ...ports, PORT: '0', MERIDIAN_DATA_DIR: dataDir }));
      expect(gateway.code).toBe(2);
      expect(gateway.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^SANDBOX_STRIPE_PORT: /)]);
    } finally {
      await taken.close();
    }
  });
});

// `npx meridian keys …` and `meridian serve`'s access rules as a user meets them: real child
// processes configured by environment, on a Postgres database of their own (DATABASE_URL's
// server when set, else the embedded store in a data directory).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLI_BIN, cleanEnv, runCli } from '../support/cli.ts';
import { hashApiKey } from '../../src/access/api-key.ts';

/** The environment of a user's shell: none of CI's servers or Meridian settings. */
/** A real system configured (Stripe, nowhere reachable): the gateway is no longer the sandbox. */
const REAL_SYSTEM = { STRIPE_API_KEY: 'sk_test_meridian_unreachable', STRIPE_API_BASE: 'http://127.0.0.1:9' };

const running = new Set<ChildProcessWithoutNullStreams>();

function serve(env: NodeJS.ProcessEnv): Promise<{ url: string; output: () => string; stop(): Promise<number | null> }> {
  const child = spawn(process.execPath, [CLI_BIN, 'serve'], { env });
  running.add(child);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const closed = new Promise<number | null>((resolve) => child.on('close', (code) => {
    running.delete(child);
    resolve(code);
  }));
  return new Promise((resolve, reject) => {
    child.stdout.on('data', () => {
      const url = /GraphQL\s+(http:\/\/\S+)\/graphql/.exec(out)?.[1];
      if (url && out.includes('Ctrl-C stops it.')) resolve({ url, output: () => out, stop: () => (child.kill('SIGINT'), closed) });
    });
    void closed.then((code) => reject(new Error(`serve exited with ${code} before it was ready:\n${out}`)));
  });
}

describe('meridian keys and a gateway on real systems', { timeout: 120_000 }, () => {
  const server = process.env['DATABASE_URL'];
  const database = `meridian_keys_${process.pid}_${Math.floor(Math.random() * 1e6)}`;
  let dataDir = '';
  let storeEnv: Record<string, string> = {};

  const admin = async <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => {
    const c = new pg.Client({ connectionString: server });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'meridian-keys-'));
    if (server) {
      await admin((c) => c.query(`CREATE DATABASE ${database}`));
      const url = new URL(server);
      url.pathname = `/${database}`;
      storeEnv = { DATABASE_URL: url.href, MERIDIAN_DATA_DIR: dataDir };
    } else {
      storeEnv = { MERIDIAN_DATA_DIR: dataDir };
    }
  });
  afterEach(async () => {
    await Promise.all([...running].map((c) => new Promise((resolve) => (c.once('close', resolve), c.kill('SIGKILL')))));
  });
  afterAll(async () => {
    if (server) await admin((c) => c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)).catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  });

  const keys = (args: string[], extra: Record<string, string> = {}) => runCli(['keys', ...args], cleanEnv({ ...storeEnv, ...extra }));

  it('refuses to start on real systems with no credentials: one line, exit 2', async () => {
    const r = await runCli(['serve'], cleanEnv({ ...storeEnv, ...REAL_SYSTEM, PORT: '0' }));
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^Real systems are configured but no credentials are: set MERIDIAN_API_KEYS .*npx meridian keys create.*MERIDIAN_JWT_ISSUER.*MERIDIAN_AUTH=off/)]);
  });

  it('refuses a bad MERIDIAN_API_KEYS with one message naming it, never the key', async () => {
    const r = await runCli(['serve'], cleanEnv({ ...storeEnv, ...REAL_SYSTEM, PORT: '0', MERIDIAN_API_KEYS: 'sekrit-0123456789abcdef:root' }));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/MERIDIAN_API_KEYS: entry 1 of 1 has no known role/);
    expect(r.stderr + r.stdout).not.toContain('sekrit');
  });

  it('creates a key printed once on stdout alone, lists keys without secrets, revokes by name', async () => {
    const created = await keys(['create', '--role', 'steward', '--name', 'ana']);
    expect(created.code).toBe(0);
    const key = created.stdout.trim();
    expect(created.stdout).toBe(`${key}\n`);
    expect(key).toMatch(/^mrd_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toMatch(/^Created API key ana \(key_[0-9a-f]{16}, role steward\)\. It is shown once/);

    const list = await keys(['list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^ID\s+NAME\s+ROLE\s+CREATED\nkey_[0-9a-f]{16}\s+ana\s+steward\s+\d{4}-\d\d-\d\dT/);
    expect(list.stdout).not.toContain(key);
    expect(list.stdout).not.toContain(hashApiKey(key));

    // The store refused it, not the command line (which was well formed): exit 1, as for revoking a key not in use.
    const taken = await keys(['create', '--role', 'reader', '--name', 'ana']);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(/a key named "ana" is in use/);
    const revoked = await keys(['revoke', 'ana']);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toMatch(/^Revoked API key ana \(key_[0-9a-f]{16}\)/);
    expect((await keys(['list'])).stderr).toMatch(/No API keys in use/);
    expect((await keys(['list', '--all'])).stdout).toMatch(/REVOKED\n.*ana\s+steward\s+\S+\s+\d{4}-/);
    const again = await keys(['revoke', 'ana']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/no key in use has the name or id "ana"/);
  });

  it('refuses bad arguments with the usage and exit 2', async () => {
    for (const args of [['create', '--role', 'root', '--name', 'x'], ['create', '--role', 'admin'], ['create', '--role', 'admin', '--name', 'has space'], ['rotate'], [], ['revoke']]) {
      const r = await keys(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(/Usage: meridian keys create --role ROLE --name NAME/);
    }
  });

  it('serves a gateway on real systems to a key made by keys create, and refuses requests without it', async () => {
    const key = (await keys(['create', '--role', 'admin', '--name', 'ops'])).stdout.trim();
    const gw = await serve(cleanEnv({ ...storeEnv, ...REAL_SYSTEM, PORT: '0' }));
    try {
      const ask = (headers: Record<string, string>) => fetch(`${gw.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{"query":"{ ok }"}' });
      const anonymous = await ask({});
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="meridian"');
      const ok = await ask({ authorization: `Bearer ${key}` });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ data: { ok: true } });
      // Health and readiness stay open for probes.
      expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
      expect(gw.output()).toMatch(/access\s+Authorization: Bearer/);
      expect(gw.output()).not.toContain(key);
    } finally {
      expect(await gw.stop()).toBe(0);
    }
  });

  it('runs without authentication only when MERIDIAN_AUTH=off asks, and says so loudly', async () => {
    await keys(['revoke', 'ops']);
    const gw = await serve(cleanEnv({ ...storeEnv, ...REAL_SYSTEM, PORT: '0', MERIDIAN_AUTH: 'off' }));
    try {
      const r = await fetch(`${gw.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ ok }"}' });
      expect(r.status).toBe(200);
      expect(gw.output()).toMatch(/"level":"error".*MERIDIAN_AUTH=off: AUTHENTICATION IS OFF/);
      expect(gw.output()).toMatch(/access\s+MERIDIAN_AUTH=off: NO AUTHENTICATION/);
    } finally {
      expect(await gw.stop()).toBe(0);
    }
  });
});

// `npx meridian` as a user runs it: a real child process, its output, its exit code.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI_BIN as BIN, runCli, type CliRun } from './support/cli.ts';

function envWithout(...names: string[]): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const n of names) delete env[n];
  return env;
}

function run(args: string[], env: NodeJS.ProcessEnv = envWithout('DATABASE_URL')): Promise<CliRun> {
  return runCli(args, env);
}

describe('meridian CLI', () => {
  it('lists its commands', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['serve', 'worker', 'sandbox', 'backfill', 'match', 'replay', 'map', 'migrate']) expect(r.stdout).toContain(c);
  });

  it('names an unknown command and a bad option', async () => {
    const unknown = await run(['sandboxx']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "sandboxx"');
    const bad = await run(['sandbox', '--customers', 'lots']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--customers must be a whole number');
    const extra = await run(['sandbox', '--custmers', '5']);
    expect(extra.code).toBe(2);
    expect(extra.stderr).toMatch(/custmers/);
  });

  it('reports every bad variable in one message', async () => {
    const r = await run(['sandbox'], { ...envWithout('DATABASE_URL'), SANDBOX_STRIPE_PORT: 'abc', SANDBOX_ZENDESK_PORT: '70000', DATABASE_URL: 'mysql://x' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Invalid configuration');
    expect(r.stderr).toContain('SANDBOX_STRIPE_PORT');
    expect(r.stderr).toContain('SANDBOX_ZENDESK_PORT');
    expect(r.stderr).toContain('DATABASE_URL');
  });

  it('runs the sandbox standalone, prints where everything is, and stops on SIGINT', async () => {
    const env = { ...envWithout('DATABASE_URL'), SANDBOX_SALESFORCE_PORT: '0', SANDBOX_STRIPE_PORT: '0', SANDBOX_ZENDESK_PORT: '0', SANDBOX_ERP_PORT: '0' };
    const child = spawn(process.execPath, [BIN, 'sandbox', '--customers', '50', '--seed', '3'], { env });
    let stdout = '';
    const ready = new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (stdout.includes('Ctrl-C stops it.')) resolve();
      });
      child.on('close', (code) => reject(new Error(`exited early with ${code}: ${stdout}`)));
    });
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      await ready;
      expect(stdout).toContain('50 customers (seed 3)');
      const base = /STRIPE_API_BASE=(\S+)/.exec(stdout)?.[1];
      expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${base}/v1/customers?limit=1`, { headers: { authorization: 'Bearer sk_test_meridian_sandbox' } });
      expect(res.status).toBe(200);
      expect(stdout).toMatch(/ERP_DATABASE_URL=postgres:\/\//);
      expect(stdout).toContain('SALESFORCE_USERNAME=integration@meridian.sandbox');
    } finally {
      child.kill('SIGINT');
    }
    expect(await closed).toBe(0);
  });
});

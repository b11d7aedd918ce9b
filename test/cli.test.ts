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

  it('refuses every usage mistake with one line naming it, the usage, and exit 2, before reading anything', async () => {
    // A bad variable besides each mistake: a command that ignored the mistake would stop on the
    // variable instead of starting servers (and this test would see the wrong line).
    const badEnv = { ...envWithout('DATABASE_URL'), PORT: 'abc', SANDBOX_STRIPE_PORT: 'abc' };
    const cases: [string[], string][] = [
      [['sandbox', 'extra'], 'meridian sandbox: unexpected argument "extra" (sandbox takes options only)'],
      [['serve', 'extra'], 'meridian serve: unexpected argument "extra" (serve takes options only)'],
      [['sandbox', '--customers', '-5'], 'meridian sandbox: --customers must be a whole number from 1 to 2000000, got "-5"'],
      [['backfill', '--retries', '-1'], 'meridian backfill: --retries must be a whole number from 0 to 20, got "-1"'],
      [['sandbox', '--customers', '--seed', '3'], 'meridian sandbox: --customers needs a value (the next word, --seed, is an option)'],
      [['sandbox', '--seed'], 'meridian sandbox: --seed needs a value'],
      [['sandbox', '--custmers', '5'], 'meridian sandbox: unknown option --custmers'],
      [['keys', 'list', '--all=yes'], 'meridian keys: --all takes no value'],
      [['replay'], 'meridian replay: only --dead-letters is built; replaying audit events is not built yet (the audit issue)'],
      [['match', '/nonexistent/a.csv', '--out', 'x.csv', '--region', 'ZZ'], 'meridian match: --region must be an ISO 3166-1 alpha-2 country code that the phone library knows (US, GB, DE…), got "ZZ"'],
    ];
    for (const [args, line] of cases) {
      const r = await run(args, badEnv);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.split('\n')[0], args.join(' ')).toBe(line);
      expect(r.stderr, args.join(' ')).toMatch(/\n\nUsage: meridian /);
      expect(r.stderr, args.join(' ')).not.toMatch(/^\s+at /m);
      expect(r.stdout, args.join(' ')).toBe('');
    }
  });

  it('asks for a command with the list of them and exit 2 when given none', async () => {
    const r = await run([]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^meridian: no command given\n\nMeridian: one customer graph/);
    expect(r.stderr).toContain('  serve ');
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

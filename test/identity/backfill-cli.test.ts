// `npx meridian backfill` as an operator runs it: a child process configured by environment
// variables against systems elsewhere (here the sandbox's emulators over loopback, as a
// deployment's Salesforce, Stripe, Zendesk and ERP), with Meridian's store in a data directory.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.ts';
import { runCli, type CliRun } from '../support/cli.ts';
import { uniqueSchema } from '../support/postgres.ts';

let sandbox: Sandbox;
let dataDir: string;
const erpSchema = uniqueSchema('erp_bfcli');

beforeAll(async () => {
  const databaseUrl = process.env['DATABASE_URL'];
  sandbox = await startSandbox({ customers: 80, seed: 21, ...(databaseUrl ? { databaseUrl, erpSchema } : {}) });
}, 120_000);

afterAll(async () => {
  if (process.env['DATABASE_URL']) await sandbox?.erp.pool.query(`DROP SCHEMA IF EXISTS ${erpSchema} CASCADE`);
  await sandbox?.close();
});

beforeEach(async () => {
  sandbox.stripe.faults.reset();
  dataDir = await mkdtemp(join(tmpdir(), 'meridian-bfcli-'));
  return () => rm(dataDir, { recursive: true, force: true });
});

/** The CLI with the sandbox's systems configured by environment, and an embedded store of its own. */
function backfill(args: string[] = []): Promise<CliRun> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...sandbox.env(), MERIDIAN_DATA_DIR: dataDir };
  delete env['DATABASE_URL'];
  delete env['REDIS_URL'];
  return runCli(['backfill', ...args], env);
}

const recordsOf = (stdout: string, system: string): number => Number(new RegExp(`^${system} +([\\d,]+)`, 'm').exec(stdout)?.[1]?.replace(/,/g, '') ?? NaN);

describe('meridian backfill against configured systems', () => {
  it('works with no flags: the default page size is clamped to what each system allows (Stripe 100)', async () => {
    const r = await backfill();
    expect(r.stderr).not.toContain('pageSize must be');
    expect(r.code).toBe(0);
    expect(recordsOf(r.stdout, 'stripe')).toBe(sandbox.world.stripe.customers.length);
    expect(recordsOf(r.stdout, 'salesforce')).toBe(sandbox.world.salesforce.accounts.length);
    expect(r.stdout).toMatch(/^time +[\d.]+ s \(scan [\d.]+ s · match [\d.]+ s · write [\d.]+ s: links [\d.]+ s, index [\d.]+ s\) · [\d,]+ records\/s$/m);
  }, 120_000);

  it('retries a page a rate limit refused, honouring Retry-After, and finishes', async () => {
    // Every other Stripe request refused with 429 and Retry-After: 0 (the test does not wait).
    sandbox.stripe.faults.set({ rateLimitRate: 0.5, retryAfterSeconds: 0 });
    const r = await backfill(['--page-size', '20', '--retries', '20']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^stripe: a page failed \(stripe: rate limited .*\); retrying in 0\.0 s \(attempt 2\)$/m);
    expect(r.stdout).toMatch(/^stripe +[\d,]+ +\d+ pages retried$/m);
    expect(recordsOf(r.stdout, 'stripe')).toBe(sandbox.world.stripe.customers.length);
  }, 120_000);

  it('links what it read when a system fails mid-scan, exits 1 naming it, and the next run resumes it', async () => {
    // Stripe answers two pages, then refuses everything for ten minutes.
    sandbox.stripe.faults.set({ rateLimit: { limit: 2, windowMs: 600_000 } });
    const first = await backfill(['--page-size', '20', '--retries', '0']);
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(/^meridian backfill: could not read stripe \(stripe: rate limited .*\)\. Everything read was linked; run it again to resume stripe where it stopped\.$/m);
    expect(first.stdout).toMatch(/^stripe +40 +INCOMPLETE: stripe: rate limited/m);
    expect(first.stdout).toMatch(/^golden customers +[\d,]+ live/m);

    sandbox.stripe.faults.reset();
    const second = await backfill(['--page-size', '20']);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/^stripe +[\d,]+ +40 from the last run's checkpoint$/m);
    expect(recordsOf(second.stdout, 'stripe')).toBe(sandbox.world.stripe.customers.length);
    // Stripe's remaining pages only: its first two are not read again.
    expect(second.stdout).toMatch(/· 0 merged into older ids$/m);
  }, 180_000);
});

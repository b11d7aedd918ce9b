// `meridian replay`: --dead-letters is built, replaying audit events is not (and says so).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'meridian-replay-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('meridian replay', () => {
  it('without --dead-letters says that only dead letters can be replayed so far, as a usage mistake', async () => {
    const r = await runCli(['replay'], { ...process.env, MERIDIAN_DATA_DIR: dataDir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/only --dead-letters is built; replaying audit events is not built yet/);
  });

  it('--dead-letters queues the dead letters again and says how many', async () => {
    const r = await runCli(['replay', '--dead-letters'], { ...process.env, MERIDIAN_DATA_DIR: dataDir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\d+ dead letters? queued again$/m);
  }, 60_000);

  it('--help describes it', async () => {
    const r = await runCli(['replay', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--dead-letters/);
  });
});

// The embedded data directory's lock: one holder at a time, a one-line refusal naming it, stale
// locks of dead processes taken over, and only one's own lock ever removed.
import { mkdtempSync, readFileSync, existsSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir, hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireDataDirLock, DataDirInUseError, LOCK_FILE } from '../../src/store/data-dir-lock.ts';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'meridian-lock-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function writeLock(dir: string, holder: Record<string, unknown>): void {
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ host: hostname(), command: 'meridian serve', url: null, token: 'someone-else', startedAt: '2026-01-01T00:00:00Z', ...holder }));
}

describe('data directory lock', () => {
  it('refuses a second holder with one line naming the holder, its pid and URL', () => {
    const dir = tempDir();
    writeLock(dir, { pid: 4242, url: 'http://127.0.0.1:4000' });
    let error: unknown;
    try {
      acquireDataDirLock(dir, { command: 'meridian backfill', isAlive: () => true });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DataDirInUseError);
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    expect(message).toBe(
      `meridian backfill: the embedded store in ${dir} is in use by meridian serve (pid 4242, http://127.0.0.1:4000); stop it and run the backfill again (in sandbox mode the gateway backfills at every start), or set DATABASE_URL to use a Postgres server`,
    );
    // The holder's file is untouched.
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: 4242, token: 'someone-else' });
  });

  it('refuses a second open in the same process', () => {
    const dir = tempDir();
    const lock = acquireDataDirLock(dir, { command: 'meridian serve' });
    expect(() => acquireDataDirLock(dir, { command: 'meridian migrate' })).toThrow(/in use by meridian serve \(pid \d+\); stop it first/);
    lock.release();
  });

  it('takes over the lock of a process that is gone, and only one racer wins it', () => {
    const dir = tempDir();
    writeLock(dir, { pid: 999_999 });
    const lock = acquireDataDirLock(dir, { command: 'meridian serve', isAlive: (pid) => pid !== 999_999 });
    const held = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as { pid: number; command: string };
    expect(held).toMatchObject({ pid: process.pid, command: 'meridian serve' });
    expect(existsSync(join(dir, `${LOCK_FILE}.stale`))).toBe(true);
    // A second racer that also saw the dead pid finds the new, live lock and is refused.
    expect(() => acquireDataDirLock(dir, { command: 'meridian backfill', pid: 5555, isAlive: () => true })).toThrow(DataDirInUseError);
    lock.release();
  });

  it('treats its own pid in a lock it did not take as stale (a container restarts as the same pid)', () => {
    const dir = tempDir();
    writeLock(dir, { pid: process.pid });
    const lock = acquireDataDirLock(dir, { command: 'meridian serve', isAlive: () => true });
    lock.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it('records the URL once known, and release removes only its own lock', () => {
    const dir = tempDir();
    const lock = acquireDataDirLock(dir, { command: 'meridian serve' });
    lock.describe({ url: 'http://127.0.0.1:5000' });
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ url: 'http://127.0.0.1:5000' });
    // Someone replaced the file (e.g. removed it by hand and another process took it).
    writeLock(dir, { pid: 4242 });
    lock.release();
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: 4242 });
  });
});

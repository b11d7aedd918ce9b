// One process at a time in the embedded data directory. PGlite has no locking of its own: two
// processes opening the same pgdata write over each other's pages and the files are lost
// (`unexpected data beyond EOF in block 0`). Every command that opens the embedded store takes
// this lock first; a second process is refused with one line naming the holder.
//
// The lock is a file created with O_CREAT|O_EXCL ('wx'), so exactly one process creates it. It
// holds the holder's pid, host, command and (once it listens) the gateway's URL. A lock whose
// process is gone (SIGKILL, a crash, a container restart) is stale and is taken over; two
// processes racing for the same stale lock are serialised by a second exclusive file, so only
// one of them wins.
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';

export const LOCK_FILE = 'pgdata.lock';
const TAKEOVER_FILE = 'pgdata.lock.takeover';
/** A takeover file older than this was left by a process that died between two syscalls. */
const TAKEOVER_STALE_MS = 10_000;

const lockContents = z.object({
  pid: z.number().int().positive(),
  host: z.string(),
  command: z.string(),
  url: z.string().nullable().optional(),
  token: z.string(),
  startedAt: z.string(),
});
export type LockHolder = z.infer<typeof lockContents>;

/** The data directory is held by another live process; the message is the one line to show. */
export class DataDirInUseError extends Error {
  readonly dataDir: string;
  readonly holder: LockHolder | null;
  constructor(dataDir: string, holder: LockHolder | null, requester: string) {
    super(inUseMessage(dataDir, holder, requester));
    this.dataDir = dataDir;
    this.holder = holder;
    this.name = 'DataDirInUseError';
  }
}

function inUseMessage(dataDir: string, holder: LockHolder | null, requester: string): string {
  const who = holder
    ? `${holder.command} (pid ${holder.pid}${holder.host === hostname() ? '' : ` on ${holder.host}`}${holder.url ? `, ${holder.url}` : ''})`
    : `another process (${join(dataDir, LOCK_FILE)} is being written)`;
  // A backfill beside a sandbox gateway has nothing to add: that gateway backfills at every start.
  const what = requester.endsWith(' backfill')
    ? 'stop it and run the backfill again (in sandbox mode the gateway backfills at every start)'
    : requester.endsWith(' worker')
      ? 'one process owns an embedded store, and meridian serve runs its sync worker itself (MERIDIAN_WORKER=on); separate workers need a Postgres server'
      : 'stop it first';
  return `${requester}: the embedded store in ${dataDir} is in use by ${who}; ${what}, or set DATABASE_URL to use a Postgres server`;
}

export interface DataDirLock {
  readonly path: string;
  /** Adds what a second process should be told, e.g. the gateway's URL once it listens. */
  describe(update: { url?: string }): void;
  /** Removes the lock file if it is still ours; idempotent. */
  release(): void;
}

export interface AcquireOptions {
  /** What holds the lock, as a person would type it. Default: from the process's arguments (`meridian serve`). */
  command?: string;
  /** Default: process.pid. */
  pid?: number;
  /** Whether a pid is a live process on this host. Default: signal 0. */
  isAlive?: (pid: number) => boolean;
  now?: () => Date;
}

/** Held in this process, so a second open in the same process is refused as well. */
const heldHere = new Map<string, DataDirLock>();

/** `meridian serve` for bin/meridian.js serve; otherwise the script's name. */
function commandOfThisProcess(): string {
  const [, script = 'node', sub] = process.argv;
  const name = basename(script).replace(/\.[cm]?[jt]s$/, '');
  return name === 'meridian' && sub ? `meridian ${sub}` : name;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(path: string): LockHolder | null | 'missing' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw e;
  }
  try {
    const parsed = lockContents.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null; // being written right now, or damaged
  }
}

function tryCreate(path: string, contents: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o644);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    writeSync(fd, contents);
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * Takes the data directory's lock or throws DataDirInUseError. The directory is created if
 * missing. Release it with `release()`; it is also removed when the process exits normally.
 */
export function acquireDataDirLock(dataDir: string, options: AcquireOptions): DataDirLock {
  const pid = options.pid ?? process.pid;
  const isAlive = options.isAlive ?? processAlive;
  const now = options.now ?? (() => new Date());
  const command = options.command ?? commandOfThisProcess();
  const path = join(dataDir, LOCK_FILE);
  const existing = heldHere.get(path);
  if (existing) throw new DataDirInUseError(dataDir, readHolderOrNull(path), command);
  mkdirSync(dataDir, { recursive: true });

  const mine: LockHolder = { pid, host: hostname(), command, url: null, token: randomBytes(8).toString('hex'), startedAt: now().toISOString() };
  const text = (h: LockHolder): string => `${JSON.stringify(h)}\n`;

  for (let attempt = 0; attempt < 5; attempt++) {
    if (tryCreate(path, text(mine))) return held(path, mine, text);
    const holder = readHolder(path);
    if (holder === 'missing') continue; // released between our two calls
    if (holder === null) {
      // Unreadable: another process is between create and write, or the file is damaged. Give
      // a writer a moment; a damaged file stays damaged and is treated as stale below.
      if (attempt < 2) {
        sleepSync(50);
        continue;
      }
    } else if (!isStale(holder, pid, isAlive)) {
      throw new DataDirInUseError(dataDir, holder, command);
    }
    takeOverStale(dataDir, path, holder, now);
  }
  throw new DataDirInUseError(dataDir, readHolderOrNull(path), command);
}

function readHolderOrNull(path: string): LockHolder | null {
  const h = readHolder(path);
  return h === 'missing' ? null : h;
}

function isStale(holder: LockHolder, pid: number, isAlive: (pid: number) => boolean): boolean {
  // A pid on another host cannot be checked from here: assume it is alive.
  if (holder.host !== hostname()) return false;
  // Our own pid in a file we did not write: a previous life of this process (a container
  // restarts as pid 1), since a lock held in this process is in heldHere.
  if (holder.pid === pid) return true;
  return !isAlive(holder.pid);
}

/** Removes a stale lock, serialised by an exclusive takeover file so that only one racer removes it. */
function takeOverStale(dataDir: string, path: string, seen: LockHolder | null, now: () => Date): void {
  const takeover = join(dataDir, TAKEOVER_FILE);
  if (!tryCreate(takeover, String(process.pid))) {
    try {
      if (now().getTime() - statSync(takeover).mtimeMs > TAKEOVER_STALE_MS) unlinkSync(takeover);
    } catch {
      // gone already: the other racer finished
    }
    sleepSync(50);
    return;
  }
  try {
    // Still the same stale file? Another racer may have replaced it with a live lock meanwhile.
    const current = readHolder(path);
    const same = current === 'missing' || (current === null ? seen === null : seen !== null && current.token === seen.token);
    if (same && current !== 'missing') {
      // Renamed aside rather than deleted, so a person can see what was there.
      renameSync(path, `${path}.stale`);
    }
  } finally {
    unlinkSync(takeover);
  }
}

function held(path: string, mine: LockHolder, text: (h: LockHolder) => string): DataDirLock {
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    process.removeListener('exit', release);
    heldHere.delete(path);
    const current = readHolder(path);
    // Only ever remove our own lock.
    if (current !== 'missing' && current !== null && current.token === mine.token) {
      try {
        unlinkSync(path);
      } catch {
        // already gone
      }
    }
  };
  // A normal exit (also process.exit after an error) removes the lock; SIGKILL leaves a stale one.
  process.on('exit', release);
  const lock: DataDirLock = {
    path,
    describe: (update) => {
      if (released) return;
      if (update.url !== undefined) mine.url = update.url;
      // Write beside and rename over, so a reader never sees half a file.
      const tmp = `${path}.${mine.token}.tmp`;
      writeFileSync(tmp, text(mine));
      renameSync(tmp, path);
    },
    release,
  };
  heldHere.set(path, lock);
  return lock;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

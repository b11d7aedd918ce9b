// The command blocks of README.md and docs/ run as written against a started gateway, so the
// docs stay true. The convention (markers, placeholders, ports) is in
// test/support/markdown-blocks.ts. The gateway is the real CLI (`meridian serve`) in a child
// process on free ports, the embedded default with the default demo world, so an example's
// output is the one a reader gets.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_BIN } from '../support/cli.ts';
import { COMMAND_LANGUAGES, fillPlaceholders, projectBlocks, retarget, splitCommands, type FencedBlock } from '../support/markdown-blocks.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const blocks = projectBlocks(ROOT);
const where = (b: FencedBlock): string => `${b.file}:${b.line}`;

describe('fenced blocks of README.md and docs/', () => {
  it('every fence names its language (text for output, diagrams and synopses)', () => {
    expect(blocks.filter((b) => b.lang === '').map(where)).toEqual([]);
  });

  it('every command block is marked to run or skipped with a reason', () => {
    const unclassified = blocks.filter((b) => COMMAND_LANGUAGES.has(b.lang) && (b.marker === null || b.marker.kind === 'invalid'));
    expect(unclassified.map((b) => `${where(b)} ${b.marker?.kind === 'invalid' ? `unknown marker "${b.marker.text}"` : 'has no <!-- docs-test: … --> marker'}`)).toEqual([]);
  });

  it('markers stand only before command blocks', () => {
    expect(blocks.filter((b) => b.marker !== null && !COMMAND_LANGUAGES.has(b.lang)).map(where)).toEqual([]);
  });
});

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });

const runnable = blocks.filter((b) => b.marker?.kind === 'run');
const skipped = blocks.filter((b) => b.marker?.kind === 'skip');

describe('command blocks against a started gateway', () => {
  let gateway: ChildProcess | null = null;
  let dataDir = '';
  let env: NodeJS.ProcessEnv = {};
  /** Contract port → where it listens in this run. */
  let ports: Record<number, number> = {};
  /** Every command's output so far, in document order, for placeholders. */
  const outputs: string[] = [];

  const startGateway = async (): Promise<void> => {
    const [gw, sf, stripe, zd, erp] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
    ports = { 4000: gw, 4401: sf, 4402: stripe, 4403: zd, 4406: erp };
    dataDir = mkdtempSync(join(tmpdir(), 'meridian-docs-'));
    // The embedded default, as a reader's `npm start`: no DATABASE_URL / REDIS_URL.
    const { DATABASE_URL: _db, REDIS_URL: _redis, ...rest } = process.env;
    env = {
      ...rest,
      HOST: '127.0.0.1',
      PORT: String(gw),
      SANDBOX_SALESFORCE_PORT: String(sf),
      SANDBOX_STRIPE_PORT: String(stripe),
      SANDBOX_ZENDESK_PORT: String(zd),
      SANDBOX_ERP_PORT: String(erp),
      MERIDIAN_DATA_DIR: dataDir,
    };
    const child = spawn(process.execPath, [CLI_BIN, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    gateway = child;
    let log = '';
    await new Promise<void>((resolve, reject) => {
      const onData = (d: Buffer): void => {
        log += d.toString();
        if (log.includes('Ctrl-C stops it.')) resolve();
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) => reject(new Error(`meridian serve exited ${code} before it was ready:\n${log}`)));
    });
  };

  beforeAll(async () => {
    // Free ports are found by listening and closing: another test process may take one in
    // between, which the gateway reports as "already in use". Then it is tried on new ports.
    for (let attempt = 1; ; attempt++) {
      try {
        await startGateway();
        break;
      } catch (e) {
        if (attempt >= 3 || !/already in use/.test((e as Error).message)) throw e;
        if (dataDir) rmSync(dataDir, { recursive: true, force: true });
      }
    }
    // What the README has a reader do once (`export MERIDIAN_KEY=$(cat .meridian/admin.key)`), from
    // this run's data directory: the local admin key the start made there.
    env['MERIDIAN_KEY'] = readFileSync(join(dataDir, 'admin.key'), 'utf8').trim();
  }, 180_000);

  afterAll(async () => {
    if (gateway && gateway.exitCode === null) {
      const exited = new Promise((r) => gateway!.once('exit', r));
      gateway.kill('SIGTERM');
      await exited;
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  for (const b of skipped) {
    it.skip(`${where(b)} — ${b.marker?.kind === 'skip' ? b.marker.reason : ''}`, () => undefined);
  }

  for (const b of runnable) {
    const errorsExpected = b.marker?.kind === 'run' && b.marker.errorsExpected;
    it(`${where(b)} runs and answers without errors${errorsExpected ? ' (errors expected)' : ''}`, () => {
      for (const written of splitCommands(b.body)) {
        const { command: filled, missing } = fillPlaceholders(written, outputs);
        expect(missing, `placeholder with no earlier output to fill it: ${written}`).toEqual([]);
        const command = retarget(filled, ports)
          .replace(/\bnpx meridian\b/g, `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI_BIN)}`)
          // An HTTP error status fails the command (exit 22) and keeps the body for the message.
          .replace(/\bcurl\s/g, 'curl --fail-with-body ');
        const run = spawnSync('bash', ['-c', command], { env, encoding: 'utf8', timeout: 60_000 });
        const out = run.stdout ?? '';
        expect(run.status, `${where(b)}: \`${command}\` exited ${run.status}\n${out}\n${run.stderr}`).toBe(0);
        outputs.push(out);
        if (/^\s*curl\b/.test(written)) {
          let parsed: unknown;
          expect(() => {
            parsed = JSON.parse(out) as unknown;
          }, `${where(b)}: the answer to \`${written}\` is not JSON: ${out.slice(0, 300)}`).not.toThrow();
          if (!errorsExpected && typeof parsed === 'object' && parsed !== null && 'errors' in parsed) {
            expect.fail(`${where(b)}: \`${written}\` answered errors: ${JSON.stringify(parsed.errors).slice(0, 500)}`);
          }
        }
      }
    }, 120_000);
  }
});

// Production runs on Node's own type stripping: no TypeScript loader (tsx) at run time. The CLI
// runs here with tsx made unresolvable (test/support/forbid-tsx.ts) and NODE_OPTIONS empty; a
// Node that does not strip types is told what it needs in one line. A real `serve` under the same
// guard is in test/cli-shutdown.test.ts.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLI_BIN } from './support/cli.ts';

const FORBID_TSX = fileURLToPath(new URL('./support/forbid-tsx.ts', import.meta.url));

const run = (nodeArgs: string[], args: string[]): SpawnSyncReturns<string> =>
  spawnSync(process.execPath, [...nodeArgs, CLI_BIN, ...args], { env: { ...process.env, NODE_OPTIONS: '' }, encoding: 'utf8', timeout: 30_000 });

describe('the CLI without a TypeScript loader', () => {
  it('the guard itself refuses tsx (so the tests below can fail)', () => {
    const r = spawnSync(process.execPath, ['--import', FORBID_TSX, '--input-type=module', '-e', "await import('tsx/esm/api')"], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('tsx is not to be loaded at run time');
  });

  it('runs `meridian --help` and a command’s help with tsx unresolvable', () => {
    const help = run(['--import', FORBID_TSX], ['--help']);
    expect(help.stderr).toBe('');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/Usage: meridian <command>/);
    const serveHelp = run(['--import', FORBID_TSX], ['serve', '--help']);
    expect(serveHelp.status).toBe(0);
    expect(serveHelp.stdout).toMatch(/Usage: meridian serve/);
  });

  it('says in one line which Node it needs when types are not stripped, and exits 1', () => {
    const r = run(['--no-experimental-strip-types'], ['--help']);
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/Node 22\.18\+ or 23\.6\+/);
    expect(r.stdout).toBe('');
  });

  it('declares the Node versions that strip types in package.json engines', async () => {
    const pkg = (await import('../package.json', { with: { type: 'json' } })).default as { engines: { node: string }; dependencies: Record<string, string>; devDependencies: Record<string, string> };
    expect(pkg.engines.node).toBe('^22.18.0 || >=23.6.0');
    expect(pkg.dependencies).not.toHaveProperty('tsx');
  });
});

// `meridian backfill` as an operator sees it: a progress bar on a terminal, plain lines in a
// log, a summary table at the end, exit code 1 naming the source that could not be read.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { progressLine, runBackfillCommand, type OutputStream } from '../../src/cli/backfill.ts';
import { generateWorld } from '../../src/sandbox/world/index.ts';
import { migratedStore, type TestStore } from './db.ts';
import { memoryConnector, worldConnectors } from './world-connectors.ts';

const world = generateWorld({ customers: 60, seed: 3 });
let db: TestStore;

beforeAll(async () => {
  db = await migratedStore('t_bfcmd');
});
afterAll(async () => {
  await db.close();
});

function stream(isTTY: boolean): OutputStream & { text: string } {
  const s = {
    isTTY,
    columns: 100,
    text: '',
    write(chunk: string): boolean {
      s.text += chunk;
      return true;
    },
  };
  return s;
}

describe('runBackfillCommand', () => {
  it('draws a redrawn progress bar on a terminal and prints the summary table', async () => {
    const stdout = stream(false);
    const stderr = stream(true);
    const code = await runBackfillCommand({ connectors: Object.values(worldConnectors(world)), store: db.store, stdout, stderr, pageSize: 10 });
    expect(code).toBe(0);
    expect(stderr.text).toContain('\r\x1b[2K');
    expect(stderr.text).toMatch(/scanning {2}salesforce \d+/);
    expect(stderr.text).toMatch(/linking {3}█+░*|linking {3}█+ +100%/);
    expect(stderr.text.endsWith('\n')).toBe(true);
    expect(stdout.text).toMatch(/^system +records\n/);
    for (const s of ['salesforce', 'stripe', 'zendesk', 'erp']) expect(stdout.text).toMatch(new RegExp(`^${s} +\\d+$`, 'm'));
    expect(stdout.text).toMatch(/^golden customers +\d+ live · \d+ created · 0 kept · 0 merged into older ids$/m);
    expect(stdout.text).toMatch(/^links +\d+ written · 0 unchanged$/m);
    expect(stdout.text).toMatch(/^cross-references +\d+ followed \(\d+ to deleted records\) · 0 dangling$/m);
  });

  it('prints plain progress lines when stderr is not a terminal, and nothing changes on a re-run', async () => {
    const stdout = stream(false);
    const stderr = stream(false);
    const code = await runBackfillCommand({ connectors: Object.values(worldConnectors(world)), store: db.store, stdout, stderr, logIntervalMs: 60_000 });
    expect(code).toBe(0);
    expect(stderr.text).not.toContain('\r');
    expect(stderr.text).not.toContain('\x1b');
    const lines = stderr.text.trimEnd().split('\n');
    // Only milestones when the interval never passes: start, each source done, linking start, end.
    expect(lines.length).toBeLessThanOrEqual(8);
    expect(lines.some((l) => /^scanning .*salesforce \d+ \(done\)/.test(l))).toBe(true);
    expect(lines.at(-1)).toMatch(/^linking +100% +\d+\/\d+ customers +0 links written$/);
    expect(stdout.text).toMatch(/^links +0 written · \d+ unchanged$/m);
    expect(stdout.text).toMatch(/· 0 created · \d+ kept · 0 merged/);
  });

  it('exits 1 naming the source it could not read, after linking everything it did read', async () => {
    const stderr = stream(false);
    const stdout = stream(false);
    const c = worldConnectors(world);
    const code = await runBackfillCommand({
      connectors: [c.salesforce, memoryConnector('stripe', c.stripe.records, { failWith: new Error('connect ECONNREFUSED 127.0.0.1:4402') })],
      store: db.store,
      stdout,
      stderr,
      pageSize: 5,
    });
    expect(code).toBe(1);
    expect(stderr.text).toContain(
      'meridian backfill: could not read stripe (connect ECONNREFUSED 127.0.0.1:4402). Everything read was linked; run it again to resume stripe where it stopped.',
    );
    expect(stdout.text).toMatch(/^stripe +5 +INCOMPLETE: connect ECONNREFUSED 127\.0\.0\.1:4402$/m);
  });

  it('fits the bar to the terminal width', () => {
    const p = { phase: 'link' as const, systems: [], clusters: { done: 50, total: 200 }, linksWritten: 120 };
    expect(progressLine(p, true, 100)).toBe(`linking   ${'█'.repeat(10)}${'░'.repeat(30)}  25%  50/200 customers  120 links written`);
    expect(progressLine(p, false)).toBe('linking    25%  50/200 customers  120 links written');
  });
});

// `npm run bench`: measures side by side in one run, prints a table, writes a JSON report.
// Suites so far: the sandbox (world generation, emulator start-up).
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

interface Row {
  suite: string;
  metric: string;
  value: number;
  unit: string;
  note?: string;
}

async function child(args: string[]): Promise<Record<string, number>> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/sandbox-child.ts', ...args], {
    maxBuffer: 1 << 20,
    env: process.env,
  });
  const last = stdout.trim().split('\n').pop() ?? '{}';
  return JSON.parse(last) as Record<string, number>;
}

const rows: Row[] = [];
const sizes = (process.env['BENCH_WORLD_SIZES'] ?? '1000,10000,100000').split(',').map(Number);

for (const n of sizes) {
  const r = await child(['world', String(n)]);
  rows.push({ suite: 'sandbox', metric: `generate world, ${n.toLocaleString('en-US')} customers`, value: r['ms']!, unit: 'ms' });
  rows.push({ suite: 'sandbox', metric: `  peak RSS (process)`, value: r['peakRssMiB']!, unit: 'MiB', note: `baseline ${r['baseRssMiB']!.toFixed(0)} MiB` });
}

const embedded = await child(['start', '1000']);
rows.push({ suite: 'sandbox', metric: 'start all emulators, 1,000 customers, embedded Postgres', value: embedded['ms']!, unit: 'ms', note: 'world + PGlite + seed + listen' });
if (process.env['DATABASE_URL']) {
  const server = await child(['start', '1000', process.env['DATABASE_URL']]);
  rows.push({ suite: 'sandbox', metric: 'start all emulators, 1,000 customers, Postgres server', value: server['ms']!, unit: 'ms' });
}

const width = Math.max(...rows.map((r) => r.metric.length));
console.log(`${'metric'.padEnd(width)}  ${'value'.padStart(10)}  unit`);
for (const r of rows) {
  console.log(`${r.metric.padEnd(width)}  ${r.value.toFixed(r.unit === 'ms' ? 0 : 1).padStart(10)}  ${r.unit}${r.note ? `   (${r.note})` : ''}`);
}
await mkdir('bench/results', { recursive: true });
const file = `bench/results/bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
await writeFile(file, JSON.stringify({ at: new Date().toISOString(), node: process.version, rows }, null, 2));
console.log(`\nwrote ${file}`);

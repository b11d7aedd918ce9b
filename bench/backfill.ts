// The first backfill of a company, as a deployment runs it: the standalone sandbox
// (`meridian sandbox --customers N`) in its own process stands in for the four systems, and
// `meridian backfill` runs in another, configured only by the environment the sandbox prints,
// against a Postgres database of its own (created for the run, dropped after). Measured: wall
// time, records per second, the backfill's resident memory sampled every 250 ms (peak and its
// course, to show it stays flat), the share of each phase (scan, match, write) from its own
// summary, and how long the sandbox took to answer a one-customer Stripe list while serving it.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import pg from 'pg';

export interface BackfillBench {
  customers: number;
  records: number;
  wallS: number;
  recordsPerS: number;
  peakRssMiB: number;
  /** RSS at 10 %, 25 %, 50 %, 75 % and 90 % of the run. */
  rssCourseMiB: number[];
  phases: { scan: number; match: number; write: number; links: number; index: number };
  exitCode: number | null;
  probe: { n: number; p50: number; max: number };
  summary: string;
}

const CLI = 'bin/meridian.js';

function startSandbox(customers: number, cmdPrefix: string[]): Promise<{ proc: ChildProcess; env: Record<string, string> }> {
  const [cmd, ...rest] = [...cmdPrefix, process.execPath, CLI, 'sandbox', '--customers', String(customers)];
  const env: NodeJS.ProcessEnv = { ...process.env, SANDBOX_SALESFORCE_PORT: '0', SANDBOX_STRIPE_PORT: '0', SANDBOX_ZENDESK_PORT: '0', SANDBOX_ERP_PORT: '0' };
  delete env['DATABASE_URL'];
  const proc = spawn(cmd, rest, { env, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const vars: Record<string, string> = {};
    let inEnv = false;
    const lines = createInterface({ input: proc.stdout });
    lines.on('line', (line) => {
      if (line.startsWith('As environment')) inEnv = true;
      else if (inEnv && /^\s+[A-Z_]+=/.test(line)) {
        const [k, ...v] = line.trim().split('=');
        vars[k!] = v.join('=');
      } else if (inEnv && line.startsWith('Ctrl-C')) resolve({ proc, env: vars });
    });
    proc.once('exit', (code) => reject(new Error(`sandbox exited with ${code} before it was ready`)));
  });
}

async function rssMiB(pid: number): Promise<number | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+) kB/m.exec(status);
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** Runs one backfill of a `customers`-customer world; the database at `serverUrl` gets a fresh one for it. */
export async function benchBackfill(customers: number, serverUrl: string, pin: { sandbox: string[]; backfill: string[] }): Promise<BackfillBench> {
  const dbName = `meridian_bench_${process.pid}_${customers}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const url = new URL(serverUrl);
  url.pathname = `/${dbName}`;
  const { proc: sandbox, env } = await startSandbox(customers, pin.sandbox);
  try {
    // BENCH_PROFILE=<dir> writes a CPU profile of the backfill process there.
    const profile = process.env['BENCH_PROFILE'] ? ['--cpu-prof', `--cpu-prof-dir=${process.env['BENCH_PROFILE']}`] : [];
    const [cmd, ...rest] = [...pin.backfill, process.execPath, ...profile, CLI, 'backfill'];
    const t0 = performance.now();
    const child = spawn(cmd, rest, { env: { ...process.env, ...env, DATABASE_URL: url.toString() }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // The process to sample is node itself (taskset execs into it, so the pid is the same).
    const samples: { t: number; mib: number }[] = [];
    const sampler = setInterval(() => {
      void rssMiB(child.pid!).then((mib) => mib !== null && samples.push({ t: performance.now() - t0, mib }));
    }, 250);
    // A one-customer list every 500 ms while the backfill runs: the emulator must keep answering.
    const probes: number[] = [];
    let probing = true;
    const probe = (async () => {
      while (probing) {
        const p0 = performance.now();
        await fetch(`${env['STRIPE_API_BASE']}/v1/customers?limit=1`, { headers: { authorization: `Bearer ${env['STRIPE_API_KEY']}` } }).then((r) => r.arrayBuffer());
        probes.push(performance.now() - p0);
        await new Promise((r) => setTimeout(r, 500));
      }
    })();
    const exitCode = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    const wallS = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    probing = false;
    await probe;
    if (exitCode !== 0) process.stderr.write(stderr.split('\n').filter((l) => !/^(scanning|linking)/.test(l)).join('\n'));
    const total = Number(/^total +([\d,]+)/m.exec(stdout)?.[1]?.replace(/,/g, '') ?? NaN);
    const phase = (name: string): number => Number(new RegExp(`${name} ([\\d.]+) s`).exec(stdout)?.[1] ?? NaN);
    const at = (f: number): number => {
      const t = samples.at(-1)!.t * f;
      return (samples.find((s) => s.t >= t) ?? samples.at(-1)!).mib;
    };
    const sorted = [...probes].sort((a, b) => a - b);
    return {
      customers,
      records: total,
      wallS,
      recordsPerS: total / wallS,
      peakRssMiB: Math.max(...samples.map((s) => s.mib)),
      rssCourseMiB: [0.1, 0.25, 0.5, 0.75, 0.9].map(at),
      phases: { scan: phase('scan'), match: phase('match'), write: phase('write'), links: phase('links'), index: phase('index') },
      exitCode,
      probe: { n: sorted.length, p50: sorted[Math.floor(sorted.length / 2)] ?? NaN, max: sorted.at(-1) ?? NaN },
      summary: stdout,
    };
  } finally {
    sandbox.kill('SIGINT');
    await new Promise((r) => sandbox.once('exit', r));
    await admin.query(`DROP DATABASE IF EXISTS ${dbName}`);
    await admin.end();
  }
}

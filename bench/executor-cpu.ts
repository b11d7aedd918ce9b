// CPU time per executed request, the gateway against graphql-jit on node:http, measured in turns.
// On a shared machine the throughput ratio of `npm run bench` measures which process got more of
// its core in its 8 s (runs of the same code gave 0.23 to 1.04); the CPU time the kernel charged
// to each process per answered request does not depend on that. Both servers are pinned to core 0,
// the load generator and the systems to core 1; each round loads one server, then the other.
//   DATABASE_URL=… node bench/executor-cpu.ts   (CPU_ROUNDS 3, CPU_MS 3000 per turn)
// Prints each turn (per thread: user and system µs per request) and the medians.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { CUSTOMER_QUERY } from './customer-query.ts';

const run = promisify(execFile);
process.env['BENCH_API_KEY'] ??= `bench-${randomBytes(16).toString('hex')}`;

function child(core: number, script: string, args: string[], env: Record<string, string> = {}): { pid: number; send(line: string): void; next<T>(): Promise<T> } {
  const p = spawn('taskset', ['-c', String(core), process.execPath, script, ...args], { env: { ...process.env, ...env } });
  p.stderr.on('data', (d: Buffer) => process.stderr.write(d));
  const queue: string[] = [];
  const waiters: ((l: string) => void)[] = [];
  createInterface({ input: p.stdout }).on('line', (l) => {
    const w = waiters.shift();
    if (w) w(l);
    else queue.push(l);
  });
  return {
    pid: p.pid!,
    send: (line) => p.stdin.write(`${line}\n`),
    next: <T>() =>
      new Promise<T>((resolve) => {
        const l = queue.shift();
        if (l !== undefined) resolve(JSON.parse(l) as T);
        else waiters.push((x) => resolve(JSON.parse(x) as T));
      }),
  };
}

/** CPU µs charged to each thread of `pid` so far, user and system apart (clock ticks of 10 ms). */
function threads(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    let raw: string;
    try {
      raw = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
    } catch {
      continue; // the thread ended
    }
    const name = raw.slice(raw.indexOf('(') + 1, raw.lastIndexOf(')'));
    const f = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
    for (const [kind, i] of [['user', 11], ['system', 12]] as const) {
      const key = `${name} ${kind}`;
      out.set(key, (out.get(key) ?? 0) + Number(f[i]) * 10_000);
    }
  }
  return out;
}
const total = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const systems = child(1, 'bench/sandbox-server.ts', ['1000']);
const { env } = await systems.next<{ env: Record<string, string> }>();
const gateway = child(0, 'bench/gateway-server.ts', [JSON.stringify(env)], { MERIDIAN_RESPONSE_CACHE: 'off' });
const ready = await gateway.next<{ url: string; ids: string[] }>();
systems.send('latency 0');
await systems.next();
const body = JSON.stringify({ query: CUSTOMER_QUERY, variables: { id: ready.ids[0] } });
const headers = { 'content-type': 'application/json', authorization: `Bearer ${process.env['BENCH_API_KEY']}` };
const payload = ((await (await fetch(ready.url, { method: 'POST', headers, body })).json()) as { data: unknown }).data;
const jit = child(0, 'bench/jit-server.ts', [JSON.stringify({ payload })]);
const jitReady = await jit.next<{ url: string }>();

const ms = Number(process.env['CPU_MS'] ?? 3000);
const targets = [
  { name: 'gateway', url: ready.url, pid: gateway.pid },
  { name: 'graphql-jit', url: jitReady.url, pid: jit.pid },
];
const perRequest: Record<string, number[]> = { gateway: [], 'graphql-jit': [] };
for (let round = 0; round < Number(process.env['CPU_ROUNDS'] ?? 3); round++) {
  for (const t of targets) {
    const before = threads(t.pid);
    const { stdout } = await run('taskset', ['-c', '1', process.execPath, 'bench/load.ts', JSON.stringify({ url: t.url, bodies: [body], concurrency: 16, durationMs: ms })], { env: process.env });
    const after = threads(t.pid);
    const r = JSON.parse(stdout.trim().split('\n').pop()!) as { n: number; rps: number; errors: number };
    const us = (total(after) - total(before)) / r.n;
    perRequest[t.name]!.push(us);
    const byThread = [...after].map(([k, v]) => [k, (v - (before.get(k) ?? 0)) / r.n] as const).filter(([, v]) => v >= 0.5);
    console.log(`round ${round} ${t.name}: ${r.rps.toFixed(0)} req/s, ${us.toFixed(1)} µs CPU per request (${byThread.map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}), ${r.errors} errors`);
  }
}
const g = median(perRequest['gateway']!);
const j = median(perRequest['graphql-jit']!);
console.log(`median CPU per request: gateway ${g.toFixed(1)} µs, graphql-jit ${j.toFixed(1)} µs; graphql-jit / gateway ${(j / g).toFixed(3)} (the throughput ratio both would reach with a core each)`);
process.kill(jit.pid, 'SIGTERM');
gateway.send('quit');
systems.send('quit');
await new Promise((r) => setTimeout(r, 3000));
process.exit(0);

// The systems under the benchmark, in their own process (as real systems are remote): every
// emulator and the ERP. Prints the environment a gateway needs; commands on stdin:
// `latency <ms>`, `counts`, `durations`, `quit`, and the sync suite's (bench/sync-driver.ts).
import { createInterface } from 'node:readline';
import { startSandbox } from '../src/sandbox/index.ts';
import { syncDriver } from './sync-driver.ts';

const databaseUrl = process.env['DATABASE_URL'];
const sandbox = await startSandbox({ customers: Number(process.argv[2] ?? 1000), seed: 42, ...(databaseUrl ? { databaseUrl, erpSchema: `erp_bench_${process.pid}` } : {}) });
const emulators = [sandbox.salesforce, sandbox.stripe, sandbox.zendesk];
const sync = syncDriver(sandbox);
process.stdout.write(JSON.stringify({ env: sandbox.env() }) + '\n');
// Stopped (SIGTERM, SIGINT) as by `quit`: the loop ends and what this process made is dropped.
const commands = createInterface({ input: process.stdin });
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => commands.close());
for await (const line of commands) {
  const [cmd, arg] = line.trim().split(/\s+/);
  const synced = sync(cmd!, line.trim().slice(cmd!.length + 1));
  if (synced) {
    process.stdout.write(JSON.stringify(await synced) + '\n');
    continue;
  }
  if (cmd === 'latency') {
    for (const e of emulators) e.faults.set({ latencyMs: Number(arg) });
    sandbox.erp.proxy.faults.set({ latencyMs: Number(arg) });
    process.stdout.write(JSON.stringify({ ok: true }) + '\n');
  } else if (cmd === 'counts') {
    process.stdout.write(
      JSON.stringify({ salesforce: sandbox.salesforce.requests.lastSeq, stripe: sandbox.stripe.requests.lastSeq, zendesk: sandbox.zendesk.requests.lastSeq, erp: sandbox.erp.proxy.requests.lastSeq }) + '\n',
    );
  } else if (cmd === 'durations') {
    // Median time each system took to answer (injected latency included), per operation.
    const med = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
    const out: Record<string, number> = {};
    for (const e of emulators) {
      const by = new Map<string, number[]>();
      for (const r of e.requests.list()) by.set(`${e.name}:${r.operation}`, [...(by.get(`${e.name}:${r.operation}`) ?? []), r.durationMs]);
      for (const [k, v] of by) out[k] = med(v);
    }
    const erp = sandbox.erp.proxy.requests.list().map((r) => r.durationMs);
    out['erp:select'] = med(erp);
    process.stdout.write(JSON.stringify(out) + '\n');
  } else if (cmd === 'quit') break;
}
if (databaseUrl) await sandbox.erp.pool.query(`DROP SCHEMA IF EXISTS ${sandbox.erp.schema} CASCADE`);
await sandbox.close();
process.exit(0);

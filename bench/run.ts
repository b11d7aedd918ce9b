// `npm run bench`: everything measured side by side in one run, printed as a table and written
// as JSON to bench/results/. Servers run pinned to core 0 and the load generator to core 1
// (taskset), so neither steals the other's CPU. BENCH_SUITES=sandbox,gateway picks suites
// (sandbox, gateway, mixed, stampede, matcher, live, webhooks, limits, sync, backfill).
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { promisify } from 'node:util';
import { CUSTOMER_QUERY } from './customer-query.ts';
import { percentile } from './percentile.ts';
import type { PersonChange, Propagation } from './sync-driver.ts';

const run = promisify(execFile);

interface Row {
  suite: string;
  metric: string;
  value: number;
  unit: string;
  goal?: string;
  note?: string;
}

const rows: Row[] = [];
// Authentication is on, as in production: the gateway accepts this key (MERIDIAN_API_KEYS, set by
// bench/gateway-server.ts) and every request sends it (load.ts reads it too); children inherit it.
process.env['BENCH_API_KEY'] ??= `bench-${randomBytes(16).toString('hex')}`;
const AUTH = { authorization: `Bearer ${process.env['BENCH_API_KEY']}` };
const jsonHeaders = { 'content-type': 'application/json', ...AUTH };
const suites = new Set((process.env['BENCH_SUITES'] ?? 'sandbox,gateway,mixed,stampede,matcher,live,webhooks,limits,sync,backfill').split(','));
const taskset = existsSync('/usr/bin/taskset');

function pinned(core: number, script: string, args: string[], nodeFlags: string[] = []): string[] {
  // BENCH_PROFILE=<dir> writes a CPU profile of each server process there.
  const profile = process.env['BENCH_PROFILE'] && script.includes('server') ? ['--cpu-prof', `--cpu-prof-dir=${process.env['BENCH_PROFILE']}`] : [];
  // As production runs: Node strips the types itself, no loader (a loader's resolve hooks cost on every require).
  const node = [process.execPath, ...nodeFlags, ...profile, script, ...args];
  return taskset ? ['taskset', '-c', String(core), ...node] : node;
}

async function once(core: number, script: string, args: string[]): Promise<Record<string, number>> {
  const [cmd, ...rest] = pinned(core, script, args);
  const { stdout } = await run(cmd!, rest, { maxBuffer: 1 << 24, env: process.env });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, number>;
}

class Child {
  readonly proc: ChildProcessWithoutNullStreams;
  readonly #lines: Interface;
  readonly #queue: string[] = [];
  #waiters: ((line: string) => void)[] = [];
  constructor(core: number, script: string, args: string[], nodeFlags: string[] = [], env: NodeJS.ProcessEnv = process.env) {
    const [cmd, ...rest] = pinned(core, script, args, nodeFlags);
    this.proc = spawn(cmd!, rest, { env });
    this.proc.stderr.on('data', (d: Buffer) => process.stderr.write(d));
    this.#lines = createInterface({ input: this.proc.stdout });
    this.#lines.on('line', (l) => {
      const w = this.#waiters.shift();
      if (w) w(l);
      else this.#queue.push(l);
    });
  }
  next<T>(): Promise<T> {
    const l = this.#queue.shift();
    if (l !== undefined) return Promise.resolve(JSON.parse(l) as T);
    return new Promise((resolve) => this.#waiters.push((x) => resolve(JSON.parse(x) as T)));
  }
  ask<T>(command: string): Promise<T> {
    this.proc.stdin.write(command + '\n');
    return this.next<T>();
  }
  async stop(): Promise<void> {
    if (this.proc.exitCode !== null) return;
    const exited = new Promise((r) => this.proc.once('exit', r));
    this.proc.stdin.write('quit\n');
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
  }
}

// ---------------------------------------------------------------- sandbox
if (suites.has('sandbox')) {
  const sizes = (process.env['BENCH_WORLD_SIZES'] ?? '1000,10000,100000').split(',').map(Number);
  for (const n of sizes) {
    const r = await once(0, 'bench/sandbox-child.ts', ['world', String(n)]);
    rows.push({ suite: 'sandbox', metric: `generate world, ${n.toLocaleString('en-US')} customers`, value: r['ms']!, unit: 'ms' });
    rows.push({ suite: 'sandbox', metric: `  peak RSS (process)`, value: r['peakRssMiB']!, unit: 'MiB', note: `baseline ${r['baseRssMiB']!.toFixed(0)} MiB` });
  }
  const embedded = await once(0, 'bench/sandbox-child.ts', ['start', '1000']);
  rows.push({ suite: 'sandbox', metric: 'start all emulators, 1,000 customers, embedded Postgres', value: embedded['ms']!, unit: 'ms', note: 'world + PGlite + seed + listen' });
  if (process.env['DATABASE_URL']) {
    const server = await once(0, 'bench/sandbox-child.ts', ['start', '1000', process.env['DATABASE_URL']]);
    rows.push({ suite: 'sandbox', metric: 'start all emulators, 1,000 customers, Postgres server', value: server['ms']!, unit: 'ms' });
  }
}

// ---------------------------------------------------------------- gateway

if (suites.has('gateway')) {
  const FLOOR_MS = 50;
  // The systems run in their own process on the load generator's core (idle while latency is
  // measured one request at a time); the gateway has core 0 to itself.
  // BENCH_GATEWAY_CUSTOMERS: the world's size (default 1,000, the demo world's), to measure the same at size.
  const systems = new Child(1, 'bench/sandbox-server.ts', [process.env['BENCH_GATEWAY_CUSTOMERS'] ?? '1000']);
  const { env } = await systems.next<{ env: Record<string, string> }>();
  const gateway = new Child(0, 'bench/gateway-server.ts', [JSON.stringify(env)]);
  const ready = await gateway.next<{ url: string; ids: string[]; systems: number[] }>();
  const sample = ready.ids.slice(0, 100);
  const bodies = sample.map((id) => JSON.stringify({ query: CUSTOMER_QUERY, variables: { id } }));

  // 1. Latency with 50 ms at every source: each query a cache miss (distinct customers).
  await systems.ask('latency ' + FLOOR_MS);
  // Warmed first with misses of the other hundred customers, round after round (the cache emptied
  // after each): the miss path is measured as a running gateway serves it, once V8 has optimised
  // it, as the throughput below is measured after its warm-up and the sources alone are measured
  // after all of these misses. On this 2-core VM the rounds' p50 went 57.4, 56.6, 56.5, 55.7,
  // 55.3, 55.2, 55.1, 55.3 ms (6 December 2026): one round of a hundred measured V8's warm-up.
  // The first round (the first hundred misses after start) is reported as well.
  const warmRounds = Math.max(1, Number(process.env['BENCH_MISS_WARMUP_ROUNDS'] ?? 6));
  const warmBodies = ready.ids.slice(100, 200).map((id) => JSON.stringify({ query: CUSTOMER_QUERY, variables: { id } }));
  let firstRound: Record<string, number> | undefined;
  for (let round = 0; round < warmRounds; round++) {
    const w = await once(1, 'bench/load.ts', [JSON.stringify({ url: ready.url, bodies: warmBodies, concurrency: 1, sequential: true })]);
    firstRound ??= w;
    if (process.env['BENCH_VERBOSE']) console.error(`miss warm-up round ${round + 1}: p50 ${w['p50']!.toFixed(2)} ms`);
    await gateway.ask('clear');
  }
  const before = await systems.ask<Record<string, number>>('counts');
  const lat = await once(1, 'bench/load.ts', [JSON.stringify({ url: ready.url, bodies, concurrency: 1, sequential: true })]);
  const after = await systems.ask<Record<string, number>>('counts');
  const durations = await systems.ask<Record<string, number>>('durations');
  if (process.env['BENCH_VERBOSE']) console.error('system answer times (ms, median):', durations);
  const calls = Object.keys(after).reduce((s, k) => s + after[k]! - before[k]!, 0);
  const minimum = ready.systems.slice(0, 100).reduce((s, n) => s + n, 0);
  rows.push({ suite: 'gateway', metric: 'customer query, 50 ms at every source: p50', value: lat['p50']!, unit: 'ms', note: `${lat['n']} distinct customers, cache misses, ${lat['errors']} errors; after ${warmRounds * warmBodies.length} warm-up misses (BENCH_MISS_WARMUP_ROUNDS ${warmRounds})` });
  rows.push({ suite: 'gateway', metric: '  p50 / 50 ms floor', value: lat['p50']! / FLOOR_MS, unit: 'ratio', goal: '≤ 1.10' });
  rows.push({ suite: 'gateway', metric: '  p95', value: lat['p95']!, unit: 'ms' });
  rows.push({ suite: 'gateway', metric: '  p95 / 50 ms floor', value: lat['p95']! / FLOOR_MS, unit: 'ratio', goal: '≤ 1.30' });
  rows.push({ suite: 'gateway', metric: '  the first 100 misses after start: p50 / floor', value: firstRound!['p50']! / FLOOR_MS, unit: 'ratio', note: `p50 ${firstRound!['p50']!.toFixed(1)} ms, p95 ${firstRound!['p95']!.toFixed(1)} ms: before V8 has optimised the miss path (other customers, the first warm-up round)` });
  // The same customers missed again with the link memo off (MERIDIAN_LINK_MEMO=0: each build asks
  // Postgres for the links first and only then the systems) and on, in alternate rounds
  // (BENCH_MEMO_PAIRS pairs, the cache emptied before each): the memo's effect, paired.
  const memoPairs = Math.max(1, Number(process.env['BENCH_MEMO_PAIRS'] ?? 3));
  const memoP50 = { on: [] as number[], off: [] as number[] };
  let memo = { on: true, size: 0, max: 0 };
  for (let pair = 0; pair < memoPairs; pair++) {
    for (const side of ['off', 'on'] as const) {
      await gateway.ask('clear');
      memo = await gateway.ask<{ on: boolean; size: number; max: number }>(`memo ${side}`);
      const r = await once(1, 'bench/load.ts', [JSON.stringify({ url: ready.url, bodies, concurrency: 1, sequential: true })]);
      memoP50[side].push(r['p50']!);
    }
  }
  const memoGains = memoP50.off.map((off, i) => off - memoP50.on[i]!);
  const list = (xs: number[]): string => xs.map((x) => x.toFixed(2)).join(', ');
  rows.push({ suite: 'gateway', metric: '  same customers, link memo off / on, p50', value: percentile(memoP50.off, 50) / percentile(memoP50.on, 50), unit: 'ratio', note: `${memoPairs} pairs of rounds, cache emptied before each; p50 off ${list(memoP50.off)} ms, on ${list(memoP50.on)} ms: the memo saves ${percentile(memoGains, 50).toFixed(2)} ms (median pair); it held ${memo.size.toLocaleString('en-US')} customers (MERIDIAN_LINK_MEMO ${memo.max.toLocaleString('en-US')})` });
  // The same customers read by the connectors alone (the SDKs, all systems in parallel, no
  // gateway around them), at the same latency, just after: what the 50 ms floor costs through
  // these SDKs and emulators before the gateway adds anything.
  const sourcesOnly = await gateway.ask<{ n: number; p50: number; p95: number }>('floor');
  rows.push({ suite: 'gateway', metric: '  the sources alone (connectors in parallel), p50', value: sourcesOnly.p50, unit: 'ms', note: `p95 ${sourcesOnly.p95.toFixed(1)} ms; the same ${sourcesOnly.n} customers, no identity lookup, merge or GraphQL` });
  rows.push({ suite: 'gateway', metric: '  gateway p50 / sources alone p50', value: lat['p50']! / sourcesOnly.p50, unit: 'ratio', note: `the gateway adds ${(lat['p50']! - sourcesOnly.p50).toFixed(1)} ms at p50, ${(lat['p95']! - sourcesOnly.p95).toFixed(1)} ms at p95` });
  rows.push({ suite: 'gateway', metric: 'upstream calls per query / minimum', value: calls / minimum, unit: 'ratio', goal: '1.0', note: `${calls} calls for ${sample.length} queries; minimum ${minimum} (one per linked system)` });

  // 2. Throughput, side by side with the reference: graphql-jit on node:http answering the same
  // payload from memory. Both servers are pinned to core 0 and loaded one at a time from core 1,
  // each first warmed up with the same load (BENCH_WARMUP_MS: V8 optimises a large gateway later
  // than a small server, and a server's throughput is its steady state), then measured in
  // alternating turns (BENCH_TURNS of BENCH_DURATION_MS in all), so a change in the machine's
  // speed during the run lands on both sides instead of on whichever ran later.
  await systems.ask('latency 0');
  const one = JSON.stringify({ query: CUSTOMER_QUERY, variables: { id: sample[0] } });
  const warm = await fetch(ready.url, { method: 'POST', headers: jsonHeaders, body: one });
  const payload = ((await warm.json()) as { data: unknown }).data;
  const durationMs = Number(process.env['BENCH_DURATION_MS'] ?? 10_000);
  const warmupMs = Number(process.env['BENCH_WARMUP_MS'] ?? 10_000);
  const turns = Math.max(1, Number(process.env['BENCH_TURNS'] ?? 9));
  const concurrency = Number(process.env['BENCH_CONCURRENCY'] ?? 16);
  const jit = new Child(0, 'bench/jit-server.ts', [JSON.stringify({ payload })]);
  const jitReady = await jit.next<{ url: string }>();
  const jitCheck = (await (await fetch(jitReady.url, { method: 'POST', body: one })).json()) as { data: unknown };
  const same = JSON.stringify(jitCheck.data) === JSON.stringify(payload);
  const load = (url: string, body: string, ms: number): Promise<Record<string, number>> => once(1, 'bench/load.ts', [JSON.stringify({ url, bodies: [body], concurrency, durationMs: ms })]);
  await load(jitReady.url, one, warmupMs);
  const jitTurns: Record<string, number>[] = [];
  /** The gateway at `url` against graphql-jit, turn by turn after its warm-up. */
  const sideBySide = async (url: string, body: string): Promise<{ gateway: Record<string, number>; ratio: number; ratios: number[] }> => {
    await load(url, body, warmupMs);
    const mine: Record<string, number>[] = [];
    const ratios: number[] = [];
    for (let t = 0; t < turns; t++) {
      const g = await load(url, body, durationMs / turns);
      const j = await load(jitReady.url, one, durationMs / turns);
      mine.push(g);
      jitTurns.push(j);
      ratios.push(g['rps']! / j['rps']!);
    }
    const sum = (rs: Record<string, number>[], k: string): number => rs.reduce((a, r) => a + r[k]!, 0);
    const gateway = { rps: sum(mine, 'rps') / mine.length, p50: percentile(mine.map((r) => r['p50']!), 50), errors: sum(mine, 'errors'), n: sum(mine, 'n') };
    return { gateway, ratio: percentile(ratios, 50), ratios };
  };
  const turnsNote = (r: { ratios: number[] }): string => `median of ${turns} turns: ${r.ratios.map((x) => x.toFixed(3)).join(', ')}`;

  // 2a. A cached customer query through the full stack (the response cache answers).
  const full = await sideBySide(ready.url, one);
  await gateway.stop();

  // 2b. The same with the response cache off: the operation executed each time from the cached golden record.
  process.env['MERIDIAN_RESPONSE_CACHE'] = 'off';
  const executing = new Child(0, 'bench/gateway-server.ts', [JSON.stringify(env)]);
  const execReady = await executing.next<{ url: string; ids: string[] }>();
  delete process.env['MERIDIAN_RESPONSE_CACHE'];
  // This process backfilled its own store: its golden ids are its own (the first process's would
  // be NOT_FOUND here, and the executed figure would measure an error answer). The same customer:
  // the backfill is deterministic and lists customers in creation order.
  const oneExec = JSON.stringify({ query: CUSTOMER_QUERY, variables: { id: execReady.ids[0] } });
  const execWarm = (await (await fetch(execReady.url, { method: 'POST', headers: jsonHeaders, body: oneExec })).json()) as { data: { customer: unknown } | null; errors?: unknown[] };
  const execSame = JSON.stringify(execWarm.data?.customer).length === JSON.stringify((payload as { customer: unknown }).customer).length && !execWarm.errors;
  const executed = await sideBySide(execReady.url, oneExec);
  await executing.stop();

  // 2c. The same on graphql's execute (MERIDIAN_EXECUTOR=graphql): what the jit executor gains.
  process.env['MERIDIAN_RESPONSE_CACHE'] = 'off';
  process.env['MERIDIAN_EXECUTOR'] = 'graphql';
  const plainExec = new Child(0, 'bench/gateway-server.ts', [JSON.stringify(env)]);
  const plainReady = await plainExec.next<{ url: string; ids: string[] }>();
  delete process.env['MERIDIAN_RESPONSE_CACHE'];
  delete process.env['MERIDIAN_EXECUTOR'];
  const onePlain = JSON.stringify({ query: CUSTOMER_QUERY, variables: { id: plainReady.ids[0] } });
  await fetch(plainReady.url, { method: 'POST', headers: jsonHeaders, body: onePlain });
  const plain = await sideBySide(plainReady.url, onePlain);
  await plainExec.stop();
  await systems.stop();
  jit.proc.kill('SIGTERM');
  const base = jitTurns.reduce((a, r) => a + r['rps']!, 0) / jitTurns.length;

  const how = `${concurrency} connections, ${warmupMs / 1000} s warm-up, ${turns} turns of ${(durationMs / turns / 1000).toFixed(2)} s alternating with graphql-jit`;
  rows.push({ suite: 'gateway', metric: 'cached customer query, full stack', value: full.gateway['rps']!, unit: 'req/s', note: `${how}; p50 ${full.gateway['p50']!.toFixed(2)} ms, ${full.gateway['errors']} errors; served by the response cache` });
  rows.push({ suite: 'gateway', metric: '  same, response cache off (executed from cached golden record)', value: executed.gateway['rps']!, unit: 'req/s', note: `role ${process.env['BENCH_ROLE'] ?? 'admin'} (BENCH_ROLE), p50 ${executed.gateway['p50']!.toFixed(2)} ms, ${executed.gateway['errors']} errors; ${execSame ? 'same customer, same payload size, no GraphQL errors' : 'ANSWER DIFFERS from the first gateway\'s'}` });
  rows.push({ suite: 'gateway', metric: '  same on graphql\'s execute (MERIDIAN_EXECUTOR=graphql)', value: plain.gateway['rps']!, unit: 'req/s', note: `p50 ${plain.gateway['p50']!.toFixed(2)} ms, ${plain.gateway['errors']} errors` });
  rows.push({ suite: 'gateway', metric: 'graphql-jit on node:http, same payload from memory', value: base, unit: 'req/s', note: `mean of its ${jitTurns.length} turns; ${same ? 'identical response body' : 'RESPONSE DIFFERS'}` });
  rows.push({ suite: 'gateway', metric: '  full stack / graphql-jit', value: full.ratio, unit: 'ratio', goal: '≥ 0.8', note: turnsNote(full) });
  rows.push({ suite: 'gateway', metric: '  executed (response cache off) / graphql-jit', value: executed.ratio, unit: 'ratio', goal: '≥ 0.8', note: turnsNote(executed) });
  rows.push({ suite: 'gateway', metric: '  executed on graphql\'s execute / graphql-jit', value: plain.ratio, unit: 'ratio', note: turnsNote(plain) });
}

// ---------------------------------------------------------------- mixed
// Issue 9's acceptance: a mixed load at 200 connections for 60 s (BENCH_MIXED_MS,
// BENCH_MIXED_CONNECTIONS, BENCH_MIXED_WARMUP_MS 30 s): customers by id (two shapes), pages of
// customers, search, customerBySource and a linkSourceRecord mutation, all with the response
// cache on as deployed. Errors are counted by code (none but RATE_LIMITED expected), and the
// gateway's RSS after warm-up is compared with its RSS at the end (both after a full GC).
if (suites.has('mixed')) {
  const durationMs = Number(process.env['BENCH_MIXED_MS'] ?? 60_000);
  // 30 s: the first ~15,000 requests raise the process's native memory (outside the V8 heap, which
  // stays flat) to a high-water mark; after 10 s RSS still grew ~35 % over the run, after 30 s ~5 %.
  const warmupMs = Number(process.env['BENCH_MIXED_WARMUP_MS'] ?? 30_000);
  const connections = Number(process.env['BENCH_MIXED_CONNECTIONS'] ?? 200);
  const systems = new Child(1, 'bench/sandbox-server.ts', ['1000']);
  const { env } = await systems.next<{ env: Record<string, string> }>();
  const gateway = new Child(0, 'bench/gateway-server.ts', [JSON.stringify(env)], ['--expose-gc']);
  const ready = await gateway.next<{ url: string; ids: string[]; refs: { system: string; externalId: string }[] }>();
  const listed = (await (
    await fetch(ready.url, { method: 'POST', headers: jsonHeaders, body: JSON.stringify({ query: '{ customers(first: 100) { edges { node { id name email } } } }' }) })
  ).json()) as { data: { customers: { edges: { node: { id: string; name: string | null; email: string | null } }[] } } };
  const people = listed.data.customers.edges.map((e) => e.node);
  const op = (query: string, variables: Record<string, unknown> = {}): string => JSON.stringify({ query, variables });
  const SMALL = 'query C($id: ID!) { customer(id: $id) { id name email phone company lifecycle address { city country } } }';
  const PAGE = 'query P($first: Int, $after: String) { customers(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id name email phone } } } }';
  const SEARCH = 'query S($q: String!) { searchCustomers(query: $q, first: 5) { score matchedOn customer { id name email } } }';
  const BY_SOURCE = 'query B($system: System!, $id: ID!) { customerBySource(system: $system, externalId: $id) { id name email sources { system externalId } } }';
  const LINK = 'mutation L($system: System!, $id: ID!) { linkSourceRecord(system: $system, externalId: $id) { id name } }';
  const bodies: string[] = [];
  const labels: string[] = [];
  for (let i = 0; i < 100; i++) {
    const id = ready.ids[i % ready.ids.length]!;
    const person = people[i % people.length]!;
    const ref = ready.refs[i % ready.refs.length]!;
    const system = ref.system.toUpperCase();
    const add = (label: string, body: string): void => {
      bodies.push(body);
      labels.push(label);
    };
    add('customer', op(CUSTOMER_QUERY, { id }));
    add('customer small', op(SMALL, { id: ready.ids[(i + 50) % ready.ids.length] }));
    add('customer small', op(SMALL, { id }));
    add('page', op(PAGE, { first: [10, 20, 50][i % 3] }));
    add('search', op(SEARCH, { q: i % 2 ? (person.name ?? 'acme') : (person.email ?? 'acme') }));
    add('bySource', op(BY_SOURCE, { system, id: ref.externalId }));
    // A write now and then: re-linking a linked record reads it from its system and keeps its customer.
    if (i % 10 === 0) add('link', op(LINK, { system, id: ref.externalId }));
  }
  const specFile = join(tmpdir(), `meridian-bench-mixed-${process.pid}.json`);
  const spec = async (ms: number): Promise<string> => {
    await writeFile(specFile, JSON.stringify({ url: ready.url, bodies, concurrency: connections, durationMs: ms, codes: true, labels }));
    return `@${specFile}`;
  };
  const warm = await once(1, 'bench/load.ts', [await spec(warmupMs)]);
  type Memory = { rssMiB: number; heapUsedMiB: number; heapTotalMiB: number; externalMiB: number; arrayBuffersMiB: number };
  const before = await gateway.ask<Memory>('memory');
  const load = await once(1, 'bench/load.ts', [await spec(durationMs)]);
  await rm(specFile, { force: true });
  const after = await gateway.ask<Memory>('memory');
  await gateway.stop();
  await systems.stop();
  const codes = (load as unknown as { byCode: Record<string, number> }).byCode;
  const unexpected = Object.entries(codes).filter(([c]) => c !== 'RATE_LIMITED');
  const said = Object.entries(codes).map(([c, n]) => `${c} ${n}`).join(', ') || 'none';
  const label = `${connections} connections, ${durationMs / 1000} s`;
  rows.push({ suite: 'mixed', metric: `mixed load (${bodies.length} operations: customer ×2 shapes, page, search, bySource, link), ${label}`, value: load['rps']!, unit: 'req/s', note: `p50 ${load['p50']!.toFixed(1)} ms, p95 ${load['p95']!.toFixed(1)} ms, p99 ${load['p99']!.toFixed(1)} ms; ${load['n']} requests after ${warmupMs / 1000} s warm-up (${warm['n']} requests); bearer key (role admin)` });
  const per = (load as unknown as { byLabel: Record<string, { n: number; meanMs: number }> }).byLabel;
  rows.push({ suite: 'mixed', metric: '  mean latency by operation', value: load['n']!, unit: 'req', note: Object.entries(per).map(([l, b]) => `${l} ${b.meanMs.toFixed(0)} ms (${b.n})`).join(', ') });
  rows.push({ suite: 'mixed', metric: '  errors other than RATE_LIMITED', value: unexpected.reduce((s, [, n]) => s + n, 0), unit: 'errors', goal: '0', note: `by code: ${said}` });
  rows.push({ suite: 'mixed', metric: '  RSS at the end / after warm-up (after a full GC)', value: after.rssMiB / before.rssMiB, unit: 'ratio', goal: '≤ 1.10', note: `${before.rssMiB.toFixed(0)} → ${after.rssMiB.toFixed(0)} MiB; heap used ${before.heapUsedMiB.toFixed(0)} → ${after.heapUsedMiB.toFixed(0)}, heap total ${before.heapTotalMiB.toFixed(0)} → ${after.heapTotalMiB.toFixed(0)}, external ${before.externalMiB.toFixed(0)} → ${after.externalMiB.toFixed(0)} (array buffers ${before.arrayBuffersMiB.toFixed(0)} → ${after.arrayBuffersMiB.toFixed(0)}) MiB` });
}

// ---------------------------------------------------------------- stampede
// Issue 8 item 9: golden records expired, many connections asking the same page of customers
// on two replicas sharing Redis and Postgres. Upstream calls, counted at the emulators, against
// the minimum: what one request alone costs on a cold cache.
if (suites.has('stampede')) {
  const redisUrl = process.env['BENCH_REDIS_URL'] ?? process.env['REDIS_URL'];
  if (!redisUrl || !process.env['DATABASE_URL']) {
    rows.push({ suite: 'stampede', metric: 'cold-cache stampede', value: NaN, unit: 'ratio', note: 'skipped: needs DATABASE_URL and REDIS_URL (replicas share them)' });
  } else {
    const FLOOR_MS = 50;
    const STAMPEDE_QUERY = '{ customers(first: 20) { edges { node { id name email phone } } } }';
    const connections = Number(process.env['BENCH_STAMPEDE_CONNECTIONS'] ?? 100);
    const durationMs = Number(process.env['BENCH_STAMPEDE_MS'] ?? 5000);
    const systems = new Child(1, 'bench/sandbox-server.ts', ['1000']);
    const { env } = await systems.next<{ env: Record<string, string> }>();
    process.env['BENCH_REDIS_URL'] = redisUrl;
    const primary = new Child(0, 'bench/gateway-server.ts', [JSON.stringify(env)]);
    const first = await primary.next<{ url: string; storeSchema: string }>();
    process.env['BENCH_STORE_SCHEMA'] = first.storeSchema;
    process.env['BENCH_BACKFILL'] = '0';
    const replica = new Child(0, 'bench/gateway-server.ts', [JSON.stringify(env)]);
    const second = await replica.next<{ url: string }>();
    delete process.env['BENCH_STORE_SCHEMA'];
    delete process.env['BENCH_BACKFILL'];
    await systems.ask('latency ' + FLOOR_MS);
    const body = JSON.stringify({ query: STAMPEDE_QUERY });
    const diff = (a: Record<string, number>, b: Record<string, number>): Record<string, number> => Object.fromEntries(Object.keys(a).map((k) => [k, b[k]! - a[k]!]));
    const sum = (x: Record<string, number>): number => Object.values(x).reduce((s, n) => s + n, 0);

    // The minimum: one request alone, cold.
    await primary.ask('clear');
    const m0 = await systems.ask<Record<string, number>>('counts');
    await once(1, 'bench/load.ts', [JSON.stringify({ url: first.url, bodies: [body], concurrency: 1, sequential: true })]);
    const minimum = diff(m0, await systems.ask<Record<string, number>>('counts'));

    // The stampede: the cache expired again, half the connections on each replica.
    await primary.ask('clear');
    const s0 = await systems.ask<Record<string, number>>('counts');
    const half = Math.max(1, Math.floor(connections / 2));
    const [a, b] = await Promise.all([
      once(1, 'bench/load.ts', [JSON.stringify({ url: first.url, bodies: [body], concurrency: half, durationMs })]),
      once(1, 'bench/load.ts', [JSON.stringify({ url: second.url, bodies: [body], concurrency: connections - half, durationMs })]),
    ]);
    const stampede = diff(s0, await systems.ask<Record<string, number>>('counts'));
    await replica.stop();
    await primary.stop();
    await systems.stop();
    const per = (x: Record<string, number>): string => Object.entries(x).map(([k, v]) => `${k} ${v}`).join(', ');
    rows.push({
      suite: 'stampede',
      metric: `cold cache, ${connections} connections on 2 replicas for ${durationMs / 1000} s: upstream calls / minimum`,
      value: sum(stampede) / sum(minimum),
      unit: 'ratio',
      goal: '≤ 1.2',
      note: `${sum(stampede)} calls (${per(stampede)}) for ${a['n']! + b['n']!} requests; minimum ${sum(minimum)} (${per(minimum)}); ${FLOOR_MS} ms at every system`,
    });
    rows.push({ suite: 'stampede', metric: '  p50 latency', value: Math.max(a['p50']!, b['p50']!), unit: 'ms', note: `${a['errors']! + b['errors']!} errors` });
  }
}

// ---------------------------------------------------------------- matcher
if (suites.has('matcher')) {
  for (const n of (process.env['BENCH_MATCHER_SIZES'] ?? '100000,1000000').split(',').map(Number)) {
    // A large young generation and heap: feature building at 1M is allocation-heavy.
    const [cmd, ...rest] = pinned(0, 'bench/matcher-child.ts', [String(n)], ['--max-old-space-size=8192', '--max-semi-space-size=64']);
    const { stdout } = await run(cmd!, rest, { maxBuffer: 1 << 24 });
    const r = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, number>;
    const label = n.toLocaleString('en-US');
    rows.push({ suite: 'matcher', metric: `dedupe ${label} generated person records: total`, value: r['msTotal']! / 1000, unit: 's', goal: n === 1_000_000 ? '< 120' : '', note: `one core; ${r['candidatePairs']!.toLocaleString('en-US')} candidate pairs` });
    rows.push({ suite: 'matcher', metric: '  comparisons per second (one core)', value: r['comparisonsPerSecond']!, unit: 'cmp/s', note: 'incl. random pairs for u; Splink publishes ~128k per vCPU' });
    rows.push({ suite: 'matcher', metric: '  records per second, end to end', value: r['recordsPerSecond']!, unit: 'rec/s' });
    rows.push({ suite: 'matcher', metric: '  peak RSS', value: r['peakRssMiB']!, unit: 'MiB' });
    rows.push({ suite: 'matcher', metric: '  precision / recall / F1 (pairs)', value: r['f1']!, unit: 'F1', note: `precision ${r['precision']!.toFixed(4)}, recall ${r['recall']!.toFixed(4)}` });
  }
}

// ---------------------------------------------------------------- live matcher
if (suites.has('live')) {
  for (const n of (process.env['BENCH_LIVE_CUSTOMERS'] ?? '20000').split(',').map(Number)) {
    const r = await once(0, 'bench/live-matcher-child.ts', [String(n), process.env['BENCH_LIVE_HELD_OUT'] ?? '500']);
    const label = `${n.toLocaleString('en-US')}-customer world (${r['indexed']!.toLocaleString('en-US')} records indexed, ${process.env['DATABASE_URL'] ? 'Postgres server' : 'embedded PGlite'})`;
    rows.push({ suite: 'live', metric: `match one new record against a ${label}: p50`, value: r['p50']!, unit: 'ms', note: `${r['heldOut']} records arriving one at a time; ${r['meanCandidates']!.toFixed(1)} candidates each on average` });
    rows.push({ suite: 'live', metric: '  p95', value: r['p95']!, unit: 'ms' });
    rows.push({ suite: 'live', metric: '  p99', value: r['p99']!, unit: 'ms' });
    rows.push({ suite: 'live', metric: '  full backfill of the same records (the alternative: re-run everything)', value: r['backfillMs']! / 1000, unit: 's' });
    rows.push({ suite: 'live', metric: '  full re-run / one incremental match (p50)', value: r['backfillMs']! / r['p50']!, unit: 'x' });
    rows.push({ suite: 'live', metric: '  pairwise precision / recall after the late records', value: r['recall']!, unit: 'recall', note: `precision ${r['precision']!.toFixed(4)}` });
  }
}

// ---------------------------------------------------------------- webhooks
if (suites.has('webhooks')) {
  const r = await once(0, 'bench/outbound-child.ts', []);
  const mb = (r['bytes']! / 1e6).toFixed(2);
  rows.push({ suite: 'webhooks', metric: `read a ${mb} MB Salesforce Outbound Message (100 notifications): p50`, value: r['inlineP50']!, unit: 'ms', note: 'fast-xml-parser, entities off, on the calling thread' });
  rows.push({ suite: 'webhooks', metric: '  same through the worker thread the gateway uses', value: r['workerP50']!, unit: 'ms', note: `event-loop delay meanwhile p99 ${r['loopP99Ms']!.toFixed(1)} ms, max ${r['loopMaxMs']!.toFixed(1)} ms (worker shares the pinned core)` });
  rows.push({ suite: 'webhooks', metric: `  refuse ${(r['attackBytes']! / 1e3).toFixed(0)} KB of 45,000 unclosed <sObject tags: p50`, value: r['attackP50']!, unit: 'ms', note: 'issue 8 item 5: the regex took 15 s' });
}

// ---------------------------------------------------------------- limits
// What the operation limits and the rate limiter add to a request (docs/limits.md).
if (suites.has('limits')) {
  const r = await once(0, 'bench/limits-child.ts', []);
  rows.push({ suite: 'limits', metric: 'measure the explorer example (58 fields), nothing kept', value: r['measureExampleUs']!, unit: 'µs', note: 'a repeated document is measured once' });
  rows.push({ suite: 'limits', metric: 'measure the 1,000-alias reproduction', value: r['measureBombUs']!, unit: 'µs', note: `parsing it: ${r['parseBombUs']!.toFixed(0)} µs` });
  rows.push({ suite: 'limits', metric: '  its size check before parsing (62 KB, 18k tokens)', value: r['checkBombDocumentUs']!, unit: 'µs' });
  rows.push({ suite: 'limits', metric: 'rate limit take, in memory', value: r['memoryTakeUs']!, unit: 'µs' });
  if (r['redisTakeUs'] !== undefined) rows.push({ suite: 'limits', metric: 'rate limit take, Redis (BENCH_REDIS_URL)', value: r['redisTakeUs'], unit: 'µs', note: 'one round trip, Lua script' });
}

// ---------------------------------------------------------------- sync
// Issue 10's pipeline. The systems (bench/sandbox-server.ts, whose bench/sync-driver.ts also plays
// the people changing them and reads the emulators' logs) on core 1; the gateway with its
// in-process worker (bench/sync-server.ts) and, for two workers, `meridian worker` beside it on
// core 0 (BENCH_SYNC_WORKER_CORE moves that one). With DATABASE_URL they share a database of their
// own on that server (created for the run, dropped after) and BENCH_REDIS_URL or REDIS_URL;
// without DATABASE_URL the gateway runs embedded PGlite, and the two-worker row is skipped (the
// embedded store belongs to one process), as it is without Redis. Webhooks only (polling off).
//  - acknowledgement: BENCH_SYNC_ACKS (500) signed Stripe customer.updated events posted one after
//    another, the worker working them meanwhile;
//  - propagation: a person changes a Stripe customer's phone with the stripe SDK at the emulator,
//    which notifies the gateway; from that notification's delivery to the last write Meridian
//    makes to the customer's Salesforce records (the account's phone, a contact's stale e-mail),
//    as received at the emulator (writes back to Stripe are counted in the note).
//    BENCH_SYNC_CHANGES (200) distinct customers linked to one Stripe customer and one Salesforce
//    account, one at a time, each after the pipeline went quiet (its write's echo worked off), at
//    0 and 50 ms at every system. The floor, measured just before at the same latency: a Stripe
//    retrieve plus a Salesforce update through the SDKs (BENCH_SYNC_FLOOR times, 50);
//  - changes per second: a burst of BENCH_SYNC_BURST (200) changes at once to the customers of the
//    0 ms run with one worker, then to those of the 50 ms run with two; from the first
//    notification to the last target written.
// Each change's writes are looked up at the emulators: a change whose account was never written
// counts as infinitely slow (it shows in the percentiles rather than being averaged away), and
// the notes say what else was written, repeated, failed or left wrong.
if (suites.has('sync')) {
  const n = Number(process.env['BENCH_SYNC_CHANGES'] ?? 200);
  const burstSize = Number(process.env['BENCH_SYNC_BURST'] ?? 200);
  const workerCore = Number(process.env['BENCH_SYNC_WORKER_CORE'] ?? 0);
  const server = process.env['DATABASE_URL'];
  const redisUrl = process.env['BENCH_REDIS_URL'] ?? process.env['REDIS_URL'];
  type Busy = { changes: number; outbox: Record<string, number> };
  const pg = (await import('pg')).default;
  const onServer = async (sql: string): Promise<void> => {
    const admin = new pg.Client({ connectionString: server });
    await admin.connect();
    await admin.query(sql);
    await admin.end();
  };
  let dbUrl: string | undefined;
  const dbName = `bench_sync_${process.pid}`;
  if (server) {
    await onServer(`CREATE DATABASE ${dbName}`);
    const u = new URL(server);
    u.pathname = `/${dbName}`;
    dbUrl = u.toString();
  }
  const childEnv: NodeJS.ProcessEnv = { ...process.env, BENCH_REDIS_URL: redisUrl };
  delete childEnv['DATABASE_URL'];
  if (dbUrl) childEnv['DATABASE_URL'] = dbUrl;
  const systems = new Child(1, 'bench/sandbox-server.ts', ['1000'], [], childEnv);
  const { env } = await systems.next<{ env: Record<string, string> }>();
  const gateway = new Child(0, 'bench/sync-server.ts', [JSON.stringify(env)], [], childEnv);
  let worker: ChildProcessWithoutNullStreams | null = null;
  try {
    const ready = await gateway.next<{ url: string; pairs: { stripe: string; salesforce: string }[] }>();
    await systems.ask('notify ' + ready.url);
    // Two sets of distinct customers: one for 0 ms and then the one-worker burst, the other for
    // 50 ms and then the two-worker burst, so both bursts meet customers in the same state (a
    // customer's first change may also reconcile its other fields). A new phone each time.
    let phone = 2000;
    const newPhones = (cs: { stripe: string; salesforce: string }[]): PersonChange[] => cs.map((c) => ({ stripe: c.stripe, salesforce: c.salesforce, phone: `+1415555${String(phone++ % 10_000).padStart(4, '0')}` }));
    const size = Math.min(Math.max(n, burstSize), Math.floor(ready.pairs.length / 2));
    const sets = [ready.pairs.slice(0, size), ready.pairs.slice(size, 2 * size)];
    // The floor's Salesforce writes touch accounts too (their modification time): others', when the world has them.
    const floorN = Number(process.env['BENCH_SYNC_FLOOR'] ?? 50);
    const spare = ready.pairs.slice(2 * size, 2 * size + floorN);
    const quiet = async (timeoutMs = 60_000): Promise<boolean> => {
      const until = Date.now() + timeoutMs;
      for (let calm = 0; calm < 3; ) {
        if (Date.now() > until) return false;
        await new Promise((r) => setTimeout(r, 20));
        const b = await gateway.ask<Busy>('busy');
        const sending = await systems.ask<{ pending: number }>('notifying');
        calm = b.changes === 0 && !b.outbox['QUEUED'] && !b.outbox['WRITING'] && sending.pending === 0 ? calm + 1 : 0;
      }
      return true;
    };
    const failedEntries = async (): Promise<number> => (await gateway.ask<Busy>('busy')).outbox['FAILED'] ?? 0;
    // Changes made from a quiet pipeline until it is quiet again, and what became of them.
    const measure = async (changes: PersonChange[], oneAtATime: boolean): Promise<{ p: Propagation; ms: number[]; note: string }> => {
      await quiet();
      const failedBefore = await failedEntries();
      const since = await systems.ask<unknown>('mark');
      const sinceMs = Date.now();
      let refused = 0;
      let stuck = 0;
      for (const batch of oneAtATime ? changes.map((c) => [c]) : [changes]) {
        refused += (await systems.ask<{ errors: number }>(`change ${JSON.stringify(batch)}`)).errors;
        if (!(await quiet(oneAtATime ? 60_000 : 300_000))) stuck++;
      }
      const p = await systems.ask<Propagation>(`propagation ${JSON.stringify({ since, changes })}`);
      const failed = (await failedEntries()) - failedBefore;
      // Where the time goes: notification → the account's outbox entry made → its write received.
      const decided = await gateway.ask<Record<string, number>>(`decided ${JSON.stringify({ since: sinceMs, records: changes.map((c) => c.salesforce) })}`);
      const toDecide: number[] = [];
      const toWrite: number[] = [];
      changes.forEach((c, i) => {
        const at = decided[c.salesforce];
        if (at === undefined || p.notifiedAt[i] === null || p.accountWrittenAt[i] === null) return;
        toDecide.push(at - p.notifiedAt[i]!);
        toWrite.push(p.accountWrittenAt[i]! - at);
      });
      const meridianWrites = p.writes.salesforce + p.writes.stripe + p.writes.zendesk;
      const note = [
        `${p.missed} missed`,
        `${p.targeted} writes to their Salesforce records (${p.repeated} repeated), ${p.writtenBack} back to the Stripe customers changed, ${meridianWrites - p.targeted - p.writtenBack} elsewhere`,
        `${p.failedWrites} failed writes, ${failed} outbox entries FAILED, ${p.wrongValues} accounts without the new phone`,
        `${p.refusedNotifications} notifications refused, ${refused} changes refused${stuck ? `, NOT QUIET ${stuck} times` : ''}`,
        `notification → outbox entry p50 ${percentile(toDecide, 50).toFixed(0)} ms, → written p50 ${percentile(toWrite, 50).toFixed(0)} ms`,
      ].join('; ');
      return { p, ms: p.ms.map((x) => x ?? Infinity), note };
    };
    const store = dbUrl ? 'Postgres server' : 'embedded PGlite';
    await quiet();

    // (a) Acknowledgements.
    const acks = await systems.ask<{ n: number; errors: number; p50: number; p99: number }>(`acks ${ready.url} ${process.env['BENCH_SYNC_ACKS'] ?? 500}`);
    rows.push({ suite: 'sync', metric: 'webhook acknowledgement (signed Stripe customer.updated, one at a time): p50', value: acks.p50, unit: 'ms', note: `${acks.n} events, ${acks.errors} not answered 200; ${store}, the worker working them meanwhile` });
    rows.push({ suite: 'sync', metric: '  p99', value: acks.p99, unit: 'ms' });
    await quiet(120_000);

    // (b) Propagation, one change at a time, at 0 and 50 ms.
    for (const [set, latency] of [0, 50].entries()) {
      await systems.ask(`latency ${latency}`);
      const changes = newPhones(sets[set]!.slice(0, n));
      const floor = await systems.ask<{ n: number; p50: number }>(`floor ${JSON.stringify(newPhones(spare.length > 0 ? spare : sets[set]!.slice(0, floorN)))}`);
      const { ms, note } = await measure(changes, true);
      const p50 = percentile(ms, 50);
      rows.push({ suite: 'sync', metric: `propagation, ${latency} ms at every system (notification → every target written): p50`, value: p50, unit: 'ms', goal: latency === 0 ? '< 100' : '', note: `${changes.length} Stripe phone changes to distinct customers (of ${ready.pairs.length} linked to one Stripe customer and one Salesforce account), one at a time; ${note}` });
      rows.push({ suite: 'sync', metric: '  p95', value: percentile(ms, 95), unit: 'ms' });
      rows.push({ suite: 'sync', metric: '  p99', value: percentile(ms, 99), unit: 'ms' });
      rows.push({ suite: 'sync', metric: '  floor: one read + one write round trip, p50', value: floor.p50, unit: 'ms', note: `Stripe customers.retrieve + Salesforce Account update through the SDKs, ${floor.n} times, same run` });
      rows.push({ suite: 'sync', metric: '  p50 / floor', value: p50 / floor.p50, unit: 'ratio' });
    }

    // (c) Changes per second: a burst to distinct customers, with one worker, then two.
    await systems.ask('latency 0');
    const burst = async (set: number, who: string): Promise<number> => {
      const { p, ms, note } = await measure(newPhones(sets[set]!.slice(0, burstSize)), false);
      const seconds = (p.lastWriteAt - p.firstNotificationAt) / 1000;
      const rate = (ms.length - p.missed) / seconds;
      rows.push({ suite: 'sync', metric: `changes per second, ${who}`, value: rate, unit: 'chg/s', note: `burst of ${ms.length} Stripe phone changes at once, 0 ms; first notification → last target written ${seconds.toFixed(1)} s; propagation p50 ${percentile(ms, 50).toFixed(0)} ms, p99 ${percentile(ms, 99).toFixed(0)} ms; ${note}` });
      return rate;
    };
    const one = await burst(0, '1 worker (in-process)');
    if (!dbUrl || !redisUrl) {
      rows.push({ suite: 'sync', metric: 'changes per second, 2 workers', value: NaN, unit: 'chg/s', note: 'skipped: needs DATABASE_URL and REDIS_URL (the workers share them)' });
    } else {
      // `npx meridian worker` as an operator runs it beside the gateway, configured by the environment.
      const [cmd, ...rest] = pinned(workerCore, 'bin/meridian.js', ['worker']);
      const started = spawn(cmd!, rest, { env: { PATH: process.env['PATH'], ...env, DATABASE_URL: dbUrl, REDIS_URL: redisUrl, MERIDIAN_POLL_SECONDS: '0', MERIDIAN_LOG_LEVEL: 'error' } });
      worker = started;
      started.stderr.on('data', (d: Buffer) => process.stderr.write(d));
      await new Promise<void>((resolve, reject) => {
        started.stdout.on('data', (d: Buffer) => d.toString().includes('running sync.change jobs') && resolve());
        started.once('exit', (code) => reject(new Error(`meridian worker exited ${String(code)}`)));
      });
      const two = await burst(1, `2 workers (in-process + \`meridian worker\` on core ${workerCore})`);
      rows.push({ suite: 'sync', metric: '  2 workers / 1 worker', value: two / one, unit: 'ratio' });
    }
  } finally {
    if (worker && worker.exitCode === null) {
      const exited = new Promise((r) => worker!.once('exit', r));
      worker.kill('SIGTERM');
      await exited;
    }
    await gateway.stop();
    await systems.stop();
    if (server) await onServer(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  }
}

// ---------------------------------------------------------------- backfill
// The first backfill of a company from the standalone sandbox, configured by environment as a
// deployment would be (bench/backfill.ts). Needs a Postgres server: DATABASE_URL.
if (suites.has('backfill')) {
  const server = process.env['DATABASE_URL'];
  if (!server) {
    console.error('backfill suite skipped: it needs DATABASE_URL (a Postgres server where it may create and drop a database of its own)');
  } else {
    const { benchBackfill } = await import('./backfill.ts');
    // The systems on core 1, the backfill on core 0, as two machines would be.
    const pin = taskset ? { sandbox: ['taskset', '-c', '1'], backfill: ['taskset', '-c', '0'] } : { sandbox: [], backfill: [] };
    for (const n of (process.env['BENCH_BACKFILL_CUSTOMERS'] ?? '100000').split(',').map(Number)) {
      const r = await benchBackfill(n, server, pin);
      const label = n.toLocaleString('en-US');
      const total = r.phases.scan + r.phases.match + r.phases.write;
      const share = (x: number): string => `${Math.round((x / total) * 100)} %`;
      rows.push({ suite: 'backfill', metric: `first backfill, ${label}-customer world (${r.records.toLocaleString('en-US')} records), standalone sandbox, configured by env`, value: r.wallS, unit: 's', goal: n === 100_000 ? '< 180' : '', note: `exit ${r.exitCode}` });
      rows.push({ suite: 'backfill', metric: '  records per second', value: r.recordsPerS, unit: 'rec/s' });
      rows.push({ suite: 'backfill', metric: '  peak RSS of the backfill process (sampled every 250 ms)', value: r.peakRssMiB, unit: 'MiB', note: `at 10/25/50/75/90 % of the run: ${r.rssCourseMiB.map((m) => m.toFixed(0)).join(' / ')} MiB` });
      rows.push({ suite: 'backfill', metric: '  time per phase: scan / match / write', value: total, unit: 's', note: `scan ${r.phases.scan} s (${share(r.phases.scan)}) · match ${r.phases.match} s (${share(r.phases.match)}) · write ${r.phases.write} s (${share(r.phases.write)}: links ${r.phases.links} s, index ${r.phases.index} s)` });
      rows.push({ suite: 'backfill', metric: '  sandbox: one-customer Stripe list while serving it, max', value: r.probe.max, unit: 'ms', note: `p50 ${r.probe.p50.toFixed(1)} ms over ${r.probe.n} probes` });
    }
  }
}

// ---------------------------------------------------------------- report
const width = Math.max(...rows.map((r) => r.metric.length));
console.log(`${'metric'.padEnd(width)}  ${'value'.padStart(10)}  unit    goal`);
for (const r of rows) {
  const digits = r.unit === 'ratio' || r.unit === 'F1' || r.unit === 'recall' ? 3 : r.unit === 'MiB' || r.unit === 's' || r.unit === 'ms' ? 1 : 0;
  console.log(`${r.metric.padEnd(width)}  ${r.value.toFixed(digits).padStart(10)}  ${r.unit.padEnd(6)}  ${(r.goal ?? '').padEnd(6)}${r.note ? `  (${r.note})` : ''}`);
}
await mkdir('bench/results', { recursive: true });
const file = `bench/results/bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
await writeFile(file, JSON.stringify({ at: new Date().toISOString(), node: process.version, pinned: taskset, rows }, null, 2));
console.log(`\nwrote ${file}`);

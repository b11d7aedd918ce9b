// The gateway under benchmark, in its own process, configured like a real deployment with the
// environment the sandbox process printed (argv[2]); store in DATABASE_URL or embedded.
// Commands on stdin: `clear` (empty the golden-record cache), `memo off`/`memo on` (builds without
// and with the link memo, MERIDIAN_LINK_MEMO), `floor` (the sources alone, see
// below), `memory` (RSS and heap after a full GC when the process runs with --expose-gc), `quit`.
// A replica (stampede suite): BENCH_STORE_SCHEMA names the primary's schema, BENCH_BACKFILL=0.
import { createInterface } from 'node:readline';
import pg from 'pg';
import { readGatewayConfig } from '../src/config/gateway.ts';
import { startApp } from '../src/app.ts';
import { createLogger } from '../src/observability/logger.ts';
import { ACCOUNT_TYPE } from '../src/sources/types.ts';
import { percentile } from './percentile.ts';

const systemsEnv = JSON.parse(process.argv[2] ?? '{}') as Record<string, string>;
// One load generator on one address: the per-caller rate limit would measure itself, not the
// gateway (off unless MERIDIAN_RATE_LIMIT says otherwise); the operation limits stay on.
const config = readGatewayConfig({
  ...systemsEnv,
  PORT: '0',
  MERIDIAN_SOURCE_TIMEOUT_MS: '5000',
  DATABASE_URL: process.env['DATABASE_URL'],
  REDIS_URL: process.env['BENCH_REDIS_URL'],
  MERIDIAN_RESPONSE_CACHE: process.env['MERIDIAN_RESPONSE_CACHE'],
  MERIDIAN_EXECUTOR: process.env['MERIDIAN_EXECUTOR'],
  MERIDIAN_LINK_MEMO: process.env['MERIDIAN_LINK_MEMO'],
  MERIDIAN_RATE_LIMIT: process.env['MERIDIAN_RATE_LIMIT'] ?? 'off',
  MERIDIAN_API_KEYS: process.env['BENCH_API_KEY'] ? `${process.env['BENCH_API_KEY']}:${process.env['BENCH_ROLE'] ?? 'admin'}` : undefined,
});
const storeSchema = process.env['BENCH_STORE_SCHEMA'] ?? `bench_${process.pid}`;
const owner = process.env['BENCH_STORE_SCHEMA'] === undefined;
const app = await startApp({ config, logger: createLogger({ quiet: true }), inMemory: true, backfill: process.env['BENCH_BACKFILL'] !== '0', storeSchema });

const linkMemo = app.services.linkMemo;
// Customers to query, with the number of systems each is linked to (the minimum upstream calls).
const page = await app.services.identity.list({ first: 200 });
const ids = page.edges.map((e) => e.node.id);
const links = await app.services.identity.linksFor(ids);
const systems = links.map((ls) => new Set(ls.filter((l) => l.recordType === ACCOUNT_TYPE[l.system]).map((l) => l.system)).size);
// Account records by system and id, for customerBySource.
const refs = links.flatMap((ls) => ls.filter((l) => l.recordType === ACCOUNT_TYPE[l.system]).map((l) => ({ system: l.system, externalId: l.externalId })));

process.stdout.write(JSON.stringify({ ready: true, url: `${app.url}/graphql`, ids, systems, refs, storeSchema }) + '\n');
// Stopped (SIGTERM, SIGINT) as by `quit`: the loop ends and what this process made is dropped.
const commands = createInterface({ input: process.stdin });
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => commands.close());
for await (const line of commands) {
  const cmd = line.trim();
  if (cmd === 'clear') {
    await app.services.cache.clear();
    process.stdout.write(JSON.stringify({ ok: true }) + '\n');
  } else if (cmd === 'memo off' || cmd === 'memo on') {
    if (cmd === 'memo off') delete app.services.linkMemo;
    else if (linkMemo) app.services.linkMemo = linkMemo;
    process.stdout.write(JSON.stringify({ on: app.services.linkMemo !== undefined, ...(linkMemo?.stats() ?? { size: 0, max: 0 }) }) + '\n');
  } else if (cmd === 'floor') {
    // What the sources alone take for the customers the latency test asks (the first 100): each
    // one's account records read straight through the connectors (the real SDKs), all systems in
    // parallel, one customer at a time. No identity lookup, cache, merge or GraphQL.
    const lat: number[] = [];
    for (const ls of links.slice(0, 100)) {
      const accounts = ls.filter((l) => l.recordType === ACCOUNT_TYPE[l.system]);
      const t0 = performance.now();
      await Promise.all(accounts.flatMap((l) => app.connectors.filter((c) => c.system === l.system).map((c) => c.loadAccounts([l.externalId]))));
      lat.push(performance.now() - t0);
    }
    process.stdout.write(JSON.stringify({ n: lat.length, p50: percentile(lat, 50), p95: percentile(lat, 95) }) + '\n');
  } else if (cmd === 'memory') {
    // Settled, as an idle process would be: full GCs with idle time between them, so V8 can
    // give back the pages it freed (its memory reducer runs when the process is idle).
    const gc = (globalThis as { gc?: () => void }).gc;
    for (let i = 0; i < 3 && gc; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 1_000));
    }
    const m = process.memoryUsage();
    const mib = (n: number): number => n / 2 ** 20;
    process.stdout.write(JSON.stringify({ rssMiB: mib(m.rss), heapUsedMiB: mib(m.heapUsed), heapTotalMiB: mib(m.heapTotal), externalMiB: mib(m.external), arrayBuffersMiB: mib(m.arrayBuffers) }) + '\n');
  } else if (cmd === 'quit') break;
}
// Closed first (its sync loops stop), then its schemas dropped: Meridian's and the job queue's.
await app.close();
if (process.env['DATABASE_URL'] && owner) {
  const db = new pg.Client({ connectionString: process.env['DATABASE_URL'] });
  await db.connect();
  await db.query(`DROP SCHEMA IF EXISTS ${storeSchema} CASCADE; DROP SCHEMA IF EXISTS ${storeSchema}_queue CASCADE`);
  await db.end();
}
process.exit(0);

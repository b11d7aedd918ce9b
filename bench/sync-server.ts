// The gateway of the `sync` suite (bench/run.ts), in its own process: configured like a deployment
// by the environment the systems' process printed (argv[2]), backfilled, with its in-process sync
// worker and webhooks only (MERIDIAN_POLL_SECONDS=0). DATABASE_URL: Meridian's default schema
// there (bench/run.ts gives it a database of its own, so a `meridian worker` beside it works the
// same queue and outbox); embedded PGlite in memory otherwise. BENCH_REDIS_URL: cache and pub/sub.
// Prints one JSON line: the URL and the customers linked to exactly one Stripe customer and one
// Salesforce account ({ stripe, salesforce } ids). Commands on stdin: `busy` (change jobs waiting
// or running, and the outbox by state), `decided {"since": <epoch ms>, "records": [<Salesforce
// id>…]}` (when the first outbox entry for each record was made since then, epoch ms), `quit`.
import { createInterface } from 'node:readline';
import { readGatewayConfig } from '../src/config/gateway.ts';
import { startApp } from '../src/app.ts';
import { createLogger } from '../src/observability/logger.ts';

const systemsEnv = JSON.parse(process.argv[2] ?? '{}') as Record<string, string>;
const config = readGatewayConfig({
  ...systemsEnv,
  PORT: '0',
  DATABASE_URL: process.env['DATABASE_URL'],
  REDIS_URL: process.env['BENCH_REDIS_URL'],
  MERIDIAN_POLL_SECONDS: '0',
  MERIDIAN_RATE_LIMIT: 'off',
  MERIDIAN_API_KEYS: `${process.env['BENCH_API_KEY'] ?? 'bench-sync-key-0123456789'}:admin`,
});
// Errors only, on stderr (bench/run.ts passes them through): a failed job or write shows.
const app = await startApp({ config, logger: createLogger({ level: 'error', format: 'json' }), inMemory: true, backfill: true });

const links = app.store.table('identity_links');
const pairs = await app.store.query<{ stripe: string; salesforce: string }>(
  `SELECT min(external_id) FILTER (WHERE system = 'stripe') AS stripe, min(external_id) FILTER (WHERE system = 'salesforce') AS salesforce
     FROM ${links} WHERE record_type IN ('Account', 'customer') GROUP BY golden_id
    HAVING count(*) FILTER (WHERE system = 'stripe') = 1 AND count(*) FILTER (WHERE system = 'salesforce') = 1 ORDER BY golden_id`,
);
process.stdout.write(JSON.stringify({ url: app.url, pairs: pairs.rows }) + '\n');

for await (const line of createInterface({ input: process.stdin })) {
  const cmd = line.trim();
  if (cmd === 'busy') {
    app.sync.queue.wake();
    const changes = await app.sync.queue.pending();
    const outbox = await app.store.query<{ state: string; n: number }>(`SELECT state, count(*)::int AS n FROM ${app.store.table('sync_outbox')} GROUP BY state`);
    process.stdout.write(JSON.stringify({ changes, outbox: Object.fromEntries(outbox.rows.map((r) => [r.state, r.n])) }) + '\n');
  } else if (cmd.startsWith('decided ')) {
    const { since, records } = JSON.parse(cmd.slice('decided '.length)) as { since: number; records: string[] };
    const r = await app.store.query<{ record_id: string; at: number }>(
      `SELECT record_id, extract(epoch FROM min(created_at)) * 1000 AS at FROM ${app.store.table('sync_outbox')}
        WHERE system = 'salesforce' AND record_id = ANY($1) AND created_at >= to_timestamp($2 / 1000.0) GROUP BY record_id`,
      [records, since],
    );
    process.stdout.write(JSON.stringify(Object.fromEntries(r.rows.map((x) => [x.record_id, Number(x.at)]))) + '\n');
  } else if (cmd === 'quit') break;
}
await app.close();
process.exit(0);

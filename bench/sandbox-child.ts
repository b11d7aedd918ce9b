// One measurement in a fresh process, so peak memory belongs to it alone.
// Usage: sandbox-child.ts world <customers> | start <customers> [databaseUrl]
import { generateWorld } from '../src/sandbox/world/generate.ts';
import { startSandbox } from '../src/sandbox/index.ts';

const [what, n, databaseUrl] = process.argv.slice(2);
const customers = Number(n);
const rssBefore = process.memoryUsage().rss;
const t0 = performance.now();
let extra: Record<string, number>;
if (what === 'world') {
  const world = generateWorld({ customers, seed: 42 });
  extra = {
    salesforceAccounts: world.salesforce.accounts.length,
    stripeCustomers: world.stripe.customers.length,
    zendeskUsers: world.zendesk.users.length,
    erpCustomers: world.erp.customers.length,
  };
} else if (what === 'start') {
  const sandbox = await startSandbox({ customers, seed: 42, ...(databaseUrl ? { databaseUrl, erpSchema: `erp_bench_${process.pid}` } : {}) });
  extra = { startMs: performance.now() - t0 };
  if (databaseUrl) await sandbox.erp.pool.query(`DROP SCHEMA ${sandbox.erp.schema} CASCADE`);
  await sandbox.close();
} else {
  throw new Error(`unknown measurement ${what}`);
}
const ms = performance.now() - t0;
process.stdout.write(
  JSON.stringify({ what, customers, ms: extra['startMs'] ?? ms, peakRssMiB: process.resourceUsage().maxRSS / 1024, baseRssMiB: rssBefore / 2 ** 20, ...extra }) + '\n',
);

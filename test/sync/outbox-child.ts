// An outbox worker in a process of its own, for the crash test (outbox-concurrency.test.ts): the
// real loop, store, Stripe connector and writer over the parent's database schema and emulator.
// Started with `node` (type stripping); killed with SIGKILL by the parent.
import { readSystemSettings } from '../../src/config/systems.ts';
import { createIdentityStore } from '../../src/identity/links.ts';
import { loadFieldSpec } from '../../src/mapping/index.ts';
import { createStore } from '../../src/store/index.ts';
import { createStripeClient } from '../../src/sources/stripe/client.ts';
import { createStripeConnector } from '../../src/sources/stripe/index.ts';
import { createStripeWriter } from '../../src/sources/stripe/writer.ts';
import { createDecider } from '../../src/sync/decide.ts';
import { createOutboxLoop } from '../../src/sync/outbox.ts';

const env = process.env;
const store = createStore(env['DATABASE_URL']!, { schema: env['OUTBOX_TEST_SCHEMA']!, max: 4 });
const settings = readSystemSettings({ STRIPE_API_KEY: env['STRIPE_API_KEY'], STRIPE_API_BASE: env['STRIPE_API_BASE'] }).stripe!;
const stripe = createStripeClient(settings, { maxNetworkRetries: 0 });
const sources = { stripe: createStripeConnector(stripe) };
const decider = createDecider({ store, identity: createIdentityStore(store), spec: loadFieldSpec(), sources });
const loop = createOutboxLoop({
  store, sources, writers: { stripe: createStripeWriter(stripe) }, decider,
  workerId: 'child', leaseMs: Number(env['OUTBOX_TEST_LEASE_MS'] ?? '1500'), batchSize: 20, concurrency: 4, pollMs: 20,
});
await loop.start();
process.stdout.write('started\n');

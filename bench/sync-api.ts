// The sync API's own costs (docs/sync.md, "Figures"), measured on two gateway replicas of one
// Postgres and Redis: how long a `sync.status` message published through replica B takes to
// reach a graphql-ws subscriber of replica A, and what updateCustomer costs over HTTP (validation,
// the intent and its idempotency) with write routing answering at once, so the figure is the
// API's, not a system's. Not part of `npm run bench` (the pipeline's figures are).
//   DATABASE_URL=… REDIS_URL=… node bench/sync-api.ts
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { bearer, startReplica, startTestApp, TEST_KEYS } from '../test/support/app.ts';
import { SYNC_STATUS_CHANNEL, type SyncSeams } from '../src/sync/api.ts';
import { percentile } from './percentile.ts';

const EVENTS = Number(process.env['EVENTS'] ?? 500);
const UPDATES = Number(process.env['UPDATES'] ?? 300);

if (!process.env['DATABASE_URL'] || !process.env['REDIS_URL']) {
  console.error('bench/sync-api.ts needs DATABASE_URL and REDIS_URL (two replicas share them)');
  process.exit(2);
}

const line = (name: string, xs: number[]): void => console.log(`${name.padEnd(44)} n=${xs.length}  p50 ${percentile(xs, 50).toFixed(2)} ms  p95 ${percentile(xs, 95).toFixed(2)} ms  p99 ${percentile(xs, 99).toFixed(2)} ms`);

const seams: SyncSeams = {
  routeUpdate: (_g, values, intentKey) => Promise.resolve({ jobs: [{ system: 'stripe', recordId: 'cus_bench', outboxId: `${intentKey}:0`, fields: Object.keys(values) }] }),
};
const a = await startTestApp({ customers: 40, seed: 3, app: { sync: seams } });
const b = await startReplica(a, {}, { sync: seams });
try {
  const r = await a.gql<{ customers: { edges: { node: { id: string } }[] } }>('{ customers(first: 5) { edges { node { id } } } }');
  const id = r.data!.customers.edges[0]!.node.id;

  // Delivery across replicas: publish through B, receive on A.
  const client = createClient({ url: `${a.url.replace(/^http/, 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${TEST_KEYS.service}` } });
  const results = client.iterate<{ syncStatus: { outboxId: string } }>({ query: 'subscription($id: ID!) { syncStatus(customerId: $id) { outboxId } }', variables: { id } });
  const sentAt = new Map<string, number>();
  const publish = (outboxId: string): Promise<void> => {
    sentAt.set(outboxId, performance.now());
    return b.pubsub.publish(SYNC_STATUS_CHANNEL, { customerId: id, system: 'stripe', recordId: 'cus_bench', outboxId, state: 'QUEUED', fields: ['phone'], error: null, at: new Date().toISOString() });
  };
  // Until the subscription listens (the client is not told when), probes.
  const first = results.next();
  for (let i = 0; ; i++) {
    await publish(`probe-${i}`);
    if (await Promise.race([first.then(() => true), new Promise<false>((res) => setTimeout(() => res(false), 50))])) break;
  }
  const latencies: number[] = [];
  for (let i = 0; i < EVENTS; i++) {
    await publish(`ob-${i}`);
    // Late probes are read past.
    for (;;) {
      const r = await results.next();
      if (r.done === true) throw new Error('subscription ended');
      const outboxId = r.value.data?.syncStatus.outboxId;
      if (outboxId !== `ob-${i}`) continue;
      latencies.push(performance.now() - sentAt.get(outboxId)!);
      break;
    }
  }
  await results.return?.();
  await client.dispose();
  line('sync.status: publish on B → client of A', latencies);

  // updateCustomer over HTTP: a new key each time, then the same keys again (replays).
  const UPDATE = 'mutation($id: ID!, $k: String!, $p: String!) { updateCustomer(id: $id, input: { phone: $p }, idempotencyKey: $k) { intentId replayed jobs { outboxId } } }';
  const post = async (k: string, p: string): Promise<number> => {
    const t0 = performance.now();
    const res = await fetch(`${a.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer('service') }, body: JSON.stringify({ query: UPDATE, variables: { id, k, p } }) });
    const body = (await res.json()) as { errors?: unknown[] };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return performance.now() - t0;
  };
  const fresh: number[] = [];
  const replays: number[] = [];
  for (let i = 0; i < UPDATES; i++) fresh.push(await post(`bench-${i}`, `+1415555${String(1000 + (i % 9000)).padStart(4, '0')}`));
  for (let i = 0; i < UPDATES; i++) replays.push(await post(`bench-${i}`, `+1415555${String(1000 + (i % 9000)).padStart(4, '0')}`));
  line('updateCustomer, new key (HTTP, routing instant)', fresh);
  line('updateCustomer, same key again (replay)', replays);
} finally {
  await b.close();
  await a.close();
}

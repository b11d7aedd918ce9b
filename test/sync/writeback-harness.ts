// A gateway on the sandbox (real Postgres when DATABASE_URL is set) plus the write-back parts
// wired as a worker would wire them: the decider and outbox loops over the gateway's sources,
// and writers built from the sandbox's settings. Writes are counted at the emulators.
import { createMemoryPubSub, type PubSub } from '../../src/pubsub/index.ts';
import type { SystemId } from '../../src/sources/types.ts';
import type { Decider } from '../../src/sync/decide.ts';
import type { EchoLog } from '../../src/sync/echo.ts';
import { createOutboxLoop, type OutboxDeps, type OutboxLoop } from '../../src/sync/outbox.ts';
import { createWriteback } from '../../src/sync/writeback.ts';
import type { RecordWriter } from '../../src/sync/writer.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import type { FieldSpec } from '../../src/mapping/index.ts';
import type { Sandbox } from '../../src/sandbox/index.ts';

export interface Writeback {
  app: TestApp;
  sandbox: Sandbox;
  pubsub: PubSub;
  echo: EchoLog;
  decider: Decider;
  writers: Partial<Record<SystemId, RecordWriter>>;
  loop(options?: Partial<OutboxDeps>): OutboxLoop;
  /** Golden ids with exactly one live account record in each of `systems` (and maybe others). */
  customersWith(systems: readonly SystemId[], without?: readonly SystemId[]): Promise<string[]>;
  /** The account record of a customer in one system. */
  recordOf(goldenId: string, system: SystemId): Promise<string>;
  /** Update calls each emulator answered since `mark()`. */
  mark(): void;
  writes(): { salesforce: number; stripe: number; zendesk: number };
  close(): Promise<void>;
}

export async function startWriteback(options: { customers?: number; spec?: FieldSpec } = {}): Promise<Writeback> {
  // This harness drives its own decider and outbox loop: the app's in-process worker stays off.
  const app = await startTestApp({ customers: options.customers ?? 60, env: { MERIDIAN_WORKER: 'off' } });
  const sandbox = app.sandbox!;
  const pubsub = createMemoryPubSub();
  const spec = options.spec ?? app.services.spec;
  // Wired as a worker wires it (src/sync/writeback.ts).
  const built = createWriteback({ store: app.store, identity: app.services.identity, spec, connectors: app.connectors, writers: app.writers, pubsub });
  const { echo, decider } = built;
  const sources = built.routeDeps.sources;
  const since = { salesforce: 0, stripe: 0, zendesk: 0 };
  const updates = () => ({
    salesforce: sandbox.salesforce.requests.list({ method: 'PATCH', sinceSeq: since.salesforce }).filter((r) => r.operation === 'sobject.update' && r.status < 300).length,
    stripe: sandbox.stripe.requests.list({ operation: 'customers.update', sinceSeq: since.stripe }).filter((r) => r.status < 300).length,
    zendesk: sandbox.zendesk.requests.list({ operation: 'organizations.update', sinceSeq: since.zendesk }).filter((r) => r.status < 300).length,
  });
  const links = app.store.table('identity_links');
  return {
    app,
    sandbox,
    pubsub,
    echo,
    decider,
    writers: built.writers,
    loop: (o = {}) => createOutboxLoop({ store: app.store, sources, writers: built.writers, decider, echo, pubsub, pollMs: 20, ...o }),
    customersWith: async (wanted, without = []) => {
      const r = await app.store.query<{ golden_id: string }>(
        `SELECT golden_id FROM ${links} WHERE record_type IN ('Account', 'customer', 'organization', 'erp_customer')
          GROUP BY golden_id HAVING ${[...wanted.map((s) => `count(*) FILTER (WHERE system = '${s}') = 1`), ...without.map((s) => `count(*) FILTER (WHERE system = '${s}') = 0`)].join(' AND ')} ORDER BY golden_id`,
      );
      return r.rows.map((x) => x.golden_id);
    },
    recordOf: async (goldenId, system) => {
      const r = await app.store.query<{ external_id: string }>(`SELECT external_id FROM ${links} WHERE golden_id = $1 AND system = $2 ORDER BY external_id LIMIT 1`, [goldenId, system]);
      return r.rows[0]!.external_id;
    },
    mark: () => {
      since.salesforce = sandbox.salesforce.requests.lastSeq;
      since.stripe = sandbox.stripe.requests.lastSeq;
      since.zendesk = sandbox.zendesk.requests.lastSeq;
    },
    writes: updates,
    close: async () => {
      built.close();
      await pubsub.close();
      await app.close();
    },
  };
}

// Write-backs put together for a process (the worker, or the gateway under `npm start`): the
// decider (the change handler's `onCustomerChanged`), the outbox loop (one of the worker's
// loops), the dependencies routeUpdate needs (updateCustomer), and the echo log (the change
// handler's `isEcho`). Reads for writes go straight to the connectors: fresh, and with the write
// path's own circuit breakers rather than the gateway's. docs/sync.md.
import type { IdentityStore } from '../identity/links.ts';
import type { FieldSpec } from '../mapping/index.ts';
import type { PubSub } from '../pubsub/index.ts';
import type { SourceConnector, SystemId } from '../sources/types.ts';
import type { Store } from '../store/index.ts';
import { createDecider, type Decider, type DecideDeps, type DecideOptions, type DecideResult } from './decide.ts';
import { createEchoLog, type EchoLog } from './echo.ts';
import { createOutboxLoop, type OutboxDeps, type OutboxLogger, type OutboxLoop } from './outbox.ts';
import { createStatusPublisher } from './status.ts';
import type { RecordWriter } from './writer.ts';

export interface WritebackDeps {
  store: Store;
  identity: Pick<IdentityStore, 'linksFor' | 'resolve'>;
  spec: FieldSpec;
  connectors: readonly SourceConnector[];
  /** Each writable system's writer, as its descriptor opened it (OpenedSources.writers). */
  writers: Partial<Record<SystemId, RecordWriter>>;
  pubsub?: PubSub | null;
  defaultRegion?: string;
  logger?: OutboxLogger;
  /** Outbox settings (lease, batch, retry…). */
  outbox?: Partial<Omit<OutboxDeps, 'store' | 'sources' | 'writers' | 'decider'>>;
}

export interface Writeback {
  decider: Decider;
  /** `onCustomerChanged` for the change handler (src/sync/change.ts). */
  decideWrites(goldenId: string, opts?: DecideOptions): Promise<DecideResult>;
  /** What `routeUpdate(deps, …)` takes. */
  routeDeps: DecideDeps;
  /** A worker loop: `{ name, start, stop }`. */
  loop: OutboxLoop;
  echo: EchoLog;
  writers: OutboxDeps['writers'];
  /** Kept for callers that close what they built; the writers close with their systems. */
  close(): void;
}

export function createWriteback(deps: WritebackDeps): Writeback {
  const sources = Object.fromEntries(deps.connectors.map((c) => [c.system, c])) as Partial<Record<SystemId, SourceConnector>>;
  const echo = createEchoLog(deps.store);
  const status = createStatusPublisher(deps.pubsub, deps.logger ? { onError: (e) => deps.logger!.error('sync status not published', { error: e instanceof Error ? e.message : String(e) }) } : {});
  const { writers } = deps;
  const routeDeps: DecideDeps = {
    store: deps.store, identity: deps.identity, spec: deps.spec, sources, writable: Object.keys(writers) as SystemId[], status, echo,
    // New rows wake this process's outbox loop (created below; called only once rows exist).
    onQueued: () => loop.wake(),
    ...(deps.defaultRegion === undefined ? {} : { defaultRegion: deps.defaultRegion }),
  };
  const decider = createDecider(routeDeps);
  const loop: OutboxLoop = createOutboxLoop({ ...deps.outbox, store: deps.store, sources, writers, decider, echo, status, ...(deps.logger ? { logger: deps.logger } : {}) });
  return { decider, decideWrites: (g, o) => decider.decide(g, o), routeDeps, loop, echo, writers, close: () => undefined };
}

// The GraphQL side of two-way sync (issue #10 part 4, docs/sync.md): updateCustomer,
// syncCustomer, syncOverview and the two subscriptions, built on three injected seams so the
// gateway does not depend on how the queue, the outbox or their tables are made:
//   routeUpdate   (writeback, src/sync/route.ts)  turns canonical values into outbox entries
//   enqueueChange (capture, src/sync/queue.ts)    queues a `sync.change` job
//   stats         (capture + writeback tables)    the pipeline's figures per system
// A seam that is not wired answers a clear error (or `pipelineKnown: false`), never a made-up
// result. Status events and changed customers arrive through the PubSub (Redis when
// REDIS_URL), so a subscriber on any gateway replica sees what any worker published.
import type { IdentityStore } from '../identity/links.ts';
import type { GuardedSource } from '../gateway/guarded-source.ts';
import { filterMessages, type JsonValue, type PubSub } from '../pubsub/index.ts';
import { ACCOUNT_TYPE, type SystemId } from '../sources/types.ts';
import type { Store } from '../store/index.ts';
import type { CircuitState } from '../resilience/index.ts';
import { createIntentStore, type IntentStore, type IntentStoreOptions, type RoutedIntent, type WriteJob } from './intents.ts';
import { validateCustomerUpdate, type CanonicalUpdate, type CustomerInput, type InvalidField } from './update-input.ts';

/** Pub/sub channels of the sync contract (published by capture and writeback, streamed here). */
// The channels and the status message are writeback's (src/sync/status.ts): one definition.
export { SYNC_STATUS_CHANNEL, CUSTOMER_CHANGED_CHANNEL, type SyncState } from './status.ts';
import { SYNC_STATUS_CHANNEL, CUSTOMER_CHANGED_CHANNEL, type SyncState, type SyncEvent } from './status.ts';
const STATES: ReadonlySet<string> = new Set<SyncState>(['QUEUED', 'WRITING', 'DONE', 'FAILED']);

/** A `sync.status` message: one outbox entry's state (writeback publishes one per transition). */
export type SyncStatusMessage = SyncEvent;

/** A `customer.changed` message: the customer's golden record changed. */
export interface CustomerChangedMessage {
  customerId: string;
  at: string;
}

/**
 * writeback's `routeUpdate(deps, goldenId, values, intentKey)` with its deps bound. Contract:
 * answers one job per (system, record) it wrote an outbox entry for, all in one transaction;
 * throws an error with `code: 'READ_ONLY_SYSTEM'` (ReadOnlySystemError) before writing anything
 * when some field has no writable target. The same `intentKey` again (a retry after a crash
 * between routing and recording) must answer the same jobs without writing again.
 */
export type RouteUpdate = (goldenId: string, values: CanonicalUpdate, intentKey: string) => Promise<{ jobs: WriteJob[] }>;

/** A `sync.change` job's data (the capture contract, src/sync/queue.ts). */
export type { ChangeJob } from './queue.ts';
import type { ChangeJob } from './queue.ts';

/** capture's queue: sends one `sync.change` job; answers its id, or null when the same change was already waiting. */
export type EnqueueChange = (change: ChangeJob) => Promise<string | null>;

/** The pipeline's figures for one system, read from the tables capture and writeback own. */
export interface PipelineStats {
  /** Changes from the system not processed yet (queued `sync.change` jobs / inbox rows not done). */
  queueDepth: number;
  /** When the oldest of those arrived; null when none is waiting. Lag is its age. */
  oldestPendingAt: Date | null;
  /** Outbox entries for the system not written yet (not DONE, not dead). */
  outboxDepth: number;
  /** The pipeline's most recent failure for the system (a read or a write), in public words. */
  lastError: { message: string; at: Date } | null;
  deadLetterCount: number;
}

export interface DeadLetter {
  id: string;
  customerId: string | null;
  recordId: string;
  fields: string[];
  reason: string;
  attempts: number;
  failedAt: Date;
}

/**
 * What syncOverview reads from the pipeline's tables; the lead wires one reading capture's inbox
 * and queue (0012_sync_capture) and writeback's outbox and dead letters (0013_sync_outbox).
 * Both are reads: syncOverview is a query and a query never writes.
 */
export interface SyncStats {
  /** Figures per system; a system without any is absent. */
  perSystem(): Promise<Partial<Record<SystemId, PipelineStats>>>;
  /** The most recent dead letters of one system, newest first. */
  deadLetters(system: SystemId, first: number): Promise<DeadLetter[]>;
}

/** The seams a gateway is started with (AppOptions.sync); each may be absent until wired. */
export interface SyncSeams {
  routeUpdate?: RouteUpdate;
  enqueueChange?: EnqueueChange;
  stats?: SyncStats;
}

export interface SyncApiDeps extends SyncSeams {
  store: Store;
  identity: IdentityStore;
  pubsub: PubSub;
  sources: Partial<Record<SystemId, GuardedSource>>;
  defaultRegion: string;
  now: () => Date;
  intents?: IntentStoreOptions;
}

/** Who asks: the principal's stable id (scopes idempotency keys) and its name (the audit's actor). */
export interface Actor {
  id: string;
  name: string;
}

/** Invalid fields of an update: nothing was recorded. */
export class UpdateInputError extends Error {
  readonly invalid: InvalidField[];
  constructor(invalid: InvalidField[]) {
    super(`Invalid input: ${invalid.map((f) => `${f.field}: ${f.reason}`).join('; ')}`);
    this.name = 'UpdateInputError';
    this.invalid = invalid;
  }
}

export class CustomerNotFoundError extends Error {
  readonly id: string;
  constructor(id: string) {
    super(`No customer with id ${JSON.stringify(id)}`);
    this.name = 'CustomerNotFoundError';
    this.id = id;
  }
}

/** No write routing on this gateway: every system is read-only to it. */
export class WritesNotWiredError extends Error {
  readonly code = 'READ_ONLY_SYSTEM';
  constructor() {
    super('this gateway routes no writes (write-back is not set up), so no system can take this change; nothing was written');
    this.name = 'WritesNotWiredError';
  }
}

/** A seam the operation needs is not wired into this gateway: a deployment fault, logged whole. */
export class SeamNotWiredError extends Error {
  constructor(seam: string) {
    super(`${seam} is not wired into this gateway (AppOptions.sync in src/app.ts)`);
    this.name = 'SeamNotWiredError';
  }
}

/** The most recent of some failures (null ones skipped); null when there is none. */
export function latestError(...errors: ({ message: string; at: Date } | null)[]): { message: string; at: Date } | null {
  return errors.reduce<{ message: string; at: Date } | null>((a, b) => (b && (!a || b.at > a.at) ? b : a), null);
}

export interface SystemOverview {
  system: SystemId;
  breaker: CircuitState;
  rateLimit: { limited: boolean; retryAt: Date | null; lastLimitedAt: Date | null };
  pipeline: PipelineStats | null;
  lastError: { message: string; at: Date } | null;
}

export interface Overview {
  at: Date;
  /** Configured systems only; the resolver lists the unconfigured ones of the contract too. */
  systems: SystemOverview[];
  pipelineKnown: boolean;
}

export interface SyncApi {
  updateCustomer(actor: Actor, id: string, input: CustomerInput, idempotencyKey: string): Promise<RoutedIntent>;
  syncCustomer(id: string): Promise<{ customerId: string; requestedAt: Date; changes: ({ system: SystemId; type: string; id: string; jobId: string | null })[] }>;
  overview(): Promise<Overview>;
  deadLetters(system: SystemId, first: number): Promise<DeadLetter[] | null>;
  /** Status events of one customer (a retired id follows its survivor); subscribed before it resolves. */
  /** Status events of one customer's writes (a retired id: its survivor's), or of every customer's when `customerId` is null. */
  statusEvents(customerId: string | null): Promise<AsyncIterableIterator<SyncStatusMessage>>;
  /** The ids of a customer's changes: each is the customer's (survivor's) id. */
  customerChanges(id: string): Promise<AsyncIterableIterator<string>>;
}

/** A filtered view of a subscription iterator (src/pubsub/iterator.ts), for the resolvers. */
export { filterMessages };

const isString = (x: unknown): x is string => typeof x === 'string' && x.length > 0;

/** A `sync.status` message, checked: messages are the publisher's, but a malformed one must not end a subscription. */
export function parseStatusMessage(m: JsonValue): SyncStatusMessage | null {
  if (m === null || typeof m !== 'object' || Array.isArray(m)) return null;
  const { customerId, system, recordId, outboxId, state, fields, error, at } = m;
  if (!isString(customerId) || !isString(system) || !isString(recordId) || !isString(outboxId) || !isString(at)) return null;
  if (typeof state !== 'string' || !STATES.has(state)) return null;
  if (!Array.isArray(fields) || !fields.every(isString)) return null;
  if (error !== null && error !== undefined && typeof error !== 'string') return null;
  return { customerId, system, recordId, outboxId, state: state as SyncState, fields: fields, error: error ?? null, at };
}

export function createSyncApi(deps: SyncApiDeps): SyncApi {
  const intents: IntentStore = createIntentStore(deps.store, deps.intents);

  const survivorOf = async (id: string): Promise<string> => {
    const survivor = id.length > 0 && id.length <= 200 ? await deps.identity.resolve(id) : null;
    if (survivor === null) throw new CustomerNotFoundError(id);
    return survivor;
  };

  /** Subscribes first (so nothing published after this call returns is missed), then checks the id; `id` null: every customer. */
  const subscribeFor = async <U>(channel: string, id: string | null, pick: (m: JsonValue, ids: ReadonlySet<string> | null) => U | null): Promise<AsyncIterableIterator<U>> => {
    const source = deps.pubsub.asyncIterator<JsonValue>([channel]);
    let ids: ReadonlySet<string> | null;
    try {
      await source.ready();
      ids = id === null ? null : new Set([id, await survivorOf(id)]);
    } catch (e) {
      await source.return?.(undefined);
      throw e;
    }
    return filterMessages(source, (m) => pick(m, ids));
  };

  return {
    async updateCustomer(actor, id, input, idempotencyKey) {
      const checked = validateCustomerUpdate(input, { defaultRegion: deps.defaultRegion });
      const keyProblem = idempotencyKey.length === 0 || idempotencyKey.length > 255 ? { field: 'idempotencyKey', reason: `1 to 255 characters (got ${idempotencyKey.length})` } : null;
      // Named by their path in the arguments: input.phone, input.address.country, idempotencyKey.
      const invalid = (checked.ok ? [] : checked.invalid).map((f) => ({ field: f.field === 'input' ? 'input' : `input.${f.field}`, reason: f.reason }));
      if (!checked.ok || keyProblem) throw new UpdateInputError([...invalid, ...(keyProblem ? [keyProblem] : [])]);
      const { values } = checked;
      const goldenId = await survivorOf(id);
      const route = deps.routeUpdate;
      if (!route) throw new WritesNotWiredError();
      const routed = await intents.run(
        { actorId: actor.id, actor: actor.name, key: idempotencyKey, requestedId: id, goldenId, values: values as Record<string, unknown> },
        async (intentKey) => (await route(goldenId, values, intentKey)).jobs,
      );
      // A replay names the customer as it is now (it may have been merged since).
      return routed.replayed ? { ...routed, goldenId: await survivorOf(routed.goldenId) } : routed;
    },

    async syncCustomer(id) {
      const goldenId = await survivorOf(id);
      const enqueue = deps.enqueueChange;
      if (!enqueue) throw new SeamNotWiredError('The change queue (enqueueChange)');
      const [links = []] = await deps.identity.linksFor([goldenId]);
      // The account-level records: the change handler reloads the rest of the customer from them.
      const records = links.filter((l) => l.recordType === ACCOUNT_TYPE[l.system]);
      const requestedAt = deps.now();
      const changes = [];
      for (const l of records) {
        const jobId = await enqueue({ system: l.system, type: 'account', id: l.externalId, reason: 'manual' });
        changes.push({ system: l.system, type: l.recordType, id: l.externalId, jobId });
      }
      return { customerId: goldenId, requestedAt, changes };
    },

    async overview() {
      const pipeline = deps.stats ? await deps.stats.perSystem() : null;
      const at = deps.now();
      const systems = Object.values(deps.sources).map((s): SystemOverview => {
        const h = s.health();
        const p = pipeline?.[s.system] ?? (pipeline ? { queueDepth: 0, oldestPendingAt: null, outboxDepth: 0, lastError: null, deadLetterCount: 0 } : null);
        const lastError = latestError(h.lastError, p?.lastError ?? null);
        const retryAt = h.rateLimit?.retryAt ?? null;
        return {
          system: s.system,
          breaker: s.breaker.state(),
          rateLimit: { limited: retryAt !== null && retryAt > at, retryAt, lastLimitedAt: h.rateLimit?.lastLimitedAt ?? null },
          pipeline: p,
          lastError,
        };
      });
      return { at, systems, pipelineKnown: pipeline !== null };
    },

    async deadLetters(system, first) {
      return deps.stats ? deps.stats.deadLetters(system, first) : null;
    },

    statusEvents: (customerId) =>
      subscribeFor(SYNC_STATUS_CHANNEL, customerId, (m, ids) => {
        const e = parseStatusMessage(m);
        return e && (ids === null || ids.has(e.customerId)) ? e : null;
      }),

    customerChanges: (id) =>
      subscribeFor(CUSTOMER_CHANGED_CHANNEL, id, (m, ids) => {
        const customerId = m !== null && typeof m === 'object' && !Array.isArray(m) ? m['customerId'] : null;
        return isString(customerId) && ids?.has(customerId) ? customerId : null;
      }),
  };
}

// The sync.change handler, run by the worker for each changed record (a webhook's, a poll's, a
// query's first sight of a record): read the record again from its system, match it with the live
// matcher (a new record joins its customer or becomes one; a changed one refreshes the blocking
// index), invalidate the cached golden records of every customer it touched, then tell the rest
// of Meridian: `onCustomerChanged(goldenId, { reason })` per customer (writeback's decideWrites;
// until it is wired the default does nothing, which is correct: no write is decided) and a
// `customer.changed` message on the pub/sub (subscriptions, other replicas).
// What the job's outcome means for the queue:
// - the system cannot answer (down, timing out, rate limiting): the handler throws and pg-boss
//   retries the job with backoff; after the last retry it is kept in sync.change.failed;
// - the system answers that the record is invalid (a shape Meridian cannot read): retrying would
//   never help, so it is recorded in sync_invalid_records with the reason and the job completes;
// - the record is gone from its system: its link stays until a person or a backfill says
//   otherwise (deletes are never inferred); its customer's cached records are refreshed.
import type { GatewayServices } from '../gateway/loaders.ts';
import { ACCOUNT_TYPE, type SourceRecord, type SystemId } from '../sources/types.ts';
import { InvalidSourceRecordError } from '../sources/errors.ts';
import type { Logger } from '../server/http.ts';
import type { PubSub } from '../pubsub/types.ts';
import type { Store } from '../store/index.ts';
import type { ChangeJob, ChangeReason } from './queue.ts';
import type { WebhookInbox } from './inbox.ts';

/** Pub/sub channel: a customer's golden record may have changed (CONTRACT: `{ customerId, at }`). */
export { CUSTOMER_CHANGED_CHANNEL as CUSTOMER_CHANGED } from './status.ts';
import { CUSTOMER_CHANGED_CHANNEL as CUSTOMER_CHANGED } from './status.ts';

/** `changed`: the record the change was about and what its notification says changed, when it says (src/sync/observed.ts). */
export type OnCustomerChanged = (goldenId: string, opts: { reason: ChangeReason; changed?: { system: SystemId; id: string; attributes: readonly string[] } | null }) => Promise<unknown>;

export type ChangeOutcome =
  | { status: 'matched'; goldenIds: string[]; linked: { customer: string; outcome: string; rule: string } | null }
  | { status: 'refreshed'; goldenIds: string[] }
  | { status: 'gone'; goldenIds: string[] }
  | { status: 'invalid'; reason: string; goldenIds: string[] };

/** The system could not be read: the job is retried. */
export class SourceReadError extends Error {
  constructor(system: SystemId, id: string, cause: Error) {
    super(`could not read ${system} record ${id}: ${cause.message}`, { cause });
    this.name = 'SourceReadError';
  }
}

/** Whether a read failed for good: the record is invalid, not the system unreachable. */
const permanent = (e: Error): boolean => e instanceof InvalidSourceRecordError || (e as { originalError?: unknown }).originalError instanceof InvalidSourceRecordError;

/** Where records a change found invalid are kept, with why (sync_invalid_records). */
export interface InvalidRecordLog {
  record(change: ChangeJob, accountId: string, reason: string): Promise<void>;
}

export function createPostgresInvalidRecordLog(store: Store, now: () => Date = () => new Date()): InvalidRecordLog {
  const t = store.table('sync_invalid_records');
  return {
    record: async (change, accountId, reason) => {
      await store.query(
        `INSERT INTO ${t} (system, record_type, external_id, reason, change, seen_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (system, record_type, external_id) DO UPDATE SET reason = EXCLUDED.reason, change = EXCLUDED.change, seen_at = EXCLUDED.seen_at`,
        [change.system, ACCOUNT_TYPE[change.system], accountId, reason, JSON.stringify(change), now()],
      );
    },
  };
}

export interface ChangeHandlerDeps {
  services: Pick<GatewayServices, 'sources' | 'identity' | 'liveMatcher' | 'cache'>;
  invalidRecords: InvalidRecordLog;
  pubsub: Pick<PubSub, 'publish'>;
  logger: Logger;
  /** Called for each golden customer a change touched, after its caches were invalidated. Default: nothing (no write-back wired). */
  onCustomerChanged?: OnCustomerChanged;
  /** Marks the webhook events this change covered as processed. */
  inbox?: Pick<WebhookInbox, 'markProcessed'>;
  now?: () => Date;
}

export interface ChangeHandler {
  handle(change: ChangeJob): Promise<ChangeOutcome>;
}

export function createChangeHandler(deps: ChangeHandlerDeps): ChangeHandler {
  const { services, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const onCustomerChanged: OnCustomerChanged = deps.onCustomerChanged ?? (() => Promise.resolve());

  const goldenIdsOf = async (system: SystemId, accountId: string): Promise<string[]> => {
    const ids = await services.identity.goldenIdsFor([{ system, externalId: accountId, recordType: ACCOUNT_TYPE[system] }]);
    return [...new Set(ids.filter((x): x is string => x !== null))];
  };

  const recordInvalid = async (change: ChangeJob, accountId: string, reason: string): Promise<void> => {
    await deps.invalidRecords.record(change, accountId, reason);
    logger.error('sync change not matched: the record is invalid in its system', { system: change.system, id: accountId, error: reason });
  };

  /** Invalidates, then tells writeback and subscribers; every touched customer, once. */
  const announce = async (goldenIds: readonly string[], reason: ChangeReason, changed: { system: SystemId; id: string; attributes: readonly string[] } | null = null): Promise<void> => {
    if (goldenIds.length === 0) return;
    // A failure here fails the job, which is retried: a stale golden record must not outlive a change we processed.
    await services.cache.invalidate([...goldenIds]);
    for (const g of goldenIds) await onCustomerChanged(g, { reason, changed });
    const at = now().toISOString();
    for (const g of goldenIds) {
      // At most once (pub/sub): a subscriber that misses it still reads the fresh record.
      await deps.pubsub.publish(CUSTOMER_CHANGED, { customerId: g, at }).catch((e: unknown) => logger.error('customer.changed not published', { customerId: g, error: String(e) }));
    }
  };

  const apply = async (change: ChangeJob): Promise<ChangeOutcome> => {
    const source = services.sources[change.system];
    if (!source) return { status: 'gone', goldenIds: [] };
    let accountId = change.id;
    if (change.type === 'person') {
      const [owner] = await source.accountOfPerson([change.id]);
      if (owner instanceof Error) {
        if (permanent(owner)) {
          await recordInvalid(change, change.id, owner.message);
          return { status: 'invalid', reason: owner.message, goldenIds: [] };
        }
        throw new SourceReadError(change.system, change.id, owner);
      }
      // A person without an account (or gone): no customer to refresh.
      if (typeof owner !== 'string') return { status: 'gone', goldenIds: [] };
      accountId = owner;
    }
    const before = await goldenIdsOf(change.system, accountId);
    const matcher = services.liveMatcher;
    if (change.identity === false || !matcher) {
      await announce(before, change.reason);
      return { status: 'refreshed', goldenIds: before };
    }
    const [loaded] = await source.loadAccounts([accountId]);
    if (loaded instanceof Error) {
      if (permanent(loaded)) {
        await recordInvalid(change, accountId, loaded.message);
        await announce(before, change.reason);
        return { status: 'invalid', reason: loaded.message, goldenIds: before };
      }
      throw new SourceReadError(change.system, accountId, loaded);
    }
    const record: SourceRecord | null | undefined = loaded;
    if (!record) {
      await announce(before, change.reason);
      return { status: 'gone', goldenIds: before };
    }
    let result;
    try {
      result = await matcher.matchRecord(record, { actor: `sync:${change.reason}:${change.system}` });
    } catch (e) {
      // The match is one transaction: nothing was linked. Caches of the customers it named may be stale.
      await services.cache.invalidate(before).catch(() => undefined);
      throw e;
    }
    const goldenIds = [...new Set([...before, ...result.affected])];
    await announce(goldenIds, change.reason, { system: change.system, id: accountId, attributes: change.attributes ?? [] });
    return { status: 'matched', goldenIds, linked: { customer: result.goldenId, outcome: result.outcome, rule: result.rule } };
  };

  return {
    handle: async (change) => {
      const started = now();
      const outcome = await apply(change);
      if (change.reason === 'webhook') await deps.inbox?.markProcessed(change.system, change, started);
      return outcome;
    },
  };
}

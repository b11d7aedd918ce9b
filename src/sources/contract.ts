// The connector contract: what each src/sources/<system>/ folder gives the rest of Meridian.
// A folder exports one SystemDescriptor (its `system.ts`); the registry (registry.ts) lists
// them, and everything that differs per system is read from there: the settings, the record
// kinds, the page-size limit, the webhook route, what can be written. Shared code for all
// connectors lives beside this file (errors.ts, scan.ts, options.ts) and the contract suite
// (test/sources/connector.contract.ts) proves every connector keeps it.
import type { z } from 'zod';
import type { CustomerCollections, SourceRecord } from '../domain/records.ts';
import type { Sandbox } from '../sandbox/index.ts';
import type { Delivery } from '../sync/notices.ts';
import type { ChangeJob } from '../sync/queue.ts';
import type { ConnectorClock } from './options.ts';
import type { RelatedKinds, SystemId } from './registry.ts';
import type { ScanOptions, ScanPage } from './scan.ts';

/**
 * Batch functions follow the DataLoader contract: one result per key, in key order; `null`
 * for a key that names nothing; an Error for a key that failed (one bad key fails alone): a
 * record that fails the system's schema is an InvalidSourceRecordError, a system that cannot
 * answer a SourceUnavailableError (src/sources/errors.ts).
 */
export interface SourceConnector<S extends SystemId = SystemId> {
  readonly system: S;
  /** Account-level records by id, batched into as few upstream calls as the API allows. */
  loadAccounts(ids: readonly string[]): Promise<(SourceRecord | null | Error)[]>;
  /** Related records of each account id, batched where the API allows. */
  loadRelated<K extends keyof RelatedKinds[S] & string>(kind: K, accountIds: readonly string[]): Promise<(RelatedKinds[S][K][] | Error)[]>;
  /** The account a person-level record belongs to (Contact → Account, user → organization). */
  accountOfPerson(personIds: readonly string[]): Promise<(string | null | Error)[]>;
  /**
   * Every account-level record, page by page (backfill). Pages are fetched through
   * fetchPageWithRetry (src/sources/scan.ts); each says where to resume after it, and carries
   * the records that failed the schema in its `invalid` list.
   */
  scanAccounts(options?: ScanOptions): AsyncIterable<ScanPage>;
  /** A cheap call that proves the system answers (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The gateway's logger, as connectors get it. */
export interface ConnectorLogger {
  info(msg: string, extra?: Record<string, unknown>): void;
  error(msg: string, extra?: Record<string, unknown>): void;
}

/** What every connector is given: one shape for all (STYLE habit 6, inject the outside world). */
export interface ConnectorDeps {
  clock: ConnectorClock;
  logger: ConnectorLogger;
  /** Longest any one upstream call may take (MERIDIAN_SOURCE_TIMEOUT_MS). */
  timeoutMs: number;
  /** Gateway settings that are not one system's own (e.g. MERIDIAN_ERP_ALLOW_WRITES), as config/env.ts parsed them. */
  env: Readonly<Record<string, unknown>>;
  /** The sandbox, when the connector talks to its emulator of the system (what it says about its set-up). */
  sandbox: Sandbox | null;
}

/** A header of the request, the first value when it was sent more than once. */
export type HeaderOf = (name: string) => string | undefined;

/** One system's webhook: who may call it and what its events say. */
export interface WebhookVerifier {
  /**
   * Checks the sender and reads the events; throws WebhookRejectedError (src/sync/notices.ts)
   * saying why a request is refused. `now`: the gateway's clock, for signature freshness.
   */
  parse(header: HeaderOf, rawBody: string, now: Date): Delivery[] | Promise<Delivery[]>;
  /** How this sender reads an answer, when not as JSON (Salesforce reads SOAP). */
  answers?: { contentType: string; ack: string; refuse(reason: string): string };
}

/**
 * Changes since a cursor, for systems that can be polled (issue #10 Part 2). A typed slot:
 * filled in by the capture work, absent where a system offers no feed.
 */
export interface FeedPage {
  changes: ChangeJob[];
  /** Where the next read starts. */
  position: string;
  /** More is waiting right now: read again without waiting for the interval. */
  more: boolean;
}

/** One change feed of one system, polled by the sync worker (src/sync/poll.ts) with its position kept in sync_cursors. */
export interface ChangeFeed {
  system: SystemId;
  /** Unique within the system: 'accounts', 'deleted', 'events'… */
  name: string;
  /** Where a feed that was never read starts: now (what happened before is the backfill's). */
  initial(): Promise<string>;
  read(position: string): Promise<FeedPage>;
}

export interface WriteOptions {
  /** Derived from the outbox row; sent where the system takes one (Stripe's Idempotency-Key). */
  idempotencyKey: string;
}

/**
 * Writing back (docs/sync.md): what the outbox worker calls to put decided values into a system.
 * A system whose descriptor declares no `write` capability opens none and is never written.
 */
export interface RecordWriter {
  readonly system: SystemId;
  /**
   * Sends `changes` (target path, as the field spec names it in the record's data → value; null
   * clears) to the record as it was just read. Only the paths given are sent. Throws a SourceError
   * (src/sources/errors.ts): RATE_LIMITED with the Retry-After the system sent, SOURCE_UNAVAILABLE
   * with the HTTP status (a 4xx other than 408/409/429 is a refusal that retrying will not change).
   */
  write(record: SourceRecord, changes: Record<string, unknown>, options: WriteOptions): Promise<void>;
}

/** A connector opened over its settings, with what else the system offers once connected. */
export interface OpenedSystem<S extends SystemId = SystemId> {
  connector: SourceConnector<S>;
  /**
   * Awaited before the gateway serves (Salesforce's first login). Throws SystemRefusedError for
   * settings the system refused; a system that is merely down does not stop the start.
   */
  ready?(): Promise<void>;
  /**
   * Makes the webhook's verifier, when the settings allow one (a signing secret is configured).
   * Called only by a gateway that serves webhooks (not by a backfill).
   */
  webhook?(): WebhookVerifier;
  /** Its change feeds (capabilities.changeFeed), read with this system's own clients. */
  changes?: readonly ChangeFeed[];
  /** Present exactly when the descriptor declares `capabilities.write`. */
  writer?: RecordWriter;
  /** Releases what `create` opened (the connector's own close included). */
  close(): Promise<void>;
}

/** A system's settings refused at start (bad credentials, a connection that could write): one line. */
export class SystemRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SystemRefusedError';
  }
}

/** The environment, as a system's settings schema reads it. */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Everything Meridian knows about one system, in its folder. `Kinds` maps each related kind the
 * connector loads to the record type it yields (RelatedKinds is derived from these).
 */
export interface SystemDescriptor<S extends string = SystemId, Settings = unknown, Kinds = unknown> {
  id: S;
  /** How people name it (messages, logs): "Salesforce". */
  label: string;
  /**
   * Its settings over the environment: null when none of its variables is set (the system is
   * not configured); an issue per problem, each naming the variable, when they are incomplete.
   */
  settings: z.ZodType<Settings | null, Env>;
  kinds: {
    /** The account-level record type: what a golden customer links to. */
    account: string;
    /** Each related kind, and the customer's collection (GraphQL field) it fills. */
    related: { readonly [K in keyof Kinds]: keyof CustomerCollections };
    /** A person's record is the account itself (a Stripe customer), so person ids are account ids. */
    personIsAccount: boolean;
  };
  /** The most records one scan page may hold (the API's limit, or a bound on memory). */
  maxScanPageSize: number;
  capabilities: {
    /** Every system can be read: loadAccounts, loadRelated, accountOfPerson, scanAccounts. */
    read: true;
    /** It can be written (OpenedSystem.writer), these record types; absent: read-only, never written. */
    write?: { recordTypes: readonly string[] };
    /**
     * false: its records carry no modification time (SourceRecord.updatedAt is the creation), so
     * the decider dates a changed value by when it first saw it (src/sync/observed.ts).
     */
    modifiedTime?: false;
    /** It sends webhooks to /webhooks/<id>; `unconfigured` answers them while no secret is set. */
    webhook?: { unconfigured: string };
    /** It can be polled for changes (OpenedSystem.changes). */
    changeFeed?: true;
  };
  /**
   * Opens the connector over its settings. Loads the system's SDK only when called, so that
   * reading the registry (identity, merge, config) does not.
   */
  create(settings: Settings, deps: ConnectorDeps): Promise<OpenedSystem<S & SystemId>>;
}

/** Settings type of a descriptor. */
export type SettingsOf<D> = D extends SystemDescriptor<string, infer T, unknown> ? T : never;
/** Related kinds of a descriptor. */
export type KindsOf<D> = D extends SystemDescriptor<string, unknown, infer K> ? K : never;

export type { ChangeJob };

// decide(goldenId): a customer's linked records read fresh from their systems (never from the
// golden cache) → merged → diffed against each writable system's current values for the fields
// the field spec lets Meridian write there (src/sync/plan.ts) → outbox rows and their audit events
// in one transaction, then QUEUED on `sync.status`. A change that alters nothing writes nothing.
// The change handler (src/sync/change.ts) calls it as `onCustomerChanged`; the outbox worker calls
// it again when a target changed under a decided write. docs/sync.md.
import { randomUUID } from 'node:crypto';
import type { FieldSpec } from '../mapping/index.ts';
import { mergeGoldenRecord } from '../merge/index.ts';
import type { IdentityStore } from '../identity/links.ts';
import type { PubSub } from '../pubsub/index.ts';
import type { Store } from '../store/index.ts';
import { advisoryLockKey } from '../store/index.ts';
import { ACCOUNT_TYPE, type SourceRecord, type SystemId } from '../sources/types.ts';
import { isWritableSystem } from '../sources/capabilities.ts';
import { planWrites, type HeldField } from './plan.ts';
import { audit, insertWrites } from './outbox-store.ts';
import { createStatusPublisher, type StatusPublisher } from './status.ts';
import type { EchoLog } from './echo.ts';
import { observeChanges, type ChangedNow } from './observed.ts';

/** What reads a system's account records: a connector or the gateway's guarded source. */
export interface AccountReader {
  loadAccounts(ids: readonly string[]): Promise<(SourceRecord | null | Error)[]>;
}

export interface DecideDeps {
  store: Store;
  identity: Pick<IdentityStore, 'linksFor' | 'resolve'>;
  spec: FieldSpec;
  /** One reader per configured system: the records are read fresh for every decision. */
  sources: Partial<Record<SystemId, AccountReader>>;
  /** Systems Meridian has a writer for now (default: every read-write system it can read). */
  writable?: readonly SystemId[];
  pubsub?: PubSub | null;
  /** Published events, when the caller has its own publisher (default: one over `pubsub`). */
  status?: StatusPublisher;
  defaultRegion?: string;
  /** Who the audit names (default 'sync'). */
  actor?: string;
  /** Our own writes, so a value Meridian wrote is not taken for a new change (src/sync/observed.ts). */
  echo?: EchoLog | null;
  now?: () => Date;
  /** Told when outbox rows were committed: this process's outbox loop takes them at once instead of at its next poll. */
  onQueued?: () => void;
}

export interface DecideOptions {
  reason?: string;
  intent?: string;
  /** The record whose notification started this decision and what it says changed (src/sync/observed.ts). */
  changed?: ChangedNow | null;
}

export interface DecideResult {
  outbox: Array<{ id: string; system: string; recordId: string; fields: string[] }>;
  /** Fields Meridian would write but holds back (a GENUINE conflict waiting for review). */
  held: HeldField[];
}

/** A linked record could not be read: deciding without it could write a wrong value. */
export class DecideReadError extends Error {
  override readonly name = 'DecideReadError';
  readonly system: SystemId;
  constructor(system: SystemId, recordId: string, cause: Error) {
    super(`cannot decide writes: ${system} record ${recordId} could not be read (${cause.message})`, { cause });
    this.system = system;
  }
}

export interface Decider {
  decide(goldenId: string, opts?: DecideOptions): Promise<DecideResult>;
}

/** The customer's live account records, read now from their systems; throws DecideReadError when one cannot be read. */
export async function readLinkedRecords(deps: Pick<DecideDeps, 'identity' | 'sources'>, goldenId: string): Promise<{ goldenId: string; records: SourceRecord[] } | null> {
  const survivor = await deps.identity.resolve(goldenId);
  if (survivor === null) return null;
  const [links = []] = await deps.identity.linksFor([survivor]);
  const bySystem = new Map<SystemId, string[]>();
  for (const l of links) {
    if (l.recordType !== ACCOUNT_TYPE[l.system] || deps.sources[l.system] === undefined) continue;
    bySystem.set(l.system, [...(bySystem.get(l.system) ?? []), l.externalId]);
  }
  const records: SourceRecord[] = [];
  await Promise.all(
    [...bySystem].map(async ([system, ids]) => {
      const got = await deps.sources[system]!.loadAccounts(ids);
      got.forEach((r, i) => {
        if (r instanceof Error) throw new DecideReadError(system, ids[i]!, r);
        if (r !== null) records.push(r);
      });
    }),
  );
  return { goldenId: survivor, records };
}

export function createDecider(deps: DecideDeps): Decider {
  const status = deps.status ?? createStatusPublisher(deps.pubsub);
  const actor = deps.actor ?? 'sync';
  const now = deps.now ?? (() => new Date());
  const writable = new Set<SystemId>((deps.writable ?? (Object.keys(deps.sources) as SystemId[])).filter(isWritableSystem));
  return {
    decide: async (goldenId, opts = {}) => {
      const read = await readLinkedRecords(deps, goldenId);
      if (read === null) return { outbox: [], held: [] };
      const mergeOptions = deps.defaultRegion === undefined ? {} : { defaultRegion: deps.defaultRegion };
      const first = mergeGoldenRecord(read.goldenId, read.records, deps.spec, mergeOptions);
      // Records of systems without modification times, dated by when a change was first seen.
      const observed = await observeChanges(deps.store, deps.spec, read.records, first, { echo: deps.echo ?? null, now: now(), changed: opts.changed ?? null });
      const dated = observed.records.some((r, i) => r !== read.records[i]);
      const golden = dated ? mergeGoldenRecord(read.goldenId, observed.records, deps.spec, mergeOptions) : first;
      const plan = planWrites(golden, observed.records, deps.spec, { writable: (s) => writable.has(s), keep: (s, id, f) => observed.unknownAge.has(`${s}\u0000${id}\u0000${f}`) });
      const origin = opts.intent === undefined ? 'decide' : `intent:${opts.intent}`;
      const inserted = await deps.store.transaction(async (c) => {
        // One decision per customer at a time: two changes of one customer decided together
        // would each see the other's rows as absent.
        await c.query('SELECT pg_advisory_xact_lock($1::bigint)', [advisoryLockKey(`meridian:decide:${read.goldenId}`)]);
        await observed.save(c);
        if (plan.writes.length === 0) return [];
        // A random salt: the same values decided again later (a change reverted, then redone) are a new write.
        const rows = await insertWrites(c, deps.store, plan.writes, origin, randomUUID());
        await audit(c, deps.store, [
          ...rows.flatMap(({ superseded, entry }) =>
            superseded.map((old) => ({ kind: 'write_superseded' as const, goldenId: entry.goldenId, system: entry.system, recordId: entry.recordId, outboxId: old.id, fields: old.fields, detail: { by: entry.id }, actor })),
          ),
          ...rows.map(({ entry }) => ({
            kind: 'write_queued' as const, goldenId: entry.goldenId, system: entry.system, recordId: entry.recordId, outboxId: entry.id, fields: entry.fields,
            detail: { values: entry.goldenValues, changes: entry.changes, expected: entry.expected, reason: opts.reason ?? null }, actor,
          })),
        ]);
        return rows;
      });
      if (inserted.length > 0) deps.onQueued?.();
      // A queued write replaced by this decision ends here for its subscribers.
      await Promise.all(inserted.flatMap((r) => r.superseded.map((old) => status.status(old, 'FAILED', `superseded by outbox row ${r.entry.id}, a newer decision`))));
      await Promise.all(inserted.map((r) => status.status(r.entry, 'QUEUED')));
      return { outbox: inserted.map(({ entry: e }) => ({ id: e.id, system: e.system, recordId: e.recordId, fields: e.fields })), held: plan.held };
    },
  };
}

/** The contract's name for the function the change handler is given (`onCustomerChanged`). */
export function decideWrites(deps: DecideDeps): (goldenId: string, opts?: DecideOptions) => Promise<DecideResult> {
  const d = createDecider(deps);
  return (goldenId, opts) => d.decide(goldenId, opts);
}

// routeUpdate: a person's update of canonical fields (updateCustomer) → outbox rows for the
// systems the field spec lets Meridian write each field to. All or nothing: when some field has
// no writable target for this customer, ReadOnlySystemError (READ_ONLY_SYSTEM) before anything is
// written. The same intent key returns the rows of the first call and writes nothing new.
// The API validates each value's format first; this only refuses what it cannot route. docs/sync.md.
import { GraphQLError } from 'graphql';
import type { FieldDef, WriteFormatName } from '../mapping/index.ts';
import { mergeGoldenRecord } from '../merge/index.ts';
import { cleanText, DEFAULT_PHONE_REGION, normalizeAddress, normalizeEmail, normalizePhone } from '../normalize/index.ts';
import { advisoryLockKey } from '../store/index.ts';
import { isWritableSystem } from '../sources/capabilities.ts';
import type { SourceRecord, SystemId } from '../sources/types.ts';
import { ErrorCode } from '../server/errors.ts';
import { readLinkedRecords, type DecideDeps } from './decide.ts';
import { currentValue, targetExists, targetPaths, toTargetValues } from './formats.ts';
import { audit, insertWrites, outboxColumns, toEntry, type OutboxEntry } from './outbox-store.ts';
import { sameCanonical, type PlannedWrite } from './plan.ts';
import { createStatusPublisher } from './status.ts';

export interface UnroutableField {
  field: string;
  /** The read-only systems that hold it, when that is why (e.g. ERP). */
  systems: SystemId[];
  reason: string;
}

/** Some field can only be taken by a read-only system, or by none: nothing was written. */
export class ReadOnlySystemError extends GraphQLError {
  /** What the API recognises it by (resolvers/sync.ts). */
  readonly code = 'READ_ONLY_SYSTEM';
  /** The fields that cannot be routed, and why each. */
  readonly fields: string[];
  readonly problems: UnroutableField[];
  constructor(fields: UnroutableField[]) {
    super(`cannot write ${fields.map((f) => `${f.field} (${f.reason})`).join('; ')}; nothing was written`, {
      extensions: { code: ErrorCode.READ_ONLY_SYSTEM, fields: fields.map((f) => f.field), systems: [...new Set(fields.flatMap((f) => f.systems.map((s) => s.toUpperCase())))] },
    });
    this.name = 'ReadOnlySystemError';
    this.fields = fields.map((f) => f.field);
    this.problems = fields;
  }
}

/** A value routeUpdate cannot read as its field's type, or a field the spec does not know. */
export class RouteInputError extends GraphQLError {
  readonly field: string;
  constructor(field: string, reason: string, code: 'BAD_USER_INPUT' | 'NOT_FOUND' = 'BAD_USER_INPUT') {
    super(`${field}: ${reason}`, { extensions: { code, field } });
    this.name = 'RouteInputError';
    this.field = field;
  }
}

export interface RoutedJob {
  system: SystemId;
  recordId: string;
  outboxId: string;
  fields: string[];
}

/** A person's value in the canonical form of its field, for the write format it goes out in; null when unreadable. */
function canonical(format: WriteFormatName, value: unknown, region: string): unknown {
  switch (format) {
    case 'e164':
      return normalizePhone(value, region);
    case 'email':
      return normalizeEmail(value);
    case 'text':
      return cleanText(value);
    case 'address':
      return value !== null && typeof value === 'object' && !Array.isArray(value) ? normalizeAddress(value) : null;
  }
}

/**
 * Why `field` cannot be routed for this customer, or null. A field whose survivorship makes a
 * read-only system its source of truth cannot be changed while that system holds a value: a value
 * written elsewhere would be overruled by the next decision.
 */
function unroutable(field: string, def: FieldDef, records: readonly SourceRecord[], targets: SystemId[]): UnroutableField | null {
  const s = def.survivorship;
  if (s.rule === 'sourceOfTruth' && !isWritableSystem(s.system)) {
    const src = def.sources[s.system];
    const holds = src !== undefined && records.some((r) => r.system === s.system && !r.deleted && (typeof src.path === 'string' ? currentValue(r.data, src.path) !== null : targetPaths(src.path).some((p) => currentValue(r.data, p) !== null)));
    if (holds) return { field, systems: [s.system], reason: `its source of truth is ${s.system}, a read-only system` };
  }
  if (targets.length > 0) return null;
  if (def.writes === undefined) return { field, systems: [], reason: 'the field spec lets Meridian write it nowhere' };
  const held = (Object.keys(def.sources) as SystemId[]).filter((x) => !isWritableSystem(x) && records.some((r) => r.system === x));
  return { field, systems: held, reason: `the customer has no record in ${Object.keys(def.writes).join(' or ')}${held.length > 0 ? `; ${held.join(', ')} is read-only` : ''}` };
}

export async function routeUpdate(deps: DecideDeps, goldenId: string, values: Record<string, unknown>, intentKey: string): Promise<{ jobs: RoutedJob[] }> {
  const { store, spec } = deps;
  const region = deps.defaultRegion ?? DEFAULT_PHONE_REGION;
  const writable = new Set<SystemId>((deps.writable ?? (Object.keys(deps.sources) as SystemId[])).filter(isWritableSystem));
  for (const field of Object.keys(values)) if (spec.fields[field] === undefined) throw new RouteInputError(field, 'not a field of the field spec');
  const read = await readLinkedRecords(deps, goldenId);
  if (read === null) throw new RouteInputError('id', `no customer ${JSON.stringify(goldenId)}`, 'NOT_FOUND');
  const live = read.records.filter((r) => !r.deleted);
  const golden = mergeGoldenRecord(read.goldenId, read.records, spec, deps.defaultRegion === undefined ? {} : { defaultRegion: deps.defaultRegion });

  // Every field checked before anything is written.
  const problems: UnroutableField[] = [];
  const byRecord = new Map<string, PlannedWrite>();
  for (const [field, raw] of Object.entries(values)) {
    const def = spec.fields[field]!;
    const targets = Object.entries(def.writes ?? {}).filter(([system]) => writable.has(system as SystemId)) as [SystemId, NonNullable<FieldDef['writes']>[SystemId]][];
    const reachable = targets.filter(([system, t]) => live.some((r) => r.system === system && targetPaths(t!.path).every((p) => targetExists(r.data, p))));
    const problem = unroutable(field, def, live, reachable.map(([s]) => s));
    if (problem !== null) {
      problems.push(problem);
      continue;
    }
    for (const [system, target] of reachable) {
      const value = canonical(target!.format, raw, region);
      if (value === null) throw new RouteInputError(field, `not a valid ${target!.format === 'e164' ? 'phone number' : target!.format === 'address' ? 'address' : target!.format === 'email' ? 'e-mail address' : 'value'}`);
      const candidates = golden.lineage.find((l) => l.field === field)?.candidates ?? [];
      for (const rec of live) {
        if (rec.system !== system || !targetPaths(target!.path).every((p) => targetExists(rec.data, p))) continue;
        // A record that already holds the value needs no write.
        if (sameCanonical(candidates.find((c) => c.system === system && c.externalId === rec.id)?.value ?? null, value)) continue;
        const key = `${system}\u0000${rec.id}`;
        const w = byRecord.get(key) ?? { goldenId: read.goldenId, system, recordType: rec.type, recordId: rec.id, fields: [], goldenValues: {}, changes: {}, expected: {} };
        byRecord.set(key, w);
        w.fields.push(field);
        w.goldenValues[field] = value;
        Object.assign(w.changes, toTargetValues(target!.format, value, target!.path));
        for (const p of targetPaths(target!.path)) w.expected[p] = currentValue(rec.data, p);
      }
    }
  }
  if (problems.length > 0) throw new ReadOnlySystemError(problems);

  const order = Object.keys(spec.fields);
  const writes = [...byRecord.values()].map((w) => ({ ...w, fields: [...w.fields].sort((a, b) => order.indexOf(a) - order.indexOf(b)) }));
  const origin = `intent:${intentKey}`;
  const t = store.table('sync_outbox');
  const { rows, fresh } = await store.transaction(async (c) => {
    await c.query('SELECT pg_advisory_xact_lock($1::bigint)', [advisoryLockKey(`meridian:decide:${read.goldenId}`)]);
    // The same intent again: its rows, whatever became of them since.
    const earlier = await c.query(`SELECT ${outboxColumns('o')} FROM ${t} o WHERE o.origin = $1 AND o.golden_id = $2 ORDER BY o.id`, [origin, read.goldenId]);
    if (earlier.rows.length > 0) return { rows: (earlier.rows as Parameters<typeof toEntry>[0][]).map(toEntry), fresh: [] as OutboxEntry[] };
    const inserted = (await insertWrites(c, store, writes, origin, intentKey)).map((x) => x.entry);
    await audit(c, store, inserted.map((e) => ({
      kind: 'write_queued' as const, goldenId: e.goldenId, system: e.system, recordId: e.recordId, outboxId: e.id, fields: e.fields,
      detail: { values: e.goldenValues, changes: e.changes, expected: e.expected, intent: intentKey }, actor: deps.actor ?? 'api',
    })));
    return { rows: inserted, fresh: inserted };
  });
  if (fresh.length > 0) deps.onQueued?.();
  const status = deps.status ?? createStatusPublisher(deps.pubsub);
  await Promise.all(fresh.map((e) => status.status(e, 'QUEUED')));
  return { jobs: rows.map((e) => ({ system: e.system, recordId: e.recordId, outboxId: e.id, fields: e.fields })) };
}

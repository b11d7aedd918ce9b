// Dating changes in systems that keep no modification time (Stripe customers: SourceRecord
// .updatedAt is their creation, src/sources/stripe/mapping.ts). Without this a phone changed in
// Stripe would lose every "most recent" field to an older value elsewhere, and the decider would
// write the old value back over the person's change. For each field of such a record the decider
// keeps the canonical value it last saw and when it saw it change (sync_observed); the record is
// as recent as its latest observed change. A value Meridian itself wrote (an echo, src/sync/echo.ts)
// is not a change by anyone: it keeps the earlier date.
import type pg from 'pg';
import type { FieldSpec } from '../mapping/index.ts';
import type { GoldenRecord } from '../merge/index.ts';
import type { Store } from '../store/index.ts';
import type { SourceRecord, SystemId } from '../sources/types.ts';
import { KEEPS_MODIFIED_TIME } from '../sources/capabilities.ts';
import { valueHash, type EchoLog } from './echo.ts';

interface Seen { hash: string; changedAt: string }

export interface Observation {
  /**
   * The records; those of systems without modification times dated field by field by when each
   * value was seen to change (`fieldUpdatedAt`), and as a whole by the latest of those.
   */
  records: SourceRecord[];
  /**
   * Fields of the record whose notification started this decision, seen for the first time with no
   * evidence of when they changed (keys `system\0recordId\0field`): dated by the record's creation,
   * they may be the person's change itself, so this decision does not write over them.
   */
  unknownAge: ReadonlySet<string>;
  /** Writes the observations in the caller's transaction. */
  save(client: pg.PoolClient): Promise<void>;
}

/** Fields the observer dates: those with a source in `system`. */
const fieldsOf = (spec: FieldSpec, system: SystemId): string[] => Object.entries(spec.fields).filter(([, d]) => d.sources[system] !== undefined).map(([n]) => n);

/** Evidence that fields of one record changed just now: the notification that started this decision named them. */
export interface ChangedNow {
  system: SystemId;
  id: string;
  /** The record's top-level attributes the notification says changed (Stripe's `previous_attributes`). */
  attributes: readonly string[];
}

/** The top-level attributes a spec source path reads: `address.city` → address, `{ line1: 'address.line1' }` → address. */
const attributesOf = (path: string | Readonly<Record<string, string>>): string[] =>
  (typeof path === 'string' ? [path] : Object.values(path)).map((p) => p.split(/[.[]/)[0]!);

export async function observeChanges(
  store: Store,
  spec: FieldSpec,
  records: readonly SourceRecord[],
  first: GoldenRecord,
  options: { echo?: EchoLog | null; now: Date; changed?: ChangedNow | null },
): Promise<Observation> {
  const undated = records.filter((r) => !KEEPS_MODIFIED_TIME[r.system] && !r.deleted);
  const unknownAge = new Set<string>();
  if (undated.length === 0) return { records: [...records], unknownAge, save: () => Promise.resolve() };
  const t = store.table('sync_observed');
  const { rows } = await store.query<{ system: string; record_id: string; field: string; value_hash: string; changed_at: Date }>(
    `SELECT system, record_id, field, value_hash, changed_at FROM ${t} WHERE (system, record_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
    [undated.map((r) => r.system), undated.map((r) => r.id)],
  );
  const seen = new Map(rows.map((r) => [`${r.system}\u0000${r.record_id}\u0000${r.field}`, { hash: r.value_hash, changedAt: r.changed_at.toISOString() } satisfies Seen]));
  const upserts: { system: string; recordId: string; field: string; hash: string; changedAt: string }[] = [];
  const dated = new Map<SourceRecord, { latest: string; fields: Record<string, string> }>();
  for (const rec of undated) {
    let latest = rec.updatedAt;
    const fieldDates: Record<string, string> = {};
    for (const field of fieldsOf(spec, rec.system)) {
      const candidate = first.lineage.find((l) => l.field === field)?.candidates.find((c) => c.system === rec.system && c.externalId === rec.id);
      const value = candidate?.value ?? null;
      const hash = valueHash(value);
      const before = seen.get(`${rec.system}\u0000${rec.id}\u0000${field}`);
      let changedAt: string;
      const named = options.changed && options.changed.system === rec.system && options.changed.id === rec.id ? options.changed.attributes : null;
      const source = spec.fields[field]?.sources[rec.system];
      if (before === undefined) {
        if (named !== null && source !== undefined && attributesOf(source.path).some((a) => named.includes(a))) changedAt = options.now.toISOString(); // the notification says it changed now
        else {
          // First sighting: as old as the record says, which may be older than the truth.
          changedAt = rec.updatedAt;
          // The record has just changed (its notification started this decision) but the
          // notification did not say what changed: this field may be the change, so it is not
          // written over now. A notification that names what changed (Stripe's
          // previous_attributes, complete for the event) says this field did not.
          if (named !== null && named.length === 0) unknownAge.add(`${rec.system}\u0000${rec.id}\u0000${field}`);
        }
      } else if (before.hash === hash) changedAt = before.changedAt;
      else {
        const ours = value !== null && options.echo ? await options.echo.isEcho(rec.system, rec.id, { [field]: value }) : false;
        changedAt = ours ? before.changedAt : options.now.toISOString();
      }
      if (before === undefined || before.hash !== hash || before.changedAt !== changedAt) upserts.push({ system: rec.system, recordId: rec.id, field, hash, changedAt });
      fieldDates[field] = changedAt;
      if (Date.parse(changedAt) > Date.parse(latest)) latest = changedAt;
    }
    if (latest !== rec.updatedAt) dated.set(rec, { latest, fields: fieldDates });
  }
  return {
    // A field is as recent as its own observed change: a phone changed now does not make the
    // record's older address the newest one.
    records: records.map((r) => {
      const d = dated.get(r);
      return d ? { ...r, updatedAt: d.latest, fieldUpdatedAt: d.fields } : r;
    }),
    unknownAge,
    save: async (c) => {
      if (upserts.length === 0) return;
      await c.query(
        `INSERT INTO ${t} (system, record_id, field, value_hash, changed_at)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[])
         ON CONFLICT (system, record_id, field) DO UPDATE SET value_hash = EXCLUDED.value_hash, changed_at = EXCLUDED.changed_at`,
        [upserts.map((u) => u.system), upserts.map((u) => u.recordId), upserts.map((u) => u.field), upserts.map((u) => u.hash), upserts.map((u) => u.changedAt)],
      );
    },
  };
}

/**
 * A person's value written through routeUpdate is a change made now, not an echo to date back:
 * records of systems without modification times remember it as changed when the write landed.
 */
export async function observeWrittenIntent(client: pg.PoolClient, store: Store, system: SystemId, recordId: string, values: Record<string, unknown>): Promise<void> {
  if (KEEPS_MODIFIED_TIME[system]) return;
  const entries = Object.entries(values);
  if (entries.length === 0) return;
  await client.query(
    `INSERT INTO ${store.table('sync_observed')} (system, record_id, field, value_hash, changed_at)
     SELECT $1, $2, f, h, now() FROM unnest($3::text[], $4::text[]) AS x (f, h)
     ON CONFLICT (system, record_id, field) DO UPDATE SET value_hash = EXCLUDED.value_hash, changed_at = EXCLUDED.changed_at`,
    [system, recordId, entries.map(([f]) => f), entries.map(([, v]) => valueHash(v))],
  );
}

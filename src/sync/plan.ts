// What Meridian should write, decided as data (pure; ARCHITECTURE.md "decisions are data, then
// effects"): the golden record against each writable system's current values, for the fields the
// field spec lets Meridian write there. Compared canonical, so formatting is never a change.
import type { FieldSpec } from '../mapping/index.ts';
import type { GoldenRecord } from '../merge/index.ts';
import type { SourceRecord, SystemId } from '../sources/types.ts';
import { currentValue, targetExists, targetPaths, toTargetValues } from './formats.ts';

/** One record to write: the changed fields, what to send per target path, and what was read there. */
export interface PlannedWrite {
  goldenId: string;
  system: SystemId;
  recordType: string;
  recordId: string;
  /** Canonical fields, in spec order. */
  fields: string[];
  /** Canonical field → golden value written. */
  goldenValues: Record<string, unknown>;
  /** Target path → value to send. */
  changes: Record<string, unknown>;
  /** Target path → value as read when decided (what the worker expects to find there). */
  expected: Record<string, unknown>;
}

/** A field Meridian could write but holds back, and why. */
export interface HeldField {
  field: string;
  reason: string;
}

export interface WritePlan {
  writes: PlannedWrite[];
  held: HeldField[];
}

/** Canonical values compared whole: key order does not matter, null equals absent. */
export function sameCanonical(a: unknown, b: unknown): boolean {
  const canon = (v: unknown): unknown => {
    if (v === undefined || v === null) return null;
    if (Array.isArray(v)) return v.map(canon);
    if (typeof v === 'object') {
      return Object.fromEntries(Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined).map((k) => [k, canon((v as Record<string, unknown>)[k])]));
    }
    return v;
  };
  return JSON.stringify(canon(a)) === JSON.stringify(canon(b));
}

export interface PlanOptions {
  /** Systems Meridian can write now (a writer is configured); others are skipped. */
  writable: (system: SystemId) => boolean;
  /** Only these canonical fields (default: every field with write targets). */
  fields?: readonly string[];
  /**
   * A field of a record Meridian must not overwrite now: its value's age is unknown (a system that
   * keeps no modification time, seen for the first time), so it may be a person's newer change.
   */
  keep?: (system: SystemId, recordId: string, field: string) => boolean;
}

/**
 * The writes that bring each linked, live record of a writable system to the golden value of
 * every field the spec lets Meridian write there. Not written: a field whose golden value is
 * null (Meridian never erases), a field with a GENUINE conflict whose class sends it to review
 * (a person decides first), a record already holding the golden value, and a path into a
 * related record the account does not have (a Salesforce account without contacts).
 */
export function planWrites(golden: GoldenRecord, records: readonly SourceRecord[], spec: FieldSpec, options: PlanOptions): WritePlan {
  const byRecord = new Map<string, PlannedWrite>();
  const held: HeldField[] = [];
  const only = options.fields === undefined ? null : new Set(options.fields);
  for (const [name, def] of Object.entries(spec.fields)) {
    if (def.writes === undefined || (only !== null && !only.has(name))) continue;
    const value = golden.fields[name] ?? null;
    if (value === null) continue;
    const lineage = golden.lineage.find((l) => l.field === name);
    // A conflict reported on the field that explains this one (email ← billingContact) holds it too.
    const explainer = def.conflict.explainedBy;
    const conflictOn = lineage?.conflict ? name : explainer !== undefined && golden.lineage.find((l) => l.field === explainer)?.conflict ? explainer : null;
    const conflict = conflictOn === null ? null : golden.lineage.find((l) => l.field === conflictOn)!.conflict!;
    if (conflictOn !== null && conflict?.kind === 'GENUINE' && spec.fields[conflictOn]!.conflict.class !== 'auto') {
      held.push({ field: name, reason: `a GENUINE conflict on ${conflictOn} (${spec.fields[conflictOn]!.conflict.class}) waits for a person` });
      continue;
    }
    for (const [system, target] of Object.entries(def.writes) as [SystemId, NonNullable<typeof def.writes>[SystemId]][]) {
      if (target === undefined || !options.writable(system)) continue;
      for (const rec of records) {
        if (rec.system !== system || rec.deleted) continue;
        const paths = targetPaths(target.path);
        if (!paths.every((p) => targetExists(rec.data, p))) continue;
        const candidate = lineage?.candidates.find((c) => c.system === system && c.externalId === rec.id);
        if (candidate !== undefined && sameCanonical(candidate.value, value)) continue;
        if (options.keep?.(system, rec.id, name)) {
          held.push({ field: name, reason: `${system} ${rec.id}'s value is of unknown age (first seen now); it is not overwritten` });
          continue;
        }
        const key = `${system}\u0000${rec.id}`;
        let w = byRecord.get(key);
        if (w === undefined) {
          w = { goldenId: golden.id, system, recordType: rec.type, recordId: rec.id, fields: [], goldenValues: {}, changes: {}, expected: {} };
          byRecord.set(key, w);
        }
        w.fields.push(name);
        w.goldenValues[name] = value;
        Object.assign(w.changes, toTargetValues(target.format, value, target.path));
        for (const p of paths) w.expected[p] = currentValue(rec.data, p);
      }
    }
  }
  return { writes: [...byRecord.values()], held };
}

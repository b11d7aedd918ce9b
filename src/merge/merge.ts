// mergeGoldenRecord: one customer's source records → the golden record, field by field, with
// lineage (every candidate, the rule, the winner) and conflicts classified STALE or GENUINE.
// Pure: no clock, no I/O; the same records and spec give the same record.
import type { FieldDef, FieldSpec, SourceSpec } from '../mapping/index.ts';
import { getPath } from '../mapping/index.ts';
import { DEFAULT_PHONE_REGION, toEpochMs, toIsoUtc } from '../normalize/index.ts';
import type { SourceRecord, SystemId } from '../domain/records.ts';
import { SYSTEMS } from '../sources/types.ts';
import { COMPARATOR_IMPLS } from './compare.ts';
import { countryOfRaw, NORMALIZER_IMPLS } from './normalizers.ts';
import type { NormalizeContext } from './normalizers.ts';
import { applyRule, bestOfSystem, RULE_LABEL } from './rules.ts';
import type { WorkCandidate } from './rules.ts';
import type { Candidate, Conflict, FieldLineage, GoldenRecord, MergeOptions } from './types.ts';

const isEmpty = (v: unknown): boolean => v === null || v === undefined || (typeof v === 'string' && v.trim() === '');

/** How one system's value of one field is read: its path(s), prepared once per spec. */
interface SourceReader {
  readonly source: SourceSpec;
  /** The raw value (a composite's sub-fields, or null when every one is empty). */
  readonly read: (data: Record<string, unknown>) => unknown;
  readonly sourceField: string;
}

function sourceReader(source: SourceSpec): SourceReader {
  const path = source.path;
  if (typeof path === 'string') return { source, read: (data) => getPath(data, path), sourceField: path };
  const parts = Object.entries(path);
  return {
    source,
    read: (data) => {
      const raw: Record<string, unknown> = {};
      let any = false;
      for (const [key, p] of parts) {
        const v = getPath(data, p);
        raw[key] = v ?? null;
        if (!isEmpty(v)) any = true;
      }
      return any ? raw : null;
    },
    sourceField: Object.values(path).join(','),
  };
}

/** A field as the merge walks it: its readers by system, and the systems that rank their records. */
interface FieldPlan {
  readonly name: string;
  readonly field: FieldDef;
  readonly readers: Partial<Record<SystemId, SourceReader>>;
  readonly ranked: readonly (readonly [SystemId, SourceSpec])[];
}

/** What the merge reads of a spec, worked out once per spec object (specs are not changed once loaded). */
interface SpecPlan {
  /** Fields in resolution order. */
  readonly fields: readonly FieldPlan[];
  readonly names: readonly string[];
  /** The address field's readers (a phone is read in its record's own country). */
  readonly address: Partial<Record<SystemId, SourceReader>> | undefined;
}

const plans = new WeakMap<FieldSpec, SpecPlan>();

function planOf(spec: FieldSpec): SpecPlan {
  let plan = plans.get(spec);
  if (plan === undefined) {
    const fields = resolutionOrder(spec).map((name): FieldPlan => {
      const field = spec.fields[name]!;
      const entries = Object.entries(field.sources) as [SystemId, SourceSpec][];
      return {
        name,
        field,
        readers: Object.fromEntries(entries.map(([system, source]) => [system, sourceReader(source)])),
        ranked: entries.filter(([, source]) => source.rank !== undefined),
      };
    });
    plan = { fields, names: Object.keys(spec.fields), address: fields.find((f) => f.field.type === 'address')?.readers };
    plans.set(spec, plan);
  }
  return plan;
}

const publicCandidate = (c: WorkCandidate): Candidate => ({
  system: c.system, externalId: c.externalId, sourceField: c.sourceField, rawValue: c.rawValue, value: c.value, updatedAt: c.updatedAt, chosen: c.chosen,
});

/** Fields resolved first because others read them: addresses (phone regions), then currencies of money fields. */
function resolutionOrder(spec: FieldSpec): string[] {
  const names = Object.keys(spec.fields);
  const currencies = new Set(names.map((n) => spec.fields[n]!.currencyFrom).filter((n): n is string => n !== undefined));
  const rank = (n: string): number => (spec.fields[n]!.type === 'address' ? 0 : currencies.has(n) ? 1 : 2);
  return names.map((n, i) => ({ n, i })).sort((a, b) => rank(a.n) - rank(b.n) || a.i - b.i).map((x) => x.n);
}

/**
 * Classify a disagreement. STALE when recency can settle the field and every losing value is
 * older than the winner's (a live winner — computed by its system when read — is newer than
 * anything recorded); GENUINE otherwise.
 */
function classify(field: FieldDef, winner: WorkCandidate, losers: readonly WorkCandidate[]): Conflict['kind'] {
  if (!field.conflict.recency) return 'GENUINE';
  const winnerAt = winner.live ? Infinity : winner.updatedAt === null ? null : toEpochMs(winner.updatedAt);
  if (winnerAt === null) return 'GENUINE';
  for (const l of losers) {
    if (l.live) return 'GENUINE';
    const at = l.updatedAt === null ? null : toEpochMs(l.updatedAt);
    if (at === null || at >= winnerAt) return 'GENUINE';
  }
  return 'STALE';
}

/** Sub-fields the winner lacks (a Stripe billing contact has no name), from candidates that agree with it. */
function complete(value: unknown, winner: WorkCandidate, others: readonly WorkCandidate[], equal: (a: unknown, b: unknown) => boolean): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  const missing = Object.keys(out).filter((k) => out[k] === null);
  if (missing.length === 0) return value;
  const agreeing = others.filter((c) => c !== winner && equal(c.value, winner.value)).sort((a, b) => (toEpochMs(b.updatedAt) ?? 0) - (toEpochMs(a.updatedAt) ?? 0));
  for (const k of missing) {
    for (const c of agreeing) {
      const v = (c.value as Record<string, unknown>)[k];
      if (v !== null && v !== undefined) { out[k] = v; break; }
    }
  }
  return out;
}

/**
 * The golden record of one customer from its source records (all systems, duplicates and
 * deleted records included): each field of `spec` resolved by its survivorship rule.
 * Deleted records are listed in `sources` but never candidates.
 */
export function mergeGoldenRecord(goldenId: string, records: readonly SourceRecord[], spec: FieldSpec, options: MergeOptions = {}): GoldenRecord {
  const sysOrder = (s: SystemId): number => SYSTEMS.indexOf(s);
  // Input order must not matter: systems in their fixed order, then ids.
  const sorted = [...records].sort((a, b) => sysOrder(a.system) - sysOrder(b.system) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const live = sorted.filter((r) => !r.deleted);
  const defaultRegion = options.defaultRegion ?? DEFAULT_PHONE_REGION;
  const plan = planOf(spec);

  const golden: Record<string, unknown> = {};
  const lineage = new Map<string, FieldLineage>();
  const working = new Map<string, { winner: WorkCandidate | null; losers: WorkCandidate[]; participants: Candidate[] }>();

  /** A phone is read in the country of its record's own address, else the customer's, else the default. */
  const ownCountry = new Map<SourceRecord, string | null>();
  const regionOf = (rec: SourceRecord): string => {
    let own = ownCountry.get(rec);
    if (own === undefined) {
      const reader = plan.address?.[rec.system];
      own = reader === undefined ? null : countryOfRaw(reader.read(rec.data));
      ownCountry.set(rec, own);
    }
    const customer = golden.address !== null && typeof golden.address === 'object' ? (golden.address as { country?: unknown }).country : null;
    return own ?? (typeof customer === 'string' ? customer : defaultRegion);
  };

  for (const { name, field, readers, ranked } of plan.fields) {
    const candidates: WorkCandidate[] = [];
    for (const rec of live) {
      const reader = readers[rec.system];
      if (reader === undefined) continue;
      const { source, sourceField } = reader;
      const raw = reader.read(rec.data);
      if (isEmpty(raw)) continue;
      const ctx: NormalizeContext = { field, system: rec.system, region: regionOf(rec), golden };
      const value = NORMALIZER_IMPLS[source.normalize](raw, ctx) ?? null;
      candidates.push({
        system: rec.system, externalId: rec.id, sourceField, rawValue: raw, value, updatedAt: toIsoUtc(rec.fieldUpdatedAt?.[name] ?? rec.updatedAt),
        chosen: false, live: source.live ?? false, inferred: source.inferred ?? false,
        rankValue: source.rank === undefined ? null : getPath(rec.data, source.rank.by) ?? null,
      });
    }
    const valued = candidates.filter((c) => c.value !== null);
    const { winner, added } = applyRule(name, field, valued, live);
    for (const c of added ?? []) {
      // What a record's silence means replaces its empty say (a Stripe customer's empty subscription list).
      const i = candidates.findIndex((x) => x.system === c.system && x.externalId === c.externalId && x.value === null);
      if (i === -1) candidates.push(c);
      else {
        c.rawValue = candidates[i]!.rawValue;
        c.sourceField = candidates[i]!.sourceField;
        candidates.splice(i, 1, c);
      }
    }
    const equal = COMPARATOR_IMPLS[field.conflict.compare];
    let value: unknown = null;
    if (winner !== null) {
      winner.chosen = true;
      value = complete(winner.value, winner, [...valued, ...(added ?? [])], equal);
    }
    golden[name] = value;
    // A system whose source has a `rank` speaks through its best-ranked record: its other
    // records (duplicates within the system) are shown, but are identity's business, not a conflict.
    const speaker = new Map<SystemId, WorkCandidate | null>();
    for (const [system, source] of ranked) speaker.set(system, bestOfSystem(valued.filter((c) => c.system === system), source));
    const participants = candidates.filter((c) => c.value !== null && !c.inferred && (!speaker.has(c.system) || speaker.get(c.system) === c || c === winner));
    const losers = winner === null ? [] : participants.filter((c) => c !== winner && !equal(c.value, winner.value));
    const shown = new Map(candidates.map((c) => [c, publicCandidate(c)] as const));
    working.set(name, { winner, losers, participants: participants.map((c) => shown.get(c)!) });
    lineage.set(name, {
      field: name,
      value,
      source: winner?.system ?? null,
      sourceField: winner?.sourceField ?? null,
      updatedAt: winner?.updatedAt ?? null,
      rule: field.survivorship.rule === 'named' ? field.survivorship.name : RULE_LABEL[field.survivorship.rule],
      candidates: [...shown.values()],
      conflict: null,
    });
  }

  // Conflicts after every field is resolved: `explainedBy` looks at another field's.
  const kinds = new Map<string, Conflict['kind']>();
  for (const [name, { winner, losers }] of working) {
    if (winner !== null && losers.length > 0) kinds.set(name, classify(spec.fields[name]!, winner, losers));
  }
  const conflicts: Conflict[] = [];
  for (const name of plan.names) {
    const kind = kinds.get(name);
    const explainedBy = spec.fields[name]!.conflict.explainedBy;
    if (kind === undefined || (explainedBy !== undefined && kinds.has(explainedBy))) continue;
    const entry = lineage.get(name)!;
    const conflict: Conflict = { field: name, kind, values: working.get(name)!.participants };
    entry.conflict = conflict;
    conflicts.push(conflict);
  }

  return {
    id: goldenId,
    fields: Object.fromEntries(plan.names.map((n) => [n, golden[n] ?? null])),
    lineage: plan.names.map((n) => lineage.get(n)!),
    conflicts,
    sources: sorted.map((r) => ({ system: r.system, type: r.type, externalId: r.id, updatedAt: toIsoUtc(r.updatedAt) ?? r.updatedAt, deleted: r.deleted })),
  };
}

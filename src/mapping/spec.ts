// The field spec: every canonical field of the golden record, where each system holds it,
// how it is normalized, which value survives, and how a disagreement is treated.
// Format and rules: docs/mapping.md. Validated with zod where it enters (start-up).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { SYSTEMS } from '../sources/types.ts';
import type { SystemId } from '../domain/records.ts';
import { COMPARATOR_NAMES, FIELD_TYPES, NAMED_RULE_NAMES, NORMALIZERS, NORMALIZER_NAMES, WRITE_FORMATS, WRITE_FORMAT_NAMES } from './catalog.ts';
import type { ComparatorName, FieldType, NamedRuleName, NormalizerInfo, NormalizerName, WriteFormatInfo, WriteFormatName } from './catalog.ts';
import { SYSTEM_ACCESS } from '../sources/capabilities.ts';
import { isPath } from './paths.ts';
import { ACCESS_CLASSES, isAccessClass, type AccessClass } from '../access/classes.ts';

/** Where the default spec ships. `MERIDIAN_MAPPING` (read by config) overrides it. */
export const DEFAULT_SPEC_PATH: string = fileURLToPath(new URL('./default-spec.json', import.meta.url));

export type SourcePath = string | Readonly<Record<string, string>>;

export interface SourceSpec {
  /** A dot path into SourceRecord.data, or sub-field → path for composite types. */
  path: SourcePath;
  normalize: NormalizerName;
  /** Orders this system's records when it has several (default: most recently updated first). */
  rank?: { by: string; order: 'asc' | 'desc' };
  /** The system computes this value when read (e.g. Stripe subscription status): as recent as the read. */
  live?: boolean;
  /** A guess from another fact (currency from country): used only when nothing else says, never a conflict. */
  inferred?: boolean;
}

/** Where Meridian may write a field's golden value in one system, and in which format. */
export interface WriteTarget {
  /** A dot path into the system's record (as read), or sub-field → path for composite formats. */
  path: SourcePath;
  format: WriteFormatName;
}

export type Survivorship =
  | { rule: 'priority'; order: SystemId[] }
  | { rule: 'sourceOfTruth'; system: SystemId; fallback: SystemId[] }
  | { rule: 'mostRecent'; tieBreak?: SystemId[] }
  /**
   * A rule written in code. `system`: the system it centres on (the billing system for the
   * billing rules), `fallback`: who decides after it, in order; the spec names them, not the code.
   */
  | { rule: 'named'; name: NamedRuleName; system: SystemId; fallback: SystemId[] };

export type ConflictClass = 'auto' | 'review' | 'escalate';

export interface ConflictPolicy {
  /** auto: recorded, no review item; review: GENUINE ones go to the review queue; escalate: same, flagged urgent. */
  class: ConflictClass;
  compare: ComparatorName;
  /** Whether a newer value makes older ones stale (false: amounts, choices; every disagreement is GENUINE). */
  recency: boolean;
  /** Another field whose conflict already explains a disagreement here (email ← billingContact). */
  explainedBy?: string;
}

export interface FieldDef {
  type: FieldType;
  description?: string;
  /** Enum values, for type enum. */
  values?: string[];
  /** For money sources without a currency: the (string) field whose golden value is the currency. */
  currencyFrom?: string;
  sources: Partial<Record<SystemId, SourceSpec>>;
  survivorship: Survivorship;
  conflict: ConflictPolicy;
  /** Who may read the field (and its lineage, candidates, conflicts, search hits): docs/access.md. Absent: every role. */
  access?: AccessClass;
  /** The systems Meridian may write this field to (docs/sync.md); absent: none. Never a read-only system. */
  writes?: Partial<Record<SystemId, WriteTarget>>;
}

export interface FieldSpec {
  version: 1;
  /** Canonical field name → definition, in output order. */
  fields: Record<string, FieldDef>;
}

export interface FieldSpecIssue {
  /** JSON path of the problem, e.g. `$.fields.email.sources.erp.normalize`. */
  path: string;
  message: string;
}

/** An invalid spec: one error that lists every problem with its JSON path. */
export class FieldSpecError extends Error {
  override readonly name = 'FieldSpecError';
  readonly issues: readonly FieldSpecIssue[];
  constructor(origin: string, issues: readonly FieldSpecIssue[]) {
    super(`invalid field spec ${origin}: ${issues.length} problem${issues.length === 1 ? '' : 's'}\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`);
    this.issues = issues;
  }
}

// ---------- structure (zod) ----------

const systemSchema = z.enum(SYSTEMS as [SystemId, ...SystemId[]]);
const pathSchema = z.string().refine(isPath, { message: 'not a path (e.g. "Owner.Name", "Contacts[0].Email")' });

const sourceSchema = z.strictObject({
  path: z.union([pathSchema, z.record(z.string(), pathSchema)]),
  normalize: z.string(),
  rank: z.strictObject({ by: pathSchema, order: z.enum(['asc', 'desc']) }).optional(),
  live: z.boolean().optional(),
  inferred: z.boolean().optional(),
});

const writeSchema = z.strictObject({
  path: z.union([pathSchema, z.record(z.string(), pathSchema)]),
  format: z.string(),
});

const survivorshipSchema = z.discriminatedUnion('rule', [
  z.strictObject({ rule: z.literal('priority'), order: z.array(systemSchema).min(1) }),
  z.strictObject({ rule: z.literal('sourceOfTruth'), system: systemSchema, fallback: z.array(systemSchema).default([]) }),
  z.strictObject({ rule: z.literal('mostRecent'), tieBreak: z.array(systemSchema).optional() }),
  z.strictObject({ rule: z.literal('named'), name: z.string(), system: systemSchema.optional(), fallback: z.array(systemSchema).default([]) }),
]);

const conflictSchema = z.strictObject({
  class: z.enum(['auto', 'review', 'escalate']),
  compare: z.string().default('value'),
  recency: z.boolean().default(true),
  explainedBy: z.string().optional(),
});

const fieldSchema = z.strictObject({
  type: z.enum(FIELD_TYPES),
  description: z.string().optional(),
  values: z.array(z.string().min(1)).min(1).optional(),
  currencyFrom: z.string().optional(),
  // Parsed piece by piece below, so one bad source does not hide the others' problems.
  sources: z.record(z.string(), z.unknown()),
  survivorship: z.unknown(),
  conflict: z.unknown(),
  access: z.string().optional(),
  writes: z.record(z.string(), z.unknown()).optional(),
});

const specSchema = z.strictObject({
  version: z.literal(1),
  fields: z.record(z.string(), z.unknown()),
});

type ParsedSource = z.infer<typeof sourceSchema>;
type ParsedWrite = z.infer<typeof writeSchema>;
type ParsedSurvivorship = z.infer<typeof survivorshipSchema>;
type ParsedConflict = z.infer<typeof conflictSchema>;

function jsonPath(base: string, path: readonly PropertyKey[]): string {
  let s = base;
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : /^[A-Za-z_$][\w$]*$/.test(String(p)) ? `.${String(p)}` : `[${JSON.stringify(String(p))}]`;
  return s;
}

function parsePart<T>(schema: z.ZodType<T>, raw: unknown, at: string, issues: FieldSpecIssue[]): T | undefined {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  for (const i of r.error.issues) issues.push({ path: jsonPath(at, i.path), message: i.message });
  return undefined;
}

const list = (xs: readonly string[]): string => xs.join(', ');

// ---------- meaning (what zod cannot see: names, types, cross-references) ----------

/** One field: structure piece by piece, then meaning; a FieldDef when it has no problem. */
function checkField(name: string, raw: unknown, all: Readonly<Record<string, unknown>>, typeOf: (field: string) => FieldType | undefined, out: FieldSpecIssue[]): FieldDef | undefined {
  const at = `$.fields.${name}`;
  const before = out.length;
  const issue = (path: string, message: string): void => { out.push({ path: `${at}${path}`, message }); };
  const f = parsePart(fieldSchema, raw, at, out);
  if (f === undefined) return undefined;

  if (f.type === 'enum' && f.values === undefined) issue('.values', 'an enum field needs its values');
  if (f.type !== 'enum' && f.values !== undefined) issue('.values', `only enum fields have values (this one is ${f.type})`);
  if (f.currencyFrom !== undefined) {
    if (f.type !== 'money') issue('.currencyFrom', `only money fields take currencyFrom (this one is ${f.type})`);
    else if (!(f.currencyFrom in all)) issue('.currencyFrom', `names no field: "${f.currencyFrom}"`);
    else if (typeOf(f.currencyFrom) !== 'string') issue('.currencyFrom', `"${f.currencyFrom}" is not a string field`);
  }

  if (f.access !== undefined && !isAccessClass(f.access)) issue('.access', `unknown access class "${f.access}"; known: ${list(ACCESS_CLASSES)}`);

  const sources: Partial<Record<SystemId, SourceSpec>> = {};
  const systemNames = Object.keys(f.sources);
  if (systemNames.length === 0) issue('.sources', 'a field needs at least one source');
  for (const system of systemNames) {
    const sp = `.sources.${system}`;
    if (!(SYSTEMS as readonly string[]).includes(system)) {
      issue(sp, `unknown system "${system}"; known: ${list(SYSTEMS)}`);
      continue;
    }
    const s: ParsedSource | undefined = parsePart(sourceSchema, f.sources[system], `${at}${sp}`, out);
    if (s === undefined) continue;
    if (!(NORMALIZER_NAMES as string[]).includes(s.normalize)) {
      issue(`${sp}.normalize`, `unknown normalizer "${s.normalize}"; known: ${list(NORMALIZER_NAMES)}`);
      continue;
    }
    const info: NormalizerInfo = NORMALIZERS[s.normalize as NormalizerName];
    if (info.output !== f.type) issue(`${sp}.normalize`, `"${s.normalize}" yields ${info.output}, the field is ${f.type}`);
    if (info.input === 'scalar') {
      if (typeof s.path !== 'string') issue(`${sp}.path`, `"${s.normalize}" reads one value: give a path, not an object`);
    } else if (typeof s.path === 'string') {
      issue(`${sp}.path`, `"${s.normalize}" reads several values: give an object with some of ${list(info.input)}`);
    } else {
      const keys = Object.keys(s.path);
      if (keys.length === 0) issue(`${sp}.path`, `give at least one of ${list(info.input)}`);
      for (const k of keys) if (!info.input.includes(k)) issue(`${sp}.path.${k}`, `"${s.normalize}" has no sub-field "${k}"; known: ${list(info.input)}`);
    }
    const spec: SourceSpec = { path: s.path, normalize: s.normalize as NormalizerName };
    if (s.rank !== undefined) spec.rank = s.rank;
    if (s.live !== undefined) spec.live = s.live;
    if (s.inferred !== undefined) spec.inferred = s.inferred;
    sources[system as SystemId] = spec;
  }
  const hasSource = (system: SystemId): boolean => f.sources[system] !== undefined;

  const writes: Partial<Record<SystemId, WriteTarget>> = {};
  for (const [system, rawTarget] of Object.entries(f.writes ?? {})) {
    const wp = `.writes.${system}`;
    if (!(SYSTEMS as readonly string[]).includes(system)) {
      issue(wp, `unknown system "${system}"; known: ${list(SYSTEMS)}`);
      continue;
    }
    if (SYSTEM_ACCESS[system as SystemId] === 'read-only') {
      issue(wp, `field "${name}" names a write target in ${system}, a read-only system: Meridian never writes to it`);
      continue;
    }
    // The diff compares the golden value with what the system holds now: it must be read there.
    if (!hasSource(system as SystemId)) issue(wp, `field "${name}" has no source in ${system}: a write target needs the value read there to compare with`);
    const t: ParsedWrite | undefined = parsePart(writeSchema, rawTarget, `${at}${wp}`, out);
    if (t === undefined) continue;
    if (!(WRITE_FORMAT_NAMES as string[]).includes(t.format)) {
      issue(`${wp}.format`, `unknown write format "${t.format}"; known: ${list(WRITE_FORMAT_NAMES)}`);
      continue;
    }
    const info: WriteFormatInfo = WRITE_FORMATS[t.format as WriteFormatName];
    if (info.input !== f.type) issue(`${wp}.format`, `"${t.format}" writes ${info.input} values, field "${name}" is ${f.type}`);
    if (info.parts === 'scalar') {
      if (typeof t.path !== 'string') issue(`${wp}.path`, `"${t.format}" writes one value: give a path, not an object`);
    } else if (typeof t.path === 'string') {
      issue(`${wp}.path`, `"${t.format}" writes several values: give an object with some of ${list(info.parts)}`);
    } else {
      const keys = Object.keys(t.path);
      if (keys.length === 0) issue(`${wp}.path`, `give at least one of ${list(info.parts)}`);
      for (const k of keys) if (!info.parts.includes(k)) issue(`${wp}.path.${k}`, `"${t.format}" has no part "${k}"; known: ${list(info.parts)}`);
    }
    writes[system as SystemId] = { path: t.path, format: t.format as WriteFormatName };
  }

  const r: ParsedSurvivorship | undefined = parsePart(survivorshipSchema, f.survivorship, `${at}.survivorship`, out);
  const needSource = (path: string, system: SystemId): void => {
    if (!hasSource(system)) issue(path, `"${system}" has no source for this field`);
  };
  const noRepeats = (path: string, xs: readonly SystemId[]): void => {
    xs.forEach((x, i) => { if (xs.indexOf(x) !== i) issue(`${path}[${i}]`, `"${x}" is listed twice`); });
  };
  if (r?.rule === 'priority') {
    r.order.forEach((s, i) => needSource(`.survivorship.order[${i}]`, s));
    noRepeats('.survivorship.order', r.order);
  } else if (r?.rule === 'sourceOfTruth') {
    needSource('.survivorship.system', r.system);
    r.fallback.forEach((s, i) => {
      needSource(`.survivorship.fallback[${i}]`, s);
      if (s === r.system) issue(`.survivorship.fallback[${i}]`, `"${s}" is the source of truth itself`);
    });
    noRepeats('.survivorship.fallback', r.fallback);
  } else if (r?.rule === 'mostRecent') {
    if (r.tieBreak) noRepeats('.survivorship.tieBreak', r.tieBreak);
  } else if (r?.rule === 'named') {
    if (!(NAMED_RULE_NAMES as string[]).includes(r.name)) issue('.survivorship.name', `unknown named rule "${r.name}"; known: ${list(NAMED_RULE_NAMES)}`);
    if (r.system === undefined) issue('.survivorship.system', 'a named rule needs "system": the system it centres on');
    else needSource('.survivorship.system', r.system);
    r.fallback.forEach((s, i) => {
      needSource(`.survivorship.fallback[${i}]`, s);
      if (s === r.system) issue(`.survivorship.fallback[${i}]`, `"${s}" is the rule's system itself`);
    });
    noRepeats('.survivorship.fallback', r.fallback);
  }

  const c: ParsedConflict | undefined = parsePart(conflictSchema, f.conflict, `${at}.conflict`, out);
  if (c !== undefined) {
    if (!(COMPARATOR_NAMES as string[]).includes(c.compare)) issue('.conflict.compare', `unknown comparator "${c.compare}"; known: ${list(COMPARATOR_NAMES)}`);
    if (c.explainedBy !== undefined) {
      if (c.explainedBy === name) issue('.conflict.explainedBy', 'a field cannot explain itself');
      else if (!(c.explainedBy in all)) issue('.conflict.explainedBy', `names no field: "${c.explainedBy}"`);
    }
  }
  if (out.length > before || r === undefined || c === undefined) return undefined;

  // Checked above: names are known, so the casts only narrow strings to their name unions.
  const survivorship: Survivorship =
    r.rule === 'named' ? { rule: 'named', name: r.name as NamedRuleName, system: r.system!, fallback: r.fallback }
    : r.rule === 'mostRecent' ? (r.tieBreak === undefined ? { rule: 'mostRecent' } : { rule: 'mostRecent', tieBreak: r.tieBreak })
    : r;
  const conflict: ConflictPolicy = { class: c.class, compare: c.compare as ComparatorName, recency: c.recency };
  if (c.explainedBy !== undefined) conflict.explainedBy = c.explainedBy;
  const def: FieldDef = { type: f.type, sources, survivorship, conflict };
  if (f.description !== undefined) def.description = f.description;
  if (f.values !== undefined) def.values = f.values;
  if (f.currencyFrom !== undefined) def.currencyFrom = f.currencyFrom;
  if (isAccessClass(f.access)) def.access = f.access;
  if (Object.keys(writes).length > 0) def.writes = writes;
  return def;
}

/**
 * A field spec from parsed JSON; throws one FieldSpecError listing every problem.
 * `origin` names where it came from in the message (a file path).
 */
export function parseFieldSpec(json: unknown, origin = '(inline)'): FieldSpec {
  const issues: FieldSpecIssue[] = [];
  const top = parsePart(specSchema, json, '$', issues);
  if (top === undefined) throw new FieldSpecError(origin, issues);
  const rawFields = top.fields;
  const typeOf = (field: string): FieldType | undefined => {
    const t = (rawFields[field] as { type?: unknown } | null | undefined)?.type;
    return (FIELD_TYPES as readonly unknown[]).includes(t) ? (t as FieldType) : undefined;
  };
  const fields: Record<string, FieldDef> = {};
  for (const [name, raw] of Object.entries(rawFields)) {
    if (!/^[a-z][A-Za-z0-9]*$/.test(name)) {
      issues.push({ path: `$.fields.${name}`, message: 'field names are camelCase (the GraphQL field name)' });
      continue;
    }
    const def = checkField(name, raw, rawFields, typeOf, issues);
    if (def !== undefined) fields[name] = def;
  }
  if (Object.keys(rawFields).length === 0) issues.push({ path: '$.fields', message: 'the spec defines no fields' });
  if (issues.length > 0) throw new FieldSpecError(origin, issues);
  return { version: 1, fields };
}

/**
 * The field spec at `path` (default: the one shipped at src/mapping/default-spec.json).
 * Config decides the path (`MERIDIAN_MAPPING`); this only reads and validates it.
 */
export function loadFieldSpec(path: string = DEFAULT_SPEC_PATH): FieldSpec {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new FieldSpecError(path, [{ path: '$', message: `cannot read the file: ${(err as Error).message}` }]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new FieldSpecError(path, [{ path: '$', message: `not JSON: ${(err as Error).message}` }]);
  }
  return parseFieldSpec(json, path);
}

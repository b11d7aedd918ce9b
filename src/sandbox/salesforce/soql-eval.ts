// Binds a parsed SOQL query to the emulator's schema (names are case-insensitive, results
// use the declared casing) and evaluates it over plain records. Pure: records come in
// through a SoqlDataSource, the clock through `now`.
// https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select_conditionexpression.htm
import { normalizeSalesforceId } from '../kit/ids.ts';
import { SfApiError, parseSfDateTime, scalarText, toSfDateTime } from './errors.ts';
import {
  OBJECTS,
  findChildRelationship,
  findField,
  findObject,
  findRelationship,
  isNumericType,
  isTextType,
  type ChildRelationship,
  type FieldDef,
  type FieldType,
  type ObjectDef,
  type SObjectName,
} from './schema.ts';
import { SoqlSyntaxError, formatSoqlMessage, parseSoql, type Condition, type FieldPath, type Literal, type SoqlQuery } from './soql.ts';

export type SfRecord = Record<string, unknown> & { Id: string };

export interface SoqlDataSource {
  /** Records of one object in creation order; deleted ones only when asked. */
  list(type: SObjectName, includeDeleted: boolean): readonly SfRecord[];
  /** Any record by its 18-char id, deleted or not. */
  get(id: string): SfRecord | undefined;
  /** Whether the org has this field (an org can lack custom fields); every field when absent. */
  hasField?(type: SObjectName, name: string): boolean;
  /**
   * Records of `type` whose reference `field` names `parentId`, deleted ones included, in
   * creation order: what a parent-child subquery reads for one parent (an index, so a page of
   * parents costs its own children, not every child record per parent). Optional: without it
   * the subquery filters `list`.
   */
  children?(type: SObjectName, field: string, parentId: string): readonly SfRecord[];
  /**
   * Records of `type` whose `field` (Id or a reference) is one of `values` (18-char ids), in
   * creation order, deleted ones only when asked: what a query whose WHERE requires `Id IN (…)`
   * or `AccountId = …` reads (an index, so reading one account costs that account, not every
   * account of the org). Optional: without it the query filters `list`.
   */
  byField?(type: SObjectName, field: string, values: readonly string[], includeDeleted: boolean): readonly SfRecord[];
}

export interface SoqlOptions {
  /** `queryAll` semantics: rows with IsDeleted = true are visible. */
  includeDeleted: boolean;
  now: Date;
  /** `/services/data/vXX.X`, for `attributes.url`. */
  apiBase: string;
}

export interface SoqlResult {
  objectName: SObjectName;
  countOnly: boolean;
  totalSize: number;
  records: Record<string, unknown>[];
}

/**
 * A query selected and ordered but not yet rendered: `render(from, to)` builds the answer rows
 * of that range only (fields, parent lookups, child subqueries). A query cursor renders one page
 * per request, so a large answer costs its selection once and each page its own rows.
 */
export interface PreparedSoql {
  objectName: SObjectName;
  countOnly: boolean;
  totalSize: number;
  render(from: number, to: number): Record<string, unknown>[];
}

const MAX_OFFSET = 2000;
const FIELDS_LIMIT = 200;

const NO_SUCH_COLUMN = (field: string, entity: string): string =>
  `No such column '${field}' on entity '${entity}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`;
const NO_SUCH_RELATIONSHIP = (rel: string): string =>
  `Didn't understand relationship '${rel}' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.`;
export const UNSUPPORTED_TYPE = (name: string): string =>
  `sObject type '${name}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.`;

// ---------- binding ----------
interface BoundPath {
  /** Reference fields walked from the base object, in order. */
  rels: FieldDef[];
  field: FieldDef;
}

type Key = string | number;
type Predicate = (rec: SfRecord) => boolean;

interface ProjField {
  kind: 'field';
  field: FieldDef;
}
interface ProjRel {
  kind: 'rel';
  rel: FieldDef;
  target: ObjectDef;
  children: Map<string, ProjNode>;
}
interface ProjSub {
  kind: 'sub';
  child: ChildRelationship;
  query: BoundQuery;
}
type ProjNode = ProjField | ProjRel | ProjSub;

interface BoundQuery {
  object: ObjectDef;
  countOnly: boolean;
  projection: Map<string, ProjNode>;
  where: Predicate | null;
  /** The only values `where` lets one field have (Id or a reference: `= …`, `IN (…)`), or null. */
  narrow: { field: string; values: string[] } | null;
  orderBy: { path: BoundPath; descending: boolean; nullsFirst: boolean }[];
  limit: number | null;
  offset: number | null;
}

interface Ctx {
  ds: SoqlDataSource;
  opts: SoqlOptions;
}

function bindPath(ctx: Ctx, obj: ObjectDef, alias: string | null, fp: FieldPath): BoundPath {
  let segments = fp.path;
  const head = segments[0]?.toLowerCase();
  if (segments.length > 1 && head !== undefined && (head === alias?.toLowerCase() || (head === obj.name.toLowerCase() && !findRelationship(obj, head)))) {
    segments = segments.slice(1);
  }
  const rels: FieldDef[] = [];
  let current = obj;
  for (const seg of segments.slice(0, -1)) {
    const rel = findRelationship(current, seg);
    if (!rel?.referenceTo) throw new SoqlSyntaxError('INVALID_FIELD', NO_SUCH_RELATIONSHIP(seg), fp.pos);
    rels.push(rel);
    current = OBJECTS[rel.referenceTo];
  }
  const last = segments[segments.length - 1] ?? '';
  const found = findField(current, last);
  const field = found && (ctx.ds.hasField?.(current.name, found.name) ?? true) ? found : undefined;
  if (!field) throw new SoqlSyntaxError('INVALID_FIELD', NO_SUCH_COLUMN(last, current.name), fp.pos);
  return { rels, field };
}

function typeWord(t: FieldType): string {
  if (t === 'int') return 'integer';
  if (isNumericType(t)) return 'double';
  if (t === 'datetime') return 'dateTime';
  if (t === 'id' || t === 'reference') return 'reference';
  if (isTextType(t)) return 'string';
  return t;
}

function wrongType(field: FieldDef, lit: Literal): SoqlSyntaxError {
  const quoted = isTextType(field.type) || field.type === 'id' || field.type === 'reference';
  return new SoqlSyntaxError(
    'INVALID_FIELD',
    `value of filter criterion for field '${field.name}' must be of type ${typeWord(field.type)} and ${quoted ? 'should be enclosed in quotes' : 'should not be enclosed in quotes'}`,
    lit.pos,
  );
}

/** A literal in the key space of its field, or a [start, end) range for date literals. */
type BoundValue = { kind: 'key'; key: Key | null } | { kind: 'range'; start: number; end: number };

const DAY = 86_400_000;

function startOfUtcDay(ms: number): number {
  return Math.floor(ms / DAY) * DAY;
}

function addMonths(ms: number, months: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, 1);
}

/**
 * Date literals as [start, end) in ms, in UTC (a real org uses the running user's time zone;
 * weeks start on Sunday, as in the en_US locale).
 * https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select_dateformats.htm
 */
export function dateLiteralRange(name: string, n: number | null, now: Date): { start: number; end: number } {
  const today = startOfUtcDay(now.getTime());
  const k = n ?? 0;
  const week = today - new Date(today).getUTCDay() * DAY;
  const month = addMonths(today, 0);
  const qMonth = Math.floor(new Date(today).getUTCMonth() / 3) * 3;
  const quarter = Date.UTC(new Date(today).getUTCFullYear(), qMonth, 1);
  const year = Date.UTC(new Date(today).getUTCFullYear(), 0, 1);
  const years = (base: number, delta: number): number => addMonths(base, delta * 12);
  switch (name) {
    case 'TODAY': return { start: today, end: today + DAY };
    case 'YESTERDAY': return { start: today - DAY, end: today };
    case 'TOMORROW': return { start: today + DAY, end: today + 2 * DAY };
    case 'LAST_N_DAYS': return { start: today - k * DAY, end: today + DAY };
    case 'LAST_90_DAYS': return { start: today - 90 * DAY, end: today + DAY };
    case 'NEXT_N_DAYS': return { start: today + DAY, end: today + (k + 1) * DAY };
    case 'NEXT_90_DAYS': return { start: today + DAY, end: today + 91 * DAY };
    case 'N_DAYS_AGO': return { start: today - k * DAY, end: today - (k - 1) * DAY };
    case 'THIS_WEEK': return { start: week, end: week + 7 * DAY };
    case 'LAST_WEEK': return { start: week - 7 * DAY, end: week };
    case 'NEXT_WEEK': return { start: week + 7 * DAY, end: week + 14 * DAY };
    case 'LAST_N_WEEKS': return { start: week - 7 * k * DAY, end: week };
    case 'NEXT_N_WEEKS': return { start: week + 7 * DAY, end: week + 7 * (k + 1) * DAY };
    case 'THIS_MONTH': return { start: month, end: addMonths(month, 1) };
    case 'LAST_MONTH': return { start: addMonths(month, -1), end: month };
    case 'NEXT_MONTH': return { start: addMonths(month, 1), end: addMonths(month, 2) };
    case 'LAST_N_MONTHS': return { start: addMonths(month, -k), end: month };
    case 'NEXT_N_MONTHS': return { start: addMonths(month, 1), end: addMonths(month, k + 1) };
    case 'THIS_QUARTER': return { start: quarter, end: addMonths(quarter, 3) };
    case 'LAST_QUARTER': return { start: addMonths(quarter, -3), end: quarter };
    case 'NEXT_QUARTER': return { start: addMonths(quarter, 3), end: addMonths(quarter, 6) };
    case 'LAST_N_QUARTERS': return { start: addMonths(quarter, -3 * k), end: quarter };
    case 'NEXT_N_QUARTERS': return { start: addMonths(quarter, 3), end: addMonths(quarter, 3 * (k + 1)) };
    case 'THIS_YEAR': return { start: year, end: years(year, 1) };
    case 'LAST_YEAR': return { start: years(year, -1), end: year };
    case 'NEXT_YEAR': return { start: years(year, 1), end: years(year, 2) };
    case 'LAST_N_YEARS': return { start: years(year, -k), end: year };
    case 'NEXT_N_YEARS': return { start: years(year, 1), end: years(year, k + 1) };
    default: throw new Error(`unknown date literal ${name}`);
  }
}

/** A stored value in a space where equal means equal and order means order for its type. */
export function keyOf(type: FieldType, v: unknown): Key | null {
  if (v === null || v === undefined) return null;
  const s = scalarText(v);
  if (isTextType(type)) return s.toLowerCase();
  if (type === 'id' || type === 'reference') return s;
  if (isNumericType(type)) return Number(v);
  if (type === 'boolean') return v === true ? 1 : 0;
  if (type === 'date') return Date.parse(`${s}T00:00:00Z`);
  return parseSfDateTime(s) ?? Date.parse(s);
}

function bindLiteral(field: FieldDef, lit: Literal, now: Date): BoundValue {
  if (lit.kind === 'null') return { kind: 'key', key: null };
  const t = field.type;
  if (t === 'id' || t === 'reference') {
    if (lit.kind !== 'string') throw wrongType(field, lit);
    const id = normalizeSalesforceId(lit.value);
    if (!id) throw new SoqlSyntaxError('INVALID_QUERY_FILTER_OPERATOR', `invalid ID field: ${lit.value}`, lit.pos);
    return { kind: 'key', key: id };
  }
  if (isTextType(t)) {
    if (lit.kind !== 'string') throw wrongType(field, lit);
    return { kind: 'key', key: lit.value.toLowerCase() };
  }
  if (isNumericType(t)) {
    if (lit.kind !== 'number') throw wrongType(field, lit);
    return { kind: 'key', key: lit.value };
  }
  if (t === 'boolean') {
    if (lit.kind !== 'boolean') throw wrongType(field, lit);
    return { kind: 'key', key: lit.value ? 1 : 0 };
  }
  if (lit.kind === 'dateLiteral') return { kind: 'range', ...dateLiteralRange(lit.name, lit.n, now) };
  if (t === 'date' && lit.kind === 'date') return { kind: 'key', key: Date.parse(`${lit.value}T00:00:00Z`) };
  if (t === 'datetime' && lit.kind === 'datetime') return { kind: 'key', key: parseSfDateTime(lit.value) ?? Date.parse(lit.value) };
  throw wrongType(field, lit);
}

function compareKeys(a: Key, b: Key): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

function likeRegex(pattern: string): RegExp {
  let src = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charAt(i);
    if (c === '\\' && (pattern.charAt(i + 1) === '%' || pattern.charAt(i + 1) === '_')) {
      src += `\\${pattern.charAt(i + 1)}`;
      i++;
    } else if (c === '%') src += '.*';
    else if (c === '_') src += '.';
    else src += c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  }
  return new RegExp(`^${src}$`, 'is');
}

function resolve(ctx: Ctx, rec: SfRecord, path: BoundPath): unknown {
  let current: SfRecord | undefined = rec;
  for (const rel of path.rels) {
    const id = current[rel.name];
    if (typeof id !== 'string') return null;
    current = ctx.ds.get(id);
    if (!current || (current.IsDeleted === true && !ctx.opts.includeDeleted)) return null;
  }
  return current[path.field.name] ?? null;
}

function bindCondition(ctx: Ctx, obj: ObjectDef, alias: string | null, c: Condition): Predicate {
  switch (c.kind) {
    case 'and': {
      const ps = c.items.map((i) => bindCondition(ctx, obj, alias, i));
      return (r) => ps.every((p) => p(r));
    }
    case 'or': {
      const ps = c.items.map((i) => bindCondition(ctx, obj, alias, i));
      return (r) => ps.some((p) => p(r));
    }
    case 'not': {
      const p = bindCondition(ctx, obj, alias, c.item);
      return (r) => !p(r);
    }
    case 'compare': {
      const path = bindPath(ctx, obj, alias, c.field);
      const bv = bindLiteral(path.field, c.value, ctx.opts.now);
      const type = path.field.type;
      const op = c.op;
      if (bv.kind === 'range') {
        return (r) => {
          const k = keyOf(type, resolve(ctx, r, path));
          if (k === null) return op === '!=';
          const v = k as number;
          switch (op) {
            case '=': return v >= bv.start && v < bv.end;
            case '!=': return v < bv.start || v >= bv.end;
            case '<': return v < bv.start;
            case '<=': return v < bv.end;
            case '>': return v >= bv.end;
            case '>=': return v >= bv.start;
          }
        };
      }
      const lit = bv.key;
      return (r) => {
        const k = keyOf(type, resolve(ctx, r, path));
        // SOQL is not SQL: `!=` keeps rows whose value is null, ordering operators drop them.
        if (lit === null) return op === '=' ? k === null : op === '!=' ? k !== null : false;
        if (k === null) return op === '!=';
        const d = compareKeys(k, lit);
        switch (op) {
          case '=': return d === 0;
          case '!=': return d !== 0;
          case '<': return d < 0;
          case '<=': return d <= 0;
          case '>': return d > 0;
          case '>=': return d >= 0;
        }
      };
    }
    case 'like': {
      const path = bindPath(ctx, obj, alias, c.field);
      if (!isTextType(path.field.type) && path.field.type !== 'id' && path.field.type !== 'reference') {
        throw new SoqlSyntaxError('INVALID_QUERY_FILTER_OPERATOR', `invalid operator on ${typeWord(path.field.type)} field: ${path.field.name}`, c.pos);
      }
      const re = likeRegex(c.pattern);
      return (r) => {
        const v = resolve(ctx, r, path);
        return v !== null && v !== undefined && re.test(scalarText(v));
      };
    }
    case 'in': {
      const path = bindPath(ctx, obj, alias, c.field);
      const values = c.values.map((v) => bindLiteral(path.field, v, ctx.opts.now));
      const keys = new Set<Key | null>();
      for (const v of values) {
        if (v.kind === 'range') throw new SoqlSyntaxError('MALFORMED_QUERY', 'Date literals are not supported in IN lists', c.pos);
        keys.add(v.key);
      }
      return (r) => keys.has(keyOf(path.field.type, resolve(ctx, r, path))) !== c.negated;
    }
    case 'inQuery': {
      const path = bindPath(ctx, obj, alias, c.field);
      if (path.field.type !== 'id' && path.field.type !== 'reference') {
        throw new SoqlSyntaxError('INVALID_FIELD', `Semi join sub-selects are only allowed on id or reference fields: ${path.field.name}`, c.pos);
      }
      const inner = bindQuery(ctx, c.query, null);
      const only = [...inner.projection.values()];
      const first = only[0];
      if (only.length !== 1 || first?.kind !== 'field' || (first.field.type !== 'id' && first.field.type !== 'reference')) {
        throw new SoqlSyntaxError('MALFORMED_QUERY', 'The selected field in a semi join sub-select must be an id or reference field', c.pos);
      }
      let ids: Set<unknown> | null = null;
      return (r) => {
        ids ??= new Set(runBound({ ...ctx, opts: { ...ctx.opts, includeDeleted: false } }, inner).map((row) => row[first.field.name]));
        const v = resolve(ctx, r, path);
        return (v !== null && ids.has(v)) !== c.negated;
      };
    }
  }
}

function addToProjection(projection: Map<string, ProjNode>, path: BoundPath): void {
  let level = projection;
  for (const rel of path.rels) {
    const key = rel.relationshipName!;
    let node = level.get(key);
    if (!node || node.kind !== 'rel') {
      node = { kind: 'rel', rel, target: OBJECTS[rel.referenceTo!], children: new Map() };
      level.set(key, node);
    }
    level = node.children;
  }
  if (!level.has(path.field.name)) level.set(path.field.name, { kind: 'field', field: path.field });
}

function bindQuery(ctx: Ctx, q: SoqlQuery, parent: ObjectDef | null): BoundQuery {
  let object: ObjectDef;
  if (parent) {
    const child = findChildRelationship(parent, q.from.name);
    if (!child) {
      throw new SoqlSyntaxError(
        'INVALID_TYPE',
        `Didn't understand relationship '${q.from.name}' in FROM part of query call. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.`,
        q.from.pos,
      );
    }
    object = OBJECTS[child.childSObject];
  } else {
    const found = findObject(q.from.name);
    if (!found) throw new SoqlSyntaxError('INVALID_TYPE', UNSUPPORTED_TYPE(q.from.name), q.from.pos);
    object = found;
  }
  const alias = q.from.alias;
  const projection = new Map<string, ProjNode>();
  let countOnly = false;
  for (const item of q.select) {
    switch (item.kind) {
      case 'count':
        if (q.select.length > 1 || parent) throw new SoqlSyntaxError('MALFORMED_QUERY', 'COUNT() must be the only element in the SELECT list', item.pos);
        countOnly = true;
        break;
      case 'fields':
        if (item.which !== 'STANDARD' && (q.limit === null || q.limit > FIELDS_LIMIT)) {
          throw new SoqlSyntaxError('MALFORMED_QUERY', `The SOQL FIELDS function must have a LIMIT of at most ${FIELDS_LIMIT}`, item.pos);
        }
        for (const f of object.fields) {
          if (!(ctx.ds.hasField?.(object.name, f.name) ?? true)) continue;
          if (item.which === 'ALL' || (item.which === 'CUSTOM') === (f.custom ?? false)) addToProjection(projection, { rels: [], field: f });
        }
        break;
      case 'field':
        addToProjection(projection, bindPath(ctx, object, alias, item.field));
        break;
      case 'subquery': {
        if (parent) throw new SoqlSyntaxError('MALFORMED_QUERY', `unexpected token: '('`, item.pos);
        const sub = bindQuery(ctx, item.query, object);
        const rel = findChildRelationship(object, item.query.from.name)!;
        projection.set(rel.relationshipName, { kind: 'sub', child: rel, query: sub });
        break;
      }
    }
  }
  if (!parent && q.offset !== null && q.offset > MAX_OFFSET) {
    throw new SoqlSyntaxError('NUMBER_OUTSIDE_VALID_RANGE', `Maximum SOQL offset allowed is ${MAX_OFFSET}`, 0);
  }
  return {
    object,
    countOnly,
    projection,
    where: q.where ? bindCondition(ctx, object, alias, q.where) : null,
    narrow: q.where ? valuesRequired(q.where, object, alias) : null,
    orderBy: q.orderBy.map((o) => ({ path: bindPath(ctx, object, alias, o.field), descending: o.descending, nullsFirst: o.nulls ? o.nulls === 'first' : !o.descending })),
    limit: q.limit,
    offset: q.offset,
  };
}

/**
 * The ids a condition requires of the record's Id or of one of its references, when it says so
 * at its top level (`Id = 'x'`, `AccountId IN ('x', 'y')`, or either ANDed with anything); null
 * otherwise. The condition itself is still applied to the records read: this only narrows what
 * is read.
 */
function valuesRequired(c: Condition, obj: ObjectDef, alias: string | null): { field: string; values: string[] } | null {
  if (c.kind === 'and') {
    for (const item of c.items) {
      const found = valuesRequired(item, obj, alias);
      if (found) return found;
    }
    return null;
  }
  if (c.kind !== 'compare' && c.kind !== 'in') return null;
  const path = alias && c.field.path.length === 2 && c.field.path[0]!.toLowerCase() === alias.toLowerCase() ? c.field.path.slice(1) : c.field.path;
  const field = path.length === 1 ? findField(obj, path[0]!) : undefined;
  if (!field || (field.type !== 'id' && field.type !== 'reference')) return null;
  const literals = c.kind === 'compare' ? (c.op === '=' ? [c.value] : []) : c.negated ? [] : c.values;
  if (literals.length === 0) return null;
  const values: string[] = [];
  for (const lit of literals) {
    const id = lit.kind === 'string' ? normalizeSalesforceId(lit.value) : null;
    if (!id) return null;
    values.push(id);
  }
  return { field: field.name, values };
}

// ---------- evaluation ----------
function wireValue(f: FieldDef, v: unknown): unknown {
  if (v === undefined || v === null) return null;
  if (f.type === 'datetime' && typeof v === 'string') return toSfDateTime(v);
  return v;
}

function attributes(ctx: Ctx, type: string, id: string): { type: string; url: string } {
  return { type, url: `${ctx.opts.apiBase}/sobjects/${type}/${id}` };
}

function render(ctx: Ctx, obj: ObjectDef, rec: SfRecord, projection: Map<string, ProjNode>): Record<string, unknown> {
  const out: Record<string, unknown> = { attributes: attributes(ctx, obj.name, rec.Id) };
  for (const [key, node] of projection) {
    if (node.kind === 'field') {
      out[key] = wireValue(node.field, rec[node.field.name]);
    } else if (node.kind === 'rel') {
      const id = rec[node.rel.name];
      const parent = typeof id === 'string' ? ctx.ds.get(id) : undefined;
      out[key] = parent && (parent.IsDeleted !== true || ctx.opts.includeDeleted) ? render(ctx, node.target, parent, node.children) : null;
    } else {
      const own = ctx.ds.children?.(node.query.object.name, node.child.field, rec.Id);
      const rows = own ? runBound(ctx, node.query, undefined, own) : runBound(ctx, node.query, (r) => r[node.child.field] === rec.Id);
      // Salesforce answers null, not an empty result, for a parent without children.
      out[key] = rows.length === 0 ? null : { totalSize: rows.length, done: true, records: rows };
    }
  }
  return out;
}

function selectRows(ctx: Ctx, q: BoundQuery, scope?: Predicate, from?: readonly SfRecord[]): SfRecord[] {
  const base = from
    ? ctx.opts.includeDeleted
      ? from
      : from.filter((r) => r.IsDeleted !== true)
    : q.narrow && !scope && ctx.ds.byField
      ? ctx.ds.byField(q.object.name, q.narrow.field, q.narrow.values, ctx.opts.includeDeleted)
      : ctx.ds.list(q.object.name, ctx.opts.includeDeleted);
  let rows = base.filter((r) => (!scope || scope(r)) && (!q.where || q.where(r)));
  if (q.orderBy.length > 0) {
    const keyed = rows.map((r) => ({ r, keys: q.orderBy.map((o) => keyOf(o.path.field.type, resolve(ctx, r, o.path))) }));
    keyed.sort((a, b) => {
      for (let i = 0; i < q.orderBy.length; i++) {
        const o = q.orderBy[i]!;
        const ka = a.keys[i] ?? null;
        const kb = b.keys[i] ?? null;
        if (ka === null && kb === null) continue;
        if (ka === null) return o.nullsFirst ? -1 : 1;
        if (kb === null) return o.nullsFirst ? 1 : -1;
        const d = compareKeys(ka, kb);
        if (d !== 0) return o.descending ? -d : d;
      }
      return 0;
    });
    rows = keyed.map((k) => k.r);
  }
  const start = q.offset ?? 0;
  return rows.slice(start, q.limit === null ? undefined : start + q.limit);
}

function runBound(ctx: Ctx, q: BoundQuery, scope?: Predicate, from?: readonly SfRecord[]): Record<string, unknown>[] {
  return selectRows(ctx, q, scope, from).map((r) => render(ctx, q.object, r, q.projection));
}

/**
 * Parses, binds and runs one SOQL statement. Throws SfApiError (400) with Salesforce's
 * errorCode and its caret-style message on any problem with the query.
 */
export function runSoql(source: string, ds: SoqlDataSource, opts: SoqlOptions): SoqlResult {
  const prepared = prepareSoql(source, ds, opts);
  return { objectName: prepared.objectName, countOnly: prepared.countOnly, totalSize: prepared.totalSize, records: prepared.render(0, prepared.totalSize) };
}

/** Parses, binds and selects; rendering waits for `render` (see PreparedSoql). Errors as runSoql. */
export function prepareSoql(source: string, ds: SoqlDataSource, opts: SoqlOptions): PreparedSoql {
  const ctx: Ctx = { ds, opts };
  try {
    const bound = bindQuery(ctx, parseSoql(source), null);
    const rows = selectRows(ctx, bound);
    if (bound.countOnly) return { objectName: bound.object.name, countOnly: true, totalSize: rows.length, render: () => [] };
    return {
      objectName: bound.object.name,
      countOnly: false,
      totalSize: rows.length,
      render: (from, to) => rows.slice(from, to).map((r) => render(ctx, bound.object, r, bound.projection)),
    };
  } catch (e) {
    if (e instanceof SoqlSyntaxError) {
      const message = e.errorCode === 'NUMBER_OUTSIDE_VALID_RANGE' ? e.message : formatSoqlMessage(source, e.pos, e.message);
      throw new SfApiError(400, e.errorCode, message);
    }
    throw e;
  }
}

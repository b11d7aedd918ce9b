// The org's records: validation and derived fields the way Salesforce applies them on
// write, the recycle bin (IsDeleted rows), and a change log that feeds the updated/deleted
// endpoints and outbound messages. Writes through HTTP and through this class in-process
// go down the same path, so both notify.
// https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_calls_concepts_core_data_objects.htm
import { normalizeSalesforceId, salesforceId } from '../kit/ids.ts';
import type { SalesforceData } from '../world/types.ts';
import { SfApiError, entityDeletedError, scalarText, isValidDate, jsonParserError, notFoundError, parseSfDateTime } from './errors.ts';
import {
  OBJECTS,
  OPPORTUNITY_STAGES,
  findField,
  findObject,
  findRelationship,
  isNumericType,
  isTextType,
  objectForId,
  type FieldDef,
  type ObjectDef,
  type SObjectName,
} from './schema.ts';
import type { SfRecord, SoqlDataSource } from './soql-eval.ts';

export type { SfRecord } from './soql-eval.ts';

export interface ChangeEvent {
  seq: number;
  at: string;
  type: SObjectName;
  id: string;
  kind: 'created' | 'updated' | 'deleted';
  /** Fields whose value changed (every non-null field on create). */
  fields: string[];
  /** The record after the change. */
  record: SfRecord;
}

export type ChangeListener = (event: ChangeEvent) => void;

/** Field values ready to apply, keyed by declared field name. */
export type PreparedFields = Record<string, unknown>;

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function describeJsonToken(v: unknown): string {
  if (typeof v === 'string') return `VALUE_STRING value ${v}`;
  if (typeof v === 'number') return Number.isInteger(v) ? `VALUE_NUMBER_INT value ${v}` : `VALUE_NUMBER_FLOAT value ${v}`;
  if (typeof v === 'boolean') return v ? 'VALUE_TRUE value true' : 'VALUE_FALSE value false';
  if (Array.isArray(v)) return 'START_ARRAY value [';
  return 'START_OBJECT value {';
}

function cannotDeserialize(f: FieldDef, v: unknown): SfApiError {
  const javaType = f.type === 'int' ? 'int' : isNumericType(f.type) ? 'double' : f.type === 'boolean' ? 'boolean' : f.type === 'date' ? 'date' : f.type === 'datetime' ? 'datetime' : 'string';
  return jsonParserError(`Cannot deserialize instance of ${javaType} from ${describeJsonToken(v)} or request may be missing a required field`);
}

export interface StoreOptions {
  now: () => Date;
  /** The API user: default owner of new records. */
  integrationUser: { Id: string; Name: string; Email: string; Username: string };
  /**
   * Fields this org does not have, as `Object.Field` (e.g. `Account.Stripe_Customer_Id__c`):
   * absent from describe, refused by SOQL and writes, never rendered. Lets a test run an org
   * without Meridian's custom fields.
   */
  omitFields?: readonly string[];
}

const NO_RECORDS: readonly SfRecord[] = Object.freeze([]);

export class SalesforceStore {
  readonly orgId: string;
  readonly #now: () => Date;
  readonly #byType = new Map<SObjectName, SfRecord[]>();
  readonly #byId = new Map<string, SfRecord>();
  /** Each record's object and place in its object's list (lists only grow: places hold). */
  readonly #place = new Map<string, { type: SObjectName; at: number }>();
  readonly #deletedAt = new Map<string, string>();
  readonly #changes: ChangeEvent[] = [];
  readonly #listeners = new Set<ChangeListener>();
  readonly #counters = new Map<string, number>();
  #seq = 0;
  readonly integrationUserId: string;
  /** `object.field`, lower-cased: the fields this org lacks. */
  readonly #omitted: ReadonlySet<string>;

  constructor(data: SalesforceData, options: StoreOptions) {
    this.orgId = data.orgId;
    this.#now = options.now;
    this.#omitted = new Set((options.omitFields ?? []).map((f) => f.toLowerCase()));
    for (const name of Object.keys(OBJECTS) as SObjectName[]) this.#byType.set(name, []);
    const complete = (type: SObjectName, r: object): SfRecord => {
      const rec: Record<string, unknown> = {};
      for (const f of OBJECTS[type].fields) rec[f.name] = null;
      return Object.assign(rec, structuredClone(r)) as SfRecord;
    };
    for (const u of data.users) this.#load('User', complete('User', { Username: u.Email, ...u }));
    const iu = options.integrationUser;
    const existing = data.users.find((u) => u.Email.toLowerCase() === iu.Username.toLowerCase());
    if (existing) {
      this.integrationUserId = existing.Id;
    } else {
      const at = this.#now().toISOString();
      this.#load('User', complete('User', { ...iu, IsActive: true, CreatedDate: at, LastModifiedDate: at, SystemModstamp: at }));
      this.integrationUserId = iu.Id;
    }
    for (const a of data.accounts) this.#load('Account', complete('Account', a));
    for (const c of data.contacts) {
      // The world's contacts carry no owner; Salesforce always has one, usually the account's.
      const ownerId = c.AccountId ? this.#byId.get(c.AccountId)?.OwnerId : undefined;
      this.#load('Contact', complete('Contact', { OwnerId: ownerId ?? this.integrationUserId, ...c }));
    }
    for (const o of data.opportunities) this.#load('Opportunity', complete('Opportunity', o));
  }

  #load(type: SObjectName, rec: SfRecord): void {
    const list = this.#byType.get(type)!;
    this.#place.set(rec.Id, { type, at: list.length });
    list.push(rec);
    this.#byId.set(rec.Id, rec);
    if (rec.IsDeleted === true) this.#deletedAt.set(rec.Id, String(rec.SystemModstamp));
  }

  // ---------- reads ----------
  /** A copy of one record (deleted ones included), or undefined. Accepts 15- or 18-char ids. */
  get(type: SObjectName, id: string): SfRecord | undefined {
    const rec = this.#find(type, id);
    return rec ? structuredClone(rec) : undefined;
  }

  list(type: SObjectName, options: { includeDeleted?: boolean } = {}): SfRecord[] {
    return this.#byType.get(type)!.filter((r) => options.includeDeleted === true || r.IsDeleted !== true).map((r) => structuredClone(r));
  }

  count(type: SObjectName, options: { includeDeleted?: boolean } = {}): number {
    return this.#byType.get(type)!.filter((r) => options.includeDeleted === true || r.IsDeleted !== true).length;
  }

  /** The change log, oldest first. */
  changes(options: { sinceSeq?: number; type?: SObjectName } = {}): ChangeEvent[] {
    return this.#changes.filter((c) => (options.sinceSeq === undefined || c.seq > options.sinceSeq) && (options.type === undefined || c.type === options.type));
  }

  onChange(listener: ChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Stored records SOQL reads have walked over (a whole object's list counts all of it, a
   * parent's children count themselves). Tests count work with it instead of timing.
   */
  get examined(): number {
    return this.#examined;
  }
  #examined = 0;

  /** Read access for SOQL, without copies. */
  readonly dataSource: SoqlDataSource = {
    list: (type, includeDeleted) => {
      const all = this.#byType.get(type)!;
      this.#examined += all.length;
      return includeDeleted ? all : all.filter((r) => r.IsDeleted !== true);
    },
    get: (id) => this.#byId.get(id),
    byField: (type, field, values, includeDeleted) => {
      const holding = (v: string): readonly SfRecord[] => {
        if (field !== 'Id') return this.#childIndex(type, field).get(v) ?? NO_RECORDS;
        const rec = this.#byId.get(v);
        return rec ? [rec] : NO_RECORDS;
      };
      const found: { at: number; rec: SfRecord }[] = [];
      for (const v of new Set(values)) {
        for (const rec of holding(v)) {
          const place = this.#place.get(rec.Id);
          if (!place || place.type !== type || (!includeDeleted && rec.IsDeleted === true)) continue;
          found.push({ at: place.at, rec });
        }
      }
      found.sort((a, b) => a.at - b.at);
      this.#examined += found.length;
      return found.map((f) => f.rec);
    },
    hasField: (type, name) => this.hasField(type, name),
    children: (type, field, parentId) => {
      const own = this.#childIndex(type, field).get(parentId) ?? NO_RECORDS;
      this.#examined += own.length;
      return own;
    },
  };

  /**
   * Records of `type` grouped by the parent their reference `field` names, built on first use
   * and again after any change (every change bumps #seq). A parent-child subquery then reads
   * each parent's children instead of filtering every child record once per parent.
   */
  readonly #childIndexes = new Map<string, { seq: number; byParent: Map<string, SfRecord[]> }>();
  #childIndex(type: SObjectName, field: string): Map<string, SfRecord[]> {
    const key = `${type}.${field}`;
    const cached = this.#childIndexes.get(key);
    if (cached?.seq === this.#seq) return cached.byParent;
    const byParent = new Map<string, SfRecord[]>();
    this.#examined += this.#byType.get(type)!.length;
    for (const r of this.#byType.get(type)!) {
      const parent = r[field];
      if (typeof parent !== 'string') continue;
      const list = byParent.get(parent);
      if (list) list.push(r);
      else byParent.set(parent, [r]);
    }
    this.#childIndexes.set(key, { seq: this.#seq, byParent });
    return byParent;
  }

  #find(type: SObjectName, id: string): SfRecord | undefined {
    const full = normalizeSalesforceId(id);
    if (!full) return undefined;
    const rec = this.#byId.get(full);
    return rec && objectForId(full)?.name === type ? rec : undefined;
  }

  /** A live record for a write; NOT_FOUND or ENTITY_IS_DELETED otherwise. */
  requireLive(type: SObjectName, id: string): SfRecord {
    const rec = this.#find(type, id);
    if (!rec) throw notFoundError();
    if (rec.IsDeleted === true) throw entityDeletedError();
    return rec;
  }

  /** Live records whose external id field equals `value` (case-insensitive, as Salesforce matches). */
  findByExternalId(type: SObjectName, field: FieldDef, value: string): SfRecord[] {
    if (field.type === 'id') {
      const rec = this.#find(type, value);
      return rec && rec.IsDeleted !== true ? [rec] : [];
    }
    const lower = value.toLowerCase();
    return this.#byType.get(type)!.filter((r) => r.IsDeleted !== true && typeof r[field.name] === 'string' && (r[field.name] as string).toLowerCase() === lower);
  }

  /** Ids of live records whose SystemModstamp lies in [start, end]. */
  updatedIds(type: SObjectName, startMs: number, endMs: number): string[] {
    return this.#byType
      .get(type)!
      .filter((r) => {
        if (r.IsDeleted === true) return false;
        const t = Date.parse(String(r.SystemModstamp));
        return t >= startMs && t <= endMs;
      })
      .map((r) => r.Id);
  }

  deletedRecords(type: SObjectName, startMs: number, endMs: number): { id: string; deletedDate: string }[] {
    const out: { id: string; deletedDate: string }[] = [];
    for (const [id, at] of this.#deletedAt) {
      const t = Date.parse(at);
      if (objectForId(id)?.name === type && t >= startMs && t <= endMs) out.push({ id, deletedDate: at });
    }
    return out;
  }

  // ---------- validation ----------
  /** Whether this org has the field (see StoreOptions.omitFields). */
  hasField(type: SObjectName, name: string): boolean {
    return !this.#omitted.has(`${type}.${name}`.toLowerCase());
  }

  /** The object's fields as this org has them. */
  fieldsOf(type: SObjectName): readonly FieldDef[] {
    return this.#omitted.size === 0 ? OBJECTS[type].fields : OBJECTS[type].fields.filter((f) => this.hasField(type, f.name));
  }

  /** findField, for the fields this org has. */
  findField(obj: ObjectDef, name: string): FieldDef | undefined {
    const f = findField(obj, name);
    return f && this.hasField(obj.name, f.name) ? f : undefined;
  }

  /**
   * Turns a request body into field values for `type`, failing the way Salesforce does:
   * unknown field → INVALID_FIELD, read-only field → INVALID_FIELD_FOR_INSERT_UPDATE,
   * wrong JSON type → JSON_PARSER_ERROR, bad reference → MALFORMED_ID / INVALID_CROSS_REFERENCE_KEY.
   */
  prepare(type: SObjectName, input: Record<string, unknown>, mode: 'create' | 'update'): PreparedFields {
    const obj = OBJECTS[type];
    if (!(mode === 'create' ? obj.createable : obj.updateable)) {
      throw new SfApiError(400, 'INVALID_TYPE', `entity type ${type} does not support ${mode === 'create' ? 'insert' : 'update'}`);
    }
    const out: PreparedFields = {};
    const readOnly: string[] = [];
    for (const [key, raw] of Object.entries(input)) {
      if (key === 'attributes') continue;
      const field = this.findField(obj, key);
      if (!field) {
        const rel = findRelationship(obj, key);
        if (rel && typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
          out[rel.name] = this.#resolveForeignKey(rel, raw as Record<string, unknown>);
          continue;
        }
        throw new SfApiError(400, 'INVALID_FIELD', `No such column '${key}' on sobject of type ${type}`);
      }
      if (field.type === 'id') {
        if (mode === 'create') throw new SfApiError(400, 'INVALID_FIELD', 'cannot specify Id in an insert call', []);
        continue;
      }
      if (!(mode === 'create' ? field.createable : field.updateable)) {
        readOnly.push(field.name);
        continue;
      }
      out[field.name] = this.#coerce(field, raw);
    }
    if (readOnly.length > 0) {
      throw new SfApiError(
        400,
        'INVALID_FIELD_FOR_INSERT_UPDATE',
        `Unable to create/update fields: ${readOnly.join(', ')}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`,
        readOnly,
      );
    }
    const missing = obj.fields
      .filter((f) => f.required && (mode === 'create' ? out[f.name] === undefined || out[f.name] === null : f.name in out && out[f.name] === null))
      .map((f) => f.name);
    if (missing.length > 0) throw new SfApiError(400, 'REQUIRED_FIELD_MISSING', `Required fields are missing: [${missing.join(', ')}]`, missing);
    return out;
  }

  #resolveForeignKey(rel: FieldDef, value: Record<string, unknown>): string {
    const target = OBJECTS[rel.referenceTo!];
    const keys = Object.keys(value).filter((k) => k !== 'attributes');
    const keyName = keys[0];
    const extField = keyName !== undefined && keys.length === 1 ? findField(target, keyName) : undefined;
    if (!extField || !(extField.externalId ?? false) || typeof value[keyName!] !== 'string') {
      throw new SfApiError(400, 'INVALID_FIELD', `Foreign key external ID must name exactly one external id field of ${target.name}`, [rel.name]);
    }
    const extValue = value[keyName!] as string;
    const matches = this.findByExternalId(target.name, extField, extValue);
    if (matches.length === 0) {
      throw new SfApiError(400, 'INVALID_FIELD', `Foreign key external ID: ${extValue} not found for field ${extField.name} in entity ${target.name}`, [rel.name]);
    }
    if (matches.length > 1) {
      throw new SfApiError(400, 'INVALID_FIELD', `Foreign key external ID: ${extValue} matches more than one record for field ${extField.name} in entity ${target.name}`, [rel.name]);
    }
    return matches[0]!.Id;
  }

  #coerce(f: FieldDef, v: unknown): unknown {
    if (v === null) return null;
    if (typeof v === 'object') throw cannotDeserialize(f, v);
    if (isTextType(f.type)) {
      // Salesforce stores an empty text value as null.
      const s = scalarText(v);
      if (s === '') return null;
      if (f.length !== undefined && s.length > f.length) {
        throw new SfApiError(400, 'STRING_TOO_LONG', `${f.label}: data value too large: ${s.length > 60 ? `${s.slice(0, 60)}...` : s} (max length=${f.length})`, [f.name]);
      }
      if (f.type === 'email' && !EMAIL_RE.test(s)) throw new SfApiError(400, 'INVALID_EMAIL_ADDRESS', `${f.label}: invalid email address: ${s}`, [f.name]);
      return s;
    }
    if (isNumericType(f.type)) {
      const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
      if (!Number.isFinite(n) || (f.type === 'int' && !Number.isInteger(n))) throw cannotDeserialize(f, v);
      return n;
    }
    if (f.type === 'boolean') {
      if (typeof v === 'boolean') return v;
      if (v === 'true' || v === 'false') return v === 'true';
      throw cannotDeserialize(f, v);
    }
    if (f.type === 'date') {
      if (typeof v !== 'string') throw cannotDeserialize(f, v);
      const day = v.slice(0, 10);
      if (!isValidDate(day) || (v.length > 10 && parseSfDateTime(v) === null)) throw cannotDeserialize(f, v);
      return day;
    }
    if (f.type === 'datetime') {
      const ms = typeof v === 'string' ? parseSfDateTime(v) : null;
      if (ms === null) throw cannotDeserialize(f, v);
      return new Date(ms).toISOString();
    }
    // reference
    if (typeof v !== 'string') throw cannotDeserialize(f, v);
    if (v === '') return null;
    const id = normalizeSalesforceId(v);
    const target = id ? objectForId(id) : undefined;
    if (!id || target?.name !== f.referenceTo) throw new SfApiError(400, 'MALFORMED_ID', `${f.label}: id value of incorrect type: ${v}`, [f.name]);
    const ref = this.#byId.get(id);
    if (!ref) throw new SfApiError(400, 'INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id', [f.name]);
    if (ref.IsDeleted === true) throw new SfApiError(400, 'ENTITY_IS_DELETED', 'entity is deleted', [f.name]);
    return id;
  }

  // ---------- writes ----------
  #nextId(obj: ObjectDef): string {
    // Far above the generator's counters, so new ids never collide with seeded ones.
    let n = this.#counters.get(obj.keyPrefix) ?? 50_000_000;
    let id: string;
    do {
      n++;
      id = salesforceId(obj.keyPrefix, n);
    } while (this.#byId.has(id));
    this.#counters.set(obj.keyPrefix, n);
    return id;
  }

  #derive(type: SObjectName, rec: SfRecord, changed: PreparedFields, creating: boolean): void {
    if (type === 'Contact') {
      rec.Name = [rec.FirstName, rec.LastName].filter((p) => typeof p === 'string' && p !== '').join(' ');
    }
    if (type === 'Opportunity') {
      const stage = OPPORTUNITY_STAGES.find((s) => s.name.toLowerCase() === String(rec.StageName).toLowerCase());
      rec.IsClosed = stage?.closed ?? false;
      rec.IsWon = stage?.won ?? false;
      // Changing the stage resets the probability to the stage's default unless the write sets it.
      if (stage && (creating || 'StageName' in changed) && !('Probability' in changed)) rec.Probability = stage.probability;
    }
  }

  /** Inserts already-prepared fields (see prepare()); returns the live record. */
  applyCreate(type: SObjectName, fields: PreparedFields): SfRecord {
    const obj = OBJECTS[type];
    const at = this.#now().toISOString();
    const rec = { Id: this.#nextId(obj) } as SfRecord;
    for (const f of obj.fields) if (f.name !== 'Id') rec[f.name] = null;
    Object.assign(rec, fields);
    if ('IsDeleted' in rec) rec.IsDeleted = false;
    if (obj.fields.some((f) => f.name === 'OwnerId') && !rec.OwnerId) rec.OwnerId = this.integrationUserId;
    rec.CreatedDate = at;
    rec.LastModifiedDate = at;
    rec.SystemModstamp = at;
    this.#derive(type, rec, fields, true);
    this.#load(type, rec);
    this.#emit(type, rec, 'created', obj.fields.filter((f) => rec[f.name] !== null && rec[f.name] !== undefined).map((f) => f.name), at);
    return rec;
  }

  /** Updates a live record with already-prepared fields; returns it. */
  applyUpdate(type: SObjectName, id: string, fields: PreparedFields): SfRecord {
    const rec = this.requireLive(type, id);
    const before = { ...rec };
    const at = this.#now().toISOString();
    Object.assign(rec, fields);
    this.#derive(type, rec, fields, false);
    // Salesforce bumps the audit fields on every save, even when no value changes.
    rec.LastModifiedDate = at;
    rec.SystemModstamp = at;
    const changed = OBJECTS[type].fields.filter((f) => before[f.name] !== rec[f.name]).map((f) => f.name);
    this.#emit(type, rec, 'updated', changed, at);
    return rec;
  }

  /** Moves a live record (and, for an Account, its contacts and opportunities) to the recycle bin. */
  applyDelete(type: SObjectName, id: string): void {
    const rec = this.requireLive(type, id);
    const at = this.#now().toISOString();
    const cascade = OBJECTS[type].childRelationships.filter((c) => c.cascadeDelete);
    this.#markDeleted(type, rec, at);
    for (const c of cascade) {
      for (const child of this.#byType.get(c.childSObject)!) {
        if (child.IsDeleted !== true && child[c.field] === rec.Id) this.#markDeleted(c.childSObject, child, at);
      }
    }
  }

  #markDeleted(type: SObjectName, rec: SfRecord, at: string): void {
    rec.IsDeleted = true;
    rec.SystemModstamp = at;
    this.#deletedAt.set(rec.Id, at);
    this.#emit(type, rec, 'deleted', ['IsDeleted', 'SystemModstamp'], at);
  }

  #emit(type: SObjectName, rec: SfRecord, kind: ChangeEvent['kind'], fields: string[], at: string): void {
    const event: ChangeEvent = { seq: ++this.#seq, at, type, id: rec.Id, kind, fields, record: structuredClone(rec) };
    this.#changes.push(event);
    for (const l of this.#listeners) {
      try {
        l(event);
      } catch (e) {
        console.error('[sandbox:salesforce] change listener failed:', e);
      }
    }
  }

  /**
   * Puts a record back as a journal recorded it (src/sandbox/journal.ts): no validation, no
   * change event, no notification. Replaces a seeded record with the same id in place.
   */
  restore(type: SObjectName, record: SfRecord): void {
    if (!OBJECTS[type] || typeof record.Id !== 'string') return;
    // A change without a change event (#seq stays): the children-by-parent indexes are rebuilt.
    this.#childIndexes.clear();
    const rec = structuredClone(record);
    const existing = this.#byId.get(rec.Id);
    if (existing) Object.assign(existing, rec);
    else this.#load(type, rec);
    if (rec.IsDeleted === true) this.#deletedAt.set(rec.Id, String(rec.SystemModstamp));
    else this.#deletedAt.delete(rec.Id);
  }

  // ---------- in-process convenience (validated like the API) ----------
  insert(type: SObjectName, fields: Record<string, unknown>): SfRecord {
    return structuredClone(this.applyCreate(type, this.prepare(type, fields, 'create')));
  }

  update(type: SObjectName, id: string, fields: Record<string, unknown>): SfRecord {
    this.requireLive(type, id);
    return structuredClone(this.applyUpdate(type, id, this.prepare(type, fields, 'update')));
  }

  delete(type: SObjectName, id: string): void {
    this.applyDelete(type, id);
  }

  static objectName(name: string): SObjectName | undefined {
    return findObject(name)?.name;
  }
}

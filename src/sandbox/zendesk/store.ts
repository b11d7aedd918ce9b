// The emulator's records: users (end-users and agents share one id space, as in Zendesk),
// organizations, tickets and satisfaction ratings, with Zendesk's validation rules for
// writes and a change feed that the incremental exports and the webhooks read.
import type { ZdOrganization, ZdSatisfactionRating, ZdTicket, ZdUser, ZendeskData } from '../world/types.ts';

export type ZdEntity = 'user' | 'organization' | 'ticket';

/** One field's problem, as Zendesk words it inside `details`. */
export interface ZdFieldError {
  description: string;
  error: string;
}

/**
 * A write Zendesk would refuse with 422 RecordInvalid; `details` is keyed by field.
 * https://developer.zendesk.com/api-reference/introduction/requests/#422-unprocessable-entity
 */
export class ZendeskRecordInvalid extends Error {
  readonly details: Record<string, ZdFieldError[]>;
  constructor(details: Record<string, ZdFieldError[]>) {
    super(
      `Record validation errors: ${Object.values(details)
        .flat()
        .map((d) => d.description)
        .join('; ')}`,
    );
    this.name = 'ZendeskRecordInvalid';
    this.details = details;
  }
}

export class ZendeskRecordNotFound extends Error {
  constructor(entity: ZdEntity, id: number) {
    super(`${entity} ${id} not found`);
    this.name = 'ZendeskRecordNotFound';
  }
}

/** A stored user: the seed shape plus the writable fields the seed does not carry. */
export interface StoredUser extends ZdUser {
  alias: string | null;
  notes: string | null;
  details: string | null;
  suspended: boolean;
}

/** One change, in order; `seq` orders the cursor-based incremental exports. */
export interface ZdChange {
  seq: number;
  entity: ZdEntity;
  id: number;
  kind: 'created' | 'updated';
  /** Field values before the change (only the fields that changed; empty for a creation). */
  previous: Record<string, unknown>;
  at: string;
}

export type ChangeListener = (change: ZdChange, current: StoredUser | ZdOrganization | ZdTicket) => void;

interface Seqd {
  seq: number;
}

const USER_ROLES = new Set(['end-user', 'agent', 'admin']);
const TICKET_STATUSES = new Set(['new', 'open', 'pending', 'hold', 'solved', 'closed']);
const TICKET_PRIORITIES = new Set(['low', 'normal', 'high', 'urgent']);
const TICKET_TYPES = new Set(['problem', 'incident', 'question', 'task']);
// Loose on purpose: Zendesk accepts most RFC 5322 addresses but refuses ones without a
// domain part or with spaces, which is what callers get wrong.
const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Zendesk timestamps are whole seconds, `2024-05-01T10:20:30Z`. */
export function zendeskTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function unixSeconds(iso: string): number {
  return Math.floor(Date.parse(iso) / 1000);
}

const clone = <T>(v: T): T => structuredClone(v);

type Input = Record<string, unknown>;

/** A value as it appears inside an error description. */
const shown = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v) ?? 'undefined');

const isRecord = (v: unknown): v is Input => typeof v === 'object' && v !== null && !Array.isArray(v);

function fieldError(details: Record<string, ZdFieldError[]>, field: string, error: string, description: string): void {
  (details[field] ??= []).push({ description, error });
}

function optString(v: unknown): string | null | undefined {
  if (v === undefined) return undefined;
  if (v === null) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

function optId(v: unknown): number | null | undefined {
  if (v === undefined) return undefined;
  if (v === null || v === '') return null;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  return Number.isSafeInteger(n) && n > 0 ? n : NaN;
}

function tagList(v: unknown): string[] | undefined {
  if (v === undefined || v === null) return v === null ? [] : undefined;
  const raw = Array.isArray(v) ? v : typeof v === 'string' ? v.split(/[\s,]+/) : [];
  // Zendesk lower-cases tags and turns spaces into underscores; duplicates collapse.
  return [...new Set(raw.filter((t): t is string => typeof t === 'string' && t.trim() !== '').map((t) => t.trim().toLowerCase()))];
}

function fieldMap(v: unknown): Record<string, string | number | boolean | null> | undefined {
  if (!isRecord(v)) return undefined;
  const out: Record<string, string | number | boolean | null> = {};
  for (const [k, val] of Object.entries(v)) {
    if (val === null || typeof val === 'string' || typeof val === 'number' || typeof val === 'boolean') out[k] = val;
  }
  return out;
}

export interface ZendeskStoreOptions {
  now?: () => Date;
  /** `${emulator}/api/v2`, used to fill each record's `url`. */
  endpointUri?: string;
}

export class ZendeskStore {
  readonly #users = new Map<number, StoredUser & Seqd>();
  readonly #organizations = new Map<number, ZdOrganization & Seqd>();
  readonly #tickets = new Map<number, ZdTicket & Seqd>();
  readonly #ratings = new Map<number, ZdSatisfactionRating>();
  readonly #listeners = new Set<ChangeListener>();
  readonly #now: () => Date;
  #seq = 0;
  /** Bumped by every change: the id-ordered lists below are sorted again after one. */
  #version = 0;
  readonly #sortedCache = new Map<object, { version: number; rows: readonly unknown[] }>();
  #nextId: Record<ZdEntity, number> = { user: 1, organization: 1, ticket: 1 };
  endpointUri: string;

  constructor(data: ZendeskData, options: ZendeskStoreOptions = {}) {
    this.#now = options.now ?? (() => new Date());
    this.endpointUri = options.endpointUri ?? '';
    // Seed records enter the change feed in the order of their last update, so a cursor
    // export started at 0 replays the world's history the way Zendesk would.
    const byUpdate = <T extends { updated_at: string; id: number }>(rows: T[]): T[] =>
      [...rows].sort((a, b) => a.updated_at.localeCompare(b.updated_at) || a.id - b.id);
    for (const u of byUpdate([...data.agents, ...data.users])) {
      this.#users.set(u.id, { alias: null, notes: null, details: null, suspended: false, ...clone(u), seq: ++this.#seq });
    }
    for (const o of byUpdate(data.organizations)) this.#organizations.set(o.id, { ...clone(o), seq: ++this.#seq });
    for (const t of byUpdate(data.tickets)) this.#tickets.set(t.id, { ...clone(t), seq: ++this.#seq });
    for (const r of data.satisfactionRatings) this.#ratings.set(r.id, clone(r));
    // A loop, not Math.max(...ids): spreading a 100,000-customer world's ids overflows the stack.
    const maxId = (ids: Iterable<number>): number => {
      let max = 0;
      for (const id of ids) if (id > max) max = id;
      return max;
    };
    this.#nextId = {
      user: maxId(this.#users.keys()) + 1,
      organization: maxId(this.#organizations.keys()) + 1,
      ticket: maxId(this.#tickets.keys()) + 1,
    };
  }

  /**
   * Puts a record back as a journal recorded it (src/sandbox/journal.ts): no event, no webhook.
   * It enters the change feed after the seed, as the change it stands for did; new ids continue
   * above it.
   */
  restore(entity: ZdEntity, record: StoredUser | ZdOrganization | ZdTicket): void {
    this.#version++; // a change: the id-ordered lists are sorted again
    const copy = { ...clone(record), seq: ++this.#seq };
    if (entity === 'user') this.#users.set(copy.id, copy as StoredUser & Seqd);
    else if (entity === 'organization') this.#organizations.set(copy.id, copy as ZdOrganization & Seqd);
    else if (entity === 'ticket') this.#tickets.set(copy.id, copy as ZdTicket & Seqd);
    else return;
    this.#nextId[entity] = Math.max(this.#nextId[entity], copy.id + 1);
  }

  // ---------- reads (copies, urls filled) ----------

  user(id: number): StoredUser | undefined {
    const u = this.#users.get(id);
    return u && this.#out(u, 'users');
  }

  organization(id: number): ZdOrganization | undefined {
    const o = this.#organizations.get(id);
    return o && this.#out(o, 'organizations');
  }

  ticket(id: number): ZdTicket | undefined {
    const t = this.#tickets.get(id);
    return t && this.#out(t, 'tickets');
  }

  satisfactionRating(id: number): ZdSatisfactionRating | undefined {
    const r = this.#ratings.get(id);
    return r && this.#out(r, 'satisfaction_ratings');
  }

  /** All users (agents included) in id order. */
  users(): StoredUser[] {
    return this.#sorted(this.#users).map((u) => this.#out(u, 'users'));
  }

  organizations(): ZdOrganization[] {
    return this.#sorted(this.#organizations).map((o) => this.#out(o, 'organizations'));
  }

  tickets(): ZdTicket[] {
    return this.#sorted(this.#tickets).map((t) => this.#out(t, 'tickets'));
  }

  satisfactionRatings(): ZdSatisfactionRating[] {
    return this.#sorted(this.#ratings).map((r) => this.#out(r, 'satisfaction_ratings'));
  }

  /**
   * The stored users, organizations or tickets in id order, shared and not to be modified:
   * sorted once per change, for list endpoints that copy only the page they send (`out`).
   */
  userRows(): readonly StoredUser[] {
    return this.#sortedRows(this.#users);
  }

  organizationRows(): readonly ZdOrganization[] {
    return this.#sortedRows(this.#organizations);
  }

  ticketRows(): readonly ZdTicket[] {
    return this.#sortedRows(this.#tickets);
  }

  /** The copy a list sends of a stored row (url filled). */
  out<T extends { id: number; url: string }>(row: T, plural: 'users' | 'organizations' | 'tickets'): T {
    return this.#out(row, plural);
  }

  /**
   * Stored records list reads have walked over (a copied or re-sorted list counts all of it; a
   * cursor page the rows it stepped through, noted by the route). Tests count work with it.
   */
  get examined(): number {
    return this.#examined;
  }
  #examined = 0;

  noteExamined(rows: number): void {
    this.#examined += rows;
  }

  #sortedRows<T extends { id: number }>(map: Map<number, T>): readonly T[] {
    const cached = this.#sortedCache.get(map);
    if (cached?.version === this.#version) return cached.rows as readonly T[];
    this.#examined += map.size;
    const rows = [...map.values()].sort((a, b) => a.id - b.id);
    this.#sortedCache.set(map, { version: this.#version, rows });
    return rows;
  }

  /** Records with their change sequence, in change order (for the incremental exports). */
  changeFeed(entity: ZdEntity): { seq: number; record: StoredUser | ZdOrganization | ZdTicket }[] {
    const source: Map<number, Seqd & (StoredUser | ZdOrganization | ZdTicket)> =
      entity === 'user' ? this.#users : entity === 'organization' ? this.#organizations : this.#tickets;
    const plural = entity === 'user' ? 'users' : entity === 'organization' ? 'organizations' : 'tickets';
    return [...source.values()]
      .sort((a, b) => a.seq - b.seq)
      .map((r) => ({ seq: r.seq, record: this.#out(r, plural) }));
  }

  userByEmail(email: string): StoredUser | undefined {
    const needle = email.trim().toLowerCase();
    for (const u of this.#users.values()) if (u.email !== null && u.email.toLowerCase() === needle) return this.#out(u, 'users');
    return undefined;
  }

  userByExternalId(externalId: string): StoredUser | undefined {
    for (const u of this.#users.values()) if (u.external_id === externalId) return this.#out(u, 'users');
    return undefined;
  }

  organizationByExternalId(externalId: string): ZdOrganization | undefined {
    // Zendesk matches organization external ids case-insensitively.
    const needle = externalId.toLowerCase();
    for (const o of this.#organizations.values()) if (o.external_id?.toLowerCase() === needle) return this.#out(o, 'organizations');
    return undefined;
  }

  organizationByName(name: string): ZdOrganization | undefined {
    const needle = name.trim().toLowerCase();
    for (const o of this.#organizations.values()) if (o.name.toLowerCase() === needle) return this.#out(o, 'organizations');
    return undefined;
  }

  counts(): Record<string, number> {
    let agents = 0;
    for (const u of this.#users.values()) if (u.role !== 'end-user') agents++;
    return {
      users: this.#users.size - agents,
      agents,
      organizations: this.#organizations.size,
      tickets: this.#tickets.size,
      satisfactionRatings: this.#ratings.size,
    };
  }

  onChange(listener: ChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  // ---------- writes ----------

  /** Creates a user from a Create User body's `user` object; throws ZendeskRecordInvalid. */
  createUser(input: Input): StoredUser {
    const at = zendeskTime(this.#now());
    const draft: StoredUser = {
      id: 0,
      url: '',
      name: '',
      email: null,
      phone: null,
      organization_id: null,
      role: 'end-user',
      external_id: null,
      active: true,
      verified: false,
      time_zone: 'Eastern Time (US & Canada)',
      locale: 'en-US',
      tags: [],
      user_fields: {},
      alias: null,
      notes: null,
      details: null,
      suspended: false,
      created_at: at,
      updated_at: at,
    };
    const next = this.#applyUser(draft, input, null);
    next.id = this.#nextId.user++;
    const stored = { ...next, seq: ++this.#seq };
    this.#users.set(stored.id, stored);
    this.#emit({ entity: 'user', id: stored.id, kind: 'created', previous: {}, at }, stored, 'users');
    return this.#out(stored, 'users');
  }

  updateUser(id: number, input: Input): StoredUser {
    const current = this.#users.get(id);
    if (!current) throw new ZendeskRecordNotFound('user', id);
    const at = zendeskTime(this.#now());
    const next = this.#applyUser({ ...clone(current) }, input, id);
    return this.#commit('user', this.#users, current, next, at, 'users');
  }

  createOrganization(input: Input): ZdOrganization {
    const at = zendeskTime(this.#now());
    const draft: ZdOrganization = {
      id: 0,
      url: '',
      name: '',
      domain_names: [],
      external_id: null,
      details: null,
      notes: null,
      tags: [],
      organization_fields: {},
      created_at: at,
      updated_at: at,
    };
    const next = this.#applyOrganization(draft, input, null);
    next.id = this.#nextId.organization++;
    const stored = { ...next, seq: ++this.#seq };
    this.#organizations.set(stored.id, stored);
    this.#emit({ entity: 'organization', id: stored.id, kind: 'created', previous: {}, at }, stored, 'organizations');
    return this.#out(stored, 'organizations');
  }

  updateOrganization(id: number, input: Input): ZdOrganization {
    const current = this.#organizations.get(id);
    if (!current) throw new ZendeskRecordNotFound('organization', id);
    const at = zendeskTime(this.#now());
    const next = this.#applyOrganization({ ...clone(current) }, input, id);
    return this.#commit('organization', this.#organizations, current, next, at, 'organizations');
  }

  createTicket(input: Input): ZdTicket {
    const at = zendeskTime(this.#now());
    const details: Record<string, ZdFieldError[]> = {};
    let requesterId = optId(input.requester_id);
    // `requester: {email, name}` creates the end-user on the fly, as Zendesk does.
    if ((requesterId === undefined || requesterId === null) && isRecord(input.requester)) {
      const email = optString(input.requester.email);
      const existing = email ? this.userByEmail(email) : undefined;
      requesterId = existing ? existing.id : this.createUser({ name: input.requester.name ?? email, email }).id;
    }
    const comment = isRecord(input.comment) ? optString(input.comment.body) : undefined;
    const description = optString(input.description) ?? comment ?? '';
    if (description.trim() === '') fieldError(details, 'description', 'BlankValue', 'Description: cannot be blank');
    const draft: ZdTicket = {
      id: 0,
      url: '',
      subject: optString(input.subject) ?? description.slice(0, 80),
      description,
      status: 'new',
      priority: null,
      type: null,
      requester_id: 0,
      submitter_id: 0,
      assignee_id: null,
      organization_id: null,
      tags: [],
      satisfaction_rating: null,
      created_at: at,
      updated_at: at,
    };
    if (requesterId === undefined || requesterId === null || Number.isNaN(requesterId) || !this.#users.has(requesterId)) {
      fieldError(details, 'requester', 'InvalidValue', 'Requester: is invalid');
    } else {
      draft.requester_id = requesterId;
      draft.submitter_id = optId(input.submitter_id) || requesterId;
      draft.organization_id = this.#users.get(requesterId)?.organization_id ?? null;
    }
    const next = this.#applyTicket(draft, { ...input, requester_id: undefined }, details);
    next.id = this.#nextId.ticket++;
    const stored = { ...next, seq: ++this.#seq };
    this.#tickets.set(stored.id, stored);
    this.#emit({ entity: 'ticket', id: stored.id, kind: 'created', previous: {}, at }, stored, 'tickets');
    return this.#out(stored, 'tickets');
  }

  updateTicket(id: number, input: Input): ZdTicket {
    const current = this.#tickets.get(id);
    if (!current) throw new ZendeskRecordNotFound('ticket', id);
    const at = zendeskTime(this.#now());
    const next = this.#applyTicket({ ...clone(current) }, input, {});
    return this.#commit('ticket', this.#tickets, current, next, at, 'tickets');
  }

  // ---------- internals ----------

  #applyUser(u: StoredUser, input: Input, selfId: number | null): StoredUser {
    const details: Record<string, ZdFieldError[]> = {};
    const name = optString(input.name);
    if (name !== undefined) u.name = (name ?? '').trim();
    if (u.name === '') fieldError(details, 'name', 'BlankValue', 'Name: cannot be blank');

    const email = optString(input.email);
    if (email !== undefined) {
      const e = email === null ? null : email.trim();
      if (e !== null && e !== '' && !EMAIL_RE.test(e)) {
        fieldError(details, 'email', 'InvalidValue', `Email: ${e} is not properly formatted`);
      } else if (e !== null && e !== '') {
        const owner = this.userByEmail(e);
        if (owner && owner.id !== selfId) {
          fieldError(details, 'email', 'DuplicateValue', `Email: ${e} is already being used by another user`);
        }
        u.email = e.toLowerCase();
      } else {
        u.email = null;
      }
    }
    const externalId = optString(input.external_id);
    if (externalId !== undefined) {
      const x = externalId === null || externalId === '' ? null : externalId;
      if (x !== null) {
        const owner = this.userByExternalId(x);
        if (owner && owner.id !== selfId) fieldError(details, 'external_id', 'DuplicateValue', `External: ${x} has already been taken`);
      }
      u.external_id = x;
    }
    const phone = optString(input.phone);
    if (phone !== undefined) u.phone = phone === '' ? null : phone;
    const orgId = optId(input.organization_id);
    if (orgId !== undefined) {
      if (orgId !== null && (Number.isNaN(orgId) || !this.#organizations.has(orgId))) {
        fieldError(details, 'organization_id', 'InvalidValue', 'Organization: is invalid');
      } else {
        u.organization_id = orgId;
      }
    }
    if (input.role !== undefined) {
      if (typeof input.role === 'string' && USER_ROLES.has(input.role)) u.role = input.role as StoredUser['role'];
      else fieldError(details, 'role', 'InvalidValue', `Role: ${shown(input.role)} is invalid`);
    }
    if (typeof input.verified === 'boolean') u.verified = input.verified;
    if (typeof input.suspended === 'boolean') u.suspended = input.suspended;
    for (const key of ['time_zone', 'locale'] as const) {
      const v = optString(input[key]);
      if (typeof v === 'string' && v !== '') u[key] = v;
    }
    for (const key of ['alias', 'notes', 'details'] as const) {
      const v = optString(input[key]);
      if (v !== undefined) u[key] = v;
    }
    const tags = tagList(input.tags);
    if (tags) u.tags = tags;
    const fields = fieldMap(input.user_fields);
    if (fields) u.user_fields = { ...u.user_fields, ...fields };
    if (Object.keys(details).length > 0) throw new ZendeskRecordInvalid(details);
    return u;
  }

  #applyOrganization(o: ZdOrganization, input: Input, selfId: number | null): ZdOrganization {
    const details: Record<string, ZdFieldError[]> = {};
    const name = optString(input.name);
    if (name !== undefined) o.name = (name ?? '').trim();
    if (o.name === '') {
      fieldError(details, 'name', 'BlankValue', 'Name: cannot be blank');
    } else {
      const owner = this.organizationByName(o.name);
      if (owner && owner.id !== selfId) fieldError(details, 'name', 'DuplicateValue', `Name: ${o.name} has already been taken`);
    }
    const externalId = optString(input.external_id);
    if (externalId !== undefined) {
      const x = externalId === null || externalId === '' ? null : externalId;
      if (x !== null) {
        const owner = this.organizationByExternalId(x);
        if (owner && owner.id !== selfId) fieldError(details, 'external_id', 'DuplicateValue', `External: ${x} has already been taken`);
      }
      o.external_id = x;
    }
    for (const key of ['details', 'notes'] as const) {
      const v = optString(input[key]);
      if (v !== undefined) o[key] = v;
    }
    if (input.domain_names !== undefined) {
      const domains = tagList(input.domain_names);
      if (domains) o.domain_names = domains;
    }
    const tags = tagList(input.tags);
    if (tags) o.tags = tags;
    const fields = fieldMap(input.organization_fields);
    if (fields) o.organization_fields = { ...o.organization_fields, ...fields };
    if (Object.keys(details).length > 0) throw new ZendeskRecordInvalid(details);
    return o;
  }

  #applyTicket(t: ZdTicket, input: Input, details: Record<string, ZdFieldError[]>): ZdTicket {
    const subject = optString(input.subject);
    if (typeof subject === 'string') t.subject = subject;
    if (input.status !== undefined) {
      if (typeof input.status === 'string' && TICKET_STATUSES.has(input.status)) t.status = input.status as ZdTicket['status'];
      else fieldError(details, 'status', 'InvalidValue', `Status: ${shown(input.status)} is not valid`);
    }
    if (input.priority !== undefined) {
      if (input.priority === null || (typeof input.priority === 'string' && TICKET_PRIORITIES.has(input.priority))) {
        t.priority = input.priority as ZdTicket['priority'];
      } else fieldError(details, 'priority', 'InvalidValue', `Priority: ${shown(input.priority)} is not valid`);
    }
    if (input.type !== undefined) {
      if (input.type === null || (typeof input.type === 'string' && TICKET_TYPES.has(input.type))) t.type = input.type as ZdTicket['type'];
      else fieldError(details, 'type', 'InvalidValue', `Type: ${shown(input.type)} is not valid`);
    }
    const assignee = optId(input.assignee_id);
    if (assignee !== undefined) {
      const a = assignee === null ? undefined : this.#users.get(assignee);
      if (assignee !== null && (!a || a.role === 'end-user')) fieldError(details, 'assignee', 'InvalidValue', 'Assignee: is not an agent');
      else t.assignee_id = assignee;
    }
    const requester = optId(input.requester_id);
    if (requester !== undefined && requester !== null) {
      if (Number.isNaN(requester) || !this.#users.has(requester)) fieldError(details, 'requester', 'InvalidValue', 'Requester: is invalid');
      else t.requester_id = requester;
    }
    const orgId = optId(input.organization_id);
    if (orgId !== undefined) {
      if (orgId !== null && (Number.isNaN(orgId) || !this.#organizations.has(orgId))) {
        fieldError(details, 'organization_id', 'InvalidValue', 'Organization: is invalid');
      } else t.organization_id = orgId;
    }
    const tags = tagList(input.tags);
    if (tags) t.tags = tags;
    if (t.status === 'new' && t.assignee_id !== null && input.status === undefined) t.status = 'open';
    if (Object.keys(details).length > 0) throw new ZendeskRecordInvalid(details);
    return t;
  }

  #commit<T extends StoredUser | ZdOrganization | ZdTicket>(
    entity: ZdEntity,
    map: Map<number, T & Seqd>,
    current: T & Seqd,
    next: T,
    at: string,
    plural: string,
  ): T {
    const previous: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(next)) {
      if (k === 'seq' || k === 'updated_at') continue;
      const before = (current as unknown as Record<string, unknown>)[k];
      if (JSON.stringify(before) !== JSON.stringify(v)) previous[k] = clone(before);
    }
    // Zendesk leaves updated_at alone (and fires nothing) when an update changes nothing.
    if (Object.keys(previous).length === 0) return this.#out(current, plural);
    const stored = { ...next, seq: ++this.#seq } as T & Seqd;
    stored.updated_at = at;
    map.set(stored.id, stored);
    this.#emit({ entity, id: stored.id, kind: 'updated', previous, at }, stored, plural);
    return this.#out(stored, plural);
  }

  #emit(change: Omit<ZdChange, 'seq'>, stored: Seqd & (StoredUser | ZdOrganization | ZdTicket), plural: string): void {
    this.#version++;
    const full: ZdChange = { ...change, seq: stored.seq };
    const current = this.#out(stored, plural);
    for (const l of this.#listeners) {
      try {
        l(full, current);
      } catch (e) {
        console.error('[sandbox:zendesk] change listener failed:', e);
      }
    }
  }

  #sorted<T extends { id: number }>(map: Map<number, T>): T[] {
    this.#examined += map.size;
    return [...map.values()].sort((a, b) => a.id - b.id);
  }

  #out<T extends { id: number; url: string }>(r: T, plural: string): T {
    const { seq: _seq, ...rest } = r as T & Partial<Seqd>;
    const copy = clone(rest) as T;
    copy.url = this.endpointUri ? `${this.endpointUri}/${plural}/${r.id}.json` : '';
    return copy;
  }
}

// A subset of Zendesk's search query language, enough for lookups by identity:
// https://support.zendesk.com/hc/en-us/articles/4408886879258 (search reference)
//  - `type:user|organization|ticket`; `field:value`, `field>value`, `field<value`,
//    `field>=value`, `field<=value`; `-field:value` negates; quoted values; trailing `*`
//    wildcards; bare words match any text field.
//  - dates accept `2024-05-01`, full ISO times and relative `4hours`, `2days`, `3weeks`,
//    `1months`, `1years`, `30minutes`.
import type { ZdOrganization, ZdTicket } from '../world/types.ts';
import type { StoredUser } from './store.ts';
import { unixSeconds } from './store.ts';

export type SearchType = 'user' | 'organization' | 'ticket';

interface Term {
  field: string | null;
  op: ':' | '>' | '<' | '>=' | '<=';
  value: string;
  negate: boolean;
}

export interface ParsedQuery {
  types: SearchType[];
  terms: Term[];
}

export class SearchSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SearchSyntaxError';
  }
}

const TYPE_ALIASES: Record<string, SearchType> = {
  user: 'user',
  users: 'user',
  organization: 'organization',
  organizations: 'organization',
  ticket: 'ticket',
  tickets: 'ticket',
};

export function parseQuery(query: string): ParsedQuery {
  const tokens = query.match(/-?[\w.]+(?:>=|<=|[:<>])(?:"[^"]*"|\S*)|"[^"]*"|\S+/g) ?? [];
  const types: SearchType[] = [];
  const terms: Term[] = [];
  for (const raw of tokens) {
    const m = /^(-?)([\w.]+)(>=|<=|[:<>])(.*)$/.exec(raw);
    if (!m) {
      terms.push({ field: null, op: ':', value: raw.replace(/^"|"$/g, ''), negate: false });
      continue;
    }
    const [, neg = '', field = '', op = ':', rawValue = ''] = m;
    const value = rawValue.replace(/^"|"$/g, '');
    if (field.toLowerCase() === 'type' && op === ':') {
      const t = TYPE_ALIASES[value.toLowerCase()];
      if (!t) throw new SearchSyntaxError(`unknown type: ${value}`);
      types.push(t);
      continue;
    }
    terms.push({ field: field.toLowerCase(), op: op as Term['op'], value, negate: neg === '-' });
  }
  return { types, terms };
}

const RELATIVE = /^(\d+)(minutes?|hours?|days?|weeks?|months?|years?)$/i;

/** Unix seconds of a date term; relative values count back from now. */
function dateValue(value: string, now: Date): number | null {
  const rel = RELATIVE.exec(value);
  if (rel) {
    const n = Number(rel[1]);
    const unit = (rel[2] ?? '').toLowerCase().replace(/s$/, '');
    const seconds: Record<string, number> = { minute: 60, hour: 3600, day: 86_400, week: 604_800, month: 2_592_000, year: 31_536_000 };
    return Math.floor(now.getTime() / 1000) - n * (seconds[unit] ?? 0);
  }
  const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  return Number.isNaN(t) ? null : Math.floor(t / 1000);
}

function textMatches(haystack: string | null | undefined, needle: string): boolean {
  if (haystack === null || haystack === undefined) return false;
  const h = haystack.toLowerCase();
  const n = needle.toLowerCase();
  if (n.endsWith('*')) {
    const prefix = n.slice(0, -1);
    return h.startsWith(prefix) || h.split(/[\s@.,_-]+/).some((w) => w.startsWith(prefix));
  }
  // Zendesk matches words, and whole values for exact fields such as email.
  return h === n || h.split(/[\s,]+/).includes(n) || h.includes(n);
}

function exact(haystack: string | number | null | undefined, needle: string): boolean {
  if (haystack === null || haystack === undefined) return needle.toLowerCase() === 'none';
  return String(haystack).toLowerCase() === needle.toLowerCase();
}

const STATUS_ORDER = ['new', 'open', 'pending', 'hold', 'solved', 'closed'];
const PRIORITY_ORDER = ['low', 'normal', 'high', 'urgent'];

function ordered(list: string[], actual: string | null, op: Term['op'], value: string): boolean {
  const a = actual === null ? -1 : list.indexOf(actual);
  const v = list.indexOf(value.toLowerCase());
  if (v === -1) return false;
  switch (op) {
    case ':':
      return a === v;
    case '>':
      return a > v;
    case '<':
      return a >= 0 && a < v;
    case '>=':
      return a >= v;
    case '<=':
      return a >= 0 && a <= v;
  }
}

function compareDate(iso: string, op: Term['op'], value: string, now: Date): boolean {
  const t = dateValue(value, now);
  if (t === null) return false;
  const actual = unixSeconds(iso);
  // `created:2024-05-01` means that whole day.
  if (op === ':') return /^\d{4}-\d{2}-\d{2}$/.test(value) ? actual >= t && actual < t + 86_400 : actual === t;
  if (op === '>') return actual > t;
  if (op === '<') return actual < t;
  if (op === '>=') return actual >= t;
  return actual <= t;
}

export interface SearchLookups {
  user(id: number): StoredUser | undefined;
  userByEmail(email: string): StoredUser | undefined;
  organization(id: number): ZdOrganization | undefined;
  organizationByName(name: string): ZdOrganization | undefined;
  now: Date;
}

/** Resolves a user reference (`requester:jane@x.com`, `requester:123`, `assignee:none`). */
function userRef(id: number | null, value: string, look: SearchLookups): boolean {
  if (value.toLowerCase() === 'none') return id === null;
  if (id === null) return false;
  if (/^\d+$/.test(value)) return id === Number(value);
  const u = look.user(id);
  if (!u) return false;
  return (u.email !== null && textMatches(u.email, value)) || textMatches(u.name, value);
}

function orgRef(id: number | null, value: string, look: SearchLookups): boolean {
  if (value.toLowerCase() === 'none') return id === null;
  if (id === null) return false;
  if (/^\d+$/.test(value)) return id === Number(value);
  const o = look.organization(id);
  return o !== undefined && textMatches(o.name, value);
}

function userTerm(u: StoredUser, t: Term, look: SearchLookups): boolean {
  switch (t.field) {
    case null:
      return [u.name, u.email, u.phone, u.external_id, u.notes, u.details].some((v) => textMatches(v, t.value));
    case 'email':
      return t.value.endsWith('*') ? textMatches(u.email, t.value) : exact(u.email, t.value);
    case 'name':
      return textMatches(u.name, t.value);
    case 'phone':
      return u.phone !== null && u.phone.replace(/[^\d+]/g, '').includes(t.value.replace(/[^\d+]/g, ''));
    case 'external_id':
      return exact(u.external_id, t.value);
    case 'role':
      return exact(u.role, t.value);
    case 'organization':
    case 'organization_id':
      return orgRef(u.organization_id, t.value, look);
    case 'tags':
    case 'tag':
      return u.tags.includes(t.value.toLowerCase());
    case 'created':
    case 'created_at':
      return compareDate(u.created_at, t.op, t.value, look.now);
    case 'updated':
    case 'updated_at':
      return compareDate(u.updated_at, t.op, t.value, look.now);
    case 'id':
      return String(u.id) === t.value;
    default:
      return u.user_fields[t.field] !== undefined && exact(u.user_fields[t.field] as string | number | null, t.value);
  }
}

function organizationTerm(o: ZdOrganization, t: Term, look: SearchLookups): boolean {
  switch (t.field) {
    case null:
      return [o.name, o.details, o.notes, o.external_id, ...o.domain_names].some((v) => textMatches(v, t.value));
    case 'name':
      return textMatches(o.name, t.value);
    case 'external_id':
      return exact(o.external_id, t.value);
    case 'tags':
    case 'tag':
      return o.tags.includes(t.value.toLowerCase());
    case 'domain':
    case 'domain_names':
      return o.domain_names.some((d) => exact(d, t.value));
    case 'created':
    case 'created_at':
      return compareDate(o.created_at, t.op, t.value, look.now);
    case 'updated':
    case 'updated_at':
      return compareDate(o.updated_at, t.op, t.value, look.now);
    case 'id':
      return String(o.id) === t.value;
    default:
      return o.organization_fields[t.field] !== undefined && exact(o.organization_fields[t.field] as string | number | null, t.value);
  }
}

function ticketTerm(k: ZdTicket, t: Term, look: SearchLookups): boolean {
  switch (t.field) {
    case null:
      return [k.subject, k.description].some((v) => textMatches(v, t.value));
    case 'status':
      return ordered(STATUS_ORDER, k.status, t.op, t.value);
    case 'priority':
      return ordered(PRIORITY_ORDER, k.priority, t.op, t.value);
    case 'type':
    case 'ticket_type':
      return exact(k.type, t.value);
    case 'subject':
      return textMatches(k.subject, t.value);
    case 'description':
      return textMatches(k.description, t.value);
    case 'requester':
    case 'requester_id':
      return userRef(k.requester_id, t.value, look);
    case 'submitter':
      return userRef(k.submitter_id, t.value, look);
    case 'assignee':
      return userRef(k.assignee_id, t.value, look);
    case 'organization':
    case 'organization_id':
      return orgRef(k.organization_id, t.value, look);
    case 'tags':
    case 'tag':
      return k.tags.includes(t.value.toLowerCase());
    case 'satisfaction':
      return exact(k.satisfaction_rating?.score ?? null, t.value);
    case 'created':
    case 'created_at':
      return compareDate(k.created_at, t.op, t.value, look.now);
    case 'updated':
    case 'updated_at':
      return compareDate(k.updated_at, t.op, t.value, look.now);
    case 'id':
      return String(k.id) === t.value;
    default:
      return false;
  }
}

export function matchesUser(u: StoredUser, q: ParsedQuery, look: SearchLookups): boolean {
  return q.terms.every((t) => userTerm(u, t, look) !== t.negate);
}

export function matchesOrganization(o: ZdOrganization, q: ParsedQuery, look: SearchLookups): boolean {
  return q.terms.every((t) => organizationTerm(o, t, look) !== t.negate);
}

export function matchesTicket(k: ZdTicket, q: ParsedQuery, look: SearchLookups): boolean {
  return q.terms.every((t) => ticketTerm(k, t, look) !== t.negate);
}

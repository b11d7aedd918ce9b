// The Zendesk Support API v2 endpoints Meridian's connector uses, on Zendesk's paths,
// payloads, pagination and error bodies. Every path answers with and without `.json`.
import type { EmulatorRequest, EmulatorResponse, FaultStyle, Handler } from '../kit/server.ts';
import { Router } from '../kit/server.ts';
import type { ZdOrganization, ZdSatisfactionRating, ZdTicket } from '../world/types.ts';
import { PaginationError, paginate, type PageContext, type PaginateOptions } from './paging.ts';
import { SearchSyntaxError, matchesOrganization, matchesTicket, matchesUser, parseQuery, type SearchLookups, type SearchType } from './search.ts';
import { ZendeskRecordInvalid, ZendeskRecordNotFound, unixSeconds, type StoredUser, type ZdEntity, type ZendeskStore } from './store.ts';

export interface RouteContext {
  store: ZendeskStore;
  email: string;
  apiToken: string;
  now: () => Date;
  /** Incremental exports leave out changes younger than this (Zendesk: 60 s). */
  incrementalLagSeconds: number;
  /** Configured `${url}/api/v2`, used when a request carries no Host header. */
  endpointUri: string;
}

/** An answer that ends the request early, thrown from helpers. */
class HttpAnswer extends Error {
  readonly response: EmulatorResponse;
  constructor(response: EmulatorResponse) {
    super(`HTTP ${response.status}`);
    this.response = response;
  }
}

const json = (status: number, body: unknown, headers?: Record<string, string>): EmulatorResponse =>
  headers ? { status, body, headers } : { status, body };

// https://developer.zendesk.com/api-reference/introduction/requests/ (error codes and bodies)
const recordNotFound = (): EmulatorResponse => json(404, { error: 'RecordNotFound', description: 'Not found' });
const badRequest = (error: string, description: string): EmulatorResponse => json(400, { error, description });
const recordInvalid = (details: ZendeskRecordInvalid['details']): EmulatorResponse =>
  json(422, { error: 'RecordInvalid', description: 'Record validation errors', details });

export const zendeskFaultStyle: FaultStyle = {
  // Zendesk answers an exhausted rate limit with a plain-text 429 and Retry-After (body
  // observed on the wire: "Number of allowed API requests per minute exceeded", text/plain).
  // https://developer.zendesk.com/api-reference/introduction/rate-limits/
  rateLimited: (retryAfterSeconds) => ({
    status: 429,
    headers: {
      'content-type': 'text/plain; charset=utf-8',
      'retry-after': String(retryAfterSeconds),
      'x-rate-limit': '700',
      'x-rate-limit-remaining': '0',
    },
    body: 'Number of allowed API requests per minute exceeded',
  }),
  serverError: (status) => json(status, { error: 'InternalServerError', description: 'Something went wrong. Please try again later.' }),
  // No Retry-After here on purpose: node-zendesk reports any response carrying it as a 429.
  unavailable: () => json(503, { error: 'ServiceUnavailable', description: 'Zendesk is temporarily unavailable. Please try again later.' }),
  notFound: () => json(404, { error: 'InvalidEndpoint', description: 'Not found' }),
};

// ---------- request helpers ----------

/**
 * API token auth: `Authorization: Basic base64("{email}/token:{token}")`.
 * https://developer.zendesk.com/api-reference/introduction/security-and-auth/#api-token
 * OAuth bearer tokens are not issued by the sandbox, so Bearer is refused like a bad token.
 */
function authenticate(req: EmulatorRequest, ctx: RouteContext): EmulatorResponse | null {
  const refuse = json(401, { error: "Couldn't authenticate you" }, { 'www-authenticate': 'Basic realm="Web Password"' });
  const header = req.headers.authorization;
  if (typeof header !== 'string') return refuse;
  const m = /^Basic\s+(\S+)$/i.exec(header);
  if (!m?.[1]) return refuse;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const sep = decoded.indexOf('/token:');
  if (sep === -1) return refuse;
  const email = decoded.slice(0, sep);
  const token = decoded.slice(sep + '/token:'.length);
  return email.toLowerCase() === ctx.email.toLowerCase() && token === ctx.apiToken ? null : refuse;
}

function bodyObject(req: EmulatorRequest, key: string): Record<string, unknown> {
  const text = req.rawBody.toString('utf8');
  let parsed: unknown;
  try {
    parsed = text.trim() === '' ? {} : JSON.parse(text);
  } catch {
    throw new HttpAnswer(badRequest('InvalidJSON', 'The request body is not valid JSON'));
  }
  const inner = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>)[key] : undefined;
  if (typeof inner !== 'object' || inner === null || Array.isArray(inner)) {
    throw new HttpAnswer(badRequest('ParameterMissing', `param is missing or the value is empty: ${key}`));
  }
  return inner as Record<string, unknown>;
}

function idParam(req: EmulatorRequest, name = 'id'): number {
  const raw = req.params[name] ?? '';
  if (!/^\d{1,15}$/.test(raw)) throw new HttpAnswer(recordNotFound());
  return Number(raw);
}

function idList(raw: string | null, name: string): number[] {
  if (raw === null || raw.trim() === '') throw new HttpAnswer(badRequest('InvalidParameter', `${name} is required`));
  const parts = raw.split(',').map((s) => s.trim()).filter(Boolean);
  // https://developer.zendesk.com/api-reference/ticketing/users/users/#show-many-users (up to 100)
  if (parts.length > 100) throw new HttpAnswer(badRequest('InvalidParameter', `${name} accepts up to 100 values`));
  return parts.filter((p) => /^\d{1,15}$/.test(p)).map(Number);
}

function stringList(raw: string | null, name: string): string[] {
  if (raw === null || raw.trim() === '') throw new HttpAnswer(badRequest('InvalidParameter', `${name} is required`));
  const parts = raw.split(',').map((s) => s.trim()).filter(Boolean);
  if (parts.length > 100) throw new HttpAnswer(badRequest('InvalidParameter', `${name} accepts up to 100 values`));
  return parts;
}

/** Links point at the host the client used, so an SDK configured with `localhost` can follow them. */
function endpointFor(req: EmulatorRequest, ctx: RouteContext): string {
  const host = req.headers.host;
  return typeof host === 'string' && host !== '' ? `http://${host}/api/v2` : ctx.endpointUri;
}

function pageCtx(req: EmulatorRequest, ctx: RouteContext, path: string): PageContext {
  return { endpoint: endpointFor(req, ctx), path, query: req.url.searchParams };
}

function listAnswer<T extends { id: number }>(req: EmulatorRequest, ctx: RouteContext, rows: readonly T[], key: string, path: string, options: PaginateOptions<T> = {}): EmulatorResponse {
  const { rowCount, examined, ...body } = paginate(rows, key, pageCtx(req, ctx, path), options);
  ctx.store.noteExamined(examined);
  req.meta.batchSize = rowCount;
  return json(200, body);
}

function created(req: EmulatorRequest, ctx: RouteContext, key: string, plural: string, record: { id: number }): EmulatorResponse {
  req.meta.batchSize = 1;
  return json(201, { [key]: record }, { location: `${endpointFor(req, ctx)}/${plural}/${record.id}.json` });
}

function lookups(ctx: RouteContext): SearchLookups {
  const s = ctx.store;
  return {
    user: (id) => s.user(id),
    userByEmail: (e) => s.userByEmail(e),
    organization: (id) => s.organization(id),
    organizationByName: (n) => s.organizationByName(n),
    now: ctx.now(),
  };
}

// ---------- incremental exports ----------
// https://developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports/
// https://developer.zendesk.com/documentation/ticketing/managing-tickets/using-the-incremental-export-api/

const INCREMENTAL_MAX = 1000;

function incrementalPerPage(req: EmulatorRequest): number {
  // node-zendesk appends page[size]=100 to incremental/tickets/* GETs; Zendesk documents per_page.
  const raw = req.url.searchParams.get('per_page') ?? req.url.searchParams.get('page[size]');
  if (raw === null || raw === '') return INCREMENTAL_MAX;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new HttpAnswer(badRequest('InvalidPaginationParameter', 'per_page must be a positive integer'));
  return Math.min(INCREMENTAL_MAX, Number(raw));
}

/** The export horizon: Zendesk leaves out the last minute of changes. */
function horizon(ctx: RouteContext): number {
  return Math.floor(ctx.now().getTime() / 1000) - ctx.incrementalLagSeconds;
}

function startTime(req: EmulatorRequest, ctx: RouteContext): number {
  const raw = req.url.searchParams.get('start_time');
  if (raw === null || !/^\d{1,12}$/.test(raw)) {
    throw new HttpAnswer(badRequest('InvalidValue', 'start_time is required and must be a Unix epoch time in seconds'));
  }
  const start = Number(raw);
  if (start > horizon(ctx)) {
    throw new HttpAnswer(
      json(422, {
        error: 'InvalidValue',
        description: ctx.incrementalLagSeconds > 0 ? 'Too recent start_time. Use a start_time older than 1 minute' : 'start_time cannot be in the future',
      }),
    );
  }
  return start;
}

type Exported = StoredUser | ZdOrganization | ZdTicket;

/** Time-based: `{key, next_page, count, end_time, end_of_stream}`, items ordered by update time. */
function incrementalTime(ctx: RouteContext, entity: ZdEntity, key: string): Handler {
  return (req) => {
    const start = startTime(req, ctx);
    const perPage = incrementalPerPage(req);
    const until = horizon(ctx);
    const rows = ctx.store
      .changeFeed(entity)
      .map((c) => c.record)
      .filter((r) => {
        const t = unixSeconds(r.updated_at);
        return t >= start && t <= until;
      })
      .sort((a, b) => unixSeconds(a.updated_at) - unixSeconds(b.updated_at) || a.id - b.id);
    let end = Math.min(perPage, rows.length);
    const lastSecond = end > 0 ? unixSeconds(rows[end - 1]!.updated_at) : null;
    // Like Zendesk, a page never splits one second's items, so start_time=end_time resumes cleanly.
    while (lastSecond !== null && end < rows.length && unixSeconds(rows[end]!.updated_at) === lastSecond) end++;
    const page = rows.slice(0, end);
    const endTime = lastSecond ?? start;
    // Resuming at end_time repeats that second's items (Zendesk documents duplicates); if the
    // whole page is that one second, resuming there would loop, so step past it.
    const sameSecond = page.filter((r) => unixSeconds(r.updated_at) === endTime).length;
    const nextStart = sameSecond >= perPage ? endTime + 1 : endTime;
    const q = new URLSearchParams(req.url.searchParams);
    q.delete('page[size]');
    q.set('start_time', String(nextStart));
    req.meta.batchSize = page.length;
    return json(200, {
      [key]: page,
      next_page: `${endpointFor(req, ctx)}/incremental/${key}.json?${q.toString()}`,
      count: page.length,
      end_time: endTime,
      end_of_stream: end >= rows.length,
    });
  };
}

const encodeExportCursor = (seq: number): string => Buffer.from(`seq:${seq}`).toString('base64url');

function decodeExportCursor(cursor: string): number {
  const m = /^seq:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw new HttpAnswer(badRequest('InvalidPaginationParameter', 'cursor is invalid'));
  return Number(m[1]);
}

/**
 * Cursor-based: `{key, after_cursor, after_url, before_cursor, before_url, end_of_stream}`.
 * The cursor is a position in the store's change sequence, so a record changed twice
 * appears at its latest position and nothing is skipped or repeated between pages.
 */
function incrementalCursor(ctx: RouteContext, entity: ZdEntity, key: string): Handler {
  return (req) => {
    const cursor = req.url.searchParams.get('cursor');
    const fromSeq = cursor ? decodeExportCursor(cursor) : null;
    const start = fromSeq === null ? startTime(req, ctx) : null;
    const perPage = incrementalPerPage(req);
    const until = horizon(ctx);
    const feed = ctx.store.changeFeed(entity).filter(({ seq, record }) => (fromSeq === null ? unixSeconds(record.updated_at) >= (start ?? 0) : seq > fromSeq));
    const page: { seq: number; record: Exported }[] = [];
    let blocked = false;
    for (const item of feed) {
      // Stop at the first change inside the excluded last minute so the cursor cannot pass it.
      if (unixSeconds(item.record.updated_at) > until) {
        blocked = true;
        break;
      }
      if (page.length === perPage) break;
      page.push(item);
    }
    const last = page.at(-1);
    const afterCursor = last ? encodeExportCursor(last.seq) : cursor;
    const q = new URLSearchParams();
    if (req.url.searchParams.has('per_page')) q.set('per_page', String(perPage));
    if (afterCursor) q.set('cursor', afterCursor);
    req.meta.batchSize = page.length;
    return json(200, {
      [key]: page.map((p) => p.record),
      after_url: afterCursor ? `${endpointFor(req, ctx)}/incremental/${key}/cursor.json?${q.toString()}` : null,
      after_cursor: afterCursor,
      before_url: null,
      before_cursor: null,
      end_of_stream: blocked || page.length === feed.length,
    });
  };
}

// ---------- search ----------

interface SearchResult {
  id: number;
  result_type: SearchType;
  created_at: string;
  updated_at: string;
  [k: string]: unknown;
}

const SEARCH_RESULT_LIMIT = 1000;

// ---------- the router ----------

export function buildRouter(ctx: RouteContext): Router {
  const router = new Router();
  const { store } = ctx;

  const route = (method: string, path: string, operation: string, handler: Handler): void => {
    const wrapped: Handler = async (req) => {
      const denied = authenticate(req, ctx);
      if (denied) return denied;
      try {
        return await handler(req);
      } catch (e) {
        if (e instanceof HttpAnswer) return e.response;
        if (e instanceof ZendeskRecordInvalid) return recordInvalid(e.details);
        if (e instanceof ZendeskRecordNotFound) return recordNotFound();
        if (e instanceof PaginationError) return badRequest('InvalidPaginationParameter', e.message);
        if (e instanceof SearchSyntaxError) return badRequest('InvalidValue', `Invalid search: ${e.message}`);
        throw e;
      }
    };
    router.add(method, `/api/v2${path}.json`, operation, wrapped);
    router.add(method, `/api/v2${path}`, operation, wrapped);
  };

  // ----- users: https://developer.zendesk.com/api-reference/ticketing/users/users/ -----

  // Show Self: the authenticated (integration) user.
  route('GET', '/users/me', 'users.me', () => {
    const me = store.userByEmail(ctx.email);
    return me ? json(200, { user: me }) : recordNotFound();
  });

  // Show Many Users: `ids` or `external_ids`, up to 100, unknown ones left out.
  route('GET', '/users/show_many', 'users.show_many', (req) => {
    const q = req.url.searchParams;
    let users: StoredUser[];
    if (q.has('external_ids')) {
      const ids = stringList(q.get('external_ids'), 'external_ids');
      req.meta.batchSize = ids.length;
      users = ids.map((x) => store.userByExternalId(x)).filter((u): u is StoredUser => u !== undefined);
    } else {
      const ids = idList(q.get('ids'), 'ids');
      req.meta.batchSize = ids.length;
      users = ids.map((id) => store.user(id)).filter((u): u is StoredUser => u !== undefined);
    }
    return json(200, { users, next_page: null, previous_page: null, count: users.length });
  });

  // Search Users: `query` (search syntax, users only) or `external_id` (exact).
  route('GET', '/users/search', 'users.search', (req) => {
    const q = req.url.searchParams;
    const externalId = q.get('external_id');
    let rows: StoredUser[];
    if (externalId !== null) {
      const u = store.userByExternalId(externalId);
      rows = u ? [u] : [];
    } else {
      const query = (q.get('query') ?? '').trim();
      if (query === '') throw new HttpAnswer(badRequest('InvalidParameter', 'query or external_id is required'));
      const parsed = parseQuery(query);
      const look = lookups(ctx);
      rows = store.users().filter((u) => matchesUser(u, parsed, look));
    }
    return listAnswer(req, ctx, rows, 'users', 'users/search');
  });

  // Create Or Update User: matched by external_id, else by email; 201 created / 200 updated.
  route('POST', '/users/create_or_update', 'users.create_or_update', (req) => {
    const input = bodyObject(req, 'user');
    const byExternal = typeof input.external_id === 'string' && input.external_id !== '' ? store.userByExternalId(input.external_id) : undefined;
    const byEmail = !byExternal && typeof input.email === 'string' && input.email !== '' ? store.userByEmail(input.email) : undefined;
    const existing = byExternal ?? byEmail;
    if (existing) {
      req.meta.batchSize = 1;
      return json(200, { user: store.updateUser(existing.id, input) });
    }
    return created(req, ctx, 'user', 'users', store.createUser(input));
  });

  // List Users: optional `role` / `role[]` filter; cursor or offset pagination.
  route('GET', '/users', 'users.list', (req) => {
    const q = req.url.searchParams;
    const roles = [...q.getAll('role'), ...q.getAll('role[]')].flatMap((r) => r.split(','));
    const externalId = q.get('external_id');
    // Filtered while the page is walked, and only the page copied: a page of a large list costs its own rows.
    return listAnswer(req, ctx, store.userRows(), 'users', 'users', {
      filter: (u) => (roles.length === 0 || roles.includes(u.role)) && (externalId === null || u.external_id === externalId),
      out: (u) => store.out(u, 'users'),
    });
  });

  // Create User.
  route('POST', '/users', 'users.create', (req) => created(req, ctx, 'user', 'users', store.createUser(bodyObject(req, 'user'))));

  // List Requested Tickets (Tickets API): the tickets a user asked for.
  // https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#list-tickets
  route('GET', '/users/:id/tickets/requested', 'tickets.requested', (req) => {
    const id = idParam(req);
    if (!store.user(id)) return recordNotFound();
    return listAnswer(req, ctx, store.tickets().filter((t) => t.requester_id === id), 'tickets', `users/${id}/tickets/requested`);
  });

  route('GET', '/users/:id/tickets/assigned', 'tickets.assigned', (req) => {
    const id = idParam(req);
    if (!store.user(id)) return recordNotFound();
    return listAnswer(req, ctx, store.tickets().filter((t) => t.assignee_id === id), 'tickets', `users/${id}/tickets/assigned`);
  });

  // Show User.
  route('GET', '/users/:id', 'users.show', (req) => {
    const user = store.user(idParam(req));
    return user ? json(200, { user }) : recordNotFound();
  });

  // Update User.
  route('PUT', '/users/:id', 'users.update', (req) => {
    const id = idParam(req);
    const input = bodyObject(req, 'user');
    req.meta.batchSize = 1;
    return json(200, { user: store.updateUser(id, input) });
  });

  // ----- organizations: https://developer.zendesk.com/api-reference/ticketing/organizations/organizations/ -----

  route('GET', '/organizations/show_many', 'organizations.show_many', (req) => {
    const q = req.url.searchParams;
    let orgs: ZdOrganization[];
    if (q.has('external_ids')) {
      const ids = stringList(q.get('external_ids'), 'external_ids');
      req.meta.batchSize = ids.length;
      orgs = ids.map((x) => store.organizationByExternalId(x)).filter((o): o is ZdOrganization => o !== undefined);
    } else {
      const ids = idList(q.get('ids'), 'ids');
      req.meta.batchSize = ids.length;
      orgs = ids.map((id) => store.organization(id)).filter((o): o is ZdOrganization => o !== undefined);
    }
    return json(200, { organizations: orgs, next_page: null, previous_page: null, count: orgs.length });
  });

  // Search Organizations: exact `external_id` (case-insensitive) or exact `name`.
  route('GET', '/organizations/search', 'organizations.search', (req) => {
    const q = req.url.searchParams;
    const externalId = q.get('external_id');
    const name = q.get('name');
    let rows: ZdOrganization[];
    if (externalId !== null) {
      const o = store.organizationByExternalId(externalId);
      rows = o ? [o] : [];
    } else if (name !== null) {
      const o = store.organizationByName(name);
      rows = o ? [o] : [];
    } else {
      throw new HttpAnswer(badRequest('InvalidParameter', 'external_id or name is required'));
    }
    return listAnswer(req, ctx, rows, 'organizations', 'organizations/search');
  });

  // Create Or Update Organization: matched by id, else by external_id; 201 / 200.
  route('POST', '/organizations/create_or_update', 'organizations.create_or_update', (req) => {
    const input = bodyObject(req, 'organization');
    const byId = typeof input.id === 'number' ? store.organization(input.id) : undefined;
    const byExternal = !byId && typeof input.external_id === 'string' && input.external_id !== '' ? store.organizationByExternalId(input.external_id) : undefined;
    const existing = byId ?? byExternal;
    if (existing) {
      req.meta.batchSize = 1;
      return json(200, { organization: store.updateOrganization(existing.id, input) });
    }
    return created(req, ctx, 'organization', 'organizations', store.createOrganization(input));
  });

  route('GET', '/organizations', 'organizations.list', (req) =>
    listAnswer(req, ctx, store.organizationRows(), 'organizations', 'organizations', { out: (o) => store.out(o, 'organizations') }),
  );

  route('POST', '/organizations', 'organizations.create', (req) =>
    created(req, ctx, 'organization', 'organizations', store.createOrganization(bodyObject(req, 'organization'))),
  );

  // List Tickets of an organization.
  route('GET', '/organizations/:id/tickets', 'tickets.by_organization', (req) => {
    const id = idParam(req);
    if (!store.organization(id)) return recordNotFound();
    return listAnswer(req, ctx, store.ticketRows(), 'tickets', `organizations/${id}/tickets`, { filter: (t) => t.organization_id === id, out: (t) => store.out(t, 'tickets') });
  });

  // List Users of an organization (Users API).
  route('GET', '/organizations/:id/users', 'users.by_organization', (req) => {
    const id = idParam(req);
    if (!store.organization(id)) return recordNotFound();
    return listAnswer(req, ctx, store.userRows(), 'users', `organizations/${id}/users`, { filter: (u) => u.organization_id === id, out: (u) => store.out(u, 'users') });
  });

  route('GET', '/organizations/:id', 'organizations.show', (req) => {
    const organization = store.organization(idParam(req));
    return organization ? json(200, { organization }) : recordNotFound();
  });

  route('PUT', '/organizations/:id', 'organizations.update', (req) => {
    const id = idParam(req);
    const input = bodyObject(req, 'organization');
    req.meta.batchSize = 1;
    return json(200, { organization: store.updateOrganization(id, input) });
  });

  // ----- tickets: https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/ -----

  route('GET', '/tickets/show_many', 'tickets.show_many', (req) => {
    const ids = idList(req.url.searchParams.get('ids'), 'ids');
    req.meta.batchSize = ids.length;
    const tickets = ids.map((id) => store.ticket(id)).filter((t): t is ZdTicket => t !== undefined);
    return json(200, { tickets, next_page: null, previous_page: null, count: tickets.length });
  });

  route('GET', '/tickets', 'tickets.list', (req) => listAnswer(req, ctx, store.tickets(), 'tickets', 'tickets'));

  route('POST', '/tickets', 'tickets.create', (req) => created(req, ctx, 'ticket', 'tickets', store.createTicket(bodyObject(req, 'ticket'))));

  route('GET', '/tickets/:id', 'tickets.show', (req) => {
    const ticket = store.ticket(idParam(req));
    return ticket ? json(200, { ticket }) : recordNotFound();
  });

  route('PUT', '/tickets/:id', 'tickets.update', (req) => {
    const id = idParam(req);
    const input = bodyObject(req, 'ticket');
    req.meta.batchSize = 1;
    const ticket = store.updateTicket(id, input);
    return json(200, { ticket, audit: { ticket_id: ticket.id, created_at: ticket.updated_at, events: [] } });
  });

  // ----- satisfaction ratings: https://developer.zendesk.com/api-reference/ticketing/ticket-management/satisfaction_ratings/ -----

  // List Satisfaction Ratings: `score` (good, bad, offered, unoffered, received,
  // received_with_comment, received_without_comment, good/bad_with(out)_comment),
  // `start_time` / `end_time` (Unix seconds on created_at).
  route('GET', '/satisfaction_ratings', 'satisfaction_ratings.list', (req) => {
    const q = req.url.searchParams;
    const score = q.get('score');
    const num = (name: string): number | null => {
      const raw = q.get(name);
      if (raw === null || raw === '') return null;
      if (!/^\d{1,12}$/.test(raw)) throw new HttpAnswer(badRequest('InvalidValue', `${name} must be a Unix epoch time in seconds`));
      return Number(raw);
    };
    const from = num('start_time');
    const to = num('end_time');
    const scoreMatches = (r: ZdSatisfactionRating): boolean => {
      if (score === null || score === '') return true;
      const received = r.score === 'good' || r.score === 'bad';
      const commented = r.comment !== null && r.comment.trim() !== '';
      switch (score) {
        case 'received':
          return received;
        case 'received_with_comment':
          return received && commented;
        case 'received_without_comment':
          return received && !commented;
        case 'good_with_comment':
        case 'bad_with_comment':
          return r.score === score.slice(0, score.indexOf('_')) && commented;
        case 'good_without_comment':
        case 'bad_without_comment':
          return r.score === score.slice(0, score.indexOf('_')) && !commented;
        default:
          return r.score === score;
      }
    };
    const rows = store.satisfactionRatings().filter((r) => {
      const t = unixSeconds(r.created_at);
      return scoreMatches(r) && (from === null || t >= from) && (to === null || t <= to);
    });
    return listAnswer(req, ctx, rows, 'satisfaction_ratings', 'satisfaction_ratings');
  });

  route('GET', '/satisfaction_ratings/:id', 'satisfaction_ratings.show', (req) => {
    const rating = store.satisfactionRating(idParam(req));
    return rating ? json(200, { satisfaction_rating: rating }) : recordNotFound();
  });

  // ----- search: https://developer.zendesk.com/api-reference/ticketing/ticket-management/search/ -----

  // List Search Results: offset pagination only, at most 1000 results reachable.
  route('GET', '/search', 'search', (req) => {
    const q = req.url.searchParams;
    const query = (q.get('query') ?? '').trim();
    if (query === '') throw new HttpAnswer(badRequest('InvalidValue', 'Invalid search: query is required'));
    const parsed = parseQuery(query);
    const types: SearchType[] = parsed.types.length > 0 ? parsed.types : ['ticket', 'user', 'organization'];
    const look = lookups(ctx);
    const results: SearchResult[] = [];
    if (types.includes('ticket')) for (const t of store.tickets()) if (matchesTicket(t, parsed, look)) results.push({ ...t, result_type: 'ticket' });
    if (types.includes('user')) for (const u of store.users()) if (matchesUser(u, parsed, look)) results.push({ ...u, result_type: 'user' });
    if (types.includes('organization')) {
      for (const o of store.organizations()) if (matchesOrganization(o, parsed, look)) results.push({ ...o, result_type: 'organization' });
    }
    const sortBy = q.get('sort_by');
    const desc = (q.get('sort_order') ?? 'desc') === 'desc';
    if (sortBy === 'created_at' || sortBy === 'updated_at') {
      results.sort((a, b) => (desc ? -1 : 1) * (a[sortBy].localeCompare(b[sortBy]) || a.id - b.id));
    }
    const perPage = Math.min(100, Math.max(1, Number(q.get('per_page') ?? 100) || 100));
    const page = Math.max(1, Number(q.get('page') ?? 1) || 1);
    if ((page - 1) * perPage >= SEARCH_RESULT_LIMIT) {
      return json(422, { error: 'invalid', description: 'Invalid search: Requested response size was greater than Search Response Limits' });
    }
    // Search has no cursor pagination (that is the Export Search Results endpoint).
    const offsetQuery = new URLSearchParams(q);
    for (const k of ['page[size]', 'page[after]', 'page[before]']) offsetQuery.delete(k);
    const reachable = results.slice(0, SEARCH_RESULT_LIMIT);
    const { rowCount, ...body } = paginate(reachable, 'results', { endpoint: endpointFor(req, ctx), path: 'search', query: offsetQuery });
    req.meta.batchSize = rowCount;
    return json(200, { ...body, facets: null, count: results.length });
  });

  route('GET', '/search/count', 'search.count', (req) => {
    const query = (req.url.searchParams.get('query') ?? '').trim();
    if (query === '') throw new HttpAnswer(badRequest('InvalidValue', 'Invalid search: query is required'));
    const parsed = parseQuery(query);
    const types: SearchType[] = parsed.types.length > 0 ? parsed.types : ['ticket', 'user', 'organization'];
    const look = lookups(ctx);
    let count = 0;
    if (types.includes('ticket')) count += store.tickets().filter((t) => matchesTicket(t, parsed, look)).length;
    if (types.includes('user')) count += store.users().filter((u) => matchesUser(u, parsed, look)).length;
    if (types.includes('organization')) count += store.organizations().filter((o) => matchesOrganization(o, parsed, look)).length;
    return json(200, { count });
  });

  // ----- incremental exports (organizations have no cursor-based variant in Zendesk) -----
  route('GET', '/incremental/users/cursor', 'incremental.users.cursor', incrementalCursor(ctx, 'user', 'users'));
  route('GET', '/incremental/users', 'incremental.users', incrementalTime(ctx, 'user', 'users'));
  route('GET', '/incremental/organizations', 'incremental.organizations', incrementalTime(ctx, 'organization', 'organizations'));
  route('GET', '/incremental/tickets/cursor', 'incremental.tickets.cursor', incrementalCursor(ctx, 'ticket', 'tickets'));
  route('GET', '/incremental/tickets', 'incremental.tickets', incrementalTime(ctx, 'ticket', 'tickets'));

  return router;
}

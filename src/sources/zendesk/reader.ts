// Batched reads from Zendesk Support through node-zendesk's transport. docs/sources/zendesk.md
// lists every call, its batching and its cost.
//
// Why the transport (`_rawRequest`) rather than the SDK's resource methods: those methods
// (a) return a 429 as a result instead of throwing it, without its Retry-After, (b) hand back
// 502/504 bodies as if they were data, (c) strip the paging envelope (`meta`, `links`) and
// (d) force `page[size]=100`. `_rawRequest` is the same authenticated request path with none
// of that post-processing, so every status is classified here, in one place (#get).
import type { ZodError } from 'zod';
import type { PersonRecord, SatisfactionRatingRecord, SourceRecord, TicketRecord } from '../types.ts';
import type { ZendeskClient } from './client.ts';
import { chunk, mapWithConcurrency } from '../concurrency.ts';
import type { ConnectorClock } from '../options.ts';
import { clampPageSize, connectorScanOptions, fetchPageWithRetry, scanPage, type ScanOptions, type ScanPage } from '../scan.ts';
import type { InvalidSourceRecordError} from '../errors.ts';
import { InvalidSourceIdError, invalidRecord, SourceError, SourceRateLimitedError, SourceUnavailableError } from '../errors.ts';
import { organizationSchema, parseListPage, type ListPage, satisfactionRatingSchema, ticketSchema, userSchema, type TicketRaw } from './schema.ts';
import { RECEIVED_SCORES, organizationToSourceRecord, ratingToRecord, ticketToRecord, userToPerson } from './mapping.ts';

export interface ZendeskReaderOptions {
  /** Ids per show_many call (Zendesk's maximum is 100). */
  idsPerCall: number;
  /** Calls in flight at once for per-organization endpoints and multi-chunk batches. */
  concurrency: number;
  /** Default page size of scanAccounts. */
  scanPageSize: number;
  clock: ConnectorClock;
}

const MAX_PAGE_SIZE = 100;

/** Zendesk answered 404 for the resource (an unknown organization on a per-id endpoint). */
class NotFound extends Error {}

type Planned = { kind: 'invalid'; error: Error } | { kind: 'id'; id: number };

/** Zendesk ids are positive integers; anything else is an Error for that key, without a call. */
function plan(keys: readonly string[], what: string): Planned[] {
  return keys.map((k) =>
    /^[1-9]\d{0,15}$/.test(k) ? { kind: 'id', id: Number(k) } : { kind: 'invalid', error: new InvalidSourceIdError('zendesk', k, `a Zendesk ${what} id (a positive integer)`) },
  );
}

const idsOf = (planned: readonly Planned[]): number[] => [...new Set(planned.flatMap((p) => (p.kind === 'id' ? [p.id] : [])))];

interface RawAnswer {
  status: number;
  header(name: string): string | null;
  body: unknown;
}

function asRawAnswer(answer: unknown): RawAnswer {
  const response = typeof answer === 'object' && answer !== null && 'response' in answer ? answer.response : null;
  if (typeof response !== 'object' || response === null || !('status' in response) || typeof response.status !== 'number') {
    throw new SourceUnavailableError('zendesk', 'Zendesk transport returned no HTTP response');
  }
  const headers = 'headers' in response ? response.headers : null;
  const header = (name: string): string | null => {
    if (typeof headers !== 'object' || headers === null || !('get' in headers) || typeof headers.get !== 'function') return null;
    const v: unknown = (headers.get as (n: string) => unknown).call(headers, name);
    return typeof v === 'string' ? v : null;
  };
  return { status: response.status, header, body: typeof answer === 'object' && answer !== null && 'result' in answer ? answer.result : null };
}

const describeBody = (body: unknown): string => {
  if (typeof body === 'object' && body !== null) {
    const b = body as { error?: unknown; description?: unknown };
    const parts = [b.error, b.description].filter((x): x is string => typeof x === 'string');
    if (parts.length > 0) return parts.join(': ');
  }
  return '';
};

export class ZendeskReader {
  readonly #client: ZendeskClient;
  readonly #o: ZendeskReaderOptions;
  readonly #endpoint: string;

  constructor(client: ZendeskClient, options: ZendeskReaderOptions) {
    this.#client = client;
    this.#o = options;
    const endpoint = client.config.endpointUri ?? (client.config.subdomain ? `https://${client.config.subdomain}.zendesk.com/api/v2` : undefined);
    if (!endpoint) throw new TypeError('Zendesk client has neither endpointUri nor subdomain');
    this.#endpoint = endpoint.replace(/\/+$/, '');
  }

  // ---------- plumbing ----------

  #url(path: string, query: Record<string, string> = {}): string {
    const qs = new URLSearchParams(query).toString().replace(/%5B/g, '[').replace(/%5D/g, ']').replace(/%2C/g, ',');
    return `${this.#endpoint}/${path}.json${qs ? `?${qs}` : ''}`;
  }

  /** `links.next` on our own endpoint (Zendesk's links are absolute on the host that was called). */
  #rebase(next: string): string {
    if (next.startsWith(this.#endpoint)) return next;
    const at = next.indexOf('/api/v2/');
    if (at === -1) throw new SourceUnavailableError('zendesk', `Zendesk gave a next-page link outside the API: ${next}`);
    return `${this.#endpoint}/${next.slice(at + '/api/v2/'.length)}`;
  }

  /** One GET; every non-2xx answer becomes a SourceError (429 → RATE_LIMITED with Retry-After). */
  async #get(url: string): Promise<unknown> {
    let answer: RawAnswer;
    try {
      // A full URL on the configured endpoint is sent as is (no page[size] or sideloads added).
      const raw: unknown = await this.#client.organizations._rawRequest('GET', url);
      answer = asRawAnswer(raw);
    } catch (e) {
      if (e instanceof SourceError) throw e;
      throw new SourceUnavailableError('zendesk', `Zendesk unreachable: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    const { status, body } = answer;
    if (status >= 200 && status < 300) {
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw new SourceUnavailableError('zendesk', `Zendesk answered ${status} without a JSON object`, { status });
      }
      return body;
    }
    const upstream = describeBody(body);
    const retryAfter = answer.header('retry-after');
    const seconds = retryAfter !== null && /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter.trim()) : null;
    // https://developer.zendesk.com/api-reference/introduction/rate-limits/
    if (status === 429) {
      throw new SourceRateLimitedError('zendesk', `Zendesk rate limit (429)${seconds === null ? '' : `, retry after ${seconds}s`}`, seconds, this.#o.clock.now(), { status, upstreamCode: upstream || null });
    }
    if (status === 404) throw new NotFound(upstream || 'Not found');
    // Redirects are not followed (the transport is Node's http client): one means the endpoint is wrong.
    const location = status >= 300 && status < 400 ? answer.header('location') : null;
    if (location !== null) throw new SourceUnavailableError('zendesk', `Zendesk answered ${status}, a redirect to ${location}: set the Zendesk endpoint to where it points`, { status });
    throw new SourceUnavailableError('zendesk', `Zendesk answered ${status}${upstream ? ` (${upstream})` : ''}`, { status, upstreamCode: upstream || null, retryAfterSeconds: seconds });
  }

  /** Every page of a list endpoint (cursor paging via `links.next`), items under `key`. */
  async #list(firstUrl: string, key: string): Promise<unknown[]> {
    const out: unknown[] = [];
    let url: string | null = firstUrl;
    while (url !== null) {
      const page = this.#page(await this.#get(url), key);
      out.push(...page.items);
      url = page.next === null ? null : this.#rebase(page.next);
    }
    return out;
  }

  #page(body: unknown, key: string): ListPage {
    const page = parseListPage(body, key);
    if (typeof page === 'string') throw new SourceUnavailableError('zendesk', `Zendesk answer for ${key} is not a list: ${page}`);
    return page;
  }

  // ---------- reads ----------

  /**
   * Organizations by id: one Show Many Organizations call per ≤ 100 ids.
   * https://developer.zendesk.com/api-reference/ticketing/organizations/organizations/#show-many-organizations
   */
  async loadAccounts(keys: readonly string[]): Promise<(SourceRecord | null | Error)[]> {
    const planned = plan(keys, 'organization');
    const found = new Map<number, SourceRecord | Error>();
    const failed = new Map<number, Error>();
    await mapWithConcurrency(chunk(idsOf(planned), this.#o.idsPerCall), this.#o.concurrency, async (ids) => {
      try {
        const page = this.#page(await this.#get(this.#url('organizations/show_many', { ids: ids.join(',') })), 'organizations');
        const unattributable = this.#collect(page.items, 'organization', (raw) => {
          const p = organizationSchema.safeParse(raw);
          return p.success ? organizationToSourceRecord(p.data) : p.error;
        }, found);
        if (unattributable) throw unattributable;
      } catch (e) {
        const error = this.#asError(e);
        for (const id of ids) if (!found.has(id)) failed.set(id, error);
      }
    });
    return planned.map((p) => (p.kind === 'invalid' ? p.error : (found.get(p.id) ?? failed.get(p.id) ?? null)));
  }

  /**
   * Validates and maps each item, keyed by its id; an item whose id cannot be read is
   * returned as an Error (it might be any unanswered key's, so those keys get it, not null).
   */
  #collect<T>(items: unknown[], kind: string, map: (raw: unknown) => T | ZodError, into: Map<number, T | Error>): Error | null {
    let unattributable: Error | null = null;
    for (const raw of items) {
      const id = typeof raw === 'object' && raw !== null && 'id' in raw && typeof raw.id === 'number' ? raw.id : null;
      const mapped = map(raw);
      const result: T | Error = mapped instanceof Error && 'issues' in mapped ? invalidRecord('zendesk', `${kind} ${String(id ?? '(no id)')}`, mapped) : mapped;
      if (id === null) unattributable = result instanceof Error ? result : new SourceUnavailableError('zendesk', `${kind} without an id`);
      else into.set(id, result);
    }
    return unattributable;
  }

  #asError(e: unknown): SourceError {
    if (e instanceof SourceError) return e;
    if (e instanceof NotFound) return new SourceUnavailableError('zendesk', `Zendesk answered 404: ${e.message}`, { status: 404 });
    return new SourceUnavailableError('zendesk', e instanceof Error ? e.message : String(e), { cause: e });
  }

  /**
   * Per organization, every page of a per-organization list, with bounded concurrency. An
   * unknown organization (404) has an empty list. One bad item fails its organization's key.
   */
  async #perOrganization<T>(keys: readonly string[], path: (id: number) => string, key: string, map: (raw: unknown) => T | Error): Promise<(T[] | Error)[]> {
    const planned = plan(keys, 'organization');
    const ids = idsOf(planned);
    const results = await mapWithConcurrency(ids, this.#o.concurrency, async (id): Promise<T[] | Error> => {
      try {
        const items = await this.#list(this.#url(path(id), { 'page[size]': String(MAX_PAGE_SIZE) }), key);
        const out: T[] = [];
        for (const raw of items) {
          const m = map(raw);
          if (m instanceof Error) return m;
          out.push(m);
        }
        return out;
      } catch (e) {
        return e instanceof NotFound ? [] : this.#asError(e);
      }
    });
    const byId = new Map(ids.map((id, i) => [id, results[i]!]));
    return planned.map((p) => (p.kind === 'invalid' ? p.error : byId.get(p.id)!));
  }

  /**
   * Users of each organization: List Users of the organization, one paged call per
   * organization (≥ 1 call each, +1 per 100 users), `concurrency` at a time.
   * https://developer.zendesk.com/api-reference/ticketing/users/users/#list-users
   */
  loadUsers(keys: readonly string[]): Promise<(PersonRecord[] | Error)[]> {
    return this.#perOrganization<PersonRecord>(keys, (id) => `organizations/${id}/users`, 'users', (raw) => {
      const p = userSchema.safeParse(raw);
      return p.success ? userToPerson(p.data) : invalidRecord('zendesk', `user ${rawId(raw)}`, p.error);
    });
  }

  /**
   * Tickets of each organization: List Tickets of the organization, one paged call per organization.
   * https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#list-tickets
   */
  loadTickets(keys: readonly string[]): Promise<(TicketRecord[] | Error)[]> {
    return this.#perOrganization<TicketRecord>(keys, (id) => `organizations/${id}/tickets`, 'tickets', (raw) => {
      const p = ticketSchema.safeParse(raw);
      return p.success ? ticketToRecord(p.data) : invalidRecord('zendesk', `ticket ${rawId(raw)}`, p.error);
    });
  }

  /**
   * Received satisfaction ratings (good/bad) on each organization's tickets, newest first.
   * Zendesk cannot filter ratings by organization, so: the organizations' tickets (as
   * loadTickets) tell which tickets were rated; then one List Satisfaction Ratings walk with
   * `score=received` and `start_time` at the oldest rated ticket's creation (a rating is
   * never older than its ticket) picks those tickets' ratings. No rated ticket → no second call.
   * https://developer.zendesk.com/api-reference/ticketing/ticket-management/satisfaction_ratings/#list-satisfaction-ratings
   */
  async loadSatisfactionRatings(keys: readonly string[]): Promise<(SatisfactionRatingRecord[] | Error)[]> {
    const tickets = await this.#perOrganization<TicketRaw>(keys, (id) => `organizations/${id}/tickets`, 'tickets', (raw) => {
      const p = ticketSchema.safeParse(raw);
      return p.success ? p.data : invalidRecord('zendesk', `ticket ${rawId(raw)}`, p.error);
    });
    const orgOfTicket = new Map<number, number>();
    let since: number | null = null;
    for (const [i, list] of tickets.entries()) {
      if (list instanceof Error) continue;
      for (const t of list) {
        if (!RECEIVED_SCORES.has(t.satisfaction_rating?.score ?? '')) continue;
        orgOfTicket.set(t.id, i);
        const created = Math.floor(Date.parse(t.created_at) / 1000);
        since = since === null ? created : Math.min(since, created);
      }
    }
    const perKey: SatisfactionRatingRecord[][] = keys.map(() => []);
    if (since !== null) {
      let ratings: unknown[];
      try {
        ratings = await this.#list(this.#url('satisfaction_ratings', { score: 'received', start_time: String(since), 'page[size]': String(MAX_PAGE_SIZE) }), 'satisfaction_ratings');
      } catch (e) {
        const error = this.#asError(e);
        return tickets.map((t) => (t instanceof Error ? t : error));
      }
      const bad = new Map<number, Error>();
      for (const raw of ratings) {
        const ticketId = typeof raw === 'object' && raw !== null && 'ticket_id' in raw && typeof raw.ticket_id === 'number' ? raw.ticket_id : null;
        const p = satisfactionRatingSchema.safeParse(raw);
        if (!p.success) {
          // Only a bad rating of one of our tickets matters; one with no readable ticket fails every key that has ratings.
          if (ticketId === null) for (const k of new Set(orgOfTicket.values())) bad.set(k, invalidRecord('zendesk', `satisfaction_rating ${rawId(raw)}`, p.error));
          else if (orgOfTicket.has(ticketId)) bad.set(orgOfTicket.get(ticketId)!, invalidRecord('zendesk', `satisfaction_rating ${rawId(raw)}`, p.error));
          continue;
        }
        const k = orgOfTicket.get(p.data.ticket_id);
        if (k !== undefined) perKey[k]!.push(ratingToRecord(p.data));
      }
      return tickets.map((t, i) => (t instanceof Error ? t : (bad.get(i) ?? sortNewestFirst(perKey[i]!))));
    }
    return tickets.map((t, i) => (t instanceof Error ? t : perKey[i]!));
  }

  /**
   * User id → organization id: one Show Many Users call per ≤ 100 ids.
   * https://developer.zendesk.com/api-reference/ticketing/users/users/#show-many-users
   */
  async accountOfUsers(keys: readonly string[]): Promise<(string | null | Error)[]> {
    const planned = plan(keys, 'user');
    const found = new Map<number, string | null | Error>();
    const failed = new Map<number, Error>();
    await mapWithConcurrency(chunk(idsOf(planned), this.#o.idsPerCall), this.#o.concurrency, async (ids) => {
      try {
        const page = this.#page(await this.#get(this.#url('users/show_many', { ids: ids.join(',') })), 'users');
        const unattributable = this.#collect(page.items, 'user', (raw) => {
          const p = userSchema.safeParse(raw);
          return p.success ? (p.data.organization_id === null || p.data.organization_id === undefined ? null : String(p.data.organization_id)) : p.error;
        }, found);
        if (unattributable) throw unattributable;
      } catch (e) {
        const error = this.#asError(e);
        for (const id of ids) if (!found.has(id)) failed.set(id, error);
      }
    });
    return planned.map((p) => {
      if (p.kind === 'invalid') return p.error;
      const v = found.get(p.id);
      return v !== undefined ? v : (failed.get(p.id) ?? null);
    });
  }

  /**
   * Every organization in id order, in pages of `pageSize`, each with the emails of its
   * end-users. First one walk over all end-users (List Users, role=end-user, 100 per page)
   * grouped by organization_id, then List Organizations with cursor paging.
   * https://developer.zendesk.com/api-reference/ticketing/users/users/#list-users
   * https://developer.zendesk.com/api-reference/ticketing/organizations/organizations/#list-organizations
   */
  async *scanAccounts(scan: ScanOptions = {}): AsyncIterable<ScanPage> {
    const options = connectorScanOptions(this.#o.clock, scan);
    const pageSize = clampPageSize('zendesk', options.pageSize, this.#o.scanPageSize);
    const fetchList = (url: string, key: string): Promise<ListPage> =>
      fetchPageWithRetry('zendesk', async () => this.#page(await this.#get(url), key), (e) => this.#asError(e), options);
    const emailsByOrg = new Map<number, string[]>();
    // Invalid records go out with the next page handed out (or a page of their own at the end).
    let invalid: InvalidSourceRecordError[] = [];
    for (let url: string | null = this.#url('users', { role: 'end-user', 'page[size]': String(MAX_PAGE_SIZE) }); url !== null; ) {
      const page = await fetchList(url, 'users');
      for (const raw of page.items) {
        const p = userSchema.safeParse(raw);
        if (!p.success) {
          invalid.push(invalidRecord('zendesk', `user ${rawId(raw)}`, p.error));
          continue;
        }
        const org = p.data.organization_id;
        const email = p.data.email?.trim().toLowerCase();
        if (org === null || org === undefined || !email) continue;
        const list = emailsByOrg.get(org) ?? [];
        list.push(email);
        emailsByOrg.set(org, list);
      }
      url = page.next === null ? null : this.#rebase(page.next);
    }

    // One upstream page is one scan page (pageSize ≤ 100 = page[size]), so the cursor of the
    // next page (page[after]) is exactly where a stopped scan resumes.
    let url: string | null = this.#url('organizations', { 'page[size]': String(pageSize), ...(options.after === undefined ? {} : { 'page[after]': options.after }) });
    while (url !== null) {
      const page = await fetchList(url, 'organizations');
      const records: SourceRecord[] = [];
      for (const raw of page.items) {
        const p = organizationSchema.safeParse(raw);
        if (!p.success) {
          invalid.push(invalidRecord('zendesk', `organization ${rawId(raw)}`, p.error));
          continue;
        }
        records.push(organizationToSourceRecord(p.data, emailsByOrg.get(p.data.id) ?? []));
      }
      url = page.next === null ? null : this.#rebase(page.next);
      const after = url === null ? null : new URL(url).searchParams.get('page[after]');
      if (records.length > 0 || (invalid.length > 0 && url === null)) {
        yield scanPage(records, after ?? options.after ?? null, invalid);
        invalid = [];
      }
    }
  }

  /** https://developer.zendesk.com/api-reference/ticketing/organizations/organizations/#list-organizations */
  async ping(): Promise<void> {
    try {
      await this.#get(this.#url('organizations', { 'page[size]': '1' }));
    } catch (e) {
      throw this.#asError(e);
    }
  }
}

function rawId(raw: unknown): string {
  return typeof raw === 'object' && raw !== null && 'id' in raw && (typeof raw.id === 'number' || typeof raw.id === 'string') ? String(raw.id) : '(no id)';
}

const sortNewestFirst = (rs: SatisfactionRatingRecord[]): SatisfactionRatingRecord[] =>
  rs.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));

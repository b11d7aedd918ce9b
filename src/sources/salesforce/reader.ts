// Batched reads from Salesforce through jsforce: one SOQL query per chunk of ids (following
// nextRecordsUrl when the answer pages; jsforce's `request`, not its Query object), results handed back in key order per the DataLoader
// contract. docs/sources/salesforce.md describes the calls and their limits.
import { STATUS_CODES } from 'node:http';
import type { Connection } from 'jsforce';
import type { OpportunityRecord, PersonRecord, SourceRecord } from '../types.ts';
import { chunk, mapWithConcurrency } from '../concurrency.ts';
import type { ConnectorClock } from '../options.ts';
import { clampPageSize, connectorScanOptions, fetchPageWithRetry, scanPage, type ScanOptions, type ScanPage } from '../scan.ts';
import type { InvalidSourceRecordError} from '../errors.ts';
import { InvalidSourceIdError, invalidRecord, SourceError, SourceRateLimitedError, SourceUnavailableError } from '../errors.ts';
import {
  ACCOUNT_CUSTOM_FIELDS,
  ACCOUNT_FIELDS,
  CONTACT_FIELDS,
  KEY_PREFIX,
  OPPORTUNITY_FIELDS,
  accountSchema,
  contactAccountSchema,
  contactInAccountSchema,
  contactSchema,
  describeSchema,
  opportunitySchema,
  queryResultSchema,
  toSalesforceId18,
  wonOpportunitySchema,
  type ContactInAccountRaw,
  type QueryResultRaw,
  type WonOpportunityRaw,
} from './schema.ts';
import { accountToSourceRecord, contactToPerson, opportunityToRecord } from './mapping.ts';

export interface SalesforceReaderOptions {
  /** Ids per `WHERE Id IN (…)` query. 200 keeps the SOQL (and the GET URL carrying it) far below Salesforce's limits. */
  idsPerQuery: number;
  /** Queries in flight at once when a batch needs several. */
  concurrency: number;
  /** Default page size of scanAccounts. */
  scanPageSize: number;
  /** The org's currency for opportunity amounts (see mapping.ts opportunityToRecord). */
  currency: string;
  clock: ConnectorClock;
  /** Told once, at first use, which of ACCOUNT_CUSTOM_FIELDS the org lacks and what that costs. */
  onMissingFields: (message: string, missing: readonly string[]) => void;
}

/** One line for the log: which custom fields the org lacks, and what is lost without each. */
export function missingFieldsMessage(missing: readonly { field: string; adds: string }[]): string {
  return (
    `salesforce: Account has no ${missing.map((m) => m.field).join(', ')}; reading Accounts without them, which loses ` +
    `${missing.map((m) => `${m.field}: ${m.adds}`).join('; ')}. Accounts still link through the other systems' references ` +
    `and the matcher (docs/deploy.md, "What the Salesforce org needs")`
  );
}

type Planned = { kind: 'invalid'; error: Error } | { kind: 'none' } | { kind: 'id'; id: string };

/**
 * Validates each key as a Salesforce id of the given object. A malformed id is an Error for
 * that key alone; a well-formed id of another object (wrong key prefix) can name no record
 * of this one, so it is null without a call.
 */
function plan(ids: readonly string[], object: keyof typeof KEY_PREFIX): Planned[] {
  return ids.map((raw) => {
    const id = toSalesforceId18(raw);
    if (id === null) return { kind: 'invalid', error: new InvalidSourceIdError('salesforce', raw, 'a 15- or 18-character Salesforce id') };
    return id.startsWith(KEY_PREFIX[object]) ? { kind: 'id', id } : { kind: 'none' };
  });
}

const idsOf = (planned: readonly Planned[]): string[] => [...new Set(planned.flatMap((p) => (p.kind === 'id' ? [p.id] : [])))];

/** Ids are [A-Za-z0-9] after toSalesforceId18, so quoting is all the escaping they need. */
const idList = (ids: readonly string[]): string => ids.map((id) => `'${id}'`).join(',');

const errorCodeOf = (e: unknown): string | null =>
  typeof e === 'object' && e !== null && 'errorCode' in e && typeof e.errorCode === 'string' ? e.errorCode : null;

/** Statuses Salesforce's REST API documents for error codes that jsforce reports without the status. */
const STATUS_OF_CODE: Readonly<Record<string, number>> = { SERVER_UNAVAILABLE: 503, UNKNOWN_EXCEPTION: 500, REQUEST_LIMIT_EXCEEDED: 403, INVALID_SESSION_ID: 401 };

/** Socket-level failures, by the Node error code that node-fetch carries. */
const CONNECTION_FAILURES: Readonly<Record<string, string>> = {
  ECONNRESET: 'connection reset',
  ECONNREFUSED: 'connection refused',
  ETIMEDOUT: 'connection timed out',
  EPIPE: 'connection closed while sending',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found (DNS)',
};

const nodeCodeOf = (e: unknown): string | null => {
  for (let x: unknown = e, depth = 0; typeof x === 'object' && x !== null && depth < 3; x = (x as { cause?: unknown }).cause, depth++) {
    const c = (x as { code?: unknown }).code;
    if (typeof c === 'string' && c.startsWith('E')) return c;
  }
  return null;
};

/**
 * A jsforce failure as a SourceError whose message says what happened: the status and code
 * Salesforce answered, or what became of the connection (never the URL: it names internal hosts).
 */
export function toSalesforceError(e: unknown, now: Date): SourceError {
  if (e instanceof SourceError) return e;
  const code = errorCodeOf(e);
  const message = e instanceof Error ? e.message : String(e);
  const status = code?.startsWith('ERROR_HTTP_') ? Number(code.slice('ERROR_HTTP_'.length)) : code ? (STATUS_OF_CODE[code] ?? null) : null;
  // Salesforce's REST API answers its rate limits with 403 REQUEST_LIMIT_EXCEEDED (no 429, no
  // Retry-After): https://developer.salesforce.com/docs/atlas.en-us.salesforce_app_limits_cheatsheet.meta/salesforce_app_limits_cheatsheet/salesforce_app_limits_platform_api.htm
  if (code === 'REQUEST_LIMIT_EXCEEDED' || status === 429) {
    return new SourceRateLimitedError('salesforce', `Salesforce rate limit: ${message}`, null, now, { status, upstreamCode: code, cause: e });
  }
  if (status !== null) {
    const what = `${status}${STATUS_CODES[status] ? ` ${STATUS_CODES[status]}` : ''}`;
    const detail = code && !code.startsWith('ERROR_HTTP_') ? ` (${code}: ${message})` : '';
    return new SourceUnavailableError('salesforce', `salesforce answered ${what}${detail}`, { status, upstreamCode: code, cause: e });
  }
  const nodeCode = nodeCodeOf(e);
  if (nodeCode !== null || /socket hang up/i.test(message)) {
    const what = nodeCode !== null ? (CONNECTION_FAILURES[nodeCode] ?? `connection failed (${nodeCode})`) : 'connection reset';
    const said = `salesforce: ${what} before an answer`;
    return new SourceUnavailableError('salesforce', said, { status: null, upstreamCode: nodeCode, publicReason: said, cause: e });
  }
  return new SourceUnavailableError('salesforce', `Salesforce request failed: ${code ? `${code}: ` : ''}${message}`, { status, upstreamCode: code, cause: e });
}

export class SalesforceReader {
  readonly #conn: Connection;
  readonly #o: SalesforceReaderOptions;
  /** The Account SELECT list for this org, described at first use (null until then or after a failed describe). */
  #accountFields: Promise<readonly string[]> | null = null;

  constructor(conn: Connection, options: SalesforceReaderOptions) {
    this.#conn = conn;
    this.#o = options;
  }

  // ---------- plumbing ----------

  /**
   * Runs one SOQL query and hands each page's records to `onPage`, following queryMore.
   * https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_query.htm (query / queryAll)
   * https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_query.htm (queryMore via nextRecordsUrl)
   */
  async #query(soql: string, options: { scanAll: boolean; batchSize?: number }, onPage: (records: unknown[]) => Promise<void>): Promise<void> {
    const headers: Record<string, string> = {};
    // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/headers_queryoptions.htm
    if (options.batchSize !== undefined) headers['Sforce-Query-Options'] = `batchSize=${options.batchSize}`;
    let page = this.#envelope(await this.#first(soql, options.scanAll, headers));
    await onPage(page.records);
    while (!page.done && page.nextRecordsUrl) {
      page = this.#envelope(await this.#more(page.nextRecordsUrl));
      await onPage(page.records);
    }
  }

  /**
   * A query's first page: the REST query resource, `GET …/query?q=<soql>` (`queryAll` with deleted
   * records), through jsforce's `request`. The same call `conn.query` makes, without the Query
   * object it builds around it (an event emitter and record stream): 0.2–0.45 ms less per cache
   * miss at p50, in two paired runs (docs/gateway.md).
   */
  #first(soql: string, scanAll: boolean, headers: Record<string, string> = {}): Promise<unknown> {
    return this.#conn.request({ method: 'GET', url: `/${scanAll ? 'queryAll' : 'query'}?q=${encodeURIComponent(soql)}`, headers });
  }

  /** The next page of a query or of a child relationship: its `nextRecordsUrl` (`/services/data/vNN.N/query/<locator>`). */
  #more(nextRecordsUrl: string): Promise<unknown> {
    return this.#conn.request({ method: 'GET', url: nextRecordsUrl });
  }

  #envelope(answer: unknown): QueryResultRaw {
    const parsed = queryResultSchema.safeParse(answer);
    if (!parsed.success) {
      throw new SourceUnavailableError('salesforce', `Salesforce query answer is not a query result: ${parsed.error.issues[0]?.path.join('.') ?? ''} ${parsed.error.issues[0]?.message ?? ''}`);
    }
    return parsed.data;
  }

  /** The rest of a child-relationship subquery that did not fit its parent's answer. */
  async #childRest(first: { done: boolean; nextRecordsUrl?: string | undefined }): Promise<unknown[]> {
    const out: unknown[] = [];
    let cursor = first;
    while (!cursor.done && cursor.nextRecordsUrl) {
      const page = this.#envelope(await this.#more(cursor.nextRecordsUrl));
      out.push(...page.records);
      cursor = page;
    }
    return out;
  }

  /** Account answer (every child page fetched, every child validated) → SourceRecord, or the Error of that one record. */
  async #account(raw: unknown): Promise<{ id: string | null; result: SourceRecord | InvalidSourceRecordError }> {
    const rawId = typeof raw === 'object' && raw !== null && 'Id' in raw && typeof raw.Id === 'string' ? toSalesforceId18(raw.Id) : null;
    const parsed = accountSchema.safeParse(raw);
    if (!parsed.success) return { id: rawId, result: invalidRecord('salesforce', rawId ?? '(no Id)', parsed.error) };
    const account = parsed.data;
    const contacts: ContactInAccountRaw[] = [...(account.Contacts?.records ?? [])];
    const won: WonOpportunityRaw[] = [...(account.Opportunities?.records ?? [])];
    if (account.Contacts && !account.Contacts.done) {
      for (const [i, c] of (await this.#childRest(account.Contacts)).entries()) {
        const p = contactInAccountSchema.safeParse(c);
        if (!p.success) return { id: rawId, result: invalidRecord('salesforce', account.Id, p.error, ['Contacts', 'records', contacts.length + i]) };
        contacts.push(p.data);
      }
    }
    if (account.Opportunities && !account.Opportunities.done) {
      for (const [i, o] of (await this.#childRest(account.Opportunities)).entries()) {
        const p = wonOpportunitySchema.safeParse(o);
        if (!p.success) return { id: rawId, result: invalidRecord('salesforce', account.Id, p.error, ['Opportunities', 'records', won.length + i]) };
        won.push(p.data);
      }
    }
    return { id: rawId, result: accountToSourceRecord(account, contacts, won) };
  }

  /**
   * The standard Account fields plus the custom ones this org has. Salesforce refuses a query
   * naming a field the org lacks (INVALID_FIELD), and orgs differ, so the org is asked once
   * with describe, on first use (not at start: Salesforce may be down then) and the answer
   * kept; a failed describe is asked again next time.
   * https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_sobject_describe.htm
   */
  #selectAccountFields(): Promise<readonly string[]> {
    this.#accountFields ??= this.#describeAccount().catch((e: unknown) => {
      this.#accountFields = null;
      throw toSalesforceError(e, this.#o.clock.now());
    });
    return this.#accountFields;
  }

  async #describeAccount(): Promise<readonly string[]> {
    const parsed = describeSchema.safeParse(await this.#conn.sobject('Account').describe());
    if (!parsed.success) throw new SourceUnavailableError('salesforce', 'Salesforce Account describe answer has no field list');
    const names = new Set(parsed.data.fields.map((f) => f.name.toLowerCase()));
    const missing = ACCOUNT_CUSTOM_FIELDS.filter((c) => !names.has(c.field.toLowerCase()));
    if (missing.length > 0) this.#o.onMissingFields(missingFieldsMessage(missing), missing.map((m) => m.field));
    return [...ACCOUNT_FIELDS, ...ACCOUNT_CUSTOM_FIELDS.filter((c) => names.has(c.field.toLowerCase())).map((c) => c.field)];
  }

  async #accountSoql(where: string): Promise<string> {
    const fields = await this.#selectAccountFields();
    // Contacts: live only (queryAll would also return recycled ones), oldest first so the
    // first contact is the primary. Opportunities: only what ClosedWonTotal needs.
    return (
      `SELECT ${fields.join(', ')}, Owner.Name, Owner.Email, ` +
      `(SELECT Id, FirstName, LastName, Name, Email, Phone, Title, CreatedDate FROM Contacts WHERE IsDeleted = false ORDER BY CreatedDate ASC, Id ASC), ` +
      `(SELECT Amount FROM Opportunities WHERE IsWon = true AND IsDeleted = false) ` +
      `FROM Account ${where}`
    );
  }

  /**
   * Runs `perChunk` over the distinct ids in chunks of idsPerQuery with bounded concurrency.
   * `perChunk` fills `found`; when it throws, the ids of that chunk it had not found yet get
   * the error (ids found on earlier pages keep their records).
   */
  async #byChunks<V>(ids: readonly string[], found: Map<string, V | Error>, perChunk: (ids: string[]) => Promise<void>): Promise<Map<string, Error>> {
    const failed = new Map<string, Error>();
    await mapWithConcurrency(chunk(ids, this.#o.idsPerQuery), this.#o.concurrency, async (part) => {
      try {
        await perChunk(part);
      } catch (e) {
        const error = toSalesforceError(e, this.#o.clock.now());
        for (const id of part) if (!found.has(id)) failed.set(id, error);
      }
    });
    return failed;
  }

  // ---------- reads ----------

  async loadAccounts(keys: readonly string[]): Promise<(SourceRecord | null | Error)[]> {
    const planned = plan(keys, 'Account');
    const ids = idsOf(planned);
    const found = new Map<string, SourceRecord | Error>();
    const failed = await this.#byChunks(ids, found, async (part) => {
      const state: { unattributable: Error | null } = { unattributable: null };
      // scanAll (queryAll) so merged-away duplicates come back, with IsDeleted = true.
      await this.#query(await this.#accountSoql(`WHERE Id IN (${idList(part)})`), { scanAll: true }, async (records) => {
        for (const raw of records) {
          const { id, result } = await this.#account(raw);
          if (id === null) state.unattributable = result instanceof Error ? result : state.unattributable;
          else found.set(id, result);
        }
      });
      // A row we could not tie to an id might be any unanswered key: those get its error, not null.
      if (state.unattributable) throw state.unattributable;
    });
    return planned.map((p) => (p.kind === 'invalid' ? p.error : p.kind === 'none' ? null : (found.get(p.id) ?? failed.get(p.id) ?? null)));
  }

  /** Live contacts of each account, oldest first. */
  async loadContacts(keys: readonly string[]): Promise<(PersonRecord[] | Error)[]> {
    return this.#related(keys, `SELECT ${CONTACT_FIELDS.join(', ')} FROM Contact`, 'ORDER BY AccountId, CreatedDate ASC, Id ASC', (raw) => {
      const p = contactSchema.safeParse(raw);
      return p.success ? { accountId: p.data.AccountId, value: contactToPerson(p.data) } : { error: invalidRecord('salesforce', rawIdOf(raw), p.error), accountId: rawAccountIdOf(raw) };
    });
  }

  /** Live opportunities of each account, latest close date first. */
  async loadOpportunities(keys: readonly string[]): Promise<(OpportunityRecord[] | Error)[]> {
    return this.#related(keys, `SELECT ${OPPORTUNITY_FIELDS.join(', ')} FROM Opportunity`, 'ORDER BY AccountId, CloseDate DESC, Id ASC', (raw) => {
      const p = opportunitySchema.safeParse(raw);
      return p.success
        ? { accountId: p.data.AccountId, value: opportunityToRecord(p.data, this.#o.currency) }
        : { error: invalidRecord('salesforce', rawIdOf(raw), p.error), accountId: rawAccountIdOf(raw) };
    });
  }

  /**
   * One query per chunk of account ids (`WHERE AccountId IN (…)`), grouped back per key. A
   * child row that fails the schema fails its account's key (the list would be incomplete).
   */
  async #related<T>(
    keys: readonly string[],
    select: string,
    orderBy: string,
    map: (raw: unknown) => { accountId: string | null; value: T } | { accountId: string | null; error: Error },
  ): Promise<(T[] | Error)[]> {
    const planned = plan(keys, 'Account');
    const ids = idsOf(planned);
    const grouped = new Map<string, T[] | Error>();
    const failed = await this.#byChunks(ids, grouped, async (part) => {
      const local = new Map<string, T[] | Error>(part.map((id) => [id, [] as T[]]));
      await this.#query(`${select} WHERE AccountId IN (${idList(part)}) ${orderBy}`, { scanAll: false }, (records) => {
        for (const raw of records) {
          const m = map(raw);
          const accountId = m.accountId === null ? null : toSalesforceId18(m.accountId);
          if (accountId === null) {
            if ('error' in m) throw m.error; // cannot tell whose list is now incomplete
            continue;
          }
          const list = local.get(accountId);
          if (list === undefined || list instanceof Error) continue;
          if ('error' in m) local.set(accountId, m.error);
          else list.push(m.value);
        }
        return Promise.resolve();
      });
      for (const [id, v] of local) grouped.set(id, v);
    });
    return planned.map((p) => (p.kind === 'invalid' ? p.error : p.kind === 'none' ? [] : (grouped.get(p.id) ?? failed.get(p.id) ?? [])));
  }

  /** Contact id → its AccountId (null for an unknown contact or one without an account). */
  async accountOfContacts(keys: readonly string[]): Promise<(string | null | Error)[]> {
    const planned = plan(keys, 'Contact');
    const ids = idsOf(planned);
    const found = new Map<string, string | null | Error>();
    const failed = await this.#byChunks(ids, found, async (part) => {
      await this.#query(`SELECT Id, AccountId FROM Contact WHERE Id IN (${idList(part)})`, { scanAll: false }, (records) => {
        for (const raw of records) {
          const id = toSalesforceId18(rawIdOf(raw));
          const p = contactAccountSchema.safeParse(raw);
          // A row we cannot tie to a key might be any unanswered key's: fail the chunk's rest.
          if (id === null) throw p.success ? new SourceUnavailableError('salesforce', 'Contact row with an unusable Id') : invalidRecord('salesforce', '(no Id)', p.error);
          if (!p.success) found.set(id, invalidRecord('salesforce', id, p.error));
          else found.set(id, p.data.AccountId === null ? null : toSalesforceId18(p.data.AccountId));
        }
        return Promise.resolve();
      });
    });
    return planned.map((p) => {
      if (p.kind === 'invalid') return p.error;
      if (p.kind === 'none') return null;
      const v = found.get(p.id);
      return v !== undefined ? v : (failed.get(p.id) ?? null);
    });
  }

  /**
   * Every account, deleted (merged-away) ones included, in Id order, in pages of `pageSize`.
   * Salesforce clamps batchSize to 200…2000 and may send fewer rows when subqueries are
   * involved, so pages are re-cut here to exactly `pageSize` (the last may be shorter). Each
   * page resumes after its last Id (`WHERE Id > …`), which is also how the scan goes on when a
   * query locator has expired (Salesforce keeps them about 15 minutes).
   */
  async *scanAccounts(scan: ScanOptions = {}): AsyncIterable<ScanPage> {
    const options = connectorScanOptions(this.#o.clock, scan);
    const pageSize = clampPageSize('salesforce', options.pageSize, this.#o.scanPageSize);
    const batchSize = Math.min(2000, Math.max(200, pageSize));
    const headers = { 'Sforce-Query-Options': `batchSize=${batchSize}` };
    const toError = (e: unknown): SourceError => toSalesforceError(e, this.#o.clock.now());
    let lastId: string | null = options.after === undefined ? null : toSalesforceId18(options.after);
    if (options.after !== undefined && lastId === null) throw new RangeError(`after must be a Salesforce Account id (got ${JSON.stringify(options.after)})`);
    const buffer: SourceRecord[] = [];
    // Invalid records go out with the next page handed out (or a page of their own at the end).
    let invalid: InvalidSourceRecordError[] = [];
    const first = (): Promise<QueryResultRaw> =>
      fetchPageWithRetry(
        'salesforce',
        async () => this.#envelope(await this.#first(await this.#accountSoql(`${lastId === null ? '' : `WHERE Id > '${lastId}' `}ORDER BY Id ASC`), true, headers)),
        toError,
        options,
      );
    // The query runs ahead page by page; each upstream page is yielded before the next is fetched.
    let page = await first();
    for (;;) {
      for (const raw of page.records) {
        let mapped: { id: string | null; result: SourceRecord | InvalidSourceRecordError };
        try {
          mapped = await this.#account(raw);
        } catch (e) {
          throw toError(e);
        }
        if (mapped.result instanceof Error) invalid.push(mapped.result);
        else buffer.push(mapped.result);
        if (buffer.length === pageSize) {
          const out = buffer.splice(0, pageSize);
          lastId = out.at(-1)!.id;
          yield scanPage(out, lastId, invalid);
          invalid = [];
        }
      }
      if (page.done || !page.nextRecordsUrl) break;
      const locator = page.nextRecordsUrl;
      try {
        page = await fetchPageWithRetry('salesforce', async () => this.#envelope(await this.#more(locator)), toError, options);
      } catch (e) {
        if (!(e instanceof SourceError) || e.upstreamCode !== 'INVALID_QUERY_LOCATOR') throw e;
        // The locator expired while we waited: start again after the last record handed out.
        buffer.length = 0;
        page = await first();
      }
    }
    if (buffer.length > 0 || invalid.length > 0) {
      const out = buffer.splice(0);
      yield scanPage(out, out.at(-1)?.id ?? lastId, invalid);
    }
  }

  /** https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_query.htm */
  async ping(): Promise<void> {
    try {
      await this.#first('SELECT Id FROM Account LIMIT 1', false);
    } catch (e) {
      throw toSalesforceError(e, this.#o.clock.now());
    }
  }
}

function rawIdOf(raw: unknown): string {
  return typeof raw === 'object' && raw !== null && 'Id' in raw && typeof raw.Id === 'string' ? raw.Id : '(no Id)';
}

function rawAccountIdOf(raw: unknown): string | null {
  return typeof raw === 'object' && raw !== null && 'AccountId' in raw && typeof raw.AccountId === 'string' ? raw.AccountId : null;
}

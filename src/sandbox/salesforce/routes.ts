// The REST API surface: OAuth token endpoint, identity, versions, SOQL with cursors,
// sObject CRUD/upsert/describe, sObject Collections and the replication feeds.
// https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_list.htm
import { timingSafeEqual } from 'node:crypto';
import { normalizeSalesforceId, salesforceId } from '../kit/ids.ts';
import { Router, type EmulatorRequest, type EmulatorResponse, type FaultStyle } from '../kit/server.ts';
import { SfApiError, notFoundError, parseSfDateTime, scalarText, sessionError, toSfDateTime } from './errors.ts';
import { OBJECTS, describeBasic, describeGlobal, describeObject, findObject, objectForId, type FieldDef, type ObjectDef, type SObjectName } from './schema.ts';
import type { SessionRegistry } from './sessions.ts';
import { tokenSignature } from './sessions.ts';
import { UNSUPPORTED_TYPE, prepareSoql, type PreparedSoql } from './soql-eval.ts';
import type { PreparedFields, SalesforceStore, SfRecord } from './store.ts';

export interface RouteContext {
  store: SalesforceStore;
  sessions: SessionRegistry;
  orgId: string;
  userId: string;
  clientId: string;
  clientSecret: string;
  username: string;
  password: string;
  apiVersions: readonly string[];
  pageSize: number;
  dailyApiLimit: number;
  enforceDailyApiLimit: boolean;
  rateLimitStatus: 403 | 429;
  now: () => Date;
  /** The emulator's own URL (used when a request carries no Host header). */
  baseUrl: () => string;
}

const MAX_COLLECTION = 200;
const MAX_RETRIEVE_IDS = 2000;
const CURSOR_TTL_MS = 15 * 60_000;
/** Salesforce keeps at most 10 open query cursors per user and drops the oldest beyond that. */
const MAX_OPEN_CURSORS = 10;
const REPLICATION_WINDOW_DAYS = 30;

const RELEASES: Record<string, string> = {
  '50.0': "Winter '21", '51.0': "Spring '21", '52.0': "Summer '21", '53.0': "Winter '22", '54.0': "Spring '22",
  '55.0': "Summer '22", '56.0': "Winter '23", '57.0': "Spring '23", '58.0': "Summer '23", '59.0': "Winter '24",
  '60.0': "Spring '24", '61.0': "Summer '24", '62.0': "Winter '25", '63.0': "Spring '25", '64.0': "Summer '25",
};

const json = (status: number, body: unknown, headers?: Record<string, string>): EmulatorResponse => ({ status, body, ...(headers ? { headers } : {}) });

function errorResponse(e: SfApiError): EmulatorResponse {
  return json(e.status, e.body());
}

/** Salesforce's body for an injected or real rate limit, 5xx and unknown path. */
export function salesforceFaultStyle(ctx: Pick<RouteContext, 'rateLimitStatus'>, router: Router): FaultStyle {
  return {
    // Salesforce has no 429 on the REST API: both the daily quota and the concurrent
    // long-request limit answer 403 REQUEST_LIMIT_EXCEEDED (jsforce does not retry it).
    // The injected limit is the concurrent one; Retry-After is a sandbox courtesy.
    rateLimited: (retryAfterSeconds) =>
      json(ctx.rateLimitStatus, [{ message: 'ConcurrentPerOrgLongTxn Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }], { 'retry-after': String(retryAfterSeconds) }),
    serverError: (status) =>
      status === 503
        ? json(503, [{ message: 'Server temporarily unavailable', errorCode: 'SERVER_UNAVAILABLE' }])
        : json(status, [{ message: 'An unexpected error occurred. Please include this ErrorId if you contact support: 1386942155-58313 (-1093410232)', errorCode: 'UNKNOWN_EXCEPTION' }]),
    unavailable: () => json(503, [{ message: 'Server temporarily unavailable', errorCode: 'SERVER_UNAVAILABLE' }]),
    notFound: (req) => {
      const m = router.match(req.method, req.path);
      if (m && 'allowed' in m) {
        return json(405, [{ errorCode: 'METHOD_NOT_ALLOWED', message: `HTTP Method '${req.method}' not allowed. Allowed are ${m.allowed.join(',')}` }]);
      }
      return json(404, [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }]);
    },
  };
}

interface Cursor {
  id: string;
  /** The selected rows, rendered a page at a time (prepareSoql). */
  query: PreparedSoql;
  totalSize: number;
  pageSize: number;
  lastUsed: number;
}

interface ApiCall {
  req: EmulatorRequest;
  /** '59.0' */
  version: string;
  /** '/services/data/v59.0' */
  apiBase: string;
  instanceUrl: string;
}

export function buildRouter(ctx: RouteContext): Router {
  const router = new Router();
  const { store, sessions } = ctx;
  const cursors = new Map<string, Cursor>();
  let cursorSeq = 0;
  const usage: number[] = [];

  const instanceUrl = (req: EmulatorRequest): string => (typeof req.headers.host === 'string' ? `http://${req.headers.host}` : ctx.baseUrl());
  const identityUrl = (req: EmulatorRequest): string => `${instanceUrl(req)}/id/${ctx.orgId}/${ctx.userId}`;

  const apiUsed = (): number => {
    const dayAgo = Date.now() - 86_400_000;
    while (usage.length > 0 && usage[0]! < dayAgo) usage.shift();
    return usage.length;
  };
  const limitHeader = (): Record<string, string> => ({ 'sforce-limit-info': `api-usage=${apiUsed()}/${ctx.dailyApiLimit}` });

  const bearer = (req: EmulatorRequest): string | null => {
    const h = req.headers.authorization;
    const m = typeof h === 'string' ? /^(?:Bearer|OAuth)\s+(\S+)$/i.exec(h) : null;
    return m?.[1] ?? req.url.searchParams.get('oauth_token');
  };

  /** Authentication, version check, API accounting and error mapping for every data route. */
  const api =
    (handler: (call: ApiCall) => EmulatorResponse | Promise<EmulatorResponse>) =>
    async (req: EmulatorRequest): Promise<EmulatorResponse> => {
      const token = bearer(req);
      if (!token || !sessions.isValidAccessToken(token)) return errorResponse(sessionError());
      const version = /^v(\d+\.\d)$/.exec(req.params.version ?? '')?.[1];
      if (req.params.version !== undefined && (!version || !ctx.apiVersions.includes(version))) return errorResponse(notFoundError());
      const v = version ?? ctx.apiVersions[ctx.apiVersions.length - 1]!;
      if (ctx.enforceDailyApiLimit && apiUsed() >= ctx.dailyApiLimit) {
        return json(403, [{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }], limitHeader());
      }
      usage.push(Date.now());
      let out: EmulatorResponse;
      try {
        out = await handler({ req, version: v, apiBase: `/services/data/v${v}`, instanceUrl: instanceUrl(req) });
      } catch (e) {
        if (!(e instanceof SfApiError)) throw e;
        out = errorResponse(e);
      }
      return { ...out, headers: { ...out.headers, ...limitHeader() } };
    };

  const readJson = (req: EmulatorRequest): unknown => {
    const text = req.rawBody.toString('utf8');
    if (text.trim() === '') throw new SfApiError(400, 'JSON_PARSER_ERROR', 'No content to map due to end-of-input');
    try {
      return JSON.parse(text);
    } catch (e) {
      const pos = Number(/position (\d+)/.exec(e instanceof Error ? e.message : '')?.[1] ?? 0);
      const ch = text.charAt(pos);
      const before = text.slice(0, pos);
      const line = before.split('\n').length;
      const column = pos - before.lastIndexOf('\n');
      throw new SfApiError(
        400,
        'JSON_PARSER_ERROR',
        `Unexpected character ('${ch}' (code ${ch.charCodeAt(0) || 0})): was expecting double-quote to start field name or a valid value at [line:${line}, column:${column}]`,
      );
    }
  };

  const readObject = (req: EmulatorRequest): Record<string, unknown> => {
    const body = readJson(req);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new SfApiError(400, 'JSON_PARSER_ERROR', `Cannot deserialize instance of SObject from ${Array.isArray(body) ? 'START_ARRAY' : 'VALUE_STRING'} value or request may be missing a required field`);
    }
    return body as Record<string, unknown>;
  };

  const objectOr404 = (name: string | undefined): ObjectDef => {
    const obj = findObject(name ?? '');
    if (!obj) throw notFoundError();
    return obj;
  };

  const renderRecord = (apiBase: string, obj: ObjectDef, rec: SfRecord, fields?: readonly FieldDef[]): Record<string, unknown> => {
    const out: Record<string, unknown> = { attributes: { type: obj.name, url: `${apiBase}/sobjects/${obj.name}/${rec.Id}` } };
    for (const f of fields ?? store.fieldsOf(obj.name)) {
      const v = rec[f.name];
      out[f.name] = v === undefined || v === null ? null : f.type === 'datetime' ? toSfDateTime(scalarText(v)) : v;
    }
    return out;
  };

  const resolveFields = (obj: ObjectDef, names: readonly string[]): FieldDef[] => {
    const defs: FieldDef[] = [];
    for (const n of names) {
      const trimmed = n.trim();
      if (trimmed === '') continue;
      const f = store.findField(obj, trimmed);
      if (!f) {
        throw new SfApiError(
          400,
          'INVALID_FIELD',
          `No such column '${trimmed}' on entity '${obj.name}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`,
        );
      }
      if (!defs.includes(f)) defs.push(f);
    }
    return defs;
  };

  // ---------- OAuth ----------
  // https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_username_password_flow.htm
  // https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_refresh_token_flow.htm
  const same = (a: string, b: string): boolean => {
    const ba = Buffer.from(a);
    const bb = Buffer.from(b);
    return ba.length === bb.length && timingSafeEqual(ba, bb);
  };
  router.add('POST', '/services/oauth2/token', 'oauth.token', (req) => {
    const form = new URLSearchParams(req.rawBody.toString('utf8'));
    for (const [k, v] of req.url.searchParams) if (!form.has(k)) form.set(k, v);
    const oauthError = (error: string, description: string): EmulatorResponse => json(400, { error, error_description: description });
    const grant = form.get('grant_type');
    if (grant !== 'password' && grant !== 'refresh_token') return oauthError('unsupported_grant_type', 'grant type not supported');
    if (form.get('client_id') !== ctx.clientId) return oauthError('invalid_client_id', 'client identifier invalid');
    const secret = form.get('client_secret');
    if (grant === 'password' && (secret === null || !same(secret, ctx.clientSecret))) return oauthError('invalid_client', 'invalid client credentials');
    if (grant === 'refresh_token' && secret !== null && !same(secret, ctx.clientSecret)) return oauthError('invalid_client', 'invalid client credentials');
    if (grant === 'password') {
      const okUser = (form.get('username') ?? '').toLowerCase() === ctx.username.toLowerCase();
      if (!okUser || !same(form.get('password') ?? '', ctx.password)) return oauthError('invalid_grant', 'authentication failure');
    } else if (!sessions.isValidRefreshToken(form.get('refresh_token') ?? '')) {
      return oauthError('invalid_grant', 'expired access/refresh token');
    }
    const id = identityUrl(req);
    const issuedAt = String(Date.now());
    return json(200, {
      access_token: sessions.issueAccessToken(),
      ...(grant === 'password' ? { refresh_token: sessions.issueRefreshToken() } : {}),
      instance_url: instanceUrl(req),
      id,
      token_type: 'Bearer',
      issued_at: issuedAt,
      signature: tokenSignature(ctx.clientSecret, id, issuedAt),
      scope: 'api refresh_token',
    });
  });

  // https://help.salesforce.com/s/articleView?id=sf.remoteaccess_revoke_token.htm
  router.add('POST', '/services/oauth2/revoke', 'oauth.revoke', (req) => {
    const token = new URLSearchParams(req.rawBody.toString('utf8')).get('token') ?? req.url.searchParams.get('token');
    if (!token) return json(400, { error: 'unsupported_token_type', error_description: 'this token type is not supported' });
    sessions.revoke(token);
    return { status: 200 };
  });

  // https://help.salesforce.com/s/articleView?id=sf.remoteaccess_using_openid.htm (identity URL)
  router.add(
    'GET',
    '/id/:org/:user',
    'identity',
    api(({ req, instanceUrl: base }) => {
      const orgOk = normalizeSalesforceId(req.params.org ?? '') === ctx.orgId;
      const user = orgOk ? store.get('User', req.params.user ?? '') : undefined;
      if (!user) return json(404, 'Bad_Id');
      const name = String(user.Name);
      const [first, ...rest] = name.split(' ');
      const urls = (path: string): string => `${base}${path.replace('{orgId}', ctx.orgId)}`;
      return json(200, {
        id: `${base}/id/${ctx.orgId}/${user.Id}`,
        asserted_user: true,
        user_id: user.Id,
        organization_id: ctx.orgId,
        username: user.Username,
        nick_name: String(user.Email).split('@')[0],
        display_name: name,
        email: user.Email,
        email_verified: true,
        first_name: first ?? null,
        last_name: rest.join(' ') || name,
        timezone: 'GMT',
        active: user.IsActive,
        user_type: 'STANDARD',
        language: 'en_US',
        locale: 'en_US',
        utcOffset: 0,
        last_modified_date: toSfDateTime(String(user.LastModifiedDate)),
        is_app_installed: true,
        urls: {
          enterprise: urls('/services/Soap/c/{version}/{orgId}'),
          partner: urls('/services/Soap/u/{version}/{orgId}'),
          rest: urls('/services/data/v{version}/'),
          sobjects: urls('/services/data/v{version}/sobjects/'),
          search: urls('/services/data/v{version}/search/'),
          query: urls('/services/data/v{version}/query/'),
          recent: urls('/services/data/v{version}/recent/'),
          profile: `${base}/${user.Id}`,
          users: urls('/services/data/v{version}/chatter/users'),
        },
      });
    }),
  );

  // ---------- versions and resources ----------
  // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_versions.htm
  const versionsHandler = (): EmulatorResponse =>
    json(
      200,
      ctx.apiVersions.map((v) => ({ label: RELEASES[v] ?? `v${v}`, url: `/services/data/v${v}`, version: v })),
    );
  router.add('GET', '/services/data', 'versions', versionsHandler);
  router.add('GET', '/services/data/', 'versions', versionsHandler);

  // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_discoveryresource.htm
  const resourcesHandler = api(({ req, apiBase }) =>
    json(200, {
      sobjects: `${apiBase}/sobjects`,
      query: `${apiBase}/query`,
      queryAll: `${apiBase}/queryAll`,
      composite: `${apiBase}/composite`,
      limits: `${apiBase}/limits`,
      identity: identityUrl(req),
    }),
  );
  router.add('GET', '/services/data/:version', 'resources', resourcesHandler);
  router.add('GET', '/services/data/:version/', 'resources', resourcesHandler);

  // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_limits.htm
  router.add(
    'GET',
    '/services/data/:version/limits',
    'limits',
    api(() => json(200, { DailyApiRequests: { Max: ctx.dailyApiLimit, Remaining: Math.max(0, ctx.dailyApiLimit - apiUsed()) } })),
  );

  // ---------- SOQL ----------
  // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_query.htm
  // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_queryall.htm
  // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/headers_queryoptions.htm
  const pruneCursors = (): void => {
    const now = Date.now();
    for (const [id, c] of cursors) if (now - c.lastUsed > CURSOR_TTL_MS) cursors.delete(id);
    while (cursors.size > MAX_OPEN_CURSORS) {
      const oldest = [...cursors.values()].sort((a, b) => a.lastUsed - b.lastUsed)[0]!;
      cursors.delete(oldest.id);
    }
  };

  const pageSizeFor = (req: EmulatorRequest): number => {
    const header = req.headers['sforce-query-options'];
    const m = typeof header === 'string' ? /batchSize\s*=\s*(\d+)/i.exec(header) : null;
    return m ? Math.min(2000, Math.max(200, Number(m[1]))) : ctx.pageSize;
  };

  const page = (call: ApiCall, cursor: Cursor, offset: number): EmulatorResponse => {
    const records = cursor.query.render(offset, offset + cursor.pageSize);
    const next = offset + records.length;
    const done = next >= cursor.totalSize;
    call.req.meta.batchSize = records.length;
    if (done) cursors.delete(cursor.id);
    else cursor.lastUsed = Date.now();
    return json(200, {
      totalSize: cursor.totalSize,
      done,
      ...(done ? {} : { nextRecordsUrl: `${call.apiBase}/query/${cursor.id}-${next}` }),
      records,
    });
  };

  const runQuery = (includeDeleted: boolean) => (call: ApiCall) => {
    const q = call.req.url.searchParams.get('q');
    if (q === null || q.trim() === '') throw new SfApiError(400, 'MALFORMED_QUERY', 'A query string has to be specified');
    // Selected and ordered once; each page (this one and every queryMore) renders its own rows.
    const result = prepareSoql(q, store.dataSource, { includeDeleted, now: ctx.now(), apiBase: call.apiBase });
    if (result.countOnly) {
      call.req.meta.batchSize = 0;
      return json(200, { totalSize: result.totalSize, done: true, records: [] });
    }
    pruneCursors();
    const cursor: Cursor = { id: salesforceId('01g', ++cursorSeq), query: result, totalSize: result.totalSize, pageSize: pageSizeFor(call.req), lastUsed: Date.now() };
    cursors.set(cursor.id, cursor);
    const out = page(call, cursor, 0);
    pruneCursors();
    return out;
  };

  const queryMore = api((call) => {
    pruneCursors();
    const m = /^(.+)-(\d+)$/.exec(call.req.params.locator ?? '');
    const cursor = m ? cursors.get(m[1]!) : undefined;
    if (!m || !cursor) throw new SfApiError(400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
    return page(call, cursor, Number(m[2]));
  });

  router.add('GET', '/services/data/:version/query', 'query', api(runQuery(false)));
  router.add('GET', '/services/data/:version/query/', 'query', api(runQuery(false)));
  router.add('GET', '/services/data/:version/queryAll', 'queryAll', api(runQuery(true)));
  router.add('GET', '/services/data/:version/queryAll/', 'queryAll', api(runQuery(true)));
  router.add('GET', '/services/data/:version/query/:locator', 'queryMore', queryMore);
  router.add('GET', '/services/data/:version/queryAll/:locator', 'queryMore', queryMore);

  // ---------- describe ----------
  // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_describeGlobal.htm
  router.add('GET', '/services/data/:version/sobjects', 'sobjects.describeGlobal', api(({ apiBase }) => json(200, describeGlobal(apiBase))));
  router.add('GET', '/services/data/:version/sobjects/', 'sobjects.describeGlobal', api(({ apiBase }) => json(200, describeGlobal(apiBase))));
  // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_sobject_describe.htm
  router.add(
    'GET',
    '/services/data/:version/sobjects/:type/describe',
    'sobject.describe',
    api(({ req, apiBase }) => {
      const obj = objectOr404(req.params.type);
      return json(200, describeObject(apiBase, { ...obj, fields: [...store.fieldsOf(obj.name)] }));
    }),
  );
  // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_sobject_basic_info.htm
  router.add(
    'GET',
    '/services/data/:version/sobjects/:type',
    'sobject.info',
    api(({ req, apiBase }) => json(200, describeBasic(apiBase, objectOr404(req.params.type)))),
  );

  // ---------- replication feeds ----------
  // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_getupdated.htm
  // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_getdeleted.htm
  const MINUTE = 60_000;
  const replicationWindow = (req: EmulatorRequest): { start: number; end: number; latest: number } => {
    const read = (name: string): number => {
      // A raw '+' in the query string arrives as a space.
      const raw = req.url.searchParams.get(name)?.replace(/ /g, '+');
      if (!raw) throw new SfApiError(400, 'MISSING_ARGUMENT', `${name} parameter is required`);
      const ms = parseSfDateTime(raw);
      if (ms === null) throw new SfApiError(400, 'INVALID_REPLICATION_DATE', `${name} is not a valid date: ${raw}`);
      return Math.floor(ms / MINUTE) * MINUTE;
    };
    const start = read('start');
    const end = read('end');
    const now = ctx.now().getTime();
    if (end - start < MINUTE) throw new SfApiError(400, 'INVALID_REPLICATION_DATE', 'startDate must chronologically precede endDate by more than one minute');
    if (start < now - REPLICATION_WINDOW_DAYS * 86_400_000) {
      throw new SfApiError(400, 'INVALID_REPLICATION_DATE', `startDate cannot be more than ${REPLICATION_WINDOW_DAYS} days ago`);
    }
    const latest = Math.min(end, Math.floor(now / MINUTE) * MINUTE);
    return { start, end: latest, latest };
  };
  const iso = (ms: number): string => toSfDateTime(new Date(ms).toISOString());

  router.add(
    'GET',
    '/services/data/:version/sobjects/:type/updated',
    'sobject.updated',
    api(({ req }) => {
      const obj = objectOr404(req.params.type);
      const w = replicationWindow(req);
      const ids = store.updatedIds(obj.name, w.start, w.end - 1);
      req.meta.batchSize = ids.length;
      return json(200, { ids, latestDateCovered: iso(w.latest) });
    }),
  );
  router.add(
    'GET',
    '/services/data/:version/sobjects/:type/deleted',
    'sobject.deleted',
    api(({ req }) => {
      const obj = objectOr404(req.params.type);
      const w = replicationWindow(req);
      const deleted = store.deletedRecords(obj.name, w.start, w.end - 1);
      req.meta.batchSize = deleted.length;
      const all = store.deletedRecords(obj.name, 0, Number.MAX_SAFE_INTEGER);
      const earliest = all.reduce((min, d) => Math.min(min, Date.parse(d.deletedDate)), w.latest);
      return json(200, {
        deletedRecords: deleted.map((d) => ({ id: d.id, deletedDate: toSfDateTime(d.deletedDate) })),
        earliestDateAvailable: iso(Math.floor(earliest / MINUTE) * MINUTE),
        latestDateCovered: iso(w.latest),
      });
    }),
  );

  // ---------- single records ----------
  // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_sobject_basic_info.htm (create)
  router.add(
    'POST',
    '/services/data/:version/sobjects/:type',
    'sobject.create',
    api(({ req }) => {
      const obj = objectOr404(req.params.type);
      const fields = store.prepare(obj.name, readObject(req), 'create');
      const rec = store.applyCreate(obj.name, fields);
      req.meta.batchSize = 1;
      return json(201, { id: rec.Id, success: true, errors: [] });
    }),
  );

  // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_sobject_retrieve.htm
  const liveRecord = (obj: ObjectDef, rawId: string | undefined): SfRecord => {
    const id = normalizeSalesforceId(rawId ?? '');
    // Salesforce reads a path segment that is not an id as an external id field name.
    if (!id) throw new SfApiError(404, 'NOT_FOUND', `Provided external ID field does not exist or is not accessible: ${rawId ?? ''}`);
    const rec = store.dataSource.get(id);
    if (!rec || rec.IsDeleted === true || obj.keyPrefix !== id.slice(0, 3)) throw notFoundError();
    return rec;
  };

  router.add(
    'GET',
    '/services/data/:version/sobjects/:type/:id',
    'sobject.retrieve',
    api(({ req, apiBase }) => {
      const obj = objectOr404(req.params.type);
      const fieldsParam = req.url.searchParams.get('fields');
      const fields = fieldsParam === null ? undefined : resolveFields(obj, fieldsParam.split(','));
      const rec = liveRecord(obj, req.params.id);
      if (fields && !fields.some((f) => f.name === 'Id')) fields.push(OBJECTS[obj.name].fields[0]!);
      req.meta.batchSize = 1;
      return json(200, renderRecord(apiBase, obj, rec, fields));
    }),
  );

  // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_update_fields.htm
  router.add(
    'PATCH',
    '/services/data/:version/sobjects/:type/:id',
    'sobject.update',
    api(({ req }) => {
      const obj = objectOr404(req.params.type);
      const rec = liveRecord(obj, req.params.id);
      const fields = store.prepare(obj.name, readObject(req), 'update');
      store.applyUpdate(obj.name, rec.Id, fields);
      req.meta.batchSize = 1;
      return { status: 204 };
    }),
  );

  // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_delete_record.htm
  router.add(
    'DELETE',
    '/services/data/:version/sobjects/:type/:id',
    'sobject.delete',
    api(({ req }) => {
      const obj = objectOr404(req.params.type);
      const id = normalizeSalesforceId(req.params.id ?? '');
      const rec = id ? store.dataSource.get(id) : undefined;
      if (rec?.IsDeleted === true && id?.startsWith(obj.keyPrefix)) throw new SfApiError(404, 'ENTITY_IS_DELETED', 'entity is deleted', []);
      const live = liveRecord(obj, req.params.id);
      store.applyDelete(obj.name, live.Id);
      req.meta.batchSize = 1;
      return { status: 204 };
    }),
  );

  // ---------- external ids ----------
  // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_upsert.htm
  const externalIdField = (obj: ObjectDef, name: string | undefined): FieldDef => {
    const f = store.findField(obj, name ?? '');
    if (!f || !(f.type === 'id' || (f.externalId ?? false))) {
      throw new SfApiError(404, 'NOT_FOUND', `Provided external ID field does not exist or is not accessible: ${name ?? ''}`);
    }
    return f;
  };
  const multipleChoices = (apiBase: string, obj: ObjectDef, matches: readonly SfRecord[]): EmulatorResponse =>
    json(300, matches.map((m) => `${apiBase}/sobjects/${obj.name}/${m.Id}`));

  router.add(
    'GET',
    '/services/data/:version/sobjects/:type/:field/:value',
    'sobject.retrieveByExternalId',
    api(({ req, apiBase }) => {
      const obj = objectOr404(req.params.type);
      const field = externalIdField(obj, req.params.field);
      const matches = store.findByExternalId(obj.name, field, req.params.value ?? '');
      if (matches.length === 0) throw notFoundError();
      if (matches.length > 1) return multipleChoices(apiBase, obj, matches);
      return json(200, renderRecord(apiBase, obj, matches[0]!));
    }),
  );

  const withoutKey = (body: Record<string, unknown>, name: string): Record<string, unknown> =>
    Object.fromEntries(Object.entries(body).filter(([k]) => k.toLowerCase() !== name.toLowerCase()));

  router.add(
    'PATCH',
    '/services/data/:version/sobjects/:type/:field/:value',
    'sobject.upsert',
    api(({ req, apiBase }) => {
      const obj = objectOr404(req.params.type);
      const field = externalIdField(obj, req.params.field);
      const value = req.params.value ?? '';
      const body = withoutKey(readObject(req), field.name);
      const matches = store.findByExternalId(obj.name, field, value);
      req.meta.batchSize = 1;
      if (matches.length > 1) return multipleChoices(apiBase, obj, matches);
      const match = matches[0];
      if (match) {
        store.applyUpdate(obj.name, match.Id, store.prepare(obj.name, body, 'update'));
        return json(200, { id: match.Id, success: true, errors: [], created: false });
      }
      if (field.type === 'id') throw notFoundError();
      const rec = store.applyCreate(obj.name, store.prepare(obj.name, { ...body, [field.name]: value }, 'create'));
      return json(201, { id: rec.Id, success: true, errors: [], created: true });
    }),
  );

  // ---------- sObject Collections ----------
  // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_sobjects_collections_retrieve.htm
  const compositeRetrieve = api(({ req, apiBase }) => {
    const obj = objectOr404(req.params.type);
    let ids: unknown;
    let fieldNames: unknown;
    if (req.method === 'POST') {
      const body = readObject(req);
      ids = body.ids;
      fieldNames = body.fields;
    } else {
      ids = req.url.searchParams.get('ids')?.split(',');
      fieldNames = req.url.searchParams.get('fields')?.split(',');
    }
    if (!Array.isArray(ids) || ids.length === 0 || !ids.every((i) => typeof i === 'string')) {
      throw new SfApiError(400, 'INVALID_FIELD', 'ids: a non-empty list of record ids is required');
    }
    if (!Array.isArray(fieldNames) || fieldNames.length === 0 || !fieldNames.every((f) => typeof f === 'string')) {
      throw new SfApiError(400, 'INVALID_FIELD', 'fields: a non-empty list of field names is required');
    }
    if (ids.length > MAX_RETRIEVE_IDS) throw new SfApiError(400, 'EXCEEDED_ID_LIMIT', `too many ids: at most ${MAX_RETRIEVE_IDS} per call`);
    const fields = resolveFields(obj, fieldNames);
    req.meta.batchSize = ids.length;
    return json(
      200,
      ids.map((raw) => {
        const id = normalizeSalesforceId(raw);
        if (!id) throw new SfApiError(400, 'MALFORMED_ID', `malformed id ${raw}`);
        const rec = store.dataSource.get(id);
        return rec && rec.IsDeleted !== true && id.startsWith(obj.keyPrefix) ? renderRecord(apiBase, obj, rec, fields) : null;
      }),
    );
  });
  router.add('POST', '/services/data/:version/composite/sobjects/:type', 'composite.retrieve', compositeRetrieve);
  router.add('GET', '/services/data/:version/composite/sobjects/:type', 'composite.retrieve', compositeRetrieve);

  interface CollectionBody {
    allOrNone: boolean;
    records: Record<string, unknown>[];
  }
  const readCollection = (req: EmulatorRequest): CollectionBody => {
    const body = readObject(req);
    const records = body.records;
    if (!Array.isArray(records) || !records.every((r) => typeof r === 'object' && r !== null && !Array.isArray(r))) {
      throw new SfApiError(400, 'JSON_PARSER_ERROR', 'records: expected a list of sObjects');
    }
    if (records.length > MAX_COLLECTION) {
      throw new SfApiError(400, 'EXCEEDED_ID_LIMIT', `record limit reached. cannot submit more than ${MAX_COLLECTION} records into this call`);
    }
    req.meta.batchSize = records.length;
    return { allOrNone: body.allOrNone === true || body.allOrNone === 'true', records: records as Record<string, unknown>[] };
  };

  const recordType = (r: Record<string, unknown>): SObjectName => {
    const attrs = r.attributes;
    const name = typeof attrs === 'object' && attrs !== null && 'type' in attrs && typeof attrs.type === 'string' ? attrs.type : null;
    if (!name) throw new SfApiError(400, 'INVALID_TYPE', 'No SObject Type defined in record');
    const obj = findObject(name);
    if (!obj) throw new SfApiError(400, 'INVALID_TYPE', UNSUPPORTED_TYPE(name));
    return obj.name;
  };

  type Planned<T> = { ok: true; plan: T } | { ok: false; error: SfApiError };
  /** Validates every record first; JSON type errors fail the whole call, as Salesforce's parser does. */
  const plan = <T>(records: Record<string, unknown>[], fn: (r: Record<string, unknown>, i: number) => T): Planned<T>[] =>
    records.map((r, i) => {
      try {
        return { ok: true, plan: fn(r, i) };
      } catch (e) {
        if (!(e instanceof SfApiError) || e.errorCode === 'JSON_PARSER_ERROR') throw e;
        return { ok: false, error: e };
      }
    });
  const ROLLED_BACK = {
    statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK',
    message: 'Record rolled back because not all records were valid and the request was using AllOrNone header',
    fields: [],
  };
  const finish = <T>(
    planned: Planned<T>[],
    allOrNone: boolean,
    idOf: (i: number) => string | undefined,
    apply: (p: T) => Record<string, unknown>,
  ): Record<string, unknown>[] => {
    const failed = planned.some((p) => !p.ok);
    return planned.map((p, i) => {
      const id = idOf(i);
      const withId = id ? { id } : {};
      if (!p.ok) return { ...withId, success: false, errors: [p.error.collectionError()] };
      if (allOrNone && failed) return { ...withId, success: false, errors: [ROLLED_BACK] };
      try {
        return apply(p.plan);
      } catch (e) {
        if (!(e instanceof SfApiError)) throw e;
        return { ...withId, success: false, errors: [e.collectionError()] };
      }
    });
  };

  // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_sobjects_collections_create.htm
  router.add(
    'POST',
    '/services/data/:version/composite/sobjects',
    'composite.create',
    api(({ req }) => {
      const { allOrNone, records } = readCollection(req);
      const planned = plan(records, (r) => {
        const type = recordType(r);
        return { type, fields: store.prepare(type, r, 'create') };
      });
      return json(
        200,
        finish(planned, allOrNone, () => undefined, (p) => ({ id: store.applyCreate(p.type, p.fields).Id, success: true, errors: [] })),
      );
    }),
  );

  const idOfRecord = (r: Record<string, unknown> | undefined): string | undefined => {
    const v = r?.id ?? r?.Id;
    return typeof v === 'string' ? v : undefined;
  };

  // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_sobjects_collections_update.htm
  router.add(
    'PATCH',
    '/services/data/:version/composite/sobjects',
    'composite.update',
    api(({ req }) => {
      const { allOrNone, records } = readCollection(req);
      const planned = plan(records, (r) => {
        const type = recordType(r);
        const rawId = idOfRecord(r);
        if (!rawId) throw new SfApiError(400, 'MISSING_ARGUMENT', 'Id not specified in an update call', []);
        const id = normalizeSalesforceId(rawId);
        if (!id) throw new SfApiError(400, 'MALFORMED_ID', `${OBJECTS[type].label} ID: id value of incorrect type: ${rawId}`, ['Id']);
        const live = store.requireLive(type, id);
        return { type, id: live.Id, fields: store.prepare(type, r, 'update') };
      });
      return json(
        200,
        finish(planned, allOrNone, (i) => idOfRecord(records[i]), (p) => {
          store.applyUpdate(p.type, p.id, p.fields);
          return { id: p.id, success: true, errors: [] };
        }),
      );
    }),
  );

  // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_sobjects_collections_delete.htm
  router.add(
    'DELETE',
    '/services/data/:version/composite/sobjects',
    'composite.delete',
    api(({ req }) => {
      const ids = (req.url.searchParams.get('ids') ?? '').split(',').filter((s) => s !== '');
      if (ids.length === 0) throw new SfApiError(400, 'MISSING_ARGUMENT', 'ids parameter is required');
      if (ids.length > MAX_COLLECTION) {
        throw new SfApiError(400, 'EXCEEDED_ID_LIMIT', `record limit reached. cannot submit more than ${MAX_COLLECTION} records into this call`);
      }
      req.meta.batchSize = ids.length;
      const allOrNone = req.url.searchParams.get('allOrNone') === 'true';
      const planned = plan(
        ids.map((id) => ({ id })),
        (r) => {
          const raw = String(r.id);
          const id = normalizeSalesforceId(raw);
          const type = id ? objectForId(id) : undefined;
          if (!id || !type) throw new SfApiError(400, 'MALFORMED_ID', `malformed id ${raw}`, []);
          if (!type.deletable) throw new SfApiError(400, 'INVALID_TYPE', `entity type ${type.name} does not support delete`, []);
          const rec = store.dataSource.get(id);
          if (!rec) throw new SfApiError(404, 'INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id', []);
          if (rec.IsDeleted === true) throw new SfApiError(404, 'ENTITY_IS_DELETED', 'entity is deleted', []);
          return { type: type.name, id };
        },
      );
      return json(
        200,
        finish(planned, allOrNone, (i) => ids[i], (p) => {
          // An Account earlier in the list may already have taken this child with it.
          if (store.dataSource.get(p.id)?.IsDeleted !== true) store.applyDelete(p.type, p.id);
          return { id: p.id, success: true, errors: [] };
        }),
      );
    }),
  );

  // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_sobjects_collections_upsert.htm
  router.add(
    'PATCH',
    '/services/data/:version/composite/sobjects/:type/:field',
    'composite.upsert',
    api(({ req }) => {
      const obj = objectOr404(req.params.type);
      const field = externalIdField(obj, req.params.field);
      const { allOrNone, records } = readCollection(req);
      const valueOf = (r: Record<string, unknown>): string | undefined => {
        const key = Object.keys(r).find((k) => k.toLowerCase() === field.name.toLowerCase());
        const v = key === undefined ? undefined : r[key];
        return typeof v === 'string' && v !== '' ? v : undefined;
      };
      const seen = new Map<string, number>();
      for (const r of records) {
        const v = valueOf(r)?.toLowerCase();
        if (v !== undefined) seen.set(v, (seen.get(v) ?? 0) + 1);
      }
      type UpsertPlan = { kind: 'create'; fields: PreparedFields } | { kind: 'update'; id: string; fields: PreparedFields };
      const planned = plan(records, (r): UpsertPlan => {
        const type = recordType(r);
        if (type !== obj.name) throw new SfApiError(400, 'INVALID_TYPE', `record type ${type} does not match ${obj.name}`, []);
        const value = valueOf(r);
        if (value === undefined) throw new SfApiError(400, 'MISSING_ARGUMENT', `${field.name} not specified`, [field.name]);
        if ((seen.get(value.toLowerCase()) ?? 0) > 1) throw new SfApiError(400, 'DUPLICATE_EXTERNAL_ID', `Duplicate external id specified: ${value}`, [field.name]);
        const matches = store.findByExternalId(obj.name, field, value);
        if (matches.length > 1) {
          throw new SfApiError(400, 'DUPLICATE_EXTERNAL_ID', `${field.label}: more than one record found for external id field: [${matches.map((m) => m.Id).join(', ')}]`, [field.name]);
        }
        const body = withoutKey(r, field.name);
        const match = matches[0];
        if (match) return { kind: 'update', id: match.Id, fields: store.prepare(obj.name, body, 'update') };
        if (field.type === 'id') throw new SfApiError(404, 'NOT_FOUND', 'The requested resource does not exist', []);
        return { kind: 'create', fields: store.prepare(obj.name, { ...body, [field.name]: value }, 'create') };
      });
      return json(
        200,
        finish(planned, allOrNone, () => undefined, (p) => {
          if (p.kind === 'update') {
            store.applyUpdate(obj.name, p.id, p.fields);
            return { id: p.id, success: true, errors: [], created: false };
          }
          return { id: store.applyCreate(obj.name, p.fields).Id, success: true, errors: [], created: true };
        }),
      );
    }),
  );

  return router;
}

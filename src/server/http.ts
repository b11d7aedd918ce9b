// One HTTP server: GraphQL over HTTP (Apollo Server, on plain node:http) and GraphQL over
// WebSocket (graphql-ws, same port and path), health, readiness and the landing page.
// https://graphql.github.io/graphql-over-http/draft/ — media types, status codes, GET for queries.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import { ApolloServer, HeaderMap } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { GraphQLError, OperationTypeNode, parse, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import { ErrorCode, SourceUnavailableGraphQLError, isClientFacing } from './errors.ts';
import { landingPage } from './landing.ts';
import type { GatewayContext } from './context.ts';
import { ResponseCache } from '../gateway/response-cache.ts';
import { JitGateway, type JitStats } from './jit-executor.ts';
import { FastPath, type FastPathStats } from './fast-path.ts';
import { mediaTypeOf } from './media-type.ts';
import { checkVariables, type GatewayLimits, type OperationLimitError, type RateLimitedError, type VariablesTooDeepError } from '../limits/index.ts';
import { currentRequest, enterRequest, requestIdFrom, runInRequest, type RequestScope } from '../observability/request-context.ts';
import { renderMetrics } from '../observability/metrics.ts';
import { errorText } from '../observability/redact.ts';
import type { Principal } from '../access/principal.ts';
import type { AccessPlan } from '../access/plan.ts';
import { AuthenticationError, type Authenticator } from '../access/authenticate.ts';
import { asksIntrospection, hideSuggestions, introspectionAllowed, introspectionRefused } from '../access/introspection.ts';

export interface Readiness {
  ready: boolean;
  dependencies: Record<string, { ok: boolean; required: boolean; detail?: string; latencyMs?: number }>;
}

export interface Logger {
  info(msg: string, extra?: Record<string, unknown>): void;
  error(msg: string, extra?: Record<string, unknown>): void;
}

export interface HttpServerOptions {
  schema: GraphQLSchema;
  /**
   * `schema` without the access rules' wrappers: the fast path runs the operations of principals
   * whose role holds every access class their operation could be checked for (admin always; see
   * accessPlan) on it, since each of their checks would pass and each wrapper costs a resolver
   * call (dozens per customer's lineage). Absent: `schema` for all.
   */
  fullAccessSchema?: GraphQLSchema;
  /** The access rules' plan (access/plan.ts planAccess): a role holding every class an operation's checks could ask for runs it on fullAccessSchema. */
  accessPlan?: AccessPlan;
  context: (requestId: string, principal: Principal) => GatewayContext;
  /** Who is asking, from the request's credentials (src/access/authenticate.ts); refused before anything runs. */
  authenticator: Authenticator;
  /** Origins besides the gateway's own that may open a WebSocket (MERIDIAN_ALLOWED_ORIGINS). */
  allowedOrigins?: readonly string[];
  /** Who may introspect besides admins: 'all' roles, or 'admin' only (default). */
  introspection?: 'admin' | 'all';
  readiness: () => Promise<Readiness>;
  logger: Logger;
  host?: string;
  port?: number;
  /** Request bodies above this many bytes get 413. */
  maxBodyBytes?: number;
  exampleQuery?: string;
  /** POST /webhooks/<system>: change notifications (raw body, for signature checks). */
  webhooks?: (system: string, headers: http.IncomingHttpHeaders, rawBody: string) => Promise<{ status: number; contentType: string; body: string }>;
  /** Answers repeated queries that were built only from cached golden records (response-cache.ts). */
  responseCache?: ResponseCache;
  /** Errors carry `extensions.stacktrace` (MERIDIAN_DEV_ERRORS=1; never in production: it shows source paths). */
  stacktraces?: boolean;
  /** 'jit' (default): operations run compiled by graphql-jit (jit-executor.ts); 'graphql': graphql's execute. */
  executor?: 'jit' | 'graphql';
  /** Compiled queries kept by the jit executor (LRU; default 1,000); as many query texts are kept parsed and validated by the fast path. */
  jitCacheSize?: number;
  /**
   * With the jit executor: plain POSTs of one query or mutation are answered by server/fast-path.ts
   * instead of Apollo Server's HTTP pipeline (same answers; default true). false: Apollo answers all.
   */
  fastPath?: boolean;
  /** How long close() lets in-flight requests finish before cutting them (MERIDIAN_SHUTDOWN_GRACE_MS). Default 10 s. */
  shutdownGraceMs?: number;
  /** Operation limits and rate limits (src/limits/): checked before anything executes. */
  limits?: GatewayLimits;
  /**
   * Who may read GET /metrics, from the request's headers. Without it /metrics answers 401 to
   * everyone: metrics describe the deployment, so they are never served by default.
   */
  authorizeMetrics?: (headers: http.IncomingHttpHeaders) => boolean | Promise<boolean>;
  /** A span per GraphQL request (observability/tracing.ts); none when null or absent. */
  tracer?: Tracer | null;
}

/**
 * The variables of a GraphQL-over-HTTP request as sent (a POST body's, a GET's query string's
 * parsed), for the checks that come before anything reads them; undefined when there are none,
 * or when a GET's are not JSON (Apollo answers that itself).
 */
function variablesOf(method: string, body: unknown, search: URLSearchParams): unknown {
  if (method === 'POST') return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>)['variables'] : undefined;
  if (method !== 'GET') return undefined;
  const raw = search.get('variables');
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}

/** The operation of a GraphQL-over-HTTP request, when it can be read without executing anything; `variables` from variablesOf. */
function operationOf(method: string, body: unknown, search: URLSearchParams, variables: unknown): { query: string; operationName: string | null; variables: unknown } | null {
  if (method === 'POST' && typeof body === 'object' && body !== null && !Array.isArray(body)) {
    const b = body as Record<string, unknown>;
    if (typeof b['query'] !== 'string') return null;
    return { query: b['query'], operationName: typeof b['operationName'] === 'string' ? b['operationName'] : null, variables: variables ?? {} };
  }
  if (method === 'GET') {
    const query = search.get('query');
    if (!query) return null;
    // Variables that are not JSON: Apollo answers them itself.
    if (variables === undefined && search.get('variables')) return null;
    return { query, operationName: search.get('operationName'), variables: variables ?? {} };
  }
  return null;
}

export interface RunningServer {
  url: string;
  port: number;
  /** How the jit executor's compiled-query cache and the fast path are used; null when the jit executor is off. */
  executorStats(): (JitStats & { fastPath: FastPathStats | null }) | null;
  /** Graceful: stops accepting, closes WebSockets with 1001, lets in-flight requests finish (shutdownGraceMs). */
  close(): Promise<void>;
}

const GRAPHQL_PATH = '/graphql';
const graphqlUrl = new URL(GRAPHQL_PATH, 'http://gateway.local');

/** graphql-ws close codes for refused credentials (the protocol's 4401 / 4403), and 1013 "try again later". */
export const WS_CLOSE = { UNAUTHORIZED: 4401, FORBIDDEN: 4403, TRY_AGAIN_LATER: 1013 } as const;

/**
 * Whether a WebSocket handshake's Origin may connect: none (a non-browser client), the gateway's
 * own (same host as the request, or another loopback name of it: loopbackAlias), or one of
 * `allowed`. Browsers always send Origin, so a page on another site cannot open a socket with
 * the user's network position.
 */
export function originAllowed(origin: string | undefined, host: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined) return true;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false;
  }
  if (host !== undefined && (parsed.host === host.toLowerCase() || loopbackAlias(parsed, host))) return true;
  return allowed.includes(parsed.origin);
}

/** This machine's loopback interface by the names a browser is given for it (as URL.hostname writes them). */
const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Whether a page's origin is the gateway itself under another loopback name: a page from
 * `http://localhost:4000` (the README's address) opening `ws://127.0.0.1:4000` (the banner's).
 * Only when the socket was opened to a loopback name too: then the browser runs on this machine
 * and that port is this gateway, while a page on the browser's own localhost opening a socket
 * to a gateway elsewhere is another site. The gateway serves plain HTTP: `https:` is not it.
 */
function loopbackAlias(origin: URL, host: string): boolean {
  if (origin.protocol !== 'http:' || !LOOPBACK_NAMES.has(origin.hostname)) return false;
  let target: URL;
  try {
    target = new URL(`http://${host}`);
  } catch {
    return false;
  }
  return LOOPBACK_NAMES.has(target.hostname) && target.port === origin.port;
}

/** A close reason is at most 123 bytes (RFC 6455 § 5.5). */
const closeReason = (text: string): string => (Buffer.byteLength(text) <= 123 ? text : `${text.slice(0, 118)}…`);

function readBody(req: http.IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(Object.assign(new Error(`request body larger than ${limit} bytes`), { status: 413 }));
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** A refusal before anything ran: 429 with Retry-After (rate limit), or 400 (a document too large, variables too deep). */
function sendRefusal(res: http.ServerResponse, error: RateLimitedError | OperationLimitError | VariablesTooDeepError, headers: Record<string, string>, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(error.status, { ...headers, ...('retryAfter' in error ? { 'retry-after': String(error.retryAfter) } : {}), 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

/** Both executors' caches as one (the full-access one compiles the same texts for admins). */
function sumStats(a: JitStats, b: JitStats | undefined): JitStats {
  return b ? { hits: a.hits + b.hits, compiled: a.compiled + b.compiled, fallbacks: a.fallbacks + b.fallbacks, size: a.size + b.size, leanRetries: a.leanRetries + b.leanRetries } : a;
}

/** The request's headers as Apollo Server reads them (repeated ones joined). */
function headerMap(raw: http.IncomingHttpHeaders): HeaderMap {
  const headers = new HeaderMap();
  for (const [k, v] of Object.entries(raw)) {
    if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
  }
  return headers;
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, contentType = 'application/json; charset=utf-8'): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

/** How long the same upstream detail is not logged again (a dead system fails every field of every request). */
const DETAIL_LOG_WINDOW_MS = 10_000;

/**
 * Masks anything unexpected for clients; its name and message are logged, never its stack. A
 * SOURCE_UNAVAILABLE error reaches clients with its code, system and our own wording; what the
 * system said is logged.
 */
export function makeFormatError(logger: Logger, options: { stacktraces?: boolean } = {}): (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError {
  const lastLogged = new Map<string, number>();
  const logOnce = (msg: string, extra: Record<string, unknown>, key: string): void => {
    const now = Date.now();
    const last = lastLogged.get(key);
    if (last !== undefined && now - last < DETAIL_LOG_WINDOW_MS) return;
    if (lastLogged.size >= 1_000) lastLogged.clear();
    lastLogged.set(key, now);
    logger.error(msg, extra);
  };
  return (formatted, error) => {
    const code = formatted.extensions?.['code'];
    if (code === ErrorCode.SOURCE_UNAVAILABLE) {
      const own = error instanceof SourceUnavailableGraphQLError ? error : (error as { originalError?: unknown } | null)?.originalError;
      if (own instanceof SourceUnavailableGraphQLError) logOnce('source unavailable', { system: own.system, detail: own.detail }, `${own.system} ${own.detail}`);
    }
    if (isClientFacing(code)) return formatted;
    logger.error('unexpected error in a resolver', { error: errorText((error as { originalError?: unknown } | null)?.originalError ?? error), path: formatted.path });
    const stacktrace = options.stacktraces ? formatted.extensions?.['stacktrace'] : undefined;
    return {
      message: 'Internal server error',
      ...(formatted.path ? { path: formatted.path } : {}),
      ...(formatted.locations ? { locations: formatted.locations } : {}),
      extensions: { code: 'INTERNAL_SERVER_ERROR', ...(stacktrace ? { stacktrace } : {}) },
    };
  };
}

/**
 * An error as a WebSocket client gets it. `extensions.http` is the status and headers an error
 * asks of an HTTP answer (an introspection refusal's 403): Apollo takes it out of the errors it
 * sends and so does the fast path; over WebSocket there is no HTTP answer, so it only goes.
 */
function withoutHttp(error: GraphQLFormattedError): GraphQLFormattedError {
  if (!error.extensions || !('http' in error.extensions)) return error;
  const { http: _http, ...extensions } = error.extensions;
  return { ...error, extensions };
}

export async function startHttpServer(options: HttpServerOptions): Promise<RunningServer> {
  /** Variables nested past the limit, refused before anything walks them (counted with the refusals when limits are on). */
  const variablesTooDeep = (variables: unknown): VariablesTooDeepError | null =>
    variables == null ? null : options.limits ? options.limits.checkVariables(variables) : checkVariables(variables);
  const { logger, authenticator } = options;
  const introspection = options.introspection ?? 'admin';
  const allowedOrigins = options.allowedOrigins ?? [];
  const formatError = makeFormatError(logger, { stacktraces: options.stacktraces ?? false });
  const jit = options.executor === 'graphql' ? null : new JitGateway({ schema: options.schema, cacheSize: options.jitCacheSize ?? 1_000, logger });
  const apollo = new ApolloServer<GatewayContext>({
    // The jit executor hands Apollo the schema itself (Apollo's gateway interface).
    ...(jit ? { gateway: jit } : { schema: options.schema }),
    // Allowed here; refused per request below for roles that may not introspect.
    introspection: true,
    // The process owner stops the server (meridian serve on SIGINT/SIGTERM, then the store and the
    // data directory's lock). Apollo's own handler would re-raise the signal mid-shutdown and kill
    // the process before the embedded store is closed.
    stopOnTerminationSignals: false,
    // Apollo's default landing page loads from a CDN; ours is served at / and GET /graphql.
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      // Installed by default, its willResolveField makes Apollo wrap every resolver of the schema
      // (most of a compiled query's speed-up lost); Meridian sets no cache-control hints or headers.
      ApolloServerPluginCacheControlDisabled(),
      ...(options.limits ? [options.limits.plugin] : []),
      {
        // Only successful queries may be answered again from the response cache.
        requestDidStart: () =>
          Promise.resolve({
            // A role that may not introspect is not told field names by "Did you mean …?" either.
            validationDidStart: ({ contextValue }) =>
              Promise.resolve((errors) => {
                if (errors) hideSuggestions(errors, contextValue.principal, introspection);
                return Promise.resolve();
              }),
            didResolveOperation: ({ operation, operationName, contextValue, source, document }) => {
              if (!introspectionAllowed(contextValue.principal, introspection) && asksIntrospection(source, document)) return Promise.reject(introspectionRefused());
              if (operation?.operation !== OperationTypeNode.QUERY) contextValue.cacheability.ok = false;
              const span = currentRequest()?.span;
              if (span && operation) {
                span.setAttribute('graphql.operation.type', operation.operation);
                if (operationName) span.setAttribute('graphql.operation.name', operationName);
                span.updateName(`graphql ${operation.operation}${operationName ? ` ${operationName}` : ''}`);
              }
              return Promise.resolve();
            },
            willSendResponse: ({ response, contextValue }) => {
              // What the cache-control plugin (disabled above) said of every answer without hints.
              response.http.headers.set('cache-control', 'no-store');
              const errors = response.body.kind === 'single' ? (response.body.singleResult.errors ?? []) : [];
              if (response.body.kind !== 'single' || errors.length > 0) contextValue.cacheability.ok = false;
              const span = currentRequest()?.span;
              if (span && errors.length > 0) {
                const codes = [...new Set(errors.map((e) => (typeof e.extensions?.['code'] === 'string' ? e.extensions['code'] : 'INTERNAL_SERVER_ERROR')))].sort();
                span.setAttribute('graphql.error.count', errors.length);
                span.setAttribute('graphql.error.codes', codes);
                span.setStatus({ code: SpanStatusCode.ERROR, message: `GraphQL errors: ${codes.join(', ')}` });
              }
              return Promise.resolve();
            },
          }),
      },
    ],
    formatError,
    // Apollo's default follows NODE_ENV, which no Meridian doc asks anyone to set: stack traces
    // (with absolute source paths) only when MERIDIAN_DEV_ERRORS=1 asks for them.
    includeStacktraceInErrorResponses: options.stacktraces ?? false,
    // GraphQL over HTTP lets any client send queries by GET. Meridian authenticates with bearer
    // headers, never cookies, so a cross-site request carries no credentials: CSRF protection
    // would only break spec-following clients. Mutations over GET are refused by Apollo (405).
    csrfPrevention: false,
  });
  await apollo.start();
  const fullJit = jit && options.fullAccessSchema && options.fastPath !== false ? new JitGateway({ schema: options.fullAccessSchema, cacheSize: options.jitCacheSize ?? 1_000, logger }) : null;
  const fast =
    jit && options.fastPath !== false
      ? new FastPath({ schema: options.schema, jit, fullAccessJit: fullJit, accessPlan: options.accessPlan ?? null, limits: options.limits, introspection, formatError, stacktraces: options.stacktraces ?? false, cacheSize: options.jitCacheSize ?? 1_000 })
      : null;
  const maxBody = options.maxBodyBytes ?? 1_000_000;
  const page = landingPage({ graphqlPath: GRAPHQL_PATH, example: options.exampleQuery ?? '{ ok }' });

  const refuse = (req: http.IncomingMessage, res: http.ServerResponse, requestId: string, e: AuthenticationError): void => {
    const type = (req.headers.accept ?? '').includes('application/graphql-response+json') ? 'application/graphql-response+json' : 'application/json';
    const payload = JSON.stringify({ errors: [{ message: e.message, extensions: { code: e.extensions['code'] } }] });
    res.writeHead(e.httpStatus, {
      'x-request-id': requestId,
      'content-type': `${type}; charset=utf-8`,
      'content-length': Buffer.byteLength(payload),
      ...(e.httpStatus === 401 ? { 'www-authenticate': e.challenge } : { 'retry-after': '5' }),
    });
    res.end(payload);
  };

  const handleGraphql = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> => {
    const requestId = currentRequest()?.requestId ?? requestIdFrom(req.headers['x-request-id']);
    // Before the body is read, the response cache is asked or anything executes.
    const mediaType = (req.headers.accept ?? '').includes('application/graphql-response+json') ? 'application/graphql-response+json' : 'application/json';
    const overLimit = (e: RateLimitedError | OperationLimitError | VariablesTooDeepError): void => sendRefusal(res, e, { 'x-request-id': requestId, 'content-type': `${mediaType}; charset=utf-8` }, { errors: [e.toJSON()] });
    // An address that keeps failing to authenticate is refused before its credentials are looked up.
    const blocked = options.limits?.admitAuthentication(req.socket.remoteAddress, req.headers['x-forwarded-for']);
    if (blocked) {
      req.resume();
      overLimit(blocked);
      return;
    }
    let principal: Principal;
    try {
      principal = await authenticator.authenticate(req.headers, req.socket);
    } catch (e) {
      if (!(e instanceof AuthenticationError)) throw e;
      req.resume();
      const tooMany = e.httpStatus === 401 ? await options.limits?.failedAuthentication(req.socket.remoteAddress, req.headers['x-forwarded-for']) : null;
      if (tooMany) overLimit(tooMany);
      else refuse(req, res, requestId, e);
      return;
    }
    // The caller's rate next: a limited request is not read, looked up or executed.
    const limited = await options.limits?.admitRequest(principal, req.socket.remoteAddress, req.headers['x-forwarded-for']);
    if (limited) {
      req.resume();
      overLimit(limited);
      return;
    }
    let body: unknown = undefined;
    if (req.method === 'POST') {
      const text = await readBody(req, maxBody);
      const type = mediaTypeOf(req.headers['content-type']);
      if (type === 'application/json' || type === 'application/graphql-response+json') {
        try {
          body = text.length ? JSON.parse(text) : undefined;
        } catch (e) {
          res.setHeader('x-request-id', requestId);
          sendJson(res, 400, { errors: [{ message: `Request body is not valid JSON: ${(e as Error).message}`, extensions: { code: 'BAD_REQUEST' } }] });
          return;
        }
      } else {
        body = text;
      }
    }
    // Before anything walks the variables (the response cache's key, the cost measure, Apollo,
    // graphql-jit): nested deep enough, each of them overflows the stack.
    const variables = variablesOf(req.method ?? 'GET', body, url.searchParams);
    const tooDeep = variablesTooDeep(variables);
    if (tooDeep) return overLimit(tooDeep);
    const cache = options.responseCache;
    const op = cache || options.limits ? operationOf(req.method ?? 'GET', body, url.searchParams, variables) : null;
    // The document's size before anything parses it (Apollo parses before any plugin may refuse).
    const tooLarge = op ? options.limits?.checkDocument(op.query) : null;
    if (tooLarge) return overLimit(tooLarge);
    // What a role may see differs (field-level rules): one role's answer is never served to another.
    const key = op && cache ? `${principal.role ?? ''}\u0000${ResponseCache.key(mediaType, op.query, op.operationName, op.variables)}` : null;
    const hit = key ? cache!.lookup(key) : null;
    currentRequest()?.span?.setAttribute('meridian.response_cache', hit ? 'hit' : key ? 'miss' : 'off');
    if (hit) {
      res.writeHead(200, { 'x-request-id': requestId, 'content-type': hit.contentType, 'content-length': Buffer.byteLength(hit.body) });
      res.end(hit.body);
      return;
    }
    const ctx = options.context(requestId, principal);
    const result =
      (await fast?.answer(req.method ?? 'GET', req.headers['content-type'], req.headers.accept, body, ctx)) ??
      (await apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: req.method ?? 'GET', headers: headerMap(req.headers), search: url.search, body },
        context: () => Promise.resolve(ctx),
      }));
    const outHeaders: Record<string, string> = { 'x-request-id': requestId };
    for (const [k, v] of result.headers) outHeaders[k] = v;
    if (result.body.kind === 'complete') {
      outHeaders['content-length'] = String('bytes' in result.body ? result.body.bytes : Buffer.byteLength(result.body.string));
      res.writeHead(result.status ?? 200, outHeaders);
      res.end(result.body.string);
      // Kept for the next caller once this one has its answer (the store is not on its path).
      if (key && ctx.cacheability.ok && (result.status ?? 200) === 200) {
        cache!.store(key, { body: result.body.string, contentType: outHeaders['content-type'] ?? 'application/json' }, ctx.cacheability.deps);
      }
      return;
    }
    res.writeHead(result.status ?? 200, outHeaders);
    for await (const chunk of result.body.asyncIterator) res.write(chunk);
    res.end();
  };

  /** One span per GraphQL request, when tracing is on; it is the parent of the request's source calls. */
  const traced = (req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> => {
    const scope = currentRequest();
    // Without tracing, no async layer of its own (one promise and its ticks fewer per request).
    return options.tracer && scope ? withSpan(options.tracer, scope, req, res, url) : handleGraphql(req, res, url);
  };
  const withSpan = async (tracer: Tracer, scope: RequestScope, req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> => {
    const span = tracer.startSpan('graphql', {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': req.method ?? 'GET', 'url.path': url.pathname, 'meridian.request_id': scope.requestId },
    });
    scope.span = span;
    try {
      await handleGraphql(req, res, url);
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${res.statusCode}` });
    } catch (e) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'request failed' });
      throw e;
    } finally {
      span.end();
    }
  };

  const serveMetrics = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    if (!(await (options.authorizeMetrics?.(req.headers) ?? false))) {
      const payload = JSON.stringify({ error: 'GET /metrics needs credentials allowed to read metrics (Authorization: Bearer <key>)' });
      res.writeHead(401, { 'content-type': 'application/json; charset=utf-8', 'www-authenticate': 'Bearer realm="meridian"', 'content-length': Buffer.byteLength(payload) }).end(payload);
      return;
    }
    const { contentType, body } = await renderMetrics();
    res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) }).end(body);
  };

  const drain = new Drain();
  const server = http.createServer((req, res) => {
    // The usual request's URL is the one every GraphQL POST has: parsed once (it is only read).
    const url = req.url === GRAPHQL_PATH ? graphqlUrl : new URL(req.url ?? '/', 'http://gateway.local');
    drain.track(res);
    // Every response names its request (an incoming valid x-request-id is kept), and every line
    // logged while serving it carries the same id (observability/logger.ts).
    const requestId = requestIdFrom(req.headers['x-request-id']);
    // A GraphQL request names it in the headers it answers with (handleGraphql: its every answer
    // passes them to writeHead whole, which a header set here first would turn into one
    // setHeader per header); every other route here.
    const graphql = url.pathname === GRAPHQL_PATH;
    if (!graphql) res.setHeader('x-request-id', requestId);
    void runInRequest({ requestId, span: null }, async () => {
      try {
        if (graphql) {
          const wantsHtml = req.method === 'GET' && !url.search && (req.headers.accept ?? '').includes('text/html');
          if (wantsHtml) {
            res.writeHead(200, { 'x-request-id': requestId, 'content-type': 'text/html; charset=utf-8' }).end(page);
            return;
          }
          await traced(req, res, url);
          return;
        }
        if (url.pathname === '/metrics') {
          if (req.method !== 'GET') {
            res.writeHead(405, { allow: 'GET' }).end();
            return;
          }
          await serveMetrics(req, res);
          return;
        }
        if (req.method === 'GET' && url.pathname === '/') {
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
          return;
        }
        const hook = /^\/webhooks\/([a-z]+)$/.exec(url.pathname);
        if (hook && options.webhooks) {
          if (req.method !== 'POST') {
            res.writeHead(405, { allow: 'POST' }).end();
            return;
          }
          const limited = await options.limits?.admitWebhook(hook[1]!, req.socket.remoteAddress, req.headers['x-forwarded-for']);
          if (limited) {
            sendRefusal(res, limited, { 'content-type': 'application/json' }, { error: limited.message, code: limited.extensions['code'], retryAfter: limited.retryAfter });
            return;
          }
          const answer = await options.webhooks(hook[1]!, req.headers, await readBody(req, maxBody));
          res.writeHead(answer.status, { 'content-type': answer.contentType, 'content-length': Buffer.byteLength(answer.body) }).end(answer.body);
          return;
        }
        if (req.method === 'GET' && url.pathname === '/healthz') {
          sendJson(res, 200, { status: 'ok' });
          return;
        }
        if (req.method === 'GET' && url.pathname === '/readyz') {
          if (drain.draining) {
            sendJson(res, 503, { status: 'shutting down', dependencies: {} });
            return;
          }
          const r = await options.readiness();
          sendJson(res, r.ready ? 200 : 503, { status: r.ready ? 'ready' : 'not ready', dependencies: r.dependencies });
          return;
        }
        sendJson(res, 404, { error: `No route ${req.method} ${url.pathname}` });
      } catch (e) {
        const status = typeof e === 'object' && e !== null && 'status' in e && typeof e.status === 'number' ? e.status : 500;
        if (status === 500) logger.error('request failed', { path: url.pathname, error: errorText(e) });
        if (res.headersSent) {
          res.destroy();
          return;
        }
        res.setHeader('x-request-id', requestId);
        sendJson(res, status, { errors: [status === 500 ? { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } } : { message: (e as Error).message, extensions: { code: 'BAD_REQUEST' } }] });
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  // graphql-transport-ws on the same port and path; attached once the port is ours, so a port in
  // use is one error (the WebSocket server would report it a second time).
  // A browser page from another site is refused at the handshake (HTTP 403), before the protocol starts.
  const wss = new WebSocketServer({
    server,
    path: GRAPHQL_PATH,
    // A message no larger than a request body may be: the ws default (100 MiB) let one sender
    // make the gateway buffer and parse 100 times what HTTP accepts. Larger: closed with 1009.
    maxPayload: maxBody,
    verifyClient: ({ req }, done) => {
      const origin = req.headers.origin;
      if (originAllowed(origin, req.headers.host, allowedOrigins)) return done(true);
      logger.info('websocket refused: origin not allowed', { origin: String(origin) });
      done(false, 403, 'Origin not allowed (MERIDIAN_ALLOWED_ORIGINS)');
    },
  });
  // The connection's principal, set by connection_init (graphql-ws closes a socket that subscribes before it).
  const principals = new WeakMap<object, Principal>();
  const wsCleanup = useServer<Record<string, unknown>>(
    {
      schema: options.schema,
      onConnect: async (ctx) => {
        const peer = ctx.extra.request;
        const blocked = options.limits?.admitAuthentication(peer.socket.remoteAddress, peer.headers['x-forwarded-for']);
        if (blocked) {
          ctx.extra.socket.close(WS_CLOSE.TRY_AGAIN_LATER, closeReason(blocked.message));
          return false;
        }
        try {
          principals.set(ctx, await authenticator.authenticateConnection(ctx.connectionParams));
          return true;
        } catch (e) {
          if (!(e instanceof AuthenticationError)) throw e;
          const tooMany = e.httpStatus === 401 ? await options.limits?.failedAuthentication(peer.socket.remoteAddress, peer.headers['x-forwarded-for']) : null;
          if (tooMany) {
            ctx.extra.socket.close(WS_CLOSE.TRY_AGAIN_LATER, closeReason(tooMany.message));
            return false;
          }
          // 4401 without credentials, 4403 with refused ones; 1013 when the key set is down (try again).
          const missing = ctx.connectionParams?.['authorization'] === undefined && ctx.connectionParams?.['Authorization'] === undefined;
          const code = e.httpStatus === 503 ? WS_CLOSE.TRY_AGAIN_LATER : missing ? WS_CLOSE.UNAUTHORIZED : WS_CLOSE.FORBIDDEN;
          const text = missing ? 'Unauthorized: send {"authorization": "Bearer <API key or token>"} in connection_init' : e.message;
          ctx.extra.socket.close(code, closeReason(text));
          return false;
        }
      },
      // A check that throws (the rate limits' Redis gone) refuses that operation with an internal
      // error and one log line: left to graphql-ws, it would print the stack and close the socket.
      onSubscribe: async (ctx, _id, payload) => {
        try {
          const principal = principals.get(ctx);
          if (!principal) return [new GraphQLError('Unauthorized', { extensions: { code: 'UNAUTHENTICATED' } })];
          // Before anything walks the variables, as over HTTP.
          const tooDeep = variablesTooDeep(payload.variables);
          if (tooDeep) return [tooDeep];
          // Rate, size, depth, aliases and cost, as over HTTP: refused, or parsed and validated.
          const checked = await options.limits?.webSocketOperation(options.schema, payload, principal, ctx.extra.request.socket.remoteAddress, ctx.extra.request.headers['x-forwarded-for']);
          if (checked && !('schema' in checked)) {
            hideSuggestions(checked, principal, introspection);
            return checked;
          }
          const operation = checked;
          if (introspectionAllowed(principal, introspection) || !/\b__(?:schema|type)\b/.test(payload.query)) return operation;
          let document = operation?.document;
          try {
            document ??= parse(payload.query);
          } catch {
            return undefined; // graphql-ws reports the syntax error itself
          }
          return asksIntrospection(payload.query, document) ? [introspectionRefused()] : operation;
        } catch (e) {
          logger.error('websocket operation not checked', { error: errorText(e) });
          return [new GraphQLError('Internal server error', { extensions: { code: 'INTERNAL_SERVER_ERROR' } })];
        }
      },
      // graphql-ws builds the context right before it executes the operation, in the same async
      // function: entering the operation's request scope here covers its execution (and a
      // subscription's events), so its log lines carry its request id. (Wrapping `execute`
      // instead would need graphql's own execute, which can be another copy than the schema's.)
      context: (ctx) => {
        const requestId = randomUUID();
        enterRequest({ requestId, span: null });
        return options.context(requestId, principals.get(ctx)!);
      },
      onError: (_ctx, _id, _payload, errors) => {
        for (const e of errors) if (!isClientFacing(e.extensions?.['code'])) logger.error('websocket operation failed', { error: e.message });
        return errors.map((e) => withoutHttp(e.toJSON()));
      },
      // The same masking as over HTTP: clients see codes and our wording, never internals.
      onNext: (_ctx, _id, _payload, _args, result) => {
        if (!result.errors) return undefined;
        return { ...(result.data === undefined ? {} : { data: result.data }), errors: result.errors.map((e) => withoutHttp(formatError(e.toJSON(), e))) };
      },
      // Internal errors close a socket saying "Internal server error", never their own message.
      isProd: true,
    },
    wss,
  );
  // graphql-ws writes a socket's error whole (stack included) with console.error before closing
  // it: a message over maxPayload is such an error, and so is a peer breaking the protocol. Ours
  // replace its listener (attached just before, in its own 'connection' listener): one log line;
  // ws has already closed the socket with the code the error carries (1009 for a message too big).
  wss.on('connection', (socket) => {
    socket.removeAllListeners('error');
    socket.on('error', (e) => logger.info('websocket closed on a socket error', { error: errorText(e) }));
  });

  const { port } = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  let closing: Promise<void> | null = null;
  return {
    port,
    executorStats: () => (jit ? { ...sumStats(jit.stats(), fullJit?.stats()), fastPath: fast?.stats() ?? null } : null),
    url: `http://${host === '0.0.0.0' || host === '::' ? 'localhost' : host}:${port}`,
    close: () => (closing ??= drain.close({ server, wss, wsCleanup, apollo, logger, graceMs: options.shutdownGraceMs ?? 10_000 })),
  };
}

/**
 * Graceful shutdown of the HTTP side: the listener stops accepting (new connections are refused),
 * idle keep-alive connections close, requests already in flight run to their end (each answered
 * with `Connection: close`) for at most `graceMs`, then whatever is left is cut. WebSocket
 * clients are closed at once with 1001 Going Away (graphql-ws; a subscription has no end to wait
 * for) and any that has not finished its closing handshake within the grace period is terminated.
 * Webhook deliveries are requests: they finish like any other.
 * https://nodejs.org/api/http.html#serverclosecallback
 */
class Drain {
  draining = false;
  #active = 0;
  #idle: (() => void) | null = null;

  track(res: http.ServerResponse): void {
    this.#active++;
    if (this.draining) res.setHeader('connection', 'close');
    // A response closes once: one listener shared by all (no closure and once-wrapper per request).
    res.on('close', this.#closed);
  }

  readonly #closed = (): void => {
    this.#active--;
    if (this.#active === 0) this.#idle?.();
  };

  async close(parts: {
    server: http.Server;
    wss: WebSocketServer;
    wsCleanup: { dispose(): void | Promise<void> };
    apollo: ApolloServer<GatewayContext>;
    logger: Logger;
    graceMs: number;
  }): Promise<void> {
    const { server, wss, logger, graceMs } = parts;
    this.draining = true;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const sockets = [...wss.clients];
    const wsClosed = Promise.resolve(parts.wsCleanup.dispose());
    const inFlight = this.#active;
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), graceMs)));
    const idle = this.#active === 0 ? Promise.resolve('idle' as const) : new Promise<'idle'>((resolve) => (this.#idle = () => resolve('idle')));
    if (inFlight > 0) logger.info('shutting down: letting in-flight requests finish', { requests: inFlight, graceMs });
    const outcome = await Promise.race([idle, graceOver]);
    if (outcome === 'timeout' && this.#active > 0) logger.error('shutdown grace period over: cutting requests still in flight', { requests: this.#active, graceMs });
    server.closeAllConnections();
    await closed;
    // Clients that do not answer the close frame within what is left of the grace period are cut.
    if ((await Promise.race([wsClosed.then(() => 'closed' as const), graceOver])) === 'timeout') for (const s of sockets) s.terminate();
    clearTimeout(timer);
    await parts.apollo.stop();
  }
}

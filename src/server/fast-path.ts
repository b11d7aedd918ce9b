// The common GraphQL-over-HTTP request answered without Apollo Server's HTTP pipeline: a POST
// with a JSON object of `query`, `variables` and `operationName`, a document that parses and
// validates, an operation that is a query or a mutation, and an Accept header whose answer is
// known. Anything else (GET, batches, persisted queries, extensions, syntax or validation errors,
// an unknown operation, subscriptions, other media types) returns null and Apollo answers it.
//
// What Apollo does for such a request is done here in the same order with the same functions,
// so the answer is the same bytes, status and headers (test/server/fast-path.test.ts compares
// both paths): the document is parsed and validated once per query text (a bounded LRU, as
// Apollo's document store), the plugins' didResolveOperation work (operation limits, the
// introspection policy, the response cache's cacheability, the request span's name) runs
// before execution, the operation runs through the same JitGateway (one compiled query per
// document for both paths), errors are normalised and masked as Apollo's normalizeAndFormatErrors
// does with the same formatError, and the body is Apollo's `JSON.stringify(result) + '\n'`.
// Skipped, because nothing here uses them: Apollo's query hash (persisted queries and the
// document store only), its request context objects, plugin fan-out and Accept negotiation.
import { createRequire } from 'node:module';
import type * as GraphQL from 'graphql';
import type { DocumentNode, GraphQLFormattedError, GraphQLSchema, OperationDefinitionNode } from 'graphql';
import { SpanStatusCode } from '@opentelemetry/api';
import { HeaderMap } from '@apollo/server';
import type { GatewayContext } from './context.ts';
import { LruCache, type JitGateway, type Plan } from './jit-executor.ts';
import type { GatewayLimits } from '../limits/index.ts';
import { forApollo } from '../limits/index.ts';
import { asksIntrospection, introspectionAllowed, introspectionRefused } from '../access/introspection.ts';
import { holdsAll, holdsEveryClass } from '../access/policy.ts';
import { classesChecked, type AccessPlan } from '../access/plan.ts';
import type { AccessClass } from '../access/classes.ts';
import { currentRequest } from '../observability/request-context.ts';
import { mediaTypeOf } from './media-type.ts';

// The graphql copy Apollo Server loads (its CommonJS build; see jit-executor.ts): errors made
// here must pass Apollo's and our own `instanceof GraphQLError` the same way.
const { GraphQLError, Kind, OperationTypeNode, getOperationAST, parse, specifiedRules, validate } = createRequire(import.meta.url)('graphql') as typeof GraphQL;
type GraphQLError = InstanceType<typeof GraphQLError>;

/** Apollo Server's media types for a single result (MEDIA_TYPES in @apollo/server). */
const APPLICATION_JSON = 'application/json; charset=utf-8';
const GRAPHQL_RESPONSE_JSON = 'application/graphql-response+json; charset=utf-8';

/**
 * What Apollo's Accept negotiation picks for a single result, for the Accept values clients
 * send; undefined for any other value (Apollo negotiates those itself).
 */
function contentTypeFor(accept: string | undefined): string | undefined {
  if (!accept) return APPLICATION_JSON;
  switch (accept) {
    case 'application/json':
    case '*/*':
    case 'application/json, */*':
    case 'application/json,*/*':
      return APPLICATION_JSON;
    case 'application/graphql-response+json':
      return GRAPHQL_RESPONSE_JSON;
    default:
      return undefined;
  }
}

/** An operation of a prepared document, with how it runs (the jit executors' plans, made on first use). */
interface Operation {
  node: OperationDefinitionNode;
  plan: Plan | null;
  /** On the schema without access wrappers (fullAccessJit). */
  fullAccessPlan: Plan | null;
}

/** A query text, once parsed and validated: its operations by the name a request gives (null: Apollo answers). */
interface Prepared {
  document: DocumentNode;
  /** Whether it selects `__schema` or `__type` (access/introspection.ts). */
  introspection: boolean;
  /** Every access class a check in it could ask for (access/plan.ts classesChecked), found on first need. */
  checked?: ReadonlySet<AccessClass>;
  operations: Map<string, Operation | null>;
}

/** The answer, in the shape of Apollo's HTTPGraphQLResponse (complete body). */
export interface FastAnswer {
  status?: number;
  headers: HeaderMap;
  /** `bytes`: the body's UTF-8 length (its Content-Length), counted before the closing newline was appended. */
  body: { kind: 'complete'; string: string; bytes: number };
}

export interface FastPathStats {
  /** Requests answered here. */
  answered: number;
  /** Requests handed to Apollo Server. */
  deferred: number;
  /** Query texts parsed and validated (each once while it stays in the cache). */
  documents: number;
}

export interface FastPathOptions {
  schema: GraphQLSchema;
  jit: JitGateway;
  /** The same executor on the schema without the access rules, for roles that hold every class an operation's checks could ask for. */
  fullAccessJit?: JitGateway | null;
  /** The access rules' plan (access/plan.ts): which classes a document's checks could ask for. Absent: only roles holding every class run without the checks. */
  accessPlan?: AccessPlan | null;
  limits?: GatewayLimits | undefined;
  introspection: 'admin' | 'all';
  /** The same formatError Apollo Server is given (server/http.ts makeFormatError). */
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  /** Apollo's includeStacktraceInErrorResponses. */
  stacktraces: boolean;
  /** Query texts kept parsed and validated (LRU). */
  cacheSize: number;
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** graphql-js' words for variables that did not coerce (Apollo's isBadUserInputGraphQLError). */
function isBadUserInput(error: GraphQLError): boolean {
  const node = error.nodes?.length === 1 ? error.nodes[0] : undefined;
  if (node?.kind !== Kind.VARIABLE_DEFINITION) return false;
  const name = node.variable.name.value;
  return (
    error.message.startsWith(`Variable "$${name}" has invalid value`) ||
    error.message.startsWith(`Variable "$${name}" got invalid value `) ||
    error.message.startsWith(`Variable "$${name}" of required type `) ||
    error.message.startsWith(`Variable "$${name}" of non-null type `)
  );
}

/** Apollo's UserInputError: the same error with code BAD_USER_INPUT. */
function userInputError(error: GraphQLError): GraphQLError {
  const e = new GraphQLError(error.message, {
    ...(error.nodes ? { nodes: error.nodes } : {}),
    originalError: error.originalError ?? error,
    extensions: { ...error.extensions, code: 'BAD_USER_INPUT' },
  });
  e.name = 'UserInputError';
  return e;
}

const asGraphQLError = (e: unknown): GraphQLError =>
  e instanceof GraphQLError ? e : e instanceof Error ? new GraphQLError(e.message, { originalError: e }) : new GraphQLError(`Unexpected error value: ${String(e)}`);

export class FastPath {
  readonly #options: FastPathOptions;
  readonly #documents: LruCache<Prepared | null>;
  readonly #stats: FastPathStats = { answered: 0, deferred: 0, documents: 0 };

  constructor(options: FastPathOptions) {
    this.#options = options;
    this.#documents = new LruCache(options.cacheSize);
  }

  stats(): FastPathStats {
    return { ...this.#stats };
  }

  /**
   * Answers one GraphQL-over-HTTP request, or returns null (nothing done) when Apollo Server must.
   * `body`: the parsed JSON body; `contentType` and `accept`: the request's headers.
   */
  async answer(method: string, contentType: string | undefined, accept: string | undefined, body: unknown, ctx: GatewayContext): Promise<FastAnswer | null> {
    const mediaType = contentTypeFor(accept);
    const request = method === 'POST' && mediaType !== undefined && mediaTypeOf(contentType) === 'application/json' ? this.#request(body) : null;
    const prepared = request ? this.#prepare(request.query) : null;
    const chosen = prepared && request ? this.#operation(prepared, request.operationName) : null;
    if (!request || !prepared || !chosen || mediaType === undefined) {
      this.#stats.deferred++;
      return null;
    }
    this.#stats.answered++;
    const { query, operationName, variables } = request;
    const operation = chosen.node;
    const head = { status: undefined as number | undefined, headers: new HeaderMap() };

    // didResolveOperation, as Apollo's plugins run it (server/http.ts): the operation limits, then
    // the introspection policy, the cacheability and the span; the first refusal is the answer.
    const { principal } = ctx;
    // Apollo hands its plugins the resolved operation's name, not the request's.
    const overLimit = this.#options.limits?.checkOperation(this.#options.schema, prepared.document, operation.name?.value ?? null, variables, principal) ?? null;
    const refused = !introspectionAllowed(principal, this.#options.introspection) && prepared.introspection ? introspectionRefused() : null;
    if (operation.operation !== OperationTypeNode.QUERY) ctx.cacheability.ok = false;
    const span = currentRequest()?.span;
    if (span) {
      const name = operation.name?.value;
      span.setAttribute('graphql.operation.type', operation.operation);
      if (name) span.setAttribute('graphql.operation.name', name);
      span.updateName(`graphql ${operation.operation}${name ? ` ${name}` : ''}`);
    }
    const first = overLimit ? forApollo(overLimit) : refused;
    if (first) return this.#send(head, { errors: this.#format([first], head) }, true, mediaType, ctx);

    let result: GraphQL.ExecutionResult;
    try {
      // The plan is the jit executor's own for this text and name (compiled once for both routes).
      // A role that holds every class the document's checks could ask for passes every check:
      // its operation runs unwrapped (a service key reading customers as an admin does).
      const full = this.#options.fullAccessJit;
      const plan = this.#options.accessPlan;
      if (full && (holdsEveryClass(principal.role) || (plan && holdsAll(principal.role, (prepared.checked ??= classesChecked(plan, this.#options.schema, prepared.document)))))) {
        chosen.fullAccessPlan ??= full.plan(query, prepared.document, operationName);
        result = await full.run(chosen.fullAccessPlan, prepared.document, operationName, variables ?? {}, ctx);
      } else {
        chosen.plan ??= this.#options.jit.plan(query, prepared.document, operationName);
        result = await this.#options.jit.run(chosen.plan, prepared.document, operationName, variables ?? {}, ctx);
      }
    } catch (e) {
      return this.#send(head, { errors: this.#format([asGraphQLError(e)], head) }, true, mediaType, ctx);
    }
    const errors = result.errors?.map((e) => (isBadUserInput(e) && e.extensions?.['code'] == null ? userInputError(e) : e));
    const formatted = errors ? this.#format(errors, head) : undefined;
    // Apollo 5 answers 400 when the variables did not coerce (no data, nothing executed).
    if (errors?.length && result.data === undefined && !head.status) head.status = 400;
    return this.#send(head, { errors: formatted, data: result.data, extensions: result.extensions }, false, mediaType, ctx);
  }

  /** The request's parts when it is a plain single operation; null for anything Apollo must judge. */
  #request(body: unknown): { query: string; operationName: string | null; variables: Record<string, unknown> | undefined } | null {
    if (!isRecord(body)) return null;
    let query: string | null = null;
    let operationName: string | null = null;
    let variables: Record<string, unknown> | undefined;
    for (const key in body) {
      const v = body[key];
      if (key === 'query') {
        if (typeof v !== 'string' || v === '') return null;
        query = v;
      } else if (key === 'operationName') {
        if (v !== null && typeof v !== 'string') return null;
        operationName = v;
      } else if (key === 'variables') {
        if (v !== null && !isRecord(v)) return null;
        variables = v ?? undefined;
      } else {
        // extensions (persisted queries, …) and anything else: Apollo's own checks and words.
        return null;
      }
    }
    return query === null ? null : { query, operationName, variables };
  }

  /** The query text parsed and validated, from the cache when it was seen before; null when it does not validate. */
  #prepare(query: string): Prepared | null {
    const known = this.#documents.get(query);
    if (known !== undefined) return known;
    let prepared: Prepared | null = null;
    try {
      const document = parse(query);
      // Apollo Server validates with graphql's specified rules only (introspection is allowed there).
      if (validate(this.#options.schema, document, specifiedRules).length === 0) {
        prepared = { document, introspection: asksIntrospection(query, document), operations: new Map() };
      }
    } catch {
      // A syntax error: Apollo says it in its words.
    }
    this.#stats.documents++;
    this.#documents.set(query, prepared);
    return prepared;
  }

  /** The operation a request names: queries and mutations only (a subscription over HTTP is Apollo's to refuse). */
  #operation(prepared: Prepared, operationName: string | null): Operation | null {
    const key = operationName ?? '';
    let op = prepared.operations.get(key);
    if (op === undefined) {
      const found = getOperationAST(prepared.document, operationName);
      op = found && (found.operation === OperationTypeNode.QUERY || found.operation === OperationTypeNode.MUTATION) ? { node: found, plan: null, fullAccessPlan: null } : null;
      // Bounded by the document: a name that is not an operation of it resolves to null once.
      if (prepared.operations.size < 64) prepared.operations.set(key, op);
    }
    return op;
  }

  /** Apollo's normalizeAndFormatErrors: `extensions.code` always set, `extensions.http` taken into the answer's head. */
  #format(errors: readonly GraphQLError[], head: { status: number | undefined; headers: HeaderMap }): GraphQLFormattedError[] {
    const { formatError, stacktraces } = this.#options;
    const enrich = (maybe: unknown): GraphQLFormattedError => {
      const error = asGraphQLError(maybe);
      const extensions: Record<string, unknown> = { ...error.extensions, code: error.extensions['code'] ?? 'INTERNAL_SERVER_ERROR' };
      const http = extensions['http'];
      if (isRecord(http) && (!('status' in http) || typeof http['status'] === 'number') && (!('headers' in http) || http['headers'] instanceof Map)) {
        if (typeof http['status'] === 'number') head.status = http['status'];
        if (http['headers'] instanceof Map) for (const [k, v] of http['headers'] as Map<string, string>) head.headers.set(k, v);
        delete extensions['http'];
      }
      if (stacktraces) extensions['stacktrace'] = error.stack?.split('\n');
      return { ...error.toJSON(), extensions };
    };
    return errors.map((error) => {
      try {
        return formatError(enrich(error), error);
      } catch (formattingError) {
        return stacktraces ? enrich(formattingError) : { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
      }
    });
  }

  /**
   * willSendResponse (server/http.ts), then Apollo's body and content type. `refusal`: answered
   * before execution (Apollo's sendErrorResponse: 500 unless an error names its status).
   */
  #send(
    head: { status: number | undefined; headers: HeaderMap },
    result: { errors: GraphQLFormattedError[] | undefined; data?: unknown; extensions?: unknown },
    refusal: boolean,
    mediaType: string,
    ctx: GatewayContext,
  ): FastAnswer {
    if (refusal && !head.status) head.status = 500;
    head.headers.set('cache-control', 'no-store');
    const errors = result.errors ?? [];
    if (errors.length > 0) {
      ctx.cacheability.ok = false;
      const span = currentRequest()?.span;
      if (span) {
        const codes = [...new Set(errors.map((e) => (typeof e.extensions?.['code'] === 'string' ? e.extensions['code'] : 'INTERNAL_SERVER_ERROR')))].sort();
        span.setAttribute('graphql.error.count', errors.length);
        span.setAttribute('graphql.error.codes', codes);
        span.setStatus({ code: SpanStatusCode.ERROR, message: `GraphQL errors: ${codes.join(', ')}` });
      }
    }
    head.headers.set('content-type', mediaType);
    // Apollo's field order (orderExecutionResultFields) and stringifyResult. The length is counted
    // on the JSON text as it comes (flat): counting it on text + '\n' would first copy the answer.
    const json = JSON.stringify({ errors: result.errors, data: result.data, extensions: result.extensions });
    return { ...(head.status === undefined ? {} : { status: head.status }), headers: head.headers, body: { kind: 'complete', string: json + '\n', bytes: Buffer.byteLength(json) + 1 } };
  }
}

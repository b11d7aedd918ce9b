// The gateway's limits, put together (docs/limits.md): before a document is parsed, its size;
// before an operation executes, its depth, aliases and cost; before a request is handled at
// all, the caller's rate. Each refusal carries its own code and nothing behind it runs. The
// operation checks sit in an Apollo plugin (didResolveOperation) and in the WebSocket server's
// onSubscribe, so they hold whatever executes the operation; the HTTP server calls the rate and
// document-size checks before it hands a request to Apollo.
import { BlockList, isIP } from 'node:net';
import { GraphQLError, parse, validate, type DocumentNode, type ExecutionArgs, type GraphQLSchema } from 'graphql';
import { HeaderMap } from '@apollo/server';
import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import type { LimitsConfig } from '../config/limits.ts';
import type { Principal } from '../access/principal.ts';
import type { GatewayContext } from '../server/context.ts';
import { systemClock, type Clock } from '../resilience/index.ts';
import { measureOperation, type CostModel, type OperationMeasure } from './cost.ts';
import { checkDocument } from './document.ts';
import { checkVariables } from './variables.ts';
import { OperationLimitError, RateLimitedError, type VariablesTooDeepError } from './errors.ts';
import type { RateLimitStore, RateRule } from './rate-limit.ts';

export { buildCostModel, measureOperation, FIELD_COSTS, RECORD_TYPES, type CostModel, type OperationMeasure } from './cost.ts';
export { checkDocument, countTokens } from './document.ts';
export { checkVariables, MAX_VARIABLES_DEPTH } from './variables.ts';
export { OperationLimitError, RateLimitedError, VariablesTooDeepError, LIMITS } from './errors.ts';
export { createMemoryRateLimitStore, createRedisRateLimitStore, gcra, type RateLimitStore, type RateRule } from './rate-limit.ts';

export interface GatewayLimits {
  /** Apollo Server plugin: depth, aliases and cost of the resolved operation, before execution. */
  readonly plugin: ApolloServerPlugin<GatewayContext>;
  /**
   * The rate limit for one GraphQL request or WebSocket operation; null when admitted. `address`:
   * the socket's peer; `forwardedFor`: its X-Forwarded-For header, read only from trusted proxies.
   */
  admitRequest(principal: Principal, address: string | undefined, forwardedFor?: string | string[]): Promise<RateLimitedError | null>;
  /**
   * Before credentials are looked up: refused while the caller's address is blocked for failing
   * to authenticate too often (failedAuthentication), so bad keys cannot flood the key store.
   */
  admitAuthentication(address: string | undefined, forwardedFor?: string | string[]): RateLimitedError | null;
  /**
   * Counts a failed authentication from the caller's address; past MERIDIAN_AUTH_FAILURE_RATE_LIMIT
   * the address is blocked until its bucket refills, and the refusal to answer instead is returned.
   */
  failedAuthentication(address: string | undefined, forwardedFor?: string | string[]): Promise<RateLimitedError | null>;
  /** The rate limit for one notification from its sender to /webhooks/<system>; null when admitted. */
  admitWebhook(system: string, address: string | undefined, forwardedFor?: string | string[]): Promise<RateLimitedError | null>;
  /** The client's address: the peer's, or from a trusted proxy the nearest untrusted hop of X-Forwarded-For. */
  clientAddress(address: string | undefined, forwardedFor?: string | string[]): string | undefined;
  /** A document's size in bytes and tokens, before it is parsed; null when within the limits. */
  checkDocument(query: string): OperationLimitError | null;
  /** How deep a request's variables nest, before anything reads them (variables.ts); null when within the limit. Counted as a refusal. */
  checkVariables(variables: unknown): VariablesTooDeepError | null;
  /** Depth, aliases and cost of a parsed, validated operation; null when within the limits. */
  checkOperation(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined, variables: Readonly<Record<string, unknown>> | null | undefined, principal: Principal): OperationLimitError | null;
  /**
   * graphql-ws `onSubscribe`: every check above for one operation over WebSocket. Returns the
   * errors to send, or the operation ready to execute (parsed and validated; graphql-ws adds its
   * context). `principal`: who sends it.
   */
  webSocketOperation(
    schema: GraphQLSchema,
    payload: { query: string; operationName?: string | null | undefined; variables?: Record<string, unknown> | null | undefined },
    principal: Principal,
    address: string | undefined,
    forwardedFor?: string | string[],
  ): Promise<readonly GraphQLError[] | ExecutionArgs>;
  close(): Promise<void>;
}

export interface GatewayLimitsOptions {
  config: LimitsConfig;
  model: CostModel;
  store: RateLimitStore;
  clock?: Clock;
  /** Every refusal, by code and where (for metrics: rate-limit denials, operations refused). */
  onRefused?: (code: string, where: 'request' | 'operation' | 'webhook') => void;
}

/** An IPv4-mapped IPv6 address as IPv4. */
const unmapped = (a: string): string => /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a)?.[1] ?? a;

/**
 * The key a client's requests are counted under: an authenticated principal's id, or for an
 * anonymous caller its address (IPv4, or the /64 of an IPv6 address: one host holds a /64).
 */
export function rateKey(principal: Principal, address: string | undefined): string {
  if (principal.kind !== 'anonymous') return `principal:${principal.id}`;
  return `address:${clientNetwork(address)}`;
}

/** An address as counted: IPv4 as is (also when IPv4-mapped), IPv6 by its first 64 bits. */
export function clientNetwork(address: string | undefined): string {
  if (!address) return 'unknown';
  const v4 = unmapped(address);
  if (!v4.includes(':')) return v4;
  const [head = '', tail = ''] = address.split('%')[0]!.split('::');
  const left = head ? head.split(':') : [];
  const right = address.includes('::') && tail ? tail.split(':') : [];
  const groups = address.includes('::') ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.toLowerCase().replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/**
 * Who sent a request, given the peer's address and its X-Forwarded-For: each trusted proxy
 * appends the address it received the request from, so the nearest hop (from the right) that is
 * not a trusted proxy is the client. Hops further left are the client's own claims, never read.
 */
export function clientAddressOf(trusted: BlockList | null, address: string | undefined, forwardedFor: string | string[] | undefined): string | undefined {
  if (!address || !trusted || forwardedFor === undefined) return address;
  const isTrusted = (a: string): boolean => {
    const v = isIP(a);
    return v !== 0 && trusted.check(a, v === 6 ? 'ipv6' : 'ipv4');
  };
  let client = unmapped(address);
  if (!isTrusted(client)) return address;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',').map((h) => unmapped(h.trim()));
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    // A proxy that wrote something else than an address: the last proxy is all we know.
    if (isIP(hop) === 0) break;
    client = hop;
    if (!isTrusted(hop)) break;
  }
  return client;
}

/** The error with the HTTP status Apollo answers it with (GraphQL over HTTP: 4xx, nothing executed). Also server/fast-path.ts's. */
export function forApollo(error: OperationLimitError): GraphQLError {
  return new GraphQLError(error.message, { extensions: { ...error.extensions, http: { status: error.status, headers: new HeaderMap() } } });
}

/** Measures kept per document and operation (one per distinct value of the variables read), and the longest such value kept. */
const MAX_MEASURES_PER_OPERATION = 64;
const MAX_VALUES_KEY = 1_000;
/** admitRequest's answer when no rate applies. */
const ADMITTED: Promise<null> = Promise.resolve(null);

export function createGatewayLimits(options: GatewayLimitsOptions): GatewayLimits {
  const { config, model, store } = options;
  const clock = options.clock ?? systemClock;
  const documentLimits = { maxBytes: config.maxDocumentBytes, maxTokens: config.maxDocumentTokens };
  let trusted: BlockList | null = null;
  if (config.trustedProxies.length > 0) {
    trusted = new BlockList();
    for (const b of config.trustedProxies) trusted.addSubnet(b.address, b.prefix, b.family);
  }
  const clientAddress: GatewayLimits['clientAddress'] = (address, forwardedFor) => clientAddressOf(trusted, address, forwardedFor);

  // A measure holds for every request of the same parsed document (Apollo keeps one per query)
  // and operation that gives the variables it read the same values: most requests measure nothing.
  type Measures = Map<string, { variables: readonly string[]; byValues: Map<string, OperationMeasure> }>;
  const measured = new WeakMap<DocumentNode, Measures>();
  const measure = (schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined, variables: Readonly<Record<string, unknown>> | null | undefined): OperationMeasure | null => {
    const op = operationName ?? '';
    let perOp = measured.get(document);
    const known = perOp?.get(op);
    const valuesKey = known ? JSON.stringify(known.variables.map((v) => variables?.[v] ?? null)) : '';
    const hit = known?.byValues.get(valuesKey);
    if (hit) return hit;
    const m = measureOperation(schema, document, operationName, variables, model);
    if (!m) return null;
    if (!perOp) measured.set(document, (perOp = new Map() as Measures));
    let entry = perOp.get(op);
    if (!entry) perOp.set(op, (entry = { variables: m.variablesRead, byValues: new Map<string, OperationMeasure>() }));
    const key = known ? valuesKey : JSON.stringify(m.variablesRead.map((v) => variables?.[v] ?? null));
    if (key.length <= MAX_VALUES_KEY && entry.byValues.size < MAX_MEASURES_PER_OPERATION) entry.byValues.set(key, m);
    return m;
  };

  const maxCostOf = (p: Principal): number => (p.kind !== 'anonymous' && p.role ? (config.maxCostByRole[p.role] ?? config.maxCost) : config.maxCost);
  const rateOf = (p: Principal): RateRule | null => {
    if (p.kind !== 'anonymous' && p.role) {
      const own = config.rateByRole[p.role];
      if (own !== undefined) return own;
    }
    return config.rate;
  };

  const refused = <E extends OperationLimitError | RateLimitedError | VariablesTooDeepError | null>(e: E, where: 'request' | 'operation' | 'webhook'): E => {
    if (e) options.onRefused?.(String(e.extensions['code']), where);
    return e;
  };
  const measureAgainstLimits: GatewayLimits['checkOperation'] = (schema, document, operationName, variables, principal) => {
    const m = measure(schema, document, operationName, variables);
    if (!m) return null;
    // One refusal, the most telling first: what it would have cost, then its shape.
    const maxCost = maxCostOf(principal);
    if (m.cost > maxCost) return new OperationLimitError('cost', m.cost, maxCost, { hint: 'Ask for fewer customers, aliases, fields or related records per request (smaller `first`).' });
    if (m.aliases > config.maxAliases) return new OperationLimitError('aliases', m.aliases, config.maxAliases);
    if (m.depth > config.maxDepth) return new OperationLimitError('depth', m.depth, config.maxDepth);
    return null;
  };
  const checkOperation: GatewayLimits['checkOperation'] = (schema, document, operationName, variables, principal) => refused(measureAgainstLimits(schema, document, operationName, variables, principal), 'operation');

  // Apollo answers an error thrown before parsing as an internal one: the size is checked by the
  // HTTP server before Apollo is called (checkDocument), the rest here once the operation is known.
  const listener: GraphQLRequestListener<GatewayContext> = {
    didResolveOperation: ({ schema, document, operationName, request, contextValue }) => {
      const overLimit = checkOperation(schema, document, operationName, request.variables, contextValue.principal);
      return overLimit ? Promise.reject(forApollo(overLimit)) : Promise.resolve();
    },
  };

  const take = async (key: string, rule: RateRule | null, what: string, variable: string): Promise<RateLimitedError | null> => {
    if (!rule) return null;
    // Each rule counts on its own: a key's time under one rule means nothing under another.
    const decision = await store.take(`${key}|${rule.limit}/${rule.periodMs}`, rule, clock.now());
    return decision.ok ? null : new RateLimitedError(decision.retryAfterMs, what, variable);
  };
  const rateVariable = (p: Principal): string => (p.kind !== 'anonymous' && p.role && config.rateByRole[p.role] !== undefined ? `MERIDIAN_RATE_LIMIT_${p.role.toUpperCase()}` : 'MERIDIAN_RATE_LIMIT');
  const admitRequest: GatewayLimits['admitRequest'] = (principal, address, forwardedFor) => {
    const rule = rateOf(principal);
    // No rate for this caller (MERIDIAN_RATE_LIMIT=off): nothing to count, no key or words to build.
    if (!rule) return ADMITTED;
    return take(rateKey(principal, clientAddress(address, forwardedFor)), rule, principal.kind === 'anonymous' ? 'from this address' : `for ${principal.name}`, rateVariable(principal)).then((e) => refused(e, 'request'));
  };

  // Addresses refused before authenticating, until when (this process's view: the failures
  // themselves are counted in the shared store, so every replica blocks once it sees one refused).
  const authBlocked = new Map<string, number>();
  const AUTH_BLOCKED_MAX = 10_000;
  const AUTH_FAILURES = 'MERIDIAN_AUTH_FAILURE_RATE_LIMIT';

  return {
    plugin: { requestDidStart: () => Promise.resolve(listener) },
    admitRequest,
    admitAuthentication: (address, forwardedFor) => {
      if (authBlocked.size === 0) return null;
      const network = clientNetwork(clientAddress(address, forwardedFor));
      const until = authBlocked.get(network);
      if (until === undefined) return null;
      const left = until - clock.now();
      if (left <= 0) {
        authBlocked.delete(network);
        return null;
      }
      return refused(new RateLimitedError(left, 'with credentials that failed from this address', AUTH_FAILURES), 'request');
    },
    failedAuthentication: async (address, forwardedFor) => {
      const network = clientNetwork(clientAddress(address, forwardedFor));
      const limited = await take(`authfail:${network}`, config.authFailureRate, 'with credentials that failed from this address', AUTH_FAILURES);
      if (!limited) return null;
      if (authBlocked.size >= AUTH_BLOCKED_MAX) authBlocked.clear();
      authBlocked.set(network, clock.now() + limited.retryAfter * 1000);
      return refused(limited, 'request');
    },
    admitWebhook: async (system, address, forwardedFor) => refused(await take(`webhook:${system}:${clientNetwork(clientAddress(address, forwardedFor))}`, config.webhookRate, `to /webhooks/${system} from this sender`, 'MERIDIAN_WEBHOOK_RATE_LIMIT'), 'webhook'),
    checkDocument: (query) => refused(checkDocument(query, documentLimits), 'operation'),
    checkVariables: (variables) => refused(checkVariables(variables), 'operation'),
    checkOperation,
    clientAddress,
    async webSocketOperation(schema, payload, principal, address, forwardedFor) {
      const limited = await admitRequest(principal, address, forwardedFor);
      if (limited) return [limited];
      const tooLarge = refused(checkDocument(payload.query, documentLimits), 'operation');
      if (tooLarge) return [tooLarge];
      let document: DocumentNode;
      try {
        document = parse(payload.query);
      } catch (e) {
        return [e instanceof GraphQLError ? e : new GraphQLError(String(e))];
      }
      const invalid = validate(schema, document);
      if (invalid.length > 0) return invalid;
      const overLimit = checkOperation(schema, document, payload.operationName, payload.variables, principal);
      if (overLimit) return [overLimit];
      return { schema, document, operationName: payload.operationName ?? null, variableValues: payload.variables ?? null };
    },
    close: () => store.close(),
  };
}

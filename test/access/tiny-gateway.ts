// The gateway's HTTP and WebSocket layer (src/server/http.ts) with the real authenticator in
// front of a tiny schema that says who is asking and counts what it executes: access tests
// without the sandbox's start-up cost. The key store is real Postgres (or the embedded one).
import { makeExecutableSchema } from '@graphql-tools/schema';
import { startHttpServer, type Logger, type RunningServer } from '../../src/server/http.ts';
import { createAuthenticator, type AuthenticatorOptions } from '../../src/access/authenticate.ts';
import type { GatewayLimits } from '../../src/limits/index.ts';
import { ResponseCache, newCacheability } from '../../src/gateway/response-cache.ts';
import type { GatewayContext } from '../../src/server/context.ts';
import type { Principal } from '../../src/access/principal.ts';

export interface TinyGateway extends RunningServer {
  /** Resolvers run so far (nothing may run for a refused request). */
  executed: number;
  /** Every log line, to check that no key reaches the log. */
  log: string[];
}

const typeDefs = /* GraphQL */ `
  type Who { kind: String! id: String! name: String! role: String }
  type Query { whoami: Who! }
  type Mutation { touch: Int! }
  type Subscription { whoami: Who! }
`;

export async function startTinyGateway(
  options: Omit<AuthenticatorOptions, 'access'> & { access?: Partial<AuthenticatorOptions['access']>; allowedOrigins?: string[]; introspection?: 'admin' | 'all'; responseCache?: boolean; limits?: GatewayLimits },
): Promise<TinyGateway> {
  const state = { executed: 0 };
  const log: string[] = [];
  const schema = makeExecutableSchema({
    typeDefs,
    resolvers: {
      Query: {
        whoami: (_p: unknown, _a: unknown, ctx: GatewayContext) => {
          state.executed++;
          // As a customer query would: its answer depends on something the response cache tracks.
          ctx.cacheability.deps.add('whoami');
          return ctx.principal;
        },
      },
      Mutation: {
        touch: () => ++state.executed,
      },
      Subscription: {
        whoami: {
          subscribe: async function* (_p: unknown, _a: unknown, ctx: GatewayContext): AsyncGenerator<{ whoami: Principal }> {
            state.executed++;
            await Promise.resolve();
            yield { whoami: ctx.principal };
          },
        },
      },
    },
  });
  const logger: Logger = {
    info: (m, e) => log.push(`info ${m} ${JSON.stringify(e ?? {})}`),
    error: (m, e) => log.push(`error ${m} ${JSON.stringify(e ?? {})}`),
  };
  const { access, allowedOrigins, introspection, responseCache, limits, ...rest } = options;
  const authenticator = createAuthenticator({ ...rest, access: { mode: 'on', jwt: null, apiKeys: [], ...access }, onKeySetError: (reason) => logger.error('JWT key set unavailable', { reason }) });
  const server = await startHttpServer({
    schema,
    // Only what this schema's resolvers read; the gateway's loaders and services are not needed.
    context: (requestId, principal) => ({ requestId, principal, cacheability: newCacheability() }) as unknown as GatewayContext,
    authenticator,
    ...(allowedOrigins ? { allowedOrigins } : {}),
    ...(introspection ? { introspection } : {}),
    ...(responseCache ? { responseCache: new ResponseCache({ ttlSeconds: 60 }) } : {}),
    ...(limits ? { limits } : {}),
    readiness: () => Promise.resolve({ ready: true, dependencies: {} }),
    logger,
  });
  const tiny = { ...server, log, executed: 0 };
  Object.defineProperty(tiny, 'executed', { get: () => state.executed });
  return tiny;
}

export interface Answer {
  status: number;
  headers: Headers;
  body: { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}

export async function post(url: string, query: string, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify({ query }),
    // A hang fails the test instead of stalling it (a safety net, not a speed assertion).
    signal: AbortSignal.timeout(15_000),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Answer['body'] };
}

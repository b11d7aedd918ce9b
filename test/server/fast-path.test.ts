// The fast path (src/server/fast-path.ts) answers plain POSTs without Apollo Server's HTTP
// pipeline. Two servers over one gateway (same schema, context, authentication and limits
// settings), one with the fast path and one without, must answer every request with the same
// status, headers and bytes; the fast one must actually have answered them, and a query text
// is parsed, validated and compiled once however often it comes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, bearer, type TestApp } from '../support/app.ts';
import { startHttpServer, type RunningServer } from '../../src/server/http.ts';
import { readGatewayConfig } from '../../src/config/gateway.ts';
import { loadSchema } from '../../src/app.ts';
import { limitsConfig } from '../../src/config/limits.ts';
import { buildCostModel, createGatewayLimits, createMemoryRateLimitStore, type GatewayLimits } from '../../src/limits/index.ts';
import type { SystemId } from '../../src/sources/types.ts';
import type { Role } from '../../src/access/principal.ts';
import { CUSTOMER_QUERY as CUSTOMER } from '../../bench/customer-query.ts';
import type { GraphQLFieldResolver, GraphQLObjectType } from 'graphql';
import { planAccess } from '../../src/access/plan.ts';


interface Exchange {
  status: number;
  contentType: string | null;
  cacheControl: string | null;
  body: string;
}

async function send(server: RunningServer, body: unknown, options: { role?: Role; accept?: string; contentType?: string } = {}): Promise<Exchange> {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': options.contentType ?? 'application/json', ...(options.accept ? { accept: options.accept } : {}), ...bearer(options.role ?? 'admin') },
    body: JSON.stringify(body),
  });
  return { status: res.status, contentType: res.headers.get('content-type'), cacheControl: res.headers.get('cache-control'), body: await res.text() };
}

describe('the fast path against Apollo Server', () => {
  let app: TestApp;
  let fast: RunningServer;
  let apollo: RunningServer;
  let id: string;
  let unwrapped = 0;

  beforeAll(async () => {
    app = await startTestApp({ customers: 30 });
    const env = readGatewayConfig({ MERIDIAN_MAX_COST: '500', MERIDIAN_MAX_ALIASES: '5', MERIDIAN_MAX_DEPTH: '6', MERIDIAN_RATE_LIMIT: 'off' }).env;
    // Each server its own limits (as each replica has), from the same settings.
    const limits = (): GatewayLimits =>
      createGatewayLimits({ config: limitsConfig(env), model: buildCostModel(app.services.spec, Object.keys(app.services.sources) as SystemId[]), store: createMemoryRateLimitStore() });
    const common = {
      schema: app.schema,
      context: (requestId: string, principal: Parameters<TestApp['context']>[1]) => app.context(requestId, principal),
      authenticator: app.authenticator,
      readiness: () => Promise.resolve({ ready: true, dependencies: {} }),
      logger: { info: () => undefined, error: () => undefined },
    };
    // Admins, and any role holding every class an operation's checks could ask for, run on the
    // schema without the access wrappers there (every check passes for them). Its Customer.id
    // counts its calls: the operations that ran there.
    const fullAccessSchema = await loadSchema(app.services.spec, { accessRules: false });
    const idField = (fullAccessSchema.getType('Customer') as GraphQLObjectType).getFields()['id']!;
    const ownId: GraphQLFieldResolver<unknown, unknown> = idField.resolve ?? ((parent) => (parent as { id: string }).id);
    idField.resolve = (...args) => {
      unwrapped++;
      return ownId(...args);
    };
    fast = await startHttpServer({ ...common, fullAccessSchema, accessPlan: planAccess(fullAccessSchema, app.services.spec), limits: limits() });
    apollo = await startHttpServer({ ...common, limits: limits(), fastPath: false });
    id = (await app.services.identity.list({ first: 1 })).edges[0]!.node.id;
  });
  afterAll(async () => {
    await fast?.close();
    await apollo?.close();
    await app?.close();
  });

  const cases: { name: string; body: () => unknown; role?: Role; accept?: string; contentType?: string; status: number; fast: boolean }[] = [
    { name: 'a customer with lineage', body: () => ({ query: CUSTOMER, variables: { id } }), status: 200, fast: true },
    { name: 'a media type in capitals, with a parameter (media types are case-insensitive)', body: () => ({ query: CUSTOMER, variables: { id } }), contentType: 'Application/JSON; Charset=UTF-8', status: 200, fast: true },
    { name: 'the same for application/graphql-response+json', body: () => ({ query: CUSTOMER, variables: { id } }), accept: 'application/graphql-response+json', status: 200, fast: true },
    { name: 'fields the role may not read: null with FORBIDDEN, the rest stands', body: () => ({ query: CUSTOMER, variables: { id } }), role: 'agent', status: 200, fast: true },
    { name: 'a customer that does not exist (NOT_FOUND, data null)', body: () => ({ query: 'query { customer(id: "nobody") { id name } }' }), status: 200, fast: true },
    { name: 'an argument out of range (BAD_USER_INPUT from a resolver)', body: () => ({ query: '{ customers(first: 500) { totalCount } }' }), status: 200, fast: true },
    { name: 'variables that do not coerce (400 BAD_USER_INPUT)', body: () => ({ query: CUSTOMER, variables: {} }), status: 400, fast: true },
    { name: 'a variable of the wrong type', body: () => ({ query: CUSTOMER, variables: { id: { no: 1 } } }), status: 400, fast: true },
    { name: 'too costly (COST_LIMIT_EXCEEDED, 400)', body: () => ({ query: '{ customers(first: 100) { edges { node { id name lineage { field } } } } }' }), status: 400, fast: true },
    { name: 'too many aliases (ALIAS_LIMIT_EXCEEDED)', body: () => ({ query: `{ ${Array.from({ length: 8 }, (_, i) => `a${i}: ok`).join(' ')} }` }), status: 400, fast: true },
    { name: 'introspection by a reader (403 FORBIDDEN)', body: () => ({ query: '{ __schema { queryType { name } } }' }), role: 'reader', status: 403, fast: true },
    { name: 'introspection by an admin', body: () => ({ query: '{ __type(name: "Customer") { name kind } }' }), status: 200, fast: true },
    {
      name: 'the whole schema introspected by an admin',
      body: () => ({ query: '{ __schema { types { name kind description fields { name description args { name } type { name kind ofType { name } } } } directives { name locations } } }' }),
      status: 200,
      fast: true,
    },
    { name: 'a customer for the service role (it holds every class this query’s checks could ask for: run without them)', body: () => ({ query: CUSTOMER, variables: { id } }), role: 'service', status: 200, fast: true },
    { name: 'a customer and the review queue for the service role (REVIEW it lacks: the checks run)', body: () => ({ query: `query($id: ID!) { customer(id: $id) { id name } reviewQueue(first: 1) { totalCount } }`, variables: { id } }), role: 'service', status: 200, fast: true },
    { name: 'a customer for the approver (every canonical field’s class)', body: () => ({ query: CUSTOMER, variables: { id } }), role: 'approver', status: 200, fast: true },
    { name: 'a stewardship mutation by the service role (FORBIDDEN)', body: () => ({ query: 'mutation { splitCustomer(id: "nobody", system: STRIPE, externalId: "none") { id } }' }), role: 'service', status: 200, fast: true },
    { name: 'a customer for the reader', body: () => ({ query: CUSTOMER, variables: { id } }), role: 'reader', status: 200, fast: true },
    { name: 'the operation chosen by operationName', body: () => ({ query: 'query A { ok } query B { customer(id: "nobody") { id } }', operationName: 'B' }), status: 200, fast: true },
    { name: 'a mutation refused by the field rules (reader)', body: () => ({ query: 'mutation { splitCustomer(id: "x", system: STRIPE, externalId: "y") { id } }' }), role: 'reader', status: 200, fast: true },
    { name: 'a mutation on nothing (NOT_FOUND)', body: () => ({ query: 'mutation { splitCustomer(id: "nobody", system: STRIPE, externalId: "none") { id } }' }), status: 200, fast: true },
    { name: 'a validation error (Apollo answers)', body: () => ({ query: '{ customer(id: "x") { nope } }' }), status: 400, fast: false },
    { name: 'a syntax error (Apollo answers)', body: () => ({ query: '{ customer(id: ' }), status: 400, fast: false },
    { name: 'an operationName that names nothing (Apollo answers)', body: () => ({ query: 'query A { ok }', operationName: 'Z' }), status: 400, fast: false },
    { name: 'a persisted-query extension (Apollo answers)', body: () => ({ query: '{ ok }', extensions: { persistedQuery: { version: 1, sha256Hash: 'abc' } } }), status: 400, fast: false },
    { name: 'variables as a string (Apollo answers)', body: () => ({ query: '{ ok }', variables: '{}' }), status: 400, fast: false },
    { name: 'an Accept the fast path does not negotiate (Apollo answers)', body: () => ({ query: '{ ok }' }), accept: 'text/plain;q=0.5, application/json', status: 200, fast: false },
  ];

  for (const c of cases) {
    it(`answers the same: ${c.name}`, async () => {
      const before = fast.executorStats()!.fastPath!;
      const a = await send(apollo, c.body(), c);
      const f = await send(fast, c.body(), c);
      const after = fast.executorStats()!.fastPath!;
      expect(f).toEqual(a);
      expect(a.status).toBe(c.status);
      expect(after.answered - before.answered).toBe(c.fast ? 1 : 0);
      expect(after.deferred - before.deferred).toBe(c.fast ? 0 : 1);
    });
  }

  it('keeps what the answers say: FORBIDDEN nulls for the agent, cost named in the refusal', async () => {
    const agent = JSON.parse((await send(fast, { query: CUSTOMER, variables: { id } }, { role: 'agent' })).body) as { data: { customer: Record<string, unknown> }; errors: { extensions: { code: string } }[] };
    expect(agent.data.customer['contractValue']).toBeNull();
    expect(agent.data.customer['name']).not.toBeNull();
    expect(agent.errors.map((e) => e.extensions.code)).toContain('FORBIDDEN');
    const costly = JSON.parse((await send(fast, { query: '{ customers(first: 100) { edges { node { id name lineage { field } } } } }' })).body) as { errors: { extensions: Record<string, unknown> }[] };
    expect(costly.errors[0]!.extensions).toMatchObject({ code: 'COST_LIMIT_EXCEEDED', limit: 500 });
  });

  it('runs an operation without the access checks only for a role that holds every class they could ask for', async () => {
    const ranUnwrapped = async (role: Role, query: string, operationName?: string): Promise<boolean> => {
      const n = unwrapped;
      expect((await send(fast, { query, variables: { id }, operationName }, { role })).status).toBe(200);
      return unwrapped > n;
    };
    expect(await ranUnwrapped('admin', CUSTOMER)).toBe(true);
    expect(await ranUnwrapped('service', CUSTOMER)).toBe(true);
    expect(await ranUnwrapped('agent', CUSTOMER)).toBe(false); // lineage names FINANCIAL fields
    expect(await ranUnwrapped('reader', `query($id: ID!) { customer(id: $id) { id name } }`)).toBe(true); // name is in no class
    expect(await ranUnwrapped('reader', `query($id: ID!) { customer(id: $id) { id email } }`)).toBe(false);
    expect(await ranUnwrapped('service', `query($id: ID!) { customer(id: $id) { id } reviewQueue(first: 1) { totalCount } }`)).toBe(false);
    // The whole document counts, whichever operation runs (an upper bound, found once per text).
    expect(await ranUnwrapped('service', `query A($id: ID!) { customer(id: $id) { id } } query B { reviewQueue(first: 1) { totalCount } }`, 'A')).toBe(false);
    expect(await ranUnwrapped('service', `query A($id: ID!) { customer(id: $id) { id } } query B { ok }`, 'A')).toBe(true);
  });

  it('parses, validates and compiles a query text once however often it comes', async () => {
    const query = `query Once($id: ID!) { customer(id: $id) { id name email } }`;
    const before = fast.executorStats()!;
    for (let i = 0; i < 5; i++) expect((await send(fast, { query, variables: { id } })).status).toBe(200);
    const after = fast.executorStats()!;
    expect(after.compiled - before.compiled).toBe(1);
    expect(after.fastPath!.documents - before.fastPath!.documents).toBe(1);
    expect(after.fastPath!.answered - before.fastPath!.answered).toBe(5);
    expect(after.hits - before.hits).toBe(5);
  });
});

// The executor: operations run compiled by graphql-jit inside Apollo Server, each operation
// compiled once and kept in a bounded cache; what graphql-jit cannot compile still answers
// through graphql's execute; errors keep the codes, masking and partial answers they had.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApolloServer } from '@apollo/server';
import { GraphQLError, parse, type GraphQLFieldResolver } from 'graphql';
import { compileQuery } from 'graphql-jit';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { startHttpServer, type Logger, type RunningServer } from '../../src/server/http.ts';
import { JitGateway, LruCache } from '../../src/server/jit-executor.ts';
import { BadUserInputError, SourceUnavailableGraphQLError } from '../../src/server/errors.ts';
import { AUTH_OFF, type Authenticator } from '../../src/access/authenticate.ts';
import type { Principal } from '../../src/access/principal.ts';
import { newCacheability } from '../../src/gateway/response-cache.ts';
import type { GatewayContext } from '../../src/server/context.ts';

const typeDefs = `
  type Query {
    greeting(name: String!): String!
    count(n: Int!): Int
    plain: String
    down: String
    bad: String
    item: Item
  }
  type Item { id: ID! must: String! }
`;

const resolvers = {
  Query: {
    greeting: (_: unknown, { name }: { name: string }) => `hello ${name}`,
    count: (_: unknown, { n }: { n: number }) => n,
    plain: () => {
      throw new Error('connection string postgres://secret@db/x refused');
    },
    down: () => Promise.reject(new SourceUnavailableGraphQLError('stripe', 'no answer within 400 ms')),
    bad: () => {
      throw new BadUserInputError('first', 'must be a whole number from 0 to 100, got 500');
    },
    item: () => ({ id: 'i1' }),
  },
  Item: {
    must: () => Promise.reject(new SourceUnavailableGraphQLError('erp', 'no answer within 400 ms')),
  },
};

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const write = (msg: string, extra?: Record<string, unknown>): void => {
    lines.push(`${msg} ${JSON.stringify(extra ?? {})}`);
  };
  return { lines, info: write, error: write };
}

interface Answer {
  status: number;
  headers: Headers;
  body: { data?: Record<string, unknown> | null; errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[] };
}

async function post(server: RunningServer, query: string, variables: Record<string, unknown> = {}, operationName?: string): Promise<Answer> {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
    body: JSON.stringify({ query, variables, ...(operationName ? { operationName } : {}) }),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Answer['body'] };
}

const context = (requestId: string, principal: Principal): GatewayContext => ({ requestId, principal, cacheability: newCacheability() }) as unknown as GatewayContext;
// Authentication is not what these tests are about: every caller is the admin of AUTH=off.
const authenticator: Authenticator = { mode: 'off', authenticate: () => Promise.resolve(AUTH_OFF), authenticateConnection: () => Promise.resolve(AUTH_OFF) };

describe('the jit executor behind Apollo Server', () => {
  const schema = makeExecutableSchema({ typeDefs, resolvers });
  const greetingResolver = schema.getQueryType()!.getFields()['greeting']!.resolve as GraphQLFieldResolver<unknown, unknown>;
  const logger = recordingLogger();
  let server: RunningServer;
  beforeAll(async () => {
    server = await startHttpServer({ schema, context, authenticator, readiness: () => Promise.resolve({ ready: true, dependencies: {} }), logger });
  });
  afterAll(() => server?.close());

  it('compiles an operation once and answers repeats from the compiled cache', async () => {
    const before = server.executorStats()!;
    const query = 'query Greet($name: String!) { greeting(name: $name) }';
    for (const name of ['ada', 'grace', 'alan']) {
      const r = await post(server, query, { name });
      expect(r.body).toEqual({ data: { greeting: `hello ${name}` } });
    }
    const after = server.executorStats()!;
    expect(after.compiled - before.compiled).toBe(1);
    expect(after.hits - before.hits).toBe(3);
  });

  it('keys compiled operations by operation name as well as text', async () => {
    const before = server.executorStats()!;
    const doc = 'query A { greeting(name: "a") } query B { count(n: 2) }';
    expect((await post(server, doc, {}, 'A')).body).toEqual({ data: { greeting: 'hello a' } });
    expect((await post(server, doc, {}, 'B')).body).toEqual({ data: { count: 2 } });
    expect((await post(server, doc, {}, 'A')).body).toEqual({ data: { greeting: 'hello a' } });
    expect(server.executorStats()!.compiled - before.compiled).toBe(2);
  });

  it('leaves the schema’s resolvers unwrapped (no plugin with willResolveField: cache-control is off) and still says no-store', async () => {
    const r = await post(server, '{ greeting(name: "x") }');
    expect(r.status).toBe(200);
    expect(schema.getQueryType()!.getFields()['greeting']!.resolve).toBe(greetingResolver);
    expect(r.headers.get('cache-control')).toBe('no-store');
  });

  it('answers introspection compiled too', async () => {
    const r = await post(server, '{ __schema { queryType { name } } __type(name: "Item") { fields { name } } }');
    expect(r.body).toEqual({ data: { __schema: { queryType: { name: 'Query' } }, __type: { fields: [{ name: 'id' }, { name: 'must' }] } } });
  });

  it('masks a plain error as INTERNAL_SERVER_ERROR with its path, logs it, and keeps the rest of the answer', async () => {
    const r = await post(server, '{ greeting(name: "x") plain }');
    expect(r.status).toBe(200);
    expect(r.body.data).toEqual({ greeting: 'hello x', plain: null });
    expect(r.body.errors).toEqual([{ message: 'Internal server error', path: ['plain'], locations: [{ line: 1, column: 23 }], extensions: { code: 'INTERNAL_SERVER_ERROR' } }]);
    expect(JSON.stringify(r.body)).not.toContain('secret');
    expect(logger.lines.some((l) => l.startsWith('unexpected error in a resolver') && l.includes('"path":["plain"]'))).toBe(true);
  });

  it('keeps SOURCE_UNAVAILABLE with its system, and BAD_USER_INPUT with its argument', async () => {
    const r = await post(server, '{ down bad greeting(name: "y") }');
    expect(r.body.data).toEqual({ down: null, bad: null, greeting: 'hello y' });
    const byPath = new Map((r.body.errors ?? []).map((e) => [e.path?.join('.'), e]));
    expect(byPath.get('down')).toMatchObject({ message: 'STRIPE is unavailable: no answer within 400 ms', extensions: { code: 'SOURCE_UNAVAILABLE', system: 'STRIPE' } });
    expect(byPath.get('bad')).toMatchObject({ message: 'Invalid argument first: must be a whole number from 0 to 100, got 500', extensions: { code: 'BAD_USER_INPUT', argument: 'first' } });
    expect(logger.lines.some((l) => l.startsWith('source unavailable') && l.includes('"system":"stripe"'))).toBe(true);
  });

  it('nulls the parent of a failed non-null field and lists that error first', async () => {
    const r = await post(server, '{ plain item { id must } }');
    expect(r.body.data).toEqual({ plain: null, item: null });
    expect(r.body.errors!.map((e) => [e.path?.join('.'), e.extensions?.['code']])).toEqual([
      ['item.must', 'SOURCE_UNAVAILABLE'],
      ['plain', 'INTERNAL_SERVER_ERROR'],
    ]);
  });

  it('answers variables that do not coerce with 400 and BAD_USER_INPUT, worded as graphql words it', async () => {
    const r = await post(server, 'query($n: Int!) { count(n: $n) }', { n: 'many' });
    expect(r.status).toBe(400);
    expect(r.body.data).toBeUndefined();
    expect(r.body.errors).toEqual([expect.objectContaining({ message: 'Variable "$n" got invalid value "many"; Int cannot represent non-integer value: "many"', extensions: { code: 'BAD_USER_INPUT' } })]);
  });

  it('runs on graphql’s execute when MERIDIAN_EXECUTOR=graphql, with the same answers', async () => {
    const plain = await startHttpServer({ schema: makeExecutableSchema({ typeDefs, resolvers }), context, authenticator, readiness: () => Promise.resolve({ ready: true, dependencies: {} }), logger: recordingLogger(), executor: 'graphql' });
    try {
      expect(plain.executorStats()).toBeNull();
      const query = '{ greeting(name: "z") down item { id must } }';
      const [a, b] = await Promise.all([post(plain, query), post(server, query)]);
      // The same errors; graphql lists them as they happened, the jit executor the nulling one first.
      const sorted = (x: Answer['body']) => ({ ...x, errors: [...(x.errors ?? [])].sort((e, f) => String(e.path).localeCompare(String(f.path))) });
      expect(sorted(b.body)).toEqual(sorted(a.body));
      expect(b.body.errors![0]!.path).toEqual(['item', 'must']);
    } finally {
      await plain.close();
    }
  });
});

describe('the compiled-operation cache', () => {
  const schema = makeExecutableSchema({ typeDefs, resolvers });
  const run = (jit: JitGateway, source: string) => jit.execute(source, parse(source), null, {}, {});

  it('keeps at most its size, dropping the least recently used', async () => {
    const jit = new JitGateway({ schema, cacheSize: 2, logger: recordingLogger() });
    await run(jit, '{ count(n: 1) }');
    await run(jit, '{ count(n: 2) }');
    await run(jit, '{ count(n: 1) }'); // 1 is now the most recent
    await run(jit, '{ count(n: 3) }'); // drops 2
    expect(jit.stats()).toMatchObject({ compiled: 3, size: 2 });
    expect(await run(jit, '{ count(n: 1) }')).toEqual({ data: { count: 1 } });
    expect(jit.stats().compiled).toBe(3);
    await run(jit, '{ count(n: 2) }');
    expect(jit.stats().compiled).toBe(4);
  });

  it('refuses a size that is not a positive whole number', () => {
    expect(() => new LruCache(0)).toThrow('LRU size must be a positive integer (got 0)');
  });
});

describe('an operation graphql-jit cannot compile', () => {
  it('is answered by graphql’s execute, and the log says so once', async () => {
    const logger = recordingLogger();
    const jit = new JitGateway({
      schema: makeExecutableSchema({ typeDefs, resolvers }),
      cacheSize: 10,
      logger,
      compile: () => ({ errors: [new GraphQLError('graphql-jit does not support this')] }),
    });
    const apollo = new ApolloServer({ gateway: jit });
    await apollo.start();
    try {
      for (const query of ['{ greeting(name: "f") }', '{ greeting(name: "f") }', '{ count(n: 7) item { id } }']) {
        const r = await apollo.executeOperation({ query });
        expect(r.body.kind === 'single' && r.body.singleResult.errors).toBeUndefined();
      }
      const r = await apollo.executeOperation({ query: '{ count(n: 7) item { id } }' });
      expect(r.body.kind === 'single' && r.body.singleResult.data).toEqual({ count: 7, item: { id: 'i1' } });
      expect(jit.stats()).toMatchObject({ compiled: 0, hits: 0, fallbacks: 4, size: 2 });
      expect(logger.lines.filter((l) => l.startsWith('graphql-jit could not compile'))).toEqual([
        'graphql-jit could not compile an operation; executing it (and any other such) with graphql execute {"reason":"graphql-jit does not support this","operation":"(anonymous)"}',
      ]);
    } finally {
      await apollo.stop();
    }
  });
});

describe('a request graphql-jit refuses because the request itself is wrong', () => {
  it('is refused as graphql refuses it, counted as no fallback, and leaves the fallback log for a real one', async () => {
    const logger = recordingLogger();
    const uncompilable = '{ count(n: 8) }';
    const jit = new JitGateway({
      schema: makeExecutableSchema({ typeDefs, resolvers }),
      cacheSize: 10,
      logger,
      compile: (schema, document, operationName, options) =>
        document.loc?.source.body === uncompilable ? { errors: [new GraphQLError('graphql-jit does not support this')] } : compileQuery(schema, document, operationName, options),
    });
    const apollo = new ApolloServer({ gateway: jit });
    await apollo.start();
    try {
      const twoOperations = 'query A { greeting(name: "a") } query B { count(n: 2) }';
      const refused = [
        { request: { query: twoOperations }, message: 'Must provide operation name if query contains multiple operations.' },
        { request: { query: twoOperations, operationName: 'C' }, message: 'Unknown operation named "C".' },
        { request: { query: 'query($n: Int!) { count(n: $n) }', variables: { n: 'many' } }, message: 'Variable "$n" got invalid value "many"; Int cannot represent non-integer value: "many"' },
      ];
      for (const { request, message } of refused) {
        const r = await apollo.executeOperation(request);
        expect(r.http.status, message).toBe(400);
        expect(r.body.kind === 'single' && r.body.singleResult.errors?.map((e) => e.message)).toEqual([message]);
      }
      expect(jit.stats().fallbacks).toBe(0);
      expect(logger.lines).toEqual([]);

      const r = await apollo.executeOperation({ query: uncompilable });
      expect(r.body.kind === 'single' && r.body.singleResult.data).toEqual({ count: 8 });
      expect(jit.stats().fallbacks).toBe(1);
      expect(logger.lines).toEqual(['graphql-jit could not compile an operation; executing it (and any other such) with graphql execute {"reason":"graphql-jit does not support this","operation":"(anonymous)"}']);
    } finally {
      await apollo.stop();
    }
  });
});

describe('the lean plan (leaves read as given, then checked)', () => {
  // Leaves as resolvers may give them: already serialized, or in forms graphql's serialize
  // changes (an ID as a number, an Int as a string, an enum by its internal value) or refuses.
  const leanTypeDefs = `
    enum Tier { GOLD SILVER }
    type Query { row: Row rows: [Row!]! }
    type Row { id: ID! n: Int ok: Boolean tier: Tier tiers: [Tier!] bad: Int name: String }
  `;
  const leanResolvers = {
    Tier: { GOLD: 'gold', SILVER: 'SILVER' },
    Query: {
      row: () => ({ id: 7, n: '5', ok: true, tier: 'gold', tiers: ['gold', 'SILVER'], bad: 'x', name: 'plain' }),
      rows: () => [
        { id: 'a', n: 1, ok: false, tier: 'SILVER', tiers: [], bad: 2, name: 'a' },
        { id: 'b', n: 2, ok: true, tier: 'SILVER', tiers: null, bad: null, name: null },
      ],
    },
  };
  const start = (executor?: 'graphql'): Promise<RunningServer> =>
    startHttpServer({
      schema: makeExecutableSchema({ typeDefs: leanTypeDefs, resolvers: leanResolvers }),
      context,
      authenticator,
      readiness: () => Promise.resolve({ ready: true, dependencies: {} }),
      logger: recordingLogger(),
      ...(executor ? { executor } : {}),
    });
  let jit: RunningServer;
  let plain: RunningServer;
  beforeAll(async () => {
    [jit, plain] = await Promise.all([start(), start('graphql')]);
  });
  afterAll(async () => {
    await jit?.close();
    await plain?.close();
  });

  it('answers serialized leaves exactly as graphql’s execute does, without running the query twice', async () => {
    const query = '{ rows { id n ok tier tiers name } }';
    const [a, b] = await Promise.all([post(plain, query), post(jit, query)]);
    expect(b).toMatchObject({ status: a.status, body: a.body });
    expect(b.body.data).toEqual({ rows: [{ id: 'a', n: 1, ok: false, tier: 'SILVER', tiers: [], name: 'a' }, { id: 'b', n: 2, ok: true, tier: 'SILVER', tiers: null, name: null }] });
    expect(jit.executorStats()).toMatchObject({ leanRetries: 0 });
  });

  it('serializes what serialize would change (a numeric ID, an Int as text, enums by internal value)', async () => {
    const query = '{ row { id n ok tier tiers name } }';
    const [a, b] = await Promise.all([post(plain, query), post(jit, query)]);
    expect(b.body).toEqual(a.body);
    expect(b.body.data).toEqual({ row: { id: '7', n: 5, ok: true, tier: 'GOLD', tiers: ['GOLD', 'SILVER'], name: 'plain' } });
    expect(jit.executorStats()).toMatchObject({ leanRetries: 0 });
  });

  it('settles by response name: aliases, the same field twice, objects in lists', async () => {
    const query = '{ first: row { ident: id count: n tier t2: tier } rows { id again: id tier } row { n } }';
    const [a, b] = await Promise.all([post(plain, query), post(jit, query)]);
    expect(b.body).toEqual(a.body);
    expect(b.body.data).toEqual({
      first: { ident: '7', count: 5, tier: 'GOLD', t2: 'GOLD' },
      rows: [{ id: 'a', again: 'a', tier: 'SILVER' }, { id: 'b', again: 'b', tier: 'SILVER' }],
      row: { n: 5 },
    });
    expect(jit.executorStats()).toMatchObject({ leanRetries: 0 });
  });

  it('answers a leaf that does not serialize with the full plan: the same null and error as graphql’s execute', async () => {
    const query = '{ row { id bad } }';
    const [a, b] = await Promise.all([post(plain, query), post(jit, query)]);
    expect(b.body).toEqual(a.body);
    expect(b.body.errors?.[0]).toMatchObject({ path: ['row', 'bad'] });
    expect(jit.executorStats()).toMatchObject({ leanRetries: 1 });
  });
});

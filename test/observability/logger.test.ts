// The log (issue 9, Operations): JSON for log stores, readable lines in a terminal, the request
// id on every line written while a request is served, and secrets kept out.
import { newCacheability } from '../../src/gateway/response-cache.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeExecutableSchema } from '@graphql-tools/schema';
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { chooseLogFormat, createLogger, prettyLine } from '../../src/observability/logger.ts';
import { startHttpServer, type Logger, type RunningServer } from '../../src/server/http.ts';
import type { GatewayContext } from '../../src/server/context.ts';
import { createAuthenticator } from '../../src/access/authenticate.ts';

function capture(isTTY = false): { stream: NodeJS.WritableStream; text: () => string } {
  let text = '';
  const stream = Object.assign(
    new Writable({
      write(chunk: Buffer, _enc, done) {
        text += chunk.toString();
        done();
      },
    }),
    { isTTY },
  );
  return { stream, text: () => text };
}

describe('log format', () => {
  it('is JSON when asked, in production, or when stderr is not a terminal; readable lines in a terminal', () => {
    expect(chooseLogFormat({ format: 'pretty', production: true, isTTY: false })).toBe('pretty');
    expect(chooseLogFormat({ format: 'json', isTTY: true })).toBe('json');
    expect(chooseLogFormat({ production: true, isTTY: true })).toBe('json');
    expect(chooseLogFormat({ isTTY: false })).toBe('json');
    expect(chooseLogFormat({ isTTY: true })).toBe('pretty');
  });

  it('writes one JSON object per line with a level name, an ISO time and the fields', () => {
    const out = capture(false);
    createLogger({ stream: out.stream }).info('backfill done', { customers: 60, ms: 12 });
    const lines = out.text().trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    const o = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(o).toMatchObject({ level: 'info', msg: 'backfill done', customers: 60, ms: 12 });
    expect(o['time']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('writes `<time> <level> <message> key=value` in a terminal', () => {
    const out = capture(true);
    createLogger({ stream: out.stream }).error('salesforce unavailable', { reason: 'login answered HTTP 503', attempts: 2 });
    expect(out.text()).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z error salesforce unavailable reason=login answered HTTP 503 attempts=2\n$/);
    expect(prettyLine('not json')).toBe('not json');
  });

  it('drops info lines when quiet or below the level, keeps errors', () => {
    const out = capture();
    const quiet = createLogger({ stream: out.stream, quiet: true });
    quiet.info('hidden');
    quiet.error('shown');
    createLogger({ stream: out.stream, level: 'error' }).info('hidden too');
    expect(out.text()).not.toContain('hidden');
    expect(out.text()).toContain('shown');
  });

  it('censors fields named like secrets, nested ones included, and credentials inside any text', () => {
    const out = capture();
    createLogger({ stream: out.stream }).error('call failed for postgres://app:Pw1@db/x', {
      headers: { authorization: 'Bearer abcdefghijkl', 'x-api-key': 'key-123456', accept: 'application/json' },
      password: 'hunter2',
      clientSecret: 'cs-999',
      error: new Error('redis://u:Pw2@cache:6379 refused'),
      detail: ['token=tok-777'],
    });
    const text = out.text();
    expect(text).not.toMatch(/Pw1|Pw2|abcdefghijkl|key-123456|hunter2|cs-999|tok-777/);
    const o = JSON.parse(text) as { headers: Record<string, string>; error: string; msg: string };
    expect(o.headers).toEqual({ authorization: '***', 'x-api-key': '***', accept: 'application/json' });
    expect(o.error).toBe('Error: redis://u:***@cache:6379 refused');
    expect(o.msg).toBe('call failed for postgres://app:***@db/x');
  });
});

describe('request ids', () => {
  const out = capture();
  let logger: Logger;
  let server: RunningServer;
  beforeAll(async () => {
    logger = createLogger({ stream: out.stream });
    // A resolver that logs before and after waiting: the id must survive the await.
    const schema = makeExecutableSchema({
      typeDefs: 'type Query { ok: Boolean broken: Boolean }',
      resolvers: {
        Query: {
          ok: async () => {
            logger.info('resolver started');
            await sleep(5);
            logger.info('resolver finished');
            return true;
          },
          broken: () => {
            throw new TypeError('the resolver broke');
          },
        },
      },
    });
    server = await startHttpServer({
      schema,
      context: (requestId, principal) => {
        // Something unexpected before anything executes: the request fails with 500.
        if (requestId === 'no-context') throw new RangeError('no context for this one');
        return { requestId, principal, cacheability: newCacheability() } as GatewayContext;
      },
      readiness: () => Promise.resolve({ ready: true, dependencies: {} }),
      logger,
      authenticator: createAuthenticator({ keys: null, access: { mode: 'off', jwt: null, apiKeys: [] } }),
    });
  });
  afterAll(() => server?.close());

  const lines = (): Record<string, unknown>[] =>
    out
      .text()
      .trimEnd()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const ask = (headers: Record<string, string> = {}) => fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{"query":"{ ok }"}' });

  it('keeps a valid incoming x-request-id, answers it, and puts it on every line logged for the request', async () => {
    const res = await ask({ 'x-request-id': 'req-0001.abc' });
    expect(res.headers.get('x-request-id')).toBe('req-0001.abc');
    const mine = lines().filter((l) => l['requestId'] === 'req-0001.abc');
    expect(mine.map((l) => l['msg'])).toEqual(['resolver started', 'resolver finished']);
  });

  it('gives a request without one, or with one that is not a plain short token, an id of its own', async () => {
    for (const sent of [undefined, 'has spaces in it', 'x'.repeat(129), 'quote"d']) {
      const res = await ask(sent === undefined ? {} : { 'x-request-id': sent });
      const id = res.headers.get('x-request-id');
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(lines().filter((l) => l['requestId'] === id)).toHaveLength(2);
    }
    expect(out.text()).not.toContain('has spaces');
  });

  it('gives each WebSocket operation its own id on the lines it logs', async () => {
    const client = createClient({ url: `${server.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, lazy: true, retryAttempts: 0 });
    const run = () =>
      new Promise<unknown>((resolve, reject) => {
        let got: unknown;
        client.subscribe({ query: '{ ok }' }, { next: (v) => (got = v), error: reject, complete: () => resolve(got) });
      });
    try {
      const seen = lines().length;
      expect(await run()).toEqual({ data: { ok: true } });
      expect(await run()).toEqual({ data: { ok: true } });
      const mine = lines().slice(seen);
      expect(mine.map((l) => l['msg'])).toEqual(['resolver started', 'resolver finished', 'resolver started', 'resolver finished']);
      const ids = mine.map((l) => l['requestId']);
      expect(ids[0]).toMatch(/^[0-9a-f-]{36}$/);
      expect(ids[1]).toBe(ids[0]);
      expect(ids[3]).toBe(ids[2]);
      expect(ids[2]).not.toBe(ids[0]);
    } finally {
      await client.dispose();
    }
  });

  it('names every response, not only GraphQL ones', async () => {
    const res = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'health-1' } });
    expect(res.headers.get('x-request-id')).toBe('health-1');
    expect((await fetch(`${server.url}/nowhere`)).headers.get('x-request-id')).toBeTruthy();
  });

  it('names every answer of the GraphQL route: executed, refused, malformed, too large, a page, Apollo’s own', async () => {
    const post = (body: string, headers: Record<string, string> = {}) =>
      fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'gq-1', ...headers }, body });
    const answers = [
      await post('{"query":"{ ok }"}'),
      await post('{"query":"{ nope }"}'), // a validation error: Apollo answers it
      await post('{"query":'), // not JSON
      await post(JSON.stringify({ query: `{ ok } # ${'x'.repeat(1_100_000)}` })), // over the body limit
      await post('{"query":"{ ok }"}', { 'content-type': 'text/plain' }), // Apollo's refusal of the media type
      await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html', 'x-request-id': 'gq-1' } }), // the explorer page
      await fetch(`${server.url}/graphql?query=%7B%20ok%20%7D`, { headers: { 'x-request-id': 'gq-1' } }), // GET
    ];
    expect(answers.map((r) => r.status)).toEqual([200, 400, 400, 413, 400, 200, 200]);
    expect(answers.map((r) => r.headers.get('x-request-id'))).toEqual(answers.map(() => 'gq-1'));
  });

  it('logs an unexpected error by its name and message, never its stack', async () => {
    const failed = await ask({ 'x-request-id': 'no-context' });
    expect(failed.status).toBe(500);
    expect(await failed.json()).toEqual({ errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
    const broken = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'broken-1' }, body: '{"query":"{ broken }"}' });
    expect(((await broken.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('INTERNAL_SERVER_ERROR');
    expect(lines().find((l) => l['requestId'] === 'no-context')).toMatchObject({ msg: 'request failed', error: 'RangeError: no context for this one' });
    expect(lines().find((l) => l['requestId'] === 'broken-1')).toMatchObject({ msg: 'unexpected error in a resolver', error: 'TypeError: the resolver broke' });
    expect(out.text()).not.toMatch(/\\n\s+at /);
  });

  it('logs nothing with a request id outside a request', () => {
    logger.info('at start-up');
    expect(lines().find((l) => l['msg'] === 'at start-up')).not.toHaveProperty('requestId');
  });

  it('refuses /metrics to everyone when the server is given no authorizeMetrics', async () => {
    const res = await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer anything' } });
    expect(res.status).toBe(401);
    expect(await res.text()).not.toContain('# TYPE');
  });
});

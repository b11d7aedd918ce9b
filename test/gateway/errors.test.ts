// What clients are told when something goes wrong: the argument that was wrong and its real
// range, said once; a system's failure as code + system + our own words, with what the system
// said kept for the log; stack traces only when a developer asks for them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { bearer, startTestApp, type TestApp } from '../support/app.ts';
import type { Logger } from '../../src/server/http.ts';

interface Err {
  message: string;
  extensions?: Record<string, unknown>;
}

/** A JSON text of `1` inside `levels` arrays: `[[1]]` for 2. */
const nested = (levels: number): string => `${'['.repeat(levels)}1${']'.repeat(levels)}`;

/** A stack frame as V8 writes it (`    at fn (file.ts:1:2)`), in a log line's JSON. */
const STACK_FRAME = /\\n\s+at /;

/** The first answer to one subscribe message (as raw text: a client library would choke on what it carries) over a fresh socket. */
function subscribeOnce(url: string, payload: string): Promise<{ type: string; payload?: unknown }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
    const timer = setTimeout(() => reject(new Error('no answer to subscribe')), 10_000);
    ws.on('error', reject);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: bearer() })));
    ws.on('message', (data: Buffer) => {
      const m = JSON.parse(data.toString()) as { type: string; payload?: unknown };
      if (m.type === 'connection_ack') return ws.send(`{"id":"1","type":"subscribe","payload":${payload}}`);
      clearTimeout(timer);
      ws.close(1000);
      resolve(m);
    });
    ws.on('close', (code, reason) => reject(new Error(`closed ${code} ${reason.toString()}`)));
  });
}

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const write = (msg: string, extra?: Record<string, unknown>): void => {
    lines.push(`${msg} ${JSON.stringify(extra ?? {})}`);
  };
  return { lines, info: write, error: write };
}

describe('client-facing errors', () => {
  let app: TestApp;
  const logger = recordingLogger();
  beforeAll(async () => {
    // Apollo's own default shows stack traces unless NODE_ENV is production or test (vitest sets
    // test): started as a developer's shell would start it, with NODE_ENV=development.
    const nodeEnv = process.env['NODE_ENV'];
    process.env['NODE_ENV'] = 'development';
    try {
      app = await startTestApp({ customers: 60, seed: 11, logger, env: { MERIDIAN_SOURCE_TIMEOUT_MS: '1000', MERIDIAN_BREAKER_COOLDOWN_MS: '200' } });
    } finally {
      process.env['NODE_ENV'] = nodeEnv;
    }
  });
  afterAll(() => app?.close());

  it('answers customers(first: 0) with the total and no edges', async () => {
    const r = await app.gql<{ customers: { totalCount: number; edges: unknown[]; pageInfo: { hasNextPage: boolean } } }>('{ customers(first: 0) { totalCount edges { cursor } pageInfo { hasNextPage } } }');
    expect(r.errors).toEqual([]);
    expect(r.data!.customers.edges).toEqual([]);
    expect(r.data!.customers.totalCount).toBeGreaterThan(0);
    expect(r.data!.customers.pageInfo.hasNextPage).toBe(true);
  });

  it('names first and its real range, once, for every list that takes it', async () => {
    const queries = [
      '{ customers(first: 101) { totalCount } }',
      '{ reviewQueue(first: 101) { totalCount } }',
      '{ searchCustomers(query: "a", first: 101) { score } }',
      '{ customers(first: 1) { edges { node { tickets(first: 101) { totalCount } } } } }',
      '{ customers(first: -1) { totalCount } }',
    ];
    for (const q of queries) {
      const r = await app.gql(q);
      const e = r.errors[0] as Err;
      expect(e.extensions, q).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'first' });
      expect(e.message, q).toMatch(/^Invalid argument first: must be a whole number from 0 to 100, got -?\d+$/);
    }
  });

  it('says the argument once when the store names it too', async () => {
    const r = await app.gql('mutation { mergeCustomers(ids: ["gc_a"]) { id } }');
    const e = r.errors[0] as Err;
    expect(e.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'ids' });
    expect(e.message).toBe('Invalid argument ids: give at least two customer ids to merge');
    const bad = await app.gql('{ customers(first: 2, after: "not-a-cursor") { totalCount } }');
    expect((bad.errors[0] as Err).extensions).toMatchObject({ argument: 'after' });
    expect((bad.errors[0] as Err).message).not.toMatch(/after: after:/);
  });

  it('tells clients the code and the system of a failing system, and logs what it said', async () => {
    const erp = app.sandbox!.world.truth.find((t) => t.records.some((r) => r.system === 'erp'))!;
    const erpId = erp.records.find((r) => r.system === 'erp')!.id;
    const found = await app.gql<{ customerBySource: { id: string } }>('query($id: ID!) { customerBySource(system: ERP, externalId: $id) { id } }', { id: erpId });
    const id = found.data!.customerBySource.id;
    await app.services.cache.clear();
    // The ERP proxy drops every connection: the driver's message names the internal host and port.
    app.sandbox!.erp.proxy.faults.set({ outage: 'reset' });
    try {
      const r = await app.gql('query($id: ID!) { customer(id: $id) { id accountingStatus contracts { totalCount } } }', { id });
      const errors = r.errors as Err[];
      expect(errors.length).toBeGreaterThan(0);
      const erpHost = new URL(app.sandbox!.erp.url).host;
      for (const e of errors) {
        expect(e.extensions).toMatchObject({ code: 'SOURCE_UNAVAILABLE', system: 'ERP' });
        expect(e.message).toMatch(/^ERP is unavailable(: .+)?$/);
        expect(e.message).not.toContain(erpHost);
        expect(e.message).not.toMatch(/127\.0\.0\.1|ECONN|terminated|Connection/);
      }
      expect(logger.lines.some((l) => l.startsWith('source unavailable') && l.includes('"system":"erp"'))).toBe(true);
    } finally {
      app.sandbox!.erp.proxy.faults.reset();
    }
  });

  it('sends no stack traces by default, in any error, whatever NODE_ENV says', async () => {
    const bad = await app.gql('{ customer(id: "") { id } }');
    const invalid = await app.gql('{ customer { nope } }');
    for (const e of [...bad.errors, ...invalid.errors] as Err[]) expect(e.extensions).not.toHaveProperty('stacktrace');
  });

  it('refuses a body larger than the limit with 413 and a code, and goes on answering', async () => {
    const res = await fetch(`${app.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer() }, body: JSON.stringify({ query: `{ ok } #${'a'.repeat(1_100_000)}` }) });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ errors: [{ message: 'request body larger than 1000000 bytes', extensions: { code: 'BAD_REQUEST' } }] });
    expect((await app.gql<{ customers: { totalCount: number } }>('{ customers(first: 1) { totalCount } }')).data?.customers.totalCount).toBe(60);
  });

  // 100,000 levels is a 200 KB body, well under the body limit: anything that walks it by
  // recursion (the response cache's key, graphql-js, graphql-jit) overflows the stack. The
  // operation does not declare $x, so variables that pass the check are ignored and it runs.
  it('refuses variables nested deeper than the limit with 400 and a code, by POST, GET and WebSocket, and logs no stack', async () => {
    const refusal = {
      errors: [{ message: 'The variables are nested more than 64 levels deep; the limit is 64. Nothing was executed.', extensions: { code: 'VARIABLES_TOO_DEEP', limit: 64 } }],
    };
    const post = async (variables: string) =>
      fetch(`${app.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer() }, body: `{"query":"{ ok }","variables":${variables}}` });
    const logged = logger.lines.length;
    const deep = await post(`{"x":${nested(100_000)}}`);
    expect(deep.status).toBe(400);
    expect(await deep.json()).toEqual(refusal);
    // The variables object is not a level of its own; every level inside it counts, in objects too.
    expect((await post(`{"x":${nested(65)}}`)).status).toBe(400);
    expect((await post(`{"x":{"a":${nested(64)}}}`)).status).toBe(400);
    expect(await (await post(`{"x":${nested(64)}}`)).json()).toEqual({ data: { ok: true } });
    // Not an object at all: still measured before anything reads it.
    expect((await post(nested(100_000))).status).toBe(400);

    const get = (levels: number) => fetch(`${app.url}/graphql?query=${encodeURIComponent('{ ok }')}&variables=${encodeURIComponent(`{"x":${nested(levels)}}`)}`, { headers: bearer() });
    const tooDeep = await get(65);
    expect(tooDeep.status).toBe(400);
    expect(await tooDeep.json()).toEqual(refusal);
    expect((await get(64)).status).toBe(200);

    const ws = await subscribeOnce(app.url, `{"query":"{ ok }","variables":{"x":${nested(100_000)}}}`);
    expect(ws).toEqual({ id: '1', type: 'error', payload: refusal.errors });
    expect(logger.lines.slice(logged).filter((l) => STACK_FRAME.test(l))).toEqual([]);
  });

  it('reads a JSON body whatever the case of its media type, with parameters', async () => {
    for (const type of ['APPLICATION/JSON', 'Application/Json; Charset=UTF-8', 'application/json ; charset=utf-8', 'Application/GraphQL-Response+JSON']) {
      const res = await fetch(`${app.url}/graphql`, { method: 'POST', headers: { 'content-type': type, ...bearer() }, body: '{"query":"{ ok }"}' });
      expect(res.status, type).toBe(200);
      expect(await res.json(), type).toEqual({ data: { ok: true } });
    }
  });
});

describe('MERIDIAN_DEV_ERRORS=1', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ customers: 20, seed: 3, env: { MERIDIAN_DEV_ERRORS: '1' } });
  });
  afterAll(() => app?.close());

  it('adds stack traces for a developer who asks for them', async () => {
    const r = await app.gql('{ customer(id: "") { id } }');
    expect((r.errors[0] as Err).extensions?.['stacktrace']).toEqual(expect.any(Array));
  });
});

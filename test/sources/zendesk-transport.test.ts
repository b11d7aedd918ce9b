// node-zendesk over Meridian's transport (transport.ts, the SDK's transportConfig) against a
// plain HTTP server: what the SDK prepared arrives as prepared, compressed answers are decoded,
// headers read as fetch's would be, and failures surface as the reader's errors.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync, brotliCompressSync, deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createZendeskClient } from '../../src/sources/zendesk/client.ts';
import { createZendeskConnector } from '../../src/sources/zendesk/index.ts';
import { SourceRateLimitedError, SourceUnavailableError } from '../../src/sources/errors.ts';
import { MAX_ANSWER_BYTES, nodeHttpTransport } from '../../src/sources/zendesk/transport.ts';
import { startRecordingServer, jsonAnswer, type Answer, type RecordingServer } from '../support/recording-server.ts';

const org = (id: number): Record<string, unknown> => ({ id, name: `Org ${id}`, external_id: null, created_at: '2025-01-01T00:00:00Z', updated_at: '2025-03-04T10:11:12Z' });

describe('Zendesk transport (node:http under node-zendesk)', () => {
  let srv: RecordingServer;
  let base: string;
  beforeAll(async () => {
    srv = await startRecordingServer();
    base = `${srv.url}/api/v2`;
  });
  afterAll(() => srv.close());

  const connector = () => createZendeskConnector(createZendeskClient({ endpointUri: base, email: 'agent@example.com', apiToken: 'tok', webhookSecret: null }));
  const json = (status: number, body: unknown, headers: Record<string, string> = {}): Answer => jsonAnswer(status, body, headers, 'application/json; charset=utf-8');

  it('sends the request node-zendesk prepared: method, URL, its authorization and user agent, and asks for compression', async () => {
    srv.seen.length = 0;
    srv.answer = json(200, { organizations: [org(7)] });
    const got = await connector().loadAccounts(['7']);
    expect(got[0]).toMatchObject({ id: '7', data: expect.objectContaining({ name: 'Org 7' }) as unknown });
    expect(srv.seen).toHaveLength(1);
    expect(srv.seen[0]!.method).toBe('GET');
    expect(srv.seen[0]!.url).toBe('/api/v2/organizations/show_many.json?ids=7');
    expect(srv.seen[0]!.headers.authorization).toBe(`Basic ${Buffer.from('agent@example.com/token:tok').toString('base64')}`);
    expect(srv.seen[0]!.headers['user-agent']).toMatch(/^node-zendesk\//);
    expect(srv.seen[0]!.headers['accept-encoding']).toBe('gzip, deflate');
  });

  it.each([
    ['gzip', gzipSync],
    ['deflate', deflateSync],
    ['br', brotliCompressSync],
  ] as const)('decodes a %s answer', async (encoding, compress) => {
    srv.answer = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': encoding }).end(compress(Buffer.from(JSON.stringify({ organizations: [org(8)] }))));
    };
    const got = await connector().loadAccounts(['8']);
    expect(got[0]).toMatchObject({ id: '8', data: expect.objectContaining({ name: 'Org 8' }) as unknown });
  });

  it('reads Retry-After from a 429 as fetch would', async () => {
    srv.answer = json(429, { error: 'TooManyRequests' }, { 'retry-after': '17' });
    const got = await connector().loadAccounts(['9']).then((r) => r[0], (e: unknown) => e);
    expect(got).toBeInstanceOf(SourceRateLimitedError);
    expect((got as SourceRateLimitedError).retryAfterSeconds).toBe(17);
  });

  it('a body that is not JSON is the system unavailable, naming Zendesk', async () => {
    srv.answer = (_req, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end('{"organizations": [');
    const got = await connector().loadAccounts(['10']).then((r) => r[0], (e: unknown) => e);
    expect(got).toBeInstanceOf(SourceUnavailableError);
    expect((got as Error).message).toMatch(/^Zendesk unreachable: .*JSON/);
  });

  it('a refused connection is the system unreachable, with the socket error', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const c = createZendeskConnector(createZendeskClient({ endpointUri: `http://127.0.0.1:${port}/api/v2`, email: 'a@example.com', apiToken: 't', webhookSecret: null }));
    const got = await c.loadAccounts(['11']).then((r) => r[0], (e: unknown) => e);
    expect(got).toBeInstanceOf(SourceUnavailableError);
    expect((got as Error).message).toContain('ECONNREFUSED');
  });

  it('refuses an answer in an encoding it cannot read, naming it, rather than reading it as JSON', async () => {
    srv.answer = (_req, res) => void res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'compress' }).end('\x1f\x9d...');
    const got = await connector().loadAccounts(['13']).then((r) => r[0], (e: unknown) => e);
    expect(got).toBeInstanceOf(SourceUnavailableError);
    expect((got as Error).message).toBe('Zendesk unreachable: answer in an encoding this client cannot read (content-encoding: compress)');
  });

  it.each([
    ['as sent', (): Buffer => Buffer.alloc(MAX_ANSWER_BYTES + 1, 0x20), {}],
    ['once decoded (a gzip bomb)', (): Buffer => gzipSync(Buffer.alloc(MAX_ANSWER_BYTES + 1, 0x20)), { 'content-encoding': 'gzip' }],
  ] as const)('refuses an answer larger than its limit %s', async (_how, body, headers) => {
    srv.answer = (_req, res) => void res.writeHead(200, { 'content-type': 'application/json', ...headers }).end(body());
    const got = await connector().loadAccounts(['14']).then((r) => r[0], (e: unknown) => e);
    expect(got).toBeInstanceOf(SourceUnavailableError);
    expect((got as Error).message).toBe(`Zendesk unreachable: answer larger than ${MAX_ANSWER_BYTES} bytes`);
  });

  it('does not follow a redirect: the endpoint is named wrong, and the error says where it points', async () => {
    srv.seen.length = 0;
    srv.answer = (_req, res) => void res.writeHead(301, { location: 'https://acme.zendesk.com/api/v2/organizations/show_many.json?ids=12' }).end();
    const got = await connector().loadAccounts(['12']).then((r) => r[0], (e: unknown) => e);
    expect(got).toBeInstanceOf(SourceUnavailableError);
    expect((got as Error).message).toBe('Zendesk answered 301, a redirect to https://acme.zendesk.com/api/v2/organizations/show_many.json?ids=12: set the Zendesk endpoint to where it points');
    expect(srv.seen).toHaveLength(1);
  });

  it('sends a body as prepared (a write) and joins a repeated header as fetch does', async () => {
    srv.seen.length = 0;
    srv.answer = (_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.setHeader('x-multi', ['a', 'b']);
      res.writeHead(200).end('{}');
    };
    const raw = await nodeHttpTransport.transportFn(`${base}/organizations/5.json`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"organization":{"name":"N"}}' });
    const adapted = nodeHttpTransport.responseAdapter(raw);
    expect(srv.seen[0]).toMatchObject({ method: 'PUT', url: '/api/v2/organizations/5.json', body: '{"organization":{"name":"N"}}' });
    expect(adapted.headers.get('X-Multi')).toBe('a, b');
    expect(adapted.headers.get('absent')).toBeNull();
    expect(await adapted.json()).toEqual({});
  });
});

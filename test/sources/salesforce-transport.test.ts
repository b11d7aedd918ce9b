// jsforce over Meridian's carrier (client.ts carriedByNodeHttp: Node's http client under
// jsforce's Transport) against a plain HTTP server: what jsforce prepared arrives as prepared,
// answers are read as jsforce reads them (errors by code, bodies by content type, compressed
// ones decoded), an expired session is refreshed, and failures surface as the reader's errors.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { Connection } from 'jsforce';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { carriedByNodeHttp } from '../../src/sources/salesforce/client.ts';
import { toSalesforceError } from '../../src/sources/salesforce/reader.ts';
import { SourceUnavailableError } from '../../src/sources/errors.ts';
import { startRecordingServer, jsonAnswer, type Answer, type RecordingServer } from '../support/recording-server.ts';

const VERSION = '62.0';
const queryResult = (name: string): Record<string, unknown> => ({
  totalSize: 1,
  done: true,
  records: [{ attributes: { type: 'Account', url: `/services/data/v${VERSION}/sobjects/Account/001000000000001AAA` }, Id: '001000000000001AAA', Name: name }],
});

describe('Salesforce carrier (node:http under jsforce)', () => {
  let srv: RecordingServer;
  let base: string;
  beforeAll(async () => {
    srv = await startRecordingServer();
    base = `${srv.url}`;
  });
  afterAll(() => srv.close());
  afterEach(() => {
    srv.seen.length = 0;
    delete process.env['HTTPS_PROXY'];
  });

  const connect = (token = 'tok-1', refreshFn?: (conn: Connection, callback: (err: Error | null, token?: string) => void) => void): Connection =>
    carriedByNodeHttp(new Connection({ instanceUrl: base, accessToken: token, version: VERSION, ...(refreshFn ? { refreshFn } : {}) }));
  const json = (status: number, body: unknown, headers: Record<string, string> = {}): Answer => jsonAnswer(status, body, headers, 'application/json;charset=UTF-8');

  it('sends the query jsforce prepared: method, versioned URL, the session as a bearer token, and asks for compression', async () => {
    srv.answer = json(200, queryResult('Keel Bay Electric'));
    const got = await connect().request<{ records: { Name: string }[] }>({ method: 'GET', url: `/services/data/v${VERSION}/queryAll?q=${encodeURIComponent("SELECT Id, Name FROM Account WHERE Id IN ('001000000000001AAA')")}` });
    expect(got.records[0]!.Name).toBe('Keel Bay Electric');
    expect(srv.seen).toHaveLength(1);
    expect(srv.seen[0]!.method).toBe('GET');
    const url = new URL(srv.seen[0]!.url, base);
    expect(url.pathname).toBe(`/services/data/v${VERSION}/queryAll`);
    expect(url.searchParams.get('q')).toBe("SELECT Id, Name FROM Account WHERE Id IN ('001000000000001AAA')");
    expect(srv.seen[0]!.headers.authorization).toBe('Bearer tok-1');
    expect(srv.seen[0]!.headers['accept-encoding']).toBe('gzip, deflate');
    // Carried by Node's client, not node-fetch (which names itself in User-Agent).
    expect(srv.seen[0]!.headers['user-agent']).toBeUndefined();
  });

  it('sends an update with its JSON body and reads the empty 204 as jsforce does', async () => {
    srv.answer = (_req, res) => void res.writeHead(204).end();
    const result = await connect().sobject('Account').update({ Id: '001000000000001AAA', Phone: '+1 415 555 0100' });
    expect(result).toMatchObject({ id: '001000000000001AAA', success: true });
    expect(srv.seen[0]!.method).toBe('PATCH');
    expect(srv.seen[0]!.url).toBe(`/services/data/v${VERSION}/sobjects/Account/001000000000001AAA`);
    expect(srv.seen[0]!.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(srv.seen[0]!.body)).toEqual({ Phone: '+1 415 555 0100' });
  });

  it('decodes a gzip answer', async () => {
    srv.answer = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(gzipSync(Buffer.from(JSON.stringify(queryResult('Compressed Co')))));
    };
    const got = await connect().query<{ Name: string }>('SELECT Id, Name FROM Account');
    expect(got.records[0]!.Name).toBe('Compressed Co');
  });

  it("an error answer is jsforce's error with Salesforce's code, and the reader names it", async () => {
    srv.answer = json(400, [{ errorCode: 'INVALID_FIELD', message: "No such column 'Nope__c' on entity 'Account'." }]);
    const e = await connect().query('SELECT Nope__c FROM Account').then(() => null, (x: unknown) => x);
    expect(e).toMatchObject({ errorCode: 'INVALID_FIELD' });
    srv.answer = (_req, res) => void res.writeHead(503, { 'content-type': 'text/html' }).end('<html>down</html>');
    const down = await connect().query('SELECT Id FROM Account').then(() => null, (x: unknown) => x);
    const said = toSalesforceError(down, new Date());
    expect(said).toBeInstanceOf(SourceUnavailableError);
    expect(said.message).toMatch(/^salesforce answered 503/);
  });

  it('an expired session is refreshed through jsforce and the request sent again with the new token', async () => {
    let calls = 0;
    srv.answer = (req, res) => {
      calls++;
      if (req.headers.authorization === 'Bearer old') json(401, [{ errorCode: 'INVALID_SESSION_ID', message: 'Session expired or invalid' }])(req, res);
      else json(200, queryResult('Refreshed'))(req, res);
    };
    const conn = connect('old', (_c, callback) => {
      callback(null, 'new');
    });
    const got = await conn.query<{ Name: string }>('SELECT Id, Name FROM Account');
    expect(got.records[0]!.Name).toBe('Refreshed');
    expect(calls).toBe(2);
    expect(srv.seen.map((s) => s.headers.authorization)).toEqual(['Bearer old', 'Bearer new']);
  });

  it('a redirect is not followed: the failure names where it points', async () => {
    srv.answer = (_req, res) => void res.writeHead(301, { location: 'https://na1.example.com/services/data' }).end();
    const e = await connect().query('SELECT Id FROM Account').then(() => null, (x: unknown) => x);
    expect(srv.seen).toHaveLength(1);
    expect(toSalesforceError(e, new Date()).message).toBe(
      'Salesforce request failed: Salesforce answered 301, a redirect to https://na1.example.com/services/data: set the Salesforce instance URL to where it points',
    );
  });

  it('a refused connection is reported as such by the reader', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const conn = carriedByNodeHttp(new Connection({ instanceUrl: `http://127.0.0.1:${port}`, accessToken: 't', version: VERSION }));
    const e = await conn.query('SELECT Id FROM Account').then(() => null, (x: unknown) => x);
    expect(toSalesforceError(e, new Date()).message).toBe('salesforce: connection refused before an answer');
  });

  it("with a proxy in the environment, requests go through jsforce's own transport", async () => {
    process.env['HTTPS_PROXY'] = 'http://127.0.0.1:9';
    srv.answer = json(200, queryResult('Via jsforce'));
    // jsforce read its proxy setting when it was loaded, so here it still connects directly.
    const got = await connect().query<{ Name: string }>('SELECT Id, Name FROM Account');
    expect(got.records[0]!.Name).toBe('Via jsforce');
    expect(srv.seen[0]!.headers['user-agent']).toMatch(/node-fetch/);
  });
});

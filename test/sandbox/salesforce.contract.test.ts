// The Salesforce emulator driven by the real jsforce Connection, the way Meridian's
// connector will drive it.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Connection, OAuth2 } from 'jsforce';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { salesforceId } from '../../src/sandbox/kit/ids.ts';
import { generateWorld } from '../../src/sandbox/world/generate.ts';
import { startSalesforceEmulator, type SalesforceEmulator } from '../../src/sandbox/salesforce/index.ts';
import { buildSalesforceFixture } from './salesforce.fixture.ts';

const VERSION = '59.0';

interface ErrorLike {
  errorCode?: string;
  name?: string;
  message?: string;
  data?: unknown;
}

async function rejection(p: PromiseLike<unknown>): Promise<ErrorLike> {
  try {
    await p;
  } catch (e) {
    return e as ErrorLike;
  }
  throw new Error('expected the call to fail');
}

let emu: SalesforceEmulator;
let conn: Connection;

/** Listener for outbound messages: answers each POST with the next scripted reply. */
const received: { body: string; headers: http.IncomingHttpHeaders }[] = [];
let replies: { status: number; ack: boolean }[] = [];
let receiver: http.Server;
let receiverUrl = '';

const ackBody = (ack: boolean): string =>
  `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound"><Ack>${ack}</Ack></notificationsResponse></soapenv:Body></soapenv:Envelope>`;

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ body: Buffer.concat(chunks).toString('utf8'), headers: req.headers });
      const reply = replies.shift() ?? { status: 200, ack: true };
      res.writeHead(reply.status, { 'content-type': 'text/xml' });
      res.end(ackBody(reply.ack));
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/outbound`;

  emu = await startSalesforceEmulator({ data: buildSalesforceFixture(new Date()), outboundRetryDelaysMs: [50, 100] });
  conn = new Connection({ instanceUrl: emu.credentials.instanceUrl, accessToken: emu.credentials.accessToken, version: VERSION });
});

afterAll(async () => {
  await emu.close();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

afterEach(() => {
  emu.faults.reset();
});

describe('OAuth', () => {
  it('logs in with the password grant and answers identity', async () => {
    const c = new Connection({
      loginUrl: emu.credentials.loginUrl,
      version: VERSION,
      oauth2: { loginUrl: emu.credentials.loginUrl, clientId: 'meridian-sandbox', clientSecret: 'sandbox-secret' },
    });
    const user = await c.login('integration@meridian.sandbox', 'sandbox');
    expect(user.organizationId).toBe(emu.orgId);
    expect(user.id).toBe(emu.userId);
    expect(c.instanceUrl).toBe(emu.url);
    const identity = await c.identity();
    expect(identity).toMatchObject({ username: 'integration@meridian.sandbox', organization_id: emu.orgId, user_id: emu.userId });
  });

  it('refuses bad credentials and bad clients with OAuth errors', async () => {
    const bad = (clientId: string, clientSecret: string) => new OAuth2({ loginUrl: emu.url, clientId, clientSecret });
    expect(await rejection(bad('meridian-sandbox', 'sandbox-secret').authenticate('integration@meridian.sandbox', 'wrong'))).toMatchObject({
      name: 'invalid_grant',
      message: 'authentication failure',
    });
    expect((await rejection(bad('someone-else', 'sandbox-secret').authenticate('integration@meridian.sandbox', 'sandbox'))).name).toBe('invalid_client_id');
    expect((await rejection(bad('meridian-sandbox', 'nope').authenticate('integration@meridian.sandbox', 'sandbox'))).name).toBe('invalid_client');
  });

  it('refreshes an expired session with the refresh token and re-sends the call', async () => {
    const oauth2 = new OAuth2({ loginUrl: emu.url, clientId: 'meridian-sandbox', clientSecret: 'sandbox-secret' });
    const token = await oauth2.authenticate('integration@meridian.sandbox', 'sandbox');
    expect(token.refresh_token).toBeTruthy();
    const c = new Connection({ oauth2, instanceUrl: token.instance_url, accessToken: token.access_token, refreshToken: token.refresh_token!, version: VERSION });
    const refreshed: string[] = [];
    c.on('refresh', (accessToken: string) => refreshed.push(accessToken));
    emu.expireSessions();
    const result = await c.query<{ Id: string }>('SELECT Id FROM Account LIMIT 1');
    expect(result.records).toHaveLength(1);
    expect(refreshed).toHaveLength(1);
    expect(c.accessToken).not.toBe(token.access_token);
    expect((await rejection(oauth2.refreshToken('not-a-refresh-token'))).name).toBe('invalid_grant');
  });

  it('answers 401 INVALID_SESSION_ID to an unknown bearer token', async () => {
    const c = new Connection({ instanceUrl: emu.url, accessToken: 'bogus', version: VERSION });
    const err = await rejection(c.query('SELECT Id FROM Account'));
    expect(err.errorCode).toBe('INVALID_SESSION_ID');
    expect(err.message).toBe('Session expired or invalid');
  });
});

describe('versions, 404 and limits', () => {
  it('lists versions and rejects an unsupported one with NOT_FOUND', async () => {
    const versions = (await (await fetch(`${emu.url}/services/data/`)).json()) as { version: string }[];
    expect(versions.map((v) => v.version)).toContain('59.0');
    const res = await fetch(`${emu.url}/services/data/v20.0/sobjects`, { headers: { authorization: `Bearer ${emu.credentials.accessToken}` } });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual([{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }]);
  });

  it('answers NOT_FOUND for a missing record and an unknown object', async () => {
    expect((await rejection(conn.sobject('Account').retrieve(salesforceId('001', 999)))).errorCode).toBe('NOT_FOUND');
    expect((await rejection(conn.describe('Nope__c'))).errorCode).toBe('NOT_FOUND');
  });

  it('reports API usage in Sforce-Limit-Info', async () => {
    await conn.query('SELECT Id FROM Account LIMIT 1');
    expect(conn.limitInfo.apiUsage?.limit).toBe(15000);
    expect(conn.limitInfo.apiUsage?.used).toBeGreaterThan(0);
  });
});

describe('SOQL over REST', () => {
  it('returns relationship fields nested, with attributes', async () => {
    const res = await conn.query<Record<string, unknown>>("SELECT Id, Name, Account.Name, Owner.Name, Owner.Email FROM Contact WHERE Email = 'jane@acme.example.com'");
    expect(res).toMatchObject({ totalSize: 1, done: true });
    expect(res.records[0]).toMatchObject({
      attributes: { type: 'Contact' },
      Name: 'Jane Doe',
      Account: { attributes: { type: 'Account' }, Name: 'Acme Corp' },
      Owner: { Name: 'Ada Owner', Email: 'ada@example.com' },
    });
  });

  it.each([
    ["Name = 'Globex'", ['Globex']],
    ["Name != 'Globex'", ['Acme Corp', 'acme labs', "O'Brien & Sons", 'Zeta Partners']],
    ["Name <> 'Globex' AND Industry = 'Technology'", ['Acme Corp', 'acme labs']],
    ['NumberOfEmployees < 40', ["O'Brien & Sons"]],
    ['NumberOfEmployees <= 40', ['acme labs', "O'Brien & Sons"]],
    ['NumberOfEmployees > 250', ['Globex']],
    ['NumberOfEmployees >= 250', ['Acme Corp', 'Globex']],
    ["BillingCity IN ('Berlin', 'Dublin')", ['Acme Corp', "O'Brien & Sons"]],
    ["Industry NOT IN ('Technology')", ['Globex', "O'Brien & Sons", 'Zeta Partners']],
    ["Name LIKE 'acme%'", ['Acme Corp', 'acme labs']],
    ["NOT Name LIKE '%e%'", []],
    ["(Industry = 'Retail' OR Industry = 'Manufacturing') AND NumberOfEmployees > 100", ['Globex']],
    ['AnnualRevenue = null', ['acme labs', "O'Brien & Sons", 'Zeta Partners']],
    ["Type != null AND Type != 'Prospect'", ['Acme Corp', 'acme labs']],
    ['CreatedDate = LAST_N_DAYS:7', ['acme labs']],
    ['CreatedDate < YESTERDAY', ['Acme Corp', 'Globex', "O'Brien & Sons", 'Zeta Partners']],
    ['CreatedDate > 2000-01-01T00:00:00Z AND CreatedDate < TODAY', ['Acme Corp', 'acme labs', 'Globex', "O'Brien & Sons", 'Zeta Partners']],
    ["Owner.Email = 'bob@example.com'", ['Globex', 'Zeta Partners']],
    ['Meridian_Id__c = \'mer-1\'', ['Acme Corp']],
  ])('WHERE %s', async (where, expected) => {
    const res = await conn.query<{ Name: string }>(`SELECT Name FROM Account WHERE ${where} ORDER BY Name`);
    expect(res.records.map((r) => r.Name)).toEqual(expected);
  });

  it('fails malformed SOQL with MALFORMED_QUERY and unknown names with INVALID_FIELD / INVALID_TYPE', async () => {
    const malformed = await rejection(conn.query('SELECT Id FORM Account'));
    expect(malformed.errorCode).toBe('MALFORMED_QUERY');
    expect(malformed.message).toContain("unexpected token: 'FORM'");
    const field = await rejection(conn.query('SELECT Foo FROM Account'));
    expect(field.errorCode).toBe('INVALID_FIELD');
    expect(field.message).toContain("No such column 'Foo' on entity 'Account'");
    expect((await rejection(conn.query('SELECT Id FROM Widget__c'))).errorCode).toBe('INVALID_TYPE');
  });

  it('counts with COUNT()', async () => {
    const res = await conn.query('SELECT COUNT() FROM Contact');
    expect(res.totalSize).toBe(4);
    expect(res.records).toEqual([]);
  });
});

describe('query paging', () => {
  let paged: SalesforceEmulator;
  let pconn: Connection;
  beforeAll(async () => {
    paged = await startSalesforceEmulator({ data: buildSalesforceFixture(new Date()), pageSize: 2 });
    pconn = new Connection({ instanceUrl: paged.url, accessToken: paged.credentials.accessToken, version: VERSION });
  });
  afterAll(async () => {
    await paged.close();
  });

  it('pages with nextRecordsUrl and queryMore across three pages', async () => {
    const first = await pconn.query<{ Id: string; Name: string }>('SELECT Id, Name FROM Account ORDER BY Name');
    expect(first).toMatchObject({ totalSize: 5, done: false });
    expect(first.records).toHaveLength(2);
    // jsforce rebuilds an absolute URL from the locator; the wire value is a path.
    expect(first.nextRecordsUrl).toMatch(/\/services\/data\/v59\.0\/query\/01g\w{15}-2$/);
    const raw = await fetch(`${paged.url}/services/data/v59.0/query?q=${encodeURIComponent('SELECT Id FROM Account')}`, {
      headers: { authorization: `Bearer ${paged.credentials.accessToken}` },
    });
    expect(((await raw.json()) as { nextRecordsUrl: string }).nextRecordsUrl).toMatch(/^\/services\/data\/v59\.0\/query\/01g\w{15}-2$/);
    const second = await pconn.queryMore<{ Id: string; Name: string }>(first.nextRecordsUrl!);
    expect(second).toMatchObject({ done: false });
    const third = await pconn.queryMore<{ Id: string; Name: string }>(second.nextRecordsUrl!);
    expect(third.done).toBe(true);
    expect(third.nextRecordsUrl).toBeUndefined();
    expect([...first.records, ...second.records, ...third.records].map((r) => r.Name)).toEqual(['Acme Corp', 'acme labs', 'Globex', "O'Brien & Sons", 'Zeta Partners']);
  });

  it('fetches every page with autoFetch and records each page as a queryMore', async () => {
    paged.requests.clear();
    const all = await pconn.query<{ Id: string }>('SELECT Id FROM Account', { autoFetch: true, maxFetch: 100 });
    expect(all.records).toHaveLength(5);
    expect(new Set(all.records.map((r) => r.Id)).size).toBe(5);
    expect(paged.requests.countsByOperation()).toEqual({ query: 1, queryMore: 2 });
    expect(paged.requests.list().map((r) => r.batchSize)).toEqual([2, 2, 1]);
  });

  it('answers INVALID_QUERY_LOCATOR for an unknown or finished cursor', async () => {
    expect((await rejection(pconn.queryMore('01gXXXXXXXXXXXXXXX-2'))).errorCode).toBe('INVALID_QUERY_LOCATOR');
  });

  it('honours Sforce-Query-Options batchSize within 200..2000', async () => {
    for (let i = 0; i < 250; i++) paged.store.insert('Contact', { LastName: `Bulk ${i}` });
    const res = await pconn.query('SELECT Id FROM Contact', { headers: { 'Sforce-Query-Options': 'batchSize=100' } });
    expect(res.records).toHaveLength(200);
    expect(res.totalSize).toBe(254);
  });
});

describe('records', () => {
  it('creates, retrieves, updates and destroys a record', async () => {
    const created = await conn.sobject('Contact').create({ FirstName: 'Ann', LastName: 'Lee', Email: 'ann@example.com', AccountId: salesforceId('001', 3) });
    expect(created).toMatchObject({ success: true, errors: [] });
    const id = created.id!;
    expect(id).toMatch(/^003\w{15}$/);
    const rec = await conn.sobject('Contact').retrieve(id);
    expect(rec).toMatchObject({ Name: 'Ann Lee', OwnerId: emu.userId, IsDeleted: false });
    expect(rec.CreatedDate).toMatch(/\+0000$/);

    await conn.sobject('Contact').update({ Id: id, LastName: 'Lee-Smith', Title: 'CTO' });
    const after = await conn.query<{ Name: string; Title: string }>(`SELECT Name, Title FROM Contact WHERE Id = '${id}'`);
    expect(after.records[0]).toMatchObject({ Name: 'Ann Lee-Smith', Title: 'CTO' });

    await conn.sobject('Contact').destroy(id);
    expect((await rejection(conn.sobject('Contact').retrieve(id))).errorCode).toBe('NOT_FOUND');
    expect((await rejection(conn.sobject('Contact').destroy(id))).errorCode).toBe('ENTITY_IS_DELETED');
  });

  it('derives IsClosed, IsWon and Probability from the stage', async () => {
    const res = await conn.sobject('Opportunity').create({ Name: 'Deal', StageName: 'Negotiation/Review', CloseDate: '2025-12-31', AccountId: salesforceId('001', 2) });
    const id = res.id!;
    expect(await conn.sobject('Opportunity').retrieve(id, { fields: ['IsClosed', 'Probability'] })).toMatchObject({ Id: id, IsClosed: false, Probability: 90 });
    await conn.sobject('Opportunity').update({ Id: id, StageName: 'Closed Won' });
    expect(await conn.sobject('Opportunity').retrieve(id)).toMatchObject({ IsClosed: true, IsWon: true, Probability: 100 });
  });

  it('validates writes: unknown field, missing required field, wrong type, read-only field, bad JSON', async () => {
    const unknown = await rejection(conn.sobject('Account').create({ Name: 'X', Foo__c: 1 }));
    expect(unknown).toMatchObject({ errorCode: 'INVALID_FIELD', message: "No such column 'Foo__c' on sobject of type Account" });
    const missing = await rejection(conn.sobject('Opportunity').create({ Name: 'No stage' }));
    expect(missing.errorCode).toBe('REQUIRED_FIELD_MISSING');
    expect(missing.message).toBe('Required fields are missing: [StageName, CloseDate]');
    expect((await rejection(conn.sobject('Account').create({ Name: 'X', NumberOfEmployees: 'many' }))).errorCode).toBe('JSON_PARSER_ERROR');
    expect((await rejection(conn.sobject('Contact').create({ LastName: 'X', Name: 'Y' }))).errorCode).toBe('INVALID_FIELD_FOR_INSERT_UPDATE');
    expect((await rejection(conn.sobject('Contact').create({ LastName: 'X', AccountId: 'nope' }))).errorCode).toBe('MALFORMED_ID');
    const res = await fetch(`${emu.url}/services/data/v59.0/sobjects/Account`, {
      method: 'POST',
      headers: { authorization: `Bearer ${emu.credentials.accessToken}`, 'content-type': 'application/json' },
      body: '{"Name": ',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errorCode: string }[])[0]?.errorCode).toBe('JSON_PARSER_ERROR');
  });

  it('retrieves many through the composite endpoint, null for a missing id', async () => {
    const missing = salesforceId('001', 4242);
    emu.requests.clear();
    const recs = await conn.retrieve('Account', [salesforceId('001', 1), missing, salesforceId('001', 2)]);
    expect(recs[0]).toMatchObject({ Name: 'Acme Corp', Meridian_Id__c: 'MER-1' });
    expect(recs[1]).toBeNull();
    expect(recs[2]).toMatchObject({ Name: 'Globex' });
    // Without a fields option jsforce describes first, then retrieves in one call.
    expect(emu.requests.countsByOperation()).toEqual({ 'sobject.describe': 1, 'composite.retrieve': 1 });
    expect(emu.requests.list({ operation: 'composite.retrieve' })[0]?.batchSize).toBe(3);
    const few = await conn.retrieve('Account', [salesforceId('001', 1)], { fields: ['Name'] });
    expect(Object.keys(few[0] ?? {})).toEqual(['attributes', 'Name']);
  });

  it('upserts by external id: created, updated, and 300 when several match', async () => {
    const created = await conn.upsert('Account', { Name: 'Upserted', Meridian_Id__c: 'MER-NEW' }, 'Meridian_Id__c');
    expect(created).toMatchObject({ success: true, created: true });
    const updated = await conn.upsert('Account', { Name: 'Upserted again', Meridian_Id__c: 'mer-new' }, 'Meridian_Id__c');
    expect(updated).toMatchObject({ success: true, created: false, id: (created as { id: string }).id });

    emu.store.insert('Account', { Name: 'Twin A', Meridian_Id__c: 'MER-TWIN' });
    emu.store.insert('Account', { Name: 'Twin B', Meridian_Id__c: 'MER-TWIN' });
    const ambiguous = await rejection(conn.upsert('Account', { Name: 'Which?', Meridian_Id__c: 'MER-TWIN' }, 'Meridian_Id__c'));
    expect(ambiguous.errorCode).toBe('MULTIPLE_CHOICES');
    expect(ambiguous.data).toEqual([expect.stringMatching(/\/sobjects\/Account\/001/), expect.stringMatching(/\/sobjects\/Account\/001/)]);
    expect((await rejection(conn.upsert('Account', { Name: 'x', Name2: 'y' }, 'Name'))).errorCode).toBe('NOT_FOUND');
  });

  it('runs collections with one result per record, failing records alone', async () => {
    const results = await conn.create('Contact', [{ LastName: 'Good' }, { FirstName: 'No last name' }, { LastName: 'Also good', Email: 'not-an-email' }]);
    expect(results[0]).toMatchObject({ success: true });
    expect(results[1]).toEqual({ success: false, errors: [{ statusCode: 'REQUIRED_FIELD_MISSING', message: 'Required fields are missing: [LastName]', fields: ['LastName'] }] });
    expect(results[2]).toMatchObject({ success: false, errors: [{ statusCode: 'INVALID_EMAIL_ADDRESS' }] });

    const rolledBack = await conn.create('Contact', [{ LastName: 'Would be fine' }, { FirstName: 'Broken' }], { allOrNone: true });
    expect(rolledBack.map((r) => r.success)).toEqual([false, false]);
    expect(rolledBack[0]?.errors[0]).toMatchObject({ statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK' });
    expect((await conn.query("SELECT COUNT() FROM Contact WHERE LastName = 'Would be fine'")).totalSize).toBe(0);

    const goodId = (results[0] as { id: string }).id;
    const updates = await conn.update('Contact', [{ Id: goodId, Title: 'VP' }, { Id: salesforceId('003', 777), Title: 'Ghost' }]);
    expect(updates[0]).toMatchObject({ id: goodId, success: true });
    expect(updates[1]).toMatchObject({ success: false, errors: [{ statusCode: 'NOT_FOUND' }] });

    const upserts = await conn.upsert('Account', [{ Name: 'Coll 1', Meridian_Id__c: 'COLL-1' }, { Name: 'Acme renamed', Meridian_Id__c: 'MER-1' }], 'Meridian_Id__c');
    expect(upserts.map((u) => (u as { created?: boolean }).created)).toEqual([true, false]);

    const destroyed = await conn.destroy('Contact', [goodId, salesforceId('003', 778)]);
    expect(destroyed[0]).toMatchObject({ id: goodId, success: true });
    expect(destroyed[1]).toMatchObject({ success: false });
  });

  it('describes objects and the org', async () => {
    const account = await conn.describe('Account');
    expect(account.name).toBe('Account');
    expect(account.fields.find((f) => f.name === 'Meridian_Id__c')).toMatchObject({ externalId: true, type: 'string', custom: true });
    expect(account.fields.find((f) => f.name === 'OwnerId')).toMatchObject({ type: 'reference', referenceTo: ['User'], relationshipName: 'Owner' });
    expect(account.childRelationships.map((c) => c.relationshipName)).toEqual(['Contacts', 'Opportunities']);
    const global = await conn.describeGlobal();
    expect(global.sobjects.map((s) => s.name)).toEqual(expect.arrayContaining(['Account', 'Contact', 'Opportunity', 'User']));
  });

  it('sees deleted rows with queryAll only', async () => {
    const doomed = await conn.sobject('Account').create({ Name: 'Doomed' });
    await conn.sobject('Account').destroy(doomed.id!);
    const live = await conn.query(`SELECT Id FROM Account WHERE Id = '${doomed.id!}'`);
    expect(live.totalSize).toBe(0);
    const all = await conn.query<{ IsDeleted: boolean }>(`SELECT Id, IsDeleted FROM Account WHERE Id = '${doomed.id!}'`, { scanAll: true });
    expect(all.records).toEqual([expect.objectContaining({ IsDeleted: true })]);
    emu.requests.clear();
    await conn.query('SELECT Id FROM Account', { scanAll: true });
    expect(emu.requests.countsByOperation()).toEqual({ queryAll: 1 });
  });
});

describe('replication feeds', () => {
  let clock = new Date('2025-03-10T09:00:30.000Z');
  let fed: SalesforceEmulator;
  let fconn: Connection;
  beforeAll(async () => {
    fed = await startSalesforceEmulator({ data: buildSalesforceFixture(clock), now: () => clock });
    fconn = new Connection({ instanceUrl: fed.url, accessToken: fed.credentials.accessToken, version: VERSION });
  });
  afterAll(async () => {
    await fed.close();
  });

  it('lists updated and deleted ids up to the last whole minute', async () => {
    const start = new Date('2025-03-10T09:00:00.000Z');
    const { id } = await fconn.sobject('Account').create({ Name: 'Polled' });
    const doomed = await fconn.sobject('Account').create({ Name: 'Doomed' });
    await fconn.sobject('Account').destroy(doomed.id!);
    const end = new Date('2025-03-10T10:00:00.000Z');

    // The minute that is still running is not covered yet.
    const early = await fconn.sobject('Account').updated(start, end);
    expect(early).toEqual({ ids: [], latestDateCovered: '2025-03-10T09:00:00.000+0000' });

    clock = new Date('2025-03-10T09:02:10.000Z');
    const updated = await fconn.sobject('Account').updated(start, end);
    expect(updated).toEqual({ ids: [id], latestDateCovered: '2025-03-10T09:02:00.000+0000' });
    const deleted = await fconn.sobject('Account').deleted(start, end);
    expect(deleted.deletedRecords).toEqual([{ id: doomed.id, deletedDate: '2025-03-10T09:00:30.000+0000' }]);
    expect(deleted.latestDateCovered).toBe('2025-03-10T09:02:00.000+0000');

    const tooOld = await rejection(fconn.sobject('Account').updated(new Date('2025-01-01T00:00:00Z'), end));
    expect(tooOld.errorCode).toBe('INVALID_REPLICATION_DATE');
    const backwards = await rejection(fconn.sobject('Account').updated(end, start));
    expect(backwards.message).toBe('startDate must chronologically precede endDate by more than one minute');
  });

  it('finds the same changes with SOQL on SystemModstamp', async () => {
    const res = await fconn.query<{ Name: string; SystemModstamp: string }>('SELECT Name, SystemModstamp FROM Account WHERE SystemModstamp >= 2025-03-10T09:00:00Z ORDER BY SystemModstamp');
    expect(res.records).toEqual([expect.objectContaining({ Name: 'Polled', SystemModstamp: '2025-03-10T09:00:30.000+0000' })]);
  });
});

describe('faults in Salesforce style', () => {
  const post = (): Promise<unknown> => conn.sobject('Account').create({ Name: 'Under fault' });

  it('answers an injected rate limit with 403 REQUEST_LIMIT_EXCEEDED and Retry-After', async () => {
    emu.faults.set({ rateLimitRate: 1, retryAfterSeconds: 7 });
    expect((await rejection(post())).errorCode).toBe('REQUEST_LIMIT_EXCEEDED');
    const res = await fetch(`${emu.url}/services/data/v59.0/limits`, { headers: { authorization: `Bearer ${emu.credentials.accessToken}` } });
    expect(res.status).toBe(403);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(await res.json()).toEqual([{ message: 'ConcurrentPerOrgLongTxn Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }]);
  });

  it('answers injected 5xx and outages with Salesforce error bodies', async () => {
    emu.faults.set({ errorRate: 1, errorStatus: 500 });
    expect((await rejection(post())).errorCode).toBe('UNKNOWN_EXCEPTION');
    emu.faults.set({ errorRate: 0, outage: 'http' });
    const res = await fetch(`${emu.url}/services/data/v59.0/limits`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual([{ message: 'Server temporarily unavailable', errorCode: 'SERVER_UNAVAILABLE' }]);
    expect(emu.requests.list().at(-1)).toMatchObject({ status: 503, fault: 'outage' });
  });

  it('counts requests per operation', async () => {
    emu.requests.clear();
    await conn.query('SELECT Id FROM Account');
    await conn.sobject('Account').create({ Name: 'Counted' });
    await conn.create('Account', [{ Name: 'C1' }, { Name: 'C2' }]);
    expect(emu.requests.countsByOperation()).toEqual({ query: 1, 'sobject.create': 1, 'composite.create': 1 });
    expect(emu.requests.list({ operation: 'composite.create' })[0]?.batchSize).toBe(2);
  });
});

describe('outbound messages', () => {
  afterEach(async () => {
    emu.notifier?.setTarget(null);
    await emu.outboundIdle();
    received.length = 0;
    replies = [];
  });

  it('posts a SOAP notification per change, batched per tick, until acknowledged', async () => {
    emu.notifier?.setTarget(receiverUrl);
    replies = [{ status: 500, ack: false }, { status: 200, ack: false }];
    const results = await conn.create('Account', [{ Name: 'Hook One', Phone: '1' }, { Name: 'Hook <Two>' }]);
    await emu.outboundIdle();

    // Refused twice (500, then Ack false), accepted on the third try: same message each time.
    expect(received).toHaveLength(3);
    expect(new Set(received.map((r) => r.body)).size).toBe(1);
    const { body, headers } = received[0]!;
    expect(headers['content-type']).toMatch(/^text\/xml/);
    expect(headers.soapaction).toBe('""');
    expect(body).toContain('<notifications xmlns="http://soap.sforce.com/2005/09/outbound">');
    expect(body).toContain(`<OrganizationId>${emu.orgId}</OrganizationId>`);
    const notifications = [...body.matchAll(/<Notification><Id>(04l\w+)<\/Id><sObject xsi:type="sf:Account"[^>]*>(.*?)<\/sObject><\/Notification>/g)];
    expect(notifications).toHaveLength(2);
    expect(notifications[0]?.[2]).toContain(`<sf:Id>${(results[0] as { id: string }).id}</sf:Id>`);
    expect(notifications[0]?.[2]).toContain('<sf:Name>Hook One</sf:Name>');
    expect(notifications[1]?.[2]).toContain('<sf:Name>Hook &lt;Two&gt;</sf:Name>');
    const delivery = emu.notifier?.deliveries().at(-1);
    expect(delivery?.state).toBe('delivered');
    expect(delivery?.attempts.map((a) => a.status)).toEqual([500, 200, 200]);
  });

  it('notifies in-process writes with only the changed fields, and deletions', async () => {
    emu.notifier?.setTarget(receiverUrl);
    const id = salesforceId('001', 3);
    emu.store.update('Account', id, { Website: 'obrien.example.com' });
    await emu.outboundIdle();
    expect(received).toHaveLength(1);
    const sobject = /<sObject[^>]*>(.*)<\/sObject>/.exec(received[0]!.body)?.[1] ?? '';
    expect([...sobject.matchAll(/<sf:(\w+)/g)].map((m) => m[1])).toEqual(['Id', 'Website', 'LastModifiedDate', 'SystemModstamp']);

    await conn.sobject('Opportunity').destroy(salesforceId('006', 3));
    await emu.outboundIdle();
    expect(received[1]?.body).toContain('xsi:type="sf:Opportunity"');
    expect(received[1]?.body).toContain('<sf:IsDeleted>true</sf:IsDeleted>');
  });

  it('gives up after the retry delays and marks the delivery failed', async () => {
    emu.notifier?.setTarget(receiverUrl);
    replies = [{ status: 503, ack: false }, { status: 503, ack: false }, { status: 503, ack: false }];
    emu.store.insert('Contact', { LastName: 'Unheard' });
    await emu.outboundIdle();
    expect(received).toHaveLength(3);
    expect(emu.notifier?.deliveries().at(-1)?.state).toBe('failed');
  });
});

describe('bad input', () => {
  it('answers every malformed request with a Salesforce error, never a 5xx', async () => {
    const auth = { authorization: `Bearer ${emu.credentials.accessToken}`, 'content-type': 'application/json' };
    const base = `${emu.url}/services/data/v59.0`;
    const cases: [string, string, string?][] = [
      ['GET', `${base}/query`],
      ['GET', `${base}/query?q=${encodeURIComponent("SELECT Id FROM Account WHERE Name = 'x")}`],
      ['GET', `${base}/query?q=${encodeURIComponent('SELECT Id FROM Account WHERE CreatedDate > 2024-13-45T99:00:00Z')}`],
      ['GET', `${base}/query?q=${encodeURIComponent('SELECT (SELECT (SELECT Id FROM Contacts) FROM Contacts) FROM Account')}`],
      ['GET', `${base}/query/garbage`],
      ['GET', `${base}/sobjects/Account/%E0%A4%A`],
      ['GET', `${base}/sobjects/Account/${salesforceId('001', 1)}?fields=Nope`],
      ['POST', `${base}/sobjects/Account`, '[1,2]'],
      ['POST', `${base}/sobjects/Account`, '{"Name": {"nested": true}}'],
      ['POST', `${base}/sobjects/Account`, '{"Name": "x", "OwnerId": 42}'],
      ['POST', `${base}/sobjects/User`, '{"Name": "x"}'],
      ['PATCH', `${base}/sobjects/Account/${salesforceId('001', 1)}`, 'not json'],
      ['PATCH', `${base}/sobjects/Account/${salesforceId('001', 1)}`, '{"Name": null}'],
      ['POST', `${base}/composite/sobjects`, '{"records": "nope"}'],
      ['POST', `${base}/composite/sobjects`, '{"records": [{"Name": "no type"}, {"attributes": {"type": "Widget"}}]}'],
      ['POST', `${base}/composite/sobjects`, JSON.stringify({ records: Array.from({ length: 201 }, () => ({ attributes: { type: 'Account' }, Name: 'x' })) })],
      ['POST', `${base}/composite/sobjects/Account`, '{"ids": "x", "fields": []}'],
      ['POST', `${base}/composite/sobjects/Account`, '{"ids": ["!!"], "fields": ["Name"]}'],
      ['DELETE', `${base}/composite/sobjects`],
      ['DELETE', `${base}/composite/sobjects?ids=abc,${salesforceId('005', 1)}`],
      ['PATCH', `${base}/composite/sobjects/Account/Meridian_Id__c`, '{"records": [{"attributes": {"type": "Account"}, "Name": "no ext id"}]}'],
      ['GET', `${base}/sobjects/Account/updated?start=yesterday&end=today`],
      ['GET', `${base}/sobjects/Account/deleted`],
      ['PUT', `${base}/sobjects/Account/${salesforceId('001', 1)}`, '{}'],
      ['POST', `${emu.url}/services/oauth2/token`, 'grant_type=magic'],
      ['GET', `${emu.url}/id/nope/nope`],
    ];
    for (const [method, url, body] of cases) {
      const res = await fetch(url, { method, headers: auth, ...(body !== undefined ? { body } : {}) });
      const text = await res.text();
      expect(res.status, `${method} ${url} -> ${text}`).toBeGreaterThanOrEqual(200);
      expect(res.status, `${method} ${url} -> ${text}`).toBeLessThan(500);
    }
    expect(await conn.query('SELECT COUNT() FROM Account')).toMatchObject({ done: true });
  });
});

describe('generated world', () => {
  it('serves a generated world to jsforce', async () => {
    const world = generateWorld({ seed: 7, customers: 40 });
    const w = await startSalesforceEmulator({ data: world.salesforce });
    try {
      const c = new Connection({ instanceUrl: w.url, accessToken: w.credentials.accessToken, version: VERSION });
      const live = world.salesforce.accounts.filter((a) => !a.IsDeleted).length;
      const accounts = await c.query<{ Id: string; Owner: { Name: string } | null }>('SELECT Id, Name, Owner.Name, (SELECT Id FROM Contacts) FROM Account', { autoFetch: true });
      expect(accounts.totalSize).toBe(live);
      expect(accounts.records.every((a) => a.Owner !== null)).toBe(true);
      const opp = world.salesforce.opportunities.find((o) => !o.IsDeleted);
      if (opp) expect((await c.sobject('Opportunity').retrieve(opp.Id)).Name).toBe(opp.Name);
    } finally {
      await w.close();
    }
    expect(world.salesforce.accounts.every((a) => a.Id.startsWith('001'))).toBe(true);
  });
});

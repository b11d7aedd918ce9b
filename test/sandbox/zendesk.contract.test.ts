// The Zendesk emulator against the real node-zendesk client: paths, payloads, pagination,
// errors, faults, request accounting and signed webhooks.
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zendesk from 'node-zendesk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startZendeskEmulator, verifyZendeskWebhook, type ZendeskEmulator } from '../../src/sandbox/zendesk/index.ts';
import type { ZdOrganization, ZdSatisfactionRating, ZdTicket, ZdUser, ZendeskData } from '../../src/sandbox/world/types.ts';

// ---------- fixture: enough users for three pages of 100 ----------
const BASE = Date.parse('2025-01-01T00:00:00Z');
const at = (minutes: number): string => new Date(BASE + minutes * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');

function fixture(): ZendeskData {
  const organizations: ZdOrganization[] = Array.from({ length: 30 }, (_, i) => ({
    id: 1000 + i,
    url: '',
    name: `Org ${i}`,
    domain_names: [`org${i}.example`],
    external_id: i % 2 === 0 ? `001SF${String(i).padStart(4, '0')}` : null,
    details: null,
    notes: null,
    tags: i % 3 === 0 ? ['vip'] : [],
    organization_fields: {},
    created_at: at(i),
    updated_at: at(i + 1),
  }));
  const agents: ZdUser[] = Array.from({ length: 5 }, (_, i) => ({
    id: 10 + i,
    url: '',
    name: i === 0 ? 'Integration' : `Agent ${i}`,
    email: i === 0 ? 'integration@meridian.sandbox' : `agent${i}@support.example`,
    phone: null,
    organization_id: null,
    role: i === 0 ? 'admin' : 'agent',
    external_id: null,
    active: true,
    verified: true,
    time_zone: 'UTC',
    locale: 'en-US',
    tags: [],
    user_fields: {},
    created_at: at(0),
    updated_at: at(0),
  }));
  const users: ZdUser[] = Array.from({ length: 250 }, (_, i) => ({
    id: 5000 + i,
    url: '',
    name: `Person ${i}`,
    email: `person${i}@org${i % 30}.example`,
    phone: `+1555000${String(i).padStart(4, '0')}`,
    organization_id: 1000 + (i % 30),
    role: 'end-user',
    external_id: i % 4 === 0 ? `003SF${String(i).padStart(5, '0')}` : null,
    active: true,
    verified: true,
    time_zone: 'UTC',
    locale: 'en-US',
    tags: [],
    user_fields: {},
    created_at: at(100 + i),
    updated_at: at(100 + i),
  }));
  const tickets: ZdTicket[] = Array.from({ length: 120 }, (_, i) => ({
    id: 70_000 + i,
    url: '',
    subject: `Problem ${i}`,
    description: `Something broke, case ${i}`,
    status: (['new', 'open', 'pending', 'solved', 'closed'] as const)[i % 5]!,
    priority: 'normal',
    type: 'question',
    requester_id: 5000 + (i % 40),
    submitter_id: 5000 + (i % 40),
    assignee_id: 11,
    organization_id: 1000 + ((i % 40) % 30),
    tags: [],
    satisfaction_rating: i < 40 ? { score: i % 3 === 0 ? 'bad' : 'good' } : null,
    created_at: at(400 + i),
    updated_at: at(500 + i),
  }));
  const satisfactionRatings: ZdSatisfactionRating[] = Array.from({ length: 40 }, (_, i) => ({
    id: 90_000 + i,
    url: '',
    score: i % 3 === 0 ? 'bad' : 'good',
    comment: i % 2 === 0 ? 'thanks' : null,
    ticket_id: 70_000 + i,
    requester_id: 5000 + (i % 40),
    assignee_id: 11,
    group_id: null,
    created_at: at(600 + i),
    updated_at: at(600 + i),
  }));
  return { agents, organizations, users, tickets, satisfactionRatings };
}

// ---------- narrow views of what node-zendesk hands back ----------
const userSchema = z.object({ id: z.number(), url: z.string(), name: z.string(), email: z.string().nullable(), external_id: z.string().nullable(), updated_at: z.string() }).loose();
const orgSchema = z.object({ id: z.number(), name: z.string(), external_id: z.string().nullable() }).loose();
const ticketSchema = z.object({ id: z.number(), requester_id: z.number(), status: z.string() }).loose();
const sdkError = z.object({ message: z.string(), statusCode: z.number().optional(), result: z.unknown().optional() });
const responseSchema = z.object({ status: z.number() }).loose();

const users = (v: unknown) => z.array(userSchema).parse(v);

async function rejection(p: Promise<unknown>): Promise<z.infer<typeof sdkError>> {
  try {
    await p;
  } catch (e) {
    return sdkError.parse(e);
  }
  throw new Error('expected the call to fail');
}

type Client = ReturnType<typeof zendesk.createClient>;

describe('Zendesk emulator driven by node-zendesk', () => {
  let emu: ZendeskEmulator;
  let client: Client;
  let strict: Client; // throwOriginalException: errors keep statusCode and the parsed body
  const data = fixture();

  beforeAll(async () => {
    emu = await startZendeskEmulator({ data, incrementalLagSeconds: 0 });
    const opts = { username: emu.credentials.email, token: emu.credentials.apiToken, endpointUri: emu.endpointUri };
    client = zendesk.createClient(opts);
    strict = zendesk.createClient({ ...opts, throwOriginalException: true });
  });
  afterAll(async () => {
    await emu.close();
  });
  beforeEach(() => {
    emu.faults.reset();
    emu.requests.clear();
  });

  it('shows one user with its url on the emulator', async () => {
    const { result } = await client.users.show(5003);
    const u = userSchema.parse(result);
    expect(u).toMatchObject({ id: 5003, name: 'Person 3', email: 'person3@org3.example' });
    expect(u.url).toBe(`${emu.endpointUri}/users/5003.json`);
    expect(emu.requests.list()[0]).toMatchObject({ method: 'GET', path: '/api/v2/users/5003.json', operation: 'users.show', status: 200 });
  });

  it('shows many users in one call and records the batch size', async () => {
    const { result } = await client.users.showMany([5001, 5002, 5003, 999_999]);
    expect(users(result).map((u) => u.id)).toEqual([5001, 5002, 5003]);
    const [rec] = emu.requests.list({ operation: 'users.show_many' });
    expect(rec?.batchSize).toBe(4);
    expect(rec?.query).toBe('ids=5001%2C5002%2C5003%2C999999');
  });

  it('lists every user across cursor pages of 100 by following links.next', async () => {
    const all = users(await client.users.list());
    expect(all).toHaveLength(255);
    expect(new Set(all.map((u) => u.id)).size).toBe(255);
    expect(emu.requests.countsByOperation()).toEqual({ 'users.list': 3 });
    expect(emu.requests.list().map((r) => r.batchSize)).toEqual([100, 100, 55]);
    expect(emu.requests.list()[0]?.query).toBe('page%5Bsize%5D=100');
  });

  it('pages backwards and forwards with page[before] / page[after] links', async () => {
    const auth = `Basic ${Buffer.from(`${emu.credentials.email}/token:${emu.credentials.apiToken}`).toString('base64')}`;
    const get = async (url: string) => {
      const res = await fetch(url, { headers: { authorization: auth } });
      return z
        .object({ users: z.array(userSchema), meta: z.object({ has_more: z.boolean() }), links: z.object({ next: z.string().nullable(), prev: z.string().nullable() }) })
        .parse(await res.json());
    };
    const first = await get(`${emu.endpointUri}/users.json?page[size]=2&role=end-user`);
    expect(first.users.map((u) => u.id)).toEqual([5000, 5001]);
    expect(first.links.prev).toBeNull();
    expect(first.links.next).toMatch(new RegExp(`^${emu.endpointUri}/users\\.json\\?.*page\\[after\\]=`));
    const second = await get(first.links.next!);
    expect(second.users.map((u) => u.id)).toEqual([5002, 5003]);
    const back = await get(second.links.prev!);
    expect(back.users.map((u) => u.id)).toEqual([5000, 5001]);
  });

  it('searches users by email, by external_id, and through the search API', async () => {
    expect(users(await client.users.search({ query: 'email:person7@org7.example' })).map((u) => u.id)).toEqual([5007]);
    expect(users(await client.users.search({ external_id: '003SF00008' })).map((u) => u.id)).toEqual([5008]);
    const { result } = await client.search.query('type:user email:person9@org9.example');
    expect(z.array(z.object({ id: z.number(), result_type: z.string() }).loose()).parse(result)).toEqual([
      expect.objectContaining({ id: 5009, result_type: 'user' }),
    ]);
  });

  it('pages search results with next_page (queryAll) and counts them', async () => {
    const all = z.array(z.object({ id: z.number(), result_type: z.literal('user') }).loose()).parse(await client.search.queryAll('type:user role:end-user'));
    expect(all).toHaveLength(250);
    expect(emu.requests.countsByOperation()).toEqual({ search: 3 });
    const tickets = z
      .array(ticketSchema)
      .parse(await client.search.queryAll('type:ticket status<solved requester:person1@org1.example'));
    expect(tickets.map((t) => t.id)).toEqual([70_001, 70_041, 70_081].filter((id) => (id - 70_000) % 5 < 3));
  });

  it('creates and updates a user, maintaining updated_at', async () => {
    const created = await client.users.create({ user: { name: 'New Person', email: 'New.Person@Example.com', external_id: 'ext-new-1' } });
    expect(responseSchema.parse(created.response).status).toBe(201);
    const u = userSchema.parse(created.result);
    expect(u.email).toBe('new.person@example.com');
    const updated = await client.users.update(u.id, { user: { name: 'Renamed Person' } });
    expect(userSchema.parse(updated.result)).toMatchObject({ id: u.id, name: 'Renamed Person' });
    expect(emu.store.user(u.id)?.name).toBe('Renamed Person');
  });

  it('create_or_update creates (201) then updates (200) the same user, matched by external_id or email', async () => {
    const first = await client.users.createOrUpdate({ user: { name: 'Upsert Me', email: 'upsert@example.com', external_id: 'SF-UPSERT' } });
    expect(responseSchema.parse(first.response).status).toBe(201);
    const id = userSchema.parse(first.result).id;
    const byExternal = await client.users.createOrUpdate({ user: { name: 'Upsert Me Again', external_id: 'SF-UPSERT' } });
    expect(responseSchema.parse(byExternal.response).status).toBe(200);
    expect(userSchema.parse(byExternal.result)).toMatchObject({ id, name: 'Upsert Me Again' });
    const byEmail = await client.users.createOrUpdate({ user: { name: 'By Email', email: 'UPSERT@example.com' } });
    expect(responseSchema.parse(byEmail.response).status).toBe(200);
    expect(userSchema.parse(byEmail.result).id).toBe(id);
    expect(emu.requests.countsByOperation()).toEqual({ 'users.create_or_update': 3 });
  });

  it('organizations: show_many, search by external_id, create_or_update', async () => {
    const many = z.array(orgSchema).parse(await client.organizations.showMany([1000, 1001]));
    expect(many.map((o) => o.name)).toEqual(['Org 0', 'Org 1']);
    expect(emu.requests.list({ operation: 'organizations.show_many' })[0]?.batchSize).toBe(2);
    // node-zendesk's d.ts types the external id as a number; Zendesk external ids are strings.
    const found = z.array(orgSchema).parse(await client.organizations.search('001SF0004' as unknown as number));
    expect(found.map((o) => o.id)).toEqual([1004]);
    const created = await client.organizations.createOrUpdate({ organization: { name: 'Brand New Org', external_id: '001SFNEW' } });
    expect(responseSchema.parse(created.response).status).toBe(201);
    const updated = await client.organizations.createOrUpdate({ organization: { name: 'Brand New Org Ltd', external_id: '001SFNEW' } });
    expect(responseSchema.parse(updated.response).status).toBe(200);
    expect(orgSchema.parse(updated.result).id).toBe(orgSchema.parse(created.result).id);
  });

  it('lists the tickets a user requested and the tickets of an organization', async () => {
    const requested = z.array(ticketSchema).parse(await client.tickets.listByUserRequested(5001));
    expect(requested.map((t) => t.id)).toEqual([70_001, 70_041, 70_081]);
    const byOrg = z.array(ticketSchema).parse(await client.tickets.listByOrganization(1002));
    expect(byOrg.every((t) => t.id >= 70_000)).toBe(true);
    expect(byOrg.length).toBeGreaterThan(0);
  });

  it('lists satisfaction ratings and filters them by score', async () => {
    // node-zendesk's d.ts says list() returns an array; at run time it is a Promise.
    const listed: Promise<unknown> = client.satisfactionratings.list() as unknown as Promise<unknown>;
    const all = z.array(z.object({ id: z.number(), score: z.string() }).loose()).parse(await listed);
    expect(all).toHaveLength(40);
    const { result } = await client.satisfactionratings._rawRequest('GET', ['satisfaction_ratings', { score: 'bad' }]);
    const bad = z.object({ satisfaction_ratings: z.array(z.object({ score: z.string() }).loose()) }).parse(result);
    expect(bad.satisfaction_ratings.length).toBe(14);
    expect(bad.satisfaction_ratings.every((r) => r.score === 'bad')).toBe(true);
  });

  it('exports users incrementally (time-based and cursor-based) across pages', async () => {
    const pageSchema = z.object({ users: z.array(userSchema), next_page: z.string(), end_time: z.number(), end_of_stream: z.boolean(), count: z.number() });
    const seen = new Set<number>();
    let page = pageSchema.parse((await client.users._rawRequest('GET', ['incremental', 'users', { start_time: 0, per_page: 100 }])).result);
    let pages = 1;
    for (;;) {
      for (const u of page.users) seen.add(u.id);
      if (page.end_of_stream) break;
      page = pageSchema.parse((await client.users._rawRequest('GET', page.next_page)).result);
      pages++;
    }
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(seen.size).toBe(emu.store.users().length);

    const cursorSchema = z.object({ users: z.array(userSchema), after_url: z.string().nullable(), end_of_stream: z.boolean() });
    let cursorPage = cursorSchema.parse((await client.users._rawRequest('GET', ['incremental', 'users', 'cursor', { start_time: 0, per_page: 100 }])).result);
    const ids: number[] = cursorPage.users.map((u) => u.id);
    while (!cursorPage.end_of_stream && cursorPage.after_url) {
      cursorPage = cursorSchema.parse((await client.users._rawRequest('GET', cursorPage.after_url)).result);
      ids.push(...cursorPage.users.map((u) => u.id));
    }
    expect(ids).toHaveLength(emu.store.users().length);
    expect(new Set(ids).size).toBe(ids.length);

    // A change after the export moves the user to the end of the change feed.
    emu.store.updateUser(5000, { notes: 'changed after export' });
    const next = cursorSchema.parse((await client.users._rawRequest('GET', cursorPage.after_url!)).result);
    expect(next.users.map((u) => u.id)).toEqual([5000]);
  });

  it('exports tickets by cursor in pages of the page[size]=100 node-zendesk appends', async () => {
    const schema = z.object({ tickets: z.array(ticketSchema), after_url: z.string().nullable(), after_cursor: z.string().nullable(), end_of_stream: z.boolean() });
    let page = schema.parse((await client.tickets._rawRequest('GET', ['incremental', 'tickets', 'cursor', { start_time: 0 }])).result);
    const sizes = [page.tickets.length];
    while (!page.end_of_stream && page.after_url) {
      page = schema.parse((await client.tickets._rawRequest('GET', page.after_url)).result);
      sizes.push(page.tickets.length);
    }
    expect(sizes).toEqual([100, 20]);
    expect(emu.requests.list()[0]?.query).toContain('page%5Bsize%5D=100');
  });

  it('creates a ticket for a requester and updates its status', async () => {
    const created = await client.tickets.create({ ticket: { subject: 'Printer on fire', comment: { body: 'Flames everywhere' }, requester_id: 5002 } });
    expect(responseSchema.parse(created.response).status).toBe(201);
    const ticket = ticketSchema.parse(created.result);
    expect(ticket).toMatchObject({ requester_id: 5002, status: 'new' });
    const updated = await client.tickets.update(ticket.id, { ticket: { status: 'solved' } });
    expect(ticketSchema.parse(updated.result).status).toBe('solved');
    const requested = z.array(ticketSchema).parse(await client.tickets.listByUserRequested(5002));
    expect(requested.map((t) => t.id)).toContain(ticket.id);
  });

  it('refuses an incremental start_time in the future with 422', async () => {
    const future = Math.floor(Date.now() / 1000) + 3600;
    const err = await rejection(strict.users.incremental(future));
    expect(err.statusCode).toBe(422);
    expect(err.result).toMatchObject({ error: 'InvalidValue' });
  });

  it('answers a bad token with 401', async () => {
    const bad = zendesk.createClient({ username: emu.credentials.email, token: 'wrong', endpointUri: emu.endpointUri, throwOriginalException: true });
    const err = await rejection(bad.users.show(5001));
    expect(err.statusCode).toBe(401);
    expect(err.result).toEqual({ error: "Couldn't authenticate you" });
    // Without throwOriginalException node-zendesk only keeps the message.
    const plain = zendesk.createClient({ username: emu.credentials.email, token: 'wrong', endpointUri: emu.endpointUri });
    expect((await rejection(plain.users.show(5001))).message).toContain('Zendesk Error (401)');
  });

  it('answers an unknown record with 404 RecordNotFound and an unknown path with InvalidEndpoint', async () => {
    const err = await rejection(strict.users.show(424_242));
    expect(err.statusCode).toBe(404);
    expect(err.result).toEqual({ error: 'RecordNotFound', description: 'Not found' });
    const res = await fetch(`${emu.endpointUri}/nothing_here.json`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'InvalidEndpoint', description: 'Not found' });
  });

  it('refuses invalid users with 422 RecordInvalid and field details', async () => {
    const malformed = await rejection(strict.users.create({ user: { name: 'Bad Email', email: 'not-an-email' } }));
    expect(malformed.statusCode).toBe(422);
    expect(malformed.result).toEqual({
      error: 'RecordInvalid',
      description: 'Record validation errors',
      details: { email: [{ description: 'Email: not-an-email is not properly formatted', error: 'InvalidValue' }] },
    });
    const duplicate = await rejection(strict.users.create({ user: { name: 'Dup', email: 'person1@org1.example' } }));
    expect(duplicate.result).toMatchObject({ details: { email: [{ error: 'DuplicateValue' }] } });
    const nameless = await rejection(strict.users.create({ user: { email: 'nameless@example.com' } }));
    expect(nameless.result).toMatchObject({ details: { name: [{ error: 'BlankValue' }] } });
  });

  it('answers malformed JSON with 400 and never crashes', async () => {
    const auth = `Basic ${Buffer.from(`${emu.credentials.email}/token:${emu.credentials.apiToken}`).toString('base64')}`;
    const res = await fetch(`${emu.endpointUri}/users.json`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: '{"user":' });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/json');
    const odd = await fetch(`${emu.endpointUri}/users/show_many.json?ids=`, { headers: { authorization: auth } });
    expect(odd.status).toBe(400);
    expect((await client.users.show(5001)).result).toBeTruthy();
  });

  it('survives odd requests and keeps answering', async () => {
    const auth = `Basic ${Buffer.from(`${emu.credentials.email}/token:${emu.credentials.apiToken}`).toString('base64')}`;
    const odd: [string, string, string?][] = [
      ['GET', '/users/%E0%A4%A.json'],
      ['GET', '/users/99999999999999999999.json'],
      ['GET', '/users.json?page[size]=abc'],
      ['GET', '/users.json?page[size]=1000'],
      ['GET', '/users.json?page[after]=garbage'],
      ['GET', '/search.json?query=type:spaceship'],
      ['GET', '/incremental/users.json?start_time=yesterday'],
      ['GET', '/incremental/users/cursor.json?cursor=%%%'],
      ['PUT', '/users/5001.json', '[]'],
      ['PUT', '/users/5001.json', '{"user":{"name":{"x":1},"organization_id":"abc","tags":7}}'],
      ['POST', '/organizations/create_or_update.json', '{"organization":{"name":null}}'],
      ['POST', '/tickets.json', '{"ticket":{"requester":{"email":5}}}'],
      ['DELETE', '/users/5001.json'],
    ];
    for (const [method, path, body] of odd) {
      const res = await fetch(`${emu.endpointUri}${path}`, { method, headers: { authorization: auth, 'content-type': 'application/json' }, ...(body ? { body } : {}) });
      expect(res.status, `${method} ${path}`).toBeGreaterThanOrEqual(400);
      expect(res.status, `${method} ${path}`).toBeLessThan(500);
      expect(res.headers.get('content-type'), `${method} ${path}`).toContain('application/json');
    }
    expect(userSchema.parse((await client.users.show(5001)).result).id).toBe(5001);
  });

  it('reports an injected 429 the way node-zendesk does: a returned (not thrown) error', async () => {
    emu.faults.set({ rateLimitRate: 1, retryAfterSeconds: 7 });
    const { result, response } = await client.users.show(5001);
    const err = sdkError.parse(result);
    expect(err.statusCode).toBe(429);
    expect(z.object({ headers: z.object({ get: z.function() }) }).loose().parse(response)).toBeTruthy();
    const raw = await fetch(`${emu.endpointUri}/users/5001.json`);
    expect(raw.status).toBe(429);
    expect(raw.headers.get('retry-after')).toBe('7');
    expect(emu.requests.list().every((r) => r.fault === 'rateLimited')).toBe(true);
  });

  it('throws on injected 500s and on an outage (503, no Retry-After)', async () => {
    emu.faults.set({ errorRate: 1, errorStatus: 500 });
    expect((await rejection(strict.users.show(5001))).statusCode).toBe(500);
    emu.faults.set({ errorRate: 0, outage: 'http' });
    const outage = await rejection(strict.users.show(5001));
    expect(outage.statusCode).toBe(503);
    const raw = await fetch(`${emu.endpointUri}/users/5001.json`);
    expect(raw.headers.get('retry-after')).toBeNull();
    expect(emu.requests.list().map((r) => r.fault)).toEqual(['error', 'outage', 'outage']);
  });
});

describe('Zendesk webhooks', () => {
  let emu: ZendeskEmulator;
  let receiver: http.Server;
  let receiverUrl: string;
  const received: { headers: http.IncomingHttpHeaders; body: string; answered: number }[] = [];
  let failuresLeft = 0;

  beforeAll(async () => {
    receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const status = failuresLeft > 0 ? 503 : 200;
        if (failuresLeft > 0) failuresLeft--;
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), answered: status });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/zendesk`;
    emu = await startZendeskEmulator({ data: fixture(), webhookUrl: receiverUrl, webhookRetryDelaysMs: [50, 100] });
  });
  afterAll(async () => {
    await emu.close();
    await new Promise<void>((r) => receiver.close(() => r()));
  });
  beforeEach(() => {
    received.length = 0;
    failuresLeft = 0;
  });

  it('signs each event with base64 HMAC-SHA256 over timestamp + body', async () => {
    const client = zendesk.createClient({ username: emu.credentials.email, token: emu.credentials.apiToken, endpointUri: emu.endpointUri });
    await client.users.update(5001, { user: { name: 'Signed Rename' } });
    await emu.notifier!.idle();
    expect(received).toHaveLength(1);
    const [hit] = received;
    const signature = hit!.headers['x-zendesk-webhook-signature'];
    const timestamp = hit!.headers['x-zendesk-webhook-signature-timestamp'];
    expect(typeof signature).toBe('string');
    expect(timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    // The documented algorithm, written out independently of the emulator's helper.
    const expected = createHmac('sha256', 'zendesk-sandbox-signing-secret').update(`${String(timestamp)}${hit!.body}`).digest('base64');
    expect(signature).toBe(expected);
    expect(verifyZendeskWebhook(emu.credentials.webhookSecret, String(timestamp), hit!.body, String(signature))).toBe(true);
    expect(verifyZendeskWebhook('some-other-secret', String(timestamp), hit!.body, String(signature))).toBe(false);
    const event = z
      .object({ type: z.string(), subject: z.string(), detail: z.object({ id: z.string(), email: z.string() }).loose(), event: z.object({ current: z.unknown(), previous: z.unknown() }) })
      .loose()
      .parse(JSON.parse(hit!.body));
    expect(event).toMatchObject({
      type: 'zen:event-type:user.name_changed',
      subject: 'zen:user:5001',
      detail: { id: '5001', email: 'person1@org1.example' },
      event: { previous: 'Person 1', current: 'Signed Rename' },
    });
  });

  it('retries a delivery that was answered with a failure', async () => {
    failuresLeft = 1;
    emu.store.updateOrganization(1003, { name: 'Org Three Renamed' });
    await emu.notifier!.idle();
    expect(received.map((r) => r.answered)).toEqual([503, 200]);
    expect(received[0]!.body).toBe(received[1]!.body);
    const [delivery] = emu.notifier!.deliveries().slice(-1);
    expect(delivery).toMatchObject({ label: 'organization.name_changed', state: 'delivered' });
    expect(delivery?.attempts).toHaveLength(2);
  });

  it('sends ticket events for ticket changes', async () => {
    emu.store.updateTicket(70_002, { status: 'solved', priority: 'urgent' });
    await emu.notifier!.idle();
    const events = received.map((r) => z.object({ type: z.string(), subject: z.string(), event: z.unknown() }).loose().parse(JSON.parse(r.body)));
    expect(events.map((e) => e.type).sort()).toEqual(['zen:event-type:ticket.priority_changed', 'zen:event-type:ticket.status_changed']);
    expect(events.find((e) => e.type.endsWith('status_changed'))).toMatchObject({ subject: 'zen:ticket:70002', event: { previous: 'PENDING', current: 'SOLVED' } });
  });

  it('sends user.created for a created user and nothing for an update that changes nothing', async () => {
    const user = emu.store.createUser({ name: 'Webhook Person', email: 'hook@example.com' });
    emu.store.updateUser(user.id, { name: 'Webhook Person' });
    await emu.notifier!.idle();
    expect(received.map((r) => z.object({ type: z.string() }).loose().parse(JSON.parse(r.body)).type)).toEqual(['zen:event-type:user.created']);
  });
});

describe('seed data', () => {
  it('is cloned, never mutated by the emulator', async () => {
    const data = fixture();
    const before = JSON.stringify(data);
    const emu = await startZendeskEmulator({ data });
    try {
      emu.store.updateUser(5001, { name: 'Changed In Store' });
      expect(JSON.stringify(data)).toBe(before);
    } finally {
      await emu.close();
    }
  });
});

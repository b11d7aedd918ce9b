// The Zendesk connector against the Zendesk emulator seeded with a generated world, through
// the production client set-up (node-zendesk with throwOriginalException). Every expectation
// is computed from the world's own records.
import zendesk from 'node-zendesk';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateWorld } from '../../src/sandbox/world/generate.ts';
import type { World, ZdOrganization, ZdTicket, ZdUser } from '../../src/sandbox/world/types.ts';
import { startZendeskEmulator, type ZendeskEmulator } from '../../src/sandbox/zendesk/index.ts';
import { readSystemSettings } from '../../src/config/systems.ts';
import { createZendeskClient, type ZendeskClient } from '../../src/sources/zendesk/client.ts';
import { createZendeskConnector } from '../../src/sources/zendesk/index.ts';
import { InvalidSourceIdError, InvalidSourceRecordError, SourceRateLimitedError, SourceUnavailableError } from '../../src/sources/errors.ts';
import type { SourceConnector, SourceRecord } from '../../src/sources/types.ts';
import { systemClock } from '../../src/sources/options.ts';

const iso = (t: string): string => new Date(t).toISOString();

describe('Zendesk connector', () => {
  let world: World;
  let emu: ZendeskEmulator;
  let client: ZendeskClient;
  let connector: SourceConnector<'zendesk'>;
  const clock = { now: (): Date => new Date('2026-01-01T00:00:00.000Z'), sleep: (ms: number) => systemClock.sleep(ms) };

  beforeAll(async () => {
    world = generateWorld({ customers: 200, seed: 9 });
    emu = await startZendeskEmulator({ data: world.zendesk, port: 0 });
    const settings = readSystemSettings({
      ZENDESK_ENDPOINT_URI: emu.endpointUri,
      ZENDESK_EMAIL: emu.credentials.email,
      ZENDESK_API_TOKEN: emu.credentials.apiToken,
    });
    client = createZendeskClient(settings.zendesk!);
    connector = createZendeskConnector(client, { clock });
  });

  afterAll(async () => {
    await connector?.close();
    await emu?.close();
  });

  beforeEach(() => {
    emu.requests.clear();
  });
  afterEach(() => {
    emu.faults.reset();
  });

  const orgs = (): ZdOrganization[] => world.zendesk.organizations;
  const usersOf = (orgId: number): ZdUser[] => world.zendesk.users.filter((u) => u.organization_id === orgId);
  const ticketsOf = (orgId: number): ZdTicket[] => world.zendesk.tickets.filter((t) => t.organization_id === orgId);
  const ops = (): Record<string, number> => emu.requests.countsByOperation();
  const unknownOrg = 999_999_999;

  function expected(o: ZdOrganization): Partial<SourceRecord> {
    return {
      system: 'zendesk',
      type: 'organization',
      id: String(o.id),
      updatedAt: iso(o.updated_at),
      deleted: false,
      xrefs: o.external_id ? [{ system: 'salesforce', id: o.external_id, field: 'external_id' }] : [],
    };
  }

  it('loads 50 organizations with one show_many, in key order, null for unknown, Error for malformed', async () => {
    const sample = [...orgs().filter((o) => o.external_id !== null).slice(0, 10), ...orgs().filter((o) => o.external_id === null).slice(0, 38)];
    const keys = [...sample.map((o) => String(o.id)).reverse(), String(unknownOrg), 'abc', '-5', String(sample[0]!.id)];
    const got = await connector.loadAccounts(keys);
    expect(ops()).toEqual({ 'organizations.show_many': 1 });
    expect(emu.requests.list()[0]!.batchSize).toBe(49);
    expect(got).toHaveLength(52);
    [...sample].reverse().forEach((o, i) => {
      const r = got[i] as SourceRecord;
      expect(r).toMatchObject({ ...expected(o), emails: [] });
      expect(r.data).toMatchObject({ id: o.id, name: o.name, external_id: o.external_id, tags: o.tags });
    });
    expect(got[48]).toBeNull();
    expect(got[49]).toBeInstanceOf(InvalidSourceIdError);
    expect(got[50]).toBeInstanceOf(InvalidSourceIdError);
    expect(got[51]).toMatchObject({ id: String(sample[0]!.id) });
  });

  it('splits more than 100 ids into one show_many per 100', async () => {
    const keys = orgs().slice(0, 120).map((o) => String(o.id));
    expect(keys).toHaveLength(120);
    const got = await connector.loadAccounts(keys);
    expect(ops()).toEqual({ 'organizations.show_many': 2 });
    expect(got.map((r) => (r as SourceRecord).id)).toEqual(keys);
  });

  it('lists users per organization (one call each), grouped per key, [] for an unknown organization', async () => {
    const sample = orgs().slice(0, 20);
    const keys = [...sample.map((o) => String(o.id)), String(unknownOrg), 'x'];
    const got = await connector.loadRelated('users', keys);
    expect(ops()).toEqual({ 'users.by_organization': 21 });
    sample.forEach((o, i) => {
      const list = got[i]!;
      if (list instanceof Error) throw list;
      expect(list.map((p) => p.id).sort()).toEqual(usersOf(o.id).map((u) => String(u.id)).sort());
      for (const p of list) {
        const u = usersOf(o.id).find((x) => String(x.id) === p.id)!;
        expect(p).toEqual({
          system: 'zendesk', type: 'user', id: String(u.id), accountId: String(o.id), name: u.name, email: u.email, phone: u.phone, title: null, updatedAt: iso(u.updated_at),
          ...(u.external_id ? { sameAs: [{ system: 'salesforce', id: u.external_id, field: 'external_id' }] } : {}),
        });
      }
    });
    expect(got[20]).toEqual([]);
    expect(got[21]).toBeInstanceOf(InvalidSourceIdError);
  });

  it('lists tickets per organization with the satisfaction score', async () => {
    const sample = orgs().filter((o) => ticketsOf(o.id).length > 0).slice(0, 15);
    const got = await connector.loadRelated('tickets', sample.map((o) => String(o.id)));
    expect(ops()).toEqual({ 'tickets.by_organization': 15 });
    sample.forEach((o, i) => {
      const list = got[i]!;
      if (list instanceof Error) throw list;
      // Zendesk lists in id order.
      expect(list).toEqual(
        [...ticketsOf(o.id)].sort((a, b) => a.id - b.id).map((t) => ({
          id: String(t.id),
          subject: t.subject,
          status: t.status,
          priority: t.priority,
          requesterId: String(t.requester_id),
          satisfaction: t.satisfaction_rating?.score ?? null,
          createdAt: iso(t.created_at),
          updatedAt: iso(t.updated_at),
        })),
      );
    });
  });

  it("finds each organization's received ratings: tickets per organization, then one ratings walk", async () => {
    const rated = (o: ZdOrganization): number =>
      ticketsOf(o.id).filter((t) => t.satisfaction_rating?.score === 'good' || t.satisfaction_rating?.score === 'bad').length;
    const sample = [...orgs().filter((o) => rated(o) > 0).slice(0, 10), ...orgs().filter((o) => rated(o) === 0).slice(0, 5)];
    const got = await connector.loadRelated('satisfactionRatings', sample.map((o) => String(o.id)));
    const counts = ops();
    expect(counts['tickets.by_organization']).toBe(15);
    expect(counts['satisfaction_ratings.list']).toBeGreaterThanOrEqual(1);
    sample.forEach((o, i) => {
      const list = got[i]!;
      if (list instanceof Error) throw list;
      const ticketIds = new Set(ticketsOf(o.id).map((t) => t.id));
      const want = world.zendesk.satisfactionRatings
        .filter((r) => ticketIds.has(r.ticket_id) && (r.score === 'good' || r.score === 'bad'))
        .sort((a, b) => b.created_at.localeCompare(a.created_at) || b.id - a.id);
      expect(list).toEqual(want.map((r) => ({ id: String(r.id), score: r.score, comment: r.comment, ticketId: String(r.ticket_id), createdAt: iso(r.created_at) })));
    });

    emu.requests.clear();
    await connector.loadRelated('satisfactionRatings', sample.slice(10).map((o) => String(o.id)));
    expect(ops()).toEqual({ 'tickets.by_organization': 5 }); // nothing rated: no ratings call
  });

  it('resolves users to organizations with one show_many per 100 users', async () => {
    const users = world.zendesk.users.slice(0, 60);
    const keys = [...users.map((u) => String(u.id)), String(unknownOrg), '1.5'];
    const got = await connector.accountOfPerson(keys);
    expect(ops()).toEqual({ 'users.show_many': 1 });
    expect(got.slice(0, 60)).toEqual(users.map((u) => (u.organization_id === null ? null : String(u.organization_id))));
    expect(got[60]).toBeNull();
    expect(got[61]).toBeInstanceOf(InvalidSourceIdError);
  });

  it('scans every organization exactly once with its end-users’ emails', async () => {
    const pages: SourceRecord[][] = [];
    for await (const page of connector.scanAccounts({ pageSize: 40 })) pages.push(page);
    const all = pages.flat();
    expect(all.map((r) => r.id)).toEqual(orgs().map((o) => String(o.id)).sort((a, b) => Number(a) - Number(b)));
    expect(pages.slice(0, -1).every((p) => p.length === 40)).toBe(true);
    for (const o of orgs()) {
      const r = all.find((x) => x.id === String(o.id))!;
      const emails = [...new Set(usersOf(o.id).flatMap((u) => (u.email && u.role === 'end-user' ? [u.email.toLowerCase()] : [])))].sort();
      expect(r).toMatchObject({ ...expected(o), emails });
    }
    expect(ops()).toEqual({
      'users.list': Math.max(1, Math.ceil(world.zendesk.users.length / 100)),
      'organizations.list': Math.ceil(orgs().length / 40),
    });
  });

  it('turns a 429 (which node-zendesk returns, not throws) into a RATE_LIMITED error per key with Retry-After', async () => {
    emu.faults.set({ rateLimitRate: 1, retryAfterSeconds: 7 });
    const keys = [String(orgs()[0]!.id), String(orgs()[1]!.id), 'bad'];
    const got = await connector.loadAccounts(keys);
    expect(got[0]).toBeInstanceOf(SourceRateLimitedError);
    expect(got[1]).toBe(got[0]);
    const e = got[0] as SourceRateLimitedError;
    expect(e.extensions).toEqual({ code: 'RATE_LIMITED', system: 'zendesk' });
    expect(e.retryAfterSeconds).toBe(7);
    expect(e.retryAt?.toISOString()).toBe('2026-01-01T00:00:07.000Z');
    expect(got[2]).toBeInstanceOf(InvalidSourceIdError);
    for (const kind of ['users', 'tickets', 'satisfactionRatings'] as const) {
      const related = await connector.loadRelated(kind, keys.slice(0, 2));
      expect(related.every((r) => r instanceof SourceRateLimitedError)).toBe(true);
    }
    expect((await connector.accountOfPerson([String(world.zendesk.users[0]!.id)]))[0]).toBeInstanceOf(SourceRateLimitedError);
    await expect(connector.ping()).rejects.toBeInstanceOf(SourceRateLimitedError);
  });

  it('turns 5xx answers (502, which node-zendesk would hand back as data) and outages into SOURCE_UNAVAILABLE per key, and a scan into one after its retries', async () => {
    for (const fault of [{ errorRate: 1, errorStatus: 502 }, { errorRate: 1, errorStatus: 500 }, { outage: 'http' as const }]) {
      emu.faults.reset();
      emu.faults.set(fault);
      const got = await connector.loadAccounts([String(orgs()[0]!.id), String(orgs()[1]!.id)]);
      expect(got.every((r) => r instanceof SourceUnavailableError && r.code === 'SOURCE_UNAVAILABLE')).toBe(true);
      const users = await connector.loadRelated('users', [String(orgs()[0]!.id)]);
      expect(users[0]).toBeInstanceOf(SourceUnavailableError);
      // A scan retries a 5xx (src/sources/scan.ts), on a clock that does not wait here, then gives up.
      const scan = connector.scanAccounts({ clock: { now: () => new Date(), sleep: () => Promise.resolve() } })[Symbol.asyncIterator]();
      await expect(scan.next()).rejects.toBeInstanceOf(SourceUnavailableError);
    }
  });

  it('answers ping', async () => {
    await connector.ping();
    expect(ops()).toEqual({ 'organizations.list': 1 });
  });
});

describe('Zendesk connector with a malformed answer', () => {
  // The real SDK over a stand-in transport whose show_many answer has one bad organization.
  const org = (id: number): Record<string, unknown> => ({ id, name: `Org ${id}`, external_id: null, created_at: '2025-01-01T00:00:00Z', updated_at: '2025-03-04T10:11:12Z' });
  const client = zendesk.createClient({
    username: 'x@example.com',
    token: 't',
    endpointUri: 'http://zendesk.invalid/api/v2',
    throwOriginalException: true,
    transportConfig: {
      transportFn: () =>
        Promise.resolve(new Response(JSON.stringify({ organizations: [org(1), { ...org(2), updated_at: 'yesterday' }] }), { status: 200, headers: { 'content-type': 'application/json' } })),
      responseAdapter: (r: Response) => ({ json: () => r.json(), status: r.status, headers: { get: (n: string) => r.headers.get(n) }, statusText: r.statusText }),
    },
  });

  it('fails only the bad record, naming the field', async () => {
    const got = await createZendeskConnector(client).loadAccounts(['1', '2', '3']);
    expect(got[0]).toMatchObject({ id: '1', updatedAt: '2025-03-04T10:11:12.000Z' });
    expect(got[1]).toBeInstanceOf(InvalidSourceRecordError);
    expect((got[1] as InvalidSourceRecordError).field).toBe('updated_at');
    expect(got[2]).toBeNull();
  });
});

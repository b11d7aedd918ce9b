// The change feeds the poller reads, each against its system's emulator with the real SDK:
// Zendesk's incremental exports (organizations, and users: a user without an organization is a
// person change), and Salesforce's getDeleted (whole minutes; the emulator's clock is moved past
// the minute boundary instead of waiting for it), and the ERP's tables by updated_at with its
// deletions table. Deletes come from the delete feeds, never from absence.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateWorld } from '../../src/sandbox/world/generate.ts';
import { startZendeskEmulator, type ZendeskEmulator } from '../../src/sandbox/zendesk/index.ts';
import { startSalesforceEmulator, type SalesforceEmulator } from '../../src/sandbox/salesforce/index.ts';
import { readSystemSettings } from '../../src/config/systems.ts';
import { createZendeskClient } from '../../src/sources/zendesk/client.ts';
import { connectSalesforce, emulatorSettings } from '../support/salesforce.ts';
import pg from 'pg';
import { erpFeeds } from '../../src/sources/erp/feed.ts';
import { salesforceFeeds } from '../../src/sources/salesforce/feed.ts';
import { zendeskFeeds } from '../../src/sources/zendesk/feed.ts';
import { erpSchemaSql } from '../../src/sandbox/erp/schema.ts';
import { testPostgres, uniqueSchema, type TestPostgres } from '../support/postgres.ts';
import type { ChangeFeed } from '../../src/sync/poll.ts';

const world = generateWorld({ customers: 10, seed: 3 });

/** Reads a feed from `position` until it says nothing more is waiting. */
async function readAll(feed: ChangeFeed, position: string): Promise<{ changes: string[]; position: string }> {
  const changes: string[] = [];
  for (let i = 0; i < 10; i++) {
    const page = await feed.read(position);
    changes.push(...page.changes.map((c) => `${c.type}:${c.id}${c.identity === false ? ':related' : ''}`));
    position = page.position;
    if (!page.more) break;
  }
  return { changes, position };
}

describe('Zendesk incremental exports', () => {
  let emu: ZendeskEmulator;
  let clock = Date.now();
  beforeAll(async () => {
    emu = await startZendeskEmulator({ data: world.zendesk, port: 0, incrementalLagSeconds: 0, now: () => new Date(clock) });
  });
  afterAll(async () => {
    await emu?.close();
  });

  it('reads organizations and users changed after the position, and only those', async () => {
    const client = createZendeskClient(readSystemSettings({ ZENDESK_ENDPOINT_URI: emu.endpointUri, ZENDESK_EMAIL: emu.credentials.email, ZENDESK_API_TOKEN: emu.credentials.apiToken }).zendesk!);
    const [orgs, users] = zendeskFeeds(client, () => new Date(clock));
    const orgStart = await orgs!.initial();
    const userStart = await users!.initial();
    clock += 2_000;
    const created = (await client.organizations.create({ organization: { name: 'Feedwater Pumps', domain_names: ['feedwater.example'] } })) as unknown as { result: { id: number } };
    const loner = (await client.users.create({ user: { name: 'Ada Loner', email: 'ada@loner.example' } })) as unknown as { result: { id: number } };
    clock += 2_000;
    const o = await readAll(orgs!, orgStart);
    expect(o.changes).toEqual([`account:${created.result.id}`]);
    const u = await readAll(users!, userStart);
    expect(u.changes).toEqual([`person:${loner.result.id}`]);
    // From the new positions: nothing new (a page's last second may repeat; the queue folds it).
    clock += 2_000;
    expect((await readAll(orgs!, o.position)).changes.filter((c) => c !== `account:${created.result.id}`)).toEqual([]);
  });
});

describe('Salesforce getDeleted', () => {
  let emu: SalesforceEmulator;
  let clock = Date.now();
  beforeAll(async () => {
    emu = await startSalesforceEmulator({ data: world.salesforce, port: 0, now: () => new Date(clock) });
  });
  afterAll(async () => {
    await emu?.close();
  });

  it('names an Account deleted after the position once the minute it fell in is covered', async () => {
    const settings = emulatorSettings(emu);
    const conn = await connectSalesforce(settings);
    const deleted = salesforceFeeds(() => Promise.resolve(conn), () => new Date(clock)).find((f) => f.name === 'deleted')!;
    const start = await deleted.initial();
    const victim = world.salesforce.accounts[2]!.Id;
    clock += 30_000;
    await conn.sobject('Account').destroy(victim);
    // Within the first minute: the window is too short to ask; nothing read, position kept.
    expect(await deleted.read(start)).toEqual({ changes: [], position: start, more: false });
    clock += 120_000;
    const page = await deleted.read(start);
    expect(page.changes).toEqual([{ system: 'salesforce', type: 'account', id: victim, reason: 'poll' }]);
    expect(Date.parse(page.position)).toBeGreaterThan(Date.parse(start));
    // Read again from the new position: not named twice.
    clock += 120_000;
    expect((await deleted.read(page.position)).changes).toEqual([]);
  });

  it('reads a position older than the 30 days Salesforce allows from 30 days back, instead of being refused at every poll', async () => {
    const conn = await connectSalesforce(emulatorSettings(emu));
    const deleted = salesforceFeeds(() => Promise.resolve(conn), () => new Date(clock)).find((f) => f.name === 'deleted')!;
    const fortyDaysAgo = new Date(clock - 40 * 24 * 3600_000).toISOString();
    const victim = world.salesforce.accounts[3]!.Id;
    await conn.sobject('Account').destroy(victim);
    clock += 120_000;
    // Before: INVALID_REPLICATION_DATE ("startDate cannot be more than 30 days ago"), every time.
    const page = await deleted.read(fortyDaysAgo);
    expect(page.changes).toContainEqual({ system: 'salesforce', type: 'account', id: victim, reason: 'poll' });
    expect(Date.parse(page.position)).toBeGreaterThan(clock - 5 * 60_000);
  });
});

describe('ERP: updated_at and the deletions table', () => {
  let pgdb: TestPostgres;
  let pool: pg.Pool;
  const schema = uniqueSchema('erp_feed');

  beforeAll(async () => {
    pgdb = await testPostgres();
    pool = new pg.Pool({ connectionString: pgdb.url, max: 1 });
    await pool.query(erpSchemaSql(schema));
  });
  afterAll(async () => {
    await pool?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await pool?.end();
    await pgdb?.close();
  });

  it('names a changed customer once it is a second old, a removed one from the deletions table, and never one merely absent', async () => {
    const feeds = erpFeeds(pool, schema);
    const customers = feeds.find((f) => f.name === 'customers')!;
    const deletions = feeds.find((f) => f.name === 'deletions')!;
    const [c0, d0] = [await customers.initial(), await deletions.initial()];
    const add = (n: string): Promise<unknown> =>
      pool.query(`INSERT INTO ${schema}.customers (customer_number, legal_name, currency, payment_terms, accounting_status, created_at, updated_at) VALUES ($1, $1, 'USD', 'net30', 'good_standing', now(), now())`, [n]);
    await add('C-FEED-1');
    await add('C-FEED-2');
    // Too young: a transaction committing later with an earlier updated_at could still appear.
    expect((await readAll(customers, c0)).changes).toEqual([]);
    await new Promise((r) => setTimeout(r, 1_100));
    const read = await readAll(customers, c0);
    expect(read.changes.sort()).toEqual(['account:C-FEED-1', 'account:C-FEED-2']);
    expect((await readAll(customers, read.position)).changes).toEqual([]);
    await pool.query(`DELETE FROM ${schema}.customers WHERE customer_number = 'C-FEED-2'`);
    // The deletion is in its feed; the customers feed says nothing of a row that is not there.
    expect((await readAll(deletions, d0)).changes).toEqual(['account:C-FEED-2']);
    expect((await readAll(customers, read.position)).changes).toEqual([]);
  });
});

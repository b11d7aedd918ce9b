// A page of a large list costs its own rows (issue 8, item 22): while a backfill walks every
// account, each further page must not re-read, re-sort or copy the whole store, or the
// emulator's one event loop stalls every other caller. Counted, not timed: each store says how
// many stored records its reads walked over (`examined`), and the connectors scan through their
// real SDKs over loopback, as the backfill does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateWorld } from '../../src/sandbox/world/index.ts';
import { startSalesforceEmulator, type SalesforceEmulator } from '../../src/sandbox/salesforce/index.ts';
import { startStripeEmulator, type StripeEmulator } from '../../src/sandbox/stripe/index.ts';
import { startZendeskEmulator, type ZendeskEmulator } from '../../src/sandbox/zendesk/index.ts';
import { connectSalesforce } from '../support/salesforce.ts';
import { createSalesforceConnector } from '../../src/sources/salesforce/index.ts';
import { createStripeClient } from '../../src/sources/stripe/client.ts';
import { createStripeConnector } from '../../src/sources/stripe/index.ts';
import { createZendeskClient } from '../../src/sources/zendesk/client.ts';
import { createZendeskConnector } from '../../src/sources/zendesk/index.ts';
import type { SourceConnector } from '../../src/sources/types.ts';
import { ZendeskStore } from '../../src/sandbox/zendesk/store.ts';

const world = generateWorld({ customers: 3000, seed: 8 });
let salesforce: SalesforceEmulator;
let stripe: StripeEmulator;
let zendesk: ZendeskEmulator;

beforeAll(async () => {
  [salesforce, stripe, zendesk] = await Promise.all([
    startSalesforceEmulator({ data: world.salesforce }),
    startStripeEmulator({ data: world.stripe }),
    startZendeskEmulator({ data: world.zendesk }),
  ]);
}, 120_000);

afterAll(async () => {
  await Promise.all([salesforce?.close(), stripe?.close(), zendesk?.close()]);
});

/** A jsforce connection to the emulator, logged in as the connector logs in. */
const salesforceConnection = (): ReturnType<typeof connectSalesforce> =>
  connectSalesforce({
    loginUrl: salesforce.url,
    apiVersion: '59.0',
    oauth: { clientId: salesforce.credentials.clientId, clientSecret: salesforce.credentials.clientSecret, username: salesforce.credentials.username, password: salesforce.credentials.password },
    session: null,
  });

/** Records examined by the store while each page of a full scan was fetched (the first page included). */
async function perPage(connector: SourceConnector, examined: () => number, pageSize: number): Promise<{ pages: number[]; records: number }> {
  const pages: number[] = [];
  let records = 0;
  let before = examined();
  for await (const page of connector.scanAccounts({ pageSize })) {
    pages.push(examined() - before);
    records += page.length;
    before = examined();
  }
  return { pages, records };
}

describe('a page of a large list examines about its own rows', () => {
  it('Salesforce: queryMore pages of an account query with contact and opportunity subqueries read each page’s children, not every child per parent', async () => {
    const conn = await salesforceConnection();
    const { pages, records } = await perPage(createSalesforceConnector(conn), () => salesforce.store.examined, 200);
    expect(records).toBe(world.salesforce.accounts.length);
    const children = world.salesforce.contacts.length + world.salesforce.opportunities.length;
    // Every page after the first: its 200 accounts' own contacts and opportunities only.
    for (const n of pages.slice(1)) expect(n).toBeLessThan(200 * 20);
    // The whole scan: the selection once, plus one pass over each child object for its index.
    expect(pages.reduce((a, b) => a + b, 0)).toBeLessThan(3 * (records + children));
  });

  it('Stripe: customer list pages with expanded subscriptions neither re-sort the customers nor scan every subscription per customer', async () => {
    const client = createStripeClient({ apiKey: stripe.credentials.apiKey, apiBase: new URL(stripe.url), webhookSecret: null }, { maxNetworkRetries: 0 });
    const { pages, records } = await perPage(createStripeConnector(client), () => stripe.store.examined, 100);
    expect(records).toBe(world.stripe.customers.length);
    for (const n of pages.slice(1)) expect(n).toBeLessThan(100 * 10);
    expect(pages.reduce((a, b) => a + b, 0)).toBeLessThan(3 * (records + world.stripe.subscriptions.length));
  });

  it('Zendesk: cursor pages of organizations and end-users walk from the cursor and copy only the page', async () => {
    const client = createZendeskClient({ endpointUri: zendesk.endpointUri, email: zendesk.credentials.email, apiToken: zendesk.credentials.apiToken, webhookSecret: null });
    const { pages, records } = await perPage(createZendeskConnector(client), () => zendesk.store.examined, 100);
    expect(records).toBe(world.zendesk.organizations.length);
    for (const n of pages.slice(1)) expect(n).toBeLessThan(100 * 3);
    // The first page includes the walk over every end-user (100 per page) that gathers e-mails.
    expect(pages.reduce((a, b) => a + b, 0)).toBeLessThan(3 * (records + world.zendesk.users.length + world.zendesk.agents.length));
  });
});

describe('a read by Id examines those records', () => {
  it('Salesforce: the gateway’s account read (WHERE Id IN …, queryAll) examines its accounts and their children, not the org', async () => {
    const conn = await salesforceConnection();
    const connector = createSalesforceConnector(conn);
    await connector.loadAccounts([world.salesforce.accounts[0]!.Id]); // the describe, once
    // Three accounts from across the org, asked out of creation order, plus an id of no account.
    const picked = [world.salesforce.accounts[2500]!, world.salesforce.accounts[7]!, world.salesforce.accounts[1200]!];
    const before = salesforce.store.examined;
    const got = await connector.loadAccounts([...picked.map((a) => a.Id), '001000000000000AAA']);
    const examined = salesforce.store.examined - before;
    expect(got.map((r) => (r instanceof Error || r === null ? r : r.id))).toEqual([...picked.map((a) => a.Id), null]);
    // The accounts themselves and their children; a scan of the org's accounts would be thousands.
    expect(examined).toBeLessThan(100);
    // What the index answers is what the WHERE answers: the same query without the index (an
    // Id condition under OR is not narrowed) gives the same records in the same order.
    const ids = picked.map((a) => `'${a.Id}'`).join(', ');
    const narrowed = await conn.query<{ Id: string }>(`SELECT Id FROM Account WHERE Id IN (${ids})`);
    const scanned = await conn.query<{ Id: string }>(`SELECT Id FROM Account WHERE Id IN (${ids}) OR Name = 'no such name at all'`);
    expect(narrowed.records.map((r) => r.Id)).toEqual(scanned.records.map((r) => r.Id));
    expect(narrowed.records.map((r) => r.Id)).toEqual([picked[1]!.Id, picked[2]!.Id, picked[0]!.Id]); // creation order
    // A 15-character id, a contact's id in an account query, and = as well as IN.
    const one = await conn.query<{ Id: string }>(`SELECT Id FROM Account WHERE Id = '${picked[0]!.Id.slice(0, 15)}'`);
    expect(one.records.map((r) => r.Id)).toEqual([picked[0]!.Id]);
    const contact = world.salesforce.contacts[0]!;
    expect((await conn.query(`SELECT Id FROM Account WHERE Id = '${contact.Id}'`)).totalSize).toBe(0);
    // A reference the same way: the contacts of those accounts (the index the account read's
    // Contacts subquery built), the same records as the scan, in creation order.
    const atStart = salesforce.store.examined;
    const contacts = await conn.query<{ Id: string }>(`SELECT Id, AccountId FROM Contact WHERE AccountId IN (${ids}) AND IsDeleted = false`);
    expect(salesforce.store.examined - atStart).toBeLessThan(100);
    const contactsScanned = await conn.query<{ Id: string }>(`SELECT Id, AccountId FROM Contact WHERE (AccountId IN (${ids}) OR Name = 'no such name at all') AND IsDeleted = false`);
    expect(contacts.records.map((r) => r.Id)).toEqual(contactsScanned.records.map((r) => r.Id));
    const expected = world.salesforce.contacts.filter((c) => c.IsDeleted !== true && picked.some((a) => a.Id === c.AccountId)).map((c) => c.Id);
    expect(contacts.records.map((r) => r.Id)).toEqual(expected);
    expect(expected.length).toBeGreaterThan(0);
  });
});

describe('a 100,000-customer world', () => {
  it('fits the Zendesk store: it starts with 300,000 users (the standalone sandbox overflowed the stack on Math.max(...ids))', () => {
    const user = world.zendesk.users[0]!;
    const users = Array.from({ length: 300_000 }, (_, i) => ({ ...user, id: 10_000_000 + i, email: `u${i}@example.com` }));
    const store = new ZendeskStore({ ...world.zendesk, users });
    expect(store.userRows().length).toBe(300_000 + world.zendesk.agents.length);
  });
});

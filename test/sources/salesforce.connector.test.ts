// The Salesforce connector against the Salesforce emulator seeded with a generated world,
// through the production client set-up (jsforce, OAuth password grant). Every expectation is
// computed from the world's own records.
import type { Connection } from 'jsforce';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateWorld } from '../../src/sandbox/world/generate.ts';
import type { SfAccount, SfContact, SfOpportunity, World } from '../../src/sandbox/world/types.ts';
import { startSalesforceEmulator, type SalesforceEmulator } from '../../src/sandbox/salesforce/index.ts';
import { salesforceId } from '../../src/sandbox/kit/ids.ts';
import { connectSalesforce, emulatorSettings } from '../support/salesforce.ts';
import { createSalesforceConnector } from '../../src/sources/salesforce/index.ts';
import { InvalidSourceIdError, InvalidSourceRecordError, SourceRateLimitedError, SourceUnavailableError } from '../../src/sources/errors.ts';
import type { SourceConnector, SourceRecord } from '../../src/sources/types.ts';

const iso = (sf: string): string => new Date(sf).toISOString();

describe('Salesforce connector', () => {
  let world: World;
  let emu: SalesforceEmulator;
  let conn: Connection;
  let connector: SourceConnector<'salesforce'>;

  beforeAll(async () => {
    // 260 customers → ~240 accounts: more than one 200-row page, so queryMore and id chunking run.
    world = generateWorld({ customers: 260, seed: 5 });
    emu = await startSalesforceEmulator({ data: world.salesforce, port: 0 });
    const settings = emulatorSettings(emu, { SALESFORCE_API_VERSION: '59.0' });
    conn = await connectSalesforce(settings);
    connector = createSalesforceConnector(conn);
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

  const live = (): SfAccount[] => world.salesforce.accounts.filter((a) => !a.IsDeleted);
  const deleted = (): SfAccount[] => world.salesforce.accounts.filter((a) => a.IsDeleted);
  const contactsOf = (accountId: string): SfContact[] =>
    world.salesforce.contacts
      .filter((c) => c.AccountId === accountId && !c.IsDeleted)
      .sort((a, b) => a.CreatedDate.localeCompare(b.CreatedDate) || a.Id.localeCompare(b.Id));
  const opportunitiesOf = (accountId: string): SfOpportunity[] => world.salesforce.opportunities.filter((o) => o.AccountId === accountId && !o.IsDeleted);
  const ops = (): Record<string, number> => {
    const { 'oauth.token': _login, ...rest } = emu.requests.countsByOperation();
    return rest;
  };

  /** What the connector must say about an account, computed from the world. */
  function expected(a: SfAccount): Partial<SourceRecord> & { data: Record<string, unknown> } {
    const owner = world.salesforce.users.find((u) => u.Id === a.OwnerId)!;
    const won = opportunitiesOf(a.Id).filter((o) => o.IsWon && o.Amount !== null);
    const contacts = contactsOf(a.Id);
    const xrefs = [
      ['Stripe_Customer_Id__c', 'stripe'],
      ['ERP_Customer_Number__c', 'erp'],
      ['Zendesk_Organization_Id__c', 'zendesk'],
      ['MasterRecordId', 'salesforce'],
    ]
      .map(([field, system]) => ({ field: field!, system, id: (a as unknown as Record<string, string | null>)[field!] }))
      .filter((x) => x.id !== null && x.id !== undefined && x.id !== '');
    return {
      system: 'salesforce',
      type: 'Account',
      id: a.Id,
      deleted: a.IsDeleted,
      updatedAt: iso(a.LastModifiedDate),
      xrefs: xrefs as SourceRecord['xrefs'],
      emails: [...new Set(contacts.map((c) => c.Email?.toLowerCase()).filter((e): e is string => !!e))],
      data: {
        Name: a.Name,
        Industry: a.Industry,
        Owner: { Name: owner.Name, Email: owner.Email },
        ClosedWonTotal: won.length === 0 ? null : Math.round(won.reduce((s, o) => s + o.Amount!, 0) * 100) / 100,
        Contacts: contacts.map((c): unknown => expect.objectContaining({ Id: c.Id, Email: c.Email, Name: c.Name })),
      },
    };
  }

  it('loads 50 accounts with one queryAll, in key order, with derived fields from the world', async () => {
    // Include every account with a recycled won opportunity or contact: sums and lists must skip them.
    const tricky = new Set([
      ...world.salesforce.opportunities.filter((o) => o.IsDeleted && o.IsWon).map((o) => o.AccountId),
      ...world.salesforce.contacts.filter((c) => c.IsDeleted).map((c) => c.AccountId),
    ]);
    const others = live().filter((a) => !tricky.has(a.Id));
    const accounts = [...live().filter((a) => tricky.has(a.Id)), ...deleted().slice(0, 2)];
    accounts.push(...others.slice(0, 50 - accounts.length));
    expect(tricky.size).toBeGreaterThan(3);
    expect(accounts).toHaveLength(50);
    const keys = accounts.map((a) => a.Id).reverse();
    const got = await connector.loadAccounts(keys);

    // The first read also asks which custom fields the org has (once per connector).
    expect(ops()).toEqual({ 'sobject.describe': 1, queryAll: 1 });
    expect(got).toHaveLength(50);
    got.forEach((r, i) => {
      const a = accounts.find((x) => x.Id === keys[i])!;
      const e = expected(a);
      expect(r).not.toBeInstanceOf(Error);
      const data: unknown = expect.objectContaining(e.data);
      expect(r).toMatchObject({ ...e, data });
      expect((r as SourceRecord).data).not.toHaveProperty('attributes');
      expect((r as SourceRecord).updatedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    });
    // The planted deleted duplicate opportunities must not count.
    expect(got.filter((r) => r !== null && !(r instanceof Error) && r.deleted).length).toBe(2);
  });

  it('answers null for unknown ids, an Error only for the malformed key, and accepts 15-char ids', async () => {
    const a = live()[3]!;
    const unknown = salesforceId('001', 987_654_321);
    const contactId = world.salesforce.contacts[0]!.Id;
    const badChecksum = `${a.Id.slice(0, 15)}ZZZ`;
    const keys = [a.Id.slice(0, 15), 'not-an-id', unknown, "001' OR Name != '", contactId, badChecksum, a.Id];
    const got = await connector.loadAccounts(keys);
    expect(ops()).toEqual({ queryAll: 1 });
    expect(got[0]).toMatchObject({ id: a.Id });
    expect(got[1]).toBeInstanceOf(InvalidSourceIdError);
    expect((got[1] as InvalidSourceIdError).code).toBe('BAD_USER_INPUT');
    expect(got[2]).toBeNull();
    expect(got[3]).toBeInstanceOf(InvalidSourceIdError);
    expect(got[4]).toBeNull(); // a Contact id names no Account
    expect(got[5]).toBeInstanceOf(InvalidSourceIdError);
    expect(got[6]).toMatchObject({ id: a.Id });
  });

  it('splits more than 200 ids into one query per 200', async () => {
    const keys = world.salesforce.accounts.map((a) => a.Id);
    expect(keys.length).toBeGreaterThan(200);
    const padded = [...keys, ...Array.from({ length: 400 - keys.length }, (_, i) => salesforceId('001', 900_000_000 + i))];
    const got = await connector.loadAccounts(padded);
    expect(ops()).toEqual({ queryAll: 2 });
    expect(got.slice(0, keys.length).every((r) => r !== null && !(r instanceof Error))).toBe(true);
    expect(got.slice(keys.length).every((r) => r === null)).toBe(true);
  });

  it('groups contacts and opportunities per account with one query per kind', async () => {
    const accounts = live().slice(10, 40);
    const keys = [...accounts.map((a) => a.Id), 'bad', salesforceId('001', 987_654_321)];

    const contacts = await connector.loadRelated('contacts', keys);
    expect(ops()).toEqual({ query: 1 });
    accounts.forEach((a, i) => {
      const list = contacts[i]!;
      if (list instanceof Error) throw list;
      expect(list.map((p) => p.id)).toEqual(contactsOf(a.Id).map((c) => c.Id));
      for (const p of list) {
        const c = world.salesforce.contacts.find((x) => x.Id === p.id)!;
        expect(p).toMatchObject({ system: 'salesforce', type: 'Contact', accountId: a.Id, email: c.Email, name: c.Name, updatedAt: iso(c.LastModifiedDate) });
      }
    });
    expect(contacts[30]).toBeInstanceOf(InvalidSourceIdError);
    expect(contacts[31]).toEqual([]);

    emu.requests.clear();
    const opportunities = await connector.loadRelated('opportunities', keys);
    expect(ops()).toEqual({ query: 1 });
    accounts.forEach((a, i) => {
      const list = opportunities[i]!;
      if (list instanceof Error) throw list;
      const want = opportunitiesOf(a.Id);
      expect(list.map((o) => o.id).sort()).toEqual(want.map((o) => o.Id).sort());
      for (const o of list) {
        const w = want.find((x) => x.Id === o.id)!;
        const owner = world.salesforce.users.find((u) => u.Id === w.OwnerId)!;
        expect(o).toEqual({
          id: w.Id,
          system: 'salesforce',
          name: w.Name,
          stage: w.StageName,
          amount: w.Amount === null ? null : { amount: w.Amount.toFixed(2), minorUnits: Math.round(w.Amount * 100), currency: 'USD' },
          closeDate: w.CloseDate,
          isClosed: w.IsClosed,
          isWon: w.IsWon,
          ownerName: owner.Name,
          ownerEmail: owner.Email,
        });
      }
    });
    expect(opportunities[30]).toBeInstanceOf(InvalidSourceIdError);
    expect(opportunities[31]).toEqual([]);
  });

  it('resolves contacts to their accounts with one query', async () => {
    const contacts = world.salesforce.contacts.filter((c) => !c.IsDeleted).slice(0, 40);
    const keys = [...contacts.map((c) => c.Id), salesforceId('003', 987_654_321), 'nope', world.salesforce.accounts[0]!.Id];
    const got = await connector.accountOfPerson(keys);
    expect(ops()).toEqual({ query: 1 });
    expect(got.slice(0, 40)).toEqual(contacts.map((c) => c.AccountId));
    expect(got[40]).toBeNull();
    expect(got[41]).toBeInstanceOf(InvalidSourceIdError);
    expect(got[42]).toBeNull(); // an Account id is not a Contact
  });

  it('scans every account, deleted duplicates included, exactly once, in pages of the asked size', async () => {
    const pages: SourceRecord[][] = [];
    for await (const page of connector.scanAccounts({ pageSize: 50 })) pages.push(page);
    const ids = pages.flat().map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(world.salesforce.accounts.map((a) => a.Id).sort());
    expect(pages.slice(0, -1).every((p) => p.length === 50)).toBe(true);
    expect(pages.flat().filter((r) => r.deleted).map((r) => r.id).sort()).toEqual(deleted().map((a) => a.Id).sort());
    // batchSize is clamped to Salesforce's minimum of 200: one queryAll, then queryMore per 200.
    expect(ops()).toEqual({ queryAll: 1, queryMore: Math.ceil(world.salesforce.accounts.length / 200) - 1 });
    const sample = pages.flat().find((r) => r.id === live()[0]!.Id)!;
    expect(sample).toMatchObject(expected(live()[0]!));
  });

  it('turns a rate limit (403 REQUEST_LIMIT_EXCEEDED) into a RATE_LIMITED error per key, not data', async () => {
    emu.faults.set({ rateLimitRate: 1 });
    const keys = [live()[0]!.Id, live()[1]!.Id, 'bad'];
    const got = await connector.loadAccounts(keys);
    expect(got[0]).toBeInstanceOf(SourceRateLimitedError);
    expect(got[1]).toBe(got[0]);
    expect((got[0] as SourceRateLimitedError).extensions).toEqual({ code: 'RATE_LIMITED', system: 'salesforce' });
    expect(got[2]).toBeInstanceOf(InvalidSourceIdError);
    const related = await connector.loadRelated('contacts', keys.slice(0, 2));
    expect(related.every((r) => r instanceof SourceRateLimitedError)).toBe(true);
    await expect(connector.ping()).rejects.toBeInstanceOf(SourceRateLimitedError);
  });

  it('turns a server error into a SOURCE_UNAVAILABLE error per key', async () => {
    // 501 is not in jsforce's retry list, so the answer comes back at once (500/503 retry for ~15 s).
    emu.faults.set({ errorRate: 1, errorStatus: 501 });
    const got = await connector.loadAccounts([live()[0]!.Id, live()[1]!.Id]);
    expect(got.every((r) => r instanceof SourceUnavailableError && r.code === 'SOURCE_UNAVAILABLE')).toBe(true);
    const scan = connector.scanAccounts()[Symbol.asyncIterator]();
    await expect(scan.next()).rejects.toBeInstanceOf(SourceUnavailableError);
  });

  it('answers ping', async () => {
    await connector.ping();
    expect(ops()).toEqual({ query: 1 });
  });
});

describe('Salesforce connector with a malformed answer', () => {
  // A stand-in Connection whose query answer has one record that breaks the schema.
  const good = (id: string): Record<string, unknown> => ({
    attributes: { type: 'Account', url: '' },
    Id: id,
    Name: 'Good Co',
    Phone: null,
    Website: null,
    Industry: null,
    Type: null,
    NumberOfEmployees: 10,
    AnnualRevenue: null,
    BillingStreet: null,
    BillingCity: null,
    BillingState: null,
    BillingPostalCode: null,
    BillingCountry: null,
    OwnerId: salesforceId('005', 1),
    Stripe_Customer_Id__c: null,
    ERP_Customer_Number__c: null,
    Zendesk_Organization_Id__c: null,
    Meridian_Id__c: null,
    IsDeleted: false,
    MasterRecordId: null,
    CreatedDate: '2025-01-01T00:00:00.000+0000',
    LastModifiedDate: '2025-03-04T10:11:12.000+0000',
    SystemModstamp: '2025-03-04T10:11:12.000+0000',
    Owner: null,
    Contacts: null,
    Opportunities: null,
  });
  const a = salesforceId('001', 1);
  const b = salesforceId('001', 2);
  const fake = {
    // The query resource's answer (the reader GETs it through jsforce's request).
    request: () => Promise.resolve({ totalSize: 2, done: true, records: [good(a), { ...good(b), NumberOfEmployees: 'many' }] }),
    sobject: () => ({ describe: () => Promise.resolve({ fields: [] }) }),
  } as unknown as Connection;

  it('fails only the bad record, naming the field', async () => {
    const got = await createSalesforceConnector(fake).loadAccounts([a, b]);
    expect(got[0]).toMatchObject({ id: a, updatedAt: '2025-03-04T10:11:12.000Z', data: { Owner: null, Contacts: [], ClosedWonTotal: null } });
    expect(got[1]).toBeInstanceOf(InvalidSourceRecordError);
    expect((got[1] as InvalidSourceRecordError).field).toBe('NumberOfEmployees');
    expect((got[1] as Error).message).toContain('NumberOfEmployees');
  });
});

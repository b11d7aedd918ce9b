// An org is not required to have Meridian's custom Account fields. The connector asks the org
// which it has (describe, once, at first use) and selects only those; the emulator can run an
// org without them, so the proof is the real SDK against a faithful answer.
import type { Connection } from 'jsforce';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { generateWorld } from '../../src/sandbox/world/generate.ts';
import type { World } from '../../src/sandbox/world/types.ts';
import { startSalesforceEmulator, type SalesforceEmulator } from '../../src/sandbox/salesforce/index.ts';
import { connectSalesforce, emulatorSettings } from '../support/salesforce.ts';
import { createSalesforceConnector } from '../../src/sources/salesforce/index.ts';
import type { SourceRecord } from '../../src/sources/types.ts';
import { startTestApp, type TestApp } from '../support/app.ts';

// Meridian's custom Account fields (docs/deploy.md, "What the Salesforce org needs").
const CUSTOM = ['Stripe_Customer_Id__c', 'ERP_Customer_Number__c', 'Zendesk_Organization_Id__c', 'Meridian_Id__c'];
const WITHOUT_CUSTOM = CUSTOM.map((f) => `Account.${f}`);

async function connect(emu: SalesforceEmulator): Promise<Connection> {
  const settings = emulatorSettings(emu, { SALESFORCE_API_VERSION: '59.0' });
  return connectSalesforce(settings);
}

async function scanAll(scan: AsyncIterable<SourceRecord[]>): Promise<SourceRecord[]> {
  const out: SourceRecord[] = [];
  for await (const page of scan) out.push(...page);
  return out;
}

describe('Salesforce emulator: an org without the custom fields', () => {
  let world: World;
  let emu: SalesforceEmulator;
  let conn: Connection;

  beforeAll(async () => {
    world = generateWorld({ customers: 40, seed: 8 });
    emu = await startSalesforceEmulator({ data: world.salesforce, port: 0, omitFields: WITHOUT_CUSTOM });
    conn = await connect(emu);
  });
  afterAll(async () => {
    await emu?.close();
  });

  it('describe leaves them out and keeps the standard fields with their real shape', async () => {
    const d = await conn.sobject('Account').describe();
    const names = d.fields.map((f) => f.name);
    for (const f of CUSTOM) expect(names).not.toContain(f);
    const website = d.fields.find((f) => f.name === 'Website');
    expect(website).toMatchObject({ name: 'Website', type: 'url', custom: false, nillable: true });
  });

  it('SOQL naming one is refused with INVALID_FIELD, as Salesforce does', async () => {
    await expect(conn.query('SELECT Id, Stripe_Customer_Id__c FROM Account LIMIT 1')).rejects.toMatchObject({ errorCode: 'INVALID_FIELD' });
    const rows = await conn.query<Record<string, unknown>>('SELECT FIELDS(CUSTOM) FROM Account LIMIT 5');
    for (const r of rows.records) for (const f of CUSTOM) expect(r).not.toHaveProperty(f);
  });

  it('a write naming one is refused with INVALID_FIELD', async () => {
    await expect(conn.sobject('Account').create({ Name: 'No Custom Fields Inc', Meridian_Id__c: 'gc_1' })).rejects.toMatchObject({ errorCode: 'INVALID_FIELD' });
  });
});

describe('Salesforce connector: custom fields found by describe', () => {
  let world: World;
  let full: SalesforceEmulator;
  let bare: SalesforceEmulator;

  beforeAll(async () => {
    world = generateWorld({ customers: 60, seed: 8 });
    [full, bare] = await Promise.all([
      startSalesforceEmulator({ data: world.salesforce, port: 0 }),
      startSalesforceEmulator({ data: world.salesforce, port: 0, omitFields: WITHOUT_CUSTOM }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([full?.close(), bare?.close()]);
  });
  afterEach(() => {
    full.faults.reset();
    bare.faults.reset();
  });

  it('an org without them: accounts load and scan, with no cross-references from them, and one line says what is missing and what it costs', async () => {
    const missing: string[][] = [];
    const messages: string[] = [];
    const connector = createSalesforceConnector(await connect(bare), {
      onMissingFields: (message, fields) => {
        messages.push(message);
        missing.push([...fields]);
      },
    });
    bare.requests.clear();
    const ids = world.salesforce.accounts.filter((a) => !a.IsDeleted).map((a) => a.Id);
    const loaded = await connector.loadAccounts(ids);
    expect(loaded.filter((r) => r instanceof Error)).toEqual([]);
    expect(loaded.every((r) => r !== null)).toBe(true);
    const scanned = await scanAll(connector.scanAccounts({ pageSize: 25 }));
    expect(scanned.length).toBe(world.salesforce.accounts.length);
    const xrefFields = new Set(scanned.flatMap((r) => r.xrefs.map((x) => x.field)));
    for (const f of CUSTOM) expect(xrefFields).not.toContain(f);
    expect(missing).toEqual([CUSTOM]);
    expect(messages[0]).toMatch(/Stripe_Customer_Id__c: exact links to the Stripe customer/);
    // Described once for both reads.
    expect(bare.requests.countsByOperation()['sobject.describe']).toBe(1);
  });

  it('an org with them: they are selected and their cross-references read, and nothing is reported missing', async () => {
    const onMissingFields = vi.fn();
    const connector = createSalesforceConnector(await connect(full), { onMissingFields });
    const scanned = await scanAll(connector.scanAccounts({ pageSize: 200 }));
    const withStripeRef = world.salesforce.accounts.filter((a) => a.Stripe_Customer_Id__c).length;
    expect(withStripeRef).toBeGreaterThan(0);
    expect(scanned.filter((r) => r.xrefs.some((x) => x.field === 'Stripe_Customer_Id__c')).length).toBe(withStripeRef);
    expect(onMissingFields).not.toHaveBeenCalled();
  });

  it('a failed describe fails that read with the system named, and is asked again next time', async () => {
    const connector = createSalesforceConnector(await connect(full), { onMissingFields: () => undefined });
    const id = world.salesforce.accounts.find((a) => !a.IsDeleted)!.Id;
    full.requests.clear();
    // 403 REQUEST_LIMIT_EXCEEDED: Salesforce's rate limit, which jsforce does not retry.
    full.faults.set({ rateLimitRate: 1 });
    const [failed] = await connector.loadAccounts([id]);
    expect(failed).toBeInstanceOf(Error);
    expect((failed as Error & { system?: string }).system).toBe('salesforce');
    full.faults.reset();
    const [ok] = await connector.loadAccounts([id]);
    expect(ok).toMatchObject({ system: 'salesforce', id });
    expect(full.requests.countsByOperation()['sobject.describe']).toBe(2);
  });
});

describe('the gateway on an org without the custom fields', () => {
  let app: TestApp;
  // The gateway's own log (not the console): what it says of the missing fields.
  const logged: { msg: string; extra: Record<string, unknown> }[] = [];
  const logger = { info: () => undefined, error: (msg: string, extra: Record<string, unknown> = {}) => void logged.push({ msg, extra }) };

  beforeAll(async () => {
    app = await startTestApp({ customers: 60, seed: 8, sandboxOptions: { salesforceOmitFields: WITHOUT_CUSTOM }, logger });
  }, 120_000);
  afterAll(async () => {
    await app?.close();
  });

  it('backfills at start and answers customer queries, Salesforce fields included', async () => {
    expect(app.backfill).not.toBeNull();
    const sf = app.sandbox!.world.salesforce.accounts.find((a) => !a.IsDeleted)!;
    const r = await app.gql<{ customerBySource: { name: string; sources: { system: string; externalId: string; matchRule: string }[] } }>(
      `{ customerBySource(system: SALESFORCE, externalId: "${sf.Id}") { name sources { system externalId matchRule } } }`,
    );
    expect(r.errors).toEqual([]);
    expect(r.data?.customerBySource.sources).toContainEqual(expect.objectContaining({ system: 'SALESFORCE', externalId: sf.Id }));
    // No link can come from a field the org does not have.
    expect(r.data?.customerBySource.sources.map((s) => s.matchRule).filter((m) => /__c$/.test(m))).toEqual([]);
    const list = await app.gql<{ customers: { totalCount: number } }>('{ customers(first: 5) { totalCount edges { node { id name lifecycle } } } }');
    expect(list.errors).toEqual([]);
    expect(list.data?.customers.totalCount).toBeGreaterThan(0);
    const missing = logged.filter((l) => l.msg === 'salesforce custom fields missing');
    expect(missing).toHaveLength(1);
    expect(String(missing[0]!.extra['detail'])).toContain('Account has no Stripe_Customer_Id__c');
  });
});

// Survivorship rules, lineage and conflict classification on small hand-made customers.
import { describe, expect, it } from 'vitest';
import { loadFieldSpec, parseFieldSpec } from '../../src/mapping/index.ts';
import { mergeGoldenRecord } from '../../src/merge/index.ts';
import type { FieldLineage, GoldenRecord } from '../../src/merge/index.ts';
import type { SourceRecord, SystemId } from '../../src/sources/types.ts';

const TYPES: Record<SystemId, string> = { salesforce: 'Account', stripe: 'customer', zendesk: 'organization', erp: 'erp_customer' };

function rec(system: SystemId, id: string, updatedAt: string, data: Record<string, unknown>, deleted = false): SourceRecord {
  return { system, type: TYPES[system], id, updatedAt, data, xrefs: [], emails: [], deleted };
}

const spec = loadFieldSpec();
const lineageOf = (g: GoldenRecord, field: string): FieldLineage => g.lineage.find((l) => l.field === field)!;

const sf = (over: Record<string, unknown> = {}, updatedAt = '2025-03-01T00:00:00.000Z', id = '001A'): SourceRecord =>
  rec('salesforce', id, updatedAt, {
    Id: id, Name: 'ACME Corp.', Phone: '(415) 555-0134', Website: 'www.acme.com', Industry: 'Technology', Type: 'Customer - Direct',
    NumberOfEmployees: 120, BillingStreet: '500 Market St\nSte 400', BillingCity: 'San Francisco', BillingState: 'California',
    BillingPostalCode: '94105', BillingCountry: 'USA', CreatedDate: '2024-01-01T00:00:00.000+0000',
    Owner: { Name: 'Dana Scully', Email: 'dana@vendor.example' },
    Contacts: [{ Id: '003A', FirstName: 'Jon', LastName: 'Smith', Name: 'Jon Smith', Email: 'Jon.Smith@Acme.com', Phone: null, Title: 'CFO', CreatedDate: '2024-01-01T00:05:00.000+0000' }],
    ClosedWonTotal: 50000, ...over,
  });
const stripe = (over: Record<string, unknown> = {}, created = '2025-02-01T00:00:00.000Z', id = 'cus_A'): SourceRecord =>
  rec('stripe', id, created, {
    id, name: 'Acme Corporation', email: 'jon.smith@acme.com', phone: '+1 415 555 0134', currency: 'usd', delinquent: false,
    address: { line1: '500 Market Street', line2: 'Suite 400', city: 'San Francisco', state: 'CA', postal_code: '94105', country: 'US' },
    subscriptions: { object: 'list', data: [{ id: 'sub_1', status: 'active' }] }, ...over,
  });
const erp = (over: Record<string, unknown> = {}, updatedAt = '2025-04-01T00:00:00.000Z'): SourceRecord =>
  rec('erp', 'C-000001', updatedAt, {
    customer_number: 'C-000001', legal_name: 'Acme Corporation, Inc.', billing_email: ' JON.SMITH@ACME.COM', billing_contact: 'Jon Smith',
    phone: '4155550134', address_line1: '500 Market St', address_line2: '#400', city: 'San Francisco', region: 'CA', postal_code: '94105',
    country: 'US', currency: 'USD', accounting_status: 'good_standing', contract_total: '45000.00', has_active_contract: true, ...over,
  });
const zd = (over: Record<string, unknown> = {}): SourceRecord =>
  rec('zendesk', '360000000001', '2025-01-15T00:00:00Z', { id: 360000000001, name: 'acme corporation', domain_names: ['acme.com'], ...over });

describe('a customer every system agrees on', () => {
  const g = mergeGoldenRecord('G1', [sf(), stripe(), erp(), zd()], spec);

  it('holds canonical values that fit the GraphQL types', () => {
    expect(g.fields).toEqual({
      name: 'Acme Corporation',
      company: 'Acme Corporation, Inc.',
      domain: 'acme.com',
      website: 'https://acme.com',
      email: 'jon.smith@acme.com',
      phone: '+14155550134',
      address: { line1: '500 Market Street', line2: 'Suite 400', city: 'San Francisco', region: 'CA', postalCode: '94105', country: 'US' },
      // The ERP has no title; the Salesforce contact with the same e-mail completes it.
      billingContact: { name: 'Jon Smith', email: 'jon.smith@acme.com', phone: null, title: 'CFO' },
      industry: 'Technology',
      employees: 120,
      lifecycle: 'ACTIVE',
      contractValue: { amount: '45000.00', minorUnits: 4500000, currency: 'USD' },
      currency: 'USD',
      accountingStatus: 'GOOD_STANDING',
      paymentStatus: 'CURRENT',
      accountOwner: { name: 'Dana Scully', email: 'dana@vendor.example', system: 'SALESFORCE' },
    });
  });

  it('has one lineage entry per field, in spec order, and lists every record as a source', () => {
    expect(g.lineage.map((l) => l.field)).toEqual(Object.keys(spec.fields));
    expect(g.sources).toEqual([
      { system: 'salesforce', type: 'Account', externalId: '001A', updatedAt: '2025-03-01T00:00:00.000Z', deleted: false },
      { system: 'stripe', type: 'customer', externalId: 'cus_A', updatedAt: '2025-02-01T00:00:00.000Z', deleted: false },
      { system: 'zendesk', type: 'organization', externalId: '360000000001', updatedAt: '2025-01-15T00:00:00.000Z', deleted: false },
      { system: 'erp', type: 'erp_customer', externalId: 'C-000001', updatedAt: '2025-04-01T00:00:00.000Z', deleted: false },
    ]);
  });

  it('treats spellings of one value as agreement, not conflict', () => {
    // Phone in three formats, address abbreviated two ways, e-mail in three cases.
    for (const f of ['phone', 'address', 'email']) expect(lineageOf(g, f).conflict).toBeNull();
    expect(g.conflicts.map((c) => c.field)).toEqual(['contractValue']);
  });
});

describe('sourceOfTruth', () => {
  it('takes the ERP and records what every system says, raw and canonical', () => {
    const g = mergeGoldenRecord('G1', [sf(), stripe(), erp()], spec);
    expect(lineageOf(g, 'email')).toEqual({
      field: 'email', value: 'jon.smith@acme.com', source: 'erp', sourceField: 'billing_email', updatedAt: '2025-04-01T00:00:00.000Z',
      rule: 'SOURCE_OF_TRUTH', conflict: null,
      candidates: [
        { system: 'salesforce', externalId: '001A', sourceField: 'Contacts[0].Email', rawValue: 'Jon.Smith@Acme.com', value: 'jon.smith@acme.com', updatedAt: '2025-03-01T00:00:00.000Z', chosen: false },
        { system: 'stripe', externalId: 'cus_A', sourceField: 'email', rawValue: 'jon.smith@acme.com', value: 'jon.smith@acme.com', updatedAt: '2025-02-01T00:00:00.000Z', chosen: false },
        { system: 'erp', externalId: 'C-000001', sourceField: 'billing_email', rawValue: ' JON.SMITH@ACME.COM', value: 'jon.smith@acme.com', updatedAt: '2025-04-01T00:00:00.000Z', chosen: true },
      ],
    });
  });

  it('falls back in order when the source of truth has no value', () => {
    const g = mergeGoldenRecord('G1', [sf(), stripe({ email: 'billing@acme.com' })], spec);
    expect(lineageOf(g, 'email')).toMatchObject({ value: 'billing@acme.com', source: 'stripe', rule: 'SOURCE_OF_TRUTH' });
    const onlySf = mergeGoldenRecord('G1', [sf()], spec);
    expect(lineageOf(onlySf, 'email')).toMatchObject({ value: 'jon.smith@acme.com', source: 'salesforce', sourceField: 'Contacts[0].Email' });
  });

  it('flags a disagreement on the contract value GENUINE even when the ERP is newer', () => {
    const g = mergeGoldenRecord('G1', [sf({}, '2025-01-01T00:00:00.000Z'), erp()], spec);
    const l = lineageOf(g, 'contractValue');
    expect(l.value).toEqual({ amount: '45000.00', minorUnits: 4500000, currency: 'USD' });
    expect(l.conflict).toEqual({ field: 'contractValue', kind: 'GENUINE', values: l.candidates });
    expect(l.candidates.map((c) => [c.system, c.rawValue, c.value, c.chosen])).toEqual([
      // Salesforce has no currency: the golden currency (currencyFrom) is used.
      ['salesforce', { amount: 50000 }, { amount: '50000.00', minorUnits: 5000000, currency: 'USD' }, false],
      ['erp', { amount: '45000.00', currency: 'USD' }, { amount: '45000.00', minorUnits: 4500000, currency: 'USD' }, true],
    ]);
    expect(g.conflicts).toEqual([l.conflict]);
  });

  it('calls an older e-mail of the same person STALE, and a different billing person GENUINE', () => {
    const stale = mergeGoldenRecord('G1', [stripe({ email: 'jsmith@acme.com' }), erp()], spec);
    expect(stale.conflicts.map((c) => [c.field, c.kind])).toEqual([['email', 'STALE']]);
    const other = mergeGoldenRecord('G1', [stripe({ email: 'maria.garcia@acme.com' }), erp()], spec);
    // The e-mail disagreement is the billing contact's: one conflict, on billingContact (email's explainedBy).
    expect(other.conflicts.map((c) => [c.field, c.kind])).toEqual([['billingContact', 'GENUINE']]);
    expect(lineageOf(other, 'email').conflict).toBeNull();
  });
});

describe('mostRecent', () => {
  it('takes the most recently updated value and calls older ones STALE', () => {
    const g = mergeGoldenRecord('G1', [sf({ Phone: '(415) 555-0199' }, '2025-01-01T00:00:00.000+0000'), stripe({}, '2025-02-01T00:00:00.000Z'), erp({ phone: null })], spec);
    const l = lineageOf(g, 'phone');
    expect(l).toMatchObject({ value: '+14155550134', source: 'stripe', sourceField: 'phone', rule: 'MOST_RECENT', updatedAt: '2025-02-01T00:00:00.000Z' });
    expect(l.conflict?.kind).toBe('STALE');
    expect(l.conflict?.values.map((c) => [c.system, c.value, c.chosen])).toEqual([['salesforce', '+14155550199', false], ['stripe', '+14155550134', true]]);
  });

  it('calls a tie GENUINE (recency cannot settle it) and breaks it by the spec\'s tieBreak', () => {
    const at = '2025-02-01T00:00:00.000Z';
    const g = mergeGoldenRecord('G1', [sf({ Phone: '(415) 555-0199' }, at), erp({ phone: '4155550134' }, at)], spec);
    expect(lineageOf(g, 'phone')).toMatchObject({ value: '+14155550134', source: 'erp' });
    expect(lineageOf(g, 'phone').conflict?.kind).toBe('GENUINE');
  });

  it('reads a national number in the record\'s own country', () => {
    const uk = erp({ phone: '020 7946 0123', country: 'United Kingdom', city: 'London', region: null, postal_code: 'EC1A1BB', address_line1: '1 High St', address_line2: null });
    const g = mergeGoldenRecord('G1', [uk], spec);
    expect(g.fields.phone).toBe('+442079460123');
    expect(g.fields.address).toEqual({ line1: '1 High Street', line2: null, city: 'London', region: 'ENG', postalCode: 'EC1A 1BB', country: 'GB' });
  });
});

describe('priority', () => {
  it('takes the first system in order that has a value; among its records, the rank', () => {
    const older = sf({ Owner: { Name: 'Fox Mulder', Email: 'fox@vendor.example' }, CreatedDate: '2023-01-01T00:00:00.000+0000' }, '2024-01-01T00:00:00.000Z', '001B');
    const g = mergeGoldenRecord('G1', [sf(), older], spec);
    // rank: CreatedDate ascending — the original account speaks for Salesforce.
    expect(lineageOf(g, 'accountOwner')).toMatchObject({ value: { name: 'Fox Mulder', email: 'fox@vendor.example', system: 'SALESFORCE' }, source: 'salesforce', rule: 'PRIORITY' });
    // A duplicate within one system is identity's business, not a conflict.
    expect(lineageOf(g, 'accountOwner').conflict).toBeNull();
    expect(lineageOf(g, 'accountOwner').candidates).toHaveLength(2);
  });

  it('uses inferred candidates only when nothing else says, and never as a conflict', () => {
    const g = mergeGoldenRecord('G1', [sf({ BillingCountry: 'Canada' })], spec);
    expect(lineageOf(g, 'currency')).toMatchObject({ value: 'CAD', source: 'salesforce', sourceField: 'BillingCountry' });
    const billed = mergeGoldenRecord('G1', [sf({ BillingCountry: 'Canada' }), stripe({ currency: 'usd' })], spec);
    expect(lineageOf(billed, 'currency')).toMatchObject({ value: 'USD', source: 'stripe', conflict: null });
  });
});

describe('named rules', () => {
  it('lifecycleFromBilling: a live subscription makes the customer ACTIVE', () => {
    const g = mergeGoldenRecord('G1', [sf({ Type: 'Former Customer' }, '2025-06-01T00:00:00.000Z'), stripe()], spec);
    const l = lineageOf(g, 'lifecycle');
    expect(l).toMatchObject({ value: 'ACTIVE', source: 'stripe', sourceField: 'subscriptions.data', rule: 'lifecycleFromBilling' });
    // Stripe computes status when read: newer than anything a person typed into Salesforce.
    expect(l.conflict?.kind).toBe('STALE');
  });

  it('lifecycleFromBilling: a Stripe customer with no live subscription has CHURNED', () => {
    const g = mergeGoldenRecord('G1', [sf({ Type: 'Customer - Direct' }, '2025-06-01T00:00:00.000Z'), stripe({ subscriptions: { object: 'list', data: [] } })], spec);
    const l = lineageOf(g, 'lifecycle');
    expect(l).toMatchObject({ value: 'CHURNED', source: 'stripe', rule: 'lifecycleFromBilling' });
    expect(l.candidates.map((c) => [c.system, c.value, c.chosen])).toEqual([['salesforce', 'ACTIVE', false], ['stripe', 'CHURNED', true]]);
    expect(l.conflict?.kind).toBe('STALE');
  });

  it('lifecycleFromBilling: a duplicate Stripe customer without subscriptions does not outvote the live one', () => {
    const dup = stripe({ subscriptions: { object: 'list', data: [] } }, '2025-03-01T00:00:00.000Z', 'cus_B');
    const g = mergeGoldenRecord('G1', [stripe(), dup], spec);
    expect(lineageOf(g, 'lifecycle')).toMatchObject({ value: 'ACTIVE', conflict: null });
    expect(lineageOf(g, 'paymentStatus')).toMatchObject({ value: 'CURRENT', conflict: null });
  });

  it('lifecycleFromBilling: without Stripe, the latest Salesforce Type, else ERP contracts', () => {
    expect(mergeGoldenRecord('G1', [sf({ Type: 'Prospect' })], spec).fields.lifecycle).toBe('PROSPECT');
    expect(mergeGoldenRecord('G1', [erp({ has_active_contract: false })], spec).fields.lifecycle).toBe('CHURNED');
    expect(mergeGoldenRecord('G1', [sf({ Type: null }), erp()], spec).fields.lifecycle).toBe('ACTIVE');
  });

  it.each([
    [[{ status: 'active' }], false, 'CURRENT'],
    [[{ status: 'trialing' }], false, 'CURRENT'],
    [[{ status: 'past_due' }], true, 'PAST_DUE'],
    [[{ status: 'unpaid' }], true, 'FAILED'],
    [[], false, 'NONE'],
  ])('paymentStatusFromBilling: subscriptions %j, delinquent %s → %s', (subs, delinquent, want) => {
    const g = mergeGoldenRecord('G1', [stripe({ delinquent, subscriptions: { object: 'list', data: subs } })], spec);
    expect(lineageOf(g, 'paymentStatus')).toMatchObject({ value: want, source: 'stripe', rule: 'paymentStatusFromBilling' });
  });

  it('paymentStatusFromBilling: null without Stripe', () => {
    expect(mergeGoldenRecord('G1', [sf()], spec).fields.paymentStatus).toBeNull();
  });
});

describe('records and candidates', () => {
  it('lists deleted records as sources but never as candidates', () => {
    const merged = sf({ Phone: '(212) 555-0100', Name: 'Acme Old' }, '2025-12-01T00:00:00.000Z', '001Z');
    merged.deleted = true;
    const g = mergeGoldenRecord('G1', [sf(), merged], spec);
    expect(g.sources.map((s) => [s.externalId, s.deleted])).toEqual([['001A', false], ['001Z', true]]);
    for (const l of g.lineage) expect(l.candidates.some((c) => c.externalId === '001Z')).toBe(false);
    expect(g.fields.phone).toBe('+14155550134');
  });

  it('keeps a value that does not normalize as a candidate with value null, never chosen', () => {
    const g = mergeGoldenRecord('G1', [sf({ Phone: 'ask reception' }, '2025-09-01T00:00:00.000Z'), erp()], spec);
    const l = lineageOf(g, 'phone');
    expect(l.candidates.find((c) => c.system === 'salesforce')).toMatchObject({ rawValue: 'ask reception', value: null, chosen: false });
    expect(l).toMatchObject({ value: '+14155550134', source: 'erp', conflict: null });
  });

  it('gives nulls and empty lineage for a customer no record describes', () => {
    const g = mergeGoldenRecord('G0', [], spec);
    expect(Object.values(g.fields).every((v) => v === null)).toBe(true);
    expect(lineageOf(g, 'name')).toEqual({ field: 'name', value: null, source: null, sourceField: null, updatedAt: null, rule: 'SOURCE_OF_TRUTH', candidates: [], conflict: null });
  });

  it('does not depend on the order the records arrive in', () => {
    const records = [sf(), stripe(), erp(), zd(), stripe({}, '2025-03-01T00:00:00.000Z', 'cus_B')];
    const a = mergeGoldenRecord('G1', records, spec);
    const b = mergeGoldenRecord('G1', [...records].reverse(), spec);
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
  });

  it('completes a winner\'s missing parts from candidates that agree with it', () => {
    const g = mergeGoldenRecord('G1', [sf(), stripe()], spec);
    // Stripe (the fallback before Salesforce) knows the billing e-mail but not the name.
    expect(lineageOf(g, 'billingContact')).toMatchObject({ source: 'stripe', value: { name: 'Jon Smith', email: 'jon.smith@acme.com', phone: null, title: 'CFO' } });
  });

  it('follows a spec of one\'s own', () => {
    const own = parseFieldSpec({
      version: 1,
      fields: {
        phone: {
          type: 'string',
          sources: { salesforce: { path: 'Phone', normalize: 'phone' }, erp: { path: 'phone', normalize: 'phone' } },
          survivorship: { rule: 'priority', order: ['salesforce', 'erp'] },
          conflict: { class: 'review', recency: false },
        },
      },
    });
    const g = mergeGoldenRecord('G1', [sf({ Phone: '(415) 555-0199' }, '2025-01-01T00:00:00.000Z'), erp()], own);
    expect(g.fields).toEqual({ phone: '+14155550199' });
    expect(g.lineage[0]).toMatchObject({ rule: 'PRIORITY', source: 'salesforce', conflict: { kind: 'GENUINE' } });
  });

  it('reads national numbers in the default region when nothing says the country', () => {
    const bare = rec('erp', 'C-1', '2025-01-01T00:00:00.000Z', { phone: '020 7946 0123' });
    expect(mergeGoldenRecord('G1', [bare], spec).fields.phone).toBeNull();
    expect(mergeGoldenRecord('G1', [bare], spec, { defaultRegion: 'GB' }).fields.phone).toBe('+442079460123');
  });
});

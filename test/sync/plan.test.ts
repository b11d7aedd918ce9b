// Deciding writes as data: the golden record against each writable record, compared canonically.
import { describe, expect, it } from 'vitest';
import { loadFieldSpec } from '../../src/mapping/index.ts';
import { mergeGoldenRecord } from '../../src/merge/index.ts';
import type { SourceRecord } from '../../src/sources/types.ts';
import { planWrites } from '../../src/sync/plan.ts';

const spec = loadFieldSpec();
const sf = (data: Record<string, unknown>, updatedAt = '2026-01-02T00:00:00.000Z'): SourceRecord => ({
  system: 'salesforce', type: 'Account', id: '001000000000001AAA', updatedAt, data: { Name: 'Acme', Contacts: [], ...data }, xrefs: [], emails: [], deleted: false,
});
const stripe = (data: Record<string, unknown>, updatedAt = '2026-01-01T00:00:00.000Z'): SourceRecord => ({
  system: 'stripe', type: 'customer', id: 'cus_1', updatedAt, data: { name: 'Acme', ...data }, xrefs: [], emails: [], deleted: false,
});
const plan = (records: SourceRecord[], writable = ['salesforce', 'stripe']) =>
  planWrites(mergeGoldenRecord('gc_01HZZZZZZZZZZZZZZZZZZZZZZZ', records, spec), records, spec, { writable: (s) => writable.includes(s) });

describe('planWrites', () => {
  it('treats another formatting of the same phone as no change', () => {
    expect(plan([sf({ Phone: '(415) 555-0123' }), stripe({ phone: '+1 415-555-0123' })]).writes).toEqual([]);
  });

  it('writes the newer phone to the record that holds an older one, in E.164, with the value it read', () => {
    const { writes } = plan([sf({ Phone: '(415) 555-0123' }, '2026-03-01T00:00:00.000Z'), stripe({ phone: '+1 650 555 0100' })]);
    expect(writes).toEqual([
      {
        goldenId: 'gc_01HZZZZZZZZZZZZZZZZZZZZZZZ', system: 'stripe', recordType: 'customer', recordId: 'cus_1',
        fields: ['phone'], goldenValues: { phone: '+14155550123' }, changes: { phone: '+14155550123' }, expected: { phone: '+1 650 555 0100' },
      },
    ]);
  });

  it('fills an empty value, never erases one, and skips systems it cannot write', () => {
    expect(plan([sf({ Phone: '(415) 555-0123' }), stripe({ phone: null })]).writes.map((w) => w.changes)).toEqual([{ phone: '+14155550123' }]);
    expect(plan([sf({ Phone: null }), stripe({ phone: null })]).writes).toEqual([]);
    expect(plan([sf({ Phone: '(415) 555-0123' }), stripe({ phone: null })], ['salesforce']).writes).toEqual([]);
  });

  it('writes an address to Salesforce as one street field, and reads it back as the same address', () => {
    const address = { line1: '1 Main Street', line2: 'Suite 5', city: 'Springfield', state: 'IL', postal_code: '62701', country: 'US' };
    const { writes } = plan([sf({ BillingStreet: null, BillingCity: null }), stripe({ address })]);
    expect(writes.map((w) => [w.system, w.changes])).toEqual([
      ['salesforce', { BillingStreet: '1 Main Street\nSuite 5', BillingCity: 'Springfield', BillingState: 'IL', BillingPostalCode: '62701', BillingCountry: 'US' }],
    ]);
    const after = sf(writes[0]!.changes);
    expect(plan([after, stripe({ address })]).writes).toEqual([]);
  });

  it('holds a field whose GENUINE conflict waits for a person', () => {
    // ERP is the billing e-mail's source of truth; Stripe disagrees, and is newer: GENUINE, review.
    const erp: SourceRecord = { system: 'erp', type: 'erp_customer', id: 'C-1', updatedAt: '2025-01-01T00:00:00.000Z', data: { billing_email: 'ap@acme.com' }, xrefs: [], emails: [], deleted: false };
    const result = plan([erp, stripe({ email: 'finance@acme.com' }, '2026-05-01T00:00:00.000Z')]);
    expect(result.writes.filter((w) => w.fields.includes('email'))).toEqual([]);
    expect(result.held.map((h) => h.field)).toContain('email');
  });

  it('writes the billing e-mail into the first contact, and skips an account without contacts', () => {
    const erp: SourceRecord = { system: 'erp', type: 'erp_customer', id: 'C-1', updatedAt: '2026-05-01T00:00:00.000Z', data: { billing_email: 'ap@acme.com', billing_contact: 'Ann Lee' }, xrefs: [], emails: [], deleted: false };
    const withContact = sf({ Contacts: [{ Id: '003000000000001AAA', Name: 'Ann Lee', Email: 'ann@old.example', CreatedDate: '2020-01-01T00:00:00.000+0000' }] });
    const changes = (rs: SourceRecord[]) => plan(rs).writes.filter((w) => w.system === 'salesforce').map((w) => w.changes);
    expect(changes([erp, withContact])).toEqual([{ 'Contacts[0].Email': 'ap@acme.com' }]);
    expect(changes([erp, sf({})])).toEqual([]);
  });
});

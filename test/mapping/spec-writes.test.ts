// Write targets in the field spec: what the default writes, and every bad target refused at start
// with a message naming the field and the system.
import { describe, expect, it } from 'vitest';
import { FieldSpecError, loadFieldSpec, parseFieldSpec } from '../../src/mapping/index.ts';

function problems(json: unknown): string[] {
  try {
    parseFieldSpec(json, 'test.json');
  } catch (err) {
    expect(err).toBeInstanceOf(FieldSpecError);
    return (err as FieldSpecError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error('the spec was accepted');
}

const phone = (writes: unknown): unknown => ({
  version: 1,
  fields: {
    phone: {
      type: 'string',
      sources: { salesforce: { path: 'Phone', normalize: 'phone' }, erp: { path: 'phone', normalize: 'phone' } },
      survivorship: { rule: 'mostRecent' },
      conflict: { class: 'review' },
      writes,
    },
  },
});

describe('write targets of the default spec', () => {
  const spec = loadFieldSpec();
  it('write the contact fields to Salesforce and Stripe, and nothing anywhere else', () => {
    const written = Object.fromEntries(Object.entries(spec.fields).filter(([, d]) => d.writes).map(([n, d]) => [n, Object.keys(d.writes!).sort()]));
    expect(written).toEqual({ email: ['salesforce', 'stripe'], phone: ['salesforce', 'stripe'], address: ['salesforce', 'stripe'] });
    expect(spec.fields.phone!.writes!.salesforce).toEqual({ path: 'Phone', format: 'e164' });
    expect(spec.fields.email!.writes!.salesforce).toEqual({ path: 'Contacts[0].Email', format: 'email' });
    expect(spec.fields.address!.writes!.stripe!.format).toBe('address');
  });
});

describe('a bad write target', () => {
  it('on the read-only ERP is refused, naming the field and the system', () => {
    expect(problems(phone({ erp: { path: 'phone', format: 'e164' } }))).toEqual([
      '$.fields.phone.writes.erp: field "phone" names a write target in erp, a read-only system: Meridian never writes to it',
    ]);
  });

  it('in a system that has no source for the field is refused: there is nothing to compare with', () => {
    expect(problems(phone({ stripe: { path: 'phone', format: 'e164' } }))).toEqual([
      '$.fields.phone.writes.stripe: field "phone" has no source in stripe: a write target needs the value read there to compare with',
    ]);
  });

  it('with an unknown format, a format of another type, or a path of the wrong shape is refused', () => {
    expect(problems(phone({ salesforce: { path: 'Phone', format: 'phone' } }))).toEqual([
      '$.fields.phone.writes.salesforce.format: unknown write format "phone"; known: text, email, e164, address',
    ]);
    expect(problems(phone({ salesforce: { path: { street: 'BillingStreet' }, format: 'address' } }))).toEqual([
      '$.fields.phone.writes.salesforce.format: "address" writes address values, field "phone" is string',
    ]);
    expect(problems(phone({ salesforce: { path: { x: 'Phone' }, format: 'e164' } }))).toEqual([
      '$.fields.phone.writes.salesforce.path: "e164" writes one value: give a path, not an object',
    ]);
    expect(problems(phone({ netsuite: { path: 'phone', format: 'e164' } }))[0]).toMatch(/^\$\.fields\.phone\.writes\.netsuite: unknown system "netsuite"/);
  });

  it('is accepted on a read-write system that reads the field', () => {
    const spec = parseFieldSpec(phone({ salesforce: { path: 'Phone', format: 'e164' } }));
    expect(spec.fields.phone!.writes).toEqual({ salesforce: { path: 'Phone', format: 'e164' } });
  });
});

// updateCustomer's input checks (src/sync/update-input.ts): every bad field named at once with
// its reason; good values come back in the golden record's canonical forms.
import { describe, expect, it } from 'vitest';
import { validateCustomerUpdate, type CustomerInput } from '../../src/sync/update-input.ts';

const check = (input: CustomerInput, defaultRegion = 'US') => validateCustomerUpdate(input, { defaultRegion });
const bad = (input: CustomerInput, defaultRegion = 'US'): Record<string, string> => {
  const r = check(input, defaultRegion);
  if (r.ok) throw new Error(`accepted ${JSON.stringify(input)}`);
  return Object.fromEntries(r.invalid.map((f) => [f.field, f.reason]));
};

describe('updateCustomer input', () => {
  it('answers canonical values: e-mail lower-case, phone E.164 in the default region, address canonical, website https', () => {
    const r = check({
      name: '  Keel   Bay Electric ',
      email: ' Billing@KeelBay.Example ',
      phone: '(415) 555-0134',
      website: 'www.keelbay.example/',
      employees: 120,
      address: { line1: '500 market st', line2: 'ste 400', city: 'SAN FRANCISCO', region: 'California', postalCode: '94105-1234', country: 'USA' },
    });
    expect(r).toEqual({
      ok: true,
      values: {
        name: 'Keel Bay Electric',
        email: 'billing@keelbay.example',
        phone: '+14155550134',
        website: 'https://keelbay.example',
        employees: 120,
        address: { line1: '500 Market Street', line2: 'Suite 400', city: 'San Francisco', region: 'CA', postalCode: '94105', country: 'US' },
      },
    });
    expect(check({ phone: '020 7946 0123' }, 'GB')).toEqual({ ok: true, values: { phone: '+442079460123' } });
    expect(check({ phone: '+49 30 1234567' })).toEqual({ ok: true, values: { phone: '+49301234567' } });
  });

  it('names every bad field in one answer, each with its reason', () => {
    const invalid = bad({
      email: 'billing@@example',
      phone: '555-12',
      website: 'not a site',
      employees: -3,
      name: '',
      address: { line1: ' ', city: 'Springfield', region: 'Atlantis', postalCode: '1234', country: 'ZZ' },
    });
    expect(Object.keys(invalid).sort()).toEqual(['address.country', 'address.line1', 'email', 'employees', 'name', 'phone', 'website']);
    expect(invalid['email']).toMatch(/not an e-mail address/);
    expect(invalid['phone']).toMatch(/not a phone number of US/);
    expect(invalid['employees']).toMatch(/0 to 10,000,000 \(got -3\)/);
    expect(invalid['address.country']).toMatch(/ISO 3166-1 alpha-2/);
  });

  it('checks address parts against the country: region, postal code format, postal code required', () => {
    const us = bad({ address: { line1: '1 Main St', city: 'Springfield', region: 'Atlantis', postalCode: '1234', country: 'US' } });
    expect(Object.keys(us).sort()).toEqual(['address.postalCode', 'address.region']);
    expect(us['address.region']).toMatch(/not a subdivision of US/);
    expect(us['address.postalCode']).toMatch(/not a postal code of US/);
    expect(Object.keys(bad({ address: { line1: '1 Main St', city: 'Ottawa', country: 'CA' } }))).toEqual(['address.postalCode']);
    expect(Object.keys(bad({ address: { line1: '1 High St', city: 'London', postalCode: '12345', country: 'GB' } }))).toEqual(['address.postalCode']);
    // A country whose postal codes Meridian does not check: any plain code, or none.
    expect(check({ address: { line1: 'Keizersgracht 1', city: 'Amsterdam', postalCode: '1015 CJ', country: 'Netherlands' } }).ok).toBe(true);
    expect(check({ address: { line1: 'Via Roma 1', city: 'Roma', country: 'IT' } }).ok).toBe(true);
    expect(check({ address: { line1: '10 Downing Street', city: 'London', postalCode: 'SW1A 2AA', country: 'UK', region: 'England' } })).toMatchObject({ ok: true, values: { address: { country: 'GB', region: 'ENG' } } });
  });

  it('names every missing part of an address with the other problems, in one answer', () => {
    expect(bad({ email: 'x@', address: { line2: 'Suite 4', postalCode: '94105' } })).toEqual({
      email: 'not an e-mail address (expected e.g. billing@example.com)',
      'address.line1': 'required in an address',
      'address.city': 'required in an address',
      'address.country': 'required in an address',
    });
  });

  it('e-mail syntax: one @, a plain local part, a real-looking domain', () => {
    for (const e of ['a@b', 'a b@example.com', '.a@example.com', 'a..b@example.com', 'a@-example.com', 'a@example.c0m', `${'x'.repeat(65)}@example.com`]) {
      expect(bad({ email: e }), e).toHaveProperty('email');
    }
    for (const e of ["o'neil+billing@sub.example.co.uk", 'A.B@EXAMPLE.COM']) expect(check({ email: e }).ok, e).toBe(true);
  });

  it('refuses null (clearing is not supported), an empty input, control characters and over-long text', () => {
    expect(bad({ phone: null })['phone']).toMatch(/omit the field/);
    expect(bad({})).toEqual({ input: 'names no field to change' });
    expect(bad({ name: 'Keel\nBay' })).toHaveProperty('name');
    expect(bad({ industry: 'x'.repeat(121) })).toEqual({ industry: 'at most 120 characters (got 121)' });
    expect(bad({ phone: 'call me maybe' })).toHaveProperty('phone');
  });
});

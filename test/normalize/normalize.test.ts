// Canonical forms, pinned by tables of the spellings the systems actually send.
import { describe, expect, it } from 'vitest';
import {
  companyDisplayName, companyMatchKey, companyNameFromLegalName, countryCode, emailDomain, emailMatchKey, formatMinorUnits,
  moneyFromMinorUnits, normalizeAddress, normalizeCurrency, normalizeDomain, normalizeEmail, normalizePhone, normalizePostalCode,
  normalizeWebsite, personName, personNameFromParts, personNameKey, regionCode, sumDecimal, toEpochMs, toIsoUtc, toMinorUnits, toMoney,
} from '../../src/normalize/index.ts';

describe('e-mail', () => {
  it.each([
    ['Jon.Smith@Acme.Com', 'jon.smith@acme.com'],
    ['  JON.SMITH@ACME.COM ', 'jon.smith@acme.com'],
    ['jon+billing@acme.com', 'jon+billing@acme.com'],
    ['not an email', null],
    ['', null],
    [null, null],
    [42, null],
  ])('normalizes %j to %j', (raw, want) => expect(normalizeEmail(raw)).toBe(want));

  it.each([
    ['Jon+Billing@Acme.com', 'jon@acme.com'],
    ['jon@acme.com', 'jon@acme.com'],
    ['+tag@acme.com', '+tag@acme.com'],
    ['nope', null],
  ])('keys %j as %j (the +tag is a match key, not a rewrite)', (raw, want) => expect(emailMatchKey(raw)).toBe(want));

  it.each([
    ['jon@Acme.com', 'acme.com'],
    ['jon.smith12@gmail.com', null],
    ['x', null],
  ])('takes the company domain of %j: %j', (raw, want) => expect(emailDomain(raw)).toBe(want));

  it.each([
    ['https://www.Acme.com/', 'acme.com'],
    ['www.acme.com', 'acme.com'],
    ['http://acme.com/about?x=1', 'acme.com'],
    ['acme.co.uk', 'acme.co.uk'],
    [['acme.com', 'acme.io'], 'acme.com'],
    [[], null],
    ['not a domain', null],
  ])('reads the domain of %j as %j', (raw, want) => expect(normalizeDomain(raw)).toBe(want));

  it('writes a website as https://<domain>', () => {
    expect(normalizeWebsite('www.acme.com')).toBe('https://acme.com');
    expect(normalizeWebsite(null)).toBeNull();
  });
});

describe('phone', () => {
  it.each([
    ['(415) 555-0134', 'US', '+14155550134'],
    ['415.555.0134', 'US', '+14155550134'],
    ['+1 415 555 0134', 'US', '+14155550134'],
    ['4155550134', 'US', '+14155550134'],
    ['415-555-0134', 'US', '+14155550134'],
    ['+1 (415) 555-0134', 'US', '+14155550134'],
    ['+14155550134', 'GB', '+14155550134'],
    ['(416) 555-0134', 'CA', '+14165550134'],
    ['+44 20 7946 0123', 'US', '+442079460123'],
    ['020 7946 0123', 'GB', '+442079460123'],
    ['+44 (0)20 7946 0123', 'US', '+442079460123'],
    ['030/1234567', 'DE', '+49301234567'],
    ['+49 30 1234567', 'US', '+49301234567'],
    ['555-01', 'US', null],
    ['call me', 'US', null],
    ['', 'US', null],
  ])('reads %j in %s as %j', (raw, region, want) => expect(normalizePhone(raw, region)).toBe(want));

  it('defaults to the US when no region is given', () => {
    expect(normalizePhone('(212) 555-0134')).toBe('+12125550134');
  });

  it('keeps numbers in ranges the metadata does not list unless strict', () => {
    // London 020 6xxx is not allocated in libphonenumber's metadata, but has the right length.
    expect(normalizePhone('020 6717 1777', 'GB')).toBe('+442067171777');
    expect(normalizePhone('020 6717 1777', 'GB', { strict: true })).toBeNull();
  });

  it('ignores an unknown default region rather than throwing', () => {
    expect(normalizePhone('+1 415 555 0134', 'XX')).toBe('+14155550134');
    expect(normalizePhone('415 555 0134', 'XX')).toBeNull();
  });
});

describe('postal address', () => {
  const us = { line2: null, city: 'San Francisco', region: 'CA', postalCode: '94105', country: 'US' };
  it.each([
    [{ street: '500 Market St', city: 'San Francisco', region: 'CA', postalCode: '94105', country: 'US' }, { line1: '500 Market Street', ...us }],
    [{ street: '500 Market St.\nSte 400', city: 'SAN FRANCISCO', region: 'California', postalCode: '94105-1234', country: 'USA' }, { ...us, line1: '500 Market Street', line2: 'Suite 400' }],
    [{ line1: '500 market st, ste. 400', city: 'san francisco', region: 'ca', postalCode: '94105', country: 'United States' }, { ...us, line1: '500 Market Street', line2: 'Suite 400' }],
    [{ line1: '500 Market Ave #400', city: 'San Francisco', region: 'CA', postalCode: '94105', country: 'U.S.' }, { ...us, line1: '500 Market Avenue', line2: 'Suite 400' }],
    [{ line1: '12 Oak Blvd', line2: 'Fl 12', city: 'San Francisco', region: 'CA', postalCode: '94105', country: 'US' }, { ...us, line1: '12 Oak Boulevard', line2: 'Floor 12' }],
    [{ line1: '12 Lake Way.', line2: 'Unit 5', city: 'San Francisco', region: 'CA', postalCode: '94105', country: 'US' }, { ...us, line1: '12 Lake Way', line2: 'Unit 5' }],
    [{ line1: '9 Elm Rd', city: 'Boston', region: 'MA', postalCode: '2108', country: 'US' }, { line1: '9 Elm Road', line2: null, city: 'Boston', region: 'MA', postalCode: '02108', country: 'US' }],
    [{ line1: '1 King Dr', city: 'Toronto', region: 'Ontario', postalCode: 'm5v3a8', country: 'Canada' }, { line1: '1 King Drive', line2: null, city: 'Toronto', region: 'ON', postalCode: 'M5V 3A8', country: 'CA' }],
    [{ line1: 'MONTRÉAL WAY 3', city: 'MONTRÉAL', region: 'Quebec', postalCode: 'H3B 1A1', country: 'CAN' }, { line1: 'Montréal Way 3', line2: null, city: 'Montréal', region: 'QC', postalCode: 'H3B 1A1', country: 'CA' }],
    [{ line1: '10 High St', city: 'London', region: null, postalCode: 'EC1A1BB', country: 'UK' }, { line1: '10 High Street', line2: null, city: 'London', region: 'ENG', postalCode: 'EC1A 1BB', country: 'GB' }],
    [{ line1: '3 Castle Street', city: 'Edinburgh', region: null, postalCode: 'EH1 2AB', country: 'United Kingdom' }, { line1: '3 Castle Street', line2: null, city: 'Edinburgh', region: 'SCT', postalCode: 'EH1 2AB', country: 'GB' }],
    [{ line1: 'Hauptstr. 12', city: 'Berlin', region: null, postalCode: 'D-10115', country: 'Deutschland' }, { line1: 'Hauptstraße 12', line2: null, city: 'Berlin', region: 'BE', postalCode: '10115', country: 'DE' }],
    [{ line1: 'HAUPTSTRASSE 12', city: 'FRANKFURT AM MAIN', region: 'Hessen', postalCode: '60311', country: 'Germany' }, { line1: 'Hauptstraße 12', line2: null, city: 'Frankfurt am Main', region: 'HE', postalCode: '60311', country: 'DE' }],
    [{ line1: 'Goethestraße 1', city: 'München', region: 'BY', postalCode: '80331', country: 'DE' }, { line1: 'Goethestraße 1', line2: null, city: 'München', region: 'BY', postalCode: '80331', country: 'DE' }],
  ])('canonicalizes %j', (raw, want) => expect(normalizeAddress(raw)).toEqual(want));

  it.each([
    ['12 N. Main St', '12 North Main Street'],
    ['1600 Pennsylvania Ave NW', '1600 Pennsylvania Avenue Northwest'],
    ['400 SE Oak Pkwy.', '400 Southeast Oak Parkway'],
    ['7 North Road', '7 North Road'],
    ['N Street', 'N Street'],
    ['5 E St', '5 E Street'],
  ])('spells out compass directions around the street name: %j → %j', (line1, want) => expect(normalizeAddress({ line1, country: 'US' })?.line1).toBe(want));

  it('is null when there is no street, city or postal code', () => {
    expect(normalizeAddress({ line1: ' ', city: null, postalCode: '', country: 'US' })).toBeNull();
    expect(normalizeAddress(null)).toBeNull();
  });

  it.each([
    ['94105-1234', 'US', '94105'],
    ['2108', 'US', '02108'],
    ['k1p6n5', 'CA', 'K1P 6N5'],
    ['sw1a2aa', 'GB', 'SW1A 2AA'],
    ['D-80331', 'DE', '80331'],
    ['75001', 'FR', '75001'],
  ])('postal code %j in %s → %j', (raw, country, want) => expect(normalizePostalCode(raw, country)).toBe(want));

  it.each([
    ['USA', 'US'], ['United States of America', 'US'], ['U.S.', 'US'], ['Canada', 'CA'], ['CAN', 'CA'], ['UK', 'GB'],
    ['England', 'GB'], ['Deutschland', 'DE'], ['fr', 'FR'], ['Atlantis', null], ['', null],
  ])('country %j → %j', (raw, want) => expect(countryCode(raw)).toBe(want));

  it.each([
    ['California', 'US', 'CA'], ['ny', 'US', 'NY'], ['British Columbia', 'CA', 'BC'], ['Scotland', 'GB', 'SCT'],
    ['Nordrhein-Westfalen', 'DE', 'NW'], ['Bayern', 'DE', 'BY'], [null, 'US', null],
  ])('region %j in %s → %j', (raw, country, want) => expect(regionCode(raw, country)).toBe(want));
});

describe('company names', () => {
  it.each([
    ['Acme Traders, Inc.', 'Acme Traders'],
    ['Acme Traders LLC', 'Acme Traders'],
    ['Acme Traders GmbH', 'Acme Traders'],
    ['ACME TRADERS', 'Acme Traders'],
    ['ACME Corp.', 'Acme Corporation'],
    ['acme corp.', 'Acme Corporation'],
    ['Acme Corp, Inc.', 'Acme Corporation'],
    ['The Acme Company', 'Acme Company'],
    ['The Acme Group Ltd', 'Acme Group'],
    ['Acme  Mfg. ', 'Acme Manufacturing'],
    ['Acme Intl.', 'Acme International'],
    ['IBM', 'IBM'],
    ["O'Brien Traders", "O'Brien Traders"],
    ['', null],
  ])('displays %j as %j', (raw, want) => expect(companyDisplayName(raw)).toBe(want));

  it.each([
    ['Acme Traders Corp.', 'Acme Traders'],
    ['Acme Corporation Corp.', 'Acme Corporation'],
    ['Acme Company, Inc.', 'Acme Company'],
    ['Acme Traders Ltd', 'Acme Traders'],
    ['Acme Traders AG', 'Acme Traders'],
  ])('takes the display name of the registered name %j as %j', (raw, want) => expect(companyNameFromLegalName(raw)).toBe(want));

  it.each([
    ['The Acme Company, Inc.', 'acme'],
    ['ACME Corp.', 'acme'],
    ['Acme Mfg.', 'acme manufacturing'],
    ['Acme Manufacturing LLC', 'acme manufacturing'],
    ['Müller & Söhne GmbH', 'muller and sohne'],
    ['Northwind Traders', 'northwind traders'],
    ['Northwind Logistics', 'northwind logistics'],
    ['Inc.', null],
  ])('keys %j as %j', (raw, want) => expect(companyMatchKey(raw)).toBe(want));
});

describe('person names', () => {
  it.each([
    ['JOSÉ  CÔTÉ', 'José Côté'],
    ['sean o\'brien', "Sean O'Brien"],
    ['Maria McDonald', 'Maria McDonald'],
    ['  ', null],
  ])('displays %j as %j', (raw, want) => expect(personName(raw)).toBe(want));

  it('joins first and last name, either missing', () => {
    expect(personNameFromParts('Jon', 'Smith')).toBe('Jon Smith');
    expect(personNameFromParts(null, 'Smith')).toBe('Smith');
    expect(personNameFromParts(null, null)).toBeNull();
  });

  it.each([
    ["Sean O'Brien", 'sean obrien'],
    ['JOSÉ CÔTÉ', 'jose cote'],
    ['Jürgen Müller-Groß', 'jurgen muller gross'],
  ])('keys %j as %j', (raw, want) => expect(personNameKey(raw)).toBe(want));
});

describe('money', () => {
  it.each([
    ['45000', 'USD', { amount: '45000.00', minorUnits: 4500000, currency: 'USD' }],
    ['45000.5', 'usd', { amount: '45000.50', minorUnits: 4500050, currency: 'USD' }],
    [45000.5, 'EUR', { amount: '45000.50', minorUnits: 4500050, currency: 'EUR' }],
    ['1,250.75', 'GBP', { amount: '1250.75', minorUnits: 125075, currency: 'GBP' }],
    ['-12.34', 'CAD', { amount: '-12.34', minorUnits: -1234, currency: 'CAD' }],
    ['5000', 'JPY', { amount: '5000', minorUnits: 5000, currency: 'JPY' }],
    ['1.234', 'KWD', { amount: '1.234', minorUnits: 1234, currency: 'KWD' }],
    ['1.005', 'USD', null],
    ['abc', 'USD', null],
    ['10', 'dollars', null],
    [null, 'USD', null],
  ])('reads %j %s as %j', (amount, currency, want) => expect(toMoney(amount, currency)).toEqual(want));

  it('sums exactly on minor units, never floats', () => {
    expect(sumDecimal(['0.10', '0.20'], 'USD')).toBe('0.30');
    expect(sumDecimal([0.1, 0.2], 'USD')).toBe('0.30');
    expect(sumDecimal(['45000.00', '47250.00', '49612.50'], 'EUR')).toBe('141862.50');
    expect(sumDecimal([], 'USD')).toBe('0.00');
    expect(() => sumDecimal(['12', 'x'], 'USD')).toThrow('not a USD amount: "x"');
  });

  it('converts between minor units and decimal strings', () => {
    expect(toMinorUnits('0.07', 'USD')).toBe(7n);
    expect(formatMinorUnits(7n, 'USD')).toBe('0.07');
    expect(formatMinorUnits(-5n, 'USD')).toBe('-0.05');
    expect(moneyFromMinorUnits(14900, 'usd')).toEqual({ amount: '149.00', minorUnits: 14900, currency: 'USD' });
    expect(normalizeCurrency(' eur ')).toBe('EUR');
    expect(normalizeCurrency('euro')).toBeNull();
  });
});

describe('dates', () => {
  it.each([
    ['2025-03-04T10:11:12.000+0000', '2025-03-04T10:11:12.000Z'],
    ['2025-03-04T10:11:12Z', '2025-03-04T10:11:12.000Z'],
    ['2025-03-04T12:11:12+02:00', '2025-03-04T10:11:12.000Z'],
    ['2025-03-04', '2025-03-04T00:00:00.000Z'],
    [1741083072, '2025-03-04T10:11:12.000Z'],
    [new Date('2025-03-04T10:11:12Z'), '2025-03-04T10:11:12.000Z'],
    ['yesterday', null],
    ['2025-13-45', null],
    [null, null],
  ])('reads %j as %j', (raw, want) => expect(toIsoUtc(raw)).toBe(want));

  it('gives the same answer the second time (a string read before is remembered) and epoch milliseconds that agree with it', () => {
    for (const raw of ['2025-03-04T10:11:12.000+0000', ' 2025-03-04T10:11:12Z ', 'yesterday', '2025-13-45']) {
      const first = toIsoUtc(raw);
      expect(toIsoUtc(raw)).toBe(first);
      expect(toEpochMs(raw)).toBe(first === null ? null : Date.parse(first));
    }
    expect(toEpochMs(1741083072.0019)).toBe(1741083072001);
    expect(toEpochMs(1e300)).toBeNull();
    expect(toIsoUtc(1e300)).toBeNull();
  });
});

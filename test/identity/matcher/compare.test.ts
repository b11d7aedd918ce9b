// Comparison levels on plain records: which level a pair of values falls in.
import { describe, expect, it } from 'vitest';
import { compileComparisons, fieldLevel } from '../../../src/identity/matcher/compare.ts';
import { parseMatcherConfig } from '../../../src/identity/matcher/config.ts';
import { buildFeatures, normalizeValue } from '../../../src/identity/matcher/features.ts';

const config = parseMatcherConfig({
  version: 1,
  id: 'id',
  fields: [{ name: 'emails', columns: ['emails'], normalize: 'raw', levels: [{ type: 'exact' }, { type: 'tokenSet', min: 0.0001 }, { type: 'emailDomain' }] }],
  blocking: { rules: [{ name: 'emails', keys: [{ field: 'emails' }] }] },
  thresholds: { link: 0.99, review: 0.5 },
});

function level(a: string | null, b: string | null): string {
  const table = buildFeatures(config, [
    { id: 'a', values: { emails: a } },
    { id: 'b', values: { emails: b } },
  ]);
  const fields = compileComparisons(config, table);
  return fields[0]!.labels[fieldLevel(table, fields, fields[0]!, 0, 1)]!;
}

describe('the emailDomain level', () => {
  it('holds addresses of different people at one company', () => {
    expect(level('rahul@keelbay.com', 'billing@keelbay.com')).toBe('same e-mail domain');
    expect(level('rahul@keelbay.com julia@keelbay.com', 'ap@other.com billing@keelbay.com')).toBe('same e-mail domain');
  });

  it('comes after the levels that compare whole addresses', () => {
    expect(level('rahul@keelbay.com', 'rahul@keelbay.com')).toBe('exact');
    expect(level('rahul@keelbay.com julia@keelbay.com', 'julia@keelbay.com')).toBe('token set ≥ 0.0001');
  });

  it('never holds on a free-mail domain, and a missing value is null', () => {
    expect(level('jo.smith@gmail.com', 'ann.lee@gmail.com')).toBe('else');
    expect(level('rahul@keelbay.com', 'rahul@keelbay.org')).toBe('else');
    expect(level(null, 'rahul@keelbay.com')).toBe('null');
  });
});

describe('the street and country normalizers', () => {
  const field = (normalize: 'street' | 'country') => parseMatcherConfig({
    version: 1, id: 'id', fields: [{ name: 'f', columns: ['f'], normalize, levels: [{ type: 'exact' }] }],
    blocking: { rules: [{ name: 'f', keys: [{ field: 'f' }] }] }, thresholds: { link: 0.99, review: 0.5 },
  }).fields[0]!;

  it('compares street lines in canonical words', () => {
    const street = field('street');
    expect(normalizeValue(street, '6035 Lincoln Pkwy.')).toBe(normalizeValue(street, '6035 LINCOLN PARKWAY'));
    expect(normalizeValue(street, '12 North Main St')).toBe(normalizeValue(street, '12 N. Main Street'));
    expect(normalizeValue(street, '  ')).toBeNull();
  });

  it('reads a company domain from a website, else from a work e-mail', () => {
    const domain = parseMatcherConfig({
      version: 1, id: 'id', fields: [{ name: 'd', columns: ['site', 'email'], normalize: 'companyDomain', levels: [{ type: 'exact' }] }],
      blocking: { rules: [{ name: 'd', keys: [{ field: 'd' }] }] }, thresholds: { link: 0.99, review: 0.5 },
    }).fields[0]!;
    expect(normalizeValue(domain, 'https://www.Acme.com/about billing@other.com')).toBe('acme.com');
    expect(normalizeValue(domain, 'billing@Acme.com')).toBe('acme.com');
    expect(normalizeValue(domain, 'jo.smith88@gmail.com')).toBeNull();
  });

  it('compares countries as ISO codes, and an unknown value as text', () => {
    const country = field('country');
    expect(normalizeValue(country, 'United States')).toBe('US');
    expect(normalizeValue(country, 'usa')).toBe('US');
    expect(normalizeValue(country, 'Atlantis')).toBe('atlantis');
  });
});

describe('the postcode and phoneExtension normalizers', () => {
  const field = (normalize: 'postcode' | 'phoneExtension' | 'phone') => parseMatcherConfig({
    version: 1, id: 'id', fields: [{ name: 'f', columns: ['f'], normalize, levels: [{ type: 'exact' }] }],
    blocking: { rules: [{ name: 'f', keys: [{ field: 'f' }] }] }, thresholds: { link: 0.99, review: 0.5 },
  }).fields[0]!;

  it('reads a US ZIP+4 as its ZIP, and leaves other postcodes as they were', () => {
    const postcode = field('postcode');
    expect(normalizeValue(postcode, '94103-1234')).toBe('94103');
    expect(normalizeValue(postcode, '94103')).toBe('94103');
    expect(normalizeValue(postcode, 'SW1A 1AA')).toBe('sw1a1aa');
    expect(normalizeValue(postcode, '2615')).toBe('2615');
  });

  it('keeps a phone extension in any of its spellings, which the phone normalizer drops', () => {
    const people = field('phoneExtension');
    for (const text of ['(617) 592-6350 x594', '617.592.6350 ext. 594', '+1 617 592 6350 ext 594', '6175926350 extension 594', '617-592-6350 #594']) {
      expect([text, normalizeValue(people, text)]).toEqual([text, '+16175926350 x594']);
    }
    expect(normalizeValue(people, '(617) 592-6350')).toBe('+16175926350');
    expect(normalizeValue(people, 'n/a')).toBeNull();
    expect(normalizeValue(field('phone'), '(617) 592-6350 x594')).toBe('+16175926350');
  });
});

// Stripe's search query language, parsed and evaluated without a server.
import { describe, expect, it } from 'vitest';
import { matchesSearch, parseSearchQuery, SearchQueryError } from '../../src/sandbox/stripe/search.ts';
import type { SearchFieldKind } from '../../src/sandbox/stripe/search.ts';

const FIELDS: Record<string, SearchFieldKind> = { email: 'string', name: 'string', phone: 'string', metadata: 'token', created: 'numeric' };
const parse = (q: string): ReturnType<typeof parseSearchQuery> => parseSearchQuery(q, FIELDS, 'customers');

const customer = {
  email: 'Jane.Doe@Example.com',
  name: 'Jane Doe',
  phone: null,
  created: 1_700_000_000,
  metadata: { salesforce_account_id: '001ABC', tier: 'Gold' } as Record<string, string>,
};
const matches = (q: string, c = customer): boolean =>
  matchesSearch(parse(q), FIELDS, (field, key) =>
    field === 'metadata' ? (key === undefined ? undefined : c.metadata[key]) : (c as unknown as Record<string, string | number | null>)[field],
  );

describe('parseSearchQuery', () => {
  it('reads clauses, quotes, escapes, negation and metadata keys', () => {
    expect(parse(`-metadata["a b"]:'it\\'s' name~"doe"`)).toEqual({
      combinator: 'AND',
      clauses: [
        { negated: true, field: 'metadata', metadataKey: 'a b', operator: ':', value: "it's" },
        { negated: false, field: 'name', operator: '~', value: 'doe' },
      ],
    });
    expect(parse('created>=1700000000 or email:null')).toEqual({
      combinator: 'OR',
      clauses: [
        { negated: false, field: 'created', operator: '>=', value: 1_700_000_000 },
        { negated: false, field: 'email', operator: ':', value: null },
      ],
    });
  });

  it.each([
    ['', /must not be empty/],
    ['email', /unable to parse/],
    ['email:"open', /unable to parse/],
    ['email:jane@example.com', /unable to parse/],
    ['address:"x"', /Field `address` is an unsupported search field for resource `customers`/],
    ['name~"ab"', /at least 3 characters/],
    ['metadata["k"]~"abc"', /does not support the `~`/],
    ['created~"123"', /does not support the `~`/],
    ['created>"soon"', /expects a numeric value/],
    ['email>"a"', /does not support the `>` operator/],
    ['email:"a" AND name:"b" OR phone:"c"', /cannot be combined/],
    ['email:"a" name:"b" OR phone:"c"', /cannot be combined/],
    ['email:"a"name:"b"', /unable to parse/],
    ['email:"a" AND', /unable to parse/],
    [Array.from({ length: 11 }, (_, i) => `name:"n${i}"`).join(' '), /at most 10 clauses/],
  ])('rejects %j', (q, message) => {
    expect(() => parse(q)).toThrow(SearchQueryError);
    expect(() => parse(q)).toThrow(message);
  });
});

describe('matchesSearch', () => {
  it('matches string fields case-insensitively and metadata exactly', () => {
    expect(matches('email:"jane.doe@example.com"')).toBe(true);
    expect(matches('name~"DOE"')).toBe(true);
    expect(matches("metadata['tier']:'Gold'")).toBe(true);
    expect(matches("metadata['tier']:'gold'")).toBe(false);
  });

  it('compares numbers, handles null, negation, AND and OR', () => {
    expect(matches('created>1699999999 created<=1700000000')).toBe(true);
    expect(matches('created>1700000000')).toBe(false);
    expect(matches('created=1700000000')).toBe(true);
    expect(matches('phone:null')).toBe(true);
    expect(matches("metadata['missing']:null")).toBe(true);
    expect(matches("-metadata['salesforce_account_id']:null")).toBe(true);
    expect(matches('-name~"jane"')).toBe(false);
    expect(matches('name:"nobody" OR email~"example"')).toBe(true);
    expect(matches('name:"nobody" AND email~"example"')).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { SfApiError } from '../../src/sandbox/salesforce/errors.ts';
import { dateLiteralRange, runSoql, type SfRecord, type SoqlDataSource } from '../../src/sandbox/salesforce/soql-eval.ts';
import { SoqlSyntaxError, formatSoqlMessage, parseSoql, tokenize } from '../../src/sandbox/salesforce/soql.ts';
import type { SObjectName } from '../../src/sandbox/salesforce/schema.ts';
import { buildSalesforceFixture } from './salesforce.fixture.ts';

const NOW = new Date('2025-01-15T12:00:00.000Z');

function dataSource(): SoqlDataSource {
  const data = buildSalesforceFixture(NOW);
  const byType: Record<SObjectName, SfRecord[]> = {
    Account: data.accounts as unknown as SfRecord[],
    Contact: data.contacts.map((c) => ({ ...c, OwnerId: data.users[0]!.Id })),
    Opportunity: data.opportunities as unknown as SfRecord[],
    User: data.users.map((u) => ({ ...u, Username: u.Email })),
  };
  const byId = new Map<string, SfRecord>();
  for (const list of Object.values(byType)) for (const r of list) byId.set(r.Id, r);
  return {
    list: (type, includeDeleted) => byType[type].filter((r) => includeDeleted || r.IsDeleted !== true),
    get: (id) => byId.get(id),
  };
}

const ds = dataSource();
const run = (soql: string, includeDeleted = false) => runSoql(soql, ds, { includeDeleted, now: NOW, apiBase: '/services/data/v59.0' });
const names = (soql: string): unknown[] => run(soql).records.map((r) => r.Name);
function queryError(soql: string): SfApiError {
  try {
    run(soql);
  } catch (e) {
    if (e instanceof SfApiError) return e;
    throw e;
  }
  throw new Error(`expected ${soql} to fail`);
}

describe('SOQL tokenizer', () => {
  it('reads paths, escaped strings, dates, datetimes and two-character operators', () => {
    const tokens = tokenize("SELECT Account.Owner.Name FROM Contact WHERE Name = 'O\\'Brien' AND CreatedDate >= 2024-01-01T00:00:00Z AND CloseDate <> 2024-02-03");
    expect(tokens.map((t) => [t.kind, t.value])).toEqual([
      ['ident', 'SELECT'], ['ident', 'Account.Owner.Name'], ['ident', 'FROM'], ['ident', 'Contact'], ['ident', 'WHERE'],
      ['ident', 'Name'], ['op', '='], ['string', "O'Brien"], ['ident', 'AND'], ['ident', 'CreatedDate'], ['op', '>='],
      ['datetime', '2024-01-01T00:00:00Z'], ['ident', 'AND'], ['ident', 'CloseDate'], ['op', '!='], ['date', '2024-02-03'], ['eof', ''],
    ]);
  });

  it('rejects an unterminated string', () => {
    expect(() => tokenize("SELECT Id FROM Account WHERE Name = 'abc")).toThrow(SoqlSyntaxError);
  });
});

describe('SOQL parser', () => {
  it('builds the tree of a query with every clause', () => {
    const q = parseSoql(
      "select Id, Name, (SELECT LastName FROM Contacts) FROM Account a WHERE (Industry IN ('Retail', 'Technology') OR NOT Type = null) AND Name LIKE 'A%' ORDER BY Name DESC NULLS LAST, Id LIMIT 10 OFFSET 5",
    );
    expect(q.from).toMatchObject({ name: 'Account', alias: 'a' });
    expect(q.select.map((s) => s.kind)).toEqual(['field', 'field', 'subquery']);
    expect(q.where?.kind).toBe('and');
    expect(q.orderBy).toEqual([
      { field: expect.objectContaining({ path: ['Name'] }) as unknown, descending: true, nulls: 'last' },
      { field: expect.objectContaining({ path: ['Id'] }) as unknown, descending: false, nulls: null },
    ]);
    expect([q.limit, q.offset]).toEqual([10, 5]);
  });

  it('insists on parentheses when AND and OR are mixed, as Salesforce does', () => {
    expect(() => parseSoql("SELECT Id FROM Account WHERE Name = 'a' AND Type = 'b' OR Industry = 'c'")).toThrow(/unexpected token: 'OR'/);
    expect(() => parseSoql("SELECT Id FROM Account WHERE Name = 'a' AND (Type = 'b' OR Industry = 'c')")).not.toThrow();
  });

  it.each([
    ['SELECT FROM Account', "unexpected token: 'FROM'"],
    ['SELECT Id FORM Account', "unexpected token: 'FORM'"],
    ['SELECT Id FROM Account WHERE', "unexpected token: '<EOF>'"],
    ['SELECT Id FROM Account LIMIT -1', "unexpected token: '-'"],
    ['SELECT Id FROM Account GROUP BY Name', 'does not support GROUP'],
  ])('rejects %s', (soql, message) => {
    expect(() => parseSoql(soql)).toThrow(message);
  });

  it('formats errors with the line, a caret and the row/column', () => {
    expect(formatSoqlMessage('SELECT Id FORM Account', 10, "unexpected token: 'FORM'")).toBe(
      "\nSELECT Id FORM Account\n          ^\nERROR at Row:1:Column:11\nunexpected token: 'FORM'",
    );
  });
});

describe('SOQL evaluation', () => {
  it('answers comparison operators with SOQL null semantics and case-insensitive text', () => {
    expect(names("SELECT Name FROM Account WHERE Name = 'ACME CORP'")).toEqual(['Acme Corp']);
    expect(names('SELECT Name FROM Account WHERE NumberOfEmployees > 100 ORDER BY Name')).toEqual(['Acme Corp', 'Globex']);
    expect(names('SELECT Name FROM Account WHERE NumberOfEmployees <= 40 ORDER BY Name')).toEqual(['acme labs', "O'Brien & Sons"]);
    // != keeps null values, unlike SQL.
    expect(names("SELECT Name FROM Account WHERE Industry != 'Technology' ORDER BY Name")).toEqual(['Globex', "O'Brien & Sons", 'Zeta Partners']);
    expect(names('SELECT Name FROM Account WHERE Industry = null')).toEqual(['Zeta Partners']);
  });

  it('matches LIKE wildcards and escapes', () => {
    expect(names("SELECT Name FROM Account WHERE Name LIKE 'acme%' ORDER BY Name")).toEqual(['Acme Corp', 'acme labs']);
    expect(names("SELECT Name FROM Account WHERE Name LIKE '_lobex'")).toEqual(['Globex']);
    expect(names("SELECT Name FROM Account WHERE Name LIKE '%\\%%'")).toEqual([]);
  });

  it('supports IN, NOT IN, NOT and semi-joins', () => {
    expect(names("SELECT Name FROM Account WHERE BillingCity IN ('Berlin', 'Paris') ORDER BY Name")).toEqual(['Acme Corp', 'Globex']);
    expect(names("SELECT Name FROM Account WHERE NOT (Industry = 'Technology' OR Industry = null) ORDER BY Name")).toEqual(['Globex', "O'Brien & Sons"]);
    expect(names('SELECT Name FROM Account WHERE Id IN (SELECT AccountId FROM Opportunity) ORDER BY Name')).toEqual(['Acme Corp', 'Globex']);
    expect(names('SELECT Name FROM Account WHERE Id NOT IN (SELECT AccountId FROM Contact) ORDER BY Name')).toEqual(['acme labs', "O'Brien & Sons", 'Zeta Partners']);
  });

  it('compares dates and datetimes, literal and relative', () => {
    expect(names('SELECT Name FROM Opportunity WHERE CloseDate < 2025-01-01 ORDER BY CloseDate')).toEqual(['Acme renewal', 'Globex pilot']);
    expect(names('SELECT Name FROM Account WHERE CreatedDate = LAST_N_DAYS:7')).toEqual(['acme labs']);
    expect(names('SELECT Name FROM Account WHERE SystemModstamp > 2025-01-12T00:00:00Z ORDER BY Name')).toEqual(['acme labs', 'Globex']);
    expect(names('SELECT Name FROM Account WHERE CreatedDate = YESTERDAY')).toEqual(['acme labs']);
    expect(names('SELECT Name FROM Account WHERE CreatedDate = TODAY')).toEqual([]);
  });

  it('computes date literal ranges in UTC with Sunday weeks', () => {
    const r = (name: string, n: number | null = null) => {
      const { start, end } = dateLiteralRange(name, n, NOW);
      return [new Date(start).toISOString().slice(0, 10), new Date(end).toISOString().slice(0, 10)];
    };
    expect(r('TODAY')).toEqual(['2025-01-15', '2025-01-16']);
    expect(r('LAST_N_DAYS', 3)).toEqual(['2025-01-12', '2025-01-16']);
    expect(r('THIS_WEEK')).toEqual(['2025-01-12', '2025-01-19']);
    expect(r('LAST_MONTH')).toEqual(['2024-12-01', '2025-01-01']);
    expect(r('THIS_QUARTER')).toEqual(['2025-01-01', '2025-04-01']);
    expect(r('NEXT_N_YEARS', 2)).toEqual(['2026-01-01', '2028-01-01']);
  });

  it('nests relationship fields in the declared casing, null when the parent is missing', () => {
    const rows = run("select name, account.name, account.owner.name, owner.email from contact where lastname in ('Doe', 'Solo') order by lastname").records;
    expect(rows).toEqual([
      {
        attributes: { type: 'Contact', url: expect.stringMatching(/^\/services\/data\/v59\.0\/sobjects\/Contact\/003/) as unknown },
        Name: 'Jane Doe',
        Account: { attributes: { type: 'Account', url: expect.any(String) as unknown }, Name: 'Acme Corp', Owner: { attributes: { type: 'User', url: expect.any(String) as unknown }, Name: 'Ada Owner' } },
        Owner: { attributes: { type: 'User', url: expect.any(String) as unknown }, Email: 'ada@example.com' },
      },
      expect.objectContaining({ Name: 'Solo', Account: null }),
    ]);
  });

  it('answers child subqueries with a nested result, null when there are no children', () => {
    const rows = run("SELECT Name, (SELECT LastName FROM Contacts ORDER BY LastName DESC) FROM Account WHERE Name IN ('Acme Corp', 'Zeta Partners') ORDER BY Name").records;
    expect(rows[0]?.Contacts).toEqual({
      totalSize: 2,
      done: true,
      records: [expect.objectContaining({ LastName: 'Smith' }), expect.objectContaining({ LastName: 'Doe' })],
    });
    expect(rows[1]?.Contacts).toBeNull();
  });

  it('orders with NULLS FIRST/LAST and pages with LIMIT and OFFSET', () => {
    expect(names('SELECT Name FROM Account ORDER BY NumberOfEmployees DESC NULLS FIRST LIMIT 2')).toEqual(['Zeta Partners', 'Globex']);
    expect(names('SELECT Name FROM Account ORDER BY NumberOfEmployees ASC NULLS LAST LIMIT 2 OFFSET 3')).toEqual(['Globex', 'Zeta Partners']);
  });

  it('counts with COUNT() and hides deleted rows unless asked', () => {
    expect(run('SELECT COUNT() FROM Account')).toMatchObject({ countOnly: true, totalSize: 5, records: [] });
    expect(run('SELECT COUNT() FROM Account', true).totalSize).toBe(6);
    expect(run('SELECT Id FROM Account WHERE IsDeleted = true').totalSize).toBe(0);
  });

  it('reports unknown fields, relationships and objects like Salesforce', () => {
    const field = queryError('SELECT Id, Foo FROM Account');
    expect(field.errorCode).toBe('INVALID_FIELD');
    expect(field.message).toContain("No such column 'Foo' on entity 'Account'");
    expect(field.message).toContain('ERROR at Row:1:Column:12');
    expect(queryError('SELECT Parent.Name FROM Account').message).toContain("Didn't understand relationship 'Parent'");
    expect(queryError('SELECT Id FROM Foo__c').errorCode).toBe('INVALID_TYPE');
    expect(queryError("SELECT Id FROM Account WHERE NumberOfEmployees = '5'").message).toContain('must be of type integer and should not be enclosed in quotes');
    expect(queryError("SELECT Id FROM Account WHERE Id = 'nope'").errorCode).toBe('INVALID_QUERY_FILTER_OPERATOR');
    expect(queryError('SELECT Id FROM Account OFFSET 2001').errorCode).toBe('NUMBER_OUTSIDE_VALID_RANGE');
    expect(queryError('SELECT FIELDS(ALL) FROM Account').errorCode).toBe('MALFORMED_QUERY');
  });

  it('follows MasterRecord from a merged-away account to its survivor', () => {
    const rows = run('SELECT Name, MasterRecord.Name FROM Account WHERE MasterRecordId != null', true).records;
    expect(rows).toEqual([expect.objectContaining({ Name: 'Deleted Ltd', MasterRecord: expect.objectContaining({ Name: 'Acme Corp' }) as unknown })]);
  });

  it('expands FIELDS() and accepts the object name or alias as a prefix', () => {
    const row = run('SELECT FIELDS(CUSTOM) FROM Account WHERE Meridian_Id__c = \'MER-1\' LIMIT 1').records[0];
    expect(Object.keys(row ?? {})).toEqual(['attributes', 'Stripe_Customer_Id__c', 'ERP_Customer_Number__c', 'Zendesk_Organization_Id__c', 'Meridian_Id__c']);
    expect(names("SELECT a.Name FROM Account a WHERE a.Name = 'Globex'")).toEqual(['Globex']);
    expect(names("SELECT Account.Name FROM Account WHERE Account.Name = 'Globex'")).toEqual(['Globex']);
  });

  it('writes datetimes the way Salesforce does', () => {
    const row = run("SELECT CreatedDate FROM Account WHERE Name = 'Globex'").records[0];
    expect(row?.CreatedDate).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$/);
  });
});

// The field spec: the shipped default loads, and a bad spec fails once, naming every problem.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SPEC_PATH, FieldSpecError, getPath, loadFieldSpec, parseFieldSpec, parsePath } from '../../src/mapping/index.ts';

const CANONICAL_FIELDS = [
  'name', 'company', 'domain', 'website', 'email', 'phone', 'address', 'billingContact', 'industry', 'employees',
  'lifecycle', 'contractValue', 'currency', 'accountingStatus', 'paymentStatus', 'accountOwner',
];

function problems(json: unknown): string[] {
  try {
    parseFieldSpec(json, 'test.json');
  } catch (err) {
    expect(err).toBeInstanceOf(FieldSpecError);
    return (err as FieldSpecError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error('the spec was accepted');
}

const field = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: 'string',
  sources: { erp: { path: 'billing_email', normalize: 'email' } },
  survivorship: { rule: 'priority', order: ['erp'] },
  conflict: { class: 'auto' },
  ...over,
});

describe('the default spec', () => {
  const spec = loadFieldSpec();

  it('ships every canonical field, in the schema\'s order', () => {
    expect(Object.keys(spec.fields)).toEqual(CANONICAL_FIELDS);
    expect(DEFAULT_SPEC_PATH).toMatch(/src[/\\]mapping[/\\]default-spec\.json$/);
  });

  it('encodes the survivorship of docs/sandbox/world.md', () => {
    expect(spec.fields.email!.survivorship).toEqual({ rule: 'sourceOfTruth', system: 'erp', fallback: ['stripe', 'salesforce'] });
    expect(spec.fields.billingContact!.survivorship).toEqual({ rule: 'sourceOfTruth', system: 'erp', fallback: ['stripe', 'salesforce'] });
    expect(spec.fields.phone!.survivorship.rule).toBe('mostRecent');
    expect(spec.fields.address!.survivorship.rule).toBe('mostRecent');
    expect(spec.fields.contractValue!.survivorship).toEqual({ rule: 'sourceOfTruth', system: 'erp', fallback: ['salesforce'] });
    expect(spec.fields.lifecycle!.survivorship).toEqual({ rule: 'named', name: 'lifecycleFromBilling', system: 'stripe', fallback: ['salesforce', 'erp'] });
    expect(spec.fields.accountingStatus!.survivorship).toEqual({ rule: 'sourceOfTruth', system: 'erp', fallback: [] });
    expect(spec.fields.contractValue!.conflict).toEqual({ class: 'escalate', compare: 'value', recency: false });
  });

  it('fills defaults: fallback [], compare "value", recency true', () => {
    const s = parseFieldSpec({ version: 1, fields: { x: field({ survivorship: { rule: 'sourceOfTruth', system: 'erp' } }) } });
    expect(s.fields.x!.survivorship).toEqual({ rule: 'sourceOfTruth', system: 'erp', fallback: [] });
    expect(s.fields.x!.conflict).toEqual({ class: 'auto', compare: 'value', recency: true });
  });
});

describe('an invalid spec', () => {
  it('fails once, listing every problem with its JSON path', () => {
    const bad = {
      version: 1,
      fields: {
        email: field({
          sources: { erp: { path: 'billing_email', normalize: 'emial' }, stripe: { path: 'email..x', normalize: 'email' }, netsuite: { path: 'x', normalize: 'email' } },
          survivorship: { rule: 'sourceOfTruth', system: 'zendesk', fallback: ['stripe', 'stripe'] },
          conflict: { class: 'auto', explainedBy: 'nothing' },
        }),
        address: {
          type: 'address',
          sources: { salesforce: { path: 'BillingStreet', normalize: 'address' }, erp: { path: { street: 'a', zip: 'b' }, normalize: 'address' } },
          survivorship: { rule: 'named', name: 'whatever', system: 'salesforce' },
          conflict: { class: 'sometimes' },
        },
        lifecycle: field({ type: 'enum', sources: { salesforce: { path: 'Type', normalize: 'phone' } }, survivorship: { rule: 'priority', order: ['salesforce', 'erp'] }, conflict: { class: 'review', compare: 'fuzzy' } }),
        x: field({ type: 'money', currencyFrom: 'lifecycle', sources: { erp: { path: { amount: 'a' }, normalize: 'money' } }, survivorship: { rule: 'newest' } }),
      },
    };
    expect(problems(bad)).toEqual([
      '$.fields.email.sources.erp.normalize: unknown normalizer "emial"; known: text, companyName, companyNameFromLegalName, companyLegalName, email, emailDomain, domain, website, phone, personName, int, currency, currencyOfCountry, enum, lifecycleFromType, lifecycleFromContract, lifecycleFromSubscriptions, paymentStatus, address, contact, owner, money',
      '$.fields.email.sources.stripe.path: not a path (e.g. "Owner.Name", "Contacts[0].Email")',
      '$.fields.email.sources.netsuite: unknown system "netsuite"; known: salesforce, stripe, zendesk, erp',
      '$.fields.email.survivorship.system: "zendesk" has no source for this field',
      '$.fields.email.survivorship.fallback[1]: "stripe" is listed twice',
      '$.fields.email.conflict.explainedBy: names no field: "nothing"',
      '$.fields.address.sources.salesforce.path: "address" reads several values: give an object with some of street, line1, line2, city, region, postalCode, country',
      '$.fields.address.sources.erp.path.zip: "address" has no sub-field "zip"; known: street, line1, line2, city, region, postalCode, country',
      '$.fields.address.survivorship.name: unknown named rule "whatever"; known: lifecycleFromBilling, paymentStatusFromBilling',
      '$.fields.address.conflict.class: Invalid option: expected one of "auto"|"review"|"escalate"',
      '$.fields.lifecycle.values: an enum field needs its values',
      '$.fields.lifecycle.sources.salesforce.normalize: "phone" yields string, the field is enum',
      '$.fields.lifecycle.survivorship.order[1]: "erp" has no source for this field',
      '$.fields.lifecycle.conflict.compare: unknown comparator "fuzzy"; known: value, emailMatchKey, companyMatchKey, person',
      '$.fields.x.currencyFrom: "lifecycle" is not a string field',
      "$.fields.x.survivorship.rule: Invalid discriminator value. Expected 'priority' | 'sourceOfTruth' | 'mostRecent' | 'named'",
    ]);
  });

  it('says how many problems and where the spec came from', () => {
    expect(() => parseFieldSpec({ version: 2, fields: {}, extra: 1 }, 'mine.json')).toThrow(
      'invalid field spec mine.json: 2 problems\n  $.version: Invalid input: expected 1\n  $: Unrecognized key: "extra"',
    );
  });

  it.each([
    [{ version: 1, fields: {} }, '$.fields: the spec defines no fields'],
    [{ version: 1, fields: { Email: field() } }, '$.fields.Email: field names are camelCase (the GraphQL field name)'],
    [{ version: 1, fields: { x: field({ sources: {}, survivorship: { rule: 'mostRecent' } }) } }, '$.fields.x.sources: a field needs at least one source'],
    [{ version: 1, fields: { x: field({ values: ['A'] }) } }, '$.fields.x.values: only enum fields have values (this one is string)'],
    [{ version: 1, fields: { x: field({ currencyFrom: 'x' }) } }, '$.fields.x.currencyFrom: only money fields take currencyFrom (this one is string)'],
    [{ version: 1, fields: { x: field({ conflict: { class: 'auto', explainedBy: 'x' } }) } }, '$.fields.x.conflict.explainedBy: a field cannot explain itself'],
    [{ version: 1, fields: { x: field({ survivorship: { rule: 'sourceOfTruth', system: 'erp', fallback: ['erp'] } }) } }, '$.fields.x.survivorship.fallback[0]: "erp" is the source of truth itself'],
    [{ version: 1, fields: { x: field({ sources: { erp: { path: { amount: 'a' }, normalize: 'email' } } }) } }, '$.fields.x.sources.erp.path: "email" reads one value: give a path, not an object'],
    [{ version: 1, fields: { x: field({ sources: { erp: { path: 'a', normalize: 'email', weight: 2 } } }) } }, '$.fields.x.sources.erp: Unrecognized key: "weight"'],
  ])('rejects %j: %s', (json, message) => expect(problems(json)).toEqual([message]));

  it('reports an unreadable or non-JSON file as a spec error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'meridian-spec-'));
    const file = join(dir, 'spec.json');
    writeFileSync(file, '{ "version": 1, ');
    expect(() => loadFieldSpec(file)).toThrow(FieldSpecError);
    expect(() => loadFieldSpec(file)).toThrow(/^invalid field spec .*spec\.json: 1 problem\n {2}\$: not JSON: /);
    expect(() => loadFieldSpec(join(dir, 'missing.json'))).toThrow(/\$: cannot read the file: ENOENT/);
  });

  it('loads a spec of one\'s own from a path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'meridian-spec-'));
    const file = join(dir, 'spec.json');
    writeFileSync(file, JSON.stringify({ version: 1, fields: { email: field() } }));
    expect(Object.keys(loadFieldSpec(file).fields)).toEqual(['email']);
  });
});

describe('paths', () => {
  const data = { Owner: { Name: 'Ann' }, Contacts: [{ Email: 'a@x.com' }], domain_names: ['x.com'], n: null };
  it.each([
    ['Owner.Name', 'Ann'],
    ['Contacts[0].Email', 'a@x.com'],
    ['Contacts[1].Email', undefined],
    ['domain_names[0]', 'x.com'],
    ['n.x', undefined],
    ['Owner[0]', undefined],
  ])('reads %s', (path, want) => expect(getPath(data, path)).toBe(want));

  it('parses steps and rejects what is not a path', () => {
    expect(parsePath('a.b[2][0].c')).toEqual(['a', 'b', 2, 0, 'c']);
    for (const bad of ['', 'a..b', '[0]', 'a.', 'a b', 'a[x]']) expect(parsePath(bad)).toBeNull();
  });
});

describe('a named rule', () => {
  it('takes the system it centres on from the spec, and is refused without one', () => {
    const lifecycle = (survivorship: unknown) => ({
      version: 1,
      fields: {
        lifecycle: field({ type: 'enum', values: ['ACTIVE', 'CHURNED'], sources: { salesforce: { path: 'Type', normalize: 'lifecycleFromType' }, erp: { path: 'has_active_contract', normalize: 'lifecycleFromContract' } }, survivorship }),
      },
    });
    expect(problems(lifecycle({ rule: 'named', name: 'lifecycleFromBilling', fallback: ['erp'] }))).toEqual(['$.fields.lifecycle.survivorship.system: a named rule needs "system": the system it centres on']);
    expect(problems(lifecycle({ rule: 'named', name: 'lifecycleFromBilling', system: 'salesforce', fallback: ['salesforce', 'zendesk'] }))).toEqual([
      '$.fields.lifecycle.survivorship.fallback[0]: "salesforce" is the rule\'s system itself',
      '$.fields.lifecycle.survivorship.fallback[1]: "zendesk" has no source for this field',
    ]);
    expect(parseFieldSpec(lifecycle({ rule: 'named', name: 'lifecycleFromBilling', system: 'salesforce', fallback: ['erp'] }), 'test.json').fields['lifecycle']!.survivorship).toEqual({ rule: 'named', name: 'lifecycleFromBilling', system: 'salesforce', fallback: ['erp'] });
  });
});

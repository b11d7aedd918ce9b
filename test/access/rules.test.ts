// The access rules as the schema transform reads them: what it refuses to build, what it
// leaves alone, and arguments that would make a filter an oracle. The real SDL with small
// resolvers of its own: no gateway, no database.
import { describe, expect, it } from 'vitest';
import { execute, isObjectType, parse, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { IResolvers } from '@graphql-tools/utils';
import { loadTypeDefs } from '../../src/app.ts';
import { resolvers } from '../../resolvers/index.ts';
import { withAccessRules } from '../../src/access/guard.ts';
import { AccessRuleError } from '../../src/access/errors.ts';
import { loadFieldSpec, parseFieldSpec, FieldSpecError } from '../../src/mapping/spec.ts';
import type { FieldSpec } from '../../src/mapping/spec.ts';
import type { Role } from '../../src/access/principal.ts';
import { newCacheability } from '../../src/gateway/response-cache.ts';
import { classesChecked, planAccess, rawClassesOf } from '../../src/access/plan.ts';
import { holdsAll } from '../../src/access/policy.ts';
import type { AccessClass } from '../../src/access/classes.ts';

const spec: FieldSpec = loadFieldSpec();

const build = async (extra: string[] = [], edit: (files: string[]) => string[] = (f) => f, more: IResolvers[] = []): Promise<{ raw: GraphQLSchema; guarded: () => GraphQLSchema }> => {
  const raw = makeExecutableSchema({ typeDefs: [...edit(await loadTypeDefs()), ...extra], resolvers: [resolvers as never, ...more] });
  return { raw, guarded: () => withAccessRules(raw, spec) };
};
const problemsOf = (f: () => unknown): readonly string[] => {
  try {
    f();
  } catch (e) {
    if (e instanceof AccessRuleError) return e.problems;
    throw e;
  }
  return [];
};
const ctx = (role: Role | null): object => ({ requestId: 't', principal: { kind: 'api-key', id: 't', name: 't', role }, cacheability: newCacheability() });

describe('access rules at schema build time', () => {
  it("the gateway's schema and the shipped field spec build with no problem", async () => {
    const { guarded } = await build();
    expect(problemsOf(guarded)).toEqual([]);
  });

  it('wraps only the fields that need a check: an unguarded field keeps its own resolver', async () => {
    const { raw, guarded } = await build();
    const schema = guarded();
    const field = (s: GraphQLSchema, t: string, f: string): unknown => {
      const type = s.getType(t);
      return isObjectType(type) ? type.getFields()[f]?.resolve : undefined;
    };
    for (const [t, f] of [['Customer', 'name'], ['Customer', 'sources'], ['Customer', 'opportunities'], ['Ticket', 'subject'], ['SourceLink', 'externalId']] as const) expect(field(schema, t, f), `${t}.${f}`).toBe(field(raw, t, f));
    for (const [t, f] of [['Customer', 'email'], ['Customer', 'contractValue'], ['Customer', 'invoices'], ['FieldLineage', 'value'], ['Candidate', 'rawValue'], ['Query', 'customer'], ['Mutation', 'mergeCustomers']] as const) expect(field(schema, t, f), `${t}.${f}`).not.toBe(field(raw, t, f));
  });

  it('refuses rules that cannot hold, naming each', async () => {
    const { guarded } = await build(
      [
        'extend type Customer { secret: String! @access(class: FINANCIAL) raw: JSON history: [Candidate!]! }',
        'extend type Mutation { wipe(id: ID!): Boolean }',
      ],
      (files) => files.map((f) => f.replace('  "E.164, e.g. +14155550134."\n  phone: String\n', '  phone: String @access(class: CONTACT)\n')),
    );
    expect(problemsOf(guarded)).toEqual([
      'Customer.phone: the field spec declares its class (CONTACT); drop @access(class: CONTACT) (declared once)',
      'Customer.secret is non-null: a denied field answers null, so a guarded field must be nullable (or guard its nearest nullable parent)',
      'Customer.raw returns JSON, which can carry any canonical value: tie it to its canonical field in src/access/rules.ts (KEYED_TYPES)',
      'Customer.history returns Candidate values without naming their canonical field: list it in src/access/rules.ts (KEYED_TYPES)',
      'Mutation.wipe: every mutation declares who may call it (@access(class: …))',
    ]);
    expect(() => guarded()).toThrow(/access rules: 5 problems \(docs\/access\.md\)/);
  });

  it('a field spec naming an unknown access class is refused where the spec loads', () => {
    const json = { version: 1, fields: { email: { type: 'string', access: 'SECRET', sources: { stripe: { path: 'email', normalize: 'email' } }, survivorship: { rule: 'priority', order: ['stripe'] }, conflict: { class: 'auto' } } } };
    expect(() => parseFieldSpec(json)).toThrow(FieldSpecError);
    expect(() => parseFieldSpec(json)).toThrow('$.fields.email.access: unknown access class "SECRET"; known: CONTACT, SUPPORT, FINANCIAL, REVIEW, STEWARDSHIP, LINKING');
  });
});

describe('what a raw value carries (rawClassesOf)', () => {
  it("asks, of a candidate's raw value, the class of every other field that reads the same source data", () => {
    const found = Object.fromEntries([...rawClassesOf(spec)].map(([f, m]) => [f, Object.fromEntries(m)]));
    expect(found).toEqual({
      domain: { stripe: ['CONTACT'], erp: ['CONTACT'] }, // the e-mail it is read from
      lifecycle: { stripe: ['FINANCIAL'] }, // the subscriptions paymentStatus reads
      currency: { salesforce: ['CONTACT'], erp: ['FINANCIAL'] }, // the billing country; contractValue's currency column
    });
  });

  it('covers a field added to the spec, through a path inside or around one a classed field reads', () => {
    const json = structuredClone(spec) as unknown as { fields: Record<string, unknown> };
    json.fields['ownerTeam'] = { type: 'string', sources: { salesforce: { path: 'Contacts[0]', normalize: 'text' } }, survivorship: { rule: 'priority', order: ['salesforce'] }, conflict: { class: 'auto' } };
    const edited = parseFieldSpec(json, 'test');
    expect(rawClassesOf(edited).get('ownerTeam')).toEqual(new Map([['salesforce', ['CONTACT']]]));
  });
});

describe('arguments and input fields', () => {
  // A filter on a field is a question about its value: the answer (which customers, how many)
  // says what the field holds. Named like a canonical field, an input has that field's class.
  const calls: unknown[] = [];
  const schemaWithFilters = async (): Promise<GraphQLSchema> =>
    (
      await build(
        ['extend input CustomerFilter { paymentStatus: PaymentStatus  ticketText: String @access(class: SUPPORT)  any: [CustomerFilter!] }'],
        (f) => f,
        [{ Query: { customers: (_p: unknown, args: unknown) => (calls.push(args), { edges: [], pageInfo: { hasNextPage: false, hasPreviousPage: false }, totalCount: 0 }) } }],
      )
    ).guarded();
  const run = async (schema: GraphQLSchema, role: Role, filter: unknown): Promise<ExecutionResult> =>
    execute({ schema, document: parse('query($f: CustomerFilter) { customers(first: 1, filter: $f) { totalCount } }'), variableValues: { f: filter }, contextValue: ctx(role) });

  it('a role may not filter on a field it may not read: FORBIDDEN before the resolver runs', async () => {
    const schema = await schemaWithFilters();
    const cases: [Role, unknown, string | null][] = [
      ['agent', { paymentStatus: 'PAST_DUE' }, 'Forbidden: role agent may not set filter.paymentStatus of Query.customers (FINANCIAL)'],
      ['approver', { paymentStatus: 'PAST_DUE' }, null],
      ['reader', { system: 'STRIPE' }, null],
      ['approver', { ticketText: 'refund' }, 'Forbidden: role approver may not set filter.ticketText of Query.customers (SUPPORT)'],
      ['agent', { ticketText: 'refund' }, null],
      ['agent', { any: [{ system: 'ERP' }, { paymentStatus: 'FAILED' }] }, 'Forbidden: role agent may not set filter.any.paymentStatus of Query.customers (FINANCIAL)'],
      ['reader', null, null],
    ];
    for (const [role, filter, refused] of cases) {
      calls.length = 0;
      const r = await run(schema, role, filter);
      if (refused) {
        expect(r.errors?.map((e) => [e.message, e.extensions['code']]), JSON.stringify(filter)).toEqual([[refused, 'FORBIDDEN']]);
        expect(calls).toEqual([]);
      } else {
        expect(r.errors, `${role} ${JSON.stringify(filter)}`).toBeUndefined();
        expect(calls).toHaveLength(1);
      }
    }
  });
});

describe('the classes a document’s checks could ask for (classesChecked)', () => {
  it('counts each field’s class, a mutation’s guarded inputs, every canonical class for lineage, and a field asked of an interface on every type that answers it', async () => {
    const { raw } = await build([
      `interface Holding { secret: String }
       type Vault implements Holding { secret: String @access(class: OPERATIONS) }
       type Drawer implements Holding { secret: String }
       extend type Query { holding: Holding }`,
    ]);
    const plan = planAccess(raw, spec);
    const of = (q: string): AccessClass[] => [...classesChecked(plan, raw, parse(q))].sort();
    const canonical = [...new Set(plan.canonicalClass.values())].sort();
    expect(of('{ customer(id: "x") { id name } }')).toEqual([]);
    expect(of('{ customer(id: "x") { email tickets { totalCount } } }')).toEqual(['CONTACT', 'SUPPORT']);
    expect(of('{ customer(id: "x") { lineage { field value } } }')).toEqual(canonical);
    expect(of('{ reviewQueue(first: 1) { totalCount } }')).toEqual(['REVIEW']);
    expect(of('{ holding { secret } }')).toEqual(['OPERATIONS']);
    expect(of('{ holding { ... on Drawer { secret } } }')).toEqual([]);
    expect(of('mutation { splitCustomer(id: "x", system: STRIPE, externalId: "y") { id } }')).toEqual(['STEWARDSHIP']);
    expect(holdsAll('service', of('{ customer(id: "x") { lineage { field value } } }'))).toBe(true);
    expect(holdsAll('agent', of('{ customer(id: "x") { lineage { field value } } }'))).toBe(false);
    expect(holdsAll(null, [])).toBe(false);
  });
});

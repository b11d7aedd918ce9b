// The cost model, as data: what a document costs, how deep it is and how many aliases it has,
// computed from the AST, the schema and the field spec without executing anything.
import { beforeAll, describe, expect, it } from 'vitest';
import { getNamedType, isListType, isNonNullType, isObjectType, parse, type GraphQLOutputType, type GraphQLSchema } from 'graphql';
import { EXAMPLE_QUERY, loadSchema } from '../../src/app.ts';
import { loadFieldSpec } from '../../src/mapping/index.ts';
import { buildCostModel, FIELD_COSTS, measureOperation, type CostModel } from '../../src/limits/cost.ts';
import { checkDocument, countTokens } from '../../src/limits/document.ts';
import { checkVariables } from '../../src/limits/variables.ts';

const ALL = ['salesforce', 'stripe', 'zendesk', 'erp'] as const;
let schema: GraphQLSchema;
let model: CostModel;
const spec = loadFieldSpec(undefined);
const measure = (query: string, variables: Record<string, unknown> = {}, m: CostModel = model, operationName?: string) => measureOperation(schema, parse(query), operationName, variables, m)!;

beforeAll(async () => {
  schema = await loadSchema(spec);
  model = buildCostModel(spec, ALL);
});

describe('cost model', () => {
  it('declares every field that returns a list of objects or takes `first`, so none is forgotten', () => {
    const isList = (t: GraphQLOutputType): boolean => isListType(t) || (isNonNullType(t) && isListType(t.ofType));
    const undeclared: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith('__')) continue;
      for (const field of Object.values(type.getFields())) {
        const key = `${type.name}.${field.name}`;
        const paged = field.args.some((a) => a.name === 'first');
        const objects = isList(field.type) && isObjectType(getNamedType(field.type));
        if ((paged || objects) && !(key in FIELD_COSTS)) undeclared.push(key);
      }
    }
    // Lists read from what the parent already holds (its golden record, links or review item): no call of their own.
    const inMemory = ['Customer.sources', 'FieldLineage.candidates', 'Conflict.values', 'SourceLink.evidence', 'LinkEvidence.sharedWith', 'LinkEvidence.levels', 'ReviewItem.explanation', 'Contact.sources', 'Satisfaction.latest'];
    const edges = (k: string): boolean => k.endsWith('.edges');
    expect(undeclared.filter((k) => !inMemory.includes(k) && !edges(k))).toEqual([]);
  });

  it('costs a page of customers as that many customers, each its golden record and the systems its fields read', () => {
    // name: all four systems; industry: Salesforce only; accountingStatus: the ERP only.
    expect(measure('{ customers(first: 100) { edges { node { id name } } } }').cost).toBe(1 + 100 * (1 + 4));
    expect(measure('{ customers(first: 100) { edges { node { id industry } } } }').cost).toBe(1 + 100 * (1 + 1));
    expect(measure('{ customers(first: 100) { edges { node { industry accountingStatus } } } }').cost).toBe(1 + 100 * (1 + 2));
    expect(measure('{ customers(first: 100) { edges { node { id } } } }').cost).toBe(1 + 100);
    // Without `first`, the default page of 20.
    expect(measure('{ customers { edges { node { id name } } } }').cost).toBe(1 + 20 * 5);
    // Only the count: no customer is served.
    expect(measure('{ customers(first: 100) { totalCount } }').cost).toBe(1);
  });

  it('counts only configured systems', () => {
    const stripeOnly = buildCostModel(spec, ['stripe']);
    expect(measure('{ customers(first: 10) { edges { node { name industry tickets { totalCount } subscriptions { totalCount } } } } }', {}, stripeOnly).cost).toBe(
      // name: Stripe; industry: none; tickets: no Zendesk call but its 20 records counted; subscriptions: Stripe + 20.
      1 + 10 * (1 + 1 + 20 + 21),
    );
  });

  it('costs a related list its systems and its own `first`, whatever is selected of it', () => {
    expect(measure('{ customer(id: "x") { tickets(first: 5) { totalCount } } }').cost).toBe(1 + (1 + 5));
    expect(measure('{ customer(id: "x") { invoices(first: 50) { edges { node { id } } } } }').cost).toBe(1 + (2 + 50));
    expect(measure('{ customer(id: "x") { contacts { name } satisfaction { score } } }').cost).toBe(1 + 2 + 1);
    // lineage and conflicts: the record from every system.
    expect(measure('{ customer(id: "x") { lineage { field } } }').cost).toBe(1 + 4);
  });

  it('multiplies nested pages: review items, their records, their customers', () => {
    expect(measure('{ reviewQueue(first: 10) { edges { node { id records { customer { name } } } } } }').cost).toBe(1 + 10 * (1 + 2 * (1 + 4)));
  });

  it('reads `first` from variables and their defaults, clamped to the largest page', () => {
    const q = 'query($n: Int = 7) { customers(first: $n) { edges { node { id } } } }';
    expect(measure(q).cost).toBe(1 + 7);
    expect(measure(q, { n: 3 }).cost).toBe(1 + 3);
    expect(measure(q, { n: 1_000_000 }).cost).toBe(1 + 100);
    expect(measure(q, { n: -5 }).cost).toBe(1);
    expect(measure(q).variablesRead).toEqual(['n']);
    expect(measure('{ customers(first: 2) { totalCount } }').variablesRead).toEqual([]);
  });

  it('costs mergeCustomers by its ids', () => {
    expect(measure('mutation($ids: [ID!]!) { mergeCustomers(ids: $ids) { id } }', { ids: ['a', 'b', 'c'] }).cost).toBe(3 + 1);
  });

  it('counts fragments once per use, for cost and aliases alike, and measures the named operation', () => {
    const doc = `
      query One { a: customer(id: "1") { ...C } b: customer(id: "2") { ...C } }
      query Two { customer(id: "3") { id } }
      fragment C on Customer { n: name tickets(first: 3) { totalCount } }`;
    expect(measure(doc, {}, model, 'One')).toMatchObject({ cost: 2 * (1 + 4 + (1 + 3)), aliases: 2 + 2, depth: 3 });
    expect(measure(doc, {}, model, 'Two')).toMatchObject({ cost: 1, aliases: 0, depth: 2 });
  });

  it('does not count introspection toward depth or cost', () => {
    const m = measure('{ __schema { types { fields { type { ofType { ofType { ofType { name } } } } } } } }');
    expect(m).toMatchObject({ cost: 0, depth: 0 });
  });

  it('keeps the explorer’s example query cheap', () => {
    const m = measure(EXAMPLE_QUERY);
    // customers.edges.node.opportunities.edges.node.amount.amount: 8 deep.
    // 3 customers × (1 + 4 systems + opportunities 1+2 + tickets 1+2 + subscriptions 1+20 + contracts 1+20)
    expect(m).toMatchObject({ cost: 1 + 3 * (5 + 3 + 3 + 21 + 21), depth: 8, aliases: 0 });
  });
});

describe('document size', () => {
  it('counts tokens as the parser reads them (comments and commas are not tokens), stopping past the limit', () => {
    expect(countTokens('{ a, b } # comment', 100)).toBe(4);
    expect(countTokens('{ ' + 'x '.repeat(1_000) + '}', 10)).toBe(11);
  });

  it('refuses bytes first, then tokens, and lets a document within both through', () => {
    expect(checkDocument('{ ok }', { maxBytes: 100, maxTokens: 100 })).toBeNull();
    expect(checkDocument('{ é }', { maxBytes: 5, maxTokens: 100 })?.extensions).toEqual({ code: 'DOCUMENT_TOO_LARGE', bytes: 6, limit: 5 });
    expect(checkDocument('{ a b c d }', { maxBytes: 100, maxTokens: 4 })?.extensions).toEqual({ code: 'TOKEN_LIMIT_EXCEEDED', tokens: 5, limit: 4 });
  });
});

describe('variables depth', () => {
  /** `value` inside `levels` arrays. */
  const inArrays = (levels: number, value: unknown = 1): unknown => (levels === 0 ? value : [inArrays(levels - 1, value)]);

  it('counts the levels inside the variables object, in arrays and objects alike, and lets the limit itself through', () => {
    expect(checkVariables({ x: inArrays(3) }, 3)).toBeNull();
    expect(checkVariables({ x: inArrays(4) }, 3)?.extensions).toEqual({ code: 'VARIABLES_TOO_DEEP', limit: 3 });
    expect(checkVariables({ x: { a: { b: { c: 1 } } } }, 3)).toBeNull();
    expect(checkVariables({ x: { a: { b: { c: {} } } } }, 3)).not.toBeNull();
    // The deep one among shallow ones, in the last place it could hide.
    expect(checkVariables({ a: 1, b: [1, 2], c: [[1], [2, inArrays(3)]] }, 3)).not.toBeNull();
    expect(checkVariables({}, 0)).toBeNull();
    expect(checkVariables({ x: 'a string is no level' }, 0)).toBeNull();
  });

  it('measures what is not an object as sent, and stops looking past the limit', () => {
    expect(checkVariables(inArrays(5), 3)).not.toBeNull();
    expect(checkVariables(null, 0)).toBeNull();
    // Built without recursion: deeper than the stack allows a walk that would not stop.
    let deep: unknown = 1;
    for (let i = 0; i < 1_000_000; i++) deep = [deep];
    expect(checkVariables({ x: deep })?.extensions).toEqual({ code: 'VARIABLES_TOO_DEEP', limit: 64 });
  });
});

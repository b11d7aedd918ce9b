// What an operation will cost, computed from the document before anything executes (the
// executor is not involved: this reads the AST, the schema and the variables). The unit is
// one source lookup or one record served, as in the per-request upstream budget
// (request-limits.ts), which stays the backstop at run time.
//
// The model knows fan-out: `customers(first: 100)` is a hundred customers, and each customer
// costs one (its golden record) plus one per system its requested canonical fields read (the
// field spec says which systems hold each field); a related list costs a call to each of its
// systems plus its `first` records. Every field that calls anything is declared in FIELD_COSTS
// (a test checks that every list and every paged field of the schema is declared).
import {
  Kind,
  getNamedType,
  isCompositeType,
  isObjectType,
  isInterfaceType,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import type { FieldSpec } from '../mapping/index.ts';
import { SYSTEMS, type SystemId } from '../sources/types.ts';
import { DEFAULT_PAGE, MAX_PAGE } from '../gateway/pagination.ts';

/** How many items a field returns per parent. */
export type Items =
  /** A page: its `first` argument (0…MAX_PAGE), this many when absent. */
  | { page: number }
  /** A fixed number (a review item's pair of records). */
  | { fixed: number };

export interface FieldCost {
  /** Systems this field calls once per parent object (only configured systems count). */
  systems?: readonly SystemId[];
  /** Reads or writes of Meridian's own store per parent object. */
  store?: number;
  /** Store lookups per item of a list argument (mergeCustomers: each id). */
  storePerItemOf?: string;
  items?: Items;
  /** Units per item whatever is selected of it: a related record is read whole from its system. */
  perItem?: number;
  /** The customer's canonical values from every system (lineage, conflicts). */
  allSystems?: true;
}

/**
 * Every field that calls a system or the store, or returns many things. Canonical fields of
 * Customer are not listed: they come from the field spec. Fields not listed cost nothing of
 * their own (values already read: scalars, lineage entries, money, addresses).
 */
export const FIELD_COSTS: Readonly<Record<string, FieldCost>> = {
  'Query.customers': { store: 1, items: { page: DEFAULT_PAGE } },
  'Query.customer': {},
  // The source record's customer: the identity graph, and its system when the record is a person.
  'Query.customerBySource': { store: 1 },
  'Query.searchCustomers': { store: 1, items: { page: 10 } },
  'Query.reviewQueue': { store: 1, items: { page: DEFAULT_PAGE } },
  'Mutation.mergeCustomers': { storePerItemOf: 'ids' },
  'Mutation.splitCustomer': { store: 1 },
  'Mutation.linkSourceRecord': { store: 2 },
  'Mutation.resolveReview': { store: 1 },
  'ReviewItem.records': { items: { fixed: 2 } },
  'Customer.lineage': { allSystems: true },
  'Customer.conflicts': { allSystems: true },
  'Customer.contacts': { systems: ['salesforce', 'zendesk'] },
  'Customer.opportunities': { systems: ['salesforce'], items: { page: DEFAULT_PAGE }, perItem: 1 },
  'Customer.tickets': { systems: ['zendesk'], items: { page: DEFAULT_PAGE }, perItem: 1 },
  'Customer.satisfaction': { systems: ['zendesk'] },
  'Customer.subscriptions': { systems: ['stripe'], items: { page: DEFAULT_PAGE }, perItem: 1 },
  'Customer.invoices': { systems: ['stripe', 'erp'], items: { page: DEFAULT_PAGE }, perItem: 1 },
  'Customer.charges': { systems: ['stripe'], items: { page: DEFAULT_PAGE }, perItem: 1 },
  'Customer.contracts': { systems: ['erp'], items: { page: DEFAULT_PAGE }, perItem: 1 },
  'Customer.payments': { systems: ['erp'], items: { page: DEFAULT_PAGE }, perItem: 1 },
  // Two-way sync (docs/sync.md): the id, the intent (claim, record) and routing's own reads and outbox write.
  'Mutation.updateCustomer': { store: 4 },
  'Mutation.syncCustomer': { store: 2 },
  'Query.syncOverview': { store: 1 },
  'SyncOverview.systems': { items: { fixed: 6 } },
  'SystemSyncStatus.deadLetters': { store: 1, items: { page: 10 } },
  // What the call already answered: no read of their own.
  'UpdateCustomerPayload.jobs': {},
  'SyncJob.changes': {},
};

/**
 * Types whose every instance served is one unit: a customer (its golden record; plus its
 * systems) and a review item. Related records are counted by their list (`perItem`).
 */
export const RECORD_TYPES: ReadonlySet<string> = new Set(['Customer', 'ReviewItem']);

/** Systems as bits, so a customer's systems are a union of small integers. */
const BIT: Readonly<Record<SystemId, number>> = Object.fromEntries(SYSTEMS.map((s, i) => [s, 1 << i])) as Record<SystemId, number>;
const bitsOf = (systems: readonly SystemId[]): number => systems.reduce((m, s) => m | BIT[s], 0);
const popcount = (m: number): number => {
  let n = 0;
  for (let x = m; x !== 0; x &= x - 1) n++;
  return n;
};

export interface CostModel {
  /** Per `Type.field`: the declared cost, with `systems` as bits of configured systems only. */
  readonly fields: ReadonlyMap<string, FieldCost & { systemBits: number }>;
  /** Customer field → the configured systems that hold it (field spec). */
  readonly canonical: ReadonlyMap<string, number>;
  /** Every configured system that holds any canonical field. */
  readonly allSystems: number;
}

/** The model for this gateway: the field spec's systems, limited to those configured. */
export function buildCostModel(spec: FieldSpec, configured: readonly SystemId[]): CostModel {
  const on = bitsOf(configured);
  const canonical = new Map<string, number>();
  let all = 0;
  for (const [name, def] of Object.entries(spec.fields)) {
    const bits = bitsOf(Object.keys(def.sources) as SystemId[]) & on;
    canonical.set(name, bits);
    all |= bits;
  }
  const fields = new Map(Object.entries(FIELD_COSTS).map(([k, v]) => [k, { ...v, systemBits: bitsOf(v.systems ?? []) & on }]));
  return { fields, canonical, allSystems: all };
}

export interface OperationMeasure {
  /** Estimated source lookups and records served. */
  cost: number;
  /** Deepest field nesting (introspection fields not counted). */
  depth: number;
  /** Aliased fields, fragments counted once per use. */
  aliases: number;
  /** The variables whose values went into the measure: it holds for any request giving them the same values. */
  variablesRead: readonly string[];
}

/** One selection set's measure; `systems`: bits read by canonical fields of the object it selects on. */
interface Part {
  cost: number;
  systems: number;
  depth: number;
  aliases: number;
}

/**
 * Measures the operation `operationName` (or the only one) of a validated document. @skip and
 * @include are not evaluated: a field counts as if it were included (an upper bound).
 * null when the document has no such operation (execution reports that).
 */
export function measureOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Readonly<Record<string, unknown>> | null | undefined,
  model: CostModel,
): OperationMeasure | null {
  let operation: OperationDefinitionNode | undefined;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) {
    if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
    else if (d.kind === Kind.OPERATION_DEFINITION && (operationName ? d.name?.value === operationName : operation === undefined)) operation = d;
  }
  if (!operation) return null;
  const root = schema.getRootType(operation.operation);
  if (!root) return null;
  const op = operation;
  const vars = variables ?? {};
  const variablesRead = new Set<string>();

  const valueOf = (node: ValueNode | undefined): unknown => {
    if (!node) return undefined;
    switch (node.kind) {
      case Kind.INT:
        return Number(node.value);
      case Kind.LIST:
        return node.values;
      case Kind.NULL:
        return null;
      case Kind.VARIABLE: {
        const name = node.name.value;
        variablesRead.add(name);
        if (name in vars) return vars[name];
        return valueOf(op.variableDefinitions?.find((v) => v.variable.name.value === name)?.defaultValue);
      }
      default:
        return undefined;
    }
  };
  const arg = (field: FieldNode, name: string): unknown => valueOf(field.arguments?.find((a) => a.name.value === name)?.value);
  const count = (field: FieldNode, items: Items | undefined): number => {
    if (!items) return 1;
    if ('fixed' in items) return items.fixed;
    const v = arg(field, 'first');
    // Out of range is refused by the field itself (BAD_USER_INPUT); here it costs the most a page can be.
    if (typeof v !== 'number' || !Number.isFinite(v)) return items.page;
    return Math.min(MAX_PAGE, Math.max(0, Math.floor(v)));
  };

  const memo = new Map<string, Part>();
  const visiting = new Set<string>();
  const objectCost = (type: GraphQLCompositeType, part: Part): number => {
    if (type.name === 'Customer') return 1 + popcount(part.systems) + part.cost;
    return (RECORD_TYPES.has(type.name) ? 1 : 0) + part.cost;
  };

  const measure = (type: GraphQLCompositeType, set: SelectionSetNode): Part => {
    const out: Part = { cost: 0, systems: 0, depth: 0, aliases: 0 };
    const add = (p: Part): void => {
      out.cost += p.cost;
      out.systems |= p.systems;
      out.depth = Math.max(out.depth, p.depth);
      out.aliases += p.aliases;
    };
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) {
        const name = sel.name.value;
        if (sel.alias) out.aliases += 1;
        // Introspection reads the schema in memory: no cost, and its own depth does not count.
        if (name.startsWith('__')) continue;
        const def = isObjectType(type) || isInterfaceType(type) ? type.getFields()[name] : undefined;
        if (!def) continue; // validation reports unknown fields
        const key = `${type.name}.${name}`;
        const rule = model.fields.get(key);
        if (type.name === 'Customer') {
          const bits = model.canonical.get(name);
          if (bits !== undefined) out.systems |= bits;
          if (rule?.allSystems) out.systems |= model.allSystems;
        }
        const perItem = rule?.storePerItemOf ? arg(sel, rule.storePerItemOf) : undefined;
        out.cost += (rule ? popcount(rule.systemBits) + (rule.store ?? 0) : 0) + (Array.isArray(perItem) ? perItem.length : 0);
        const child = getNamedType(def.type);
        if (sel.selectionSet && isCompositeType(child)) {
          const inner = measure(child, sel.selectionSet);
          out.cost += count(sel, rule?.items) * ((rule?.perItem ?? 0) + objectCost(child, inner));
          out.depth = Math.max(out.depth, 1 + inner.depth);
          out.aliases += inner.aliases;
        } else {
          out.depth = Math.max(out.depth, 1);
        }
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        const on = sel.typeCondition ? schema.getType(sel.typeCondition.name.value) : type;
        if (on && isCompositeType(on)) add(measure(on, sel.selectionSet));
      } else {
        const name = sel.name.value;
        let part = memo.get(name);
        if (!part) {
          const frag = fragments.get(name);
          const on = frag ? schema.getType(frag.typeCondition.name.value) : undefined;
          if (!frag || !on || !isCompositeType(on) || visiting.has(name)) continue; // validation reports these
          visiting.add(name);
          part = measure(on, frag.selectionSet);
          visiting.delete(name);
          memo.set(name, part);
        }
        add(part);
      }
    }
    return out;
  };

  const top = measure(root, op.selectionSet);
  return { cost: top.cost, depth: top.depth, aliases: top.aliases, variablesRead: [...variablesRead] };
}

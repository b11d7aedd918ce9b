// Reads the access rules from the schema and the field spec once, at schema build time: which
// fields are guarded and how. Fields that need no check get no plan (and no wrapper), and rules
// that cannot hold as declared stop the start with every problem named.
import { getDirective } from '@graphql-tools/utils';
import {
  getNamedType,
  isAbstractType,
  isEnumType,
  isInputObjectType,
  isNonNullType,
  isObjectType,
  Kind,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputField,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';
import type { FieldSpec } from '../mapping/spec.ts';
import { parsePath } from '../mapping/paths.ts';
import { ACCESS_CLASSES, isAccessClass, type AccessClass } from './classes.ts';
import { AccessRuleError } from './errors.ts';
import { ARGUMENT_RULES, CANDIDATE_TYPE, CANDIDATE_VALUES, KEYED_TYPES, type KeyedType } from './rules.ts';

/** The type whose fields are the canonical fields of the spec. */
export const CANONICAL_TYPE = 'Customer';
export const DIRECTIVE = 'access';

/** An argument or input field that a role may set only when it holds `cls`, or that holds such fields. */
export interface InputGuard {
  name: string;
  cls: AccessClass | null;
  /** Guarded fields inside it (an input object, or a list of them). */
  inner: readonly InputGuard[];
}

export interface FieldPlan {
  /** `Type.field`, as errors name it. */
  coordinate: string;
  /** A field of the query, mutation or subscription type: refused outright without a role. */
  root: boolean;
  operation: 'query' | 'mutation' | 'subscription' | null;
  /** The field's own class (spec or @access). */
  cls: AccessClass | null;
  inputs: readonly InputGuard[];
  /** The canonical fields a call reads, from its arguments (rules.ts). */
  argumentRule: ((args: Record<string, unknown>) => readonly string[]) | null;
  /** A value (or candidates) of the canonical field its parent names. */
  keyed: { type: KeyedType; as: 'value' | 'candidates' } | null;
  /** Candidate.value / rawValue: null with FORBIDDEN when the parent came redacted; 'raw' also when only its raw value did. */
  candidateValue: 'value' | 'raw' | null;
}

export interface AccessPlan {
  fields: ReadonlyMap<string, FieldPlan>;
  /** Canonical field → its class (fields in no class are absent). */
  canonicalClass: ReadonlyMap<string, AccessClass>;
  /**
   * Canonical field → system → the classes a candidate's rawValue needs besides the field's
   * own: those of the other canonical fields that read the same source data (rawClasses).
   */
  rawClasses: ReadonlyMap<string, ReadonlyMap<string, readonly AccessClass[]>>;
}

/**
 * What a candidate's raw value reveals is its source data, not only its field: the domain read
 * from a Stripe customer's e-mail carries that e-mail (CONTACT), the lifecycle read from its
 * subscriptions carries their prices (FINANCIAL, as paymentStatus that reads them). So a raw
 * value needs, besides its own field's class, the class of every other canonical field that
 * reads the same path in that system, or a path inside it or around it. Derived from the spec,
 * so a field added there is covered without a rule of its own.
 */
export function rawClassesOf(spec: FieldSpec): Map<string, Map<string, AccessClass[]>> {
  const pathsOf = (path: string | Readonly<Record<string, string>>): (readonly (string | number)[])[] =>
    (typeof path === 'string' ? [path] : Object.values(path)).map((p) => parsePath(p) ?? [p]);
  const overlaps = (a: readonly (string | number)[], b: readonly (string | number)[]): boolean => {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
    return true;
  };
  const out = new Map<string, Map<string, AccessClass[]>>();
  for (const [name, def] of Object.entries(spec.fields)) {
    for (const [system, source] of Object.entries(def.sources)) {
      if (!source) continue;
      const mine = pathsOf(source.path);
      const extra = new Set<AccessClass>();
      for (const [other, otherDef] of Object.entries(spec.fields)) {
        const cls = otherDef.access;
        const theirs = otherDef.sources[system as keyof typeof otherDef.sources];
        if (other === name || !cls || cls === def.access || !theirs) continue;
        if (pathsOf(theirs.path).some((t) => mine.some((m) => overlaps(m, t)))) extra.add(cls);
      }
      if (extra.size === 0) continue;
      let bySystem = out.get(name);
      if (!bySystem) out.set(name, (bySystem = new Map<string, AccessClass[]>()));
      bySystem.set(system, [...extra].sort());
    }
  }
  return out;
}

type Directable = GraphQLField<unknown, unknown> | GraphQLArgument | GraphQLInputField;

/** Builds the plan; throws AccessRuleError naming every rule that cannot hold. */
export function planAccess(schema: GraphQLSchema, spec: FieldSpec): AccessPlan {
  const problems: string[] = [];
  const canonicalClass = new Map<string, AccessClass>();
  for (const [name, def] of Object.entries(spec.fields)) if (def.access) canonicalClass.set(name, def.access);

  const enumType = schema.getType('AccessClass');
  const declared = isEnumType(enumType) ? enumType.getValues().map((v) => v.name) : [];
  if (declared.join() !== ACCESS_CLASSES.join()) problems.push(`enum AccessClass must list exactly ${ACCESS_CLASSES.join(', ')} (src/access/classes.ts); the schema has ${declared.join(', ') || 'none'}`);

  const directiveClass = (node: Directable, at: string): AccessClass | null => {
    const d = getDirective(schema, node, DIRECTIVE)?.[0];
    if (!d) return null;
    const c: unknown = d['class'];
    if (!isAccessClass(c)) {
      problems.push(`${at}: @access(class: ${String(c)}) is not an access class`);
      return null;
    }
    return c;
  };

  // An argument or input field named like a canonical field filters on it or writes it: it has
  // that field's class unless @access says otherwise (then both may not be given).
  const inputClass = (node: GraphQLArgument | GraphQLInputField, at: string): AccessClass | null => {
    const own = directiveClass(node, at);
    const inherited = canonicalClass.get(node.name) ?? null;
    if (own && inherited) problems.push(`${at}: named like the canonical field ${node.name}, whose class (${inherited}) the field spec declares; drop @access(class: ${own})`);
    return own ?? inherited;
  };

  const inputMemo = new Map<string, InputGuard[]>();
  const inProgress = new Set<string>();
  const hasClass = (guards: readonly InputGuard[], seen: Set<readonly InputGuard[]>): boolean => {
    if (seen.has(guards)) return false;
    seen.add(guards);
    return guards.some((g) => g.cls !== null || hasClass(g.inner, seen));
  };
  const guardsOfInput = (type: GraphQLInputType): readonly InputGuard[] => {
    const named = getNamedType(type);
    if (!isInputObjectType(named)) return [];
    const memo = inputMemo.get(named.name);
    if (memo) return memo;
    // Filled in place: a recursive input (a filter of filters) refers to this same list.
    const out: InputGuard[] = [];
    inputMemo.set(named.name, out);
    inProgress.add(named.name);
    for (const f of Object.values(named.getFields())) {
      const cls = inputClass(f, `${named.name}.${f.name}`);
      const inner = guardsOfInput(f.type);
      if (cls || inner.length > 0 || inProgress.has(getNamedType(f.type).name)) out.push({ name: f.name, cls, inner });
    }
    inProgress.delete(named.name);
    // Nothing guarded inside after all (recursion included): no check at all. Decided at the
    // outermost input only, once every input it reaches is complete.
    if (inProgress.size === 0 && !hasClass(out, new Set())) out.length = 0;
    return out;
  };

  const roots = new Map<string, 'query' | 'mutation' | 'subscription'>();
  const q = schema.getQueryType();
  const m = schema.getMutationType();
  const s = schema.getSubscriptionType();
  if (q) roots.set(q.name, 'query');
  if (m) roots.set(m.name, 'mutation');
  if (s) roots.set(s.name, 'subscription');

  const candidateCovered = new Set<string>();
  for (const [typeName, k] of Object.entries(KEYED_TYPES)) for (const f of k.candidates) candidateCovered.add(`${typeName}.${f}`);
  const jsonCovered = new Set<string>(CANDIDATE_VALUES.map((f) => `${CANDIDATE_TYPE}.${f}`));
  for (const [typeName, k] of Object.entries(KEYED_TYPES)) for (const f of k.values) jsonCovered.add(`${typeName}.${f}`);

  const fields = new Map<string, FieldPlan>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    const operation = roots.get(type.name) ?? null;
    const keyedType = KEYED_TYPES[type.name];
    for (const field of Object.values(type.getFields())) {
      const coordinate = `${type.name}.${field.name}`;
      const own = directiveClass(field, coordinate);
      const fromSpec = type.name === CANONICAL_TYPE ? (canonicalClass.get(field.name) ?? null) : null;
      if (own && fromSpec) problems.push(`${coordinate}: the field spec declares its class (${fromSpec}); drop @access(class: ${own}) (declared once)`);
      const cls = own ?? fromSpec;
      // A denied field answers null; a non-null one would take its parent down with it. A root
      // mutation or subscription is refused as a whole, so it may be non-null.
      if (cls && isNonNullType(field.type) && operation !== 'mutation' && operation !== 'subscription') {
        problems.push(`${coordinate} is non-null: a denied field answers null, so a guarded field must be nullable (or guard its nearest nullable parent)`);
      }
      if (operation === 'mutation' && !cls) problems.push(`${coordinate}: every mutation declares who may call it (@access(class: …))`);

      const inputs: InputGuard[] = [];
      for (const arg of field.args) {
        const at = `${coordinate}(${arg.name}:)`;
        const c = inputClass(arg, at);
        const inner = guardsOfInput(arg.type);
        if (c || inner.length > 0) inputs.push({ name: arg.name, cls: c, inner });
      }
      const argumentRule = ARGUMENT_RULES[coordinate] ?? null;
      const keyed = keyedType?.values.includes(field.name)
        ? { type: keyedType, as: 'value' as const }
        : keyedType?.candidates.includes(field.name)
          ? { type: keyedType, as: 'candidates' as const }
          : null;
      const candidateValue = type.name === CANDIDATE_TYPE && CANDIDATE_VALUES.includes(field.name) ? (field.name === 'rawValue' ? ('raw' as const) : ('value' as const)) : null;

      // Every way a canonical value leaves the graph must be tied to its field (rules.ts).
      const returns = getNamedType(field.type).name;
      if (returns === 'JSON' && !jsonCovered.has(coordinate)) problems.push(`${coordinate} returns JSON, which can carry any canonical value: tie it to its canonical field in src/access/rules.ts (KEYED_TYPES)`);
      if (returns === CANDIDATE_TYPE && !candidateCovered.has(coordinate)) problems.push(`${coordinate} returns Candidate values without naming their canonical field: list it in src/access/rules.ts (KEYED_TYPES)`);
      if (keyed && cls) problems.push(`${coordinate}: its class follows the canonical field its ${type.name} names; drop @access(class: ${cls})`);

      if (operation || cls || inputs.length > 0 || argumentRule || keyed || candidateValue) {
        fields.set(coordinate, { coordinate, root: operation !== null, operation, cls, inputs, argumentRule, keyed, candidateValue });
      }
    }
  }
  for (const coordinate of Object.keys(ARGUMENT_RULES)) {
    const [t, f] = coordinate.split('.') as [string, string];
    const type = schema.getType(t);
    if (isObjectType(type) && type.getFields()[f]) continue;
    if (type) problems.push(`src/access/rules.ts names ${coordinate}, which the schema does not have`);
  }
  if (problems.length > 0) throw new AccessRuleError(problems);
  return { fields, canonicalClass, rawClasses: rawClassesOf(spec) };
}

/**
 * Every access class a check in `document` could ask for, on `schema` (the one the plan was made
 * from): each selected field's own class, its guarded inputs' (given or not), and for a field
 * whose class follows a canonical field its arguments or parent name (filters, lineage values
 * and candidates), every canonical field's class. An upper bound: a role holding all of them
 * passes every check the document can make, so its operations may run without the checks
 * (server/fast-path.ts). Fragments count whether or not an operation spreads them.
 */
export function classesChecked(plan: AccessPlan, schema: GraphQLSchema, document: DocumentNode): ReadonlySet<AccessClass> {
  const out = new Set<AccessClass>();
  const addInputs = (guards: readonly InputGuard[]): void => {
    for (const g of guards) {
      if (g.cls) out.add(g.cls);
      addInputs(g.inner);
    }
  };
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      [Kind.FIELD]: (node) => {
        const parent = typeInfo.getParentType();
        if (!parent) return;
        // A field asked of an interface or union is checked on whichever object type answers: each counts.
        const owners = isAbstractType(parent) ? schema.getPossibleTypes(parent) : [parent];
        for (const owner of owners) {
          const p = plan.fields.get(`${owner.name}.${node.name.value}`);
          if (!p) continue;
          if (p.cls) out.add(p.cls);
          addInputs(p.inputs);
          if (p.argumentRule || p.keyed || p.candidateValue) for (const c of plan.canonicalClass.values()) out.add(c);
        }
      },
    }),
  );
  return out;
}

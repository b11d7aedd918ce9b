// Executes operations with graphql-jit inside Apollo Server 5.
//
// Apollo Server 5 has no `executor` option; its supported route is the gateway interface
// (@apollo/server-gateway-interface): an object that hands Apollo the schema through
// onSchemaLoadOrUpdate before load() resolves (else start-up fails, apollo-server issue 7340)
// and returns an executor from load(). Apollo still parses, validates and runs every plugin
// hook; only execution is ours. See ../shared/reference/apollo-executor-and-federation.md.
//
// Compiled queries are kept in a bounded LRU keyed by document text + operation name. A
// document graphql-jit cannot compile is executed by graphql's own execute (the decision is
// cached with the document, and logged once). A request that names no single operation of its
// document is the client's mistake, not graphql-jit's: graphql's execute refuses it, unlogged.
// Errors graphql-jit builds from a plain `Error` carry no `extensions` (graphql-jit issue 234) and Apollo reads `extensions.code` unguarded
// (apollo-server issue 7773): every error is re-wrapped as a graphql-js GraphQLError, so codes,
// masking and `originalError` (SOURCE_UNAVAILABLE's system) behave as under graphql's execute.
import { createRequire } from 'node:module';
import type * as GraphQL from 'graphql';
import type { DocumentNode, ExecutionResult, FieldNode, FragmentDefinitionNode, GraphQLEnumType, GraphQLNullableType, GraphQLObjectType, GraphQLOutputType, GraphQLScalarType, OperationDefinitionNode, GraphQLSchema, SelectionSetNode } from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import type { ApolloServerOptionsWithGateway, BaseContext } from '@apollo/server';
import type { Logger } from './http.ts';

// graphql as Apollo Server, graphql-tools and graphql-jit load it (graphql has no `exports` map, so
// Node gives every importer its CommonJS build). A bundler such as vitest's may resolve our own
// `import 'graphql'` to the ESM build instead: a second GraphQLError class that Apollo's
// `instanceof` checks refuse (dropping the path) and a second `execute` that refuses the schema.
// Under Node alone both are the same module.
const { GraphQLError, execute, getNamedType, getNullableType, getOperationAST, isEnumType, isListType, isNonNullType, isObjectType, isInterfaceType, isScalarType, isSpecifiedScalarType, Kind, OperationTypeNode } = createRequire(import.meta.url)('graphql') as typeof GraphQL;
type GraphQLError = InstanceType<typeof GraphQLError>;

type GatewayInterface = ApolloServerOptionsWithGateway<BaseContext>['gateway'];
type GatewayExecutor = NonNullable<Awaited<ReturnType<GatewayInterface['load']>>['executor']>;
type SchemaCallback = Parameters<GatewayInterface['onSchemaLoadOrUpdate']>[0];

/**
 * How an operation runs. A cache entry holds the compiled query, or the decision to use graphql's
 * execute (`fallback`). `refused`, never cached: the request names no single operation of its
 * document, and graphql's execute refuses it in its own words.
 */
export type Plan = { kind: 'jit'; compiled: CompiledQuery; lean: LeanPlan | null } | { kind: 'fallback' } | { kind: 'refused' };

const REFUSED: Plan = { kind: 'refused' };

/**
 * A query compiled a second time with graphql-jit's disableLeafSerialization, and what its
 * answers' leaves must be for that to change nothing (see settle).
 */
interface LeanPlan {
  compiled: CompiledQuery;
  /** settle() for the answer's shape, compiled (compileSettle). */
  settle: (data: unknown) => void;
}

/**
 * What a response key holds: a leaf (an enum or built-in scalar, which the lean plan leaves as
 * its resolver gave it), with `ok` telling whether graphql's serialize would answer a value
 * unchanged; or an object's keys that hold such leaves (lists of either are walked item by
 * item). null: nothing to check (a custom scalar, which graphql-jit serializes in both plans).
 * One object layout for both, so the walk reads its properties at one shape.
 */
interface Shape {
  kind: ShapeKind;
  leaf: GraphQLEnumType | GraphQLScalarType | null;
  /** An enum's internal values that serialize answers unchanged (those that are their own name). */
  names: ReadonlySet<unknown> | null;
  keys: string[];
  shapes: (Shape | null)[];
}

/** What a shape is; checked with a switch, not a call per leaf (the walk visits hundreds). */
const KIND = { Object: 0, String: 1, Boolean: 2, Int: 3, Float: 4, Enum: 5, Never: 6 } as const;
type ShapeKind = (typeof KIND)[keyof typeof KIND];

const BUILT_IN: Record<string, ShapeKind> = { String: KIND.String, ID: KIND.String, Boolean: KIND.Boolean, Int: KIND.Int, Float: KIND.Float };
const enumNames = new WeakMap<GraphQLEnumType, ReadonlySet<unknown>>();

function leafShape(type: GraphQLEnumType | GraphQLScalarType): Shape {
  if (!isEnumType(type)) return { kind: BUILT_IN[type.name] ?? KIND.Never, leaf: type, names: null, keys: [], shapes: [] };
  let names = enumNames.get(type);
  if (!names) enumNames.set(type, (names = new Set(type.getValues().flatMap((x): unknown[] => (type.serialize(x.value) === x.value ? [x.value as unknown] : [])))));
  return { kind: KIND.Enum, leaf: type, names, keys: [], shapes: [] };
}

/** Whether graphql's serialize would answer this leaf value unchanged. */
function serialized(shape: Shape, v: unknown): boolean {
  switch (shape.kind) {
    case KIND.String:
      return typeof v === 'string';
    case KIND.Boolean:
      return typeof v === 'boolean';
    case KIND.Int:
      return typeof v === 'number' && Number.isInteger(v) && v <= 2_147_483_647 && v >= -2_147_483_648;
    case KIND.Float:
      return typeof v === 'number' && Number.isFinite(v);
    case KIND.Enum:
      return shape.names!.has(v);
    default:
      return false;
  }
}

/**
 * Makes a lean plan's answer what the full plan's would be: every leaf that serialize would
 * change is serialized in place (the answer's objects are the executor's own, fresh per
 * request). Throws when a leaf does not serialize: that answer needs the full plan (its error).
 */
function settle(value: unknown, shape: Shape | null): unknown {
  if (value === null || value === undefined || shape === null) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = settle(value[i], shape);
    return value;
  }
  if (shape.kind !== KIND.Object) return serialized(shape, value) ? value : shape.leaf!.serialize(value);
  const object = value as Record<string, unknown>;
  for (let i = 0; i < shape.keys.length; i++) {
    const key = shape.keys[i]!;
    const v = object[key];
    const inner = shape.shapes[i]!;
    if (v === null || v === undefined || inner === null) continue;
    // A plain leaf is checked here, without a call of its own.
    if (inner.kind !== KIND.Object && typeof v !== 'object') {
      if (!serialized(inner, v)) object[key] = inner.leaf!.serialize(v);
      continue;
    }
    const s = settle(v, inner);
    if (s !== v) object[key] = s;
  }
  return value;
}

/** The JavaScript test that holds when serialize would answer `v` unchanged (serialized(), inlined). */
function leafTest(shape: Shape, enumRef: string): string {
  switch (shape.kind) {
    case KIND.String:
      return "typeof v === 'string'";
    case KIND.Boolean:
      return "typeof v === 'boolean'";
    case KIND.Int:
      return "(typeof v === 'number' && Number.isInteger(v) && v <= 2147483647 && v >= -2147483648)";
    case KIND.Float:
      return "(typeof v === 'number' && Number.isFinite(v))";
    case KIND.Enum:
      return `${enumRef}.names.has(v)`;
    default:
      return 'false';
  }
}

/**
 * settle() for one shape, compiled to straight-line code (as graphql-jit compiles a query): one
 * function per object shape that reads its keys as fixed properties, so each property access
 * stays monomorphic instead of a keyed read of whatever key comes next. The uncommon cases (a
 * list of leaves, a leaf that is an object) go to settle() itself; a leaf that does not
 * serialize throws, as there. Keys are GraphQL response names ([_A-Za-z][_0-9A-Za-z]*), written
 * as JSON string literals all the same.
 */
function compileSettle(root: Shape): (data: unknown) => void {
  const leaves: Shape[] = [];
  const functions: string[] = [];
  let named = 0;
  const objectFunction = (shape: Shape): string => {
    const name = `o${named++}`;
    const body: string[] = [];
    shape.keys.forEach((key, i) => {
      const inner = shape.shapes[i]!;
      if (inner === null) return;
      const k = JSON.stringify(key);
      if (inner.kind === KIND.Object) {
        const child = objectFunction(inner);
        body.push(`v = o[${k}]; if (v !== null && v !== undefined) { if (Array.isArray(v)) each(v, ${child}); else ${child}(v); }`);
      } else {
        const ref = `leaves[${leaves.push(inner) - 1}]`;
        body.push(`v = o[${k}]; if (v !== null && v !== undefined && !(${leafTest(inner, ref)})) o[${k}] = typeof v === 'object' ? settle(v, ${ref}) : ${ref}.leaf.serialize(v);`);
      }
    });
    // Declarations: their order in the generated text does not matter.
    functions.push(`function ${name}(o) { let v;\n${body.join('\n')}\n}`);
    return name;
  };
  const top = objectFunction(root);
  const each = (items: unknown[], f: (o: unknown) => void): void => {
    for (const item of items) {
      if (item === null || item === undefined) continue;
      if (Array.isArray(item)) each(item, f);
      else f(item);
    }
  };
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated from the schema's names, as graphql-jit does
  const make = new Function('leaves', 'settle', 'each', `${functions.join('\n')}\nreturn (data) => { if (data !== null && data !== undefined) ${top}(data); };`) as (
    leaves: Shape[],
    settle: (value: unknown, shape: Shape | null) => unknown,
    each: (items: unknown[], f: (o: unknown) => void) => void,
  ) => (data: unknown) => void;
  return make(leaves, settle, each);
}

/** A shape while it is collected (keys merge when a field is selected twice). */
type Collecting = Shape | { fields: Map<string, Collecting> } | null;

/**
 * The shape of a query's answer, or null when a lean plan is not used for it: anything but a
 * query (a second run of a mutation would repeat its writes), introspection, abstract types,
 * fragments on another type than the object they are spread in.
 */
function shapeOf(schema: GraphQLSchema, document: DocumentNode, operationName: string | null): Shape | null {
  const operation = getOperationAST(document, operationName);
  const root = schema.getQueryType();
  if (!operation || operation.operation !== OperationTypeNode.QUERY || !root) return null;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const collect = (type: GraphQLObjectType, set: SelectionSetNode, into: Map<string, Collecting>): boolean => {
    for (const sel of set.selections) {
      if (sel.kind === Kind.INLINE_FRAGMENT || sel.kind === Kind.FRAGMENT_SPREAD) {
        const f = sel.kind === Kind.INLINE_FRAGMENT ? sel : fragments.get(sel.name.value);
        if (!f || (f.typeCondition && f.typeCondition.name.value !== type.name) || !collect(type, f.selectionSet, into)) return false;
        continue;
      }
      const name = sel.name.value;
      if (name === '__typename') continue;
      const def = type.getFields()[name];
      if (!def) return false; // introspection (__schema, __type)
      const key = (sel.alias ?? sel.name).value;
      const named = getNamedType(def.type);
      if (isEnumType(named) || (isScalarType(named) && isSpecifiedScalarType(named))) into.set(key, leafShape(named));
      else if (isScalarType(named)) into.set(key, null);
      else if (isObjectType(named) && sel.selectionSet) {
        const known = into.get(key);
        const fields = known && 'fields' in known ? known.fields : new Map<string, Collecting>();
        into.set(key, { fields });
        if (!collect(named, sel.selectionSet, fields)) return false;
      } else return false;
    }
    return true;
  };
  const fields = new Map<string, Collecting>();
  const done = (c: Collecting): Shape | null => (c === null || !('fields' in c) ? c : { kind: KIND.Object, leaf: null, names: null, keys: [...c.fields.keys()], shapes: [...c.fields.values()].map(done) });
  return collect(root, operation.selectionSet, fields) ? done({ fields }) : null;
}


/**
 * A small LRU over Map's insertion order: a hit moves the key to the end, the oldest goes first.
 * A hit on the most recent key changes nothing, and a moved entry keeps the key it was stored
 * under: the caller's key (a request's query text, new with every request) is never kept, so a
 * hit neither rewrites the map nor keeps that request's string alive in the old generation.
 */
export class LruCache<V> {
  readonly #map = new Map<string, { key: string; value: V }>();
  readonly #max: number;
  #newest: { key: string; value: V } | undefined;
  constructor(max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`LRU size must be a positive integer (got ${max})`);
    this.#max = max;
  }
  get(key: string): V | undefined {
    const entry = this.#map.get(key);
    if (entry === undefined) return undefined;
    if (entry !== this.#newest) {
      this.#map.delete(entry.key);
      this.#map.set(entry.key, entry);
      this.#newest = entry;
    }
    return entry.value;
  }
  set(key: string, value: V): void {
    const entry = { key, value };
    this.#map.delete(key);
    this.#map.set(key, entry);
    this.#newest = entry;
    if (this.#map.size > this.#max) this.#map.delete(this.#map.keys().next().value!);
  }
  get size(): number {
    return this.#map.size;
  }
}

export interface JitStats {
  /** Executions answered by a query compiled earlier. */
  hits: number;
  /** Documents compiled (each a cache miss that compiled). */
  compiled: number;
  /** Executions that used graphql's execute because graphql-jit could not compile the document. */
  fallbacks: number;
  /** Entries in the cache now. */
  size: number;
  /** Queries run again with full leaf serialization because a leaf of the lean plan's answer did not serialize (an error to report). */
  leanRetries: number;
}

export interface JitExecutorOptions {
  schema: GraphQLSchema;
  /** Compiled queries kept; the least recently used goes first (MERIDIAN_JIT_CACHE_SIZE). */
  cacheSize: number;
  logger: Logger;
  /** graphql-jit's compileQuery (a test may pass one that refuses, to reach the fallback). */
  compile?: typeof compileQuery;
}

/** The parts of a graphql-jit error that are kept. Read by shape: under a bundler (vitest) graphql-jit
 * may load another copy of graphql than ours, so `instanceof GraphQLError` cannot be relied on. */
interface JitErrorShape extends Error {
  path?: readonly (string | number)[];
  locations?: readonly { line: number; column: number }[];
  originalError?: Error | null;
  extensions?: Record<string, unknown>;
}

/**
 * An error of graphql-jit's (or anything thrown while executing compiled code) as a graphql-js
 * GraphQLError that always has `extensions`, keeping the path, locations and original error.
 */
export function rewrap(error: unknown): GraphQLError {
  const e: JitErrorShape = error instanceof Error ? error : new Error(String(error));
  const original = e.originalError ?? (e.path === undefined ? e : undefined);
  const wrapped = new GraphQLError(e.message, {
    ...(e.path ? { path: e.path } : {}),
    ...(original ? { originalError: original } : {}),
    extensions: e.extensions ?? (original as JitErrorShape | undefined)?.extensions ?? {},
  });
  // graphql-jit computed the locations at compile time; it keeps no AST nodes to derive them from.
  if (e.locations) Object.assign(wrapped, { locations: e.locations });
  return wrapped;
}

/** The field nodes answering `key` in these selection sets (through fragments), with the type each was asked on. */
function fieldsAnswering(key: string, sets: readonly { set: SelectionSetNode; on: string | null }[], fragments: Map<string, FragmentDefinitionNode>): { node: FieldNode; on: string | null }[] {
  const found: { node: FieldNode; on: string | null }[] = [];
  const visit = (set: SelectionSetNode, on: string | null): void => {
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) {
        if ((sel.alias ?? sel.name).value === key) found.push({ node: sel, on });
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        visit(sel.selectionSet, sel.typeCondition?.name.value ?? on);
      } else {
        const f = fragments.get(sel.name.value);
        if (f) visit(f.selectionSet, f.typeCondition.name.value);
      }
    }
  };
  for (const { set, on } of sets) visit(set, on);
  return found;
}

/** The declared type of the field at a response path; null when it cannot be told. */
function typeAtPath(schema: GraphQLSchema, operation: OperationDefinitionNode, fragments: Map<string, FragmentDefinitionNode>, path: readonly (string | number)[]): GraphQLOutputType | null {
  const root = schema.getRootType(operation.operation);
  if (!root) return null;
  let type: GraphQLOutputType = root;
  let sets: { set: SelectionSetNode; on: string | null }[] = [{ set: operation.selectionSet, on: null }];
  for (const key of path) {
    if (typeof key === 'number') {
      const list = getNullableType(type) as GraphQLNullableType;
      if (!isListType(list)) return null;
      type = list.ofType as GraphQLOutputType;
      continue;
    }
    const nodes = fieldsAnswering(key, sets, fragments);
    const first = nodes[0];
    if (!first) return null;
    const named = (first.on ? schema.getType(first.on) : null) ?? getNamedType(type);
    if (!isObjectType(named) && !isInterfaceType(named)) return null;
    const def = named.getFields()[first.node.name.value];
    if (!def) return null;
    type = def.type;
    sets = nodes.flatMap((n) => (n.node.selectionSet ? [{ set: n.node.selectionSet, on: null }] : []));
  }
  return type;
}

/**
 * graphql-jit lists the errors of non-null fields (those that nulled a parent, maybe the whole
 * answer) after all others; graphql's execute lists errors as they happen, and stops at the one that
 * nulls the answer. Those come first here, so the first error is the one that explains a null.
 */
function nonNullFirst(errors: readonly GraphQLError[], schema: GraphQLSchema, document: DocumentNode, operationName: string | null): GraphQLError[] {
  const operation = getOperationAST(document, operationName);
  if (errors.length < 2 || !operation) return [...errors];
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const first: GraphQLError[] = [];
  const rest: GraphQLError[] = [];
  for (const e of errors) {
    const t = e.path ? typeAtPath(schema, operation, fragments, e.path) : null;
    (t !== null && isNonNullType(t) ? first : rest).push(e);
  }
  return [...first, ...rest];
}

/**
 * Apollo Server's gateway, executing with graphql-jit. Pass it as `gateway` (instead of `schema`)
 * to `new ApolloServer`; `stats()` says how often compiled queries answered.
 */
export class JitGateway implements GatewayInterface {
  readonly #schema: GraphQLSchema;
  readonly #plans: LruCache<Plan>;
  readonly #logger: Logger;
  readonly #compile: typeof compileQuery;
  readonly #callbacks = new Set<SchemaCallback>();
  readonly #stats = { hits: 0, compiled: 0, fallbacks: 0, leanRetries: 0 };
  #loggedFallback = false;

  constructor(options: JitExecutorOptions) {
    this.#schema = options.schema;
    this.#plans = new LruCache(options.cacheSize);
    this.#logger = options.logger;
    this.#compile = options.compile ?? compileQuery;
  }

  onSchemaLoadOrUpdate(callback: SchemaCallback): () => void {
    this.#callbacks.add(callback);
    return () => this.#callbacks.delete(callback);
  }

  load(): Promise<{ executor: GatewayExecutor }> {
    // The schema must reach Apollo before load() resolves (apollo-server issue 7340). No
    // supergraph: the SDL is only for Apollo's schema reporting, which Meridian does not use.
    for (const cb of this.#callbacks) cb({ apiSchema: this.#schema, coreSupergraphSdl: '' });
    return Promise.resolve({ executor: (rc) => this.execute(rc.source, rc.document, rc.request.operationName ?? null, rc.request.variables ?? {}, rc.context) });
  }

  stop(): Promise<void> {
    this.#callbacks.clear();
    return Promise.resolve();
  }

  stats(): JitStats {
    return { ...this.#stats, size: this.#plans.size };
  }

  /** Runs one validated operation: compiled when it can be, graphql's execute otherwise. */
  execute(source: string, document: DocumentNode, operationName: string | null, variables: Record<string, unknown>, context: unknown): Promise<ExecutionResult> {
    return this.run(this.plan(source, document, operationName), document, operationName, variables, context);
  }

  /**
   * How `document` runs: from the cache, or compiled now (and cached). A caller that keeps the
   * plan with its own copy of the document (server/fast-path.ts) runs it without the lookup.
   */
  plan(source: string, document: DocumentNode, operationName: string | null): Plan {
    return this.#plan(source, document, operationName);
  }

  /** Runs one validated operation with its plan (from `plan` for the same document and operation name). */
  async run(plan: Plan, document: DocumentNode, operationName: string | null, variables: Record<string, unknown>, context: unknown): Promise<ExecutionResult> {
    if (plan.kind === 'jit') {
      this.#stats.hits++;
      let result: ExecutionResult;
      try {
        result = (plan.lean ? await this.#runLean(plan.lean, variables, context) : null) ?? (await plan.compiled.query(undefined, context, variables));
      } catch (e) {
        // The compiled code caught resolver errors itself; anything here is the executor's own.
        return { errors: [rewrap(e)] };
      }
      // No data: the variables did not coerce, and no resolver ran. graphql's execute says so in
      // its own words (which Apollo recognises as BAD_USER_INPUT, with HTTP 400).
      if (!('data' in result)) return this.#executeWithGraphql(document, operationName, variables, context);
      if (!result.errors?.length) return result;
      return { ...result, errors: nonNullFirst(result.errors.map(rewrap), this.#schema, document, operationName) };
    }
    // A refused request is not graphql-jit's failure: not counted as a fallback.
    if (plan.kind === 'fallback') this.#stats.fallbacks++;
    return this.#executeWithGraphql(document, operationName, variables, context);
  }

  /** graphql's own errors always have `extensions`, and their AST nodes (Apollo reads them): not re-wrapped. */
  async #executeWithGraphql(document: DocumentNode, operationName: string | null, variables: Record<string, unknown>, context: unknown): Promise<ExecutionResult> {
    return execute({ schema: this.#schema, document, operationName, variableValues: variables, contextValue: context });
  }

  #plan(source: string, document: DocumentNode, operationName: string | null): Plan {
    const key = `${operationName ?? ''}\u0000${source}`;
    const known = this.#plans.get(key);
    if (known) return known;
    // Two operations and no operationName, or a name the document lacks: graphql-jit would refuse
    // to compile it like any document it cannot handle, but the mistake is the client's (answered
    // 400). It must not count as a fallback nor spend the one log line a real one needs, and a
    // client making up names must not fill the cache.
    if (!getOperationAST(document, operationName)) return REFUSED;
    let plan: Plan;
    try {
      const compiled = this.#compile(this.#schema, document, operationName ?? undefined);
      if (isCompiledQuery(compiled)) {
        plan = { kind: 'jit', compiled, lean: this.#lean(document, operationName) };
        this.#stats.compiled++;
      } else {
        plan = { kind: 'fallback' };
        this.#logFallback(compiled.errors?.[0]?.message ?? 'no reason given', operationName);
      }
    } catch (e) {
      plan = { kind: 'fallback' };
      this.#logFallback(e instanceof Error ? e.message : String(e), operationName);
    }
    this.#plans.set(key, plan);
    return plan;
  }

  /**
   * The lean plan of a query, when its shape can be told: graphql-jit checks every leaf of the
   * answer with its type's serialize, a call with a path and locations built for each leaf (a
   * customer's lineage has hundreds); the lean plan reads the leaves as they are and settle()
   * checks them after, with no allocation (our resolvers give serialized values already).
   */
  #lean(document: DocumentNode, operationName: string | null): LeanPlan | null {
    const shape = shapeOf(this.#schema, document, operationName);
    if (!shape) return null;
    try {
      const compiled = this.#compile(this.#schema, document, operationName ?? undefined, { disableLeafSerialization: true });
      return isCompiledQuery(compiled) ? { compiled, settle: compileSettle(shape) } : null;
    } catch {
      return null;
    }
  }

  /** The lean plan's answer, settled; null when the full plan must answer (variables that do not coerce, a leaf that does not serialize). */
  async #runLean(lean: LeanPlan, variables: Record<string, unknown>, context: unknown): Promise<ExecutionResult | null> {
    const result = await lean.compiled.query(undefined, context, variables);
    if (!('data' in result)) return null;
    try {
      lean.settle(result.data);
    } catch {
      this.#stats.leanRetries++;
      return null;
    }
    return result;
  }

  /** Said once per process: a document that does not compile usually has siblings that do not either. */
  #logFallback(reason: string, operationName: string | null): void {
    if (this.#loggedFallback) return;
    this.#loggedFallback = true;
    this.#logger.error('graphql-jit could not compile an operation; executing it (and any other such) with graphql execute', { reason, operation: operationName ?? '(anonymous)' });
  }
}

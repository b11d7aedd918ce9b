// Applies the access rules to an executable schema: one schema transform, at the one place the
// gateway builds its schema (src/app.ts). Only planned fields are wrapped (plan.ts), each with
// a synchronous check before its own resolver, so an unguarded field costs nothing and a
// guarded one a lookup; compiled executors (graphql-jit) call the same resolvers.
import { MapperKind, mapSchema } from '@graphql-tools/utils';
import { defaultFieldResolver, Kind, valueFromASTUntyped, type FragmentDefinitionNode, type GraphQLFieldResolver, type GraphQLResolveInfo, type GraphQLSchema, type OperationDefinitionNode, type SelectionNode, type SelectionSetNode } from 'graphql';
import type { FieldSpec } from '../mapping/spec.ts';
import type { GatewayContext } from '../server/context.ts';
import type { AccessClass } from './classes.ts';
import { ForbiddenError, NoRoleError } from './errors.ts';
import { holds } from './policy.ts';
import { planAccess, type AccessPlan, type FieldPlan, type InputGuard } from './plan.ts';
import type { Role } from './principal.ts';

type Resolver = GraphQLFieldResolver<unknown, GatewayContext, Record<string, unknown>>;
/** One check before a field resolves: throws when the request may not have it. */
type Check = (parent: unknown, args: Record<string, unknown>, ctx: GatewayContext, info: GraphQLResolveInfo) => void;

/** Set on a candidate copied out of a keyed parent the role may not read: its values are refused. */
const REDACTED: unique symbol = Symbol('meridian.access.redacted');
/** Set on a candidate whose raw value carries source data the role may not read (plan.ts rawClassesOf): its rawValue is refused. */
const RAW_REDACTED: unique symbol = Symbol('meridian.access.rawRedacted');
interface Redacted {
  [REDACTED]?: { field: string; cls: AccessClass };
  [RAW_REDACTED]?: { field: string; cls: AccessClass };
}

export interface AccessOptions {
  /**
   * Whether the response cache keys its entries by role (src/server/http.ts does). When it does
   * not, an answer that read any guarded field is never stored, so an answer kept for one role
   * is never served to another.
   */
  responseCacheKeyedByRole?: boolean;
}

/** `schema` with every access rule enforced (docs/access.md). Throws AccessRuleError at build time. */
export function withAccessRules(schema: GraphQLSchema, spec: FieldSpec, options: AccessOptions = {}): GraphQLSchema {
  const plan = planAccess(schema, spec);
  const guarded = options.responseCacheKeyedByRole
    ? (): void => undefined
    : (ctx: GatewayContext): void => {
        ctx.cacheability.ok = false;
      };
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (config, fieldName, typeName) => {
      const p = plan.fields.get(`${typeName}.${fieldName}`);
      if (!p) return config;
      // A field with no resolver of its own reads its parent's property (our models hold no
      // functions, so graphql-js' default resolver's call-if-function is not needed here).
      const own = (config.resolve ?? (config.subscribe ? defaultFieldResolver : (parent: unknown) => (parent as Record<string, unknown> | null)?.[fieldName])) as Resolver;
      const resolve = guardResolver(p, plan, own, guarded);
      if (!config.subscribe) return { ...config, resolve };
      // A subscription is refused when it starts; its events are checked again (cheap) as they resolve.
      return { ...config, resolve, subscribe: guardResolver(p, plan, config.subscribe as Resolver, guarded) };
    },
  });
}

function guardResolver(p: FieldPlan, plan: AccessPlan, resolve: Resolver, guarded: (ctx: GatewayContext) => void): Resolver {
  const checks = checksOf(p, plan, guarded);
  if (p.keyed?.as === 'candidates') return redactingCandidates(p, plan, checks, resolve, guarded);
  if (checks.length === 1) {
    const [check] = checks as [Check];
    return (parent, args, ctx, info) => {
      check(parent, args, ctx, info);
      return resolve(parent, args, ctx, info);
    };
  }
  return (parent, args, ctx, info) => {
    for (const check of checks) check(parent, args, ctx, info);
    return resolve(parent, args, ctx, info);
  };
}

function checksOf(p: FieldPlan, plan: AccessPlan, guarded: (ctx: GatewayContext) => void): Check[] {
  const checks: Check[] = [];
  const verb = p.operation === 'mutation' ? 'call' : p.operation === 'subscription' ? 'subscribe to' : 'read';
  if (p.root) {
    const { coordinate } = p;
    checks.push((_p, _a, ctx) => {
      if (ctx.principal.role === null) throw new NoRoleError(coordinate);
    });
  }
  const cls = p.cls;
  if (cls) {
    const what = `${verb} ${p.coordinate}`;
    checks.push((_p, _a, ctx) => {
      if (!holds(ctx.principal.role, cls)) throw ForbiddenError.quiet(what, cls, ctx.principal.role);
      guarded(ctx);
    });
  }
  if (p.inputs.length > 0) {
    const { inputs, coordinate } = p;
    checks.push((_p, args, ctx) => checkInputs(args, inputs, ctx.principal.role, coordinate));
  }
  if (p.operation === 'mutation') {
    // Mutations run one after another: one the role may call would write before a refused one
    // later in the same operation was even looked at. So none runs when any is refused.
    const { coordinate } = p;
    checks.push((_p, _a, ctx, info) => {
      const refused = refusedMutation(plan, info, ctx);
      if (refused) throw ForbiddenError.quiet(`call ${coordinate} in an operation that also calls ${refused.what}; nothing in it ran`, refused.cls, ctx.principal.role);
    });
  }
  const rule = p.argumentRule;
  if (rule) {
    const { coordinate } = p;
    checks.push((_p, args, ctx) => {
      for (const field of rule(args)) {
        const c = plan.canonicalClass.get(field);
        if (!c) continue;
        if (!holds(ctx.principal.role, c)) throw ForbiddenError.quiet(`${verb} ${coordinate} by ${field}`, c, ctx.principal.role);
        guarded(ctx);
      }
    });
  }
  if (p.keyed?.as === 'value') {
    const { field: fieldOf } = p.keyed.type;
    checks.push((parent, _a, ctx) => {
      const field = fieldOf(parent);
      const c = field ? plan.canonicalClass.get(field) : undefined;
      if (!c) return;
      if (!holds(ctx.principal.role, c)) throw ForbiddenError.quiet(`read the value of ${field}`, c, ctx.principal.role);
      guarded(ctx);
    });
  }
  if (p.candidateValue) {
    const raw = p.candidateValue === 'raw';
    checks.push((parent, _a, ctx) => {
      const r = (parent as Redacted)[REDACTED];
      if (r) throw ForbiddenError.quiet(`read the value of ${r.field}`, r.cls, ctx.principal.role);
      const rr = raw ? (parent as Redacted)[RAW_REDACTED] : undefined;
      if (rr) throw ForbiddenError.quiet(`read the raw value of ${rr.field} (its source data)`, rr.cls, ctx.principal.role);
    });
  }
  return checks;
}

/**
 * Lists of Candidate under a keyed parent: handed on as they are when the role may read the
 * parent's field and every candidate's source data, else as copies (never the shared objects of
 * the golden-record cache) marked REDACTED, whose value and rawValue then answer null with
 * FORBIDDEN, or RAW_REDACTED where only the raw value carries data of a class the role lacks.
 */
function redactingCandidates(p: FieldPlan, plan: AccessPlan, checks: Check[], resolve: Resolver, guarded: (ctx: GatewayContext) => void): Resolver {
  const fieldOf = p.keyed!.type.field;
  const redact = (list: unknown, field: string, cls: AccessClass): unknown =>
    Array.isArray(list) ? list.map((c: unknown) => (c && typeof c === 'object' ? { ...c, [REDACTED]: { field, cls } } : c)) : list;
  // Per system, the first class of the raw value's source data the role lacks (null: it holds them all).
  const rawDenied = (bySystem: ReadonlyMap<string, readonly AccessClass[]>, system: unknown, ctx: GatewayContext): AccessClass | null => {
    const classes = bySystem.get(String(system).toLowerCase());
    if (!classes) return null;
    for (const c of classes) if (!holds(ctx.principal.role, c)) return c;
    guarded(ctx);
    return null;
  };
  const redactRaw = (list: unknown, field: string, bySystem: ReadonlyMap<string, readonly AccessClass[]>, ctx: GatewayContext): unknown => {
    if (!Array.isArray(list)) return list;
    const items = list as unknown[];
    let copied: unknown[] | null = null;
    items.forEach((c, i) => {
      if (!c || typeof c !== 'object') return;
      const cls = rawDenied(bySystem, (c as { system?: unknown }).system, ctx);
      if (!cls) return;
      copied ??= [...items];
      copied[i] = { ...c, [RAW_REDACTED]: { field, cls } };
    });
    return copied ?? items;
  };
  return (parent, args, ctx, info) => {
    for (const check of checks) check(parent, args, ctx, info);
    const field = fieldOf(parent);
    if (!field) return resolve(parent, args, ctx, info);
    const cls = plan.canonicalClass.get(field);
    if (cls && !holds(ctx.principal.role, cls)) {
      const out: unknown = resolve(parent, args, ctx, info);
      return out instanceof Promise ? out.then((l) => redact(l, field, cls)) : redact(out, field, cls);
    }
    if (cls) guarded(ctx);
    const bySystem = plan.rawClasses.get(field);
    if (!bySystem) return resolve(parent, args, ctx, info);
    const out: unknown = resolve(parent, args, ctx, info);
    return out instanceof Promise ? out.then((l) => redactRaw(l, field, bySystem, ctx)) : redactRaw(out, field, bySystem, ctx);
  };
}

/** Per request and operation: the first root field of a mutation the role may not call, or null (refusedMutation). */
const mutationRefusals = new WeakMap<GatewayContext, { operation: OperationDefinitionNode; refused: { what: string; cls: AccessClass } | null }>();

/**
 * The first root field of the running mutation the role may not call, or may not call with the
 * arguments it gives (the same checks as each field's own), as `what` and the class it lacks;
 * null when the role may call every one. Root fields are collected as the executor does:
 * through fragments, honouring @skip and @include. Worked out once per request.
 */
function refusedMutation(plan: AccessPlan, info: GraphQLResolveInfo, ctx: GatewayContext): { what: string; cls: AccessClass } | null {
  const known = mutationRefusals.get(ctx);
  if (known && known.operation === info.operation) return known.refused;
  const role = ctx.principal.role;
  const variables = info.variableValues as Record<string, unknown>;
  const included = (node: SelectionNode): boolean => {
    for (const d of node.directives ?? []) {
      const ifArg = d.arguments?.find((a) => a.name.value === 'if');
      const value = ifArg ? valueFromASTUntyped(ifArg.value, variables) : undefined;
      if (d.name.value === 'skip' && value === true) return false;
      if (d.name.value === 'include' && value === false) return false;
    }
    return true;
  };
  const typeName = info.parentType.name;
  let refused: { what: string; cls: AccessClass } | null = null;
  const seen = new Set<string>();
  const visitSet = (set: SelectionSetNode, fragments: Readonly<Record<string, FragmentDefinitionNode>>): void => {
    for (const s of set.selections) {
      if (refused || !included(s)) continue;
      if (s.kind === Kind.FIELD) {
        const p = plan.fields.get(`${typeName}.${s.name.value}`);
        if (!p) continue;
        if (p.cls && !holds(role, p.cls)) refused = { what: p.coordinate, cls: p.cls };
        else if (p.inputs.length > 0) {
          const args: Record<string, unknown> = {};
          for (const a of s.arguments ?? []) args[a.name.value] = valueFromASTUntyped(a.value, variables);
          try {
            checkInputs(args, p.inputs, role, p.coordinate);
          } catch (e) {
            if (!(e instanceof ForbiddenError)) throw e;
            refused = { what: `${p.coordinate} with inputs it may not set`, cls: e.extensions['class'] as AccessClass };
          }
        }
      } else if (s.kind === Kind.INLINE_FRAGMENT) {
        visitSet(s.selectionSet, fragments);
      } else if (!seen.has(s.name.value)) {
        seen.add(s.name.value);
        const f = fragments[s.name.value];
        if (f) visitSet(f.selectionSet, fragments);
      }
    }
  };
  visitSet(info.operation.selectionSet, info.fragments);
  mutationRefusals.set(ctx, { operation: info.operation, refused });
  return refused;
}

/** Refuses a call that sets an argument or input field whose class the role lacks (a filter on it would be an oracle). */
function checkInputs(value: Record<string, unknown>, guards: readonly InputGuard[], role: Role | null, coordinate: string, prefix = ''): void {
  for (const g of guards) {
    const v = value[g.name];
    if (v === undefined) continue;
    const path = `${prefix}${g.name}`;
    if (g.cls && !holds(role, g.cls)) throw ForbiddenError.quiet(`set ${path} of ${coordinate}`, g.cls, role);
    if (g.inner.length === 0 || v === null) continue;
    for (const item of Array.isArray(v) ? (v as unknown[]) : [v]) {
      if (item && typeof item === 'object') checkInputs(item as Record<string, unknown>, g.inner, role, coordinate, `${path}.`);
    }
  }
}

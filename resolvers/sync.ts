// Thin resolvers for two-way sync (schema/sync.graphql): translate between GraphQL and src/sync/api.ts.
import { randomUUID } from 'node:crypto';
import { GraphQLError, isEnumType, type GraphQLSchema } from 'graphql';
import type { MutationResolvers, QueryResolvers, Resolvers, SubscriptionResolvers, System, SyncHealth } from '../src/generated/graphql.ts';
import { ConflictError, ErrorCode, NotFoundError } from '../src/server/errors.ts';
import { notReusable } from '../src/gateway/customer.ts';
import { createLoaders } from '../src/gateway/loaders.ts';
import { pageSize } from '../src/gateway/pagination.ts';
import type { GatewayContext } from '../src/server/context.ts';
import type { SystemId } from '../src/sources/types.ts';
import { CustomerNotFoundError, UpdateInputError, filterMessages, type SyncApi, type SyncStatusMessage, type SystemOverview } from '../src/sync/api.ts';
import { IntentInProgressError, IntentKeyReusedError } from '../src/sync/intents.ts';

/**
 * Every value of the schema's System enum, in its order: syncOverview lists the systems this
 * gateway has no connector for too. Read from the schema, so no list of systems is kept here.
 */
const contractSystems = (schema: GraphQLSchema): readonly System[] => {
  const type = schema.getType('System');
  return isEnumType(type) ? type.getValues().map((v) => v.name as System) : [];
};
const asSystem = (s: string): System | null => {
  const upper = s.toUpperCase();
  return /^[A-Z_]+$/.test(upper) ? (upper as System) : null;
};

function sync(ctx: GatewayContext): SyncApi {
  const api = ctx.services.sync;
  // Every gateway start wires it (src/app.ts); a context built without it is a programming error.
  if (!api) throw new Error('services.sync is not set on this gateway');
  return api;
}

/** src/sync's errors as the GraphQL errors of CONTRACT.md; anything else is left to be masked. */
function asGraphQLError(e: unknown): unknown {
  if (e instanceof UpdateInputError) {
    return new GraphQLError(e.message, { extensions: { code: ErrorCode.BAD_USER_INPUT, invalidFields: e.invalid } });
  }
  if (e instanceof CustomerNotFoundError) return new NotFoundError('customer', e.id);
  if (e instanceof IntentKeyReusedError) return new ConflictError(e.message, { reason: 'IDEMPOTENCY_KEY_REUSED', intentId: e.intentId });
  if (e instanceof IntentInProgressError) return new ConflictError(e.message, { reason: 'IN_PROGRESS', intentId: e.intentId });
  // writeback's ReadOnlySystemError (src/sync/route.ts) and WritesNotWiredError: recognised by code.
  if (e instanceof Error && (e as { code?: unknown }).code === ErrorCode.READ_ONLY_SYSTEM) {
    const fields = (e as { fields?: unknown }).fields;
    return new GraphQLError(e.message, {
      extensions: { code: ErrorCode.READ_ONLY_SYSTEM, ...(Array.isArray(fields) && fields.every((f) => typeof f === 'string') ? { fields } : {}) },
    });
  }
  return e;
}

const guarded = async <T>(fn: () => Promise<T>): Promise<T> => {
  try {
    return await fn();
  } catch (e) {
    throw asGraphQLError(e);
  }
};

function health(s: SystemOverview): SyncHealth {
  if (s.breaker === 'open') return 'DOWN';
  if (s.breaker === 'half-open' || s.rateLimit.limited || (s.pipeline?.deadLetterCount ?? 0) > 0) return 'DEGRADED';
  return 'OK';
}

const BREAKER = { closed: 'CLOSED', open: 'OPEN', 'half-open': 'HALF_OPEN' } as const;

export const syncQuery: Pick<QueryResolvers, 'syncOverview'> = {
  syncOverview: async (_p, _a, ctx, info) => {
    notReusable(ctx); // health changes by the second
    const o = await sync(ctx).overview();
    const configured = new Map(o.systems.map((s) => [asSystem(s.system), s]));
    return {
      at: o.at.toISOString(),
      pipelineKnown: o.pipelineKnown,
      systems: contractSystems(info.schema).map((system) => {
        const s = configured.get(system);
        if (!s) {
          return { system, configured: false, health: 'NOT_CONFIGURED', breaker: null, rateLimit: { limited: false, retryAt: null, lastLimitedAt: null }, queueDepth: null, lagSeconds: null, outboxDepth: null, lastError: null, deadLetterCount: null };
        }
        const p = s.pipeline;
        return {
          system,
          configured: true,
          health: health(s),
          breaker: BREAKER[s.breaker],
          rateLimit: { limited: s.rateLimit.limited, retryAt: s.rateLimit.retryAt?.toISOString() ?? null, lastLimitedAt: s.rateLimit.lastLimitedAt?.toISOString() ?? null },
          queueDepth: p?.queueDepth ?? null,
          lagSeconds: p ? (p.oldestPendingAt ? Math.max(0, (o.at.getTime() - p.oldestPendingAt.getTime()) / 1000) : 0) : null,
          outboxDepth: p?.outboxDepth ?? null,
          lastError: s.lastError ? { message: s.lastError.message, at: s.lastError.at.toISOString() } : null,
          deadLetterCount: p?.deadLetterCount ?? null,
        };
      }),
    };
  },
};

export const syncMutation: Pick<MutationResolvers, 'updateCustomer' | 'syncCustomer'> = {
  updateCustomer: (_p, { id, input, idempotencyKey: given }, ctx) =>
    guarded(async () => {
      // No key: a new update each call, under a key of its own.
      const idempotencyKey = given ?? `auto:${randomUUID()}`;
      const r = await sync(ctx).updateCustomer({ id: ctx.principal.id, name: ctx.principal.name }, id, input, idempotencyKey);
      // The record changes once the writes land; its cached answers are dropped then (customer.changed).
      return {
        customer: { id: r.goldenId },
        intentId: r.intentId,
        idempotencyKey,
        replayed: r.replayed,
        jobs: r.jobs.flatMap((j) => {
          const system = asSystem(j.system);
          return system ? [{ system, recordId: j.recordId, outboxId: j.outboxId, fields: j.fields }] : [];
        }),
      };
    }),
  syncCustomer: (_p, { id }, ctx) =>
    guarded(async () => {
      const r = await sync(ctx).syncCustomer(id);
      return {
        customerId: r.customerId,
        requestedAt: r.requestedAt.toISOString(),
        changes: r.changes.map((c) => ({ system: asSystem(c.system)!, type: c.type, externalId: c.id, jobId: c.jobId })),
      };
    }),
};

const statusEvent = (e: SyncStatusMessage): { syncStatus: ReturnType<typeof toEvent> } | null => {
  const event = toEvent(e);
  return event ? { syncStatus: event } : null;
};
function toEvent(e: SyncStatusMessage): { customerId: string; system: System; recordId: string; outboxId: string; state: SyncStatusMessage['state']; fields: string[]; error: string | null; at: string } | null {
  const system = asSystem(e.system);
  return system ? { ...e, system } : null;
}

export const syncSubscription: SubscriptionResolvers = {
  syncStatus: {
    subscribe: (_p, { customerId }, ctx) => guarded(async () => filterMessages(await sync(ctx).statusEvents(customerId ?? null), statusEvent)),
    resolve: (payload: { syncStatus: NonNullable<ReturnType<typeof toEvent>> }) => payload.syncStatus,
  },
  customerChanged: {
    subscribe: (_p, { id }, ctx) => guarded(async () => filterMessages(await sync(ctx).customerChanges(id), (customerId) => ({ customerChanged: { id: customerId } }))),
    resolve: (payload: { customerChanged: { id: string } }, _a: unknown, ctx: GatewayContext) => {
      // One context serves the whole subscription, and DataLoaders keep what they loaded: each
      // event gets fresh loaders (and request budget), or every event would show the first record.
      ctx.loaders = createLoaders(ctx.services);
      return payload.customerChanged;
    },
  },
};

export const syncTypes: Pick<Resolvers, 'SystemSyncStatus'> = {
  SystemSyncStatus: {
    deadLetters: async (p, { first }, ctx) => {
      if (!p.configured) return null;
      const letters = await sync(ctx).deadLetters(p.system.toLowerCase() as SystemId, pageSize(first, 10));
      return letters?.map((d) => ({ ...d, failedAt: d.failedAt.toISOString() })) ?? null;
    },
  },
};

// Thin resolvers for the review queue: translate between GraphQL and src/review/items.ts.
import type { MutationResolvers, QueryResolvers, Resolvers, SubscriptionResolvers } from '../src/generated/graphql.ts';
import { filterMessages } from '../src/sync/api.ts';
import type { ReviewItem } from '../src/review/items.ts';
import { BadUserInputError, ConflictError, NotFoundError } from '../src/server/errors.ts';
import { ACCOUNT_TYPE, systemEnum } from '../src/sources/types.ts';
import { notReusable } from '../src/gateway/customer.ts';
import { sourceKey } from '../src/gateway/loaders.ts';
import { pageSize } from '../src/gateway/pagination.ts';
import { ReviewConflictError, ReviewInputError, ReviewNotFoundError } from '../src/review/items.ts';
import { IdentityConflictError, IdentityInputError, type KeptApart } from '../src/identity/errors.ts';
import type { SystemId } from '../src/domain/records.ts';

/** A kept-apart decision as `extensions.decisions` shows it. */
const decisionOf = (k: KeptApart): Record<string, unknown> => ({
  records: k.records.map((r) => ({ system: systemEnum(r.system as SystemId), type: r.recordType, externalId: r.externalId })),
  customers: k.customers,
  reason: k.reason,
  decidedBy: k.decidedBy,
  decidedAt: k.decidedAt,
  reviewItem: k.reviewItem,
});

/** The review and identity stores' errors as the GraphQL errors of CONTRACT.md. */
export function asGraphQLError(e: unknown): unknown {
  if (e instanceof ReviewInputError) return new BadUserInputError(e.field, e.message);
  if (e instanceof ReviewNotFoundError) return new NotFoundError('review item', e.id);
  if (e instanceof ReviewConflictError) return new ConflictError(e.message, e.status ? { status: e.status } : {});
  if (e instanceof IdentityConflictError) return new ConflictError(e.message, { decisions: e.decisions.map(decisionOf) });
  if (e instanceof IdentityInputError) return new BadUserInputError(e.field, e.message);
  return e;
}

export const reviewQuery: Pick<QueryResolvers, 'reviewQueue'> = {
  reviewQueue: async (_p, { status, first, after }, ctx) => {
    notReusable(ctx); // items change with every backfill and decision, which no golden id tracks
    const size = pageSize(first);
    try {
      const page = await ctx.services.reviews.list({ status: status ?? 'OPEN', first: size, after: after ?? null });
      return {
        edges: page.edges,
        pageInfo: { hasNextPage: page.pageInfo.hasNextPage, hasPreviousPage: Boolean(after), startCursor: page.edges[0]?.cursor ?? null, endCursor: page.pageInfo.endCursor },
        totalCount: page.totalCount,
      };
    } catch (e) {
      throw asGraphQLError(e);
    }
  },
};

export const reviewMutation: Pick<MutationResolvers, 'resolveReview' | 'mergeCustomers'> = {
  // Through the review store: the merge and the closing of the items it settles are one transaction.
  mergeCustomers: async (_p, { ids, override, reason }, ctx) => {
    if (!override && reason !== null && reason !== undefined) throw new BadUserInputError('reason', 'a reason goes with override: true (it says why a kept-apart decision is set aside)');
    try {
      const { survivor, retired } = await ctx.services.reviews.mergeCustomers(ids, { actor: ctx.principal.name, override: override ? { reason: reason ?? '' } : null });
      await ctx.services.cache.invalidate([survivor, ...retired]);
      return { id: survivor };
    } catch (e) {
      throw asGraphQLError(e);
    }
  },
  resolveReview: async (_p, { id, decision }, ctx) => {
    try {
      const { item, changedCustomers } = await ctx.services.reviews.resolve(id, { action: decision.action, note: decision.note ?? null }, ctx.principal.name);
      if (changedCustomers.length > 0) await ctx.services.cache.invalidate(changedCustomers);
      return item;
    } catch (e) {
      throw asGraphQLError(e);
    }
  },
};

export const reviewTypes: Pick<Resolvers, 'ReviewItem' | 'ReviewRecord'> = {
  ReviewItem: {
    decision: (p) =>
      p.decision ? { action: p.decision.action, note: p.decision.note, decidedWith: p.decision.decidedWith ?? null, settledBy: p.decision.via ?? null } : null,
    probability: (p) => p.subject.probability,
    weight: (p) => p.subject.weight,
    records: (p) => p.subject.records,
    explanation: (p) => p.subject.levels ?? [],
    syncFailure: (p) => p.subject.syncFailure ?? null,
  },
  ReviewRecord: {
    system: (r) => systemEnum(r.system),
    type: (r) => r.recordType,
    // Read now, not when the item was raised: a merge or split since then shows.
    customer: async (r, _a, ctx) => {
      const id =
        r.recordType === ACCOUNT_TYPE[r.system]
          ? await ctx.loaders.goldenIdOf.load(sourceKey(r.system, r.externalId))
          : ((await ctx.services.identity.goldenIdsFor([r]))[0] ?? null);
      return id === null ? null : { id };
    },
  },
};

export const reviewSubscription: Pick<SubscriptionResolvers, 'reviewQueueChanged'> = {
  reviewQueueChanged: {
    subscribe: async (_p, _a, ctx) => {
      const changes = ctx.services.reviewChanges;
      // Every gateway start wires it (src/app.ts); a context built without it is a programming error.
      if (!changes) throw new Error('services.reviewChanges is not set on this gateway');
      return filterMessages(await changes(), (item) => ({ reviewQueueChanged: item }));
    },
    resolve: (payload: { reviewQueueChanged: ReviewItem }) => payload.reviewQueueChanged,
  },
};

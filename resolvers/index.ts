// Thin resolvers: translate between GraphQL and src/gateway; no business rules here.
import type { Resolvers } from '../src/generated/graphql.ts';
import { BadUserInputError, NotFoundError } from '../src/server/errors.ts';
import { systemEnum, systemOfEnum } from '../src/sources/registry.ts';
import type { SystemId } from '../src/domain/records.ts';
import { canonicalField, collection, contacts, customerById, customerBySource, fromView, notReusable, shownConflicts, shownLineage, sourceLinks } from '../src/gateway/customer.ts';
import { connectionOf, pageSize } from '../src/gateway/pagination.ts';
import { linkSourceRecord } from '../src/gateway/linking.ts';
import { IdentityInputError } from '../src/identity/errors.ts';
import { reviewMutation, reviewQuery, reviewSubscription, reviewTypes } from './review.ts';
import { syncMutation, syncQuery, syncSubscription, syncTypes } from './sync.ts';


type Field = (parent: { id: string }, args: unknown, ctx: Parameters<typeof canonicalField>[0]) => never;
/** A resolver for a canonical field: the merged value, typed by the schema (a value once the request has the customer's view, else a promise). */
const canonical = (name: string): Field => ((p, _a, ctx) => canonicalField(ctx, p.id, name) as never);

const byDateDesc = <T>(key: (t: T) => string | null) => (a: T, b: T): number => (key(b) ?? '').localeCompare(key(a) ?? '');

export const resolvers: Resolvers = {
  Query: {
    ok: () => true,
    ...reviewQuery,
    ...syncQuery,
    customer: (_p, { id }, ctx) => customerById(ctx, id),
    customerBySource: (_p, { system, externalId }, ctx) => {
      const s = systemOfEnum(system);
      if (!s) return Promise.reject(new NotFoundError(`${system} record (the system is not connected to this gateway)`, externalId));
      return customerBySource(ctx, s, externalId);
    },
    searchCustomers: async (_p, { query, first }, ctx) => {
      notReusable(ctx); // the index changes with every backfill
      const size = pageSize(first, 10);
      try {
        const hits = await ctx.services.search.search(query, size, ctx.services.defaultRegion);
        return hits.map((h) => ({ score: h.score, matchedOn: h.matchedOn, matchedValue: h.matchedValue, customer: { id: h.goldenId } }));
      } catch (e) {
        if (e instanceof IdentityInputError) throw new BadUserInputError(e.field, e.message);
        throw e;
      }
    },
    customers: async (_p, { first, after, filter }, ctx) => {
      notReusable(ctx); // list membership changes with linking
      const size = pageSize(first);
      let system: SystemId | undefined;
      if (filter?.system) {
        system = systemOfEnum(filter.system) ?? undefined;
        if (!system) throw new BadUserInputError('filter.system', `${filter.system} is not connected to this gateway`);
      }
      try {
        const page = await ctx.loaders.customerPage({ first: size, after: after ?? null, ...(system ? { system } : {}) });
        return {
          edges: page.edges.map((e) => ({ cursor: e.cursor, node: { id: e.node.id } })),
          pageInfo: { hasNextPage: page.pageInfo.hasNextPage, hasPreviousPage: Boolean(after), startCursor: page.edges[0]?.cursor ?? null, endCursor: page.pageInfo.endCursor },
          totalCount: page.totalCount,
        };
      } catch (e) {
        if (e instanceof IdentityInputError) throw new BadUserInputError(e.field, e.message);
        throw e;
      }
    },
  },
  Mutation: {
    ...reviewMutation,
    ...syncMutation,
    linkSourceRecord: async (_p, { system, externalId }, ctx) => {
      const s = systemOfEnum(system);
      if (!s) throw new NotFoundError(`${system} record (the system is not connected to this gateway)`, externalId);
      return { id: await linkSourceRecord(ctx, s, externalId) };
    },
    splitCustomer: async (_p, { id, system, externalId }, ctx) => {
      const s = systemOfEnum(system);
      if (!s) throw new BadUserInputError('system', `${system} is not connected to this gateway`);
      try {
        const { from, to } = await ctx.services.identity.splitCustomer(id, { system: s, externalId }, { actor: ctx.principal.name });
        await ctx.services.cache.invalidate([from, to]);
        // The split keeps the two apart: an open item between them asks nothing any more.
        await ctx.services.reviews.closeSettled([from, to], ctx.principal.name, 'splitCustomer');
        return { id: to };
      } catch (e) {
        if (e instanceof IdentityInputError) throw new BadUserInputError(e.field, e.message);
        throw e;
      }
    },
  },
  Customer: {
    id: (p) => p.id,
    name: canonical('name'),
    email: canonical('email'),
    phone: canonical('phone'),
    company: canonical('company'),
    domain: canonical('domain'),
    website: canonical('website'),
    address: canonical('address'),
    billingContact: canonical('billingContact'),
    industry: canonical('industry'),
    employees: canonical('employees'),
    lifecycle: canonical('lifecycle'),
    contractValue: canonical('contractValue'),
    currency: canonical('currency'),
    accountingStatus: canonical('accountingStatus'),
    paymentStatus: canonical('paymentStatus'),
    accountOwner: canonical('accountOwner'),
    // Systems already as the enum (no FieldLineage.source or Candidate.system resolvers): the
    // mapped model types (codegen.yml) still name the merge's types, hence the casts.
    lineage: (p, _a, ctx) => fromView(ctx, p.id, shownLineage) as never,
    conflicts: (p, _a, ctx) => fromView(ctx, p.id, shownConflicts) as never,
    sources: (p, _a, ctx) => fromView(ctx, p.id, sourceLinks),
    contacts: (p, _a, ctx) => contacts(ctx, p.id),
    opportunities: async (p, { first, after }, ctx) =>
      connectionOf((await collection(ctx, p.id, 'opportunities')).sort(byDateDesc((o) => o.closeDate)), first, after),
    tickets: async (p, { first, after }, ctx) =>
      connectionOf((await collection(ctx, p.id, 'tickets')).sort(byDateDesc((t) => t.createdAt)), first, after),
    satisfaction: async (p, _a, ctx) => {
      const ratings = (await collection(ctx, p.id, 'satisfaction')).sort(byDateDesc((r) => r.createdAt));
      const good = ratings.filter((r) => r.score === 'good').length;
      const bad = ratings.filter((r) => r.score === 'bad').length;
      return { good, bad, score: good + bad > 0 ? good / (good + bad) : null, latest: ratings.slice(0, 5) };
    },
    subscriptions: async (p, { first, after }, ctx) =>
      connectionOf(await collection(ctx, p.id, 'subscriptions'), first, after),
    invoices: async (p, { first, after }, ctx) => {
      // Every system that bills: Stripe's and the ERP's invoices in one list, newest first.
      return connectionOf((await collection(ctx, p.id, 'invoices')).sort(byDateDesc((i) => i.issuedAt)), first, after);
    },
    charges: async (p, { first, after }, ctx) =>
      connectionOf((await collection(ctx, p.id, 'charges')).sort(byDateDesc((c) => c.createdAt)), first, after),
    contracts: async (p, { first, after }, ctx) =>
      connectionOf((await collection(ctx, p.id, 'contracts')).sort(byDateDesc((c) => c.startDate)), first, after),
    payments: async (p, { first, after }, ctx) =>
      connectionOf((await collection(ctx, p.id, 'payments')).sort(byDateDesc((x) => x.paidAt)), first, after),
  },
  Opportunity: {
    owner: (o) => (o.ownerName || o.ownerEmail ? { name: o.ownerName, email: o.ownerEmail, system: systemEnum(o.system) } : null),
  },
  Invoice: {
    system: (i) => systemEnum(i.system),
  },
  Payment: {
    system: (x) => systemEnum(x.system),
  },
  Subscription: { ...syncSubscription, ...reviewSubscription },
  ...reviewTypes,
  ...syncTypes,
};

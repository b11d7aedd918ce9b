// Thin resolvers: translate between GraphQL and src/gateway; no business rules here.
import type { Resolvers } from '../src/generated/graphql.ts';
import { BadUserInputError, NotFoundError } from '../src/server/errors.ts';
import { systemEnum, type SystemId, type SatisfactionRatingRecord, type TicketRecord, type OpportunityRecord, type SubscriptionRecord, type InvoiceRecord, type ChargeRecord, type ContractRecord, type PaymentRecord } from '../src/sources/types.ts';
import { canonicalField, contacts, customerById, customerBySource, goldenView, notReusable, relatedRecords } from '../src/gateway/customer.ts';
import { connectionOf, pageSize } from '../src/gateway/pagination.ts';
import { linkSourceRecord } from '../src/gateway/linking.ts';
import { IdentityInputError } from '../src/identity/errors.ts';
import { linkEvidence, type EvidenceRef } from '../src/identity/explanation.ts';
import { reviewMutation, reviewQuery, reviewTypes } from './review.ts';
import { syncMutation, syncQuery, syncSubscription, syncTypes } from './sync.ts';

const SYSTEM_IDS: Record<string, SystemId | undefined> = { SALESFORCE: 'salesforce', STRIPE: 'stripe', ZENDESK: 'zendesk', ERP: 'erp' };

type Field = (parent: { id: string }, args: unknown, ctx: Parameters<typeof canonicalField>[0]) => Promise<never>;
/** A resolver for a canonical field: the merged value, typed by the schema. */
const canonical = (name: string): Field => ((p, _a, ctx) => canonicalField(ctx, p.id, name)) as Field;

const byDateDesc = <T>(key: (t: T) => string | null) => (a: T, b: T): number => (key(b) ?? '').localeCompare(key(a) ?? '');

export const resolvers: Resolvers = {
  Query: {
    ok: () => true,
    ...reviewQuery,
    ...syncQuery,
    customer: (_p, { id }, ctx) => customerById(ctx, id),
    customerBySource: (_p, { system, externalId }, ctx) => {
      const s = SYSTEM_IDS[system];
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
        system = SYSTEM_IDS[filter.system];
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
      const s = SYSTEM_IDS[system];
      if (!s) throw new NotFoundError(`${system} record (the system is not connected to this gateway)`, externalId);
      return { id: await linkSourceRecord(ctx, s, externalId) };
    },
    splitCustomer: async (_p, { id, system, externalId }, ctx) => {
      const s = SYSTEM_IDS[system];
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
    lineage: async (p, _a, ctx) => (await goldenView(ctx, p.id)).record.lineage,
    conflicts: async (p, _a, ctx) => (await goldenView(ctx, p.id)).record.conflicts,
    sources: async (p, _a, ctx) => {
      const view = await goldenView(ctx, p.id);
      const asRef = (r: EvidenceRef): { system: ReturnType<typeof systemEnum>; type: string; externalId: string } => ({ system: systemEnum(r.system), type: r.recordType, externalId: r.externalId });
      return view.links.map((l) => ({
        system: systemEnum(l.system),
        type: l.recordType,
        externalId: l.externalId,
        matchConfidence: l.confidence,
        matchRule: l.rule,
        lastSyncedAt: view.computedAt,
        origin: l.origin === 'manual' ? ('MANUAL' as const) : ('AUTO' as const),
        linkedAt: l.linkedAt,
        evidence: linkEvidence(l.explanation).map((e) => ({ ...e, other: e.other ? asRef(e.other) : null, sharedWith: e.sharedWith.map(asRef) })),
      }));
    },
    contacts: (p, _a, ctx) => contacts(ctx, p.id),
    opportunities: async (p, { first, after }, ctx) =>
      connectionOf((await relatedRecords<OpportunityRecord>(ctx, p.id, 'salesforce', 'opportunities')).sort(byDateDesc((o) => o.closeDate)), first, after),
    tickets: async (p, { first, after }, ctx) =>
      connectionOf((await relatedRecords<TicketRecord>(ctx, p.id, 'zendesk', 'tickets')).sort(byDateDesc((t) => t.createdAt)), first, after),
    satisfaction: async (p, _a, ctx) => {
      const ratings = (await relatedRecords<SatisfactionRatingRecord>(ctx, p.id, 'zendesk', 'satisfactionRatings')).sort(byDateDesc((r) => r.createdAt));
      const good = ratings.filter((r) => r.score === 'good').length;
      const bad = ratings.filter((r) => r.score === 'bad').length;
      return { good, bad, score: good + bad > 0 ? good / (good + bad) : null, latest: ratings.slice(0, 5) };
    },
    subscriptions: async (p, { first, after }, ctx) =>
      connectionOf(await relatedRecords<SubscriptionRecord>(ctx, p.id, 'stripe', 'subscriptions'), first, after),
    invoices: async (p, { first, after }, ctx) => {
      const [stripe, erp] = await Promise.all([
        relatedRecords<InvoiceRecord>(ctx, p.id, 'stripe', 'invoices'),
        relatedRecords<InvoiceRecord>(ctx, p.id, 'erp', 'invoices'),
      ]);
      return connectionOf([...stripe, ...erp].sort(byDateDesc((i) => i.issuedAt)), first, after);
    },
    charges: async (p, { first, after }, ctx) =>
      connectionOf((await relatedRecords<ChargeRecord>(ctx, p.id, 'stripe', 'charges')).sort(byDateDesc((c) => c.createdAt)), first, after),
    contracts: async (p, { first, after }, ctx) =>
      connectionOf((await relatedRecords<ContractRecord>(ctx, p.id, 'erp', 'contracts')).sort(byDateDesc((c) => c.startDate)), first, after),
    payments: async (p, { first, after }, ctx) =>
      connectionOf((await relatedRecords<PaymentRecord>(ctx, p.id, 'erp', 'payments')).sort(byDateDesc((x) => x.paidAt)), first, after),
  },
  FieldLineage: {
    source: (l) => (l.source ? systemEnum(l.source) : null),
  },
  Candidate: {
    system: (c) => systemEnum(c.system),
  },
  Opportunity: {
    owner: (o) => (o.ownerName || o.ownerEmail ? { name: o.ownerName, email: o.ownerEmail, system: 'SALESFORCE' } : null),
  },
  Invoice: {
    system: (i) => systemEnum(i.system),
  },
  Payment: {
    system: (x) => systemEnum(x.system),
  },
  Subscription: syncSubscription,
  ...reviewTypes,
  ...syncTypes,
};

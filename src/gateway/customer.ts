// The customer as the schema shows it, built from the request's loaders. Resolvers call these
// functions and nothing else; all the rules about partial failure live here.
import type { GatewayContext } from '../server/context.ts';
import { GraphQLError } from 'graphql';
import { ErrorCode, NotFoundError, SourceUnavailableGraphQLError, BadUserInputError } from '../server/errors.ts';
import { ACCOUNT_TYPE, sourcesOf, systemEnum } from '../sources/registry.ts';
import type { CustomerCollections, PersonRecord, SystemId } from '../domain/records.ts';
import type { GoldenView } from './loaders.ts';
import { sourceKey, unreadable, viewOfCached } from './loaders.ts';
import { UpstreamBudgetError } from './request-limits.ts';
import { systemsThatCouldChange } from './feeding.ts';
import { accountOfPerson, answerUnlinked } from './linking.ts';
import { clusterPeople } from '../identity/people.ts';
import { emailDomain, normalizePhone } from '../normalize/index.ts';
import { linkEvidence, type EvidenceRef } from '../identity/explanation.ts';
import type { IdentityLink } from '../identity/links.ts';
import type { Candidate, Conflict, FieldLineage, GoldenRecord } from '../merge/index.ts';

/** What a Customer resolver receives: the golden id, resolved lazily through the request's loaders. */
export interface CustomerParent {
  id: string;
}

export async function goldenView(ctx: GatewayContext, id: string): Promise<GoldenView> {
  return viewAtOnce(ctx, id) ?? admitView(ctx, id, await ctx.loaders.golden.load(id));
}

/**
 * The customer's view when it is at hand without waiting: this request has it already, or this
 * process holds the record (the near copy, which invalidations drop, so it is current). Taken
 * without the loader's batch round (the usual customer query, and every hot customer).
 * Undefined when it must be loaded; throws what goldenView rejects with.
 */
function viewAtOnce(ctx: GatewayContext, id: string): GoldenView | undefined {
  const known = ctx.loaders.views.get(id);
  if (known) return known;
  const near = ctx.services.cache.peek?.(id);
  return near ? admitView(ctx, id, viewOfCached(near)) : undefined;
}

/** A view the request reads for the first time: its dependencies and cacheability noted, kept for the request's later reads. */
function admitView(ctx: GatewayContext, id: string, view: GoldenView | null): GoldenView {
  if (!view) throw new NotFoundError('customer', id);
  ctx.cacheability.deps.add(view.record.id);
  if (unreadable(view)) throw noReadableRecord(view);
  if (view.missing.size > 0) ctx.cacheability.ok = false;
  // What was recorded above holds for every later read of this id in this request.
  ctx.loaders.views.set(id, view);
  return view;
}

/**
 * `read` of the customer's view: at once when this request has loaded it already (a customer's
 * fields after the first), else once it is loaded. A compiled query handles a plain value much
 * faster than a promise, and a customer query asks for dozens of fields of one view.
 */
export function fromView<T>(ctx: GatewayContext, id: string, read: (view: GoldenView) => T): T | Promise<T> {
  const known = ctx.loaders.views.get(id);
  return known ? read(known) : goldenView(ctx, id).then(read);
}

/**
 * Every record linked to the customer answered NOT_FOUND from its system: a record of nulls
 * would look like a customer with no data. Names the records, so an operator can see which
 * (deleted in their systems, or a sandbox world that was replaced under the links).
 */
function noReadableRecord(view: GoldenView): GraphQLError {
  const records = view.notFound.map((r) => ({ system: systemEnum(r.system), externalId: r.externalId }));
  const shown = records.slice(0, 5).map((r) => `${r.system} ${r.externalId}`).join(', ');
  return new GraphQLError(
    `Customer ${JSON.stringify(view.record.id)} has no readable record: its systems answer not found for every linked record (${shown}${records.length > 5 ? `, and ${records.length - 5} more` : ''})`,
    { extensions: { code: ErrorCode.NOT_FOUND, records } },
  );
}

/** The answer depends on something the golden-record invalidations do not cover. */
export function notReusable(ctx: GatewayContext): void {
  ctx.cacheability.ok = false;
}

/**
 * A canonical field's value, or a SOURCE_UNAVAILABLE error when a system that feeds the field
 * could not be read: the value might have been different, and the answer never pretends.
 */
export function canonicalField(ctx: GatewayContext, id: string, field: string): unknown {
  // fromView without a closure per field and request.
  const known = ctx.loaders.views.get(id);
  return known ? canonicalValue(ctx, known, field) : goldenView(ctx, id).then((view) => canonicalValue(ctx, view, field));
}

function canonicalValue(ctx: GatewayContext, view: GoldenView, field: string): unknown {
  if (view.missing.size > 0) {
    const lineage = view.record.lineage.find((l) => l.field === field);
    const [system] = systemsThatCouldChange(ctx.services.spec, field, lineage, new Set(view.missing.keys()));
    if (system) throw unavailable(system, view.missing.get(system)!);
  }
  return view.record.fields[field] ?? null;
}

function unavailable(system: SystemId, err: Error): SourceUnavailableGraphQLError | UpstreamBudgetError {
  return err instanceof SourceUnavailableGraphQLError || err instanceof UpstreamBudgetError ? err : new SourceUnavailableGraphQLError(system, err.message, err);
}

/**
 * Finds the customer for `customer(id)`: follows merges (a retired id answers as its survivor).
 * At once when the view is at hand (viewAtOnce): the compiled query then runs the customer's
 * fields in the same turn instead of after a promise. Refusals are always rejected promises.
 */
export function customerById(ctx: GatewayContext, id: string): CustomerParent | Promise<CustomerParent> {
  if (id.length === 0 || id.length > 200) return Promise.reject(new BadUserInputError('id', 'must be a customer id'));
  let view: GoldenView | undefined;
  try {
    view = viewAtOnce(ctx, id);
  } catch (e) {
    return Promise.reject(e instanceof Error ? e : new Error(String(e)));
  }
  return view ? customerOf(ctx, id, view) : goldenView(ctx, id).then((v) => customerOf(ctx, id, v));
}

function customerOf(ctx: GatewayContext, id: string, view: GoldenView): CustomerParent {
  // A retired id answers as its survivor; that redirect is not tracked by the response cache.
  if (view.record.id !== id) notReusable(ctx);
  return { id: view.record.id };
}

/** `customerBySource`: an account-level record's id, or a person's (contact, user) id. */
export async function customerBySource(ctx: GatewayContext, system: SystemId, externalId: string): Promise<CustomerParent> {
  // Which customer a source record belongs to changes with linking, which no golden id tracks.
  notReusable(ctx);
  if (externalId.trim() === '') throw new BadUserInputError('externalId', 'must not be empty');
  if (!ctx.services.sources[system]) throw new NotFoundError(`${systemEnum(system)} record (the system is not configured)`, externalId);
  const direct = await ctx.loaders.goldenIdOf.load(sourceKey(system, externalId));
  if (direct) return { id: direct };
  const accountId = await accountOfPerson(ctx, system, externalId);
  if (accountId) {
    const viaAccount = await ctx.loaders.goldenIdOf.load(sourceKey(system, accountId));
    if (viaAccount) return { id: viaAccount };
  }
  // A record the identity graph has not linked yet (the ERP sends no notifications; a webhook may
  // never have come): answered from the live matcher's dry run. A query never links (linking.ts).
  return { id: await answerUnlinked(ctx, system, externalId, accountId) };
}

function accountIds(view: GoldenView, system: SystemId): string[] {
  return view.links.filter((l) => l.system === system && l.recordType === ACCOUNT_TYPE[system]).map((l) => l.externalId);
}

/** Related records of one kind from one system, for every account of the customer in that system. */
export async function relatedRecords<T>(ctx: GatewayContext, id: string, system: SystemId, kind: string): Promise<T[]> {
  // Related records are read live from each system on every request, never cached.
  notReusable(ctx);
  const view = await goldenView(ctx, id);
  const loader = ctx.loaders.related(system, kind);
  const ids = accountIds(view, system);
  if (!loader || ids.length === 0) return [];
  const results = await loader.loadMany(ids);
  const out: T[] = [];
  for (const r of results) {
    if (r instanceof Error) throw unavailable(system, r);
    out.push(...(r as T[]));
  }
  return out;
}

/**
 * A customer's collection (contacts, invoices …): the related records of every system whose
 * related kind fills it (src/sources/registry.ts sourcesOf), in registry order.
 */
export async function collection<K extends keyof CustomerCollections>(ctx: GatewayContext, id: string, name: K): Promise<CustomerCollections[K][]> {
  const lists = await Promise.all(sourcesOf(name).map((s) => relatedRecords<CustomerCollections[K]>(ctx, id, s.system, s.kind)));
  return lists.flat();
}

export interface ContactView {
  name: string | null;
  email: string | null;
  phone: string | null;
  title: string | null;
  sources: { system: ReturnType<typeof systemEnum>; type: string; externalId: string }[];
}

/**
 * People of the customer from Salesforce contacts and Zendesk users, one per person: records
 * are grouped by src/identity/people.ts (a stated reference, one e-mail, one name, or a name with
 * a typo and one phone). A person shows the Salesforce contact's name, phone and title first, and
 * a work address before a personal one.
 */
export async function contacts(ctx: GatewayContext, id: string): Promise<ContactView[]> {
  const all: PersonRecord[] = await collection(ctx, id, 'contacts');
  // A phone without a country code is read in the customer's country, as the merge reads its own.
  const address = (await goldenView(ctx, id)).record.fields['address'];
  const country = address !== null && typeof address === 'object' ? (address as { country?: unknown }).country : null;
  const region = typeof country === 'string' ? country : ctx.services.defaultRegion;
  const { cluster } = clusterPeople(
    all.map((p) => ({
      key: `${p.system}:${p.id}`,
      name: p.name,
      email: p.email,
      phone: p.phone,
      ...(p.sameAs ? { sameAs: p.sameAs.map((x) => `${x.system}:${x.id}`) } : {}),
    })),
    ctx.services.defaultRegion,
  );
  const byPerson = new Map<number, PersonRecord[]>();
  all.forEach((p, i) => byPerson.set(cluster[i]!, [...(byPerson.get(cluster[i]!) ?? []), p]));
  return [...byPerson.values()].map((records) => {
    const first = <T>(pick: (p: PersonRecord) => T | null): T | null => {
      for (const p of records) {
        const v = pick(p);
        if (v !== null) return v;
      }
      return null;
    };
    const emails = records.map((p) => p.email?.trim().toLowerCase() || null).filter((e): e is string => e !== null);
    return {
      name: first((p) => p.name),
      email: emails.find((e) => emailDomain(e) !== null) ?? emails[0] ?? null,
      // E.164 as the customer's own phone is; a number that does not parse is kept as the system has it.
      phone: first((p) => (p.phone ? (normalizePhone(p.phone, region) ?? p.phone) : null)),
      title: first((p) => p.title),
      sources: records.map((p) => ({ system: systemEnum(p.system), type: p.type, externalId: p.id })),
    };
  });
}

type SystemName = ReturnType<typeof systemEnum>;
export interface SourceLinkView {
  system: SystemName;
  type: string;
  externalId: string;
  matchConfidence: number;
  matchRule: string;
  lastSyncedAt: string;
  origin: 'AUTO' | 'MANUAL';
  linkedAt: IdentityLink['linkedAt'];
  evidence: (Omit<ReturnType<typeof linkEvidence>[number], 'other' | 'sharedWith'> & { other: SourceRefView | null; sharedWith: SourceRefView[] })[];
}
interface SourceRefView {
  system: SystemName;
  type: string;
  externalId: string;
}

const asRef = (r: EvidenceRef): SourceRefView => ({ system: systemEnum(r.system), type: r.recordType, externalId: r.externalId });

/**
 * One `Customer.sources` entry. Its evidence is parsed when asked for: most queries of
 * `sources` do not ask why, and a cache miss's answer waits on the parse. A getter on the
 * class, not on each object: an object literal with an accessor is slower to read everywhere.
 */
class SourceLinkEntry implements SourceLinkView {
  readonly system: SystemName;
  readonly type: string;
  readonly externalId: string;
  readonly matchConfidence: number;
  readonly matchRule: string;
  readonly lastSyncedAt: string;
  readonly origin: 'AUTO' | 'MANUAL';
  readonly linkedAt: IdentityLink['linkedAt'];
  readonly #explanation: unknown;
  #evidence: SourceLinkView['evidence'] | undefined;

  constructor(l: IdentityLink, computedAt: string) {
    this.system = systemEnum(l.system);
    this.type = l.recordType;
    this.externalId = l.externalId;
    this.matchConfidence = l.confidence;
    this.matchRule = l.rule;
    this.lastSyncedAt = computedAt;
    this.origin = l.origin === 'manual' ? 'MANUAL' : 'AUTO';
    this.linkedAt = l.linkedAt;
    this.#explanation = l.explanation;
  }

  get evidence(): SourceLinkView['evidence'] {
    return (this.#evidence ??= linkEvidence(this.#explanation).map((e) => ({ ...e, other: e.other ? asRef(e.other) : null, sharedWith: e.sharedWith.map(asRef) })));
  }
}

/** Built once per cached golden record (its links are shared read-only while it is cached), not per request. */
const sourceLinksOf = new WeakMap<readonly IdentityLink[], { computedAt: string; links: SourceLinkView[] }>();

/** `Customer.sources`: the customer's linked records with why each is linked (the stored explanation, parsed). */
export function sourceLinks(view: GoldenView): SourceLinkView[] {
  const known = sourceLinksOf.get(view.links);
  if (known && known.computedAt === view.computedAt) return known.links;
  const links = view.links.map((l) => new SourceLinkEntry(l, view.computedAt));
  sourceLinksOf.set(view.links, { computedAt: view.computedAt, links });
  return links;
}

/** A candidate as the schema shows it: its system as the System enum. */
export type ShownCandidate = Omit<Candidate, 'system'> & { system: SystemName };
export type ShownConflict = Omit<Conflict, 'values'> & { values: ShownCandidate[] };
export type ShownLineage = Omit<FieldLineage, 'source' | 'candidates' | 'conflict'> & { source: SystemName | null; candidates: ShownCandidate[]; conflict: ShownConflict | null };

/**
 * Lineage and conflicts with their systems already as the enum, built once per golden record
 * (shared read-only while it is cached) instead of one resolver call per candidate per request.
 */
const shownOf = new WeakMap<GoldenRecord, { lineage: ShownLineage[]; conflicts: ShownConflict[] }>();

function shown(record: GoldenRecord): { lineage: ShownLineage[]; conflicts: ShownConflict[] } {
  let out = shownOf.get(record);
  if (out) return out;
  const candidate = (c: Candidate): ShownCandidate => ({ ...c, system: systemEnum(c.system) });
  const conflict = (k: Conflict): ShownConflict => ({ ...k, values: k.values.map(candidate) });
  out = {
    lineage: record.lineage.map((l) => ({ ...l, source: l.source ? systemEnum(l.source) : null, candidates: l.candidates.map(candidate), conflict: l.conflict ? conflict(l.conflict) : null })),
    conflicts: record.conflicts.map(conflict),
  };
  shownOf.set(record, out);
  return out;
}

/** `Customer.lineage`: one entry per canonical field, systems as the enum. */
export const shownLineage = (view: GoldenView): ShownLineage[] => shown(view.record).lineage;
/** `Customer.conflicts`, systems as the enum. */
export const shownConflicts = (view: GoldenView): ShownConflict[] => shown(view.record).conflicts;

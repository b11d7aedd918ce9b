// The live matcher: one new or changed account-level record is matched against the customers
// that exist, through the blocking index, in milliseconds, without re-running the whole set.
//
// Inside one transaction that holds the identity lock (so two records arriving together cannot
// both decide from a graph without the other):
// 1. candidates: records sharing a blocking key (the customer matcher's rules), an exact e-mail,
//    or a cross-reference with it (it names them, or they name it); pairs a person separated
//    (identity_cannot_link) are dropped;
// 2. exact keys decide first, as in the backfill: the record joins the customers of the records
//    it shares an e-mail or cross-reference with (several such customers are merged into the
//    oldest, exactly as a backfill would);
// 3. otherwise a record not linked yet is scored against the candidates with the model the last
//    full run estimated (src/identity/matcher/incremental.ts): at or above the link threshold it
//    joins the best customer (under the chaining guard), else the unique-name rule may place it,
//    else it becomes a new customer. Pairs between the thresholds, and link-level pairs into
//    any other customer, become POSSIBLE_DUPLICATE review items. The model never merges two
//    customers that exist, and never moves a record that is linked already;
// 4. the index entry of the record is written, so the next record can find it.
// Search documents and review items are written after the transaction commits.
// planRecord makes the same decision as a dry run for queries, which never write: a READ ONLY
// transaction without the lock, term counts taken as if the record were indexed, nothing applied.
import type { PossibleDuplicate, ReviewItems } from '../review/items.ts';
import { ACCOUNT_TYPE } from '../sources/types.ts';
import type { SourceRecord } from '../domain/records.ts';
import { compareRefs, type RecordRef } from './backfill.ts';
import { customersMatcherConfig, emailGroups, recordKey, silentOrExact } from './customer-matching.ts';
import { recordKeyOf, type IdentityLink, type IdentityReader, type IdentityStore, type ProposedLink } from './links.ts';
import { customerIndexEntry, EXACT_XREF, type MatchIndex, type MatchIndexEntry } from './match-index.ts';
import type { MatcherConfig } from './matcher/config.ts';
import { maxBlockRecords, modelMismatch, scoreCandidates, type SavedModel, type ScoredCandidate } from './matcher/incremental.ts';
import type { CustomerSearch } from './search.ts';
import { searchDocumentOf } from './search.ts';

/** The name match_models keeps the customer matcher's model under. */
export const CUSTOMERS_MATCHER = 'customers';
/** Largest exact-key group followed live (an address on more records than this is not one customer's). */
const MAX_EXACT = 1000;

export type LiveMatchOutcome =
  /** Not linked before; it became a customer of its own. */
  | 'new-customer'
  /** Not linked before; it joined a customer that existed. */
  | 'joined'
  /** Linked before; it stays where it is (its evidence may have been updated). */
  | 'kept'
  /** Linked before; exact keys now join it with other customers, which were merged. */
  | 'merged';

export interface LiveMatchResult {
  record: RecordRef;
  goldenId: string;
  outcome: LiveMatchOutcome;
  rule: string;
  confidence: number;
  /** Golden ids whose cached golden records are stale after this (the customer, ids merged into it). */
  affected: string[];
  /** Records compared (blocking and exact-key candidates). */
  candidates: number;
  /** Pairs scored between the review and link thresholds (the best one into each other customer). */
  reviewPairs: PossibleDuplicate[];
  /** POSSIBLE_DUPLICATE items those pairs created (a pair already asked about is not asked again). */
  reviewItemsCreated: number;
  /** 'saved': scored with the last full run's model; 'none': no usable model, exact keys only (and why). */
  model: { state: 'saved'; estimatedAt: string } | { state: 'none'; reason: string };
  ms: number;
}

export interface LiveMatcherOptions {
  identity: IdentityStore;
  index: MatchIndex;
  /** Where POSSIBLE_DUPLICATE pairs go; none are written without it. */
  reviews?: ReviewItems;
  /** Search documents are refreshed with each record matched. */
  search?: CustomerSearch;
  defaultRegion?: string;
  config?: MatcherConfig;
  now?: () => number;
}

export interface LiveMatcher {
  /** Matches one account-level record and links it; see the file comment for the rules. */
  matchRecord(record: SourceRecord, options?: { actor?: string }): Promise<LiveMatchResult>;
  /**
   * The same decision as matchRecord, as a dry run: which customer the record would join, with
   * nothing written (no link, no customer, no index entry, no review item, no search document).
   * For queries, which never write.
   */
  planRecord(record: SourceRecord): Promise<LivePlan>;
}

/** What matchRecord would do with a record now (planRecord). */
export interface LivePlan {
  record: RecordRef;
  /** The customer the record is linked to now, or null when it is not linked. */
  current: string | null;
  /**
   * Linked: [its customer]. Not linked: the customers it would join — one; several (exact keys
   * name records of several customers, which linking would merge, unless a person kept them
   * apart); none (it would become a new customer).
   */
  wouldJoin: string[];
  rule: string;
  confidence: number;
  candidates: number;
  model: LiveMatchResult['model'];
  ms: number;
}

type Evidence = Record<string, unknown> & { rule: string };

const refOf = (r: SourceRecord): RecordRef => ({ system: r.system, recordType: r.type, externalId: r.id });
const round2 = (p: number): number => Math.round(p * 100) / 100;

/** A linked record as applyLinks should see it when it only tells which customer to join: unchanged. */
const unchanged = (l: IdentityLink): ProposedLink => ({
  system: l.system,
  recordType: l.recordType,
  externalId: l.externalId,
  confidence: l.confidence,
  rule: l.rule,
  explanation: l.explanation,
});

export function createLiveMatcher(options: LiveMatcherOptions): LiveMatcher {
  const config = options.config ?? customersMatcherConfig();
  const now = options.now ?? (() => performance.now());
  const maxBlock = maxBlockRecords(config);
  const nameField = config.fields.findIndex((f) => f.name === 'name');
  const strongName = new Set<number>();
  if (nameField >= 0) {
    config.fields[nameField]!.levels.forEach((l, i) => {
      if (l.type === 'exact' || (l.type === 'levenshtein' && l.max <= 1)) strongName.add(i + 1);
    });
  }
  const elseName = nameField >= 0 ? config.fields[nameField]!.levels.length + 1 : -1;
  // Whether a saved model fits this config, decided once per model (hashing the config is not free).
  const fits = new WeakMap<SavedModel, string | null>();
  const mismatchOf = (model: SavedModel): string | null => {
    if (!fits.has(model)) fits.set(model, modelMismatch(config, model));
    return fits.get(model)!;
  };

  /**
   * Steps 1–3 of the file comment: what the record's cluster would be, read through `tx`. The
   * caller has written the record's index entry already (matchRecord) or passes `terms` that count
   * it as if it had (planRecord), so both decide alike. Writes nothing.
   */
  const decide = async (
    tx: IdentityReader,
    record: SourceRecord,
    entry: MatchIndexEntry,
    terms: (values: readonly { field: string; value: string }[]) => Promise<{ counts: Map<string, number>; total: number }>,
  ) => {
    const self = refOf(record);
    const c = tx.client;
    const current = (await tx.linksOf([self]))[0] ?? null;
    const saved = await options.index.latestModel(CUSTOMERS_MATCHER, c);
    const mismatch = saved === null ? 'no full run has saved a model yet (run `npx meridian backfill`)' : mismatchOf(saved);
    const model: SavedModel | null = mismatch === null ? saved : null;
    const separated = await tx.cannotLinkWith(self);
    const found = (await options.index.candidatesIn(c, { keys: entry.keys, self, maxBlock, maxExact: MAX_EXACT })).filter((x) => !separated.has(recordKeyOf(x.ref)));
    // The records this one names are joined through their links even if the index lacks them.
    const named = record.xrefs
      .map((x) => ({ ref: { system: x.system, recordType: ACCOUNT_TYPE[x.system], externalId: x.id }, field: x.field }))
      .filter((x) => !(x.ref.system === self.system && x.ref.externalId === self.externalId) && !separated.has(recordKeyOf(x.ref)));
    const [candidateLinks, namedLinks] = await Promise.all([tx.linksOf(found.map((x) => x.ref)), tx.linksOf(named.map((x) => x.ref))]);

    // ---- exact keys ----
    const evidence: Evidence[] = [];
    const partners = new Map<string, IdentityLink>();
    named.forEach((x, i) => {
      const l = namedLinks[i];
      if (!l) return;
      partners.set(recordKeyOf(x.ref), l);
      evidence.push({ rule: `xref:${x.field}`, names: x.ref });
    });
    found.forEach((x, i) => {
      const l = candidateLinks[i];
      if (!l) return;
      if (x.rules.has(EXACT_XREF)) {
        partners.set(recordKeyOf(x.ref), l);
        for (const field of x.namedBy) evidence.push({ rule: `xref:${field}`, namedBy: x.ref });
      }
    });
    // A shared address joins records as the backfill's e-mail groups do: in one canonical order,
    // each record joins the first earlier one whose company name is compatible (emailGroups).
    const byEmail = new Map<string, number[]>();
    found.forEach((x, i) => {
      for (const email of x.emails) byEmail.set(email, [...(byEmail.get(email) ?? []), i]);
    });
    for (const [email, members] of byEmail) {
      const refs = [...members.map((i) => ({ ref: found[i]!.ref, name: found[i]!.input['name'] ?? null, i })), { ref: self, name: entry.input['name'] ?? null, i: -1 }];
      refs.sort((a, b) => compareRefs(a.ref, b.ref));
      const joins = emailGroups(refs.map((r) => r.name));
      const mine = joins[refs.findIndex((r) => r.i === -1)]!;
      const group = refs.filter((_, k) => joins[k] === mine && refs[k]!.i !== -1);
      for (const m of group) {
        const l = candidateLinks[m.i];
        if (!l) continue;
        partners.set(recordKeyOf(m.ref), l);
      }
      if (group.length > 0) evidence.push({ rule: 'email', email, sharedWith: group.slice(0, 5).map((m) => m.ref), records: group.length + 1 });
    }

    const reviewPairs: PossibleDuplicate[] = [];
    let scored: ScoredCandidate[] = [];
    let chosen: { link: IdentityLink; scored: ScoredCandidate; rule: 'probabilistic' | 'unique-name' } | null = null;
    const golden = (i: number): string | null => candidateLinks[i]?.goldenId ?? null;

    // The full run compares only pairs that share a blocking key; exact keys alone are not a block.
    const blocked = found.map((x, i) => ({ x, i })).filter(({ x }) => [...x.rules].some((r) => !r.startsWith('=')));
    if (model !== null && blocked.length > 0) {
      const values = config.fields.filter((f) => f.termFrequency).flatMap((f) => {
        const v = entry.normalized[f.name];
        return v === null || v === undefined ? [] : [{ field: f.name, value: v }];
      });
      const counted = await terms(values);
      scored = scoreCandidates(
        config,
        model,
        { id: recordKey(record), values: entry.input },
        blocked.map(({ x }) => ({ id: recordKeyOf(x.ref), values: x.input })),
        { count: (field, value) => counted.counts.get(`${field}\u0000${value}`) ?? 0, total: counted.total },
      ).map((sc) => ({ ...sc, index: blocked[sc.index]!.i }));
    }

    const own = current?.goldenId ?? null;
    if (partners.size === 0 && current === null && scored.length > 0) {
      // The customer of the strongest link-level pair. (A full run's chaining guard only weighs
      // joins of two clusters that both hold several records; a new record is a cluster of one.)
      let best: ScoredCandidate | null = null;
      for (const s of scored) {
        if (golden(s.index) === null || s.probability < config.thresholds.link) continue;
        if (best === null || s.probability > best.probability) best = s;
      }
      if (best !== null) chosen = { link: candidateLinks[best.index]!, scored: best, rule: 'probabilistic' };
      else if (nameField >= 0) chosen = await uniqueName(scored, candidateLinks, (ids) => tx.linkCounts(ids));
    }

    // Pairs a person should look at: the best pair into every other customer scored at or above review.
    const target = chosen?.link.goldenId ?? own;
    const perCustomer = new Map<string, ScoredCandidate>();
    for (const s of scored) {
      const g = golden(s.index);
      if (g === null || g === target || s.probability < config.thresholds.review) continue;
      if (partners.size > 0 && [...partners.values()].some((p) => p.goldenId === g)) continue;
      const b = perCustomer.get(g);
      if (b === undefined || s.probability > b.probability) perCustomer.set(g, s);
    }
    for (const s of perCustomer.values()) {
      reviewPairs.push({
        records: [self, found[s.index]!.ref].sort(compareRefs) as [RecordRef, RecordRef],
        probability: s.probability,
        weight: s.weight,
        levels: s.explanation,
      });
    }

    // ---- write ----
    let proposed: ProposedLink;
    const cluster: ProposedLink[] = [];
    if (partners.size > 0) {
      evidence.sort((a, b) => (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0));
      const rank = (e: Evidence): number => ('names' in e ? 0 : 'namedBy' in e ? 1 : 2);
      evidence.sort((a, b) => rank(a) - rank(b));
      proposed = { ...self, confidence: 1, rule: evidence[0]!.rule, explanation: { evidence: evidence.slice(0, 20), ...(record.deleted ? { deleted: true } : {}) } };
      cluster.push(proposed, ...[...partners.values()].map(unchanged));
    } else if (current !== null) {
      proposed = unchanged(current);
      cluster.push(proposed);
    } else if (chosen !== null) {
      const s = chosen.scored;
      const withRef = found[s.index]!.ref;
      proposed = {
        ...self,
        confidence: round2(s.probability),
        rule: chosen.rule,
        explanation: {
          evidence: [{ rule: chosen.rule, with: withRef, probability: round2(s.probability), levels: s.explanation.map((l) => ({ field: l.field, level: l.level })) }],
          ...(record.deleted ? { deleted: true } : {}),
        },
      };
      cluster.push(proposed, unchanged(chosen.link));
    } else {
      proposed = { ...self, confidence: 1, rule: 'singleton', explanation: { evidence: [], ...(record.deleted ? { deleted: true } : {}) } };
      cluster.push(proposed);
    }
    const final = current !== null && partners.size === 0 ? current : proposed;
    // The customers the cluster names, as applyLinks weighs them: automatic links first; manual
    // links only host the cluster when no automatic one does.
    const others = cluster.slice(1);
    const auto = others.filter((l) => !partnerManual(partners, l));
    const hosts = [...new Set((auto.length > 0 ? auto : others).map((l) => linkOfProposed(partners, chosen, l)).filter((g): g is string => g !== null))];
    return {
      self,
      current,
      own,
      cluster,
      hosts,
      rule: final.rule,
      confidence: final.confidence,
      candidates: found.length,
      reviewPairs,
      model: model !== null ? ({ state: 'saved', estimatedAt: model.estimatedAt } as const) : ({ state: 'none', reason: mismatch ?? 'no model' } as const),
    };
  };

  const matchRecord = async (record: SourceRecord, opts: { actor?: string } = {}): Promise<LiveMatchResult> => {
    const t0 = now();
    const actor = opts.actor ?? 'matcher';
    if (record.type !== ACCOUNT_TYPE[record.system]) throw new Error(`the live matcher links account-level records; got ${record.system} ${record.type}`);
    const entry = customerIndexEntry(config, record);

    const { closed, ...decided } = await options.identity.withLock(async (tx) => {
      const c = tx.client;
      // The record's own entry first: the term counts then include it, as a full run's do.
      await options.index.upsertIn(c, entry);
      const d = await decide(tx, record, entry, (values) => options.index.termCountsIn(c, values));
      const { self, current, own } = d;
      // ---- write ----
      const applied = await tx.applyLinks([{ links: d.cluster }], { actor });
      // Where the record ended: the cluster's id, unless a person kept its customer apart from it.
      const goldenId = (await tx.linksOf([self]))[0]?.goldenId ?? applied.goldenIds[0]!;
      const outcome: LiveMatchOutcome = current !== null ? (applied.merged > 0 ? 'merged' : 'kept') : applied.created > 0 ? 'new-customer' : 'joined';
      const affected = [...new Set([goldenId, ...applied.goldenIds, ...applied.retired, ...(own !== null ? [own] : [])])];
      // Exact keys joined customers: the open items between them ask nothing any more.
      const closed = applied.merged > 0 && options.reviews ? await options.reviews.closeSettled(affected, actor, 'matcher', c) : [];
      return { goldenId, outcome, rule: d.rule, confidence: d.confidence, affected, candidates: d.candidates, reviewPairs: d.reviewPairs, model: d.model, closed };
    });
    await options.reviews?.announce(closed);

    const reviewItemsCreated = options.reviews && decided.reviewPairs.length > 0 ? await options.reviews.addPossibleDuplicates(decided.reviewPairs, actor) : 0;
    if (options.search) await options.search.index([searchDocumentOf(record, options.defaultRegion ?? 'US')]);
    return { record: refOf(record), ...decided, reviewItemsCreated, ms: now() - t0 };
  };

  const planRecord = async (record: SourceRecord): Promise<LivePlan> => {
    const t0 = now();
    if (record.type !== ACCOUNT_TYPE[record.system]) throw new Error(`the live matcher links account-level records; got ${record.system} ${record.type}`);
    const entry = customerIndexEntry(config, record);
    // A read-only snapshot without the identity lock: a dry run never waits for a writer, and
    // the database itself refuses a write from here.
    const d = await options.identity.read((tx) => decide(tx, record, entry, (values) => options.index.termCountsAfterIn(tx.client, entry, values)));
    const wouldJoin = d.current !== null ? [d.current.goldenId] : d.hosts;
    return { record: d.self, current: d.current?.goldenId ?? null, wouldJoin, rule: d.rule, confidence: d.confidence, candidates: d.candidates, model: d.model, ms: now() - t0 };
  };

  /**
   * The unique-name rule of the full run (customer-matching.ts), for one new record: it joins the
   * one customer whose records' names it matches exactly or within one edit while every other
   * field is missing on one side or agrees exactly, when no record of any other customer has a
   * similar name.
   */
  async function uniqueName(
    scored: readonly ScoredCandidate[],
    links: readonly (IdentityLink | null)[],
    linkCounts: (ids: readonly string[]) => Promise<number[]>,
  ): Promise<{ link: IdentityLink; scored: ScoredCandidate; rule: 'unique-name' } | null> {
    const strong = new Map<string, ScoredCandidate>();
    const similar = new Set<string>();
    for (const s of scored) {
      const link = links[s.index];
      if (!link) continue;
      const level = s.gamma[nameField]!;
      if (level === 0 || level === elseName) continue;
      let uncontradicted = strongName.has(level);
      for (let f = 0; f < s.gamma.length && uncontradicted; f++) if (f !== nameField && !silentOrExact(config, f, s.gamma[f]!)) uncontradicted = false;
      if (uncontradicted) {
        if (!strong.has(link.goldenId)) strong.set(link.goldenId, s);
      } else similar.add(link.goldenId);
    }
    if (strong.size !== 1) return null;
    const [[g, s]] = [...strong] as [[string, ScoredCandidate]];
    if ([...similar].some((x) => x !== g)) return null;
    // A full run joins two lone records only when each is the other's one choice, which needs the
    // other record's own candidates; a customer of one record is left to a person instead.
    const [size] = await linkCounts([g]);
    if ((size ?? 0) < 2) return null;
    return { link: links[s.index]!, scored: s, rule: 'unique-name' };
  }

  return { matchRecord, planRecord };
}

/** Whether a cluster member stands for a manual link (a person's decision). */
function partnerManual(partners: ReadonlyMap<string, IdentityLink>, l: ProposedLink): boolean {
  return partners.get(recordKeyOf(l))?.origin === 'manual';
}

/** The customer a cluster member (a partner or the chosen record) is linked to. */
function linkOfProposed(partners: ReadonlyMap<string, IdentityLink>, chosen: { link: IdentityLink } | null, l: ProposedLink): string | null {
  const p = partners.get(recordKeyOf(l));
  if (p) return p.goldenId;
  if (chosen && recordKeyOf(chosen.link) === recordKeyOf(l)) return chosen.link.goldenId;
  return null;
}

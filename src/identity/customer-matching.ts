// Probabilistic customer matching (issue #4 applied to accounts): every system's account-level
// SourceRecords become matcher records with company features (name key, domain, e-mails, phone,
// postcode, city, street), and one dedupe runs over all systems together with
// configs/customers.json. The exact keys the backfill uses (shared cross-references, exact
// e-mail) are certain links: they are joined first, and the probabilistic links then join those
// clusters under the matcher's chaining guard (docs/matching.md, "Customers"). Pure: no I/O
// except reading the config file once.
import { readFileSync } from 'node:fs';
import {
  companyMatchKey, countryCode, emailDomain, emailMatchKey, normalizeAddress, normalizeDomain,
  normalizePhone, normalizePostalCode, textMatchKey,
} from '../normalize/index.ts';
import type { SourceRecord } from '../domain/records.ts';
import { matchedDataKeys, recordAddress, recordDomain, recordName, recordPhone } from './record-fields.ts';
import { clusterLinks } from './matcher/cluster.ts';
import { parseMatcherConfig, type MatcherConfig } from './matcher/config.ts';
import type { InputRecord } from './matcher/features.ts';
import { DECISION_LINK, DECISION_REVIEW, DECISIONS, runMatcher, type Decision, type MatchResult } from './matcher/matcher.ts';
import { groupKey } from './matcher/model.ts';
import { jaroWinkler } from './matcher/strings.ts';

/** The default configuration for customers (account-level records of every system). */
export const CUSTOMERS_CONFIG_URL = new URL('./matcher/configs/customers.json', import.meta.url);

let defaultConfig: MatcherConfig | undefined;
/** configs/customers.json, parsed and validated once. */
export function customersMatcherConfig(): MatcherConfig {
  defaultConfig ??= parseMatcherConfig(JSON.parse(readFileSync(CUSTOMERS_CONFIG_URL, 'utf8')) as unknown, CUSTOMERS_CONFIG_URL.pathname);
  return defaultConfig;
}

/** What a customer record says about who it is, normalized. Every value may be missing. */
export interface CustomerFeatures {
  /** The company name as shown (legal form dropped, abbreviations spelled out): "Acme Corporation". */
  name: string | null;
  /** Match key without legal form, "the", "company/corporation": "acme". What the matcher compares. */
  nameKey: string | null;
  /** Company web domain: Website / Zendesk domain_names, else the most common non-free-mail e-mail domain. */
  domain: string | null;
  /** E-mail match keys (billing e-mail, contacts), sorted, unique. */
  emails: string[];
  /** Main phone in E.164, read in the record's country. */
  phone: string | null;
  postcode: string | null;
  city: string | null;
  /** Street line 1 in canonical form (full street words), as a match key: "6619 technology road". */
  street: string | null;
  /** ISO 3166-1 alpha-2. */
  country: string | null;
}

/** The record's key in results: `system:id` (each system has one account-level type). */
export const recordKey = (r: Pick<SourceRecord, 'system' | 'id'>): string => `${r.system}:${r.id}`;

function mostCommon(values: readonly (string | null)[]): string | null {
  const counts = new Map<string, number>();
  let best: string | null = null;
  let bestCount = 0;
  for (const v of values) {
    if (v === null) continue;
    const c = (counts.get(v) ?? 0) + 1;
    counts.set(v, c);
    if (c > bestCount) {
      best = v;
      bestCount = c;
    }
  }
  return best;
}

/**
 * The record with only what matching reads (those fields of `data`, its e-mails and
 * cross-references): what a backfill keeps of each of hundreds of thousands of records, instead
 * of every raw payload with its contacts and subscriptions.
 */
export function matchableRecord(r: SourceRecord): SourceRecord {
  const data: Record<string, unknown> = {};
  for (const k of matchedDataKeys(r.system)) if (r.data[k] !== undefined) data[k] = r.data[k];
  return { system: r.system, type: r.type, id: r.id, updatedAt: r.updatedAt, data, xrefs: r.xrefs, emails: r.emails, deleted: r.deleted };
}

/** The company-name match key of an account-level record ("acme" for "ACME Corp."); null when it has no name. */
export function customerNameKey(r: SourceRecord): string | null {
  return companyMatchKey(recordName(r));
}

/**
 * Whether two records that share an e-mail address may be taken for one customer on that address
 * alone: their company names (match keys) share a word or are spelled alike, or one has no name.
 * An address shared by records named quite differently (a bookkeeper's ap@gmail.com on two
 * clients, a reseller's mailbox) is left to the matcher, which weighs the names too.
 */
export function namesCompatible(a: string | null, b: string | null): boolean {
  if (a === null || b === null || a === b) return true;
  const wa = new Set(a.split(' ').filter((w) => w.length >= 2));
  for (const w of b.split(' ')) if (w.length >= 2 && wa.has(w)) return true;
  return jaroWinkler(a, b) >= 0.85;
}

/**
 * Records sharing one e-mail, grouped as exact keys join them: each record joins the first earlier
 * record whose name is compatible with its own (namesCompatible), or starts a group of its own.
 * Returns, per record in `members` order, the index in `members` of the record it joins (itself when it starts a group).
 */
export function emailGroups(names: readonly (string | null)[]): number[] {
  const anchors: number[] = [];
  return names.map((name, i) => {
    for (const j of anchors) if (namesCompatible(names[j]!, name)) return j;
    anchors.push(i);
    return i;
  });
}

/** The match features of one account-level record. */
export function customerFeatures(r: SourceRecord): CustomerFeatures {
  const raw = recordAddress(r);
  const address = raw === null ? null : normalizeAddress(raw);
  const country = address?.country ?? null;
  const name = recordName(r);
  const emails = [...new Set(r.emails.map((e) => emailMatchKey(e)).filter((e): e is string => e !== null))].sort();
  const site = normalizeDomain(recordDomain(r));
  const domain = site ?? mostCommon(emails.map((e) => emailDomain(e)));
  const phone = normalizePhone(recordPhone(r), country ?? 'US');
  const postcode = address === null ? null : normalizePostalCode(address.postalCode, country);
  return {
    name,
    nameKey: companyMatchKey(name),
    domain,
    emails,
    phone,
    postcode,
    city: textMatchKey(address?.city ?? null),
    street: textMatchKey(address?.line1 ?? null),
    country: country === null ? null : countryCode(country),
  };
}

/** The matcher's input record: columns named as in configs/customers.json. */
export function toMatcherRecord(r: SourceRecord, f: CustomerFeatures = customerFeatures(r)): InputRecord {
  return {
    id: recordKey(r),
    values: {
      name: f.nameKey,
      domain: f.domain,
      // Space-separated: the `tokenSet` level reads "shares at least one address".
      emails: f.emails.length === 0 ? null : f.emails.join(' '),
      phone: f.phone,
      postcode: f.postcode,
      city: f.city,
      street: f.street,
    },
  };
}

export type LinkRule = 'xref' | 'email' | 'probabilistic' | 'uniqueName';

export interface CustomerPair {
  /** Record keys (`system:id`). */
  a: string;
  b: string;
  rule: LinkRule;
  /** Probabilistic pairs: the model's match probability and weight (bits); null for certain links. */
  probability: number | null;
  weight: number | null;
  /** Certain links are always `link`; a probabilistic link the chaining guard refused is `review`. */
  decision: Decision;
}

export interface CustomerMatchOptions {
  /** Default: configs/customers.json. */
  config?: MatcherConfig;
  /** Join shared cross-references and exact e-mails as certain links. Default true. */
  deterministic?: boolean;
  /**
   * The unique-name rule (default true): a record still alone after clustering joins the one
   * cluster whose names it matches (exact or one edit) when nothing else it has contradicts it
   * and no other cluster has a similar name. See uniqueNameLinks.
   */
  uniqueName?: boolean;
}

export interface CustomerMatchResult {
  /** Record keys in input order; `cluster[i]` is record i's cluster. */
  ids: string[];
  /** Cluster per record: the index of its first record. */
  cluster: Int32Array;
  clusterCount: number;
  largestCluster: number;
  /** Certain links, then probabilistic pairs decided `link` or `review`. */
  pairs: CustomerPair[];
  /** How many certain links each exact rule gave (after closure they may overlap). */
  certainLinks: { xref: number; email: number };
  /** Records joined by the unique-name rule. */
  uniqueNameLinks: number;
  /** Probabilistic links refused by the chaining guard. */
  refused: number;
  /** Probabilistic pairs decided link that joined records not already joined by a certain link. */
  probabilisticOnlyLinks: number;
  /** The full matcher run (model, candidates, timings). */
  match: MatchResult;
  /** Record keys per cluster, clusters of two or more only. */
  groups(): string[][];
  /** Scores of the clustering against a truth: the true entity of each record key. */
  evaluate(entityOf: (key: string) => string): ClusteringScores;
}

/**
 * Certain links from exact keys, as the backfill draws them: record A names record B in a
 * cross-reference (B among the input), or A and B share a normalized e-mail. Pairs of input
 * indices; an e-mail shared by k records gives k−1 links (a star on its first record).
 */
export function exactKeyLinks(records: readonly SourceRecord[]): { a: number[]; b: number[]; rule: ('xref' | 'email')[] } {
  const index = new Map<string, number>();
  records.forEach((r, i) => index.set(recordKey(r), i));
  const a: number[] = [];
  const b: number[] = [];
  const rule: ('xref' | 'email')[] = [];
  records.forEach((r, i) => {
    for (const x of r.xrefs) {
      const j = index.get(`${x.system}:${x.id}`);
      if (j !== undefined && j !== i) {
        a.push(i);
        b.push(j);
        rule.push('xref');
      }
    }
  });
  const withEmail = new Map<string, number[]>();
  records.forEach((r, i) => {
    for (const e of new Set(r.emails.map((x) => x.trim().toLowerCase()).filter((x) => x !== ''))) {
      const list = withEmail.get(e);
      if (list === undefined) withEmail.set(e, [i]);
      else list.push(i);
    }
  });
  const names = new Map<number, string | null>();
  const nameOf = (i: number): string | null => {
    if (!names.has(i)) names.set(i, customerNameKey(records[i]!));
    return names.get(i)!;
  };
  for (const members of withEmail.values()) {
    if (members.length < 2) continue;
    const joins = emailGroups(members.map(nameOf));
    joins.forEach((j, k) => {
      if (j === k) return;
      a.push(members[j]!);
      b.push(members[k]!);
      rule.push('email');
    });
  }
  return { a, b, rule };
}

/** The exact-key baseline (what src/identity/backfill.ts links): union-find over xrefs and exact e-mail. */
export function exactKeyClusters(records: readonly SourceRecord[]): Int32Array {
  const links = exactKeyLinks(records);
  const parent = Int32Array.from({ length: records.length }, (_, i) => i);
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]!]!;
      x = parent[x]!;
    }
    return x;
  };
  for (let i = 0; i < links.a.length; i++) {
    const x = find(links.a[i]!);
    const y = find(links.b[i]!);
    if (x !== y) parent[Math.max(x, y)] = Math.min(x, y);
  }
  const cluster = new Int32Array(records.length);
  for (let i = 0; i < records.length; i++) cluster[i] = find(i);
  return cluster;
}

export function matchCustomerRecords(records: readonly SourceRecord[], options: CustomerMatchOptions = {}): CustomerMatchResult {
  const config = options.config ?? customersMatcherConfig();
  const ids = records.map(recordKey);
  if (new Set(ids).size !== ids.length) throw new Error('matchCustomerRecords: a record appears twice (same system and id)');
  const match = runMatcher(config, { mode: 'dedupe', records: records.map((r) => toMatcherRecord(r)) });
  const exact = options.deterministic === false ? { a: [], b: [], rule: [] } : exactKeyLinks(records);

  // Cluster again with the certain links joined first (runMatcher clustered without them).
  const { a, b, count } = match.candidates;
  const logPriorOdds = Math.log2(match.model.prior / (1 - match.model.prior));
  const logOdds = new Float64Array(count);
  const isLink = new Uint8Array(count);
  for (let p = 0; p < count; p++) {
    logOdds[p] = match.weights[p]! + logPriorOdds;
    if (match.probabilities[p]! >= config.thresholds.link) isLink[p] = 1;
  }
  const clusters = clusterLinks({
    size: records.length, a, b, count, logOdds, isLink, guard: config.clustering.guard,
    certain: { a: Int32Array.from(exact.a), b: Int32Array.from(exact.b), count: exact.a.length },
  });
  const refused = new Set(clusters.refused);
  const uniqueName = options.uniqueName === false ? [] : uniqueNameLinks(config, match, clusters.cluster);
  if (uniqueName.length > 0) {
    // Join over cluster labels, then renumber: a cluster is the index of its first record.
    const label = Int32Array.from({ length: records.length }, (_, i) => i);
    const find = (x: number): number => {
      while (label[x] !== x) x = label[x] = label[label[x]!]!;
      return x;
    };
    for (const l of uniqueName) {
      const x = find(clusters.cluster[l.record]!);
      const y = find(clusters.cluster[l.other]!);
      label[Math.max(x, y)] = Math.min(x, y);
    }
    for (let i = 0; i < records.length; i++) clusters.cluster[i] = find(clusters.cluster[i]!);
  }
  const { clusterCount, largestCluster } = clusterStats(clusters.cluster);

  // Which probabilistic links the exact keys alone did not imply.
  const baseline = new Int32Array(records.length);
  {
    const parent = Int32Array.from({ length: records.length }, (_, i) => i);
    const find = (x: number): number => {
      while (parent[x] !== x) {
        parent[x] = parent[parent[x]!]!;
        x = parent[x]!;
      }
      return x;
    };
    for (let i = 0; i < exact.a.length; i++) parent[find(exact.a[i]!)] = find(exact.b[i]!);
    for (let i = 0; i < records.length; i++) baseline[i] = find(i);
  }

  const pairs: CustomerPair[] = exact.a.map((x, i) => ({ a: ids[x]!, b: ids[exact.b[i]!]!, rule: exact.rule[i]!, probability: null, weight: null, decision: 'link' }));
  for (const l of uniqueName) {
    pairs.push({ a: ids[l.record]!, b: ids[l.other]!, rule: 'uniqueName', probability: match.probabilities[l.pair]!, weight: match.weights[l.pair]!, decision: 'link' });
  }
  let probabilisticOnlyLinks = 0;
  for (let p = 0; p < count; p++) {
    const prob = match.probabilities[p]!;
    if (prob < config.thresholds.review) continue;
    const decision = isLink[p] === 1 && !refused.has(p) ? DECISION_LINK : DECISION_REVIEW;
    if (decision === DECISION_LINK && baseline[a[p]!] !== baseline[b[p]!]) probabilisticOnlyLinks++;
    pairs.push({ a: ids[a[p]!]!, b: ids[b[p]!]!, rule: 'probabilistic', probability: prob, weight: match.weights[p]!, decision: DECISIONS[decision] });
  }

  return {
    ids,
    cluster: clusters.cluster,
    clusterCount,
    largestCluster,
    pairs,
    certainLinks: { xref: exact.rule.filter((r) => r === 'xref').length, email: exact.rule.filter((r) => r === 'email').length },
    uniqueNameLinks: uniqueName.length,
    refused: clusters.refused.length,
    probabilisticOnlyLinks,
    match,
    groups: () => groupsOf(ids, clusters.cluster),
    evaluate: (entityOf) => scoreClustering(clusters.cluster, entitiesOf(ids, entityOf)),
  };
}

function clusterStats(cluster: Int32Array): { clusterCount: number; largestCluster: number } {
  const sizes = new Map<number, number>();
  for (const c of cluster) sizes.set(c, (sizes.get(c) ?? 0) + 1);
  return { clusterCount: sizes.size, largestCluster: Math.max(0, ...sizes.values()) };
}

/**
 * The unique-name rule. A record with little besides its name (a Zendesk organization without
 * domain_names, a Stripe customer with a free-mail address and no phone) cannot reach the link
 * threshold in Fellegi–Sunter: one agreeing field against a prior of one match in thousands of
 * pairs. Yet an unambiguous company name that nothing contradicts is what a person would link it
 * by. A record that is still alone after clustering joins a cluster when
 * - it has candidate pairs into that cluster whose name agrees `exact` or within edit distance 1,
 *   and on which every other field is missing on one side or agrees exactly (no evidence
 *   against: a Zendesk organization with the name and web domain of a known customer), and
 * - no such pair leads into any other cluster, and no other cluster holds a record whose name
 *   agrees with it on any similarity level of the name field (a look-alike makes it ambiguous).
 * Returns the candidate pair used for each join.
 */
function uniqueNameLinks(config: MatcherConfig, match: MatchResult, cluster: Int32Array): { record: number; other: number; pair: number }[] {
  const f = config.fields.findIndex((x) => x.name === 'name');
  if (f < 0) return [];
  const levels = config.fields[f]!.levels;
  const strong = new Uint8Array(levels.length + 2);
  levels.forEach((l, i) => {
    if (l.type === 'exact' || (l.type === 'levenshtein' && l.max <= 1)) strong[i + 1] = 1;
  });
  const elseLevel = levels.length + 1;
  const n = cluster.length;
  const size = new Int32Array(n);
  for (const c of cluster) size[c]!++;
  const width = config.fields.length;
  const { a, b, count } = match.candidates;
  const strongTo = new Map<number, Map<number, number>>();
  const similarTo = new Map<number, Set<number>>();
  for (let p = 0; p < count; p++) {
    const off = p * width;
    const level = match.gammas[off + f]!;
    if (level === 0 || level === elseLevel) continue;
    let uncontradicted = strong[level] === 1;
    for (let g = 0; g < width && uncontradicted; g++) if (g !== f && !silentOrExact(config, g, match.gammas[off + g]!)) uncontradicted = false;
    for (const [r, o] of [[a[p]!, b[p]!], [b[p]!, a[p]!]] as const) {
      if (size[cluster[r]!] !== 1) continue;
      const c = cluster[o]!;
      if (uncontradicted) {
        let m = strongTo.get(r);
        if (m === undefined) strongTo.set(r, (m = new Map<number, number>()));
        if (!m.has(c)) m.set(c, p);
      } else {
        let s = similarTo.get(r);
        if (s === undefined) similarTo.set(r, (s = new Set<number>()));
        s.add(c);
      }
    }
  }
  const out: { record: number; other: number; pair: number }[] = [];
  for (const [r, m] of strongTo) {
    if (m.size !== 1) continue;
    const [[c, p]] = [...m] as [[number, number]];
    const similar = similarTo.get(r);
    if (similar !== undefined && [...similar].some((x) => x !== c)) continue;
    // Two lone records naming each other only: both sides must agree it is the one choice.
    const other = a[p] === r ? b[p]! : a[p]!;
    if (size[c] === 1) {
      const back = strongTo.get(other);
      if (back === undefined || back.size !== 1 || (similarTo.get(other)?.size ?? 0) > 0) continue;
      if (r > other) continue; // one join per mutual pair
    }
    out.push({ record: r, other, pair: p });
  }
  return out;
}

/** Level `level` of field `f` says nothing against a match: a value is missing, or the values are equal. */
export function silentOrExact(config: MatcherConfig, f: number, level: number): boolean {
  return level === 0 || (level === 1 && config.fields[f]!.levels[0]!.type === 'exact');
}

function groupsOf(ids: readonly string[], cluster: Int32Array): string[][] {
  const m = new Map<number, string[]>();
  cluster.forEach((c, i) => {
    const g = m.get(c);
    if (g === undefined) m.set(c, [ids[i]!]);
    else g.push(ids[i]!);
  });
  return [...m.values()].filter((g) => g.length > 1);
}

/** Integer entity per record from a truth function of record keys. */
export function entitiesOf(ids: readonly string[], entityOf: (key: string) => string): Int32Array {
  const numbers = new Map<string, number>();
  return Int32Array.from(ids, (id) => {
    const e = entityOf(id);
    let n = numbers.get(e);
    if (n === undefined) {
      n = numbers.size;
      numbers.set(e, n);
    }
    return n;
  });
}

export interface PairScores {
  truePairs: number;
  predictedPairs: number;
  truePositives: number;
  precision: number;
  recall: number;
  f1: number;
}

export interface ClusteringScores {
  /** Over record pairs: predicted = every two records in one cluster; true = every two of one entity. */
  pairs: PairScores;
  /**
   * Over clusters: precision = share of predicted clusters that are exactly one true entity's
   * records; recall = share of true entities recovered exactly as one cluster. Singletons count.
   */
  clusters: { predicted: number; truth: number; exact: number; precision: number; recall: number };
}

const choose2 = (n: number): number => (n * (n - 1)) / 2;

/** Pairwise and exact-cluster scores of a clustering (cluster id per record) against true entities. */
export function scoreClustering(cluster: ArrayLike<number>, entity: ArrayLike<number>): ClusteringScores {
  const n = cluster.length;
  const sizeC = new Map<number, number>();
  const sizeE = new Map<number, number>();
  const both = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const c = cluster[i]!;
    const e = entity[i]!;
    sizeC.set(c, (sizeC.get(c) ?? 0) + 1);
    sizeE.set(e, (sizeE.get(e) ?? 0) + 1);
    const k = `${c}:${e}`;
    both.set(k, (both.get(k) ?? 0) + 1);
  }
  let predictedPairs = 0;
  for (const s of sizeC.values()) predictedPairs += choose2(s);
  let truePairs = 0;
  for (const s of sizeE.values()) truePairs += choose2(s);
  let tp = 0;
  let exact = 0;
  for (const [k, s] of both) {
    tp += choose2(s);
    const [c, e] = k.split(':').map(Number) as [number, number];
    if (sizeC.get(c) === s && sizeE.get(e) === s) exact++;
  }
  const precision = predictedPairs === 0 ? 1 : tp / predictedPairs;
  const recall = truePairs === 0 ? 1 : tp / truePairs;
  return {
    pairs: { truePairs, predictedPairs, truePositives: tp, precision, recall, f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall) },
    clusters: { predicted: sizeC.size, truth: sizeE.size, exact, precision: exact / Math.max(1, sizeC.size), recall: exact / Math.max(1, sizeE.size) },
  };
}

export interface PairExplanation {
  field: string;
  level: string;
  /** Match weight of that level, in bits (log2 m/u). */
  weight: number;
}

/**
 * Why the matcher scored a pair as it did: the comparison level each field fell in and its
 * weight. The returned function takes input indices; it gives null for a pair that was not a
 * blocking candidate. The candidate index is built once, so explaining many pairs stays linear.
 */
export function pairExplainer(match: MatchResult): (i: number, j: number) => PairExplanation[] | null {
  const { a, b, count } = match.candidates;
  const fields = match.model.fields;
  const at = new Map<number, number>();
  const n = match.table.size;
  for (let c = 0; c < count; c++) at.set(Math.min(a[c]!, b[c]!) * n + Math.max(a[c]!, b[c]!), c);
  const radix = fields.map((f) => ({ radix: f.levels.length + 1 }));
  return (i, j) => {
    const c = at.get(Math.min(i, j) * n + Math.max(i, j));
    if (c === undefined) return null;
    const out: PairExplanation[] = fields.map((f, k) => {
      const g = match.gammas[c * fields.length + k]!;
      // Level 0 (a value missing) weighs nothing; levels 1… are the configured ones and else.
      const level = g === 0 ? undefined : f.levels[g - 1];
      return { field: f.name, level: g === 0 ? 'null' : (level?.label ?? 'unknown'), weight: Math.round((level?.weight ?? 0) * 100) / 100 };
    });
    for (const grp of match.model.groups) {
      const adjust = grp.adjustments.get(groupKey(match.gammas, c * fields.length, grp.fields, radix)) ?? 0;
      if (adjust !== 0) out.push({ field: `group:${grp.name}`, level: 'joint agreement', weight: Math.round(adjust * 100) / 100 });
    }
    return out;
  };
}

// The backfill: read every account-level record of every source and link them into golden
// customers. Records that name each other (cross-references) or share a normalized email are
// one customer for certain; the Fellegi–Sunter customer matcher then adds links it scores above
// its link threshold and sends pairs between the thresholds to review (POSSIBLE_DUPLICATE).
// The closure is taken with union-find, so A–B and B–C put A, B and C together. Writes go through IdentityStore.applyLinks, which never renames a
// customer and merges into the oldest id, so running the backfill again changes nothing and
// running it after new records arrived only adds them. That is also why a run whose scan of one
// system failed (after the connector's retries) links everything it did read: the next run,
// resumed from that system's checkpoint, adds the rest.
import { customerNameKey, customersMatcherConfig, matchableRecord, emailGroups, matchCustomerRecords, pairExplainer, type PairExplanation } from './customer-matching.ts';
import { customerIndexEntry, type EntrySource, type MatchIndex, type MatchIndexEntry } from './match-index.ts';
import { indexEntryFromTable, savedModelOf } from './matcher/incremental.ts';
import type { FeatureTable } from './matcher/features.ts';
import type { PossibleDuplicate, ReviewItems } from '../review/items.ts';
import { ACCOUNT_TYPE, type SourceConnector } from '../sources/types.ts';
import type { SourceRecord, SystemId } from '../domain/records.ts';
import { MAX_SCAN_PAGE_SIZE, prefetched, type ScanOptions, type ScanRetryEvent } from '../sources/scan.ts';
import type { BackfillCheckpoints } from './backfill-checkpoint.ts';
import type { IdentityStore, LinkCluster, ProposedLink } from './links.ts';

export interface RecordRef {
  system: SystemId;
  recordType: string;
  externalId: string;
}

export interface DanglingXref {
  from: RecordRef;
  field: string;
  /** What the field names; no scanned record has that id. */
  to: { system: SystemId; externalId: string };
}

export interface BackfillProgress {
  phase: 'scan' | 'link' | 'done';
  /** Pages retried so far, all systems together. */
  retries?: number;
  /** Records read so far per system, and whether that system's scan finished. */
  systems: { system: SystemId; records: number; done: boolean }[];
  clusters: { done: number; total: number };
  linksWritten: number;
}

/** How one system's scan went. */
export interface SystemScanReport {
  system: SystemId;
  /** Records read by this run's scan (not counting those taken from a checkpoint). */
  read: number;
  /** Records a stopped run had read, taken from its checkpoint. */
  resumed: number;
  /** Pages that failed and were fetched again. */
  pagesRetried: number;
  /** Every record was read (and, when checkpoints are kept, that system's checkpoint is cleared). */
  complete: boolean;
  /** Why the scan stopped, when it did not complete; its checkpoint stays for the next run. */
  error: string | null;
  /** Records the system returned that fail its schema: not linked, counted here, never dropped unsaid. */
  invalid: number;
  /** The first MAX_INVALID_LISTED of them, each naming the record and its first bad field. */
  invalidRecords: string[];
}

export interface BackfillReport {
  /** Account-level records read per system (deleted ones included). */
  records: Partial<Record<SystemId, number>>;
  /** Per system: read, resumed from a checkpoint, retried, and what could not be read. */
  scans: SystemScanReport[];
  /** Seconds per phase: scan (reading and checkpointing), match (exact keys and the matcher), write (links and the index). */
  phases: {
    scan: number;
    match: number;
    write: number;
    /** The write phase's parts: links (with golden customers and their events), then the live matcher's index. */
    links: number;
    index: number;
  };
  deletedRecords: number;
  clusters: number;
  largestCluster: number;
  customers: {
    /** Golden ids issued by this run. */
    created: number;
    /** Clusters that kept the golden id their records already had. */
    kept: number;
    /** Golden ids retired into an older one because this run joined them. */
    merged: number;
    /** Live golden customers after the run. */
    total: number;
    /** Joins not made because a person kept those customers apart (identity_cannot_link). */
    keptApart: number;
  };
  links: { written: number; unchanged: number; byRule: Record<string, number> };
  xrefs: {
    /** Cross-references to a record that was scanned. */
    followed: number;
    /** Of those, how many name a deleted (merged-away) record: stale, but still linked through it. */
    toDeleted: number;
    dangling: number;
  };
  /** Cross-references to ids no source returned (first MAX_DANGLING_LISTED). */
  danglingXrefs: DanglingXref[];
  /** Normalized emails found on more than one record (each joined those records). */
  sharedEmails: number;
  /** Shared emails that did not join every record carrying them: their company names disagree. */
  emailsNotTrusted: number;
  /** Probabilistic matching: links it added beyond exact keys, and pairs sent for review. */
  matcher: { links: number; reviewPairs: number; reviewItemsCreated: number; ms: number } | null;
  /** Entries written to the live matcher's index: new or changed records (0 when none changed, or no index was given). */
  indexed: number;
  /** Index entries removed: records of a scanned system that its scan no longer returned. */
  indexRemoved: number;
  ms: number;
}

export interface BackfillOptions {
  connectors: readonly SourceConnector[];
  store: IdentityStore;
  onProgress?: (progress: BackfillProgress) => void;
  /** Page size asked of each connector's scan. Default: each system's maximum (MAX_SCAN_PAGE_SIZE), the fewest round trips. */
  pageSize?: number;
  /** Links per applyLinks transaction (a cluster is never split). Default 1000. */
  batchSize?: number;
  /** Who the identity events name. Default 'backfill'. */
  actor?: string;
  /** Milliseconds, for the report's timing. */
  now?: () => number;
  /**
   * 'probabilistic' (default): exact keys are certain, and the Fellegi–Sunter customer matcher
   * (src/identity/customer-matching.ts) adds links above its link threshold; pairs between the
   * review and link thresholds become POSSIBLE_DUPLICATE review items. 'exact': keys only.
   */
  matching?: 'exact' | 'probabilistic';
  /** Where POSSIBLE_DUPLICATE pairs go (none are written without it). */
  reviews?: ReviewItems;
  /**
   * Keeps each scan's progress so a stopped run resumes where it was (backfill-checkpoint.ts).
   * Without it every run scans from the start.
   */
  checkpoints?: BackfillCheckpoints;
  /** Retry policy, clock (the waits) and jitter of every scan's page fetches (src/sources/scan.ts). */
  scan?: Pick<ScanOptions, 'retry' | 'clock' | 'random'>;
  /**
   * Called where a large working set was just let go (after the matcher, the clusters, the
   * links): the CLI passes a full garbage collection (release-memory.ts), so memory follows
   * what the run holds instead of climbing through it. Tests leave it out.
   */
  releaseMemory?: () => void;
  /** Told about each page that failed transiently and is about to be fetched again. */
  onRetry?: (event: ScanRetryEvent) => void;
  /**
   * The live matcher's blocking index (probabilistic mode): after linking, the model this run
   * estimated and every scanned record's entry are written there, so records that arrive later
   * are matched one by one (src/identity/live-matcher.ts).
   */
  index?: MatchIndex;
}

/** One line naming each system a run could not read completely, and why. */
export function scanFailureSummary(report: Pick<BackfillReport, 'scans'>): string | null {
  const failed = report.scans.filter((s) => !s.complete);
  if (failed.length === 0) return null;
  return `could not read ${failed.map((f) => `${f.system} (${f.error ?? 'unknown error'})`).join(', ')}`;
}

export const MAX_DANGLING_LISTED = 1000;
export const MAX_INVALID_LISTED = 20;
/** Records read between two checkpoints of one system's scan. */
export const CHECKPOINT_RECORDS = 1000;
/** Index entries built between two calls of `releaseMemory`. */
const RELEASE_EVERY = 50_000;
const MAX_EVIDENCE = 20;
const MAX_SHARED_WITH = 5;

/** The exact-email key: trimmed and lower-cased; null for nothing usable. */
export function emailKey(email: string): string | null {
  const e = email.trim().toLowerCase();
  return e === '' ? null : e;
}

/** What the backfill keeps of a record: no payload, so a large scan stays small in memory. */
interface Node {
  ref: RecordRef;
  deleted: boolean;
  xrefs: { system: SystemId; id: string; field: string }[];
  emails: Set<string>;
  /** Company-name match key: an e-mail joins only records whose names are compatible. */
  nameKey: string | null;
}

type Evidence =
  | { rule: string; names: RecordRef }
  | { rule: string; namedBy: RecordRef }
  | { rule: 'email'; email: string; sharedWith: RecordRef[]; records: number }
  | { rule: 'probabilistic' | 'unique-name'; with: RecordRef; probability: number | null; levels: Pick<PairExplanation, 'field' | 'level'>[] | null };

const keyOf = (system: string, recordType: string, externalId: string): string => `${system}\u0000${recordType}\u0000${externalId}`;

class UnionFind {
  private readonly parent: Int32Array;
  private readonly rank: Uint8Array;
  constructor(n: number) {
    this.parent = new Int32Array(n);
    this.rank = new Uint8Array(n);
    for (let i = 0; i < n; i++) this.parent[i] = i;
  }
  find(i: number): number {
    let root = i;
    while (this.parent[root]! !== root) root = this.parent[root]!;
    for (let cur = i; cur !== root; ) {
      const next = this.parent[cur]!;
      this.parent[cur] = root;
      cur = next;
    }
    return root;
  }
  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra === rb) return;
    const rankA = this.rank[ra]!;
    const rankB = this.rank[rb]!;
    if (rankA < rankB) this.parent[ra] = rb;
    else if (rankA > rankB) this.parent[rb] = ra;
    else {
      this.parent[rb] = ra;
      this.rank[ra] = rankA + 1;
    }
  }
}

export async function runBackfill(options: BackfillOptions): Promise<BackfillReport> {
  const now = options.now ?? (() => performance.now());
  const t0 = now();
  const progress: BackfillProgress = {
    phase: 'scan',
    systems: options.connectors.map((c) => ({ system: c.system, records: 0, done: false })),
    clusters: { done: 0, total: 0 },
    linksWritten: 0,
  };
  const emit = (): void => options.onProgress?.(structuredClone(progress));
  emit();

  // ---- scan: every source in parallel; nothing is written unless every scan succeeds ----
  const nodes: Node[] = [];
  const index = new Map<string, number>();
  const probabilistic = (options.matching ?? 'probabilistic') === 'probabilistic';
  // The matcher compares records' contents, so that mode keeps of each record what it reads
  // (matchableRecord: a few fields, not the raw payload with its contacts and subscriptions).
  const payloads: SourceRecord[] = [];
  /** Takes in one record, already reduced to what matching reads (matchableRecord). */
  const add = (r: SourceRecord): void => {
    const k = keyOf(r.system, r.type, r.id);
    let i = index.get(k);
    if (i === undefined) {
      i = nodes.length;
      index.set(k, i);
      nodes.push({ ref: { system: r.system, recordType: r.type, externalId: r.id }, deleted: r.deleted, xrefs: [], emails: new Set(), nameKey: null });
    }
    if (probabilistic) payloads[i] = r;
    // A record seen twice (a page boundary moved under a live scan) keeps everything it said.
    const node = nodes[i]!;
    node.deleted ||= r.deleted;
    node.nameKey ??= customerNameKey(r);
    for (const x of r.xrefs) node.xrefs.push({ system: x.system, id: x.id, field: x.field });
    for (const e of r.emails) {
      const key = emailKey(e);
      if (key !== null) node.emails.add(key);
    }
  };
  // The index keeps entries the live matcher writes after this moment over the scan's copies.
  const scanStartedAt = options.index ? await options.index.clock() : null;
  const checkpoints = options.checkpoints;
  const saved = new Map((checkpoints ? await checkpoints.load() : []).map((c) => [c.system, c]));
  const scanReports: SystemScanReport[] = options.connectors.map((c) => ({ system: c.system, read: 0, resumed: 0, pagesRetried: 0, complete: false, error: null, invalid: 0, invalidRecords: [] }));
  const onRetry = (event: ScanRetryEvent): void => {
    const r = scanReports.find((x) => x.system === event.system);
    if (r) r.pagesRetried++;
    progress.retries = (progress.retries ?? 0) + 1;
    options.onRetry?.(event);
    emit();
  };
  await Promise.all(
    options.connectors.map(async (connector, ci) => {
      const slot = progress.systems[ci]!;
      const rep = scanReports[ci]!;
      const checkpoint = saved.get(connector.system);
      try {
        if (checkpoint && checkpoints) {
          for await (const page of checkpoints.records(connector.system)) {
            for (const r of page) add(r);
            rep.resumed += page.length;
            slot.records += page.length;
            emit();
          }
        }
        if (!checkpoint?.done) {
          const scanOptions: ScanOptions = {
            ...options.scan,
            onRetry,
            pageSize: options.pageSize ?? MAX_SCAN_PAGE_SIZE[connector.system],
            ...(checkpoint?.resumeAfter ? { after: checkpoint.resumeAfter } : {}),
          };
          // Checkpoints are written every CHECKPOINT_RECORDS records, not every page: a stop
          // costs at most that many records read again, and a 100-record page (Stripe's and
          // Zendesk's maximum) does not cost a transaction each.
          let unsaved: SourceRecord[] = [];
          let resumeAfter: string | null = null;
          const save = async (): Promise<void> => {
            if (unsaved.length === 0 || !checkpoints) return;
            const records = unsaved;
            unsaved = [];
            await checkpoints.savePage(connector.system, records, resumeAfter);
          };
          try {
            // The next page is read while this one is taken in and checkpointed.
            for await (const page of prefetched(connector.scanAccounts(scanOptions))) {
              for (const r of page) {
                const slim = matchableRecord(r);
                add(slim);
                if (checkpoints) unsaved.push(slim);
              }
              resumeAfter = page.resumeAfter;
              rep.read += page.length;
              rep.invalid += page.invalid.length;
              for (const e of page.invalid) if (rep.invalidRecords.length < MAX_INVALID_LISTED) rep.invalidRecords.push(e.message);
              slot.records += page.length;
              emit();
              if (unsaved.length >= CHECKPOINT_RECORDS) await save();
            }
          } finally {
            // What was read before a failure is kept too: the next run resumes after it.
            await save();
          }
          await checkpoints?.markDone(connector.system);
        }
        rep.complete = true;
        slot.done = true;
        emit();
      } catch (e) {
        // The other systems go on; what this one read so far is linked, and its checkpoint
        // stays so the next run resumes it.
        rep.error = e instanceof Error ? e.message : String(e);
      }
    }),
  );
  const scanMs = now() - t0;
  const complete = scanReports.filter((r) => r.complete).map((r) => r.system);

  // ---- link: union-find over xrefs and exact emails ----
  const uf = new UnionFind(nodes.length);
  const evidence: Evidence[][] = nodes.map(() => []);
  const report: BackfillReport = {
    records: {},
    scans: scanReports,
    phases: { scan: 0, match: 0, write: 0, links: 0, index: 0 },
    deletedRecords: 0,
    clusters: 0,
    largestCluster: 0,
    customers: { created: 0, kept: 0, merged: 0, total: 0, keptApart: 0 },
    links: { written: 0, unchanged: 0, byRule: {} },
    xrefs: { followed: 0, toDeleted: 0, dangling: 0 },
    danglingXrefs: [],
    sharedEmails: 0,
    emailsNotTrusted: 0,
    matcher: null,
    indexed: 0,
    indexRemoved: 0,
    ms: 0,
  };
  for (const n of nodes) {
    report.records[n.ref.system] = (report.records[n.ref.system] ?? 0) + 1;
    if (n.deleted) report.deletedRecords++;
  }

  nodes.forEach((n, i) => {
    const seen = new Set<string>();
    for (const x of n.xrefs) {
      const target = index.get(keyOf(x.system, ACCOUNT_TYPE[x.system], x.id));
      if (target === i) continue;
      const once = `${x.field}\u0000${x.system}\u0000${x.id}`;
      if (seen.has(once)) continue;
      seen.add(once);
      if (target === undefined) {
        report.xrefs.dangling++;
        if (report.danglingXrefs.length < MAX_DANGLING_LISTED) report.danglingXrefs.push({ from: n.ref, field: x.field, to: { system: x.system, externalId: x.id } });
        continue;
      }
      report.xrefs.followed++;
      const t = nodes[target]!;
      if (t.deleted) report.xrefs.toDeleted++;
      uf.union(i, target);
      evidence[i]!.push({ rule: `xref:${x.field}`, names: t.ref });
      evidence[target]!.push({ rule: `xref:${x.field}`, namedBy: n.ref });
    }
  });

  const byEmail = new Map<string, number[]>();
  nodes.forEach((n, i) => {
    for (const e of n.emails) {
      const list = byEmail.get(e);
      if (list) list.push(i);
      else byEmail.set(e, [i]);
    }
  });
  for (const [email, unordered] of byEmail) {
    if (unordered.length < 2) continue;
    // An address joins the records that carry it when their company names are compatible; a
    // record named quite differently is left to the matcher (namesCompatible). Grouped in one
    // canonical order, so scan order does not change the outcome.
    const members = [...unordered].sort((x, y) => compareRefs(nodes[x]!.ref, nodes[y]!.ref));
    const joins = emailGroups(members.map((i) => nodes[i]!.nameKey));
    const groups = new Map<number, number[]>();
    joins.forEach((j, k) => groups.set(j, [...(groups.get(j) ?? []), members[k]!]));
    if ([...groups.values()].some((g) => g.length > 1)) report.sharedEmails++;
    if (groups.size > 1) report.emailsNotTrusted++;
    for (const group of groups.values()) {
      if (group.length < 2) continue;
      const refs = group.map((i) => nodes[i]!.ref);
      for (const i of group) {
        uf.union(group[0]!, i);
        const self = nodes[i]!.ref;
        evidence[i]!.push({ rule: 'email', email, sharedWith: refs.filter((r) => r !== self).slice(0, MAX_SHARED_WITH), records: group.length });
      }
    }
  }

  let savedModel: ReturnType<typeof savedModelOf> | null = null;
  // The records in the order the matcher saw them, and its feature table: the index entries are
  // read from it rather than normalizing every record a second time.
  let matched: { records: SourceRecord[]; table: FeatureTable } | null = null;
  if (probabilistic && payloads.length > 1) {
    const tm = now();
    // The matcher sees the records in one canonical order whatever order the scans delivered
    // them in, so the same records always give the same model, scores and explanations.
    const nodeOf = new Map<string, number>();
    payloads.forEach((r, i) => nodeOf.set(`${r.system}:${r.id}`, i));
    const sorted = [...payloads].sort((a, b) => compareRefs({ system: a.system, recordType: a.type, externalId: a.id }, { system: b.system, recordType: b.type, externalId: b.id }));
    const m = matchCustomerRecords(sorted, { deterministic: true });
    savedModel = savedModelOf(customersMatcherConfig(), m.match, new Date());
    matched = { records: sorted, table: m.match.table };
    const explain = pairExplainer(m.match);
    const inputIndex = new Map(m.ids.map((k, i) => [k, i]));
    // Customers that exist already are merged only by exact keys or by a person: a model
    // re-estimated on new data must not quietly join two established customers. Probabilistic
    // links attach records to at most one existing customer; the rest become review items.
    const existing = await options.store.goldenIdsFor(nodes.map((n) => ({ system: n.ref.system, externalId: n.ref.externalId, recordType: n.ref.recordType })));
    const holder = new Map<number, string>();
    nodes.forEach((_, i) => {
      const g = existing[i];
      if (!g) return;
      const root = uf.find(i);
      if (!holder.has(root)) holder.set(root, g);
    });
    const reviewPairs: PossibleDuplicate[] = [];
    let links = 0;
    for (const p of m.pairs) {
      if (p.rule !== 'probabilistic' && p.rule !== 'uniqueName') continue;
      const i = nodeOf.get(p.a);
      const j = nodeOf.get(p.b);
      if (i === undefined || j === undefined) continue;
      // Which level each field fell in is a fact of the two records; the weights are the model's
      // and move whenever it is re-estimated on new data (about a bit per field when one record
      // is added). A link keeps the facts and its probability to two decimals, so a re-run
      // rewrites a link only when something real changed; a review item keeps the full weights
      // of the moment it was raised.
      const full = explain(inputIndex.get(p.a)!, inputIndex.get(p.b)!);
      const levels = full?.map((l) => ({ field: l.field, level: l.level })) ?? null;
      const probability = p.probability === null ? null : Math.round(p.probability * 100) / 100;
      const ri = uf.find(i);
      const rj = uf.find(j);
      if (ri === rj) continue;
      const gi = holder.get(ri);
      const gj = holder.get(rj);
      if (p.decision === 'link' && !(gi && gj && gi !== gj)) {
        links++;
        uf.union(i, j);
        const g = gi ?? gj;
        if (g) holder.set(uf.find(i), g);
        const rule = p.rule === 'uniqueName' ? 'unique-name' : 'probabilistic';
        evidence[i]!.push({ rule, with: nodes[j]!.ref, probability, levels });
        evidence[j]!.push({ rule, with: nodes[i]!.ref, probability, levels });
      } else {
        reviewPairs.push({ records: [nodes[i]!.ref, nodes[j]!.ref].sort(compareRefs) as [RecordRef, RecordRef], probability: p.probability, weight: p.weight, levels: full });
      }
    }
    // A review pair whose records ended up together anyway needs no person.
    const open = reviewPairs.filter((r) => uf.find(index.get(keyOf(r.records[0].system, r.records[0].recordType, r.records[0].externalId))!) !== uf.find(index.get(keyOf(r.records[1].system, r.records[1].recordType, r.records[1].externalId))!));
    const created = options.reviews && open.length > 0 ? await options.reviews.addPossibleDuplicates(open, options.actor ?? 'backfill') : 0;
    report.matcher = { links, reviewPairs: open.length, reviewItemsCreated: created, ms: Math.round(now() - tm) };
    options.releaseMemory?.();
  }

  // Clusters in a fixed order (by their smallest record key), so two runs write the same batches.
  const groups = new Map<number, number[]>();
  nodes.forEach((_, i) => {
    const root = uf.find(i);
    const g = groups.get(root);
    if (g) g.push(i);
    else groups.set(root, [i]);
  });
  const clusters: LinkCluster[] = [...groups.values()]
    .map((members) => members.map((i) => proposedLink(nodes[i]!, evidence[i]!)).sort(compareRefs))
    .sort((a, b) => compareRefs(a[0]!, b[0]!))
    .map((links) => ({ links }));
  report.clusters = clusters.length;
  for (const c of clusters) {
    report.largestCluster = Math.max(report.largestCluster, c.links.length);
    for (const l of c.links) report.links.byRule[l.rule] = (report.links.byRule[l.rule] ?? 0) + 1;
  }
  // What the clusters were made from is not needed any more: a large run lets it go before writing.
  evidence.length = 0;
  byEmail.clear();
  index.clear();
  groups.clear();
  nodes.length = 0;
  options.releaseMemory?.();

  // ---- write, one transaction per batch ----
  const writeStartedAt = now();
  progress.phase = 'link';
  progress.clusters.total = clusters.length;
  emit();
  const batchSize = options.batchSize ?? 1000;
  const actor = options.actor ?? 'backfill';
  let batch: LinkCluster[] = [];
  let batchLinks = 0;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const r = await options.store.applyLinks(batch, { actor });
    report.customers.created += r.created;
    report.customers.kept += r.kept;
    report.customers.merged += r.merged;
    report.customers.keptApart += r.refused.length;
    report.links.written += r.linksWritten;
    report.links.unchanged += r.linksUnchanged;
    progress.clusters.done += batch.length;
    progress.linksWritten = report.links.written;
    batch = [];
    batchLinks = 0;
    emit();
  };
  // Each cluster is let go once it is in a batch: written clusters do not stay in memory.
  const pending: (LinkCluster | null)[] = clusters;
  for (let k = 0; k < pending.length; k++) {
    const c = pending[k]!;
    pending[k] = null;
    if (batchLinks > 0 && batchLinks + c.links.length > batchSize) await flush();
    batch.push(c);
    batchLinks += c.links.length;
  }
  await flush();
  // Items about customers this run joined (or a person kept apart) ask nothing any more.
  if (options.reviews) await options.reviews.closeSettled(null, actor, 'backfill');
  const indexStartedAt = now();
  options.releaseMemory?.();

  if (options.index && probabilistic) {
    const config = customersMatcherConfig();
    const index = options.index;
    if (savedModel !== null) await index.saveModel('customers', savedModel);
    // Built a slice at a time as the index is written, not all at once (memory).
    const present: (SourceRecord | null)[] = matched?.records ?? payloads.filter((r) => r !== undefined);
    const table = matched?.table ?? null;
    // Each record is let go once its entry is built (the index asks for each slice once, in order).
    payloads.length = 0;
    let built = 0;
    const entries: EntrySource = {
      length: present.length,
      slice: (start = 0, end = present.length) => {
        const out: MatchIndexEntry[] = [];
        for (let k = start; k < Math.min(end, present.length); k++) {
          out.push(customerIndexEntry(config, present[k]!, table ? indexEntryFromTable(config, table, k) : undefined));
          present[k] = null;
          // Writing the index makes garbage at the rate it writes; collected every so many records.
          if (++built % RELEASE_EVERY === 0) options.releaseMemory?.();
        }
        return out;
      },
    };
    // Under the identity lock: the live matcher reads and writes the index under it too. Only
    // systems read completely may lose entries their scan did not return.
    const scan = { startedAt: scanStartedAt!, systems: complete };
    const r = await options.store.withLock((tx) => index.replaceIn(tx.client, entries, scan));
    report.indexed = r.written;
    report.indexRemoved = r.removed;
  }

  // Progress of the systems linked completely is no longer needed; the others resume next time.
  await checkpoints?.clear(complete);
  report.customers.total = await options.store.count();
  const end = now();
  report.phases = {
    scan: round1(scanMs / 1000),
    match: round1((writeStartedAt - t0 - scanMs) / 1000),
    write: round1((end - writeStartedAt) / 1000),
    links: round1((indexStartedAt - writeStartedAt) / 1000),
    index: round1((end - indexStartedAt) / 1000),
  };
  report.ms = Math.round(end - t0);
  progress.phase = 'done';
  emit();
  return report;
}

const round1 = (x: number): number => Math.round(x * 10) / 10;

/** Records in one canonical order: system, record type, id. */
export function compareRefs(a: RecordRef, b: RecordRef): number {
  return a.system < b.system ? -1 : a.system > b.system ? 1 : a.recordType < b.recordType ? -1 : a.recordType > b.recordType ? 1 : a.externalId < b.externalId ? -1 : a.externalId > b.externalId ? 1 : 0;
}

/** Strongest evidence first: what the record itself names, who names it, a shared email, then the matcher's scores. */
function evidenceRank(e: Evidence): number {
  return 'names' in e ? 0 : 'namedBy' in e ? 1 : 'email' in e ? 2 : 3;
}

function evidenceOther(e: Evidence): RecordRef | null {
  return 'names' in e ? e.names : 'namedBy' in e ? e.namedBy : 'with' in e ? e.with : null;
}

function proposedLink(node: Node, found: Evidence[]): ProposedLink & RecordRef {
  const sorted = [...found].sort((a, b) => {
    const r = evidenceRank(a) - evidenceRank(b);
    if (r !== 0) return r;
    if (a.rule !== b.rule) return a.rule < b.rule ? -1 : 1;
    if ('with' in a && 'with' in b && a.probability !== b.probability) return (b.probability ?? 1) - (a.probability ?? 1);
    const oa = evidenceOther(a);
    const ob = evidenceOther(b);
    if (oa && ob) return compareRefs(oa, ob);
    const ea = 'email' in a ? a.email : '';
    const eb = 'email' in b ? b.email : '';
    return ea < eb ? -1 : ea > eb ? 1 : 0;
  });
  const first = sorted[0];
  const explanation: Record<string, unknown> = { evidence: sorted.slice(0, MAX_EVIDENCE) };
  if (sorted.length > MAX_EVIDENCE) explanation['more'] = sorted.length - MAX_EVIDENCE;
  if (node.deleted) explanation['deleted'] = true;
  return {
    ...node.ref,
    // Exact keys: a record that names another, or the same mailbox, is the same customer; a
    // record joined only by the matcher carries the match probability of its strongest pair.
    confidence: first && 'with' in first ? Math.max(...sorted.map((e) => ('with' in e ? (e.probability ?? 1) : 1))) : 1,
    rule: first ? first.rule : 'singleton',
    explanation,
  };
}

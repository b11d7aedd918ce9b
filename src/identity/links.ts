// The identity graph in Postgres: which source record belongs to which golden customer.
//
// Invariants every writer keeps (this file, and the matcher of #4):
// - a golden id is never renamed or reused; a merge retires the losing id into the survivor
//   (`retired_into`), re-points ids already retired into the loser, and moves the loser's links,
//   all in one transaction, so links always point at live ids and a redirect is one hop;
// - writers take the identity advisory lock first, so two backfills (or a backfill and the
//   live matcher) never decide on the same records from stale reads.
// Reads still walk `retired_into` to the end, so an old id resolves even if a writer broke
// the one-hop rule.
import type pg from 'pg';
import type { Store } from '../store/index.ts';
import { cursorCodec, type KeysetPage } from '../store/page.ts';
import { advisoryLockKey } from '../store/sql.ts';
import { ACCOUNT_TYPE } from '../sources/types.ts';
import type { SystemId } from '../domain/records.ts';
import { IdentityConflictError, IdentityInputError, type KeptApart } from './errors.ts';
import { goldenIdSource, isGoldenId, type GoldenIdSource } from './golden-id.ts';

/** A source record as the identity graph names it. `recordType` defaults to the system's account type. */
export interface SourceKey {
  system: SystemId;
  externalId: string;
  recordType?: string;
}

export type LinkOrigin = 'auto' | 'manual';

export interface IdentityLink {
  system: SystemId;
  recordType: string;
  externalId: string;
  goldenId: string;
  /** 0..1; deterministic rules give 1. */
  confidence: number;
  /** 'xref:<field>', 'email', 'singleton' (backfill); #4 adds scored and manual rules. */
  rule: string;
  explanation: Record<string, unknown>;
  origin: LinkOrigin;
  linkedAt: string;
  updatedAt: string;
}

export interface GoldenCustomerRow {
  id: string;
  createdAt: string;
  updatedAt: string;
}

export type GoldenCustomerPage = KeysetPage<GoldenCustomerRow>;

export interface ListOptions {
  /** 0..MAX_PAGE_SIZE (0: only totalCount and whether there are any). */
  first: number;
  /** endCursor of the previous page. */
  after?: string | null;
  /** Only customers with at least one record in this system. */
  system?: SystemId;
}

export interface AccountLinkPage {
  customers: { goldenId: string; refs: { system: SystemId; externalId: string }[] }[];
  next: string | null;
}

/** A link the matcher proposes; `applyLinks` decides the golden id. */
export interface ProposedLink {
  system: SystemId;
  recordType: string;
  externalId: string;
  confidence: number;
  rule: string;
  explanation: Record<string, unknown>;
}

/** Records that are one customer. Clusters in one `applyLinks` call must not share a record. */
export interface LinkCluster {
  links: readonly ProposedLink[];
}

export interface ApplyLinksResult {
  /** The golden id each cluster ended with, in cluster order. */
  goldenIds: string[];
  /** New golden ids issued (clusters with no linked record). */
  created: number;
  /** Clusters that kept an existing golden id. */
  kept: number;
  /** Golden ids retired into an older one because a cluster joined them. */
  merged: number;
  /** Those retired ids (their cached records are stale). */
  retired: string[];
  /**
   * Joins refused because a person said records of the two customers are different
   * (identity_cannot_link): [kept id, the other customer's id]. Those customers stay apart and
   * their records stay where they were; the cluster's other records join the first.
   */
  refused: [string, string][];
  /** Link rows inserted or changed. */
  linksWritten: number;
  /** Link rows that already said exactly this (or are manual and left alone). */
  linksUnchanged: number;
}

export interface IdentityStore {
  /** Links of each golden id (a retired id gives its survivor's), one array per key, in key order. */
  linksFor(goldenIds: readonly string[]): Promise<IdentityLink[][]>;
  /** The live golden id of each source record, or null when it is not linked; in key order. */
  goldenIdsFor(refs: readonly SourceKey[]): Promise<(string | null)[]>;
  /** The surviving id of a golden id (itself when live), or null when no such id was issued. */
  resolve(goldenId: string): Promise<string | null>;
  /** `resolve` for many ids, in key order. */
  resolveMany(goldenIds: readonly string[]): Promise<(string | null)[]>;
  /** Live golden customers in id (creation) order, keyset-paginated. */
  list(options: ListOptions): Promise<GoldenCustomerPage>;
  /**
   * Up to `limit` live golden customers after `after` (null: from the first), in id order, each
   * with the account records it is linked to; `next` is the `after` of the following page, null
   * after the last. What the gateway's link memo is filled from (gateway/link-memo.ts).
   */
  accountLinkPage(after: string | null, limit: number): Promise<AccountLinkPage>;
  /** Live golden customers. */
  count(): Promise<number>;
  /** Writes clusters of links in one transaction; never renames, merges into the oldest id. */
  applyLinks(clusters: readonly LinkCluster[], options: { actor: string }): Promise<ApplyLinksResult>;
  /**
   * A person says these customers are one: the oldest survives, the others retire into it
   * (their ids redirect), every link moves to the survivor. Audited as 'merged' events.
   * Customers a person kept apart (a cannot-link pair between their records) are refused with
   * IdentityConflictError naming the decisions, unless `override` gives a reason: then the
   * cannot-link pairs between them are removed and the events record them whole.
   */
  mergeCustomers(ids: readonly string[], options: MergeOptions): Promise<MergeResult>;
  /**
   * A person says this record is not this customer: it moves to a new customer, its link
   * becomes manual (automatic linking will not move it back), and it is recorded as
   * cannot-link with each record it leaves. Audited as a 'split' event.
   */
  splitCustomer(id: string, record: SourceKey, options: { actor: string }): Promise<{ from: string; to: string }>;
  /**
   * Runs `fn` in one transaction that holds the identity lock, for a writer that decides from
   * what it reads (the live matcher): nothing another writer does can come between its reads and
   * its writes. `fn` must use only what it is given (on PGlite the pool waits for this transaction).
   */
  withLock<T>(fn: (tx: IdentityTransaction) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` in one READ ONLY transaction without the identity lock: a consistent snapshot for a
   * reader that decides nothing (the live matcher's dry run for a query). The database refuses
   * any write inside it, so a query path cannot write by mistake.
   */
  read<T>(fn: (tx: IdentityReader) => Promise<T>): Promise<T>;
}

/** The identity graph inside one transaction, for reading (see IdentityStore.read). */
export interface IdentityReader {
  /** The transaction's connection, for the caller's own tables in the same transaction. */
  readonly client: pg.PoolClient;
  /** The links of these records (null when unlinked), golden ids live; in key order. */
  linksOf(refs: readonly SourceKey[]): Promise<(IdentityLink | null)[]>;
  /** How many records each live golden id has, in key order. */
  linkCounts(goldenIds: readonly string[]): Promise<number[]>;
  /** Records a person said are not this record (cannot-link pairs), as `system\u0000type\u0000id` keys. */
  cannotLinkWith(ref: SourceKey): Promise<Set<string>>;
}

/** The identity graph inside one locked transaction (see IdentityStore.withLock). */
export interface IdentityTransaction extends IdentityReader {
  applyLinks(clusters: readonly LinkCluster[], options: { actor: string }): Promise<ApplyLinksResult>;
  mergeCustomers(ids: readonly string[], options: MergeOptions): Promise<MergeResult>;
}

export interface MergeOptions {
  actor: string;
  /** A person merges customers another person (or they) kept apart, and says why. */
  override?: { reason: string } | null;
}

export interface MergeResult {
  survivor: string;
  retired: string[];
  /** The kept-apart decisions an override set aside (empty without one). */
  overrode: KeptApart[];
}

export const MAX_PAGE_SIZE = 500;
/** How far a read follows retired_into; a chain longer than this is a bug, not data. */
const MAX_REDIRECTS = 64;

export interface IdentityStoreOptions {
  ids?: GoldenIdSource;
}

export function createIdentityStore(store: Store, options: IdentityStoreOptions = {}): IdentityStore {
  return new PgIdentityStore(store, options.ids ?? goldenIdSource());
}

interface LinkRow {
  system: string;
  record_type: string;
  external_id: string;
  golden_id: string;
  confidence: number;
  rule: string;
  explanation: Record<string, unknown>;
  origin: string;
  /** ISO text (LINK_COLUMNS), as IdentityLink carries it. */
  linked_at: string;
  updated_at: string;
}

/**
 * A link's columns (table alias `l`), its times written by Postgres as the text JavaScript's
 * toISOString() gives (UTC, milliseconds, truncated as a Date truncates microseconds): not parsed
 * into a Date to be formatted again, on a cache miss's first round trip.
 */
const ISO_MS = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;
const LINK_COLUMNS = `l.system, l.record_type, l.external_id, l.golden_id, l.confidence, l.rule, l.explanation, l.origin, to_char(l.linked_at AT TIME ZONE 'UTC', ${ISO_MS}) AS linked_at, to_char(l.updated_at AT TIME ZONE 'UTC', ${ISO_MS}) AS updated_at`;

const keyOf = (system: string, recordType: string, externalId: string): string => `${system}\u0000${recordType}\u0000${externalId}`;
/** A record's key as cannotLinkWith returns it. */
export const recordKeyOf = (ref: SourceKey): string => keyOf(ref.system, ref.recordType ?? ACCOUNT_TYPE[ref.system], ref.externalId);

const cursors = cursorCodec('gc', isGoldenId);

function decodeCursor(cursor: string): string {
  const id = cursors.decode(cursor);
  if (id === null) throw new IdentityInputError('after', `not a cursor from this list: ${JSON.stringify(cursor.slice(0, 80))}`);
  return id;
}

class PgIdentityStore implements IdentityStore {
  private readonly golden: string;
  private readonly links: string;
  private readonly events: string;
  private readonly cannotLink: string;
  private readonly lockKey: string;

  private readonly store: Store;
  private readonly ids: GoldenIdSource;

  constructor(store: Store, ids: GoldenIdSource) {
    this.store = store;
    this.ids = ids;
    this.golden = store.table('golden_customers');
    this.links = store.table('identity_links');
    this.events = store.table('identity_events');
    this.cannotLink = store.table('identity_cannot_link');
    this.lockKey = advisoryLockKey(`meridian:identity:${store.schema}`);
  }

  /**
   * `walk (start, id, retired_into, depth)`: each id of the text[] parameter $1 and every id it
   * was retired into, up to $2 steps; a row with `retired_into IS NULL` is its survivor.
   */
  private get walk(): string {
    return `WITH RECURSIVE walk (start, id, retired_into, depth) AS (
         SELECT g.id, g.id, g.retired_into, 0 FROM ${this.golden} g WHERE g.id = ANY($1::text[])
         UNION ALL
         SELECT w.start, g.id, g.retired_into, w.depth + 1
           FROM walk w JOIN ${this.golden} g ON g.id = w.retired_into
          WHERE w.depth < $2
       )`;
  }

  /** `start → live id` for every given id that exists, following retired_into. */
  private async survivors(db: pg.Pool | pg.PoolClient, ids: readonly string[]): Promise<Map<string, string>> {
    const wanted = [...new Set(ids.filter(isGoldenId))];
    const out = new Map<string, string>();
    if (wanted.length === 0) return out;
    const r = await db.query<{ start: string; id: string }>(`${this.walk}
       SELECT start, id FROM walk WHERE retired_into IS NULL`, [wanted, MAX_REDIRECTS]);
    for (const row of r.rows) out.set(row.start, row.id);
    return out;
  }

  async resolveMany(goldenIds: readonly string[]): Promise<(string | null)[]> {
    const map = await this.survivors(this.store.pool, goldenIds);
    return goldenIds.map((id) => map.get(id) ?? null);
  }

  async resolve(goldenId: string): Promise<string | null> {
    const [one] = await this.resolveMany([goldenId]);
    return one ?? null;
  }

  async goldenIdsFor(refs: readonly SourceKey[]): Promise<(string | null)[]> {
    if (refs.length === 0) return [];
    const systems: string[] = [];
    const types: string[] = [];
    const externalIds: string[] = [];
    for (const ref of refs) {
      systems.push(ref.system);
      types.push(ref.recordType ?? ACCOUNT_TYPE[ref.system]);
      externalIds.push(ref.externalId);
    }
    const r = await this.store.query<{ system: string; record_type: string; external_id: string; golden_id: string }>(
      `SELECT l.system, l.record_type, l.external_id, l.golden_id
         FROM unnest($1::text[], $2::text[], $3::text[]) AS k (system, record_type, external_id)
         JOIN ${this.links} l USING (system, record_type, external_id)`,
      [systems, types, externalIds],
    );
    const linked = new Map(r.rows.map((row) => [keyOf(row.system, row.record_type, row.external_id), row.golden_id]));
    const live = await this.survivors(this.store.pool, [...linked.values()]);
    return refs.map((_, i) => {
      const g = linked.get(keyOf(systems[i]!, types[i]!, externalIds[i]!));
      return g === undefined ? null : (live.get(g) ?? null);
    });
  }

  async linksFor(goldenIds: readonly string[]): Promise<IdentityLink[][]> {
    if (goldenIds.length === 0) return [];
    const wanted = [...new Set(goldenIds.filter(isGoldenId))];
    if (wanted.length === 0) return goldenIds.map(() => []);
    const byStart = new Map<string, IdentityLink[]>();
    const add = (rows: readonly (LinkRow & { start: string })[]): void => {
      for (const row of rows) {
        let list = byStart.get(row.start);
        if (!list) byStart.set(row.start, (list = []));
        list.push(toLink(row));
      }
    };
    // The usual id is live: its links in one prepared statement without the walk (this is a
    // cache miss's first round trip, and planning the recursive walk is most of its time). A
    // retired id comes back as its row alone, with no links, and is walked below.
    const r = await this.store.prepared<Partial<LinkRow> & { start: string; retired_into: string | null }>(
      `SELECT g.id AS start, g.retired_into, ${LINK_COLUMNS}
         FROM ${this.golden} g LEFT JOIN ${this.links} l ON l.golden_id = g.id AND g.retired_into IS NULL
        WHERE g.id = ANY($1::text[])
        ORDER BY g.id, l.system, l.record_type, l.external_id`,
      [wanted],
    );
    const retired: string[] = [];
    for (const row of r.rows) if (row.retired_into !== null) retired.push(row.start);
    add(r.rows.filter((row): row is LinkRow & { start: string; retired_into: null } => row.retired_into === null && row.system != null));
    if (retired.length > 0) {
      // One statement (one round trip, one snapshot): each retired id walked to its survivor,
      // as survivors() does, and the survivor's links read with it.
      const walked = await this.store.query<LinkRow & { start: string }>(
        `${this.walk}
         SELECT w.start, ${LINK_COLUMNS}
           FROM walk w JOIN ${this.links} l ON l.golden_id = w.id
          WHERE w.retired_into IS NULL
          ORDER BY w.start, l.system, l.record_type, l.external_id`,
        [retired, MAX_REDIRECTS],
      );
      add(walked.rows);
    }
    // A fresh array per key: callers may mutate what they get.
    return goldenIds.map((id) => [...(byStart.get(id) ?? [])]);
  }

  async list(options: ListOptions): Promise<GoldenCustomerPage> {
    const { first } = options;
    if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE) {
      throw new IdentityInputError('first', `must be a whole number from 0 to ${MAX_PAGE_SIZE}, got ${String(first)}`);
    }
    const after = options.after === undefined || options.after === null ? null : decodeCursor(options.after);
    const values: unknown[] = [];
    const where = ['g.retired_into IS NULL'];
    if (options.system !== undefined) {
      values.push(options.system);
      where.push(`EXISTS (SELECT 1 FROM ${this.links} l WHERE l.golden_id = g.id AND l.system = $${values.length})`);
    }
    const countWhere = where.join(' AND ');
    const countValues = [...values];
    if (after !== null) {
      values.push(after);
      where.push(`g.id > $${values.length}`);
    }
    values.push(first + 1);
    const [page, total] = await Promise.all([
      this.store.query<{ id: string; created_at: Date; updated_at: Date }>(
        `SELECT g.id, g.created_at, g.updated_at FROM ${this.golden} g WHERE ${where.join(' AND ')} ORDER BY g.id LIMIT $${values.length}`,
        values,
      ),
      this.store.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.golden} g WHERE ${countWhere}`, countValues),
    ]);
    const rows = page.rows.slice(0, first);
    const edges = rows.map((row) => ({
      cursor: cursors.encode(row.id),
      node: { id: row.id, createdAt: row.created_at.toISOString(), updatedAt: row.updated_at.toISOString() },
    }));
    return {
      edges,
      pageInfo: { hasNextPage: page.rows.length > first, endCursor: edges.at(-1)?.cursor ?? null },
      totalCount: Number(total.rows[0]?.n ?? 0),
    };
  }

  async accountLinkPage(after: string | null, limit: number): Promise<AccountLinkPage> {
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new IdentityInputError('limit', `must be a whole number from 1 to 10000, got ${String(limit)}`);
    // Two statements, the ids then their links by the golden_id index: joined in one, the planner
    // scans every link for each page once the table is large (100,000 customers: 56 ms a page).
    const page = await this.store.query<{ id: string }>(
      `SELECT id FROM ${this.golden} WHERE retired_into IS NULL AND id > $1 ORDER BY id LIMIT $2`,
      [after ?? '', limit], // '' sorts before every id: the first page
    );
    const customers: AccountLinkPage['customers'] = page.rows.map((row) => ({ goldenId: row.id, refs: [] }));
    if (customers.length === 0) return { customers, next: null };
    const byId = new Map(customers.map((c) => [c.goldenId, c]));
    const r = await this.store.query<{ golden_id: string; system: SystemId; record_type: string; external_id: string }>(
      `SELECT golden_id, system, record_type, external_id FROM ${this.links} WHERE golden_id = ANY($1::text[])`,
      [[...byId.keys()]],
    );
    for (const row of r.rows) {
      if (row.record_type === ACCOUNT_TYPE[row.system]) byId.get(row.golden_id)?.refs.push({ system: row.system, externalId: row.external_id });
    }
    return { customers, next: customers.length === limit ? customers.at(-1)!.goldenId : null };
  }

  async count(): Promise<number> {
    const r = await this.store.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.golden} WHERE retired_into IS NULL`);
    return Number(r.rows[0]?.n ?? 0);
  }

  async withLock<T>(fn: (tx: IdentityTransaction) => Promise<T>): Promise<T> {
    return this.store.transaction(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1::bigint)', [this.lockKey]);
      return fn({
        ...this.readerOf(c),
        applyLinks: (clusters, options) => {
          validateClusters(clusters);
          return this.applyLinksIn(c, clusters, options);
        },
        mergeCustomers: (ids, options) => this.mergeCustomersIn(c, ids, options),
      });
    });
  }

  async read<T>(fn: (tx: IdentityReader) => Promise<T>): Promise<T> {
    return this.store.transaction(async (c) => {
      await c.query('SET TRANSACTION READ ONLY');
      return fn(this.readerOf(c));
    });
  }

  private readerOf(c: pg.PoolClient): IdentityReader {
    return {
      client: c,
      linksOf: (refs) => this.linksOfIn(c, refs),
      linkCounts: async (ids) => {
        if (ids.length === 0) return [];
        const r = await c.query<{ golden_id: string; n: string }>(`SELECT golden_id, count(*) AS n FROM ${this.links} WHERE golden_id = ANY($1::text[]) GROUP BY golden_id`, [[...new Set(ids)]]);
        const n = new Map(r.rows.map((row) => [row.golden_id, Number(row.n)]));
        return ids.map((id) => n.get(id) ?? 0);
      },
      cannotLinkWith: async (ref) => {
        const type = ref.recordType ?? ACCOUNT_TYPE[ref.system];
        const r = await c.query<{ system: string; record_type: string; external_id: string }>(
          `SELECT b_system AS system, b_record_type AS record_type, b_external_id AS external_id FROM ${this.cannotLink}
            WHERE a_system = $1 AND a_record_type = $2 AND a_external_id = $3
           UNION
           SELECT a_system, a_record_type, a_external_id FROM ${this.cannotLink}
            WHERE b_system = $1 AND b_record_type = $2 AND b_external_id = $3`,
          [ref.system, type, ref.externalId],
        );
        return new Set(r.rows.map((row) => keyOf(row.system, row.record_type, row.external_id)));
      },
    };
  }

  private async linksOfIn(c: pg.PoolClient, refs: readonly SourceKey[]): Promise<(IdentityLink | null)[]> {
    if (refs.length === 0) return [];
    const types = refs.map((ref) => ref.recordType ?? ACCOUNT_TYPE[ref.system]);
    const r = await c.query<LinkRow>(
      `SELECT ${LINK_COLUMNS}
         FROM unnest($1::text[], $2::text[], $3::text[]) AS k (system, record_type, external_id)
         JOIN ${this.links} l USING (system, record_type, external_id)`,
      [refs.map((x) => x.system), types, refs.map((x) => x.externalId)],
    );
    const live = await this.survivors(c, r.rows.map((row) => row.golden_id));
    const byKey = new Map(r.rows.map((row) => [keyOf(row.system, row.record_type, row.external_id), toLink({ ...row, golden_id: live.get(row.golden_id) ?? row.golden_id })]));
    return refs.map((ref, i) => byKey.get(keyOf(ref.system, types[i]!, ref.externalId)) ?? null);
  }

  async applyLinks(clusters: readonly LinkCluster[], options: { actor: string }): Promise<ApplyLinksResult> {
    validateClusters(clusters);
    if (clusters.length === 0) return { goldenIds: [], created: 0, kept: 0, merged: 0, retired: [], refused: [], linksWritten: 0, linksUnchanged: 0 };
    return this.store.transaction(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1::bigint)', [this.lockKey]);
      return this.applyLinksIn(c, clusters, options);
    });
  }

  /** applyLinks inside a transaction that already holds the identity lock. */
  private async applyLinksIn(c: pg.PoolClient, clusters: readonly LinkCluster[], options: { actor: string }): Promise<ApplyLinksResult> {
    const result: ApplyLinksResult = { goldenIds: [], created: 0, kept: 0, merged: 0, retired: [], refused: [], linksWritten: 0, linksUnchanged: 0 };
    if (clusters.length === 0) return result;
    const all = clusters.flatMap((cl) => cl.links);
    {
      // What is linked already, and how old each of those customers is.
      const existing = await c.query<{ system: string; record_type: string; external_id: string; golden_id: string; origin: string }>(
        `SELECT l.system, l.record_type, l.external_id, l.golden_id, l.origin
           FROM unnest($1::text[], $2::text[], $3::text[]) AS k (system, record_type, external_id)
           JOIN ${this.links} l USING (system, record_type, external_id)`,
        [all.map((l) => l.system), all.map((l) => l.recordType), all.map((l) => l.externalId)],
      );
      const live = await this.survivors(c, existing.rows.map((r) => r.golden_id));
      const linkedTo = new Map<string, string>();
      const manual = new Set<string>();
      for (const row of existing.rows) {
        const k = keyOf(row.system, row.record_type, row.external_id);
        const g = live.get(row.golden_id);
        if (g !== undefined) linkedTo.set(k, g);
        if (row.origin === 'manual') manual.add(k);
      }
      const created = new Map<string, number>();
      if (live.size > 0) {
        const r = await c.query<{ id: string; created_at: Date }>(`SELECT id, created_at FROM ${this.golden} WHERE id = ANY($1::text[])`, [[...new Set(live.values())]]);
        for (const row of r.rows) created.set(row.id, row.created_at.getTime());
      }
      const older = (a: string, b: string): boolean => {
        const ta = created.get(a) ?? Infinity;
        const tb = created.get(b) ?? Infinity;
        return ta !== tb ? ta < tb : a < b;
      };

      // Customers a person kept apart: a cannot-link pair between their records.
      const apart = new Set<string>();
      {
        const joining = new Set<string>();
        for (const cluster of clusters) {
          const gs = new Set<string>();
          for (const l of cluster.links) {
            const k = keyOf(l.system, l.recordType, l.externalId);
            const g = linkedTo.get(k);
            if (g !== undefined && !manual.has(k)) gs.add(g);
          }
          if (gs.size > 1) for (const g of gs) joining.add(g);
        }
        if (joining.size > 1) {
          const r = await c.query<{ a: string; b: string }>(
            `SELECT la.golden_id AS a, lb.golden_id AS b FROM ${this.cannotLink} x
               JOIN ${this.links} la ON la.system = x.a_system AND la.record_type = x.a_record_type AND la.external_id = x.a_external_id
               JOIN ${this.links} lb ON lb.system = x.b_system AND lb.record_type = x.b_record_type AND lb.external_id = x.b_external_id
              WHERE la.golden_id = ANY($1::text[]) AND lb.golden_id = ANY($1::text[]) AND la.golden_id <> lb.golden_id`,
            [[...joining]],
          );
          for (const row of r.rows) {
            apart.add(`${row.a}\u0000${row.b}`);
            apart.add(`${row.b}\u0000${row.a}`);
          }
        }
      }
      // Which customers each survivor of this batch has absorbed, to test a join against all of them.
      const absorbed = new Map<string, Set<string>>();
      const membersOf = (g: string): Set<string> => absorbed.get(g) ?? new Set([g]);
      const kept = (x: string, y: string): boolean => {
        if (apart.size === 0) return false;
        for (const a of membersOf(x)) for (const b of membersOf(y)) if (apart.has(`${a}\u0000${b}`)) return true;
        return false;
      };
      // Records that stay with a customer whose join was refused.
      const stays = new Map<string, string>();

      // Decide in memory: merges within this batch are followed through `retiredInto`.
      const retiredInto = new Map<string, string>();
      const find = (id: string): string => {
        let cur = id;
        for (let next = retiredInto.get(cur); next !== undefined; next = retiredInto.get(cur)) cur = next;
        return cur;
      };
      const newIds: string[] = [];
      const clusterGolden: string[] = [];
      for (const cluster of clusters) {
        // A person's decision (a manual link, e.g. after a split) is never undone by automatic
        // evidence: manual links do not merge customers; they only host the cluster when no
        // automatically linked record does.
        const found = new Set<string>();
        const foundManual = new Set<string>();
        for (const l of cluster.links) {
          const k = keyOf(l.system, l.recordType, l.externalId);
          const g = linkedTo.get(k);
          if (g !== undefined) (manual.has(k) ? foundManual : found).add(find(g));
        }
        if (found.size === 0 && foundManual.size > 0) {
          let host: string | undefined;
          for (const g of foundManual) if (host === undefined || older(g, host)) host = g;
          clusterGolden.push(host!);
          result.kept++;
          continue;
        }
        if (found.size === 0) {
          const id = this.ids.next();
          newIds.push(id);
          clusterGolden.push(id);
          result.created++;
          continue;
        }
        const byAge = [...found].sort((a, b) => (older(a, b) ? -1 : older(b, a) ? 1 : 0));
        const survivor = byAge[0]!;
        for (const g of byAge.slice(1)) {
          if (kept(survivor, g)) {
            result.refused.push([survivor, g]);
            for (const l of cluster.links) {
              const k = keyOf(l.system, l.recordType, l.externalId);
              const at = linkedTo.get(k);
              if (at !== undefined && find(at) === g && !manual.has(k)) stays.set(k, g);
            }
            continue;
          }
          retiredInto.set(g, survivor);
          absorbed.set(survivor, new Set([...membersOf(survivor), ...membersOf(g)]));
        }
        clusterGolden.push(survivor);
        result.kept++;
      }
      result.goldenIds = clusterGolden.map(find);
      const losers = [...retiredInto.keys()];
      const finalSurvivor = losers.map(find);
      result.merged = losers.length;
      result.retired = losers;

      const events: EventRow[] = [];
      if (newIds.length > 0) {
        await c.query(`INSERT INTO ${this.golden} (id) SELECT unnest($1::text[])`, [newIds]);
        for (const id of newIds) events.push({ kind: 'customer_created', goldenId: id });
      }
      if (losers.length > 0) {
        // Ids already retired into a loser now point straight at the survivor (one hop).
        await c.query(
          `UPDATE ${this.golden} g SET retired_into = m.survivor, updated_at = now()
             FROM unnest($1::text[], $2::text[]) AS m (loser, survivor) WHERE g.retired_into = m.loser`,
          [losers, finalSurvivor],
        );
        await c.query(
          `UPDATE ${this.golden} g SET retired_into = m.survivor, retired_at = now(), updated_at = now()
             FROM unnest($1::text[], $2::text[]) AS m (loser, survivor) WHERE g.id = m.loser`,
          [losers, finalSurvivor],
        );
        const moved = await c.query<{ loser: string; n: string }>(
          `WITH m AS (SELECT * FROM unnest($1::text[], $2::text[]) AS m (loser, survivor)),
                upd AS (
                  UPDATE ${this.links} l SET golden_id = m.survivor, updated_at = now()
                    FROM m WHERE l.golden_id = m.loser
                  RETURNING m.loser
                )
           SELECT loser, count(*) AS n FROM upd GROUP BY loser`,
          [losers, finalSurvivor],
        );
        const movedBy = new Map(moved.rows.map((r) => [r.loser, Number(r.n)]));
        await c.query(`UPDATE ${this.golden} SET updated_at = now() WHERE id = ANY($1::text[])`, [[...new Set(finalSurvivor)]]);
        losers.forEach((loser, i) => {
          events.push({ kind: 'merged', goldenId: finalSurvivor[i]!, otherGoldenId: loser, detail: { movedLinks: movedBy.get(loser) ?? 0 } });
        });
      }

      const rows = clusters.flatMap((cluster, i) =>
        cluster.links.map((l) => {
          const stay = stays.get(keyOf(l.system, l.recordType, l.externalId));
          return { l, golden: stay === undefined ? result.goldenIds[i]! : find(stay) };
        }),
      );
      const written = await c.query<{ system: string; record_type: string; external_id: string }>(
        `INSERT INTO ${this.links} AS l (system, record_type, external_id, golden_id, confidence, rule, explanation)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::real[], $6::text[], $7::jsonb[])
         ON CONFLICT (system, record_type, external_id) DO UPDATE
            SET golden_id = EXCLUDED.golden_id, confidence = EXCLUDED.confidence, rule = EXCLUDED.rule,
                explanation = EXCLUDED.explanation, updated_at = now()
          WHERE l.origin = 'auto'
            AND (l.golden_id, l.confidence, l.rule, l.explanation) IS DISTINCT FROM
                (EXCLUDED.golden_id, EXCLUDED.confidence, EXCLUDED.rule, EXCLUDED.explanation)
         RETURNING l.system, l.record_type, l.external_id`,
        [
          rows.map((r) => r.l.system),
          rows.map((r) => r.l.recordType),
          rows.map((r) => r.l.externalId),
          rows.map((r) => r.golden),
          rows.map((r) => r.l.confidence),
          rows.map((r) => r.l.rule),
          rows.map((r) => JSON.stringify(r.l.explanation)),
        ],
      );
      result.linksWritten = written.rowCount ?? written.rows.length;
      result.linksUnchanged = rows.length - result.linksWritten;
      for (const { l, golden } of rows) {
        const k = keyOf(l.system, l.recordType, l.externalId);
        if (!linkedTo.has(k) && !manual.has(k)) {
          events.push({ kind: 'linked', goldenId: golden, system: l.system, recordType: l.recordType, externalId: l.externalId, rule: l.rule, confidence: l.confidence });
        }
      }
      await this.recordEvents(c, events, options.actor);
      return result;
    }
  }

  async mergeCustomers(ids: readonly string[], options: MergeOptions): Promise<MergeResult> {
    if (ids.length < 2) throw new IdentityInputError('ids', 'give at least two customer ids to merge');
    return this.store.transaction(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1::bigint)', [this.lockKey]);
      return this.mergeCustomersIn(c, ids, options);
    });
  }

  /**
   * The cannot-link pairs between records of two different customers among `customers`, with
   * the review item that decided each (a KEEP_SEPARATE writes the pair of its item's records).
   */
  private async keptApartIn(c: pg.PoolClient, customers: readonly string[]): Promise<KeptApart[]> {
    const r = await c.query<{
      a_system: string; a_record_type: string; a_external_id: string; b_system: string; b_record_type: string; b_external_id: string;
      a_golden: string; b_golden: string; reason: string; decided_by: string; created_at: Date; item: string | null;
    }>(
      `SELECT x.a_system, x.a_record_type, x.a_external_id, x.b_system, x.b_record_type, x.b_external_id,
              la.golden_id AS a_golden, lb.golden_id AS b_golden, x.reason, x.decided_by, x.created_at,
              (SELECT min(ri.id)::text FROM ${this.store.table('review_items')} ri
                WHERE x.reason = 'review:keep_separate' AND ri.decision->>'action' = 'KEEP_SEPARATE'
                  AND ri.subject_key IN (x.a_system || ':' || x.a_record_type || ':' || x.a_external_id || '|' || x.b_system || ':' || x.b_record_type || ':' || x.b_external_id,
                                         x.b_system || ':' || x.b_record_type || ':' || x.b_external_id || '|' || x.a_system || ':' || x.a_record_type || ':' || x.a_external_id)) AS item
         FROM ${this.cannotLink} x
         JOIN ${this.links} la ON la.system = x.a_system AND la.record_type = x.a_record_type AND la.external_id = x.a_external_id
         JOIN ${this.links} lb ON lb.system = x.b_system AND lb.record_type = x.b_record_type AND lb.external_id = x.b_external_id
        WHERE la.golden_id = ANY($1::text[]) AND lb.golden_id = ANY($1::text[]) AND la.golden_id <> lb.golden_id
        ORDER BY x.created_at, x.a_system, x.a_record_type, x.a_external_id, x.b_system, x.b_record_type, x.b_external_id`,
      [[...customers]],
    );
    return r.rows.map((row) => ({
      records: [
        { system: row.a_system, recordType: row.a_record_type, externalId: row.a_external_id },
        { system: row.b_system, recordType: row.b_record_type, externalId: row.b_external_id },
      ],
      customers: [row.a_golden, row.b_golden],
      reason: row.reason,
      decidedBy: row.decided_by,
      decidedAt: row.created_at.toISOString(),
      reviewItem: row.item,
    }));
  }

  /** mergeCustomers inside a transaction that already holds the identity lock. */
  private async mergeCustomersIn(c: pg.PoolClient, ids: readonly string[], options: MergeOptions): Promise<MergeResult> {
    if (ids.length < 2) throw new IdentityInputError('ids', 'give at least two customer ids to merge');
    const override = options.override ?? null;
    if (override !== null && override.reason.trim() === '') throw new IdentityInputError('reason', 'an override needs a reason (who asked for it and why)');
    const live = await this.survivors(c, ids);
    const unknown = ids.filter((id) => !live.has(id));
    if (unknown.length > 0) throw new IdentityInputError('ids', `no customer ${unknown.map((x) => JSON.stringify(x)).join(', ')}`);
    const distinct = [...new Set(ids.map((id) => live.get(id)!))];
    if (distinct.length < 2) throw new IdentityInputError('ids', 'these ids are already one customer');
    // A person's "these are different" holds until a person explicitly says otherwise.
    const kept = await this.keptApartIn(c, distinct);
    if (kept.length > 0 && override === null) throw new IdentityConflictError(kept);
    if (kept.length > 0) {
      // Overridden: the pairs go (the events below keep them whole), so a later split and
      // backfill do not resurrect a decision a person set aside.
      await c.query(
        `DELETE FROM ${this.cannotLink} x USING unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS k (s1, t1, e1, s2, t2, e2)
          WHERE (x.a_system, x.a_record_type, x.a_external_id, x.b_system, x.b_record_type, x.b_external_id) = (k.s1, k.t1, k.e1, k.s2, k.t2, k.e2)`,
        [
          kept.map((k) => k.records[0].system), kept.map((k) => k.records[0].recordType), kept.map((k) => k.records[0].externalId),
          kept.map((k) => k.records[1].system), kept.map((k) => k.records[1].recordType), kept.map((k) => k.records[1].externalId),
        ],
      );
    }
    const r = await c.query<{ id: string }>(`SELECT id FROM ${this.golden} WHERE id = ANY($1::text[]) ORDER BY created_at, id`, [distinct]);
    const [survivor, ...retired] = r.rows.map((x) => x.id) as [string, ...string[]];
    await c.query(`UPDATE ${this.golden} SET retired_into = $1, updated_at = now() WHERE retired_into = ANY($2::text[])`, [survivor, retired]);
    await c.query(`UPDATE ${this.golden} SET retired_into = $1, retired_at = now(), updated_at = now() WHERE id = ANY($2::text[])`, [survivor, retired]);
    const moved = await c.query<{ golden_id: string }>(
      `UPDATE ${this.links} l SET golden_id = $1, updated_at = now() FROM (SELECT system, record_type, external_id, golden_id AS old FROM ${this.links} WHERE golden_id = ANY($2::text[])) o
        WHERE l.system = o.system AND l.record_type = o.record_type AND l.external_id = o.external_id RETURNING o.old AS golden_id`,
      [survivor, retired],
    );
    await c.query(`UPDATE ${this.golden} SET updated_at = now() WHERE id = $1`, [survivor]);
    const movedBy = new Map<string, number>();
    for (const m of moved.rows) movedBy.set(m.golden_id, (movedBy.get(m.golden_id) ?? 0) + 1);
    await this.recordEvents(
      c,
      retired.map((loser) => {
        // Each event names the decisions that stood between the survivor's side and this loser.
        const mine = kept.filter((k) => k.customers.includes(loser));
        return {
          kind: 'merged' as const,
          goldenId: survivor,
          otherGoldenId: loser,
          detail: {
            movedLinks: movedBy.get(loser) ?? 0,
            decision: 'manual',
            ...(override !== null && kept.length > 0 ? { override: { reason: override.reason, overrode: mine.length > 0 ? mine : kept } } : {}),
          },
        };
      }),
      options.actor,
    );
    return { survivor, retired, overrode: kept };
  }

  async splitCustomer(id: string, record: SourceKey, options: { actor: string }): Promise<{ from: string; to: string }> {
    return this.store.transaction(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1::bigint)', [this.lockKey]);
      const from = (await this.survivors(c, [id])).get(id);
      if (!from) throw new IdentityInputError('id', `no customer ${JSON.stringify(id)}`);
      const own = await c.query<{ system: string; record_type: string; external_id: string }>(
        `SELECT system, record_type, external_id FROM ${this.links} WHERE golden_id = $1 ORDER BY system, record_type, external_id`,
        [from],
      );
      const target = own.rows.find(
        (l) => l.system === record.system && l.external_id === record.externalId && (record.recordType === undefined || l.record_type === record.recordType),
      );
      if (!target) throw new IdentityInputError('externalId', `${record.system} record ${JSON.stringify(record.externalId)} is not linked to customer ${from}`);
      if (own.rows.length === 1) throw new IdentityInputError('externalId', "it is the customer's only record; there is nothing to split it from");
      const to = this.ids.next();
      await c.query(`INSERT INTO ${this.golden} (id) VALUES ($1)`, [to]);
      await c.query(
        `UPDATE ${this.links} SET golden_id = $1, origin = 'manual', rule = 'manual:split', confidence = 1, updated_at = now()
          WHERE system = $2 AND record_type = $3 AND external_id = $4`,
        [to, target.system, target.record_type, target.external_id],
      );
      // Remember that the moved record is not any of the records it left.
      const rest = own.rows.filter((l) => l !== target);
      const pairs = rest.map((o) => {
        const a = [target.system, target.record_type, target.external_id];
        const b = [o.system, o.record_type, o.external_id];
        return a.join('\u0000') < b.join('\u0000') ? [a, b] : [b, a];
      });
      await c.query(
        `INSERT INTO ${this.cannotLink} (a_system, a_record_type, a_external_id, b_system, b_record_type, b_external_id, reason, decided_by)
         SELECT *, 'split', $7 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) ON CONFLICT DO NOTHING`,
        [pairs.map((p) => p[0]![0]), pairs.map((p) => p[0]![1]), pairs.map((p) => p[0]![2]), pairs.map((p) => p[1]![0]), pairs.map((p) => p[1]![1]), pairs.map((p) => p[1]![2]), options.actor],
      );
      await this.recordEvents(
        c,
        [
          { kind: 'customer_created', goldenId: to },
          { kind: 'split', goldenId: to, otherGoldenId: from, system: target.system, recordType: target.record_type, externalId: target.external_id, rule: 'manual:split', confidence: 1 },
        ],
        options.actor,
      );
      return { from, to };
    });
  }

  private async recordEvents(c: pg.PoolClient, events: readonly EventRow[], actor: string): Promise<void> {
    if (events.length === 0) return;
    await c.query(
      `INSERT INTO ${this.events} (kind, golden_id, other_golden_id, system, record_type, external_id, rule, confidence, detail, actor)
       SELECT k.kind, k.golden_id, k.other_golden_id, k.system, k.record_type, k.external_id, k.rule, k.confidence, k.detail, $10
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::real[], $9::jsonb[])
              AS k (kind, golden_id, other_golden_id, system, record_type, external_id, rule, confidence, detail)`,
      [
        events.map((e) => e.kind),
        events.map((e) => e.goldenId),
        events.map((e) => e.otherGoldenId ?? null),
        events.map((e) => e.system ?? null),
        events.map((e) => e.recordType ?? null),
        events.map((e) => e.externalId ?? null),
        events.map((e) => e.rule ?? null),
        events.map((e) => e.confidence ?? null),
        events.map((e) => JSON.stringify(e.detail ?? {})),
        actor,
      ],
    );
  }
}

interface EventRow {
  kind: 'customer_created' | 'linked' | 'merged' | 'split';
  goldenId: string;
  otherGoldenId?: string;
  system?: string;
  recordType?: string;
  externalId?: string;
  rule?: string;
  confidence?: number;
  detail?: Record<string, unknown>;
}

function toLink(row: LinkRow): IdentityLink {
  return {
    system: row.system as SystemId,
    recordType: row.record_type,
    externalId: row.external_id,
    goldenId: row.golden_id,
    confidence: row.confidence,
    rule: row.rule,
    explanation: row.explanation,
    origin: row.origin === 'manual' ? 'manual' : 'auto',
    linkedAt: row.linked_at,
    updatedAt: row.updated_at,
  };
}

function validateClusters(clusters: readonly LinkCluster[]): void {
  const seen = new Set<string>();
  clusters.forEach((cluster, i) => {
    if (cluster.links.length === 0) throw new IdentityInputError(`clusters[${i}].links`, 'a cluster needs at least one link');
    cluster.links.forEach((l, j) => {
      const at = `clusters[${i}].links[${j}]`;
      if (!(l.confidence >= 0 && l.confidence <= 1)) throw new IdentityInputError(`${at}.confidence`, `must be from 0 to 1, got ${String(l.confidence)}`);
      if (l.externalId === '') throw new IdentityInputError(`${at}.externalId`, 'must not be empty');
      if (l.recordType === '') throw new IdentityInputError(`${at}.recordType`, 'must not be empty');
      if (l.rule === '') throw new IdentityInputError(`${at}.rule`, 'must not be empty');
      const k = keyOf(l.system, l.recordType, l.externalId);
      if (seen.has(k)) throw new IdentityInputError(at, `${l.system} ${l.recordType} ${l.externalId} appears twice in one batch`);
      seen.add(k);
    });
  });
}

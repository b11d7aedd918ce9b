// Review items: the decisions a machine should not make, kept for a person. Identity writes
// POSSIBLE_DUPLICATE items; a person lists them (reviewQueue) and decides them (resolveReview):
// MERGE the two customers, KEEP_SEPARATE (remembered as a cannot-link pair), or DISMISS.
// Items are raised per record pair, but a person decides about two customers: a decision closes
// every other OPEN item between the same two customers with the same decision (in the same
// transaction); the writers that settle customers outside the queue (mergeCustomers, exact keys
// in the live matcher, a backfill, a split) close the items about them; and no item is raised for
// a pair of customers already decided (one customer now, or kept apart).
// Pure store logic: the GraphQL layer (resolvers/review.ts) only translates.
import type pg from 'pg';
import type { Store } from '../store/index.ts';
import { cursorCodec, type KeysetPage } from '../store/page.ts';
import type { RecordRef } from '../identity/backfill.ts';
import type { PairExplanation } from '../identity/customer-matching.ts';
import { createIdentityStore, type IdentityStore, type IdentityTransaction, type MergeResult } from '../identity/links.ts';
import { recordName } from '../identity/errors.ts';
import { ReviewConflictError, ReviewInputError, ReviewNotFoundError } from './errors.ts';

export { ReviewConflictError, ReviewInputError, ReviewNotFoundError } from './errors.ts';

export interface PossibleDuplicate {
  records: [RecordRef, RecordRef];
  probability: number | null;
  weight: number | null;
  /** The comparison level and weight per field that produced the score. */
  levels: PairExplanation[] | null;
  /** SYNC_FAILURE items: `records` holds the one record the write was for. */
  syncFailure?: SyncFailure;
}

/** One of the two records of a POSSIBLE_DUPLICATE item. */
export type ReviewRecordRef = RecordRef;

export type ReviewKind = 'POSSIBLE_DUPLICATE' | 'SYNC_FAILURE';
export const REVIEW_KINDS: readonly ReviewKind[] = ['POSSIBLE_DUPLICATE', 'SYNC_FAILURE'];

/**
 * A write Meridian could not make after its retry budget (src/sync/outbox.ts): the record, the
 * fields and values it should hold, and why it failed. Kept per record: a later failure of the
 * same record updates (and reopens) the item. DISMISS closes it; `meridian replay --dead-letters`
 * retries the write and closes it.
 */
export interface SyncFailure {
  customerId: string;
  outboxId: string;
  fields: string[];
  values: Record<string, unknown>;
  reason: string;
  attempts: number;
}
export type ReviewStatus = 'OPEN' | 'RESOLVED' | 'DISMISSED';
export type ReviewAction = 'MERGE' | 'KEEP_SEPARATE' | 'DISMISS';

const STATUSES: readonly ReviewStatus[] = ['OPEN', 'RESOLVED', 'DISMISSED'];
const ACTIONS: readonly ReviewAction[] = ['MERGE', 'KEEP_SEPARATE', 'DISMISS'];

/** What a person decided, as `review_items.decision` keeps it. */
export interface ReviewDecision {
  action: ReviewAction;
  note: string | null;
  /** MERGE: the customer both records belong to afterwards. */
  survivor?: string;
  /** MERGE: the ids retired into the survivor (empty when the records were one customer already). */
  retired?: string[];
  /** Set when this item was closed by a decision about the same two customers: the item decided. */
  decidedWith?: string;
  /** Set when this item was closed by what settled its customers, not by a review decision. */
  via?: SettledBy;
}

/** What can settle an item's customers without a review decision. */
export type SettledBy = 'mergeCustomers' | 'splitCustomer' | 'matcher' | 'backfill' | 'replay';

export interface ReviewItem {
  /** The row id as a decimal string; ids grow in the order items were raised. */
  id: string;
  kind: ReviewKind;
  status: ReviewStatus;
  /** The pair, its score and the per-field levels and weights of the moment it was raised. */
  subject: PossibleDuplicate;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  resolvedAt: string | null;
  resolvedBy: string | null;
  decision: ReviewDecision | null;
}

export interface ReviewListOptions {
  /** Default OPEN. */
  status?: ReviewStatus;
  /** 0..MAX_REVIEW_PAGE. */
  first: number;
  /** endCursor of the previous page. */
  after?: string | null;
}

/** totalCount: items with this status. */
export type ReviewPage = KeysetPage<ReviewItem>;

export interface ReviewDecisionInput {
  action: ReviewAction;
  note?: string | null;
}

export interface ResolveResult {
  item: ReviewItem;
  /** Golden ids whose records changed (a merge's survivor and retired ids): their caches are stale. */
  changedCustomers: string[];
  /** Other OPEN items about the same two customers, closed with this decision. */
  closedWith: string[];
}

export interface MergeCustomersResult extends MergeResult {
  /** OPEN items between the merged customers, closed as RESOLVED (MERGE) by this merge. */
  closedItems: string[];
}

export interface ReviewItems {
  /** Adds one OPEN item per pair not already asked about; resolves to how many were new. */
  addPossibleDuplicates(pairs: readonly PossibleDuplicate[], actor: string): Promise<number>;
  /** Items with one status (default OPEN) in id order, i.e. the order they were raised; keyset-paginated. */
  list(options: ReviewListOptions): Promise<ReviewPage>;
  /** One item, or null when no item has this id. */
  get(id: string): Promise<ReviewItem | null>;
  /**
   * A person's decision on an OPEN item. MERGE merges the golden customers of its two records
   * (nothing to merge when they are one already); KEEP_SEPARATE records the pair as cannot-link;
   * DISMISS only closes the item. MERGE and KEEP_SEPARATE leave it RESOLVED, DISMISS DISMISSED.
   * Throws ReviewNotFoundError, ReviewConflictError (not OPEN, or the records do not allow the
   * action) or ReviewInputError.
   */
  resolve(id: string, decision: ReviewDecisionInput, actor: string): Promise<ResolveResult>;
  /**
   * IdentityStore.mergeCustomers (a person says these customers are one; refused with
   * IdentityConflictError across a kept-apart pair unless overridden), and in the same
   * transaction the OPEN items between the merged customers are closed as RESOLVED (MERGE).
   */
  mergeCustomers(ids: readonly string[], options: { actor: string; override?: { reason: string } | null }): Promise<MergeCustomersResult>;
  /**
   * Closes the OPEN items whose customers are settled now (one customer, or kept apart by a
   * person) among those touching `customers` (every item when null), as RESOLVED with
   * `decision.via`; returns their ids. For writers that settle customers outside the queue.
   * `client`: the caller's transaction, to close them together with the change.
   */
  closeSettled(customers: readonly string[] | null, actor: string, via: SettledBy, client?: pg.PoolClient): Promise<string[]>;
  /** OPEN items per kind, every kind listed (0 when none): the backlog /metrics reports. */
  backlog(): Promise<{ kind: ReviewKind; open: number }[]>;
  /** Announces items changed on a caller's transaction, after it committed (onChanged). */
  announce(ids: readonly string[]): Promise<void>;
}

export const DEFAULT_REVIEW_PAGE = 20;
export const MAX_REVIEW_PAGE = 100;
export const MAX_NOTE_LENGTH = 2000;

export interface ReviewItemsOptions {
  /** The identity graph MERGE writes through; by default one over the same store. */
  identity?: IdentityStore;
  /**
   * Told the ids of the items each write changed, once it committed (reviewQueueChanged,
   * src/review/events.ts). Writes on a caller's transaction (closeSettled with `client`) are
   * the caller's to announce, through `announce`, after its commit.
   */
  onChanged?: (ids: readonly string[]) => Promise<void>;
}

const subjectOf = (p: PossibleDuplicate): string => p.records.map((r) => `${r.system}:${r.recordType}:${r.externalId}`).join('|');

/** Review item ids are bigint row ids; anything else names no item. */
const ITEM_ID = /^[1-9][0-9]{0,17}$/;

const cursors = cursorCodec('ri', (id) => ITEM_ID.test(id), 64);

function decodeCursor(cursor: string): string {
  const id = cursors.decode(cursor);
  if (id === null) throw new ReviewInputError('after', `not a cursor from this list: ${JSON.stringify(cursor.slice(0, 80))}`);
  return id;
}

interface ItemRow {
  id: string;
  kind: string;
  status: string;
  payload: PossibleDuplicate;
  created_by: string;
  created_at: Date;
  updated_at: Date;
  resolved_at: Date | null;
  resolved_by: string | null;
  decision: ReviewDecision | null;
}

const COLUMNS = 'id::text AS id, kind, status, payload, created_by, created_at, updated_at, resolved_at, resolved_by, decision';

function toItem(row: ItemRow): ReviewItem {
  const p = row.payload;
  return {
    id: row.id,
    kind: row.kind as ReviewKind,
    status: row.status as ReviewStatus,
    subject: { records: p.records, probability: p.probability ?? null, weight: p.weight ?? null, levels: p.levels ?? null, ...(p.syncFailure ? { syncFailure: p.syncFailure } : {}) },
    createdAt: row.created_at.toISOString(),
    createdBy: row.created_by,
    updatedAt: row.updated_at.toISOString(),
    resolvedAt: row.resolved_at?.toISOString() ?? null,
    resolvedBy: row.resolved_by,
    decision: row.decision,
  };
}

export function createReviewItems(store: Store, options: ReviewItemsOptions = {}): ReviewItems {
  const table = store.table('review_items');
  const cannotLink = store.table('identity_cannot_link');
  const identity = options.identity ?? createIdentityStore(store);
  const announce = async (ids: readonly string[]): Promise<void> => {
    if (ids.length > 0 && options.onChanged) await options.onChanged(ids);
  };

  const links = store.table('identity_links');
  // One of the two records of a payload (a jsonb expression), as SQL for system, type and id.
  const REC = (payload: string, i: 0 | 1): [string, string, string] => [
    `${payload}->'records'->${i}->>'system'`,
    `${payload}->'records'->${i}->>'recordType'`,
    `${payload}->'records'->${i}->>'externalId'`,
  ];
  /** SQL joins: `la`, `lb`, the links of a payload's two records. */
  const pairLinks = (payload: string, join: 'JOIN' | 'LEFT JOIN'): string => {
    const [a, b] = [REC(payload, 0), REC(payload, 1)];
    return `${join} ${links} la ON la.system = ${a[0]} AND la.record_type = ${a[1]} AND la.external_id = ${a[2]}
            ${join} ${links} lb ON lb.system = ${b[0]} AND lb.record_type = ${b[1]} AND lb.external_id = ${b[2]}`;
  };
  /**
   * SQL CTEs: `apart (ga, gb)`, both ways round, every pair of customers a person kept apart (a
   * cannot-link pair between any of their records, which is what keeps them apart for applyLinks
   * and mergeCustomers too), among the customers `scope` selects. A cannot-link pair has its
   * smaller side in one of the two customers, so driving the lookup from that side finds them all.
   */
  const apartAmong = (scope: string): string => `kept AS MATERIALIZED (
      SELECT xa.golden_id AS a, xb.golden_id AS b FROM ${links} xa
        JOIN ${cannotLink} c ON c.a_system = xa.system AND c.a_record_type = xa.record_type AND c.a_external_id = xa.external_id
        JOIN ${links} xb ON xb.system = c.b_system AND xb.record_type = c.b_record_type AND xb.external_id = c.b_external_id
       WHERE xa.golden_id IN (${scope}) AND xa.golden_id <> xb.golden_id),
    apart AS (SELECT a AS ga, b AS gb FROM kept UNION SELECT b, a FROM kept)`;

  /**
   * Closes every OPEN item whose customers are settled now — its two records linked to one
   * customer (RESOLVED as MERGE), or to two customers a person kept apart (RESOLVED as
   * KEEP_SEPARATE) — among the items touching `customers` (all items when null). For the writers
   * that settle customers without a review decision: exact keys merging them, a backfill, a split.
   */
  const closeSettledIn = async (c: pg.PoolClient | null, customers: readonly string[] | null, actor: string, via: SettledBy): Promise<string[]> => {
    const sql = (text: string, values: unknown[]) => (c ? c.query<{ id: string }>(text, values) : store.query<{ id: string }>(text, values));
    const r = await sql(
      `WITH pair AS MATERIALIZED (
         SELECT r.id, la.golden_id AS ga, lb.golden_id AS gb FROM ${table} r ${pairLinks('r.payload', 'JOIN')}
          WHERE r.status = 'OPEN' AND r.kind = 'POSSIBLE_DUPLICATE' ${customers === null ? '' : 'AND (la.golden_id = ANY($3::text[]) OR lb.golden_id = ANY($3::text[]))'}
       ),
       ${apartAmong('SELECT ga FROM pair UNION SELECT gb FROM pair')},
       settled AS (
         SELECT pair.id, CASE WHEN pair.ga = pair.gb THEN 'MERGE' ELSE 'KEEP_SEPARATE' END AS action
           FROM pair LEFT JOIN apart ON apart.ga = pair.ga AND apart.gb = pair.gb
          WHERE pair.ga = pair.gb OR apart.ga IS NOT NULL
       )
       UPDATE ${table} r SET status = 'RESOLVED', resolved_at = now(), resolved_by = $1, updated_at = now(),
              decision = jsonb_build_object('action', settled.action, 'note', NULL, 'via', $2::text)
         FROM settled WHERE r.id = settled.id
       RETURNING r.id::text AS id`,
      customers === null ? [actor, via] : [actor, via, [...customers]],
    );
    return r.rows.map((row) => row.id).sort((p, q) => Number(p) - Number(q));
  };

  /**
   * Closes every OPEN item (but `except`) whose records are linked now to the customers `x` and
   * `y` (either way round; x = y for the records of one customer), with `decision`.
   */
  const closeBetween = async (c: IdentityTransaction['client'], x: string, y: string, status: ReviewStatus, decision: ReviewDecision, actor: string, except: string | null): Promise<string[]> => {
    const r = await c.query<{ id: string }>(
      `WITH pair AS (
         SELECT r.id, la.golden_id AS ga, lb.golden_id AS gb FROM ${table} r ${pairLinks('r.payload', 'JOIN')}
          WHERE r.status = 'OPEN' AND r.kind = 'POSSIBLE_DUPLICATE' AND r.id IS DISTINCT FROM $1::bigint
       )
       UPDATE ${table} r SET status = $2, resolved_at = now(), resolved_by = $3, decision = $4::jsonb, updated_at = now()
         FROM pair WHERE r.id = pair.id AND ((pair.ga = $5 AND pair.gb = $6) OR (pair.ga = $6 AND pair.gb = $5))
       RETURNING r.id::text AS id`,
      [except, status, actor, JSON.stringify(decision), x, y],
    );
    return r.rows.map((row) => row.id).sort((p, q) => Number(p) - Number(q));
  };

  const get = async (id: string): Promise<ReviewItem | null> => {
    if (!ITEM_ID.test(id)) return null;
    const r = await store.query<ItemRow>(`SELECT ${COLUMNS} FROM ${table} WHERE id = $1`, [id]);
    const row = r.rows[0];
    return row ? toItem(row) : null;
  };

  const notOpen = (id: string, status: ReviewStatus): ReviewConflictError =>
    new ReviewConflictError(`review item ${id} is ${status}, not OPEN; only an open item can be resolved`, status);

  /** Merges the customers the pair's records belong to now, inside the decision's locked transaction. */
  const mergePair = async (tx: IdentityTransaction, records: readonly [RecordRef, RecordRef], actor: string): Promise<{ survivor: string; retired: string[] }> => {
    // A person's KEEP_SEPARATE (or split) between these customers refuses the merge here too
    // (IdentityConflictError); only mergeCustomers with an override sets it aside.
    const linked = await tx.linksOf(records);
    records.forEach((r, i) => {
      if (!linked[i]) throw new ReviewConflictError(`${recordName(r)} is not linked to any customer; there is nothing to merge`);
    });
    const [a, b] = [linked[0]!.goldenId, linked[1]!.goldenId];
    if (a === b) return { survivor: a, retired: [] };
    return tx.mergeCustomers([a, b], { actor });
  };

  /** Writes the cannot-link row for the pair (smaller key first), unless the records are one customer. */
  const keepSeparate = async (tx: IdentityTransaction, records: readonly [RecordRef, RecordRef], reason: string, actor: string): Promise<void> => {
    const [x, y] = records;
    const c = tx.client;
    const [lx, ly] = await tx.linksOf(records);
    if (lx && ly && lx.goldenId === ly.goldenId) {
      throw new ReviewConflictError(`${recordName(x)} and ${recordName(y)} are one customer (${lx.goldenId}) now; split one off with splitCustomer instead`);
    }
    // Ordered by the database, with the collation the table's CHECK compares in.
    await c.query(
      `WITH p AS (SELECT $1::text AS s1, $2::text AS t1, $3::text AS e1, $4::text AS s2, $5::text AS t2, $6::text AS e2),
            o AS (SELECT CASE WHEN (s1, t1, e1) < (s2, t2, e2) THEN ARRAY[s1, t1, e1, s2, t2, e2] ELSE ARRAY[s2, t2, e2, s1, t1, e1] END AS k FROM p)
       INSERT INTO ${cannotLink} (a_system, a_record_type, a_external_id, b_system, b_record_type, b_external_id, reason, decided_by)
       SELECT k[1], k[2], k[3], k[4], k[5], k[6], $7, $8 FROM o
       ON CONFLICT DO NOTHING`,
      [x.system, x.recordType, x.externalId, y.system, y.recordType, y.externalId, reason, actor],
    );
  };

  return {
    addPossibleDuplicates: async (pairs, actor) => {
      if (pairs.length === 0) return 0;
      // A pair whose customers are one already, or were kept apart by a person, needs no one.
      const r = await store.query(
        `WITH x AS MATERIALIZED (
           SELECT x.s, x.p::jsonb AS p, la.golden_id AS ga, lb.golden_id AS gb
             FROM unnest($1::text[], $2::text[]) AS x (s, p) ${pairLinks('x.p::jsonb', 'LEFT JOIN')}
         ),
         ${apartAmong('SELECT ga FROM x WHERE ga IS NOT NULL UNION SELECT gb FROM x WHERE gb IS NOT NULL')}
         INSERT INTO ${table} (kind, subject_key, payload, created_by)
         SELECT 'POSSIBLE_DUPLICATE', x.s, x.p, $3 FROM x LEFT JOIN apart ON apart.ga = x.ga AND apart.gb = x.gb
          WHERE (x.ga IS NULL OR x.gb IS NULL OR x.ga <> x.gb) AND apart.ga IS NULL
         ON CONFLICT (kind, subject_key) DO NOTHING
         RETURNING id::text AS id`,
        [pairs.map(subjectOf), pairs.map((p) => JSON.stringify(p)), actor],
      );
      await announce((r.rows as { id: string }[]).map((x) => x.id));
      return r.rowCount ?? 0;
    },

    list: async (options) => {
      const status = options.status ?? 'OPEN';
      if (!STATUSES.includes(status)) throw new ReviewInputError('status', `must be one of ${STATUSES.join(', ')}, got ${JSON.stringify(status)}`);
      const { first } = options;
      if (!Number.isInteger(first) || first < 0 || first > MAX_REVIEW_PAGE) {
        throw new ReviewInputError('first', `must be a whole number from 0 to ${MAX_REVIEW_PAGE}, got ${String(first)}`);
      }
      const after = options.after === undefined || options.after === null ? null : decodeCursor(options.after);
      const values: unknown[] = [status];
      let where = 'status = $1';
      if (after !== null) {
        values.push(after);
        where += ` AND id > $${values.length}::bigint`;
      }
      values.push(first + 1);
      const [page, total] = await Promise.all([
        // r.id, not id: ORDER BY would take the text `id` of the select list.
        store.query<ItemRow>(`SELECT ${COLUMNS} FROM ${table} r WHERE ${where} ORDER BY r.id LIMIT $${values.length}`, values),
        store.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE status = $1`, [status]),
      ]);
      const edges = page.rows.slice(0, first).map((row) => ({ cursor: cursors.encode(row.id), node: toItem(row) }));
      return {
        edges,
        pageInfo: { hasNextPage: page.rows.length > first, endCursor: edges.at(-1)?.cursor ?? null },
        totalCount: Number(total.rows[0]?.n ?? 0),
      };
    },

    get,

    backlog: async () => {
      const { rows } = await store.query<{ kind: string; n: string }>(`SELECT kind, count(*) AS n FROM ${table} WHERE status = 'OPEN' GROUP BY kind`);
      const open = new Map(rows.map((r) => [r.kind, Number(r.n)]));
      return REVIEW_KINDS.map((kind) => ({ kind, open: open.get(kind) ?? 0 }));
    },

    resolve: async (id, input, actor) => {
      if (!ACTIONS.includes(input.action)) throw new ReviewInputError('decision.action', `must be one of ${ACTIONS.join(', ')}, got ${JSON.stringify(input.action)}`);
      const note = input.note ?? null;
      if (note !== null && note.length > MAX_NOTE_LENGTH) throw new ReviewInputError('decision.note', `at most ${MAX_NOTE_LENGTH} characters, got ${note.length}`);
      if (!ITEM_ID.test(id)) throw new ReviewNotFoundError(id);

      // One transaction under the identity lock: the item is checked OPEN, the customers merged (or
      // kept apart) and the decision recorded together, or nothing happens.
      const { item, merged, closedWith } = await identity.withLock(async (tx) => {
        let merged: { survivor: string; retired: string[] } | null = null;
        const c = tx.client;
        const r = await c.query<ItemRow>(`SELECT ${COLUMNS} FROM ${table} WHERE id = $1 FOR UPDATE`, [id]);
        const row = r.rows[0];
        if (!row) throw new ReviewNotFoundError(id);
        const current = toItem(row);
        if (current.status !== 'OPEN') throw notOpen(id, current.status);
        if (current.kind === 'SYNC_FAILURE' && input.action !== 'DISMISS') {
          throw new ReviewConflictError(`review item ${id} is a SYNC_FAILURE: it can be dismissed, or retried with \`meridian replay --dead-letters\`; ${input.action} is for POSSIBLE_DUPLICATE items`);
        }
        if (input.action === 'MERGE') merged = await mergePair(tx, current.subject.records, actor);
        if (input.action === 'KEEP_SEPARATE') await keepSeparate(tx, current.subject.records, 'review:keep_separate', actor);
        const decision: ReviewDecision = { action: input.action, note, ...(merged ? { survivor: merged.survivor, retired: merged.retired } : {}) };
        const status: ReviewStatus = input.action === 'DISMISS' ? 'DISMISSED' : 'RESOLVED';
        const updated = await c.query<ItemRow>(
          `UPDATE ${table} SET status = $2, resolved_at = now(), resolved_by = $3, decision = $4::jsonb, updated_at = now()
            WHERE id = $1 RETURNING ${COLUMNS}`,
          [id, status, actor, JSON.stringify(decision)],
        );
        // The person decided about two customers, not two records: the other open items between
        // the same two customers (after a MERGE, the survivor and itself) take the same decision.
        const [la, lb] = await tx.linksOf(current.subject.records);
        const closedWith = la && lb ? await closeBetween(c, la.goldenId, lb.goldenId, status, { ...decision, decidedWith: id }, actor, id) : [];
        return { item: toItem(updated.rows[0]!), merged, closedWith };
      });
      await announce([id, ...closedWith]);
      return { item, changedCustomers: merged ? [merged.survivor, ...merged.retired] : [], closedWith };
    },

    closeSettled: async (customers, actor, via, client) => {
      const closed = await closeSettledIn(client ?? null, customers, actor, via);
      if (!client) await announce(closed);
      return closed;
    },

    announce,

    mergeCustomers: async (ids, options) => {
      const merged = await identity.withLock(async (tx) => {
        const merged = await tx.mergeCustomers(ids, options);
        const note = options.override ? `override: ${options.override.reason}` : null;
        const closedItems = await closeBetween(
          tx.client,
          merged.survivor,
          merged.survivor,
          'RESOLVED',
          { action: 'MERGE', note, survivor: merged.survivor, retired: merged.retired, via: 'mergeCustomers' },
          options.actor,
          null,
        );
        return { ...merged, closedItems };
      });
      await announce(merged.closedItems);
      return merged;
    },
  };
}

/**
 * Raises (or updates and reopens) the SYNC_FAILURE item of one record, in the caller's
 * transaction; returns its id.
 */
export async function raiseSyncFailure(client: pg.PoolClient, store: Store, record: RecordRef, failure: SyncFailure, actor: string): Promise<string> {
  const table = store.table('review_items');
  const payload: PossibleDuplicate = { records: [record] as unknown as [RecordRef, RecordRef], probability: null, weight: null, levels: null, syncFailure: failure };
  const r = await client.query<{ id: string }>(
    `INSERT INTO ${table} (kind, subject_key, payload, created_by) VALUES ('SYNC_FAILURE', $1, $2::jsonb, $3)
     ON CONFLICT (kind, subject_key) DO UPDATE SET payload = EXCLUDED.payload, status = 'OPEN', resolved_at = NULL, resolved_by = NULL, decision = NULL, updated_at = now()
     RETURNING id::text AS id`,
    [`${record.system}:${record.recordType}:${record.externalId}`, JSON.stringify(payload), actor],
  );
  return r.rows[0]!.id;
}

/** Closes SYNC_FAILURE items (by id) as RESOLVED through `via`, in the caller's transaction. */
export async function closeSyncFailures(client: pg.PoolClient, store: Store, ids: readonly string[], actor: string, via: SettledBy): Promise<number> {
  if (ids.length === 0) return 0;
  const r = await client.query(
    `UPDATE ${store.table('review_items')} SET status = 'RESOLVED', resolved_at = now(), resolved_by = $2, updated_at = now(),
            decision = jsonb_build_object('action', 'DISMISS', 'note', NULL, 'via', $3::text)
      WHERE id = ANY($1::bigint[]) AND kind = 'SYNC_FAILURE' AND status = 'OPEN'`,
    [ids, actor, via],
  );
  return r.rowCount ?? 0;
}

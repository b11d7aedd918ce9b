// Review items: the decisions a machine should not make, kept for a person. Identity writes
// POSSIBLE_DUPLICATE items; a person lists them (reviewQueue) and decides them (resolveReview):
// MERGE the two customers, KEEP_SEPARATE (remembered as a cannot-link pair), or DISMISS.
// Items are raised per record pair, but a person decides about two customers: a decision closes
// every other OPEN item between the same two customers with the same decision (in the same
// transaction), the queue never lists a pair of customers already decided (one customer now, or
// kept apart), and no item is raised for such a pair.
// Pure store logic: the GraphQL layer (resolvers/review.ts) only translates.
import type { Store } from '../store/index.ts';
import { cursorCodec, type KeysetPage } from '../store/page.ts';
import type { RecordRef } from '../identity/backfill.ts';
import type { PairExplanation } from '../identity/customer-matching.ts';
import { createIdentityStore, type IdentityStore, type IdentityTransaction, type MergeResult } from '../identity/links.ts';
import { ReviewConflictError, ReviewInputError, ReviewNotFoundError } from './errors.ts';

export { ReviewConflictError, ReviewInputError, ReviewNotFoundError } from './errors.ts';

export interface PossibleDuplicate {
  records: [RecordRef, RecordRef];
  probability: number | null;
  weight: number | null;
  /** The comparison level and weight per field that produced the score. */
  levels: PairExplanation[] | null;
}

/** One of the two records of a POSSIBLE_DUPLICATE item. */
export type ReviewRecordRef = RecordRef;

export type ReviewKind = 'POSSIBLE_DUPLICATE';
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
  /** Set when this item was closed by mergeCustomers (not by a review decision). */
  via?: 'mergeCustomers';
}

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
}

export const DEFAULT_REVIEW_PAGE = 20;
export const MAX_REVIEW_PAGE = 100;
export const MAX_NOTE_LENGTH = 2000;

export interface ReviewItemsOptions {
  /** The identity graph MERGE writes through; by default one over the same store. */
  identity?: IdentityStore;
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
    subject: { records: p.records, probability: p.probability ?? null, weight: p.weight ?? null, levels: p.levels ?? null },
    createdAt: row.created_at.toISOString(),
    createdBy: row.created_by,
    updatedAt: row.updated_at.toISOString(),
    resolvedAt: row.resolved_at?.toISOString() ?? null,
    resolvedBy: row.resolved_by,
    decision: row.decision,
  };
}

const recordName = (r: RecordRef): string => `${r.system} ${r.recordType} ${JSON.stringify(r.externalId)}`;

export function createReviewItems(store: Store, options: ReviewItemsOptions = {}): ReviewItems {
  const table = store.table('review_items');
  const cannotLink = store.table('identity_cannot_link');
  const identity = options.identity ?? createIdentityStore(store);

  const links = store.table('identity_links');
  // One of the two records of a payload (a jsonb expression), as SQL for system, type and id.
  const REC = (payload: string, i: 0 | 1): [string, string, string] => [
    `${payload}->'records'->${i}->>'system'`,
    `${payload}->'records'->${i}->>'recordType'`,
    `${payload}->'records'->${i}->>'externalId'`,
  ];
  /**
   * SQL: the pair of records (s1, t1, e1) / (s2, t2, e2) needs no person any more: both are linked
   * to one customer now, or their customers were kept apart (a cannot-link pair between any of
   * their records, which is what keeps them apart for applyLinks and mergeCustomers too).
   */
  const settled = (a: [string, string, string], b: [string, string, string]): string => `EXISTS (
      SELECT 1 FROM ${links} la, ${links} lb
       WHERE la.system = ${a[0]} AND la.record_type = ${a[1]} AND la.external_id = ${a[2]}
         AND lb.system = ${b[0]} AND lb.record_type = ${b[1]} AND lb.external_id = ${b[2]}
         AND (la.golden_id = lb.golden_id OR EXISTS (
               SELECT 1 FROM ${cannotLink} x
                 JOIN ${links} xa ON xa.system = x.a_system AND xa.record_type = x.a_record_type AND xa.external_id = x.a_external_id
                 JOIN ${links} xb ON xb.system = x.b_system AND xb.record_type = x.b_record_type AND xb.external_id = x.b_external_id
                WHERE (xa.golden_id = la.golden_id AND xb.golden_id = lb.golden_id) OR (xa.golden_id = lb.golden_id AND xb.golden_id = la.golden_id))))`;

  /**
   * Closes every OPEN item (but `except`) whose records are linked now to the customers `x` and
   * `y` (either way round; x = y for the records of one customer), with `decision`.
   */
  const closeBetween = async (c: IdentityTransaction['client'], x: string, y: string, status: ReviewStatus, decision: ReviewDecision, actor: string, except: string | null): Promise<string[]> => {
    const [a, b] = [REC('r.payload', 0), REC('r.payload', 1)];
    const r = await c.query<{ id: string }>(
      `WITH pair AS (
         SELECT r.id, la.golden_id AS ga, lb.golden_id AS gb FROM ${table} r
           JOIN ${links} la ON la.system = ${a[0]} AND la.record_type = ${a[1]} AND la.external_id = ${a[2]}
           JOIN ${links} lb ON lb.system = ${b[0]} AND lb.record_type = ${b[1]} AND lb.external_id = ${b[2]}
          WHERE r.status = 'OPEN' AND r.id IS DISTINCT FROM $1::bigint
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
        `INSERT INTO ${table} (kind, subject_key, payload, created_by)
         SELECT 'POSSIBLE_DUPLICATE', s, p::jsonb, $3 FROM unnest($1::text[], $2::text[]) AS x (s, p)
          WHERE NOT ${settled(REC('x.p::jsonb', 0), REC('x.p::jsonb', 1))}
         ON CONFLICT (kind, subject_key) DO NOTHING`,
        [pairs.map(subjectOf), pairs.map((p) => JSON.stringify(p)), actor],
      );
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
      // An OPEN item about customers that are one now, or were kept apart, asks nothing: it is not
      // listed (a merge or split outside the queue may have settled it; reads never write).
      const ofStatus = status === 'OPEN' ? `r.status = $1 AND NOT ${settled(REC('r.payload', 0), REC('r.payload', 1))}` : 'r.status = $1';
      let where = ofStatus;
      if (after !== null) {
        values.push(after);
        where += ` AND r.id > $${values.length}::bigint`;
      }
      values.push(first + 1);
      const [page, total] = await Promise.all([
        // r.id, not id: ORDER BY would take the text `id` of the select list.
        store.query<ItemRow>(`SELECT ${COLUMNS} FROM ${table} r WHERE ${where} ORDER BY r.id LIMIT $${values.length}`, values),
        store.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} r WHERE ${ofStatus}`, [status]),
      ]);
      const edges = page.rows.slice(0, first).map((row) => ({ cursor: cursors.encode(row.id), node: toItem(row) }));
      return {
        edges,
        pageInfo: { hasNextPage: page.rows.length > first, endCursor: edges.at(-1)?.cursor ?? null },
        totalCount: Number(total.rows[0]?.n ?? 0),
      };
    },

    get,

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
      return { item, changedCustomers: merged ? [merged.survivor, ...merged.retired] : [], closedWith };
    },

    mergeCustomers: (ids, options) =>
      identity.withLock(async (tx) => {
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
      }),
  };
}

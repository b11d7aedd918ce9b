// Review items: the decisions a machine should not make, kept for a person. Identity writes
// POSSIBLE_DUPLICATE items; a person lists them (reviewQueue) and decides them (resolveReview):
// MERGE the two customers, KEEP_SEPARATE (remembered as a cannot-link pair), or DISMISS.
// Pure store logic: the GraphQL layer (resolvers/review.ts) only translates.
import type { Store } from '../store/index.ts';
import { cursorCodec, type KeysetPage } from '../store/page.ts';
import type { RecordRef } from '../identity/backfill.ts';
import type { PairExplanation } from '../identity/customer-matching.ts';
import { createIdentityStore, type IdentityStore, type IdentityTransaction } from '../identity/links.ts';
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
      const r = await store.query(
        `INSERT INTO ${table} (kind, subject_key, payload, created_by)
         SELECT 'POSSIBLE_DUPLICATE', s, p::jsonb, $3 FROM unnest($1::text[], $2::text[]) AS x (s, p)
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

    resolve: async (id, input, actor) => {
      if (!ACTIONS.includes(input.action)) throw new ReviewInputError('decision.action', `must be one of ${ACTIONS.join(', ')}, got ${JSON.stringify(input.action)}`);
      const note = input.note ?? null;
      if (note !== null && note.length > MAX_NOTE_LENGTH) throw new ReviewInputError('decision.note', `at most ${MAX_NOTE_LENGTH} characters, got ${note.length}`);
      if (!ITEM_ID.test(id)) throw new ReviewNotFoundError(id);

      // One transaction under the identity lock: the item is checked OPEN, the customers merged (or
      // kept apart) and the decision recorded together, or nothing happens.
      const { item, merged } = await identity.withLock(async (tx) => {
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
        return { item: toItem(updated.rows[0]!), merged };
      });
      return { item, changedCustomers: merged ? [merged.survivor, ...merged.retired] : [] };
    },
  };
}

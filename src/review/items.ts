// Review items: the decisions a machine should not make, kept for a person. Identity writes
// POSSIBLE_DUPLICATE items; the review-queue issue adds the API, the other kinds, and the
// decisions that feed back into merge and sync.
import type { Store } from '../store/index.ts';
import type { RecordRef } from '../identity/backfill.ts';
import type { PairExplanation } from '../identity/customer-matching.ts';

export interface PossibleDuplicate {
  records: [RecordRef, RecordRef];
  probability: number | null;
  weight: number | null;
  /** The comparison level and weight per field that produced the score. */
  levels: PairExplanation[] | null;
}

export interface ReviewItems {
  /** Adds one OPEN item per pair not already asked about; resolves to how many were new. */
  addPossibleDuplicates(pairs: readonly PossibleDuplicate[], actor: string): Promise<number>;
}

const subjectOf = (p: PossibleDuplicate): string => p.records.map((r) => `${r.system}:${r.recordType}:${r.externalId}`).join('|');

export function createReviewItems(store: Store): ReviewItems {
  const table = store.table('review_items');
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
  };
}

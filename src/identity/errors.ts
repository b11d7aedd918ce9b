// Errors the identity API raises for bad input. `code` is CONTRACT.md's extensions.code, so
// the GraphQL layer can pass it through unchanged; `field` names the argument at fault.

export class IdentityInputError extends Error {
  override readonly name = 'IdentityInputError';
  readonly code = 'BAD_USER_INPUT';
  readonly field: string;
  constructor(field: string, reason: string) {
    super(`${field}: ${reason}`);
    this.field = field;
  }
  get extensions(): { code: 'BAD_USER_INPUT'; field: string } {
    return { code: this.code, field: this.field };
  }
}

/** Two records a person said are different customers (identity_cannot_link), as a merge meets them. */
export interface KeptApart {
  /** The two records, smaller key first. */
  records: [{ system: string; recordType: string; externalId: string }, { system: string; recordType: string; externalId: string }];
  /** The live customers they belong to now. */
  customers: [string, string];
  /** 'review:keep_separate' (a review decision) or 'split' (splitCustomer). */
  reason: string;
  decidedBy: string;
  decidedAt: string;
  /** The review item whose KEEP_SEPARATE wrote it, when there is one. */
  reviewItem: string | null;
}

/**
 * A merge would join customers a person kept apart. Nothing was written; `decisions` name
 * every decision in the way, so the caller can show who decided what and when.
 */
export class IdentityConflictError extends Error {
  override readonly name = 'IdentityConflictError';
  readonly code = 'CONFLICT';
  readonly decisions: readonly KeptApart[];
  constructor(decisions: readonly KeptApart[]) {
    super(describeKeptApart(decisions));
    this.decisions = decisions;
  }
}

/** A source record as messages name it: `stripe customer "cus_1"`. */
export const recordName = (r: { system: string; recordType: string; externalId: string }): string => `${r.system} ${r.recordType} ${JSON.stringify(r.externalId)}`;

function describeKeptApart(decisions: readonly KeptApart[]): string {
  const [d] = decisions;
  if (!d) return 'the customers were kept separate by a person';
  const by = d.reviewItem !== null ? `KEEP_SEPARATE on review item ${d.reviewItem}` : d.reason === 'split' ? 'a split' : d.reason;
  const more = decisions.length > 1 ? ` (and ${decisions.length - 1} more such decision${decisions.length > 2 ? 's' : ''})` : '';
  return (
    `customers ${d.customers[0]} and ${d.customers[1]} were kept separate by a person: ${recordName(d.records[0])} is not ${recordName(d.records[1])} ` +
    `(${by}, by ${d.decidedBy} at ${d.decidedAt})${more}; to merge them anyway, call mergeCustomers again with override: true and a reason`
  );
}

// Errors the review queue raises. `code` is CONTRACT.md's extensions.code, so the GraphQL layer
// maps each one to its error class without looking at messages.
import type { ReviewStatus } from './items.ts';

/** A bad argument; `field` names it (`after`, `first`, `decision.note`, …). */
export class ReviewInputError extends Error {
  override readonly name = 'ReviewInputError';
  readonly code = 'BAD_USER_INPUT';
  readonly field: string;
  constructor(field: string, reason: string) {
    super(`${field}: ${reason}`);
    this.field = field;
  }
}

/** No review item has this id (or the id is not one this queue issues). */
export class ReviewNotFoundError extends Error {
  override readonly name = 'ReviewNotFoundError';
  readonly code = 'NOT_FOUND';
  readonly id: string;
  constructor(id: string) {
    super(`No review item with id ${JSON.stringify(id)}`);
    this.id = id;
  }
}

/**
 * The decision cannot be taken in the item's or the graph's current state: the item was
 * decided already (`status` names how), or its records no longer allow the action.
 */
export class ReviewConflictError extends Error {
  override readonly name = 'ReviewConflictError';
  readonly code = 'CONFLICT';
  readonly status: ReviewStatus | null;
  constructor(message: string, status: ReviewStatus | null = null) {
    super(message);
    this.status = status;
  }
}

// Relay-style connections over a list already in memory (related records of one customer):
// opaque offset cursors, validated so a malformed one is a clear BAD_USER_INPUT. `first` means
// the same everywhere in the schema (connections and searchCustomers): 0 to MAX_PAGE, checked
// here, so a store's own (wider) bound never speaks to clients.
import { BadUserInputError } from '../server/errors.ts';

export const DEFAULT_PAGE = 20;
export const MAX_PAGE = 100;

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  totalCount: number;
}

const encode = (offset: number): string => Buffer.from(`o:${offset}`, 'utf8').toString('base64url');

function decode(cursor: string): number {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const m = /^o:(\d{1,9})$/.exec(text);
  if (!m) throw new BadUserInputError('after', `${JSON.stringify(cursor)} is not a cursor this API issued`);
  return Number(m[1]);
}

/** `first` as given, or `fallback` when it is not; BAD_USER_INPUT naming `first` outside 0…MAX_PAGE. */
export function pageSize(first: number | null | undefined, fallback = DEFAULT_PAGE): number {
  if (first === null || first === undefined) return fallback;
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE) throw new BadUserInputError('first', `must be a whole number from 0 to ${MAX_PAGE}, got ${first}`);
  return first;
}

export function connectionOf<T>(items: readonly T[], first: number | null | undefined, after: string | null | undefined): Connection<T> {
  const size = pageSize(first);
  const start = after ? decode(after) + 1 : 0;
  const slice = items.slice(start, start + size);
  const edges = slice.map((node, i) => ({ cursor: encode(start + i), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: start + size < items.length,
      hasPreviousPage: start > 0,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount: items.length,
  };
}

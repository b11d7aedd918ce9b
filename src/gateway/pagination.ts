// Relay-style connections over a list already in memory (related records of one customer):
// opaque offset cursors, validated so a malformed one is a clear BAD_USER_INPUT.
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

export function pageSize(first: number | null | undefined, max = MAX_PAGE): number {
  if (first === null || first === undefined) return DEFAULT_PAGE;
  if (!Number.isInteger(first) || first < 0 || first > max) throw new BadUserInputError('first', `must be between 0 and ${max}, got ${first}`);
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

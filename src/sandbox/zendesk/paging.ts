// Zendesk's two pagination styles for list endpoints.
// https://developer.zendesk.com/api-reference/introduction/pagination/
//  - cursor: `page[size]` (≤ 100), `page[after]` / `page[before]` → `meta` + `links`;
//  - offset: `page`, `per_page` (≤ 100) → `next_page`, `previous_page`, `count`.
// node-zendesk appends `page[size]=100` to GETs of the endpoints it knows support cursors
// and follows `links.next` (else `next_page`) until it is null, so both must end in null.
import { firstIndexWhere } from '../kit/search.ts';

export class PaginationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PaginationError';
  }
}

const MAX_PAGE_SIZE = 100;

export interface PageContext {
  /** Absolute base of links, e.g. `http://127.0.0.1:4403/api/v2`. */
  endpoint: string;
  /** Path under the endpoint without `.json`, e.g. `users` or `organizations/7/tickets`. */
  path: string;
  query: URLSearchParams;
}

function link(ctx: PageContext, set: Record<string, string>, drop: string[]): string {
  const q = new URLSearchParams(ctx.query);
  for (const k of drop) q.delete(k);
  for (const [k, v] of Object.entries(set)) q.set(k, v);
  // Zendesk's own links keep the brackets readable; URLSearchParams would escape them.
  const qs = q.toString().replace(/%5B/g, '[').replace(/%5D/g, ']');
  return `${ctx.endpoint}/${ctx.path}.json${qs ? `?${qs}` : ''}`;
}

export function usesCursor(query: URLSearchParams): boolean {
  return query.has('page[size]') || query.has('page[after]') || query.has('page[before]');
}

function encodeCursor(kind: 'a' | 'b', id: number): string {
  return Buffer.from(`${kind}:${id}`).toString('base64url');
}

function decodeCursor(cursor: string, kind: 'a' | 'b'): number {
  const m = /^([ab]):(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m || m[1] !== kind) throw new PaginationError('page[after] / page[before] is not a cursor this endpoint gave out');
  return Number(m[2]);
}

function intParam(query: URLSearchParams, name: string, fallback: number): number {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new PaginationError(`${name} must be a positive integer`);
  return Number(raw);
}

export interface PaginateOptions<T> {
  /** Only rows it accepts are listed (applied while walking from the cursor, not to every row). */
  filter?: (row: T) => boolean;
  /** What a listed row is sent as (a copy with its url), applied to the page's rows only. */
  out?: (row: T) => unknown;
}

/**
 * One page of `rows` (already in the endpoint's order, with unique ascending ids) under
 * `key`, in whichever style the request asked for. In cursor style the page is found by binary
 * search and filled by walking from there, so a page costs its own rows however large the
 * list is; offset style counts every match (`count`), as Zendesk does.
 */
/** `rowCount`: rows sent; `examined`: stored rows looked at to find them (the page's cost). */
export function paginate<T extends { id: number }>(
  rows: readonly T[],
  key: string,
  ctx: PageContext,
  options: PaginateOptions<T> = {},
): Record<string, unknown> & { rowCount: number; examined: number } {
  let examined = 0;
  const accept = (row: T): boolean => {
    examined++;
    return options.filter ? options.filter(row) : true;
  };
  const out = options.out ?? ((r: T): unknown => r);
  if (usesCursor(ctx.query)) {
    const size = intParam(ctx.query, 'page[size]', MAX_PAGE_SIZE);
    if (size < 1 || size > MAX_PAGE_SIZE) throw new PaginationError(`page[size] must be between 1 and ${MAX_PAGE_SIZE}`);
    const after = ctx.query.get('page[after]');
    const before = ctx.query.get('page[before]');
    const page: T[] = [];
    let hasNext: boolean;
    let hasPrev: boolean;
    /** Whether any accepted row lies from `from` on, walking in direction `step`. */
    const anyAccepted = (from: number, step: 1 | -1): boolean => {
      for (let i = from; i >= 0 && i < rows.length; i += step) if (accept(rows[i]!)) return true;
      return false;
    };
    if (before) {
      const firstId = decodeCursor(before, 'b');
      const end = firstIndexWhere(rows, (r) => r.id >= firstId);
      let i = end - 1;
      for (; i >= 0 && page.length < size; i--) if (accept(rows[i]!)) page.push(rows[i]!);
      page.reverse();
      hasPrev = anyAccepted(i, -1);
      hasNext = anyAccepted(end, 1);
    } else {
      const lastId = after ? decodeCursor(after, 'a') : null;
      let i = lastId === null ? 0 : firstIndexWhere(rows, (r) => r.id > lastId);
      hasPrev = i > 0 && anyAccepted(i - 1, -1);
      for (; i < rows.length && page.length < size; i++) if (accept(rows[i]!)) page.push(rows[i]!);
      hasNext = anyAccepted(i, 1);
    }
    const first = page[0];
    const last = page.at(-1);
    const hasMore = before ? hasPrev : hasNext;
    const drop = ['page[after]', 'page[before]'];
    const sizeParam = { 'page[size]': String(size) };
    return {
      [key]: page.map(out),
      meta: {
        has_more: hasMore,
        after_cursor: last ? encodeCursor('a', last.id) : null,
        before_cursor: first ? encodeCursor('b', first.id) : null,
      },
      links: {
        next: last && hasNext ? link(ctx, { ...sizeParam, 'page[after]': encodeCursor('a', last.id) }, drop) : null,
        prev: first && hasPrev ? link(ctx, { ...sizeParam, 'page[before]': encodeCursor('b', first.id) }, drop) : null,
      },
      rowCount: page.length,
      examined,
    };
  }
  const all = options.filter ? rows.filter(accept) : rows;
  if (!options.filter) examined = rows.length;
  const perPage = Math.min(MAX_PAGE_SIZE, Math.max(1, intParam(ctx.query, 'per_page', MAX_PAGE_SIZE)));
  const pageNo = Math.max(1, intParam(ctx.query, 'page', 1));
  const start = (pageNo - 1) * perPage;
  const page = all.slice(start, start + perPage);
  return {
    [key]: page.map(out),
    next_page: start + perPage < all.length ? link(ctx, { page: String(pageNo + 1), per_page: String(perPage) }, []) : null,
    previous_page: pageNo > 1 && all.length > 0 ? link(ctx, { page: String(pageNo - 1), per_page: String(perPage) }, []) : null,
    count: all.length,
    rowCount: page.length,
    examined,
  };
}

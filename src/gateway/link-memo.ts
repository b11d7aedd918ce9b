// The account records each golden customer was last seen linked to, held in this process so a
// golden-record build can start reading them while Postgres is asked for the current links.
//
// A guess, never an answer: the build still merges exactly the records Postgres names (its
// links are read on every build, as before), and the guessed reads are only started early in
// the request's own DataLoaders. When the guess is right (links change rarely: a merge, a
// split, a newly linked record), a cache miss waits for the sources alone instead of a Postgres
// round trip and then the sources; when it is wrong, the build reads what the guess missed
// after Postgres answers (as without the memo) and the records read for nothing are dropped.
import type { SystemId } from '../domain/records.ts';
import type { IdentityLink, IdentityStore, SourceKey } from '../identity/links.ts';
import { ACCOUNT_TYPE } from '../sources/types.ts';

/** An account record a customer is linked to (its record type is the system's account type). */
export type AccountRef = Omit<SourceKey, 'recordType'>;

// Each customer's refs as one string (`system US id RS system US id …`) instead of an array of
// objects: 100,000 customers of four records each took 27 MB of heap (ids of 35 characters).
const UNIT = '\u001f';
const RECORD = '\u001e';

/** The account links among a customer's links, in a stable order. */
export function accountRefsOf(links: readonly IdentityLink[]): AccountRef[] {
  return links
    .filter((l) => l.recordType === ACCOUNT_TYPE[l.system])
    .map((l) => ({ system: l.system, externalId: l.externalId }))
    .sort(compareRefs);
}

const compareRefs = (a: AccountRef, b: AccountRef): number =>
  a.system === b.system ? (a.externalId < b.externalId ? -1 : a.externalId > b.externalId ? 1 : 0) : a.system < b.system ? -1 : 1;

function encode(refs: readonly AccountRef[]): string | null {
  // An id holding a separator is not remembered: its customer is simply never guessed.
  if (refs.some((r) => r.externalId.includes(UNIT) || r.externalId.includes(RECORD))) return null;
  // Joined (one flat string), not built with += (a chain of pieces, each kept alive).
  return refs.map((r) => r.system + UNIT + r.externalId).join(RECORD);
}

function decode(text: string): AccountRef[] {
  if (text === '') return [];
  return text.split(RECORD).map((pair) => {
    const at = pair.indexOf(UNIT);
    return { system: pair.slice(0, at) as SystemId, externalId: pair.slice(at + 1) };
  });
}

export interface LinkMemoStats {
  size: number;
  max: number;
}

/**
 * Bounded: past `max` customers the one remembered longest ago is dropped first. `max` 0 keeps
 * nothing (MERIDIAN_LINK_MEMO=0: every build waits for Postgres first, as before the memo).
 */
export class LinkMemo {
  readonly max: number;
  readonly #refs = new Map<string, string>();

  constructor(max: number) {
    if (!Number.isInteger(max) || max < 0) throw new RangeError(`max must be a whole number of customers, 0 or more, got ${String(max)}`);
    this.max = max;
  }

  /** The account records `goldenId` was last seen linked to; undefined when not remembered. */
  guess(goldenId: string): AccountRef[] | undefined {
    const text = this.#refs.get(goldenId);
    return text === undefined ? undefined : decode(text);
  }

  /** What Postgres said `goldenId` (a live id) is linked to now. `onlyIfAbsent`: keep a newer entry. */
  remember(goldenId: string, refs: readonly AccountRef[], options: { onlyIfAbsent?: boolean } = {}): void {
    if (this.max === 0) return;
    if (options.onlyIfAbsent && this.#refs.has(goldenId)) return;
    const text = encode(refs);
    this.#refs.delete(goldenId);
    if (text === null) return;
    this.#refs.set(goldenId, text);
    if (this.#refs.size > this.max) this.#refs.delete(this.#refs.keys().next().value!);
  }

  /** Ids that are no longer live customers (retired, or never issued). */
  forget(goldenId: string): void {
    this.#refs.delete(goldenId);
  }

  get full(): boolean {
    return this.#refs.size >= this.max;
  }

  stats(): LinkMemoStats {
    return { size: this.#refs.size, max: this.max };
  }
}

/** Whether a guess named exactly the records Postgres named (both in accountRefsOf order). */
export function sameRefs(a: readonly AccountRef[], b: readonly AccountRef[]): boolean {
  return a.length === b.length && a.every((r, i) => r.system === b[i]!.system && r.externalId === b[i]!.externalId);
}

/**
 * Fills the memo with live customers' account links, page by page in id order, until it is full
 * or every customer is in: run once in the background after start-up, so the first read of a
 * customer is guessed as well. What a build remembered meanwhile is newer and is kept.
 * Stops early when `signal` aborts (the gateway closing). Returns how many customers the memo holds.
 */
export async function preloadLinkMemo(
  memo: LinkMemo,
  identity: Pick<IdentityStore, 'accountLinkPage'>,
  options: { pageSize?: number; signal?: AbortSignal } = {},
): Promise<number> {
  const pageSize = options.pageSize ?? 1_000;
  let after: string | null = null;
  while (!memo.full && !options.signal?.aborted) {
    const page = await identity.accountLinkPage(after, pageSize);
    for (const c of page.customers) {
      if (memo.full) break;
      memo.remember(c.goldenId, [...c.refs].sort(compareRefs), { onlyIfAbsent: true });
    }
    if (page.next === null) break;
    after = page.next;
  }
  return memo.stats().size;
}

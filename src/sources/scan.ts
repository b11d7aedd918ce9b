// What every connector's full scan (scanAccounts) shares: the page-size limit of each system,
// a resumable position, and one retry policy for a page that failed for a reason that may pass
// (rate limit, 5xx, timeout, dropped connection). Each connector fetches its pages through
// `fetchPageWithRetry`, so a backfill over a flaky or throttled system waits and goes on
// instead of abandoning the whole run (docs/operations.md § Backfill).
import { SourceRateLimitedError, SourceUnavailableError, type InvalidSourceRecordError, type SourceError } from './errors.ts';
import { systemClock, type ConnectorClock } from './options.ts';
import type { SourceRecord } from '../domain/records.ts';
import { MAX_SCAN_PAGE_SIZE, type SystemId } from './registry.ts';

export { MAX_SCAN_PAGE_SIZE };

/**
 * The page size a scan uses: what was asked, at most the system's maximum (a backfill asks
 * one size of every system, so a size too large for one is a request for "as many as it
 * allows", not an error). Not a whole number ≥ 1 is a programming error.
 */
export function clampPageSize(system: SystemId, requested: number | undefined, fallback: number): number {
  const n = requested ?? fallback;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`pageSize must be a whole number ≥ 1 (got ${n})`);
  return Math.min(n, MAX_SCAN_PAGE_SIZE[system]);
}

/** How a scan retries a failed page. */
export interface ScanRetryPolicy {
  /** Attempts per page, the first included. Default 6. */
  attempts: number;
  /** Delay before the first retry; doubles each time (with up to 50 % random jitter). Default 500 ms. */
  baseDelayMs: number;
  /** No single wait longer than this, Retry-After included. Default 60 s. */
  maxDelayMs: number;
}

export const DEFAULT_SCAN_RETRY: ScanRetryPolicy = { attempts: 6, baseDelayMs: 500, maxDelayMs: 60_000 };

/** One retry that happened (for the backfill's report and log). */
export interface ScanRetryEvent {
  system: SystemId;
  attempt: number;
  delayMs: number;
  error: SourceError;
}

export interface ScanOptions {
  /** Records per page; clamped to the system's maximum (MAX_SCAN_PAGE_SIZE). */
  pageSize?: number;
  /** Resume after this position (a previous page's `resumeAfter`); absent: from the start. */
  after?: string;
  retry?: Partial<ScanRetryPolicy>;
  /** Waits go through this clock (tests pass one that does not wait). */
  clock?: ConnectorClock;
  /** Told before each wait. */
  onRetry?: (event: ScanRetryEvent) => void;
  /** Random in [0, 1) for the jitter; default Math.random. */
  random?: () => number;
}

/**
 * One page of a scan: the records, those the connector could not read (each the one
 * InvalidSourceRecordError naming its first bad field; the backfill counts and names them, they
 * are never dropped unsaid), and where the next page starts, so a stopped scan can be resumed
 * with `after`. A page may hold only invalid records.
 */
export interface ScanPage extends Array<SourceRecord> {
  /** Pass as `after` to continue after this page; null when the system offers no such position. */
  resumeAfter: string | null;
  /** Records of this page (or read on the way to it) that failed the system's schema. */
  invalid: InvalidSourceRecordError[];
}

export function scanPage(records: SourceRecord[], resumeAfter: string | null, invalid: InvalidSourceRecordError[] = []): ScanPage {
  return Object.assign(records, { resumeAfter, invalid });
}

const TRANSIENT_UPSTREAM = new Set(['StripeConnectionError', 'StripeAPIError', 'SERVER_UNAVAILABLE', 'UNKNOWN_EXCEPTION', 'REQUEST_LIMIT_EXCEEDED']);

/**
 * Whether waiting may help: rate limits, 5xx and 408, failures without an answer (network,
 * timeout), Postgres connection / resource / cancel classes (08, 53, 57, 40, 58). A 4xx, an
 * unknown query or table, bad credentials or a payload we cannot read will not pass by waiting.
 */
export function isTransient(e: unknown): boolean {
  if (e instanceof SourceRateLimitedError) return true;
  if (!(e instanceof SourceUnavailableError) || e.upstreamCode === 'INVALID_RECORD') return false;
  if (e.status !== null) return e.status >= 500 || e.status === 408 || e.status === 429;
  const code = e.upstreamCode;
  if (code === null) return true;
  if (/^[0-9A-Z]{5}$/.test(code)) return /^(08|53|57|40|58)/.test(code);
  return TRANSIENT_UPSTREAM.has(code);
}

function retryAfterMs(e: SourceError): number | null {
  const s = e instanceof SourceRateLimitedError || e instanceof SourceUnavailableError ? e.retryAfterSeconds : null;
  return s === null ? null : s * 1000;
}

/**
 * A scan's options as every connector applies them: waits on the connector's clock unless the
 * caller gives one, and the connector's own number of retries (its `scanRetries` setting) under
 * whatever else the caller's retry policy says. The one place a connector's scan retry is set up.
 */
export function connectorScanOptions(clock: ConnectorClock, scan: ScanOptions = {}, retries?: number): ScanOptions {
  const retry: Partial<ScanRetryPolicy> = { ...(retries === undefined ? {} : { attempts: retries + 1 }), ...scan.retry };
  return { clock, ...scan, ...(Object.keys(retry).length > 0 ? { retry } : {}) };
}

/**
 * Runs `fetch` (one upstream page) until it succeeds, a failure is not transient, or the
 * attempts run out; then throws the last failure as a SourceError (`toError` classifies what
 * the SDK threw). Waits exponentially with jitter, or as long as Retry-After says.
 */
export async function fetchPageWithRetry<T>(system: SystemId, fetch: () => Promise<T>, toError: (e: unknown) => SourceError, options: ScanOptions = {}): Promise<T> {
  const policy = { ...DEFAULT_SCAN_RETRY, ...options.retry };
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetch();
    } catch (thrown) {
      const error = toError(thrown);
      if (attempt >= policy.attempts || !isTransient(error)) throw error;
      const backoff = policy.baseDelayMs * 2 ** (attempt - 1) * (1 + random() / 2);
      const delayMs = Math.round(Math.min(policy.maxDelayMs, retryAfterMs(error) ?? backoff));
      options.onRetry?.({ system, attempt, delayMs, error });
      await clock.sleep(delayMs);
    }
  }
}

/**
 * The pages of `pages`, each next one already being fetched while the caller works on the one it
 * was given: a scan's round trips overlap the work done per page (indexing, checkpoints) instead
 * of adding to it. One page ahead at most, so memory stays that of two pages.
 */
export async function* prefetched<T>(pages: AsyncIterable<T>): AsyncGenerator<T> {
  const it = pages[Symbol.asyncIterator]();
  let next = it.next();
  let finished = false;
  try {
    for (;;) {
      const r = await next;
      if (r.done) {
        finished = true;
        return;
      }
      next = it.next();
      // Its failure is observed when it is awaited above; until then it must not count as unhandled.
      next.catch(() => undefined);
      yield r.value;
    }
  } finally {
    // The caller stopped early (or a page failed): end the source too, after the fetch in flight.
    if (!finished) {
      await next.catch(() => undefined);
      await it.return?.();
    }
  }
}

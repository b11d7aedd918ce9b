// The scan contract every connector shares (src/sources/scan.ts): page sizes clamped to the
// system's maximum, a failed page retried with backoff (Retry-After honoured), and a resume
// position per page. The retry policy is a unit here; the contract suite at the bottom runs
// every real connector, through its real SDK, against the sandbox with faults injected, and
// proves each one fetches its pages through the shared helper and resumes where told.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.ts';
import { readSystemSettings } from '../../src/config/systems.ts';
import { SourceRateLimitedError, SourceUnavailableError } from '../../src/sources/errors.ts';
import { clampPageSize, fetchPageWithRetry, isTransient, prefetched, type ScanOptions, type ScanRetryEvent } from '../../src/sources/scan.ts';
import type { ConnectorClock } from '../../src/sources/options.ts';
import type { SourceConnector, SystemId } from '../../src/sources/types.ts';
import { createStripeClient } from '../../src/sources/stripe/client.ts';
import { createStripeConnector } from '../../src/sources/stripe/index.ts';
import { connectSalesforce } from '../support/salesforce.ts';
import { createSalesforceConnector } from '../../src/sources/salesforce/index.ts';
import { createZendeskClient } from '../../src/sources/zendesk/client.ts';
import { createZendeskConnector } from '../../src/sources/zendesk/index.ts';
import { createErpPool } from '../../src/sources/erp/client.ts';
import { createErpConnector } from '../../src/sources/erp/index.ts';
import type { FaultController } from '../../src/sandbox/kit/faults.ts';
import { uniqueSchema } from '../support/postgres.ts';

/** A clock whose sleep returns at once and remembers how long it was asked to wait. */
function fakeClock(): ConnectorClock & { waits: number[] } {
  const waits: number[] = [];
  return { waits, now: () => new Date('2026-12-06T00:00:00Z'), sleep: (ms) => (waits.push(ms), Promise.resolve()) };
}

describe('clampPageSize', () => {
  it("caps a requested page size at the system's maximum and keeps smaller ones", () => {
    expect(clampPageSize('stripe', 500, 100)).toBe(100);
    expect(clampPageSize('zendesk', 500, 100)).toBe(100);
    expect(clampPageSize('salesforce', 5000, 200)).toBe(2000);
    expect(clampPageSize('salesforce', 500, 200)).toBe(500);
    expect(clampPageSize('erp', undefined, 1000)).toBe(1000);
    expect(() => clampPageSize('stripe', 0, 100)).toThrow('pageSize must be a whole number ≥ 1 (got 0)');
  });
});

describe('fetchPageWithRetry', () => {
  const unavailable = (status: number | null, upstreamCode: string | null = null, retryAfterSeconds: number | null = null): SourceUnavailableError =>
    new SourceUnavailableError('stripe', `down (${status})`, { status, upstreamCode, retryAfterSeconds });

  it('retries a transient failure with exponential backoff and jitter, then returns the page', async () => {
    const clock = fakeClock();
    const failures = [unavailable(503), unavailable(null), unavailable(502)];
    let calls = 0;
    const events: ScanRetryEvent[] = [];
    const page = await fetchPageWithRetry(
      'stripe',
      () => {
        calls++;
        const f = failures.shift();
        return f ? Promise.reject(f) : Promise.resolve('page');
      },
      (e) => e as SourceUnavailableError,
      { clock, random: () => 0.5, retry: { baseDelayMs: 100 }, onRetry: (e) => events.push(e) },
    );
    expect(page).toBe('page');
    expect(calls).toBe(4);
    // 100 · 2^(n−1) · (1 + 0.5/2)
    expect(clock.waits).toEqual([125, 250, 500]);
    expect(events.map((e) => [e.system, e.attempt])).toEqual([['stripe', 1], ['stripe', 2], ['stripe', 3]]);
  });

  it("waits as long as a 429's or a 503's Retry-After says, within maxDelayMs", async () => {
    const clock = fakeClock();
    const failures = [new SourceRateLimitedError('zendesk', 'slow down', 7, clock.now()), unavailable(503, null, 2), new SourceRateLimitedError('zendesk', 'slow down', 3600, clock.now())];
    await fetchPageWithRetry('zendesk', () => (failures.length ? Promise.reject(failures.shift()!) : Promise.resolve(1)), (e) => e as SourceUnavailableError, {
      clock,
      retry: { maxDelayMs: 60_000 },
    });
    expect(clock.waits).toEqual([7000, 2000, 60_000]);
  });

  it('gives up after the attempts run out and throws the last failure', async () => {
    const clock = fakeClock();
    let calls = 0;
    const err = await fetchPageWithRetry('erp', () => (calls++, Promise.reject(unavailable(503))), (e) => e as SourceUnavailableError, { clock, retry: { attempts: 3 } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceUnavailableError);
    expect(calls).toBe(3);
    expect(clock.waits).toHaveLength(2);
  });

  it('does not retry what waiting cannot fix: a 4xx, bad credentials, an unknown table, a payload it cannot read', async () => {
    for (const e of [unavailable(401), unavailable(404), unavailable(null, '42P01'), unavailable(null, '28P01'), unavailable(null, 'INVALID_RECORD'), unavailable(null, 'MALFORMED_QUERY')]) {
      expect(isTransient(e)).toBe(false);
      const clock = fakeClock();
      let calls = 0;
      await fetchPageWithRetry('erp', () => (calls++, Promise.reject(e)), (x) => x as SourceUnavailableError, { clock }).catch(() => undefined);
      expect(calls).toBe(1);
    }
    for (const e of [unavailable(500), unavailable(503), unavailable(408), unavailable(null), unavailable(null, '08006'), unavailable(null, '57014'), unavailable(null, 'StripeConnectionError'), unavailable(null, 'SERVER_UNAVAILABLE')]) {
      expect(isTransient(e)).toBe(true);
    }
  });
});

describe('prefetched', () => {
  /** A source of `n` pages that logs when each fetch starts and ends, failing at page `failAt`. */
  function source(n: number, log: string[], failAt = -1): AsyncGenerator<number> {
    return (async function* () {
      try {
        for (let i = 0; i < n; i++) {
          log.push(`fetch ${i}`);
          await new Promise((r) => setImmediate(r));
          if (i === failAt) throw new Error(`page ${i} failed`);
          yield i;
        }
      } finally {
        log.push('source closed');
      }
    })();
  }

  it('starts fetching the next page before the caller has finished with the current one', async () => {
    const log: string[] = [];
    for await (const page of prefetched(source(3, log))) {
      log.push(`work ${page} starts`);
      await new Promise((r) => setImmediate(r));
      log.push(`work ${page} ends`);
    }
    // Page 1 is being fetched while page 0 is worked on: a plain for-await would fetch it after.
    expect(log.indexOf('fetch 1')).toBeLessThan(log.indexOf('work 0 ends'));
    expect(log.indexOf('fetch 2')).toBeLessThan(log.indexOf('work 1 ends'));
    expect(log.filter((l) => l.startsWith('work') && l.endsWith('ends'))).toEqual(['work 0 ends', 'work 1 ends', 'work 2 ends']);
    expect(log.filter((l) => l === 'source closed')).toHaveLength(1);
  });

  it('hands over every page read before a failure, then throws it', async () => {
    const log: string[] = [];
    const got: number[] = [];
    await expect(
      (async () => {
        for await (const page of prefetched(source(5, log, 2))) got.push(page);
      })(),
    ).rejects.toThrow('page 2 failed');
    expect(got).toEqual([0, 1]);
  });

  it('closes the source when the caller stops early, after the page in flight', async () => {
    const log: string[] = [];
    for await (const page of prefetched(source(5, log))) if (page === 1) break;
    expect(log).toContain('fetch 2');
    expect(log).not.toContain('fetch 3');
    expect(log.at(-1)).toBe('source closed');
  });
});

describe('every connector scans through the shared retry and resumes where it is told', () => {
  let sandbox: Sandbox;
  const erpSchema = uniqueSchema('erp_scan');
  const connectors: Partial<Record<SystemId, SourceConnector>> = {};
  const closers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    const databaseUrl = process.env['DATABASE_URL'];
    sandbox = await startSandbox({ customers: 150, seed: 11, ...(databaseUrl ? { databaseUrl, erpSchema } : {}) });
    const settings = readSystemSettings(sandbox.env());
    connectors.stripe = createStripeConnector(createStripeClient(settings.stripe!, { maxNetworkRetries: 0 }));
    const conn = await connectSalesforce(settings.salesforce!);
    connectors.salesforce = createSalesforceConnector(conn);
    connectors.zendesk = createZendeskConnector(createZendeskClient(settings.zendesk!));
    const erp = createErpConnector(createErpPool(settings.erp!), { schema: settings.erp!.schema });
    connectors.erp = erp;
    closers.push(() => erp.close());
  }, 120_000);

  afterAll(async () => {
    for (const c of closers) await c();
    if (process.env['DATABASE_URL']) await sandbox?.erp.pool.query(`DROP SCHEMA IF EXISTS ${erpSchema} CASCADE`);
    await sandbox?.close();
  });

  const faultsOf = (system: SystemId): FaultController =>
    system === 'erp' ? sandbox.erp.proxy.faults : system === 'stripe' ? sandbox.stripe.faults : system === 'zendesk' ? sandbox.zendesk.faults : sandbox.salesforce.faults;

  async function scanAll(system: SystemId, options: ScanOptions): Promise<{ ids: string[]; positions: (string | null)[] }> {
    const ids: string[] = [];
    const positions: (string | null)[] = [];
    for await (const page of connectors[system]!.scanAccounts(options)) {
      ids.push(...page.map((r) => r.id));
      positions.push(page.resumeAfter);
    }
    return { ids, positions };
  }

  for (const system of ['salesforce', 'stripe', 'zendesk', 'erp'] as const) {
    it(`${system}: a page size above the system's maximum is clamped, not refused (the default backfill asks 500)`, async () => {
      faultsOf(system).reset();
      const { ids } = await scanAll(system, { pageSize: 500, clock: fakeClock() });
      expect(ids.length).toBeGreaterThan(50);
    });

    // Salesforce answers its limits with 403 REQUEST_LIMIT_EXCEEDED and no Retry-After: backoff.
    const honoursRetryAfter = system !== 'salesforce';
    it(`${system}: pages refused by a rate limit are retried (after ${honoursRetryAfter ? 'their Retry-After' : 'an exponential backoff'}), and every record arrives`, async () => {
      faultsOf(system).reset();
      const clean = await scanAll(system, { pageSize: 40, clock: fakeClock() });
      const clock = fakeClock();
      const events: ScanRetryEvent[] = [];
      faultsOf(system).set({ rateLimitRate: 0.4, retryAfterSeconds: 7 });
      try {
        const flaky = await scanAll(system, { pageSize: 40, clock, onRetry: (e) => events.push(e), retry: { attempts: 20 } });
        expect(flaky.ids).toEqual(clean.ids);
      } finally {
        faultsOf(system).reset();
      }
      expect(events.length).toBeGreaterThan(0);
      expect(events.every((e) => e.system === system && e.error.code === 'RATE_LIMITED')).toBe(true);
      expect(clock.waits).toEqual(events.map((e) => e.delayMs));
      if (honoursRetryAfter) expect(clock.waits.every((ms) => ms === 7000)).toBe(true);
      else expect(clock.waits.every((ms) => ms >= 500 && ms < 7000)).toBe(true);
    });

    it(`${system}: a scan started at a page's resume position returns exactly the records after that page`, async () => {
      faultsOf(system).reset();
      const all = await scanAll(system, { pageSize: 40, clock: fakeClock() });
      expect(all.positions.length).toBeGreaterThan(2);
      const firstPage = all.ids.slice(0, 40);
      const rest = await scanAll(system, { pageSize: 40, clock: fakeClock(), after: all.positions[0]! });
      expect([...firstPage, ...rest.ids]).toEqual(all.ids);
    });
  }
});

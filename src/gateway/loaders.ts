// DataLoaders built per request: per source for account records, per source and related
// kind for related records, and one for golden records on top. Everything a query asks in
// one tick becomes one batched call per source per kind, all sources in parallel; the same
// key asked twice costs nothing extra.
import type { ChangeJob } from '../sync/queue.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import DataLoader from 'dataloader';
import type { IdentityLink, IdentityStore } from '../identity/links.ts';
import type { CustomerSearch } from '../identity/search.ts';
import type { LiveMatcher } from '../identity/live-matcher.ts';
import type { ReviewItem, ReviewItems } from '../review/items.ts';
import type { GoldenRecordCache } from '../cache/types.ts';
import { ACCOUNT_TYPE, PERSON_IS_ACCOUNT } from '../sources/registry.ts';
import type { SourceRecord, SystemId } from '../domain/records.ts';
import type { GuardedSource } from './guarded-source.ts';
import type { FieldSpec } from '../mapping/index.ts';
import { mergeGoldenRecord, type GoldenRecord } from '../merge/index.ts';
import type { GoldenCustomerPage, ListOptions } from '../identity/links.ts';
import type { Clock } from '../resilience/index.ts';
import { createRequestLimits, UpstreamBudgetError, type RequestLimits } from './request-limits.ts';
import { dataLoaderBatchSize, linkGuesses } from '../observability/metrics.ts';
import { accountRefsOf, sameRefs, type LinkMemo } from './link-memo.ts';
import type { SyncApi } from '../sync/api.ts';

/** What the gateway caches per customer: the merged record and the links it was built from. */
export interface CachedGolden {
  record: GoldenRecord;
  links: IdentityLink[];
  computedAt: string;
}

export interface GoldenView extends CachedGolden {
  /** Systems that failed while building this record: their fields are unavailable. */
  missing: Map<SystemId, Error>;
  /** Linked account records their system answered NOT_FOUND for (deleted there, or a world that is gone). */
  notFound: { system: SystemId; externalId: string }[];
  fromCache: boolean;
}

export interface GatewayServices {
  sources: Partial<Record<SystemId, GuardedSource>>;
  identity: IdentityStore;
  search: CustomerSearch;
  /** Matches records that change or appear (webhooks) against existing customers; absent = links are made by backfills only. */
  liveMatcher?: LiveMatcher;
  reviews: ReviewItems;
  /** reviewQueueChanged: review items as they change, from every process on this pub/sub (src/review/events.ts). Absent: not offered. */
  reviewChanges?: () => Promise<AsyncIterableIterator<ReviewItem>>;
  cache: GoldenRecordCache<CachedGolden>;
  spec: FieldSpec;
  defaultRegion: string;
  now: () => Date;
  /** Two-way sync's API: updateCustomer, syncCustomer, syncOverview, subscriptions (src/sync/api.ts). */
  sync?: SyncApi;
  /** Per request: each system's deadline (MERIDIAN_SOURCE_TIMEOUT_MS) and the lookup budget (MERIDIAN_REQUEST_UPSTREAM_BUDGET). */
  limits?: { timeoutMs: number; budget: number; clock?: Clock };
  /**
   * The account records each customer was last seen linked to (MERIDIAN_LINK_MEMO): a build
   * starts reading them while Postgres is asked for the current links. Absent: it waits for Postgres first.
   */
  linkMemo?: LinkMemo;
  /** Queues a record for the sync worker (link-on-read: a query never links, it asks the worker to). Absent: nothing is queued. */
  enqueueChange?: (change: ChangeJob) => Promise<void>;
}

export interface RequestLoaders {
  golden: DataLoader<string, GoldenView | null>;
  /**
   * The golden views this request has already loaded and checked (customer.ts goldenView), by
   * the id asked: every other field of that customer reads its view at once, without a promise.
   */
  views: Map<string, GoldenView>;
  account(system: SystemId): DataLoader<string, SourceRecord | null> | null;
  related(system: SystemId, kind: string): DataLoader<string, unknown[]> | null;
  /** Keyed by sourceKey(system, externalId). */
  goldenIdOf: DataLoader<string, string | null>;
  personAccount(system: SystemId): DataLoader<string, string | null> | null;
  /** A page of golden customers, read once per request whatever the number of aliases asking for it. */
  customerPage(options: ListOptions): Promise<GoldenCustomerPage>;
  /** This request's deadlines and lookup budget. */
  limits: RequestLimits;
}


/** How often a replica that did not claim a build looks for the value another replica is building. */
const CLAIM_POLL_MS = 25;

/**
 * Golden-record builds in flight in this process, shared by every request: a second request
 * for a record being built waits for that build instead of reading every system again.
 */
const flightsByServices = new WeakMap<GatewayServices, Map<string, Promise<GoldenView | null>>>();

/** A view built while this request's budget ran out is that request's problem only: others build their own. */
const spentBudget = (v: GoldenView | null): boolean => v !== null && [...v.missing.values()].some((e) => e instanceof UpstreamBudgetError);

/** A cached record as a view: only complete records are cached, so nothing is missing. */
export const viewOfCached = (hit: CachedGolden): GoldenView => ({ ...hit, missing: new Map<SystemId, Error>(), notFound: [], fromCache: true });
const fromCache = viewOfCached;

/** Linked to records, yet not one of them could be read: every system answered NOT_FOUND. */
export function unreadable(view: GoldenView): boolean {
  return view.notFound.length > 0 && view.missing.size === 0 && view.record.sources.length === 0;
}

export const sourceKey = (system: SystemId, id: string): string => `${system}\u0000${id}`;

/**
 * The request's loaders, built on first use: a request answered from records this process holds
 * (customer.ts reads the near copy) needs none of them, and building them is a dozen closures,
 * Maps and DataLoaders per request.
 */
class Loaders implements RequestLoaders {
  readonly views = new Map<string, GoldenView>();
  readonly #services: GatewayServices;
  #built: Omit<RequestLoaders, 'views'> | undefined;
  constructor(services: GatewayServices) {
    this.#services = services;
  }
  get #loaders(): Omit<RequestLoaders, 'views'> {
    return (this.#built ??= buildLoaders(this.#services));
  }
  get golden(): RequestLoaders['golden'] {
    return this.#loaders.golden;
  }
  get goldenIdOf(): RequestLoaders['goldenIdOf'] {
    return this.#loaders.goldenIdOf;
  }
  get limits(): RequestLimits {
    return this.#loaders.limits;
  }
  account(system: SystemId): DataLoader<string, SourceRecord | null> | null {
    return this.#loaders.account(system);
  }
  related(system: SystemId, kind: string): DataLoader<string, unknown[]> | null {
    return this.#loaders.related(system, kind);
  }
  personAccount(system: SystemId): DataLoader<string, string | null> | null {
    return this.#loaders.personAccount(system);
  }
  customerPage(options: ListOptions): Promise<GoldenCustomerPage> {
    return this.#loaders.customerPage(options);
  }
}

export function createLoaders(services: GatewayServices): RequestLoaders {
  return new Loaders(services);
}

function buildLoaders(services: GatewayServices): Omit<RequestLoaders, 'views'> {
  const limits = createRequestLimits(services.limits ?? { timeoutMs: 2_000 });
  let flights = flightsByServices.get(services);
  if (!flights) flightsByServices.set(services, (flights = new Map<string, Promise<GoldenView | null>>()));
  const inFlight = flights;
  // One loader per (source, kind) and request, made on first use; null for a system that is not configured.
  const made = new Map<string, DataLoader<string, unknown>>();
  const perSource = <V>(system: SystemId, kind: string, batch: (source: GuardedSource, ids: readonly string[]) => Promise<(V | Error)[]>): DataLoader<string, V> | null => {
    const source = services.sources[system];
    if (!source) return null;
    const key = `${system}:${kind}`;
    let loader = made.get(key) as DataLoader<string, V> | undefined;
    if (!loader) {
      const name = `${system}.${kind.replace(/^#/, '')}`;
      loader = new DataLoader<string, V>(
        (ids) => {
          dataLoaderBatchSize.observe({ loader: name }, ids.length);
          return batch(source, ids);
        },
        { maxBatchSize: 1000 },
      );
      made.set(key, loader);
    }
    return loader;
  };
  const account = (system: SystemId): DataLoader<string, SourceRecord | null> | null => perSource(system, '#accounts', (s, ids) => s.loadAccounts(ids, limits));
  const related = (system: SystemId, kind: string): DataLoader<string, unknown[]> | null => perSource(system, kind, (s, ids) => s.loadRelated(kind, ids, limits));
  // Where a person is the account, the account read answers both questions: one call, not two.
  const personAccount = (system: SystemId): DataLoader<string, string | null> | null =>
    PERSON_IS_ACCOUNT.has(system)
      ? perSource(system, '#people', async (_s, ids) => (await account(system)!.loadMany(ids)).map((r, i) => (r instanceof Error ? r : r ? ids[i]! : null)))
      : perSource(system, '#people', (s, ids) => s.accountOfPerson(ids, limits));

  // The same page asked by many aliases is read once; each alias still costs its customers from
  // the budget, since each serves (and may build) every one of them again in the answer.
  const pages = new Map<string, Promise<GoldenCustomerPage>>();
  const customerPage = async (options: ListOptions): Promise<GoldenCustomerPage> => {
    const key = JSON.stringify([options.first, options.after ?? null, options.system ?? null]);
    let page = pages.get(key);
    if (!page) pages.set(key, (page = services.identity.list(options)));
    const read = await page;
    if (!limits.take(read.edges.length)) throw new UpstreamBudgetError(null, limits.budget);
    return read;
  };

  // Made on first use: most requests (a customer whose golden record is cached) need neither.
  let linksLoader: DataLoader<string, IdentityLink[]> | undefined;
  const links = (): DataLoader<string, IdentityLink[]> =>
    (linksLoader ??= new DataLoader<string, IdentityLink[]>((ids) => {
      dataLoaderBatchSize.observe({ loader: 'identity.links' }, ids.length);
      return services.identity.linksFor(ids);
    }));
  let goldenIdOfLoader: DataLoader<string, string | null> | undefined;
  const goldenIdOf = (): DataLoader<string, string | null> => (goldenIdOfLoader ??= new DataLoader<string, string | null>((keys) => {
    dataLoaderBatchSize.observe({ loader: 'identity.goldenIdOf' }, keys.length);
    return services.identity.goldenIdsFor(
      keys.map((k) => {
        const [system, externalId] = k.split('\u0000') as [SystemId, string];
        return { system, externalId, recordType: ACCOUNT_TYPE[system] };
      }),
    );
  }));

  const build = async (id: string, own: IdentityLink[]): Promise<GoldenView> => {
    const accountLinks = own.filter((l) => l.recordType === ACCOUNT_TYPE[l.system]);
    const missing = new Map<SystemId, Error>();
    const notFound: GoldenView['notFound'] = [];
    const records: SourceRecord[] = [];
    await Promise.all(
      accountLinks.map(async (l) => {
        const loader = account(l.system);
        if (!loader) return; // system not configured: absent from the graph
        try {
          const r = await loader.load(l.externalId);
          if (r) records.push(r);
          else notFound.push({ system: l.system, externalId: l.externalId });
        } catch (e) {
          missing.set(l.system, e instanceof Error ? e : new Error(String(e)));
        }
      }),
    );
    // Deterministic candidate order whatever order the sources answered in.
    records.sort((a, b) => (a.system === b.system ? a.id.localeCompare(b.id) : a.system.localeCompare(b.system)));
    const record = mergeGoldenRecord(id, records, services.spec, { defaultRegion: services.defaultRegion });
    return { record, links: own, computedAt: services.now().toISOString(), missing, notFound, fromCache: false };
  };

  /**
   * Builds one golden record from its links (no cache involved); null for an id no link names.
   * The records the link memo remembers for the id are asked for at once, beside the links: the
   * build below loads the records the links name from the same loaders, so a right guess has
   * them in flight already, and a wrong one only read records the build does not use.
   */
  const buildOne = async (id: string): Promise<GoldenView | null> => {
    const memo = services.linkMemo;
    const current = links().load(id);
    const guess = memo?.guess(id);
    if (guess) for (const r of guess) account(r.system)?.load(r.externalId).catch(() => undefined); // its failure reaches the build that uses it
    const own = await current;
    const survivor = own[0]?.goldenId;
    if (memo) {
      if (survivor === id) {
        const refs = accountRefsOf(own);
        linkGuesses.inc({ outcome: guess === undefined ? 'none' : sameRefs(guess, refs) ? 'right' : 'wrong' });
        memo.remember(id, refs);
      } else {
        if (guess !== undefined) linkGuesses.inc({ outcome: 'wrong' });
        memo.forget(id);
      }
    }
    if (!survivor) return null;
    if (survivor !== id) return golden().load(survivor);
    return build(id, own);
  };

  const store = async (views: readonly (GoldenView | null)[], ids: readonly string[]): Promise<void> => {
    // Only complete answers are cached: a record built without a failed source must not be served
    // later as if whole, and one with no readable record at all is an error, not a record.
    const complete = views.filter(
      (v, i): v is GoldenView => v !== null && !v.fromCache && v.missing.size === 0 && !unreadable(v) && v.record.id === ids[i],
    );
    if (complete.length > 0) {
      await services.cache.set(complete.map((v) => ({ id: v.record.id, value: { record: v.record, links: v.links, computedAt: v.computedAt } })));
    }
  };

  /**
   * Builds records no one in this process is building. Across replicas, each id is claimed in
   * the shared cache first: a replica that holds the claim builds, stores, then releases it;
   * the others poll — the cache for the value, then the claim for what is still missing, so a
   * build that ended without storing (a system failed: partial records are not cached) or a
   * replica that died lets the next one build at once, or when the claim expires. Past the
   * claim's lifetime everything still missing is built here (a wait, never a stall).
   * `views`: the records, as soon as they are built; `stored`: when they are also stored and
   * their claims released (the caller answers without waiting for the cache's write).
   */
  const coalesced = (ids: readonly string[]): { views: Promise<(GoldenView | null)[]>; stored: Promise<void> } => {
    const out = new Map<string, GoldenView | null>();
    const claimMs = limits.timeoutMs + 1_000;
    const claim = (some: readonly string[]): Promise<boolean[]> => (services.cache.claim ? services.cache.claim(some, claimMs) : Promise.resolve(some.map(() => true)));
    const builds: Promise<void>[] = [];
    const stores: Promise<void>[] = [];
    const release = async (some: readonly string[], claimed: boolean): Promise<void> => {
      if (claimed) await services.cache.release?.(some);
    };
    const buildHere = (some: readonly string[], claimed: boolean): void => {
      if (some.length === 0) return;
      const build = (async () => {
        let views: (GoldenView | null)[];
        try {
          views = await Promise.all(some.map(buildOne));
        } catch (e) {
          await release(some, claimed);
          throw e;
        }
        some.forEach((id, i) => out.set(id, views[i]!));
        // The claim is released once the value is stored: a replica polling finds it then.
        // Stored after this turn of the event loop: the caller answers first (storing copies
        // the record as JSON, synchronously, in front of every cache; the answer need not wait).
        const stored = (async () => {
          try {
            await new Promise<void>((resolve) => setImmediate(resolve));
            await store(views, some);
          } finally {
            await release(some, claimed);
          }
        })();
        stored.catch(() => undefined); // the cache reports its own failures
        stores.push(stored);
      })();
      // Awaited below, after the polling: handled now so a failure meanwhile is not "unhandled".
      build.catch(() => undefined);
      builds.push(build);
    };
    const views = (async () => {
      const until = Date.now() + claimMs;
      let waiting = [...ids];
      for (let round = 0; waiting.length > 0; round++) {
        if (round > 0) {
          if (Date.now() >= until) {
            buildHere(waiting, false);
            break;
          }
          await sleep(CLAIM_POLL_MS);
          // The value first, the claim second: a builder stores before it releases.
          const got = await services.cache.get(waiting);
          waiting.forEach((id, i) => {
            const hit = got[i];
            if (hit) out.set(id, fromCache(hit));
          });
          waiting = waiting.filter((id) => !out.has(id));
          if (waiting.length === 0) break;
        }
        const claims = await claim(waiting);
        buildHere(waiting.filter((_, i) => claims[i]), true);
        waiting = waiting.filter((_, i) => !claims[i]);
      }
      await Promise.all(builds);
      return ids.map((id) => out.get(id) ?? null);
    })();
    // Settled when every build has ended and every built value is stored (or failed to be).
    const stored = views
      .catch(() => undefined)
      .then(() => Promise.allSettled(builds))
      .then(() => Promise.all(stores))
      .then(() => undefined);
    return { views, stored };
  };

  // Cache first: a cached golden record is live by construction (merges and splits invalidate
  // the ids they touch), so the hot path never touches Postgres. A miss joins the build already
  // in flight for that id in this process, or starts one; a build loads the links in one query;
  // they name the surviving golden id, so a retired id answers as its survivor.
  // Made on first use: a customer whose record this process holds is read without it (customer.ts).
  let goldenLoader: DataLoader<string, GoldenView | null> | undefined;
  const golden = (): DataLoader<string, GoldenView | null> => (goldenLoader ??= new DataLoader<string, GoldenView | null>(async (ids) => {
    dataLoaderBatchSize.observe({ loader: 'golden' }, ids.length);
    const join = (id: string): Promise<GoldenView | null> => inFlight.get(id)!.then((v) => (spentBudget(v) ? buildOne(id) : v));
    const joined = new Map<string, Promise<GoldenView | null>>();
    for (const id of ids) if (inFlight.has(id)) joined.set(id, join(id));
    const rest = ids.filter((id) => !joined.has(id));
    const cached = await services.cache.get(rest);
    const result = new Map<string, Promise<GoldenView | null>>(joined);
    const misses: string[] = [];
    rest.forEach((id, i) => {
      const hit = cached[i];
      if (hit) result.set(id, Promise.resolve(fromCache(hit)));
      else if (inFlight.has(id)) result.set(id, join(id)); // started while we read the cache
      else misses.push(id);
    });
    if (misses.length > 0) {
      const batch = coalesced(misses);
      const started = misses.map((_, i) => batch.views.then((views) => views[i]!));
      misses.forEach((id, i) => {
        inFlight.set(id, started[i]!);
        result.set(id, started[i]!);
      });
      // Listed until the values are stored (not only built), so a request arriving meanwhile
      // joins the flight instead of missing the cache and building again.
      batch.stored
        .finally(() => misses.forEach((id, i) => {
          if (inFlight.get(id) === started[i]) inFlight.delete(id);
        }))
        .catch(() => undefined); // the failure reaches each caller through its flight
    }
    return Promise.all(ids.map((id) => result.get(id)!.catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))))));
  }));

  // Each made once, when first asked for (Loaders reads these properties on every use).
  return {
    get golden() {
      return golden();
    },
    account,
    related,
    get goldenIdOf() {
      return goldenIdOf();
    },
    personAccount,
    customerPage,
    limits,
  };
}


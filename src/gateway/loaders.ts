// DataLoaders built per request: per source for account records, per source and related
// kind for related records, and one for golden records on top. Everything a query asks in
// one tick becomes one batched call per source per kind, all sources in parallel; the same
// key asked twice costs nothing extra.
import DataLoader from 'dataloader';
import type { IdentityLink, IdentityStore } from '../identity/links.ts';
import type { CustomerSearch } from '../identity/search.ts';
import type { LiveMatcher } from '../identity/live-matcher.ts';
import type { ReviewItems } from '../review/items.ts';
import type { GoldenRecordCache } from '../cache/types.ts';
import { ACCOUNT_TYPE, type SourceRecord, type SystemId } from '../sources/types.ts';
import type { GuardedSource } from './guarded-source.ts';
import type { FieldSpec } from '../mapping/index.ts';
import { mergeGoldenRecord, type GoldenRecord } from '../merge/index.ts';

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
  cache: GoldenRecordCache<CachedGolden>;
  spec: FieldSpec;
  defaultRegion: string;
  now: () => Date;
}

export interface RequestLoaders {
  golden: DataLoader<string, GoldenView | null>;
  account(system: SystemId): DataLoader<string, SourceRecord | null> | null;
  related(system: SystemId, kind: string): DataLoader<string, unknown[]> | null;
  /** Keyed by sourceKey(system, externalId). */
  goldenIdOf: DataLoader<string, string | null>;
  personAccount(system: SystemId): DataLoader<string, string | null> | null;
}

/** Linked to records, yet not one of them could be read: every system answered NOT_FOUND. */
export function unreadable(view: GoldenView): boolean {
  return view.notFound.length > 0 && view.missing.size === 0 && view.record.sources.length === 0;
}

export const sourceKey = (system: SystemId, id: string): string => `${system}\u0000${id}`;

export function createLoaders(services: GatewayServices): RequestLoaders {
  // One loader per (source, kind) and request, made on first use; null for a system that is not configured.
  const made = new Map<string, DataLoader<string, unknown>>();
  const perSource = <V>(system: SystemId, kind: string, batch: (source: GuardedSource, ids: readonly string[]) => Promise<(V | Error)[]>): DataLoader<string, V> | null => {
    const source = services.sources[system];
    if (!source) return null;
    const key = `${system}:${kind}`;
    let loader = made.get(key) as DataLoader<string, V> | undefined;
    if (!loader) {
      loader = new DataLoader<string, V>((ids) => batch(source, ids), { maxBatchSize: 1000 });
      made.set(key, loader);
    }
    return loader;
  };
  const account = (system: SystemId): DataLoader<string, SourceRecord | null> | null => perSource(system, '#accounts', (s, ids) => s.loadAccounts(ids));
  const related = (system: SystemId, kind: string): DataLoader<string, unknown[]> | null => perSource(system, kind, (s, ids) => s.loadRelated(kind, ids));
  const personAccount = (system: SystemId): DataLoader<string, string | null> | null => perSource(system, '#people', (s, ids) => s.accountOfPerson(ids));

  const links = new DataLoader<string, IdentityLink[]>((ids) => services.identity.linksFor(ids));
  const goldenIdOf = new DataLoader<string, string | null>((keys) =>
    services.identity.goldenIdsFor(
      keys.map((k) => {
        const [system, externalId] = k.split('\u0000') as [SystemId, string];
        return { system, externalId, recordType: ACCOUNT_TYPE[system] };
      }),
    ),
  );

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

  // Cache first: a cached golden record is live by construction (merges and splits invalidate
  // the ids they touch), so the hot path never touches Postgres. A miss loads the links in one
  // query; they name the surviving golden id, so a retired id answers as its survivor.
  const golden: DataLoader<string, GoldenView | null> = new DataLoader(async (ids) => {
    const cached = await services.cache.get(ids);
    const views = await Promise.all(
      ids.map(async (id, i): Promise<GoldenView | null> => {
        const hit = cached[i];
        if (hit) return { ...hit, missing: new Map<SystemId, Error>(), notFound: [], fromCache: true };
        const own = await links.load(id);
        const survivor = own[0]?.goldenId;
        if (!survivor) return null;
        if (survivor !== id) return golden.load(survivor);
        return build(id, own);
      }),
    );
    // Only complete answers are cached: a record built without a failed source must not be served
    // later as if whole, and one with no readable record at all is an error, not a record.
    const complete = views.filter(
      (v, i): v is GoldenView => v !== null && !v.fromCache && v.missing.size === 0 && !unreadable(v) && v.record.id === ids[i],
    );
    if (complete.length > 0) {
      await services.cache.set(complete.map((v) => ({ id: v.record.id, value: { record: v.record, links: v.links, computedAt: v.computedAt } })));
    }
    return views;
  });

  return {
    golden,
    account,
    related,
    goldenIdOf,
    personAccount,
  };
}


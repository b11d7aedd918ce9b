// The registry: the one list of the systems Meridian connects to. Everything that differs per
// system is in that system's folder (src/sources/<system>/, its descriptor in system.ts);
// everything else is derived from this list and from the field spec. Adding a system is its
// folder plus its line here (docs/sources/adding-a-system.md). Reading the registry loads no
// SDK: a descriptor loads its connector only when `create` is called.
import type { CustomerCollections } from '../domain/records.ts';
import type { KindsOf, SettingsOf, SystemDescriptor } from './contract.ts';
import { salesforceSystem } from './salesforce/system.ts';
import { stripeSystem } from './stripe/system.ts';
import { zendeskSystem } from './zendesk/system.ts';
import { erpSystem } from './erp/system.ts';

/** Every system, in the order the merge breaks ties and reports list them. */
const DESCRIPTORS = [salesforceSystem, stripeSystem, zendeskSystem, erpSystem] as const;

type Descriptors = (typeof DESCRIPTORS)[number];
export type SystemId = Descriptors['id'];
export type DescriptorOf<S extends SystemId> = Extract<Descriptors, { id: S }>;

export const SYSTEM_IDS: readonly SystemId[] = DESCRIPTORS.map((d) => d.id);

/** Related kinds per system, with the record type each yields. */
export type RelatedKinds = { [S in SystemId]: KindsOf<DescriptorOf<S>> };

/** Each system's settings, null when it is not configured. */
export type SystemSettings = { [S in SystemId]: SettingsOf<DescriptorOf<S>> | null };

const BY_ID = new Map<string, Descriptors>(DESCRIPTORS.map((d) => [d.id, d]));

/** The descriptor of a system. */
export function systemDescriptor<S extends SystemId>(system: S): DescriptorOf<S> {
  return BY_ID.get(system) as DescriptorOf<S>;
}

/** Every descriptor, in registry order (widened: for code that treats all systems alike). */
export const SYSTEM_DESCRIPTORS: readonly SystemDescriptor<SystemId, unknown, unknown>[] = DESCRIPTORS;

/** The system a name denotes (a webhook path, a CLI argument), or null. */
export function systemNamed(name: string): SystemId | null {
  return BY_ID.has(name) ? (name as SystemId) : null;
}

const perSystem = <T>(f: (d: SystemDescriptor<SystemId, unknown, unknown>) => T): Readonly<Record<SystemId, T>> =>
  Object.fromEntries(SYSTEM_DESCRIPTORS.map((d) => [d.id, f(d)])) as Record<SystemId, T>;

/** The account-level record type of each system (what a golden customer links to). */
export const ACCOUNT_TYPE: Readonly<Record<SystemId, string>> = perSystem((d) => d.kinds.account);

/**
 * The most records one upstream page may hold, per system (its descriptor's maxScanPageSize:
 * Stripe's `limit` and Zendesk's `page[size]` stop at 100, Salesforce's batchSize at 2,000; the
 * ERP is our own SQL, a bound on memory).
 */
export const MAX_SCAN_PAGE_SIZE: Readonly<Record<SystemId, number>> = perSystem((d) => d.maxScanPageSize);

/** Systems where a person's record is the account record itself (a Stripe customer). */
export const PERSON_IS_ACCOUNT: ReadonlySet<SystemId> = new Set(SYSTEM_DESCRIPTORS.filter((d) => d.kinds.personIsAccount).map((d) => d.id));

/**
 * Systems Meridian may write (their descriptor declares `capabilities.write`, and their opened
 * system a `writer`); every other one is read-only and is never written.
 */
export const WRITABLE: ReadonlySet<SystemId> = new Set(SYSTEM_DESCRIPTORS.filter((d) => d.capabilities.write !== undefined).map((d) => d.id));

/** The GraphQL `System` enum value of a system (its id upper-cased). */
export type SystemEnum = Uppercase<SystemId>;
export const systemEnum = (s: SystemId): SystemEnum => s.toUpperCase() as SystemEnum;

/** The system an enum value names, or null. */
export function systemOfEnum(value: string): SystemId | null {
  return value === value.toUpperCase() ? systemNamed(value.toLowerCase()) : null;
}

/** Which related kind of which system fills a customer's collection (e.g. contacts: Salesforce contacts and Zendesk users). */
export function sourcesOf(collection: keyof CustomerCollections): { system: SystemId; kind: string }[] {
  return SYSTEM_DESCRIPTORS.flatMap((d) =>
    Object.entries(d.kinds.related as Record<string, keyof CustomerCollections>)
      .filter(([, c]) => c === collection)
      .map(([kind]) => ({ system: d.id, kind })),
  );
}

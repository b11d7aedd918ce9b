// What Meridian may do with each system beyond reading it, as its descriptor declares
// (src/sources/<system>/system.ts, capabilities). A system with no safe, documented write API
// declares no `write` and is read-only, enforced in code: the field spec refuses a write target
// there (src/mapping/spec.ts) and routeUpdate answers READ_ONLY_SYSTEM (src/sync/route.ts).
import { SYSTEM_DESCRIPTORS, WRITABLE, type SystemId } from './registry.ts';

export type SystemAccess = 'read-write' | 'read-only';

export const SYSTEM_ACCESS: Readonly<Record<SystemId, SystemAccess>> = Object.fromEntries(
  SYSTEM_DESCRIPTORS.map((d) => [d.id, WRITABLE.has(d.id) ? 'read-write' : 'read-only']),
) as Record<SystemId, SystemAccess>;

export const isWritableSystem = (system: SystemId): boolean => WRITABLE.has(system);

/**
 * Whether a system's records carry the time they were last modified. Stripe customers do not
 * (SourceRecord.updatedAt is their creation): the decider dates a changed value by when it first
 * saw it (src/sync/observed.ts), so a change made there wins a "most recent" field as it should.
 */
export const KEEPS_MODIFIED_TIME: Readonly<Record<SystemId, boolean>> = Object.fromEntries(
  SYSTEM_DESCRIPTORS.map((d) => [d.id, d.capabilities.modifiedTime !== false]),
) as Record<SystemId, boolean>;

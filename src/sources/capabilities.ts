// What Meridian may do with each system, beyond reading it. A system with no safe, documented
// write API is read-only, enforced in code: the field spec refuses a write target there
// (src/mapping/spec.ts) and routeUpdate answers READ_ONLY_SYSTEM (src/sync/route.ts).
// When connectors become descriptors (issue #10 Part 1) this is each descriptor's `write` slot.
import type { SystemId } from './types.ts';

export type SystemAccess = 'read-write' | 'read-only';

export const SYSTEM_ACCESS: Readonly<Record<SystemId, SystemAccess>> = {
  salesforce: 'read-write',
  stripe: 'read-write',
  zendesk: 'read-write',
  // The ERP is read through a read-only connection (src/sources/erp/read-only.ts); its owners
  // change it through their own application, never through Meridian.
  erp: 'read-only',
};

export const isWritableSystem = (system: SystemId): boolean => SYSTEM_ACCESS[system] === 'read-write';

/**
 * Whether a system's records carry the time they were last modified. Stripe customers do not
 * (SourceRecord.updatedAt is their creation): the decider dates a changed value by when it first
 * saw it (src/sync/observed.ts), so a change made there wins a "most recent" field as it should.
 */
export const KEEPS_MODIFIED_TIME: Readonly<Record<SystemId, boolean>> = {
  salesforce: true,
  stripe: false,
  zendesk: true,
  erp: true,
};

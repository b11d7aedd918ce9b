// Which role holds which access class: the whole role policy in one table (docs/access.md,
// "Roles"). A role reads a field, sets an input field or calls an operation only when it holds
// the class declared for it; a principal without a role holds nothing and is refused at the root.
import { ACCESS_CLASSES, type AccessClass } from './classes.ts';
import { ROLES, type Role } from './principal.ts';

export const GRANTS: Readonly<Record<Role, readonly AccessClass[]>> = {
  /** Everything. */
  admin: ACCESS_CLASSES,
  /** Data stewards: decide who is who (merge, split, review decisions, linking); contact data to tell people apart; no money. */
  steward: ['CONTACT', 'REVIEW', 'STEWARDSHIP', 'LINKING'],
  /** Approvers: financial fields and the escalations about them; the review queue to find them; no identity decisions. */
  approver: ['CONTACT', 'FINANCIAL', 'REVIEW'],
  /** Support agents: contact data and support history; no payment or financial details. */
  agent: ['CONTACT', 'SUPPORT'],
  /** The non-sensitive graph only: names, companies, domains, lifecycle, owners, sources, lineage of those fields. */
  reader: [],
  /**
   * Machine clients (integrations, exports): every customer data class, and linkSourceRecord (a
   * machine's "this record changed", as a notification would say), and the operational state
   * (syncOverview, as /metrics); no person's decisions (merge, split, review) and no review queue.
   */
  service: ['CONTACT', 'SUPPORT', 'FINANCIAL', 'LINKING', 'OPERATIONS'],
};

const BIT: Readonly<Record<AccessClass, number>> = Object.fromEntries(ACCESS_CLASSES.map((c, i) => [c, 1 << i])) as Record<AccessClass, number>;
// One integer per role, so the check on a guarded field is a lookup and an AND.
const MASK: ReadonlyMap<Role, number> = new Map(ROLES.map((r) => [r, GRANTS[r].reduce((m, c) => m | BIT[c], 0)]));

const EVERY_CLASS = ACCESS_CLASSES.reduce((m, c) => m | BIT[c], 0);

/**
 * Whether `role` holds every access class (admin): every check of the access rules passes for it,
 * so its operations may run on the schema without them (server/fast-path.ts).
 */
export function holdsEveryClass(role: Role | null): boolean {
  return role !== null && MASK.get(role) === EVERY_CLASS;
}

/** Whether `role` holds every class of `classes`; a null role holds none (not even of an empty set: it is refused at the root). */
export function holdsAll(role: Role | null, classes: Iterable<AccessClass>): boolean {
  if (role === null) return false;
  for (const c of classes) if (!holds(role, c)) return false;
  return true;
}

/** Whether `role` holds `cls`; a null role (authenticated as nobody) holds nothing. */
export function holds(role: Role | null, cls: AccessClass): boolean {
  return role !== null && ((MASK.get(role) ?? 0) & BIT[cls]) !== 0;
}

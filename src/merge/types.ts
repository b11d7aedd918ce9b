// The golden record and its lineage: the public shapes the resolvers turn into GraphQL
// (FieldLineage, Candidate, Conflict in schema/customer.graphql).
import type { SystemId } from '../domain/records.ts';

/** What one system's record says about a field. */
export interface Candidate {
  system: SystemId;
  externalId: string;
  /** The path(s) read, e.g. "Contacts[0].Email" or "address_line1,city,postal_code". */
  sourceField: string;
  /** The value as the system holds it. */
  rawValue: unknown;
  /** The canonical value, as compared (null when the raw value did not normalize). */
  value: unknown;
  updatedAt: string | null;
  chosen: boolean;
}

export interface Conflict {
  field: string;
  /** STALE: every losing value is older than the winner (recency settles it). GENUINE: a person should decide. */
  kind: 'STALE' | 'GENUINE';
  /** Every candidate with a canonical value, the chosen one included. */
  values: Candidate[];
}

export interface FieldLineage {
  field: string;
  value: unknown;
  source: SystemId | null;
  sourceField: string | null;
  updatedAt: string | null;
  /** 'PRIORITY' | 'SOURCE_OF_TRUTH' | 'MOST_RECENT' | a named rule's name. */
  rule: string;
  candidates: Candidate[];
  conflict: Conflict | null;
}

export interface GoldenRecord {
  id: string;
  /** Canonical field → value (null when no source says anything). */
  fields: Record<string, unknown>;
  /** One entry per field of the spec, in spec order. */
  lineage: FieldLineage[];
  conflicts: Conflict[];
  sources: { system: SystemId; type: string; externalId: string; updatedAt: string; deleted: boolean }[];
}

export interface MergeOptions {
  /** Region for phone numbers when neither the record nor the customer has an address country (default 'US'). */
  defaultRegion?: string;
}

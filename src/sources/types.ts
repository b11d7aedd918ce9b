// The contract between the systems and the rest of Meridian. Each src/sources/<system>/
// folder implements SourceConnector; the gateway's DataLoaders, the backfill and the merge
// only ever see these types.
import type { ScanOptions, ScanPage } from './scan.ts';

export type SystemId = 'salesforce' | 'stripe' | 'zendesk' | 'erp';
export const SYSTEMS: readonly SystemId[] = ['salesforce', 'stripe', 'zendesk', 'erp'];

/** GraphQL's `System` enum value for a system. */
export const systemEnum = (s: SystemId): 'SALESFORCE' | 'STRIPE' | 'ZENDESK' | 'ERP' =>
  s.toUpperCase() as 'SALESFORCE' | 'STRIPE' | 'ZENDESK' | 'ERP';

/** The account-level record type of each system (what a golden customer links to). */
export const ACCOUNT_TYPE: Readonly<Record<SystemId, string>> = {
  salesforce: 'Account',
  stripe: 'customer',
  zendesk: 'organization',
  erp: 'erp_customer',
};

/**
 * One account-level record as its system holds it, plus values the connector derives from
 * the record's own related records where the system keeps a customer field there (e.g. the
 * Salesforce primary contact's email). The merge reads `data` through the field spec's paths.
 */
export interface SourceRecord {
  system: SystemId;
  type: string;
  id: string;
  /** When the system last changed this record (ISO-8601 UTC). */
  updatedAt: string;
  /** The record's fields as the API/DB returns them, plus documented derived fields. */
  data: Record<string, unknown>;
  /** Ids of other systems' records this one names (cross-references), for identity linking. */
  xrefs: { system: SystemId; id: string; field: string }[];
  /** Emails of the people on this record (billing email, contacts), lower-cased, for linking. */
  emails: string[];
  /** Record was deleted/merged away in its system (still readable, e.g. SF recycle bin). */
  deleted: boolean;
}

export interface Money {
  /** Decimal string in currency units: "45000.00". */
  amount: string;
  minorUnits: number;
  currency: string;
}

export interface PersonRecord {
  system: SystemId;
  type: string; // 'Contact' | 'user' | 'customer'
  id: string;
  accountId: string | null;
  name: string | null;
  email: string | null;
  phone: string | null;
  title: string | null;
  updatedAt: string;
  /** Records of other systems this one says are the same person (a Zendesk user's external_id naming a Salesforce Contact). */
  sameAs?: { system: SystemId; id: string; field: string }[];
}

export interface OpportunityRecord {
  id: string;
  name: string;
  stage: string;
  amount: Money | null;
  closeDate: string | null;
  isClosed: boolean;
  isWon: boolean;
  ownerName: string | null;
  ownerEmail: string | null;
}

export interface TicketRecord {
  id: string;
  subject: string;
  status: string;
  priority: string | null;
  requesterId: string | null;
  satisfaction: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface SatisfactionRatingRecord {
  id: string;
  score: string;
  comment: string | null;
  ticketId: string;
  createdAt: string;
}

export interface SubscriptionRecord {
  id: string;
  status: string;
  amount: Money | null;
  interval: string | null;
  currentPeriodEnd: string | null;
  cancelAtPeriodEnd: boolean;
}

export interface InvoiceRecord {
  id: string;
  system: SystemId;
  number: string | null;
  status: string;
  amount: Money;
  amountPaid: Money | null;
  issuedAt: string | null;
  dueAt: string | null;
}

export interface ChargeRecord {
  id: string;
  status: string;
  amount: Money;
  paid: boolean;
  failureMessage: string | null;
  createdAt: string;
}

export interface ContractRecord {
  id: string;
  number: string;
  status: string;
  totalValue: Money;
  startDate: string;
  endDate: string | null;
}

export interface PaymentRecord {
  id: string;
  system: SystemId;
  amount: Money;
  method: string | null;
  paidAt: string;
  invoiceId: string | null;
}

/** Related kinds per system, with the record type each yields. */
export interface RelatedKinds {
  salesforce: { contacts: PersonRecord; opportunities: OpportunityRecord };
  zendesk: { users: PersonRecord; tickets: TicketRecord; satisfactionRatings: SatisfactionRatingRecord };
  stripe: { subscriptions: SubscriptionRecord; invoices: InvoiceRecord; charges: ChargeRecord };
  erp: { contracts: ContractRecord; invoices: InvoiceRecord; payments: PaymentRecord };
}

/**
 * Batch functions follow the DataLoader contract: one result per key, in key order; `null`
 * for a key that names nothing; an Error for a key that failed (one bad key fails alone).
 */
export interface SourceConnector<S extends SystemId = SystemId> {
  readonly system: S;
  /** Account-level records by id, batched into as few upstream calls as the API allows. */
  loadAccounts(ids: readonly string[]): Promise<(SourceRecord | null | Error)[]>;
  /** Related records of each account id, batched where the API allows. */
  loadRelated<K extends keyof RelatedKinds[S] & string>(kind: K, accountIds: readonly string[]): Promise<(RelatedKinds[S][K][] | Error)[]>;
  /** The account a person-level record belongs to (Contact → Account, user → organization). */
  accountOfPerson(personIds: readonly string[]): Promise<(string | null | Error)[]>;
  /**
   * Every account-level record, page by page (backfill). Pages are fetched through
   * fetchPageWithRetry (src/sources/scan.ts); each says where to resume after it.
   */
  scanAccounts(options?: ScanOptions): AsyncIterable<ScanPage>;
  /** A cheap call that proves the system answers (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

// Meridian's domain words: what a system's record is once read (SourceRecord and the related
// record kinds), money as exact decimals. Connectors (src/sources), identity, merge and the
// gateway all speak these; none of them is any one system's, so they live apart from the
// connectors. The list of systems itself is the registry's (src/sources/registry.ts): this
// module takes only its type from there, never code.
import type { SystemId } from '../sources/registry.ts';

export type { SystemId };

/** A cross-reference: a record naming another system's record (by id) in one of its fields. */
export interface CrossReference {
  system: SystemId;
  id: string;
  field: string;
}

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
  /**
   * When each canonical field's value last changed, where that is known field by field (the sync
   * decider's observations of a system that keeps no modification time, src/sync/observed.ts);
   * a field not named here is as recent as `updatedAt`.
   */
  fieldUpdatedAt?: Readonly<Record<string, string>>;
  /** The record's fields as the API/DB returns them, plus documented derived fields. */
  data: Record<string, unknown>;
  /** Ids of other systems' records this one names (cross-references), for identity linking. */
  xrefs: CrossReference[];
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
  sameAs?: CrossReference[];
}

export interface OpportunityRecord {
  id: string;
  /** The system that holds it (its owner is one of that system's users). */
  system: SystemId;
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

/**
 * A customer's related collections (the Customer type's list fields) and the record each holds.
 * Each system's related kinds say which collection they fill (src/sources/<system>/system.ts):
 * contacts come from Salesforce contacts and Zendesk users alike, invoices from every system
 * that bills.
 */
export interface CustomerCollections {
  contacts: PersonRecord;
  opportunities: OpportunityRecord;
  tickets: TicketRecord;
  satisfaction: SatisfactionRatingRecord;
  subscriptions: SubscriptionRecord;
  invoices: InvoiceRecord;
  charges: ChargeRecord;
  contracts: ContractRecord;
  payments: PaymentRecord;
}

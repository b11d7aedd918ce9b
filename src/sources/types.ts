// The contract between the systems and the rest of Meridian. Each src/sources/<system>/
// folder implements SourceConnector; the gateway's DataLoaders, the backfill and the merge
// only ever see these types.
// The domain words themselves (SourceRecord, the record kinds, Money) live in src/domain/;
// they are re-exported here for code that has always imported them from this module.
import type { ScanOptions, ScanPage } from './scan.ts';
import { SYSTEM_IDS, type SystemId } from './registry.ts';
import type { ChargeRecord, ContractRecord, InvoiceRecord, OpportunityRecord, PaymentRecord, PersonRecord, SatisfactionRatingRecord, SourceRecord, SubscriptionRecord, TicketRecord } from '../domain/records.ts';

export type { SystemId };
export type { CrossReference, ChargeRecord, ContractRecord, InvoiceRecord, Money, OpportunityRecord, PaymentRecord, PersonRecord, SatisfactionRatingRecord, SourceRecord, SubscriptionRecord, TicketRecord } from '../domain/records.ts';
export const SYSTEMS: readonly SystemId[] = SYSTEM_IDS;

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

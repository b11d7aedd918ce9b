// Names the rest of Meridian has always imported from here, kept so that it still can: the
// domain words are defined in src/domain/records.ts, the connector contract in contract.ts, and
// the list of systems with what is derived from it in registry.ts.
import { SYSTEM_IDS, type SystemId } from './registry.ts';

export type { SystemId, RelatedKinds } from './registry.ts';
export { ACCOUNT_TYPE, systemEnum } from './registry.ts';
export type { SourceConnector } from './contract.ts';
export type { CrossReference, ChargeRecord, ContractRecord, InvoiceRecord, Money, OpportunityRecord, PaymentRecord, PersonRecord, SatisfactionRatingRecord, SourceRecord, SubscriptionRecord, TicketRecord } from '../domain/records.ts';
export const SYSTEMS: readonly SystemId[] = SYSTEM_IDS;

// Salesforce, as the registry knows it (src/sources/contract.ts): Accounts with their contacts
// and opportunities; Outbound Messages as its webhook.
import type { OpportunityRecord, PersonRecord } from '../../domain/records.ts';
import type { SystemDescriptor } from '../contract.ts';
import { salesforceSettings, type SalesforceSettings } from './settings.ts';

export interface SalesforceKinds {
  contacts: PersonRecord;
  opportunities: OpportunityRecord;
}

export const salesforceSystem: SystemDescriptor<'salesforce', SalesforceSettings, SalesforceKinds> = {
  id: 'salesforce',
  label: 'Salesforce',
  settings: salesforceSettings,
  kinds: { account: 'Account', related: { contacts: 'contacts', opportunities: 'opportunities' }, personIsAccount: false },
  // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/headers_queryoptions.htm (batchSize ≤ 2,000)
  maxScanPageSize: 2000,
  capabilities: { read: true, changeFeed: true, write: { recordTypes: ['Account', 'Contact'] }, webhook: { unconfigured: 'Salesforce is not configured' } },
  create: async (settings, deps) => (await import('./open.ts')).openSalesforce(settings, deps),
};

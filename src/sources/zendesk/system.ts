// Zendesk, as the registry knows it (src/sources/contract.ts): organizations with their users
// (the customer's contacts), tickets and satisfaction ratings; signed webhooks.
import type { PersonRecord, SatisfactionRatingRecord, TicketRecord } from '../../domain/records.ts';
import type { SystemDescriptor } from '../contract.ts';
import { zendeskSettings, type ZendeskSettings } from './settings.ts';

export interface ZendeskKinds {
  users: PersonRecord;
  tickets: TicketRecord;
  satisfactionRatings: SatisfactionRatingRecord;
}

export const zendeskSystem: SystemDescriptor<'zendesk', ZendeskSettings, ZendeskKinds> = {
  id: 'zendesk',
  label: 'Zendesk',
  settings: zendeskSettings,
  kinds: { account: 'organization', related: { users: 'contacts', tickets: 'tickets', satisfactionRatings: 'satisfaction' }, personIsAccount: false },
  // https://developer.zendesk.com/api-reference/introduction/pagination/ (page[size] ≤ 100)
  maxScanPageSize: 100,
  capabilities: { read: true, changeFeed: true, write: { recordTypes: ['organization'] }, webhook: { unconfigured: 'Zendesk webhooks are not configured (ZENDESK_WEBHOOK_SECRET)' } },
  create: async (settings, deps) => (await import('./open.ts')).openZendesk(settings, deps),
};

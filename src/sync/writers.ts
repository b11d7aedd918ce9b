// The writers of the configured systems, built from the same settings their readers use
// (src/config/systems.ts). The ERP has none: it is read-only (src/sources/capabilities.ts).
import type { SystemSettings } from '../config/systems.ts';
import type { SystemId } from '../sources/types.ts';
import { createStripeClient } from '../sources/stripe/client.ts';
import { createZendeskClient } from '../sources/zendesk/client.ts';
import { createStripeWriter } from '../sources/stripe/writer.ts';
import { createZendeskWriter } from '../sources/zendesk/writer.ts';
import { createSalesforceWriter } from '../sources/salesforce/writer.ts';
import { SalesforceSession } from '../sources/salesforce/session.ts';
import type { RecordWriter } from './writer.ts';

export interface Writers {
  writers: Partial<Record<SystemId, RecordWriter>>;
  close(): void;
}

/**
 * `salesforce`: the gateway's session, when it has one (one login per process); otherwise a
 * session of the writers' own is opened and closed with them.
 */
export function createWriters(systems: SystemSettings, options: { timeoutMs?: number; salesforce?: SalesforceSession | null } = {}): Writers {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const writers: Partial<Record<SystemId, RecordWriter>> = {};
  let own: SalesforceSession | null = null;
  if (systems.salesforce) {
    const session = options.salesforce ?? (own = new SalesforceSession(systems.salesforce, { timeoutMs }));
    writers.salesforce = createSalesforceWriter(session);
  }
  // The outbox owns retries (backoff honouring Retry-After): the SDK makes none of its own.
  if (systems.stripe) writers.stripe = createStripeWriter(createStripeClient(systems.stripe, { timeoutMs, maxNetworkRetries: 0 }));
  if (systems.zendesk) writers.zendesk = createZendeskWriter(createZendeskClient(systems.zendesk), systems.zendesk.endpointUri);
  return { writers, close: () => own?.close() };
}

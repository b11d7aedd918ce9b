// Opens the Salesforce connector for the gateway: a session that logs in in the background (a
// Salesforce down at start costs its fields, not the start), the connector over it, and the
// Outbound Message route.
import type { ConnectorDeps, OpenedSystem } from '../contract.ts';
import { SystemRefusedError } from '../contract.ts';
import { createSalesforceConnector } from './index.ts';
import { SalesforceSession } from './session.ts';
import type { SalesforceSettings } from './settings.ts';
import { salesforceOutbound, salesforceWebhook } from './webhook.ts';
import { createSalesforceWriter } from './writer.ts';
import { salesforceFeeds } from './feed.ts';

export function openSalesforce(settings: SalesforceSettings, deps: ConnectorDeps): OpenedSystem<'salesforce'> {
  const { logger } = deps;
  // Credentials refused at the first login stop the start with one line (ready): not logged twice.
  let first = true;
  const session = new SalesforceSession(settings, {
    timeoutMs: deps.timeoutMs,
    onStateChange: (state, error) => {
      if (state.status === 'connected') logger.info('salesforce connected');
      else if (!(first && state.status === 'refused')) logger.error(`salesforce ${state.status}`, { reason: state.status === 'connecting' ? '' : state.reason, ...(error ? { detail: error.message } : {}) });
    },
  });
  void session.start().then(() => {
    first = false;
  });
  // What the org lacks of Meridian's custom fields goes through the gateway's log, redacted and timestamped.
  const connector = createSalesforceConnector(session, {
    clock: deps.clock,
    onMissingFields: (message, missing) => logger.error('salesforce custom fields missing', { missing: missing.join(','), detail: message }),
  });
  return {
    connector,
    // The first login is bounded by the source timeout. Refused credentials are configuration
    // (one line, exit 2); a Salesforce that is down or hanging is not: the gateway starts without it.
    ready: async () => {
      await session.start();
      if (session.state.status === 'refused') {
        const { reason, variables } = session.state;
        throw new SystemRefusedError(`${variables.join(' / ')}: Salesforce refused the login at ${settings.loginUrl} (${reason.replace(/^login refused \((.*)\)$/, '$1')}); check ${variables.length > 1 ? 'them' : 'it'}`);
      }
    },
    // The session's org id: the login's, or asked once Salesforce answers (messages get 503 until then).
    webhook: () => salesforceWebhook(salesforceOutbound(() => session.organizationId())),
    // Writes share the session: one login per process.
    writer: createSalesforceWriter(session),
    changes: salesforceFeeds(() => session.connection(), () => deps.clock.now()),
    close: async () => {
      session.close();
      await connector.close();
    },
  };
}

// Opens the Zendesk connector for the gateway, and the webhook route when a signing secret is set.
import type { ConnectorDeps, OpenedSystem } from '../contract.ts';
import { createZendeskClient } from './client.ts';
import { createZendeskConnector } from './index.ts';
import type { ZendeskSettings } from './settings.ts';
import { zendeskWebhook } from './webhook.ts';
import { createZendeskWriter } from './writer.ts';
import { zendeskFeeds } from './feed.ts';

export function openZendesk(settings: ZendeskSettings, deps: ConnectorDeps): OpenedSystem<'zendesk'> {
  const connector = createZendeskConnector(createZendeskClient(settings), { clock: deps.clock });
  const secret = settings.webhookSecret;
  return {
    connector,
    ...(secret ? { webhook: () => zendeskWebhook(secret) } : {}),
    changes: zendeskFeeds(createZendeskClient(settings), () => deps.clock.now()),
    writer: createZendeskWriter(createZendeskClient(settings), settings.endpointUri),
    close: () => connector.close(),
  };
}

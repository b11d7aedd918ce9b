// node-zendesk set-up. https://github.com/blakmatrix/node-zendesk#usage
import zendesk from 'node-zendesk';
import type { ZendeskSettings } from './settings.ts';
import { nodeHttpTransport } from './transport.ts';

export type ZendeskClient = ReturnType<typeof zendesk.createClient>;

/**
 * `throwOriginalException` keeps the HTTP status and body on errors (without it the SDK
 * drops them). The SDK does not retry; the caller owns backoff, and a 429 comes back as a
 * result rather than an exception (docs/sandbox/zendesk.md lists these quirks). Requests go
 * out through Node's http client (`transport.ts`, the SDK's `transportConfig`), not node-fetch.
 */
export function createZendeskClient(settings: ZendeskSettings): ZendeskClient {
  return zendesk.createClient({
    username: settings.email,
    token: settings.apiToken,
    endpointUri: settings.endpointUri,
    throwOriginalException: true,
    transportConfig: nodeHttpTransport,
  });
}

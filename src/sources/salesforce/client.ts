// jsforce set-up. https://jsforce.github.io/document/#connection
import { Connection } from 'jsforce';
import type { SalesforceSettings } from '../../config/systems.ts';

/**
 * A logged-in Connection: password grant through the connected app when OAuth settings are
 * given (jsforce then refreshes an expired session by logging in again), otherwise the
 * given session.
 */
export async function connectSalesforce(settings: SalesforceSettings): Promise<Connection> {
  if (settings.session) {
    return withoutRetries(new Connection({ instanceUrl: settings.session.instanceUrl, accessToken: settings.session.accessToken, version: settings.apiVersion }));
  }
  const oauth = settings.oauth!;
  const conn = new Connection({
    loginUrl: settings.loginUrl,
    version: settings.apiVersion,
    oauth2: { loginUrl: settings.loginUrl, clientId: oauth.clientId, clientSecret: oauth.clientSecret },
  });
  // https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_username_password_flow.htm
  await conn.login(oauth.username, oauth.password);
  return withoutRetries(conn);
}

/**
 * jsforce retries 5xx answers and connection resets up to 5 times with backoff (0.5 s, 1 s,
 * 2 s …) by default. Inside the gateway's per-request deadline that turns one failed query
 * into a burst of calls and a "no answer" timeout that hides what Salesforce said; the caller
 * (the gateway's breaker, a backfill's page retry) decides about retrying instead.
 * https://github.com/jsforce/jsforce/blob/main/src/request.ts (retry options)
 */
export function withoutRetries(conn: Connection): Connection {
  const transport = conn._transport;
  const httpRequest = transport.httpRequest.bind(transport);
  transport.httpRequest = (req, options = {}) => httpRequest(req, { ...options, retry: { ...options.retry, maxRetries: 0 } });
  return conn;
}

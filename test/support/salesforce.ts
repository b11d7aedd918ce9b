// A jsforce Connection for tests that talk to the sandbox's Salesforce directly (creating
// records, reading what the gateway wrote). jsforce's own login() is used here; the gateway logs
// in through SalesforceSession, whose request can be bounded and aborted.
// https://jsforce.github.io/document/#connection
import { Connection } from 'jsforce';
import type { SalesforceSettings } from '../../src/sources/salesforce/settings.ts';
import type { SalesforceEmulator } from '../../src/sandbox/salesforce/index.ts';
import { readSystemSettings } from '../../src/config/systems.ts';
import { carriedByNodeHttp } from '../../src/sources/salesforce/client.ts';

/**
 * A logged-in Connection: password grant through the connected app when OAuth settings are
 * given (jsforce then refreshes an expired session by logging in again), otherwise the
 * given session. Without jsforce's retries, as the gateway's.
 */
export async function connectSalesforce(settings: SalesforceSettings): Promise<Connection> {
  if (settings.session) {
    return carriedByNodeHttp(new Connection({ instanceUrl: settings.session.instanceUrl, accessToken: settings.session.accessToken, version: settings.apiVersion }));
  }
  const oauth = settings.oauth!;
  const conn = new Connection({
    loginUrl: settings.loginUrl,
    version: settings.apiVersion,
    oauth2: { loginUrl: settings.loginUrl, clientId: oauth.clientId, clientSecret: oauth.clientSecret },
  });
  // https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_username_password_flow.htm
  await conn.login(oauth.username, oauth.password);
  return carriedByNodeHttp(conn);
}

/** The settings a deployment would give to reach `emu` with the connected app's password grant, as the environment says them. */
export function emulatorSettings(emu: SalesforceEmulator, env: Record<string, string> = {}): SalesforceSettings {
  return readSystemSettings({
    SALESFORCE_LOGIN_URL: emu.url,
    SALESFORCE_CLIENT_ID: emu.credentials.clientId,
    SALESFORCE_CLIENT_SECRET: emu.credentials.clientSecret,
    SALESFORCE_USERNAME: emu.credentials.username,
    SALESFORCE_PASSWORD: emu.credentials.password,
    ...env,
  }).salesforce!;
}

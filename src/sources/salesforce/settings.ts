// Salesforce's settings (CONTRACT.md § Environment): the password grant of an integration
// user, or a session someone else issued.
import { z } from 'zod';
import type { Env } from '../contract.ts';
import { envReader } from '../settings.ts';

export interface SalesforceSettings {
  loginUrl: string;
  apiVersion: string;
  /** Password grant (the usual integration-user set-up)… */
  oauth: { clientId: string; clientSecret: string; username: string; password: string } | null;
  /** …or a session someone else issued. */
  session: { instanceUrl: string; accessToken: string } | null;
}

const VARIABLES = ['SALESFORCE_LOGIN_URL', 'SALESFORCE_CLIENT_ID', 'SALESFORCE_CLIENT_SECRET', 'SALESFORCE_USERNAME', 'SALESFORCE_PASSWORD', 'SALESFORCE_INSTANCE_URL', 'SALESFORCE_ACCESS_TOKEN'];

export const salesforceSettings = z.custom<Env>().transform((env, ctx): SalesforceSettings | null => {
  const e = envReader(env, ctx);
  if (!e.any(VARIABLES)) return null;
  const apiVersion = e.get('SALESFORCE_API_VERSION') ?? '59.0';
  if (!/^\d{2,3}\.0$/.test(apiVersion) || Number(apiVersion) < 42) e.problem(`SALESFORCE_API_VERSION: must look like 59.0 and be 42.0 or later (got ${JSON.stringify(apiVersion)})`);
  e.url('SALESFORCE_LOGIN_URL', ['http:', 'https:']);
  e.url('SALESFORCE_INSTANCE_URL', ['http:', 'https:']);
  const hasSession = e.get('SALESFORCE_INSTANCE_URL') !== undefined || e.get('SALESFORCE_ACCESS_TOKEN') !== undefined;
  if (hasSession) e.need('Salesforce (session)', ['SALESFORCE_INSTANCE_URL', 'SALESFORCE_ACCESS_TOKEN']);
  else e.need('Salesforce', ['SALESFORCE_CLIENT_ID', 'SALESFORCE_CLIENT_SECRET', 'SALESFORCE_USERNAME', 'SALESFORCE_PASSWORD']);
  return {
    loginUrl: e.get('SALESFORCE_LOGIN_URL') ?? 'https://login.salesforce.com',
    apiVersion,
    oauth: hasSession
      ? null
      : {
          clientId: e.get('SALESFORCE_CLIENT_ID') ?? '',
          clientSecret: e.get('SALESFORCE_CLIENT_SECRET') ?? '',
          username: e.get('SALESFORCE_USERNAME') ?? '',
          password: e.get('SALESFORCE_PASSWORD') ?? '',
        },
    session: hasSession ? { instanceUrl: e.get('SALESFORCE_INSTANCE_URL') ?? '', accessToken: e.get('SALESFORCE_ACCESS_TOKEN') ?? '' } : null,
  };
});

// Zendesk's settings (CONTRACT.md § Environment): the account (endpoint or subdomain), an API
// token and the webhook's signing secret.
import { z } from 'zod';
import type { Env } from '../contract.ts';
import { envReader } from '../settings.ts';

export interface ZendeskSettings {
  endpointUri: string;
  email: string;
  apiToken: string;
  webhookSecret: string | null;
}

export const zendeskSettings = z.custom<Env>().transform((env, ctx): ZendeskSettings | null => {
  const e = envReader(env, ctx);
  if (!e.any(['ZENDESK_ENDPOINT_URI', 'ZENDESK_SUBDOMAIN', 'ZENDESK_EMAIL', 'ZENDESK_API_TOKEN'])) return null;
  e.need('Zendesk', ['ZENDESK_EMAIL', 'ZENDESK_API_TOKEN']);
  e.url('ZENDESK_ENDPOINT_URI', ['http:', 'https:']);
  const sub = e.get('ZENDESK_SUBDOMAIN');
  if (sub !== undefined && !/^[a-z0-9][a-z0-9-]*$/i.test(sub)) e.problem(`ZENDESK_SUBDOMAIN: must be the account's subdomain, e.g. acme (got ${JSON.stringify(sub)})`);
  const endpoint = e.get('ZENDESK_ENDPOINT_URI') ?? (sub ? `https://${sub}.zendesk.com/api/v2` : undefined);
  if (endpoint === undefined) e.problem('ZENDESK_ENDPOINT_URI or ZENDESK_SUBDOMAIN: one is required when Zendesk is configured');
  return {
    endpointUri: (endpoint ?? '').replace(/\/+$/, ''),
    email: e.get('ZENDESK_EMAIL') ?? '',
    apiToken: e.get('ZENDESK_API_TOKEN') ?? '',
    webhookSecret: e.get('ZENDESK_WEBHOOK_SECRET') ?? null,
  };
});

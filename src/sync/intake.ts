// Webhook intake: verify, work out which golden customers a notification touches, and
// invalidate their cached golden records so the next read merges fresh source data.
// Answers fast and never half-handles: a rejected notification changes nothing.
import type Stripe from 'stripe';
import type { GatewayServices } from '../gateway/loaders.ts';
import { ACCOUNT_TYPE, type SystemId } from '../sources/types.ts';
import { parseStripeWebhook } from '../sources/stripe/webhook.ts';
import { parseZendeskWebhook } from '../sources/zendesk/webhook.ts';
import { OUTBOUND_ACK, parseSalesforceOutbound } from '../sources/salesforce/webhook.ts';
import { type ChangeNotice, WebhookRejectedError } from './notices.ts';
import type { Logger } from '../server/http.ts';

export interface WebhookSecrets {
  stripe?: { client: Stripe; secret: string };
  zendesk?: { secret: string };
  salesforce?: { orgId: string | null };
}

export interface WebhookAnswer {
  status: number;
  contentType: string;
  body: string;
}

export interface WebhookIntake {
  handle(system: string, headers: Record<string, string | string[] | undefined>, rawBody: string): Promise<WebhookAnswer>;
}

const json = (status: number, body: unknown): WebhookAnswer => ({ status, contentType: 'application/json', body: JSON.stringify(body) });
const header = (h: Record<string, string | string[] | undefined>, name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

export function createWebhookIntake(services: GatewayServices, secrets: WebhookSecrets, logger: Logger): WebhookIntake {
  /** Golden ids of the notices, resolving contacts/users to their accounts first. */
  const goldenIdsOf = async (notices: ChangeNotice[]): Promise<string[]> => {
    const accounts: { system: SystemId; id: string }[] = [];
    for (const n of notices) {
      if (n.level === 'account') {
        accounts.push({ system: n.system, id: n.id });
        continue;
      }
      const [owner] = (await services.sources[n.system]?.accountOfPerson([n.id])) ?? [];
      if (typeof owner === 'string') accounts.push({ system: n.system, id: owner });
    }
    if (accounts.length === 0) return [];
    const ids = await services.identity.goldenIdsFor(accounts.map((a) => ({ system: a.system, externalId: a.id, recordType: ACCOUNT_TYPE[a.system] })));
    return [...new Set(ids.filter((x): x is string => x !== null))];
  };

  return {
    handle: async (system, headers, rawBody) => {
      let notices: ChangeNotice[];
      try {
        if (system === 'stripe') {
          if (!secrets.stripe) return json(404, { error: 'Stripe webhooks are not configured (STRIPE_WEBHOOK_SECRET)' });
          notices = parseStripeWebhook(secrets.stripe.client, rawBody, header(headers, 'stripe-signature'), secrets.stripe.secret);
        } else if (system === 'zendesk') {
          if (!secrets.zendesk) return json(404, { error: 'Zendesk webhooks are not configured (ZENDESK_WEBHOOK_SECRET)' });
          notices = parseZendeskWebhook(
            rawBody,
            { signature: header(headers, 'x-zendesk-webhook-signature'), timestamp: header(headers, 'x-zendesk-webhook-signature-timestamp') },
            secrets.zendesk.secret,
            services.now(),
          );
        } else if (system === 'salesforce') {
          if (!secrets.salesforce) return json(404, { error: 'Salesforce is not configured' });
          notices = parseSalesforceOutbound(rawBody, secrets.salesforce.orgId);
        } else {
          return json(404, { error: `no webhook route for ${JSON.stringify(system)}` });
        }
      } catch (e) {
        if (e instanceof WebhookRejectedError) {
          logger.error('webhook rejected', { system, reason: e.message });
          return json(e.status, { error: e.message });
        }
        throw e;
      }
      const goldenIds = await goldenIdsOf(notices);
      // If the cache cannot be reached the sender gets a 5xx and re-sends: a stale golden
      // record must not outlive a notification we acknowledged.
      if (goldenIds.length > 0) await services.cache.invalidate(goldenIds);
      logger.info('webhook', { system, events: notices.map((n) => n.event).join(','), invalidated: goldenIds.length });
      if (system === 'salesforce') return { status: 200, contentType: 'text/xml; charset=utf-8', body: OUTBOUND_ACK };
      return json(200, { received: true, invalidated: goldenIds.length });
    },
  };
}

// Webhook intake: verify, store, acknowledge. A notification whose signature (or Salesforce
// organization) checks out is stored in the inbox and its changes are queued as sync.change jobs
// in one transaction (src/sync/inbox.ts); the sender is answered 2xx as soon as that commits. The
// reading, matching and cache invalidation happen in the worker (src/sync/change.ts), so a slow or
// unreachable system never holds a sender's request, and nothing acknowledged is lost: the job is
// in Postgres and is retried until the system answers.
// Each event is stored once: a re-delivery (Stripe and Salesforce re-send until acknowledged, and
// a replayed request looks the same) finds its row and is acknowledged without queueing anything.
// A notification we refuse (bad signature, stale timestamp, unreadable body) changes nothing.
import type Stripe from 'stripe';
import type { SystemId } from '../sources/types.ts';
import { parseStripeWebhook } from '../sources/stripe/webhook.ts';
import { parseZendeskWebhook } from '../sources/zendesk/webhook.ts';
import { OUTBOUND_ACK, outboundFault, parseSalesforceOutbound } from '../sources/salesforce/webhook.ts';
import type { OutboundXmlReader } from '../sources/salesforce/outbound-reader.ts';
import type { OrganizationIdSource } from '../sources/salesforce/organization.ts';
import { type Delivery, WebhookRejectedError } from './notices.ts';
import { inboxEventId, type WebhookInbox } from './inbox.ts';
import type { Logger } from '../server/http.ts';
import { createLogOnce } from '../observability/log-once.ts';
import { webhookRejected } from '../observability/metrics.ts';

export interface WebhookSecrets {
  stripe?: { client: Stripe; secret: string };
  zendesk?: { secret: string };
  /** Outbound Messages are read on a worker thread; our org id is learned from the API on first use. */
  salesforce?: { reader: OutboundXmlReader; organizationId: OrganizationIdSource };
}

/**
 * Largest webhook body read (the HTTP server's own cap is the same by default). Salesforce's
 * 100 notifications, Stripe's events and Zendesk's are far smaller; the parsers' cost is bounded by it.
 */
export const WEBHOOK_MAX_BYTES = 1_000_000;

/** Longest event id we record (Stripe evt_…, Zendesk invocation ids, Salesforce 04l… ids are far shorter). */
const MAX_EVENT_ID_LENGTH = 255;

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

export function createWebhookIntake(options: { secrets: WebhookSecrets; inbox: WebhookInbox; logger: Logger; now?: () => Date }): WebhookIntake {
  const { secrets, inbox, logger } = options;
  const now = options.now ?? (() => new Date());
  const logRejected = createLogOnce(logger);

  /** Reads the body and checks who sent it; a WebhookRejectedError says why it was refused. */
  const parse = async (system: SystemId, headers: Record<string, string | string[] | undefined>, rawBody: string): Promise<Delivery[] | WebhookAnswer> => {
    if (system === 'stripe') {
      if (!secrets.stripe) return json(404, { error: 'Stripe webhooks are not configured (STRIPE_WEBHOOK_SECRET)' });
      return parseStripeWebhook(secrets.stripe.client, rawBody, header(headers, 'stripe-signature'), secrets.stripe.secret, now());
    }
    if (system === 'zendesk') {
      if (!secrets.zendesk) return json(404, { error: 'Zendesk webhooks are not configured (ZENDESK_WEBHOOK_SECRET)' });
      return parseZendeskWebhook(
        rawBody,
        {
          signature: header(headers, 'x-zendesk-webhook-signature'),
          timestamp: header(headers, 'x-zendesk-webhook-signature-timestamp'),
          invocationId: header(headers, 'x-zendesk-webhook-invocation-id'),
        },
        secrets.zendesk.secret,
        now(),
      );
    }
    if (!secrets.salesforce) return json(404, { error: 'Salesforce is not configured' });
    return parseSalesforceOutbound(rawBody, secrets.salesforce);
  };

  return {
    handle: async (name, headers, rawBody) => {
      if (name !== 'stripe' && name !== 'zendesk' && name !== 'salesforce') {
        // The system label is ours, never the caller's path: a label per made-up name would grow without end.
        webhookRejected.inc({ system: 'unknown', reason: 'no_route' });
        return json(404, { error: `no webhook route for ${JSON.stringify(name)}` });
      }
      const system: SystemId = name;
      // Salesforce reads a SOAP fault as the reason its message was not taken.
      const refuse = (status: number, reason: string): WebhookAnswer => (system === 'salesforce' ? { status, contentType: 'text/xml; charset=utf-8', body: outboundFault(reason) } : json(status, { error: reason }));
      let parsed: Delivery[] | WebhookAnswer;
      try {
        if (Buffer.byteLength(rawBody) > WEBHOOK_MAX_BYTES) throw new WebhookRejectedError(413, `webhook body larger than ${WEBHOOK_MAX_BYTES} bytes`);
        parsed = await parse(system, headers, rawBody);
        if (!Array.isArray(parsed)) {
          webhookRejected.inc({ system, reason: 'no_route' });
          return parsed;
        }
        const long = parsed.find((d) => d.eventId !== null && d.eventId.length > MAX_EVENT_ID_LENGTH);
        if (long) throw new WebhookRejectedError(400, `event id is longer than ${MAX_EVENT_ID_LENGTH} characters`);
      } catch (e) {
        if (e instanceof WebhookRejectedError) {
          // Anyone can post here: the same refusal is logged once per 10 s, with how often it repeated.
          logRejected('webhook rejected', { system, status: e.status, reason: e.message }, `${system} ${e.status} ${e.message}`);
          webhookRejected.inc({ system, reason: e.reason });
          return refuse(e.status, e.message);
        }
        throw e;
      }
      const alone = parsed.length === 1;
      const events = parsed.map((d) => ({ eventId: inboxEventId({ ...d, raw: null }, rawBody), notices: d.notices, raw: alone ? rawBody : null }));
      let accepted;
      try {
        accepted = await inbox.accept(system, events);
      } catch (e) {
        // Not stored, not acknowledged: the sender sends it again, and nothing of it was kept.
        logger.error('webhook not stored', { system, error: e instanceof Error ? e.message : String(e) });
        webhookRejected.inc({ system, reason: 'unavailable' });
        return refuse(503, 'the event could not be stored; send it again later');
      }
      const ack = (body: unknown): WebhookAnswer => (system === 'salesforce' ? { status: 200, contentType: 'text/xml; charset=utf-8', body: OUTBOUND_ACK } : json(200, body));
      if (accepted.repeats.length > 0) logger.info('webhook repeat ignored', { system, events: accepted.repeats.join(',') });
      if (accepted.fresh.length === 0) return ack({ received: true, duplicate: true });
      logger.info('webhook', { system, events: events.flatMap((e) => e.notices.map((n) => n.event)).join(','), queued: accepted.queued });
      return ack({ received: true, queued: accepted.queued });
    },
  };
}

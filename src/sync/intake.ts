// Webhook intake: verify, store, acknowledge. A notification whose signature (or Salesforce
// organization) checks out is stored in the inbox and its changes are queued as sync.change jobs
// in one transaction (src/sync/inbox.ts); the sender is answered 2xx as soon as that commits. The
// reading, matching and cache invalidation happen in the worker (src/sync/change.ts), so a slow or
// unreachable system never holds a sender's request, and nothing acknowledged is lost: the job is
// in Postgres and is retried until the system answers.
// Each event is stored once: a re-delivery (Stripe and Salesforce re-send until acknowledged, and
// a replayed request looks the same) finds its row and is acknowledged without queueing anything.
// A notification we refuse (bad signature, stale timestamp, unreadable body) changes nothing.
// Which systems have a route, and how each verifies, is the registry's (src/sources/registry.ts).
import { systemDescriptor, systemNamed, type SystemId } from '../sources/registry.ts';
import type { WebhookVerifier } from '../sources/contract.ts';
import { type Delivery, WebhookRejectedError } from './notices.ts';
import { inboxEventId, type WebhookInbox } from './inbox.ts';
import type { Logger } from '../server/http.ts';
import { createLogOnce } from '../observability/log-once.ts';
import { webhookRejected } from '../observability/metrics.ts';

/**
 * The verifier of each system whose webhook is configured (OpenedSystem.webhook,
 * src/sources/contract.ts). A system whose descriptor has a webhook route but no verifier here
 * answers 404 saying what to configure; any other name has no route.
 */
export type WebhookVerifiers = Partial<Record<SystemId, WebhookVerifier>>;

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

export function createWebhookIntake(options: { verifiers: WebhookVerifiers; inbox: WebhookInbox; logger: Logger; now?: () => Date }): WebhookIntake {
  const { verifiers, inbox, logger } = options;
  const now = options.now ?? (() => new Date());
  const logRejected = createLogOnce(logger);

  return {
    handle: async (name, headers, rawBody) => {
      const system = systemNamed(name);
      const route = system === null ? undefined : systemDescriptor(system).capabilities.webhook;
      if (system === null || route === undefined) {
        // The system label is ours, never the caller's path: a label per made-up name would grow without end.
        webhookRejected.inc({ system: 'unknown', reason: 'no_route' });
        return json(404, { error: `no webhook route for ${JSON.stringify(name)}` });
      }
      const verifier = verifiers[system];
      // A sender that reads its own format (Salesforce: SOAP) is answered in it.
      const answers = verifier?.answers;
      const refuse = (status: number, reason: string): WebhookAnswer => (answers ? { status, contentType: answers.contentType, body: answers.refuse(reason) } : json(status, { error: reason }));
      let parsed: Delivery[];
      try {
        if (Buffer.byteLength(rawBody) > WEBHOOK_MAX_BYTES) throw new WebhookRejectedError(413, `webhook body larger than ${WEBHOOK_MAX_BYTES} bytes`);
        if (!verifier) {
          webhookRejected.inc({ system, reason: 'no_route' });
          return json(404, { error: route.unconfigured });
        }
        parsed = await verifier.parse((h) => header(headers, h), rawBody, now());
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
      const ack = (body: unknown): WebhookAnswer => (answers ? { status: 200, contentType: answers.contentType, body: answers.ack } : json(200, body));
      if (accepted.repeats.length > 0) logger.info('webhook repeat ignored', { system, events: accepted.repeats.join(',') });
      if (accepted.fresh.length === 0) return ack({ received: true, duplicate: true });
      logger.info('webhook', { system, events: events.flatMap((e) => e.notices.map((n) => n.event)).join(','), queued: accepted.queued });
      return ack({ received: true, queued: accepted.queued });
    },
  };
}

// Zendesk webhooks: HMAC-SHA256 over timestamp + body with the webhook's signing secret,
// base64, in X-Zendesk-Webhook-Signature; the timestamp is checked for freshness so a captured
// request cannot be replayed later. Each invocation carries X-Zendesk-Webhook-Invocation-Id,
// the same on every retry of it: the intake processes an invocation once.
// https://developer.zendesk.com/documentation/webhooks/verifying/
// https://developer.zendesk.com/documentation/webhooks/anatomy-of-a-webhook-request/
import { createHmac, timingSafeEqual } from 'node:crypto';
import { type ChangeNotice, type Delivery, WebhookRejectedError } from '../../sync/notices.ts';
import type { WebhookVerifier } from '../contract.ts';

const TOLERANCE_MS = 5 * 60_000;

export function verifyZendeskSignature(secret: string, timestamp: string, rawBody: string, signature: string): boolean {
  const expected = Buffer.from(createHmac('sha256', secret).update(timestamp + rawBody).digest('base64'));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export function parseZendeskWebhook(
  rawBody: string,
  headers: { signature?: string | undefined; timestamp?: string | undefined; invocationId?: string | undefined },
  secret: string,
  now: Date = new Date(),
): Delivery[] {
  const { signature, timestamp } = headers;
  if (!signature || !timestamp) throw new WebhookRejectedError(401, 'missing X-Zendesk-Webhook-Signature or X-Zendesk-Webhook-Signature-Timestamp');
  if (!verifyZendeskSignature(secret, timestamp, rawBody, signature)) throw new WebhookRejectedError(401, 'Zendesk signature does not match');
  const at = Date.parse(timestamp);
  if (Number.isNaN(at) || Math.abs(now.getTime() - at) > TOLERANCE_MS) throw new WebhookRejectedError(401, `Zendesk webhook timestamp ${JSON.stringify(timestamp)} is not within 5 minutes`);
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    throw new WebhookRejectedError(400, 'Zendesk webhook body is not JSON');
  }
  const event = body as { type?: unknown; detail?: Record<string, unknown> };
  if (typeof event.type !== 'string' || typeof event.detail !== 'object' || event.detail === null) {
    throw new WebhookRejectedError(400, 'Zendesk webhook body has no event type or detail');
  }
  const type = event.type.replace('zen:event-type:', '');
  const detail = event.detail;
  const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' && v !== '0' ? v : typeof v === 'number' ? String(v) : null);
  const notices: ChangeNotice[] = [];
  if (type.startsWith('organization.')) {
    const id = str(detail['id']);
    if (id) notices.push({ system: 'zendesk', level: 'account', id, event: type, identity: true });
  } else if (type.startsWith('user.') || type.startsWith('ticket.')) {
    const org = str(detail['organization_id']);
    if (org) notices.push({ system: 'zendesk', level: 'account', id: org, event: type, identity: type.startsWith('user.') });
    else {
      const person = str(type.startsWith('user.') ? detail['id'] : detail['requester_id']);
      if (person) notices.push({ system: 'zendesk', level: 'person', id: person, event: type, identity: type.startsWith('user.') });
    }
  }
  const invocation = headers.invocationId?.trim();
  return [{ eventId: invocation ? invocation : null, notices }];
}

/** The route's verifier (src/sources/contract.ts): HMAC over timestamp and body, and the invocation id. */
export function zendeskWebhook(secret: string): WebhookVerifier {
  return {
    parse: (header, rawBody, now) =>
      parseZendeskWebhook(
        rawBody,
        {
          signature: header('x-zendesk-webhook-signature'),
          timestamp: header('x-zendesk-webhook-signature-timestamp'),
          invocationId: header('x-zendesk-webhook-invocation-id'),
        },
        secret,
        now,
      ),
  };
}

// What a change notification tells the gateway: which records of which system changed.
import type { SystemId } from '../sources/types.ts';
import type { WebhookRejectReason } from '../observability/metrics.ts';

export interface ChangeNotice {
  system: SystemId;
  /** 'account': an account-level record (Account, customer, organization); 'person': a contact/user. */
  level: 'account' | 'person';
  id: string;
  /** The notification's own event type, for logs. */
  event: string;
  /**
   * The notification is about the account or one of its people (not a ticket, invoice, …): what
   * identifies the customer may have changed, so the live matcher matches the account again.
   */
  identity: boolean;
  /**
   * The record's top-level attributes the notification says changed, where it says (Stripe's
   * `data.previous_attributes`): evidence of when values changed in a system that keeps no
   * modification time (src/sync/observed.ts).
   */
  attributes?: string[];
}

/**
 * One event as its sender numbers it: a Stripe event, a Zendesk webhook invocation, one
 * notification of a Salesforce Outbound Message. A sender re-sends an event it thinks was not
 * received with the same id; the intake stores each id once (src/sync/inbox.ts).
 */
export interface Delivery {
  /** The sender's id for the event; null when it sent none (then it cannot be recognised again). */
  eventId: string | null;
  notices: ChangeNotice[];
}

/**
 * A notification we refuse: bad signature, stale timestamp, unreadable body (4xx), or one we
 * cannot check yet (503: the sender tries again later).
 */
export class WebhookRejectedError extends Error {
  readonly status: 400 | 401 | 403 | 413 | 503;
  /** Why, from a fixed set (meridian_webhook_rejected_total): by default what the status says. */
  readonly reason: WebhookRejectReason;
  constructor(status: 400 | 401 | 403 | 413 | 503, message: string, reason?: WebhookRejectReason) {
    super(message);
    this.status = status;
    this.name = 'WebhookRejectedError';
    this.reason = reason ?? REASON_OF_STATUS[status];
  }
}

const REASON_OF_STATUS = { 400: 'payload', 401: 'signature', 403: 'organization', 413: 'too_large', 503: 'not_ready' } as const satisfies Record<WebhookRejectedError['status'], WebhookRejectReason>;

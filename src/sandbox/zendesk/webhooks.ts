// Change notifications the way a Zendesk webhook subscribed to events sends them.
// Payload schema: https://developer.zendesk.com/api-reference/webhooks/event-types/webhook-event-types/
// User events: https://developer.zendesk.com/api-reference/webhooks/event-types/user-events/
// Organization events: https://developer.zendesk.com/api-reference/webhooks/event-types/organization-events/
// Ticket events (zen:event-type:ticket.*): https://developer.zendesk.com/api-reference/webhooks/event-types/ticket-events/
// Signing: https://developer.zendesk.com/documentation/webhooks/verifying/
//   X-Zendesk-Webhook-Signature = base64(HMAC-SHA256(secret, timestamp + rawBody)),
//   X-Zendesk-Webhook-Signature-Timestamp = the ISO-8601 timestamp that was signed.
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { WebhookNotifier, type WebhookMessage } from '../kit/notifier.ts';
import type { ZdOrganization, ZdTicket } from '../world/types.ts';
import type { StoredUser, ZdChange } from './store.ts';
import { zendeskTime } from './store.ts';

/** The sandbox account's id, as it appears in `account_id` of every event. */
export const SANDBOX_ACCOUNT_ID = 10_440_300;
export const SANDBOX_WEBHOOK_ID = '01HMERIDIANSANDBOXZENDESK0';

export function signZendeskWebhook(secret: string, timestamp: string, rawBody: string): string {
  return createHmac('sha256', secret).update(timestamp + rawBody).digest('base64');
}

/** The receiver's side of the check, as Zendesk documents it (constant-time compare). */
export function verifyZendeskWebhook(secret: string, timestamp: string, rawBody: string, signature: string): boolean {
  const expected = Buffer.from(signZendeskWebhook(secret, timestamp, rawBody));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export interface ZendeskEvent {
  type: string;
  account_id: number;
  id: string;
  time: string;
  zendesk_event_version: string;
  subject: string;
  detail: Record<string, unknown>;
  event: Record<string, unknown>;
}

// Ids in `detail` are strings, absent ids are "0" and absent external ids "" (see the
// example payload on the event-types page).
const idString = (v: number | null): string => (v === null ? '0' : String(v));

function userDetail(u: StoredUser): Record<string, unknown> {
  return {
    created_at: u.created_at,
    email: u.email ?? '',
    external_id: u.external_id ?? '',
    default_group_id: '0',
    id: String(u.id),
    organization_id: idString(u.organization_id),
    role: u.role,
    updated_at: u.updated_at,
  };
}

function organizationDetail(o: ZdOrganization): Record<string, unknown> {
  return {
    created_at: o.created_at,
    external_id: o.external_id ?? '',
    group_id: '0',
    id: String(o.id),
    name: o.name,
    shared_comments: false,
    shared_tickets: false,
    updated_at: o.updated_at,
  };
}

function ticketDetail(t: ZdTicket): Record<string, unknown> {
  const upper = (s: string | null): string | null => (s === null ? null : s.toUpperCase());
  return {
    actor_id: '-1',
    assignee_id: t.assignee_id === null ? null : String(t.assignee_id),
    brand_id: '0',
    created_at: t.created_at,
    description: t.description,
    external_id: null,
    form_id: '0',
    group_id: null,
    id: String(t.id),
    is_public: true,
    organization_id: t.organization_id === null ? null : String(t.organization_id),
    priority: upper(t.priority),
    requester_id: String(t.requester_id),
    status: upper(t.status),
    subject: t.subject,
    submitter_id: String(t.submitter_id),
    tags: t.tags,
    type: upper(t.type),
    updated_at: t.updated_at,
    via: { channel: 'api' },
  };
}

const idOrNull = (v: unknown): string | null => (typeof v === 'number' ? String(v) : null);

const changed = (previous: unknown, current: unknown): Record<string, unknown> => ({ current, previous });

/** The events Zendesk would send for one change (one change can be several events). */
export function eventsFor(change: ZdChange, current: StoredUser | ZdOrganization | ZdTicket): { type: string; event: Record<string, unknown> }[] {
  const p = change.previous;
  const out: { type: string; event: Record<string, unknown> }[] = [];
  const has = (k: string): boolean => Object.hasOwn(p, k);
  if (change.entity === 'user') {
    const u = current as StoredUser;
    if (change.kind === 'created') return [{ type: 'user.created', event: {} }];
    if (has('name')) out.push({ type: 'user.name_changed', event: changed(p.name, u.name) });
    if (has('external_id')) out.push({ type: 'user.external_id_changed', event: changed(p.external_id ?? '', u.external_id ?? '') });
    if (has('active')) out.push({ type: 'user.active_changed', event: changed(p.active, u.active) });
    if (has('role')) out.push({ type: 'user.role_changed', event: changed(p.role, u.role) });
    if (has('notes')) out.push({ type: 'user.notes_changed', event: changed(p.notes ?? '', u.notes ?? '') });
    if (has('details')) out.push({ type: 'user.details_changed', event: changed(p.details ?? '', u.details ?? '') });
    if (has('alias')) out.push({ type: 'user.alias_changed', event: changed(p.alias ?? '', u.alias ?? '') });
    if (has('time_zone')) out.push({ type: 'user.time_zone_changed', event: changed(p.time_zone, u.time_zone) });
    if (has('tags')) {
      const before = (p.tags as string[] | undefined) ?? [];
      out.push({
        type: 'user.tags_changed',
        event: { tags_added: u.tags.filter((t) => !before.includes(t)), tags_removed: before.filter((t) => !u.tags.includes(t)) },
      });
    }
    for (const [field, identity] of [
      ['email', 'email'],
      ['phone', 'phone_number'],
    ] as const) {
      if (!has(field)) continue;
      const before = p[field] as string | null;
      const after = u[field];
      const ident = (value: string | null): Record<string, unknown> | null =>
        value === null ? null : { id: '0', primary: true, type: identity, value };
      if (before === null) out.push({ type: 'user.identity_created', event: { current: ident(after) } });
      else if (after === null) out.push({ type: 'user.identity_deleted', event: { previous: ident(before) } });
      else out.push({ type: 'user.identity_changed', event: changed(ident(before), ident(after)) });
    }
    if (has('organization_id')) {
      const before = p.organization_id as number | null;
      if (before !== null) out.push({ type: 'user.organization_membership_deleted', event: { previous: { id: String(before) } } });
      if (u.organization_id !== null) out.push({ type: 'user.organization_membership_created', event: { current: { id: String(u.organization_id) } } });
    }
    if (has('user_fields')) {
      const before = (p.user_fields as Record<string, unknown> | undefined) ?? {};
      for (const [k, v] of Object.entries(u.user_fields)) {
        if (JSON.stringify(before[k]) !== JSON.stringify(v)) {
          out.push({ type: 'user.custom_field_changed', event: { current: v, previous: before[k] ?? null, field: { id: '0', title: k, type: typeof v } } });
        }
      }
    }
    return out;
  }
  if (change.entity === 'organization') {
    const o = current as ZdOrganization;
    if (change.kind === 'created') return [{ type: 'organization.created', event: {} }];
    if (has('name')) out.push({ type: 'organization.name_changed', event: changed(p.name, o.name) });
    if (has('external_id')) out.push({ type: 'organization.external_id_changed', event: changed(p.external_id ?? '', o.external_id ?? '') });
    if (has('tags')) {
      const before = (p.tags as string[] | undefined) ?? [];
      out.push({
        type: 'organization.tags_changed',
        event: { tags_added: o.tags.filter((t) => !before.includes(t)), tags_removed: before.filter((t) => !o.tags.includes(t)) },
      });
    }
    if (has('organization_fields')) {
      const before = (p.organization_fields as Record<string, unknown> | undefined) ?? {};
      for (const [k, v] of Object.entries(o.organization_fields)) {
        if (JSON.stringify(before[k]) !== JSON.stringify(v)) {
          out.push({ type: 'organization.custom_field_changed', event: { current: v, previous: before[k] ?? null, field: { id: '0', title: k, type: typeof v } } });
        }
      }
    }
    return out;
  }
  const t = current as ZdTicket;
  const upper = (s: unknown): unknown => (typeof s === 'string' ? s.toUpperCase() : s);
  if (change.kind === 'created') return [{ type: 'ticket.created', event: {} }];
  if (has('status')) out.push({ type: 'ticket.status_changed', event: changed(upper(p.status), upper(t.status)) });
  if (has('priority')) out.push({ type: 'ticket.priority_changed', event: changed(upper(p.priority), upper(t.priority)) });
  if (has('subject')) out.push({ type: 'ticket.subject_changed', event: changed(p.subject, t.subject) });
  if (has('assignee_id')) out.push({ type: 'ticket.agent_assignment_changed', event: changed(idOrNull(p.assignee_id), idOrNull(t.assignee_id)) });
  if (has('requester_id')) out.push({ type: 'ticket.requester_changed', event: changed(idOrNull(p.requester_id), String(t.requester_id)) });
  if (has('organization_id')) out.push({ type: 'ticket.organization_changed', event: changed(idOrNull(p.organization_id), idOrNull(t.organization_id)) });
  if (has('type')) out.push({ type: 'ticket.type_changed', event: changed(upper(p.type), upper(t.type)) });
  if (has('tags')) {
    const before = (p.tags as string[] | undefined) ?? [];
    out.push({ type: 'ticket.tags_changed', event: { tags_added: t.tags.filter((x) => !before.includes(x)), tags_removed: before.filter((x) => !t.tags.includes(x)) } });
  }
  return out;
}

export function buildEvents(change: ZdChange, current: StoredUser | ZdOrganization | ZdTicket, now: Date): ZendeskEvent[] {
  const detail =
    change.entity === 'user'
      ? userDetail(current as StoredUser)
      : change.entity === 'organization'
        ? organizationDetail(current as ZdOrganization)
        : ticketDetail(current as ZdTicket);
  return eventsFor(change, current).map(({ type, event }) => ({
    type: `zen:event-type:${type}`,
    account_id: SANDBOX_ACCOUNT_ID,
    id: randomUUID(),
    time: zendeskTime(now),
    // Ticket events were introduced under a later schema version than user/org events.
    zendesk_event_version: change.entity === 'ticket' ? '2022-11-06' : '2022-06-20',
    subject: `zen:${change.entity}:${current.id}`,
    detail,
    event,
  }));
}

export function eventMessage(e: ZendeskEvent): WebhookMessage {
  return {
    body: JSON.stringify(e),
    contentType: 'application/json; charset=utf-8',
    headers: { 'user-agent': 'Zendesk Webhook', 'x-zendesk-webhook-id': SANDBOX_WEBHOOK_ID, 'x-zendesk-webhook-invocation-id': e.id },
    label: e.type.replace('zen:event-type:', ''),
  };
}

/**
 * Zendesk retries a failed invocation a few times (409 up to 3 times, 429/503 with a short
 * Retry-After, timeouts up to 5 times) and stops after its 10-12 s timeout; see "Webhook
 * retries" in https://developer.zendesk.com/api-reference/webhooks/introduction/.
 * The kit's notifier retries every non-2xx answer and network error on `retryDelaysMs`,
 * which is the same shape on a shorter clock (other 4xx are retried here too).
 */
export function createZendeskNotifier(secret: string, retryDelaysMs: readonly number[]): WebhookNotifier {
  return new WebhookNotifier({
    retryDelaysMs,
    timeoutMs: 10_000,
    sign: (body, at) => {
      const timestamp = zendeskTime(at);
      return {
        'x-zendesk-webhook-signature': signZendeskWebhook(secret, timestamp, body),
        'x-zendesk-webhook-signature-timestamp': timestamp,
      };
    },
  });
}

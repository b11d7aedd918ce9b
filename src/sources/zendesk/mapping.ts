// Raw Zendesk records → Meridian's source-level types (pure).
import type { PersonRecord, SatisfactionRatingRecord, SourceRecord, TicketRecord } from '../types.ts';
import { KEY_PREFIX, toSalesforceId18 } from '../salesforce/schema.ts';
import type { OrganizationRaw, SatisfactionRatingRaw, TicketRaw, UserRaw } from './schema.ts';

export const ZENDESK_ACCOUNT_TYPE = 'organization';

/** Zendesk's `2025-03-04T10:11:12Z` → `2025-03-04T10:11:12.000Z`. Input already passed the schema. */
export const zendeskTimeToIso = (value: string): string => new Date(value).toISOString();

const nonEmpty = (v: string | null | undefined): string | null => {
  const t = v?.trim();
  return t ? t : null;
};

/**
 * An organization as a SourceRecord. `data` is the organization as the API returns it.
 * `external_id` holding a Salesforce Account id (15 or 18 chars, key prefix 001) is a
 * cross-reference, given in its 18-char form; any other external id is left alone.
 * `emails` are those of the organization's end-users when the caller knows them (the scan
 * does), else empty: an organization has no email of its own.
 */
export function organizationToSourceRecord(org: OrganizationRaw, emails: readonly string[] = []): SourceRecord {
  const xrefs: SourceRecord['xrefs'] = [];
  const ext = nonEmpty(org.external_id);
  const sfId = ext === null ? null : toSalesforceId18(ext);
  if (sfId !== null && sfId.startsWith(KEY_PREFIX.Account)) xrefs.push({ system: 'salesforce', id: sfId, field: 'external_id' });
  return {
    system: 'zendesk',
    type: ZENDESK_ACCOUNT_TYPE,
    id: String(org.id),
    updatedAt: zendeskTimeToIso(org.updated_at),
    data: { ...org },
    xrefs,
    emails: [...new Set(emails.map((e) => e.trim().toLowerCase()).filter((e) => e !== ''))].sort(),
    deleted: false,
  };
}

export function userToPerson(u: UserRaw): PersonRecord {
  return {
    system: 'zendesk',
    type: 'user',
    id: String(u.id),
    accountId: u.organization_id === null || u.organization_id === undefined ? null : String(u.organization_id),
    name: nonEmpty(u.name),
    email: nonEmpty(u.email),
    phone: nonEmpty(u.phone),
    // Zendesk users have no job title field.
    title: null,
    updatedAt: zendeskTimeToIso(u.updated_at),
    // external_id is free-form: it counts only if it is the id of a Salesforce Contact of the same customer.
    ...(u.external_id ? { sameAs: [{ system: 'salesforce' as const, id: u.external_id, field: 'external_id' }] } : {}),
  };
}

/** `satisfaction` is the ticket's rating score (good, bad, offered, unoffered), null when none. */
export function ticketToRecord(t: TicketRaw): TicketRecord {
  return {
    id: String(t.id),
    subject: t.subject ?? '',
    status: t.status,
    priority: t.priority ?? null,
    requesterId: t.requester_id === null || t.requester_id === undefined ? null : String(t.requester_id),
    satisfaction: t.satisfaction_rating?.score ?? null,
    createdAt: zendeskTimeToIso(t.created_at),
    updatedAt: zendeskTimeToIso(t.updated_at),
  };
}

export function ratingToRecord(r: SatisfactionRatingRaw): SatisfactionRatingRecord {
  return {
    id: String(r.id),
    score: r.score,
    comment: nonEmpty(r.comment),
    ticketId: String(r.ticket_id),
    createdAt: zendeskTimeToIso(r.created_at),
  };
}

/** Scores of a rating the customer actually gave (Zendesk's `score=received` filter). */
export const RECEIVED_SCORES: ReadonlySet<string> = new Set(['good', 'bad']);

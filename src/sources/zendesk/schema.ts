// Raw Zendesk Support API v2 payloads as zod schemas. Unknown fields pass through.
// https://developer.zendesk.com/api-reference/ticketing/organizations/organizations/
// https://developer.zendesk.com/api-reference/ticketing/users/users/
// https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/
// https://developer.zendesk.com/api-reference/ticketing/ticket-management/satisfaction_ratings/
import { z } from 'zod';

/** Zendesk writes `2025-03-04T10:11:12Z`. */
const zdDateTime = z.string().refine((v) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})$/.test(v) && !Number.isNaN(Date.parse(v)), 'expected an ISO-8601 datetime');
const zdId = z.number().int().positive();
const text = z.string().nullable();

export const organizationSchema = z.looseObject({
  id: zdId,
  name: z.string(),
  external_id: text.optional(),
  created_at: zdDateTime,
  updated_at: zdDateTime,
});
export type OrganizationRaw = z.infer<typeof organizationSchema>;

export const userSchema = z.looseObject({
  id: zdId,
  name: z.string(),
  email: text.optional(),
  phone: text.optional(),
  organization_id: zdId.nullable().optional(),
  /** Free-form; often the id of the person in another system (a Salesforce Contact Id). */
  external_id: text.optional(),
  role: z.string(),
  updated_at: zdDateTime,
});
export type UserRaw = z.infer<typeof userSchema>;

export const ticketSchema = z.looseObject({
  id: zdId,
  subject: text.optional(),
  status: z.string(),
  priority: text.optional(),
  requester_id: zdId.nullable().optional(),
  organization_id: zdId.nullable().optional(),
  // `{score}` (the sandbox) or `{id, score, comment}` (Zendesk); `offered`/`unoffered` when not rated.
  satisfaction_rating: z.looseObject({ score: z.string() }).nullable().optional(),
  created_at: zdDateTime,
  updated_at: zdDateTime,
});
export type TicketRaw = z.infer<typeof ticketSchema>;

export const satisfactionRatingSchema = z.looseObject({
  id: zdId,
  score: z.string(),
  comment: text.optional(),
  ticket_id: zdId,
  created_at: zdDateTime,
});
export type SatisfactionRatingRaw = z.infer<typeof satisfactionRatingSchema>;

/** A list answer's paging: cursor (`meta`, `links`) or offset (`next_page`). */
export const listPagingSchema = z.looseObject({
  meta: z.looseObject({ has_more: z.boolean() }).optional(),
  links: z.looseObject({ next: z.string().nullable().optional() }).optional(),
  next_page: z.string().nullable().optional(),
});

export interface ListPage {
  items: unknown[];
  /** The next page's URL, null on the last page. */
  next: string | null;
}

/** A list (or show_many) answer: the items under `key` and where the next page is. */
export function parseListPage(body: unknown, key: string): ListPage | string {
  const paging = listPagingSchema.safeParse(body);
  if (!paging.success) return `${paging.error.issues[0]?.path.join('.') ?? ''}: ${paging.error.issues[0]?.message ?? ''}`;
  const items = (body as Record<string, unknown>)[key];
  if (!Array.isArray(items)) return `${key}: expected an array`;
  const next = paging.data.links?.next ?? paging.data.next_page ?? null;
  // Cursor paging says when it is done; stop on has_more=false even if a link is present.
  return { items: items as unknown[], next: paging.data.meta?.has_more === false ? null : next };
}

// Zendesk's change feeds, polled by the sync worker (src/sync/poll.ts).
import { z } from 'zod';
import type { ChangeFeed, ChangeJob } from '../contract.ts';
import type { ZendeskClient } from './client.ts';

const PAGE = 200;

// ---------- Zendesk: incremental exports ----------
// https://developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports/
// Time-based exports of organizations and users (`start_time` → `end_time`; a page never splits
// one second, so resuming at end_time repeats that second's items, which the job queue folds).
// A deleted organization is exported with `deleted_at`; its job finds it gone.
// Position: the `end_time` of the last page (unix seconds).
function zendeskFeed(client: ZendeskClient, entity: 'organizations' | 'users', now: () => Date): ChangeFeed {
  const endpoint = (client.config.endpointUri ?? '').replace(/\/+$/, '');
  return {
    system: 'zendesk',
    name: entity,
    initial: () => Promise.resolve(String(Math.floor(now().getTime() / 1000))),
    read: async (position) => {
      const raw: unknown = await client.organizations._rawRequest('GET', `${endpoint}/incremental/${entity}.json?start_time=${encodeURIComponent(position)}&per_page=${PAGE}`);
      const answer = raw as { response?: { status?: number }; result?: unknown };
      const status = answer.response?.status ?? 0;
      // Zendesk refuses a start_time within its last minute (422): nothing to read yet.
      if (status === 422) return { changes: [], position, more: false };
      if (status < 200 || status >= 300) throw new Error(`Zendesk answered ${status} to the ${entity} incremental export`);
      const body = z.object({ end_time: z.number().nullable().optional(), end_of_stream: z.boolean().optional() }).loose().parse(answer.result);
      const items = z.array(z.object({ id: z.number(), organization_id: z.number().nullable().optional() }).loose()).parse((answer.result as Record<string, unknown>)[entity]);
      const changes = items.map((i): ChangeJob =>
        entity === 'organizations' ? { system: 'zendesk', type: 'account', id: String(i.id), reason: 'poll' } : i.organization_id ? { system: 'zendesk', type: 'account', id: String(i.organization_id), reason: 'poll' } : { system: 'zendesk', type: 'person', id: String(i.id), reason: 'poll' },
      );
      const end = body.end_time ?? null;
      // end_time equal to where we started and a full page: step past that second, or we would loop.
      const next = end === null ? position : items.length >= PAGE && String(end) === position ? String(end + 1) : String(end);
      return { changes, position: next, more: body.end_of_stream === false && next !== position };
    },
  };
}

export function zendeskFeeds(client: ZendeskClient, now: () => Date = () => new Date()): ChangeFeed[] {
  return [zendeskFeed(client, 'organizations', now), zendeskFeed(client, 'users', now)];
}


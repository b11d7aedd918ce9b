// Stripe's change feed, polled by the sync worker (src/sync/poll.ts): the events list.
import type Stripe from 'stripe';
import type { ChangeFeed, FeedPage, ChangeJob } from '../contract.ts';
import { noticesOfStripeEvent } from './webhook.ts';

const PAGE = 200;

// ---------- Stripe: the events list ----------
// https://docs.stripe.com/api/events/list: newest first; `ending_before=<id>` gives the events just
// after it, so walking forward from the last event read sees each once. Every object change is an
// event (customer.updated, customer.deleted, invoice.paid…), deletions included.
// Position: the id of the last event read, or `t:<unix seconds>` before any was (the feed's start).
export function stripeEventsFeed(stripe: Stripe, now: () => Date = () => new Date()): ChangeFeed {
  const changesOf = (events: readonly Stripe.Event[]): ChangeJob[] =>
    events.flatMap((e) => noticesOfStripeEvent(e).map((n): ChangeJob => ({ system: 'stripe', type: n.level, id: n.id, reason: 'poll', ...(n.identity ? {} : { identity: false }), ...(n.attributes ? { attributes: n.attributes } : {}) })));
  return {
    system: 'stripe',
    name: 'events',
    initial: async () => {
      const [newest] = (await stripe.events.list({ limit: 1 })).data;
      return newest?.id ?? `t:${Math.floor(now().getTime() / 1000)}`;
    },
    read: async (position): Promise<FeedPage> => {
      if (position.startsWith('t:')) {
        // No event read yet: everything created since the start, oldest first.
        const events: Stripe.Event[] = [];
        for await (const e of stripe.events.list({ created: { gte: Number(position.slice(2)) }, limit: 100 })) {
          events.push(e);
          if (events.length >= 10 * PAGE) break;
        }
        events.reverse();
        const last = events.at(-1);
        return { changes: changesOf(events), position: last?.id ?? position, more: false };
      }
      const page = await stripe.events.list({ ending_before: position, limit: 100 });
      const events = [...page.data].reverse();
      return { changes: changesOf(events), position: events.at(-1)?.id ?? position, more: page.has_more };
    },
  };
}


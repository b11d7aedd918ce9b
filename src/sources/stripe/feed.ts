// Stripe's change feed, polled by the sync worker (src/sync/poll.ts): the events list.
import type Stripe from 'stripe';
import type { ChangeFeed, FeedPage, ChangeJob } from '../contract.ts';
import { noticesOfStripeEvent } from './webhook.ts';

const PAGE = 200;

// ---------- Stripe: the events list ----------
// https://docs.stripe.com/api/events/list: newest first; `ending_before=<id>` gives the events just
// after it, so walking forward from the last event read sees each once. Every object change is an
// event (customer.updated, customer.deleted, invoice.paid…), deletions included.
// Position: `<id>@<created>` of the last event read (a bare id from before the time was kept), or
// `t:<unix seconds>` before any was (the feed's start).
// Stripe keeps events for 30 days, the sandbox's emulator while it runs: a position older than
// that names an event Stripe no longer has, and `ending_before` it is refused (resource_missing).
// The feed then reads on from that event's time: what it reads twice is a record read again
// (jobs are deduplicated per record), never a change skipped. A bare id has no time: it reads the
// newest events Stripe still keeps.
export function stripeEventsFeed(stripe: Stripe, now: () => Date = () => new Date()): ChangeFeed {
  const changesOf = (events: readonly Stripe.Event[]): ChangeJob[] =>
    events.flatMap((e) => noticesOfStripeEvent(e).map((n): ChangeJob => ({ system: 'stripe', type: n.level, id: n.id, reason: 'poll', ...(n.identity ? {} : { identity: false }), ...(n.attributes ? { attributes: n.attributes } : {}) })));
  const positionOf = (e: Stripe.Event): string => `${e.id}@${e.created}`;
  /** Every event created at or after `gte` (unix seconds), oldest first, up to 10 pages. */
  const since = async (gte: number, position: string): Promise<FeedPage> => {
    const events: Stripe.Event[] = [];
    for await (const e of stripe.events.list({ created: { gte }, limit: 100 })) {
      events.push(e);
      if (events.length >= 10 * PAGE) break;
    }
    events.reverse();
    const last = events.at(-1);
    return { changes: changesOf(events), position: last ? positionOf(last) : position, more: false };
  };
  return {
    system: 'stripe',
    name: 'events',
    initial: async () => {
      const [newest] = (await stripe.events.list({ limit: 1 })).data;
      return newest ? positionOf(newest) : `t:${Math.floor(now().getTime() / 1000)}`;
    },
    read: async (position): Promise<FeedPage> => {
      // No event read yet: everything created since the start.
      if (position.startsWith('t:')) return since(Number(position.slice(2)), position);
      const at = position.indexOf('@');
      const id = at === -1 ? position : position.slice(0, at);
      let page: Stripe.ApiList<Stripe.Event>;
      try {
        page = await stripe.events.list({ ending_before: id, limit: 100 });
      } catch (e) {
        if ((e as { code?: unknown }).code !== 'resource_missing') throw e;
        // Until an event comes, the position is that time: the gone id is not asked for again.
        const gte = at === -1 ? 0 : Number(position.slice(at + 1));
        return since(gte, `t:${gte}`);
      }
      const events = [...page.data].reverse();
      const last = events.at(-1);
      return { changes: changesOf(events), position: last ? positionOf(last) : position, more: page.has_more };
    },
  };
}


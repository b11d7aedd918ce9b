// reviewQueueChanged (CONTRACT.md): every change to a review item — raised by a backfill, the
// matcher or a failed write, decided by a person, closed because its customers were settled —
// is announced on the pub/sub channel `review.changed` as the ids of the items, after the change
// committed; a subscriber reads each item as it is then. Redis carries it between replicas and
// workers; at most once, like every channel (a missed announcement costs a subscriber one
// update, and reviewQueue still lists the item).
import { expandMessages, type JsonValue, type PubSub } from '../pubsub/index.ts';
import type { ReviewItem } from './items.ts';

export const REVIEW_CHANGED_CHANNEL = 'review.changed';

/** Ids per message: a backfill raising thousands of items sends them in several messages. */
const IDS_PER_MESSAGE = 500;

const idsOf = (m: JsonValue): string[] => {
  const ids = m !== null && typeof m === 'object' && !Array.isArray(m) ? m['ids'] : null;
  return Array.isArray(ids) ? ids.filter((x): x is string => typeof x === 'string') : [];
};

/** Announces changed items (ReviewItemsOptions.onChanged); never throws: a failure goes to onError. */
export async function publishReviewChanges(pubsub: PubSub, ids: readonly string[], onError: (e: unknown) => void): Promise<void> {
  for (let i = 0; i < ids.length; i += IDS_PER_MESSAGE) {
    await pubsub.publish(REVIEW_CHANGED_CHANNEL, { ids: ids.slice(i, i + IDS_PER_MESSAGE) }).catch(onError);
  }
}

/** The changed items from now on, each read (`get`) when its announcement arrives; ids that name no item are skipped. */
export async function subscribeReviewChanges(pubsub: PubSub, get: (id: string) => Promise<ReviewItem | null>): Promise<AsyncIterableIterator<ReviewItem>> {
  const source = pubsub.asyncIterator<JsonValue>([REVIEW_CHANGED_CHANNEL]);
  await source.ready();
  return expandMessages(source, async (m) => {
    const items = await Promise.all(idsOf(m).map(get));
    return items.filter((i): i is ReviewItem => i !== null);
  });
}

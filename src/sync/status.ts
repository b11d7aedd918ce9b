// Sync status events (the sync contract, issue #10): `sync.status` per outbox row as it moves
// QUEUED → WRITING → DONE / FAILED, and `customer.changed` once writes to a customer landed.
// Published on the shared PubSub (Redis when configured); delivery is at most once, so a lost
// event costs a subscriber one status line, never a write.
import type { PubSub } from '../pubsub/index.ts';
import { REVIEW_CHANGED_CHANNEL } from '../review/events.ts';

export const SYNC_STATUS_CHANNEL = 'sync.status';
export const CUSTOMER_CHANGED_CHANNEL = 'customer.changed';

export type SyncState = 'QUEUED' | 'WRITING' | 'DONE' | 'FAILED';

export interface SyncEvent {
  customerId: string;
  system: string;
  recordId: string;
  outboxId: string;
  state: SyncState;
  fields: string[];
  error: string | null;
  at: string;
}

export interface StatusPublisher {
  status(entry: { goldenId: string; system: string; recordId: string; id: string; fields: readonly string[] }, state: SyncState, error?: string | null): Promise<void>;
  customerChanged(customerId: string): Promise<void>;
  /** Review items the pipeline raised or changed (a dead letter's SYNC_FAILURE), after the commit. */
  reviewChanged(ids: readonly string[]): Promise<void>;
}

export function createStatusPublisher(pubsub: PubSub | null | undefined, options: { now?: () => Date; onError?: (e: unknown) => void } = {}): StatusPublisher {
  const now = options.now ?? (() => new Date());
  const onError = options.onError ?? (() => undefined);
  const publish = async (channel: string, message: Record<string, string | string[] | null>): Promise<void> => {
    if (!pubsub) return;
    try {
      await pubsub.publish(channel, message);
    } catch (e) {
      onError(e);
    }
  };
  return {
    status: (entry, state, error = null) =>
      publish(SYNC_STATUS_CHANNEL, {
        customerId: entry.goldenId, system: entry.system, recordId: entry.recordId, outboxId: entry.id, state, fields: [...entry.fields], error, at: now().toISOString(),
      }),
    customerChanged: (customerId) => publish(CUSTOMER_CHANGED_CHANNEL, { customerId, at: now().toISOString() }),
    reviewChanged: (ids) => (ids.length > 0 ? publish(REVIEW_CHANGED_CHANNEL, { ids: [...ids] }) : Promise.resolve()),
  };
}

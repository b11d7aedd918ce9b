// What a change notification tells the gateway: which records of which system changed.
import type { SystemId } from '../sources/types.ts';

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
}

/** A notification we refuse: bad signature, stale timestamp, unreadable body. Answered 4xx. */
export class WebhookRejectedError extends Error {
  constructor(
    readonly status: 400 | 401,
    message: string,
  ) {
    super(message);
    this.name = 'WebhookRejectedError';
  }
}

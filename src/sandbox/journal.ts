// The emulators keep their records in memory, seeded from the generated world. What changes
// during a session (a Stripe customer created through the API, a Zendesk ticket, an updated
// Salesforce account) is written here, beside the ERP in the sandbox's database, so a restart
// on the same database regenerates the same world and replays those changes on top: the
// records the identity links name are still there, and ids handed out in one session are
// never handed out again to other records in the next.
import type pg from 'pg';
import type { SalesforceStore, SfRecord } from './salesforce/store.ts';
import { isStripeObjectKind, type StripeStore } from './stripe/store.ts';
import type { ZdEntity, ZendeskStore } from './zendesk/store.ts';
import type { SObjectName } from './salesforce/schema.ts';
import { JOURNAL_TABLE } from './erp/index.ts';

export interface JournalStores {
  salesforce: SalesforceStore;
  stripe: StripeStore;
  zendesk: ZendeskStore;
}

interface Entry {
  system: 'salesforce' | 'stripe' | 'zendesk';
  kind: string;
  id: string;
  deleted: boolean;
  record: unknown;
}

export interface SandboxJournal {
  /** How many changes were replayed at start. */
  readonly replayed: number;
  /** Waits until every change so far is written. */
  flush(): Promise<void>;
  /** Stops recording and flushes. */
  close(): Promise<void>;
}

/** Replays the recorded changes into the stores, then records every new change. */
export async function openJournal(pool: pg.Pool, schema: string, stores: JournalStores, onError: (e: unknown) => void = defaultOnError): Promise<SandboxJournal> {
  const table = `${schema}.${JOURNAL_TABLE}`;
  const { rows } = await pool.query<{ system: string; kind: string; deleted: boolean; record: Record<string, unknown> }>(
    `SELECT system, kind, deleted, record FROM ${table} ORDER BY seq`,
  );
  for (const r of rows) {
    if (r.system === 'salesforce') stores.salesforce.restore(r.kind as SObjectName, r.record as SfRecord);
    else if (r.system === 'stripe' && isStripeObjectKind(r.kind)) stores.stripe.restore(r.kind, r.record as never, r.deleted);
    else if (r.system === 'zendesk') stores.zendesk.restore(r.kind as ZdEntity, r.record as never);
  }

  let pending: Entry[] = [];
  let writing: Promise<void> = Promise.resolve();
  let scheduled = false;
  const write = (): void => {
    scheduled = false;
    const batch = pending;
    pending = [];
    if (batch.length === 0) return;
    // One INSERT per batch, in order; a failure is reported and the next batch still goes.
    writing = writing.then(() =>
      pool
        .query(`INSERT INTO ${table} (system, kind, record_id, deleted, record) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::boolean[], $5::jsonb[])`, [
          batch.map((e) => e.system),
          batch.map((e) => e.kind),
          batch.map((e) => e.id),
          batch.map((e) => e.deleted),
          batch.map((e) => JSON.stringify(e.record)),
        ])
        .then(() => undefined, onError),
    );
  };
  const record = (e: Entry): void => {
    pending.push(e);
    if (!scheduled) {
      scheduled = true;
      setImmediate(write);
    }
  };

  const offs = [
    stores.salesforce.onChange((c) => record({ system: 'salesforce', kind: c.type, id: c.id, deleted: false, record: c.record })),
    stores.stripe.onEvent((event) => {
      const obj = event.data.object;
      const kind = typeof obj['object'] === 'string' ? obj['object'] : '';
      if (!isStripeObjectKind(kind)) return;
      record({ system: 'stripe', kind, id: String(obj['id']), deleted: event.type === 'customer.deleted', record: obj });
    }),
    stores.zendesk.onChange((change, current) => record({ system: 'zendesk', kind: change.entity, id: String(change.id), deleted: false, record: current })),
  ];

  const flush = async (): Promise<void> => {
    write();
    await writing;
  };
  return {
    replayed: rows.length,
    flush,
    close: async () => {
      for (const off of offs) off();
      await flush();
    },
  };
}

function defaultOnError(e: unknown): void {
  console.error('[sandbox] could not record a change:', e instanceof Error ? e.message : String(e));
}

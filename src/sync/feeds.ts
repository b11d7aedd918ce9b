// Each system's change feeds, read with its real SDK (src/sync/poll.ts runs them). Positions are
// strings stored in sync_cursors; each feed says what its position means.
import type Stripe from 'stripe';
import type pg from 'pg';
import type { Connection } from 'jsforce';
import { z } from 'zod';
import type { ZendeskClient } from '../sources/zendesk/client.ts';
import { noticesOfStripeEvent } from '../sources/stripe/webhook.ts';
import { quoteIdentifier } from '../store/sql.ts';
import type { SystemSettings } from '../config/systems.ts';
import { createStripeClient } from '../sources/stripe/client.ts';
import { createZendeskClient } from '../sources/zendesk/client.ts';
import { createErpPool } from '../sources/erp/client.ts';
import type { ChangeJob } from './queue.ts';
import type { ChangeFeed, FeedPage } from './poll.ts';

const PAGE = 200;

// ---------- Stripe: the events list ----------
// https://docs.stripe.com/api/events/list: newest first; `ending_before=<id>` gives the events just
// after it, so walking forward from the last event read sees each once. Every object change is an
// event (customer.updated, customer.deleted, invoice.paid…), deletions included.
// Position: the id of the last event read, or `t:<unix seconds>` before any was (the feed's start).
export function stripeEventsFeed(stripe: Stripe, now: () => Date = () => new Date()): ChangeFeed {
  const changesOf = (events: readonly Stripe.Event[]): ChangeJob[] =>
    events.flatMap((e) => noticesOfStripeEvent(e).map((n): ChangeJob => ({ system: 'stripe', type: n.level, id: n.id, reason: 'poll', ...(n.identity ? {} : { identity: false }) })));
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

// ---------- Salesforce: SystemModstamp, and getDeleted ----------
// https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select_dateformats.htm
// SystemModstamp changes with every change to a record, system ones included; querying it reads
// changes within seconds (getUpdated works in whole minutes). A Contact's change is its Account's.
// SOQL datetime literals are whole seconds, so a poll starts at the second of the last change read
// and skips the records of that second it has read already.
// Position: JSON { t: the last SystemModstamp read, ids: the records read in t's second }.
const stampPosition = z.object({ t: z.string(), ids: z.array(z.string()) });
const secondOf = (iso: string): number => Math.floor(Date.parse(iso) / 1000);
const soqlDateTime = (second: number): string => new Date(second * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

function salesforceStampFeed(connection: () => Promise<Connection>, object: 'Account' | 'Contact', now: () => Date): ChangeFeed {
  return {
    system: 'salesforce',
    name: object === 'Account' ? 'accounts' : 'contacts',
    initial: () => Promise.resolve(JSON.stringify({ t: now().toISOString(), ids: [] })),
    read: async (position) => {
      const from = stampPosition.parse(JSON.parse(position));
      const conn = await connection();
      const fields = object === 'Account' ? 'Id, SystemModstamp' : 'Id, AccountId, SystemModstamp';
      // The literal is ours (a second we computed), never a caller's.
      const soql = `SELECT ${fields} FROM ${object} WHERE SystemModstamp >= ${soqlDateTime(secondOf(from.t))} ORDER BY SystemModstamp, Id LIMIT ${PAGE}`;
      const result = await conn.query<{ Id: string; AccountId?: string | null; SystemModstamp: string }>(soql);
      const seen = new Set(from.ids);
      const rows = result.records.filter((r) => !(seen.has(r.Id) && secondOf(r.SystemModstamp) === secondOf(from.t)));
      const changes = rows.map((r): ChangeJob => (object === 'Account' || !r.AccountId ? { system: 'salesforce', type: object === 'Account' ? 'account' : 'person', id: r.Id, reason: 'poll' } : { system: 'salesforce', type: 'account', id: r.AccountId, reason: 'poll' }));
      const last = rows.at(-1);
      if (!last) return { changes, position, more: false };
      const t = last.SystemModstamp;
      const inSecond = result.records.filter((r) => secondOf(r.SystemModstamp) === secondOf(t)).map((r) => r.Id);
      const ids = secondOf(t) === secondOf(from.t) ? [...new Set([...from.ids, ...inSecond])] : inSecond;
      return { changes, position: JSON.stringify({ t, ids }), more: result.records.length >= PAGE };
    },
  };
}

// https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_getdeleted.htm
// Whole minutes only, a window longer than one minute, and at most 30 days back.
// Position: the `latestDateCovered` of the last read (ISO).
function salesforceDeletedFeed(connection: () => Promise<Connection>, now: () => Date): ChangeFeed {
  const MINUTE = 60_000;
  return {
    system: 'salesforce',
    name: 'deleted',
    initial: () => Promise.resolve(new Date(Math.floor(now().getTime() / MINUTE) * MINUTE).toISOString()),
    read: async (position) => {
      const start = Date.parse(position);
      const end = Math.floor(now().getTime() / MINUTE) * MINUTE;
      if (!(end - start > MINUTE)) return { changes: [], position, more: false };
      const conn = await connection();
      const result = await conn.sobject('Account').deleted(new Date(start).toISOString(), new Date(end).toISOString());
      const changes = (result.deletedRecords ?? []).map((d): ChangeJob => ({ system: 'salesforce', type: 'account', id: d.id, reason: 'poll' }));
      const covered = typeof result.latestDateCovered === 'string' ? new Date(result.latestDateCovered).toISOString() : new Date(end).toISOString();
      return { changes, position: covered, more: false };
    },
  };
}

export function salesforceFeeds(connection: () => Promise<Connection>, now: () => Date = () => new Date()): ChangeFeed[] {
  return [salesforceStampFeed(connection, 'Account', now), salesforceStampFeed(connection, 'Contact', now), salesforceDeletedFeed(connection, now)];
}

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

// ---------- ERP: scheduled reads by updated_at, and its deletions table ----------
// The ERP is a database: rows are read by (updated_at, key) after the last one read. A row is
// read once it is a second old, so a transaction that commits after a newer one cannot slip
// behind the position (updated_at is its start time). Contracts, invoices and payments changing
// refresh their customer without matching it again. Removals come from the deletions table.
// Positions: `<updated_at in microseconds since 1970>|<key>`; the deletions table's last seq.
function erpTableFeed(pool: pg.Pool, schema: string, table: 'customers' | 'contracts' | 'invoices' | 'payments', key: string): ChangeFeed {
  const t = `${quoteIdentifier(schema, 'ERP schema')}.${quoteIdentifier(table)}`;
  const k = quoteIdentifier(key);
  const micros = `(extract(epoch from updated_at) * 1000000)::bigint`;
  return {
    system: 'erp',
    name: table,
    initial: async () => {
      const r = await pool.query<{ at: string }>(`SELECT (extract(epoch from now()) * 1000000)::bigint::text AS at`);
      return `${r.rows[0]!.at}|`;
    },
    read: async (position) => {
      const bar = position.indexOf('|');
      const at = position.slice(0, bar);
      const after = position.slice(bar + 1);
      const r = await pool.query<{ at: string; key: string; customer: string }>(
        `SELECT ${micros}::text AS at, ${k}::text AS key, customer_number AS customer FROM ${t}
         WHERE (${micros}, ${k}::text) > ($1::bigint, $2) AND updated_at < now() - interval '1 second'
         ORDER BY ${micros}, ${k}::text LIMIT ${PAGE}`,
        [at, after],
      );
      const changes = r.rows.map((row): ChangeJob => ({ system: 'erp', type: 'account', id: row.customer, reason: 'poll', ...(table === 'customers' ? {} : { identity: false }) }));
      const last = r.rows.at(-1);
      return { changes, position: last ? `${last.at}|${last.key}` : position, more: r.rows.length >= PAGE };
    },
  };
}

function erpDeletionsFeed(pool: pg.Pool, schema: string): ChangeFeed {
  const t = `${quoteIdentifier(schema, 'ERP schema')}.deletions`;
  return {
    system: 'erp',
    name: 'deletions',
    initial: async () => String((await pool.query<{ seq: string | null }>(`SELECT max(seq)::text AS seq FROM ${t}`)).rows[0]?.seq ?? '0'),
    read: async (position) => {
      const r = await pool.query<{ seq: string; row_key: string }>(`SELECT seq::text, row_key FROM ${t} WHERE seq > $1::bigint AND table_name = 'customers' ORDER BY seq LIMIT ${PAGE}`, [position]);
      const changes = r.rows.flatMap((row): ChangeJob[] => {
        const id = row.row_key.replace(/^customer_number:/, '');
        return id === '' ? [] : [{ system: 'erp', type: 'account', id, reason: 'poll' }];
      });
      return { changes, position: r.rows.at(-1)?.seq ?? position, more: r.rows.length >= PAGE };
    },
  };
}

export function erpFeeds(pool: pg.Pool, schema: string): ChangeFeed[] {
  return [
    erpTableFeed(pool, schema, 'customers', 'customer_number'),
    erpTableFeed(pool, schema, 'contracts', 'contract_id'),
    erpTableFeed(pool, schema, 'invoices', 'invoice_id'),
    erpTableFeed(pool, schema, 'payments', 'payment_id'),
    erpDeletionsFeed(pool, schema),
  ];
}

/** Every configured system's feeds, with their own clients (closed by `close`). */
export function buildChangeFeeds(
  systems: SystemSettings,
  salesforce: { connection(): Promise<Connection> } | null,
  options: { timeoutMs: number; now?: () => Date },
): { feeds: ChangeFeed[]; close(): Promise<void> } {
  const now = options.now ?? (() => new Date());
  const feeds: ChangeFeed[] = [];
  const closers: (() => Promise<void>)[] = [];
  if (salesforce) feeds.push(...salesforceFeeds(() => salesforce.connection(), now));
  if (systems.stripe) feeds.push(stripeEventsFeed(createStripeClient(systems.stripe, { timeoutMs: options.timeoutMs, maxNetworkRetries: 0 }), now));
  if (systems.zendesk) feeds.push(...zendeskFeeds(createZendeskClient(systems.zendesk), now));
  if (systems.erp) {
    // Its own read-only connection (the same settings the connector's guard checked).
    const pool = createErpPool(systems.erp, { max: 1, statementTimeoutMs: options.timeoutMs });
    feeds.push(...erpFeeds(pool, systems.erp.schema));
    closers.push(() => pool.end());
  }
  return { feeds, close: async () => void (await Promise.all(closers.map((c) => c()))) };
}

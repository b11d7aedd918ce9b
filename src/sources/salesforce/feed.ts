// Salesforce's change feeds, polled by the sync worker (src/sync/poll.ts).
import type { Connection } from 'jsforce';
import { z } from 'zod';
import type { ChangeFeed, ChangeJob } from '../contract.ts';

const PAGE = 200;

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
// Position: the `latestDateCovered` of the last read (ISO). A position further back than that
// (the poller stopped for a month) is read from 30 days back: Salesforce refuses anything older
// (INVALID_REPLICATION_DATE, every poll), and keeps no deletions older to give.
function salesforceDeletedFeed(connection: () => Promise<Connection>, now: () => Date): ChangeFeed {
  const MINUTE = 60_000;
  return {
    system: 'salesforce',
    name: 'deleted',
    initial: () => Promise.resolve(new Date(Math.floor(now().getTime() / MINUTE) * MINUTE).toISOString()),
    read: async (position) => {
      const end = Math.floor(now().getTime() / MINUTE) * MINUTE;
      const start = Math.max(Date.parse(position), end - 30 * 24 * 60 * MINUTE + MINUTE);
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


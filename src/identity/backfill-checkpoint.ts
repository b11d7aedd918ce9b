// Where a backfill is, per system, kept in Meridian's Postgres (migration 0006): the scan's
// resume position and what the links need of the records read so far (matchableRecord), written
// page by page in one transaction each.
// A backfill that is stopped (Ctrl-C, a crash, a system that stays down) resumes each scan
// where it was and links everything read across the runs; a run that linked a system's
// complete scan clears that system's checkpoint.
import type { SourceRecord, SystemId } from '../domain/records.ts';
import type { Store } from '../store/index.ts';

export interface ScanCheckpoint {
  system: SystemId;
  /** Pass as the scan's `after`; null: from the start. */
  resumeAfter: string | null;
  records: number;
  /** The scan finished; only linking was left. */
  done: boolean;
}

export interface BackfillCheckpoints {
  /** The saved progress of each system that has one. */
  load(): Promise<ScanCheckpoint[]>;
  /** The records a system's checkpoint holds, in pages. */
  records(system: SystemId): AsyncIterable<SourceRecord[]>;
  /** One page read: its records and the new resume position, atomically. */
  savePage(system: SystemId, page: readonly SourceRecord[], resumeAfter: string | null): Promise<void>;
  markDone(system: SystemId): Promise<void>;
  /** Forgets those systems' progress (their scan was linked completely). */
  clear(systems: readonly SystemId[]): Promise<void>;
}

const READ_PAGE = 2000;

export function createBackfillCheckpoints(store: Store): BackfillCheckpoints {
  const scans = store.table('backfill_scans');
  const records = store.table('backfill_records');
  return {
    async load() {
      const r = await store.query<{ system: SystemId; resume_after: string | null; records: number; done: boolean }>(
        `SELECT system, resume_after, records, done FROM ${scans} ORDER BY system`,
      );
      return r.rows.map((row) => ({ system: row.system, resumeAfter: row.resume_after, records: row.records, done: row.done }));
    },

    async *records(system) {
      // Keyset pages, so a large checkpoint is read in bounded pieces.
      let after: [string, string] | null = null;
      for (;;) {
        const r: { rows: { record_type: string; external_id: string; record: SourceRecord }[] } = await store.query(
          after === null
            ? `SELECT record_type, external_id, record FROM ${records} WHERE system = $1 ORDER BY record_type, external_id LIMIT $2`
            : `SELECT record_type, external_id, record FROM ${records} WHERE system = $1 AND (record_type, external_id) > ($3, $4) ORDER BY record_type, external_id LIMIT $2`,
          after === null ? [system, READ_PAGE] : [system, READ_PAGE, after[0], after[1]],
        );
        if (r.rows.length > 0) yield r.rows.map((row) => row.record);
        if (r.rows.length < READ_PAGE) return;
        const last = r.rows.at(-1)!;
        after = [last.record_type, last.external_id];
      }
    },

    async savePage(system, page, resumeAfter) {
      await store.transaction(async (client) => {
        // Losing the last checkpoint to a server crash only means reading those records again,
        // so the commit need not wait for the WAL flush.
        await client.query('SET LOCAL synchronous_commit = off');
        await client.query(
          `INSERT INTO ${scans} (system, resume_after, records) VALUES ($1, $2, $3)
           ON CONFLICT (system) DO UPDATE SET resume_after = EXCLUDED.resume_after, records = ${scans}.records + EXCLUDED.records, updated_at = now()`,
          [system, resumeAfter, page.length],
        );
        if (page.length === 0) return;
        // A record read again (a page boundary moved under a live scan) keeps its latest copy.
        await client.query(
          `INSERT INTO ${records} (system, record_type, external_id, record)
           SELECT $1, t, i, r FROM unnest($2::text[], $3::text[], $4::jsonb[]) AS u(t, i, r)
           ON CONFLICT (system, record_type, external_id) DO UPDATE SET record = EXCLUDED.record`,
          [system, page.map((x) => x.type), page.map((x) => x.id), page.map((x) => JSON.stringify(x))],
        );
      });
    },

    async markDone(system) {
      await store.query(
        `INSERT INTO ${scans} (system, done) VALUES ($1, true) ON CONFLICT (system) DO UPDATE SET done = true, updated_at = now()`,
        [system],
      );
    },

    async clear(systems) {
      if (systems.length === 0) return;
      await store.query(`DELETE FROM ${scans} WHERE system = ANY($1::text[])`, [systems]);
    },
  };
}

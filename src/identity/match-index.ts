// The blocking index of incremental matching, in Postgres (migration 0004_match_index): the
// customer matcher's saved model, each account-level record's matcher values and keys, and term
// counts. A full backfill writes it (`replaceIn`); the live matcher reads candidates from it and
// updates one record at a time inside the identity lock (`candidatesIn`, `upsertIn`).
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { Store } from '../store/index.ts';
import { ACCOUNT_TYPE } from '../sources/types.ts';
import type { SourceRecord, SystemId } from '../domain/records.ts';
import { emailKey, type RecordRef } from './backfill.ts';
import { toMatcherRecord } from './customer-matching.ts';
import type { MatcherConfig } from './matcher/config.ts';
import { indexEntryOf, type BlockingKey, type NormalizedValues, type SavedModel } from './matcher/incremental.ts';

/** Exact-key rules, kept apart from the config's blocking rules by their leading '='. */
export const EXACT_EMAIL = '=email';
export const EXACT_XREF = '=xref';
/** The match_terms row that holds how many records are indexed. */
const TOTAL_FIELD = '#records';

export interface IndexKey extends BlockingKey {
  /** For '=xref': the field that names the record. */
  detail?: string;
}

export interface MatchIndexEntry {
  ref: RecordRef;
  /** The matcher's input columns (toMatcherRecord's values). */
  input: Record<string, string | null>;
  normalized: NormalizedValues;
  keys: IndexKey[];
}

/** What an entry says, hashed: equal fingerprints, equal input, values and keys. */
function fingerprintOf(e: MatchIndexEntry): string {
  return createHash('sha1').update(JSON.stringify([e.input, e.normalized, e.keys])).digest('base64url');
}

/** An `=xref` key names a record: `system␟recordType␟externalId`. */
export const refKey = (ref: RecordRef): string => `${ref.system}\u001f${ref.recordType}\u001f${ref.externalId}`;

/**
 * What the index holds of one account-level record: matcher values, blocking keys and exact keys.
 * `normalized` is the record's indexEntryOf when the caller has it already.
 */
export function customerIndexEntry(config: MatcherConfig, r: SourceRecord, normalized?: { values: NormalizedValues; keys: BlockingKey[] }): MatchIndexEntry {
  const input = toMatcherRecord(r);
  // A backfill passes what its full run computed of the record (indexEntryFromTable).
  const { values, keys } = normalized ?? indexEntryOf(config, input);
  const all: IndexKey[] = [...keys];
  const seen = new Set<string>();
  for (const e of r.emails) {
    const k = emailKey(e);
    if (k !== null && !seen.has(`e:${k}`)) {
      seen.add(`e:${k}`);
      all.push({ rule: EXACT_EMAIL, key: k });
    }
  }
  for (const x of r.xrefs) {
    const target = refKey({ system: x.system, recordType: ACCOUNT_TYPE[x.system], externalId: x.id });
    if (x.system === r.system && x.id === r.id) continue;
    if (seen.has(`x:${target}`)) continue;
    seen.add(`x:${target}`);
    all.push({ rule: EXACT_XREF, key: target, detail: x.field });
  }
  return {
    ref: { system: r.system, recordType: r.type, externalId: r.id },
    input: Object.fromEntries(Object.entries(input.values).map(([k, v]) => [k, v ?? null])),
    normalized: values,
    keys: all,
  };
}

/** Index entries in order: an array, or a view that builds each slice when it is asked for (replaceIn asks for each slice once, in order). */
export type EntrySource = Pick<readonly MatchIndexEntry[], 'length' | 'slice'>;

export interface IndexedCandidate {
  ref: RecordRef;
  input: Record<string, string | null>;
  /** The keys it shares with the record looked up: rule names ('=email', '=xref' = it names the record). */
  rules: Set<string>;
  /** '=email': the shared addresses; '=xref': the fields it names the record by. */
  emails: string[];
  namedBy: string[];
}

export interface CandidateLookup {
  /** The record's own blocking and exact keys. */
  keys: readonly IndexKey[];
  /** The record itself: excluded, and looked up as the target of other records' '=xref' keys. */
  self: RecordRef;
  /** A blocking key shared by more records than this finds none of them (the full run skips such a block). */
  maxBlock: number;
  /** The same cap for exact keys (an address on thousands of records is not one customer's). */
  maxExact: number;
}

export class MatchIndex {
  readonly #store: Store;
  readonly #models: string;
  readonly #records: string;
  readonly #keys: string;
  readonly #terms: string;
  #model: { id: string; model: SavedModel } | null = null;

  constructor(store: Store) {
    this.#store = store;
    this.#models = store.table('match_models');
    this.#records = store.table('match_records');
    this.#keys = store.table('match_keys');
    this.#terms = store.table('match_terms');
  }

  /** Saves a full run's model as the latest of `matcher`, keeping the five newest. */
  async saveModel(matcher: string, model: SavedModel): Promise<void> {
    await this.#store.transaction(async (c) => {
      await c.query(`INSERT INTO ${this.#models} (matcher, config_hash, model) VALUES ($1, $2, $3::jsonb)`, [matcher, model.configHash, JSON.stringify(model)]);
      await c.query(
        `DELETE FROM ${this.#models} WHERE matcher = $1 AND id NOT IN (SELECT id FROM ${this.#models} WHERE matcher = $1 ORDER BY id DESC LIMIT 5)`,
        [matcher],
      );
    });
  }

  /** The latest saved model of `matcher` (cached by id: one small query per call). */
  async latestModel(matcher: string, db: pg.PoolClient | null = null): Promise<SavedModel | null> {
    const q = db ?? this.#store.pool;
    const head = await q.query<{ id: string }>(`SELECT id FROM ${this.#models} WHERE matcher = $1 ORDER BY id DESC LIMIT 1`, [matcher]);
    const id = head.rows[0]?.id;
    if (id === undefined) return null;
    if (this.#model?.id !== id) {
      const r = await q.query<{ model: SavedModel }>(`SELECT model FROM ${this.#models} WHERE id = $1`, [id]);
      const model = r.rows[0]?.model;
      if (model === undefined) return null;
      this.#model = { id, model };
    }
    return this.#model.model;
  }

  /** The database's clock: when a scan starts, to tell its snapshot from later live writes. */
  async clock(): Promise<Date> {
    const r = await this.#store.query<{ now: Date }>('SELECT clock_timestamp() AS now');
    return r.rows[0]!.now;
  }

  /**
   * Brings the index in line with a backfill's scan, inside the caller's transaction (which holds
   * the identity lock), then recounts term frequencies when anything changed:
   * - entries whose input or keys changed are rewritten (a fingerprint per entry: a re-run over
   *   unchanged sources writes nothing);
   * - an entry the live matcher wrote after the scan started is newer than the scan's copy and is
   *   kept;
   * - entries of the scanned systems that the scan did not return (gone from their system) are
   *   removed, unless written after the scan started (linked live while it ran).
   */
  async replaceIn(c: pg.PoolClient, entries: EntrySource, scan: { startedAt: Date; systems: readonly SystemId[] }, chunk = 2000): Promise<{ written: number; removed: number }> {
    // Entries are taken (and, from a lazy source, built) a slice at a time and written before
    // the slice after next is built: a large backfill never holds every entry with its keys at
    // once, and building one slice overlaps the database's work on the one before.
    const systems: string[] = [];
    const types: string[] = [];
    const ids: string[] = [];
    let written = 0;
    let previous: Promise<number> | null = null;
    try {
      for (let i = 0; i < entries.length; i += chunk * 5) {
        const part = entries.slice(i, i + chunk * 5);
        for (const e of part) {
          systems.push(e.ref.system);
          types.push(e.ref.recordType);
          ids.push(e.ref.externalId);
        }
        if (previous) written += await previous;
        previous = this.#syncSlice(c, part, scan.startedAt, chunk);
      }
      if (previous) written += await previous;
    } finally {
      // A slice still in flight when building the next one threw: wait for it before the caller
      // ends the transaction (and observe its failure, which the caller's error supersedes).
      if (previous) await previous.catch(() => 0);
    }
    // A removed record's keys go with it (match_keys has no foreign key to cascade: migration 0010).
    const gone = await c.query<{ n: string }>(
      `WITH gone AS (
         DELETE FROM ${this.#records} r
          WHERE r.system = ANY($1::text[]) AND r.updated_at <= $5
            AND NOT EXISTS (SELECT 1 FROM unnest($2::text[], $3::text[], $4::text[]) AS d (system, record_type, external_id)
                             WHERE d.system = r.system AND d.record_type = r.record_type AND d.external_id = r.external_id)
         RETURNING r.system, r.record_type, r.external_id
       ),
       keys AS (
         DELETE FROM ${this.#keys} k USING gone g
          WHERE k.system = g.system AND k.record_type = g.record_type AND k.external_id = g.external_id
       )
       SELECT count(*) AS n FROM gone`,
      [scan.systems, systems, types, ids, scan.startedAt],
    );
    const removed = Number(gone.rows[0]?.n ?? 0);
    if (written === 0 && removed === 0) return { written: 0, removed: 0 };
    await c.query(`DELETE FROM ${this.#terms}`);
    await c.query(
      `INSERT INTO ${this.#terms} (field, value, n)
       SELECT kv.key, kv.value, count(*) FROM ${this.#records} r, jsonb_each_text(r.normalized) AS kv
        WHERE kv.value IS NOT NULL GROUP BY kv.key, kv.value`,
    );
    await c.query(`INSERT INTO ${this.#terms} (field, value, n) SELECT $1, '', count(*) FROM ${this.#records}`, [TOTAL_FIELD]);
    return { written, removed };
  }

  /** Writes the entries of one slice that are new or changed; how many. */
  async #syncSlice(c: pg.PoolClient, part: readonly MatchIndexEntry[], startedAt: Date, chunk: number): Promise<number> {
    const r = await c.query<{ system: string; record_type: string; external_id: string; fingerprint: string | null; newer: boolean }>(
      `SELECT r.system, r.record_type, r.external_id, r.fingerprint, r.updated_at > $4 AS newer
         FROM unnest($1::text[], $2::text[], $3::text[]) AS d (system, record_type, external_id)
         JOIN ${this.#records} r USING (system, record_type, external_id)`,
      [part.map((e) => e.ref.system), part.map((e) => e.ref.recordType), part.map((e) => e.ref.externalId), startedAt],
    );
    const known = new Map(r.rows.map((row) => [refKey({ system: row.system as SystemId, recordType: row.record_type, externalId: row.external_id }), row]));
    const changed: MatchIndexEntry[] = [];
    const indexed: boolean[] = [];
    const fingerprints: string[] = [];
    for (const e of part) {
      const row = known.get(refKey(e.ref));
      if (row?.newer) continue;
      const fingerprint = fingerprintOf(e);
      if (row?.fingerprint !== fingerprint) {
        changed.push(e);
        indexed.push(row !== undefined);
        fingerprints.push(fingerprint);
      }
    }
    for (let j = 0; j < changed.length; j += chunk) await this.#write(c, changed.slice(j, j + chunk), { indexed: indexed.slice(j, j + chunk), fingerprints: fingerprints.slice(j, j + chunk) });
    return changed.length;
  }

  /**
   * Inserts or replaces entries. `known.indexed[i]`: entry i's record has a row already, so its old
   * keys are deleted first (a record with no row has no keys: they are written and removed
   * together); without it every entry is treated as indexed. `known.fingerprints`: the entries'
   * fingerprints when the caller computed them already.
   */
  async #write(c: pg.PoolClient, entries: readonly MatchIndexEntry[], known: { indexed?: readonly boolean[]; fingerprints?: readonly string[] } = {}): Promise<void> {
    const { indexed } = known;
    if (entries.length === 0) return;
    const systems = entries.map((e) => e.ref.system);
    const types = entries.map((e) => e.ref.recordType);
    const ids = entries.map((e) => e.ref.externalId);
    await c.query(
      `INSERT INTO ${this.#records} AS r (system, record_type, external_id, input, normalized, fingerprint)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::jsonb[], $6::text[])
       ON CONFLICT (system, record_type, external_id) DO UPDATE
          SET input = EXCLUDED.input, normalized = EXCLUDED.normalized, fingerprint = EXCLUDED.fingerprint, updated_at = now()`,
      [systems, types, ids, entries.map((e) => JSON.stringify(e.input)), entries.map((e) => JSON.stringify(e.normalized)), known.fingerprints ?? entries.map(fingerprintOf)],
    );
    const stale = indexed ? entries.filter((_, i) => indexed[i]) : entries;
    if (stale.length > 0) {
      await c.query(
        `DELETE FROM ${this.#keys} k USING unnest($1::text[], $2::text[], $3::text[]) AS d (system, record_type, external_id)
          WHERE k.system = d.system AND k.record_type = d.record_type AND k.external_id = d.external_id`,
        [stale.map((e) => e.ref.system), stale.map((e) => e.ref.recordType), stale.map((e) => e.ref.externalId)],
      );
    }
    const rows = entries.flatMap((e) => e.keys.map((k) => [k.rule, k.key, e.ref.system, e.ref.recordType, e.ref.externalId, k.detail ?? null] as const));
    if (rows.length === 0) return;
    // The most rows of any write here (about nine per record): sent as one JSON array of rows,
    // which costs a fraction of six text arrays escaped element by element.
    await c.query(
      `INSERT INTO ${this.#keys} (rule, key, system, record_type, external_id, detail)
       SELECT r->>0, r->>1, r->>2, r->>3, r->>4, r->>5 FROM json_array_elements($1::json) AS r ON CONFLICT DO NOTHING`,
      [JSON.stringify(rows)],
    );
  }

  /**
   * Adds or replaces one record's entry inside the caller's transaction, keeping term counts
   * right: its old values are counted down, its new ones up.
   */
  async upsertIn(c: pg.PoolClient, entry: MatchIndexEntry): Promise<void> {
    const changes = await this.#termDelta(c, entry, true);
    await this.#write(c, [entry]);
    if (changes.length === 0) return;
    const args = [changes.map((d) => d.field), changes.map((d) => d.value), changes.map((d) => d.n)];
    // Existing counts move by their delta; values new to the index start at theirs.
    await c.query(
      `UPDATE ${this.#terms} t SET n = GREATEST(0, t.n + d.n) FROM unnest($1::text[], $2::text[], $3::int[]) AS d (field, value, n)
        WHERE t.field = d.field AND t.value = d.value`,
      args,
    );
    await c.query(
      `INSERT INTO ${this.#terms} (field, value, n)
       SELECT field, value, n FROM unnest($1::text[], $2::text[], $3::int[]) AS d (field, value, n) WHERE n > 0
       ON CONFLICT (field, value) DO NOTHING`,
      args,
    );
  }

  /**
   * termCountsIn as it would answer after `upsertIn(entry)`, without writing anything: the
   * counts a dry run scores with, so it decides as matchRecord would.
   */
  async termCountsAfterIn(c: pg.PoolClient, entry: MatchIndexEntry, values: readonly { field: string; value: string }[]): Promise<{ counts: Map<string, number>; total: number }> {
    const [delta, now] = await Promise.all([this.#termDelta(c, entry, false), this.termCountsIn(c, values)]);
    const counts = new Map(now.counts);
    let total = now.total;
    for (const d of delta) {
      if (d.field === TOTAL_FIELD) total = Math.max(0, total + d.n);
      else counts.set(`${d.field}\u0000${d.value}`, Math.max(0, (counts.get(`${d.field}\u0000${d.value}`) ?? 0) + d.n));
    }
    return { counts, total };
  }

  /** How the term counts move when `entry` replaces what the index holds of its record. */
  async #termDelta(c: pg.PoolClient, entry: MatchIndexEntry, lock: boolean): Promise<{ field: string; value: string; n: number }[]> {
    const old = await c.query<{ normalized: NormalizedValues }>(
      `SELECT normalized FROM ${this.#records} WHERE system = $1 AND record_type = $2 AND external_id = $3${lock ? ' FOR UPDATE' : ''}`,
      [entry.ref.system, entry.ref.recordType, entry.ref.externalId],
    );
    const before = old.rows[0]?.normalized ?? null;
    const delta = new Map<string, { field: string; value: string; n: number }>();
    const bump = (field: string, value: string | null | undefined, n: number): void => {
      if (value === null || value === undefined) return;
      const k = `${field}\u0000${value}`;
      const d = delta.get(k) ?? { field, value, n: 0 };
      d.n += n;
      delta.set(k, d);
    };
    for (const [field, value] of Object.entries(entry.normalized)) bump(field, value, 1);
    if (before === null) bump(TOTAL_FIELD, '', 1);
    else for (const [field, value] of Object.entries(before)) bump(field, value, -1);
    return [...delta.values()].filter((d) => d.n !== 0);
  }

  /** Records sharing a blocking or exact key with the record, with their matcher inputs. */
  async candidatesIn(c: pg.PoolClient, lookup: CandidateLookup): Promise<IndexedCandidate[]> {
    const self = refKey(lookup.self);
    const wanted = lookup.keys.filter((k) => k.rule !== EXACT_XREF).map((k) => ({ rule: k.rule, key: k.key }));
    // Records that name this one.
    wanted.push({ rule: EXACT_XREF, key: self });
    // One more than the limit tells an oversized block; one more again in case the record itself is indexed.
    const limits = wanted.map((k) => (k.rule.startsWith('=') ? lookup.maxExact : lookup.maxBlock) + 2);
    const hits = await c.query<{ rule: string; key: string; system: string; record_type: string; external_id: string; detail: string | null }>(
      `SELECT k.rule, k.key, x.system, x.record_type, x.external_id, x.detail
         FROM unnest($1::text[], $2::text[], $3::int[]) AS k (rule, key, lim)
         CROSS JOIN LATERAL (
           SELECT m.system, m.record_type, m.external_id, m.detail FROM ${this.#keys} m
            WHERE m.rule = k.rule AND m.key = k.key LIMIT k.lim
         ) x`,
      [wanted.map((k) => k.rule), wanted.map((k) => k.key), limits],
    );
    // Block sizes count the other records only: the full run's limit is on the block with this record added.
    const perBlock = new Map<string, number>();
    for (const h of hits.rows) {
      if (refKey({ system: h.system as SystemId, recordType: h.record_type, externalId: h.external_id }) === self) continue;
      perBlock.set(`${h.rule}\u0000${h.key}`, (perBlock.get(`${h.rule}\u0000${h.key}`) ?? 0) + 1);
    }
    const found = new Map<string, IndexedCandidate>();
    for (const h of hits.rows) {
      const ref: RecordRef = { system: h.system as SystemId, recordType: h.record_type, externalId: h.external_id };
      const k = refKey(ref);
      if (k === self) continue;
      // A block as large as the limit is skipped whole, as the full run skips it.
      const limit = h.rule.startsWith('=') ? lookup.maxExact : lookup.maxBlock;
      if (perBlock.get(`${h.rule}\u0000${h.key}`)! > limit) continue;
      let cand = found.get(k);
      if (cand === undefined) {
        cand = { ref, input: {}, rules: new Set(), emails: [], namedBy: [] };
        found.set(k, cand);
      }
      cand.rules.add(h.rule);
      if (h.rule === EXACT_EMAIL) cand.emails.push(h.key);
      if (h.rule === EXACT_XREF) cand.namedBy.push(h.detail ?? 'xref');
    }
    if (found.size === 0) return [];
    const list = [...found.values()];
    const inputs = await c.query<{ system: string; record_type: string; external_id: string; input: Record<string, string | null> }>(
      `SELECT r.system, r.record_type, r.external_id, r.input
         FROM unnest($1::text[], $2::text[], $3::text[]) AS d (system, record_type, external_id)
         JOIN ${this.#records} r USING (system, record_type, external_id)`,
      [list.map((x) => x.ref.system), list.map((x) => x.ref.recordType), list.map((x) => x.ref.externalId)],
    );
    for (const row of inputs.rows) {
      const cand = found.get(refKey({ system: row.system as SystemId, recordType: row.record_type, externalId: row.external_id }));
      if (cand) cand.input = row.input;
    }
    return list;
  }

  /** How many indexed records hold each (field, value), and how many records there are. */
  async termCountsIn(c: pg.PoolClient, values: readonly { field: string; value: string }[]): Promise<{ counts: Map<string, number>; total: number }> {
    const r = await c.query<{ field: string; value: string; n: number }>(
      `SELECT t.field, t.value, t.n FROM unnest($1::text[], $2::text[]) AS d (field, value) JOIN ${this.#terms} t USING (field, value)`,
      [[TOTAL_FIELD, ...values.map((v) => v.field)], ['', ...values.map((v) => v.value)]],
    );
    const counts = new Map<string, number>();
    let total = 0;
    for (const row of r.rows) {
      if (row.field === TOTAL_FIELD) total = row.n;
      else counts.set(`${row.field}\u0000${row.value}`, row.n);
    }
    return { counts, total };
  }

  /** How many records are indexed (for reports and tests). */
  async size(): Promise<number> {
    const r = await this.#store.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.#records}`);
    return Number(r.rows[0]?.n ?? 0);
  }
}

// searchCustomers: find customers by name, e-mail, phone or domain, with a score.
//
// The index holds one document per account-level source record, keyed like identity_links,
// so the golden id is joined at query time (a merge or split never leaves the index stale).
// E-mails are stored normalized and as their match key (plus-addressing stripped), phones as
// E.164, names as their company match key plus tokens and Soundex codes of the tokens, so a
// prefix or a misspelling still finds candidates; candidates are scored in code.
import type pg from 'pg';
import type { Store } from '../store/index.ts';
import type { SourceConnector } from '../sources/types.ts';
import type { SourceRecord, SystemId } from '../domain/records.ts';
import { prefetched } from '../sources/scan.ts';
import { companyMatchKey } from '../normalize/company.ts';
import { emailDomain, emailMatchKey, normalizeDomain, normalizeEmail } from '../normalize/email.ts';
import { normalizePhone } from '../normalize/phone.ts';
import { digitsOnly } from '../normalize/text.ts';
import { jaroWinkler, soundex } from './matcher/strings.ts';
import { IdentityInputError } from './errors.ts';
import { recordDomain, recordEmail, recordPhone, recordRawName } from './record-fields.ts';

export interface SearchDocument {
  system: SystemId;
  recordType: string;
  externalId: string;
  name: string | null;
  nameKey: string | null;
  emails: string[];
  phones: string[];
  domain: string | null;
}

export interface SearchHit {
  goldenId: string;
  /** 0..1: 1 for an exact e-mail, phone or domain; name similarity otherwise. */
  score: number;
  matchedOn: 'email' | 'phone' | 'domain' | 'name';
  /** The indexed value that matched (a name as the system spells it, an e-mail, …). */
  matchedValue: string;
}

/**
 * What a query searches by, from its shape alone: an e-mail (it has an @), a phone (seven or
 * more digits and phone punctuation only), else a company name or domain. The access rules ask
 * this before searching, so whether a search is allowed never depends on what it would find.
 */
export function searchKind(query: string): 'email' | 'phone' | 'nameOrDomain' {
  const q = query.trim();
  if (q.includes('@')) return 'email';
  if ((digitsOnly(q)?.length ?? 0) >= 7 && /^[\d\s()+.\-/]+$/.test(q)) return 'phone';
  return 'nameOrDomain';
}

const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v : null);

export function searchDocumentOf(r: SourceRecord, defaultRegion: string): SearchDocument {
  const name = str(recordRawName(r));
  const rawEmails = [...r.emails, recordEmail(r)];
  const emails = new Set<string>();
  for (const e of rawEmails) {
    const n = normalizeEmail(e);
    if (n) emails.add(n);
    const k = emailMatchKey(e);
    if (k) emails.add(k);
  }
  const phone = normalizePhone(recordPhone(r), defaultRegion);
  // The company's domain: its website, Zendesk's domain names, else a work (not free-mail) address.
  const domain =
    normalizeDomain(recordDomain(r)) ?? [...emails].map((e) => emailDomain(e)).find((d) => d !== null) ?? null;
  return {
    system: r.system,
    recordType: r.type,
    externalId: r.id,
    name,
    nameKey: companyMatchKey(name),
    emails: [...emails],
    phones: phone ? [phone] : [],
    domain,
  };
}

function tokensOf(key: string | null): string[] {
  if (!key) return [];
  const words = key.split(' ').filter((w) => w.length >= 2);
  return [...new Set([...words, ...words.map((w) => `~${soundex(w)}`)])];
}

/** How well `query` names `candidate` (both company match keys): similarity and token coverage. */
function nameScore(query: string, candidate: string): number {
  const q = query.split(' ');
  const c = candidate.split(' ');
  const covered = q.filter((w) => c.some((x) => x.startsWith(w) || jaroWinkler(w, x) >= 0.9)).length / q.length;
  return 0.6 * jaroWinkler(query, candidate) + 0.4 * covered;
}

const escapeLike = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);

export class CustomerSearch {
  readonly #store: Store;
  readonly #docs: string;
  readonly #tokens: string;
  readonly #links: string;
  readonly #golden: string;

  constructor(store: Store) {
    this.#store = store;
    this.#docs = store.table('customer_search');
    this.#tokens = store.table('customer_search_tokens');
    this.#links = store.table('identity_links');
    this.#golden = store.table('golden_customers');
  }

  /** Adds or replaces the documents (and their tokens) in one transaction. */
  async index(docs: readonly SearchDocument[]): Promise<void> {
    if (docs.length === 0) return;
    await this.#store.transaction(async (c: pg.PoolClient) => {
      await c.query(
        `INSERT INTO ${this.#docs} (system, record_type, external_id, name, name_key, emails, phones, domain)
         SELECT d.system, d.record_type, d.external_id, d.name, d.name_key, ARRAY(SELECT json_array_elements_text(d.emails::json)),
                ARRAY(SELECT json_array_elements_text(d.phones::json)), d.domain
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
                AS d (system, record_type, external_id, name, name_key, emails, phones, domain)
         ON CONFLICT (system, record_type, external_id) DO UPDATE
            SET name = EXCLUDED.name, name_key = EXCLUDED.name_key, emails = EXCLUDED.emails, phones = EXCLUDED.phones,
                domain = EXCLUDED.domain, updated_at = now()`,
        [
          docs.map((d) => d.system),
          docs.map((d) => d.recordType),
          docs.map((d) => d.externalId),
          docs.map((d) => d.name),
          docs.map((d) => d.nameKey),
          docs.map((d) => JSON.stringify(d.emails)),
          docs.map((d) => JSON.stringify(d.phones)),
          docs.map((d) => d.domain),
        ],
      );
      await c.query(
        `DELETE FROM ${this.#tokens} t USING unnest($1::text[], $2::text[], $3::text[]) AS d (system, record_type, external_id)
          WHERE t.system = d.system AND t.record_type = d.record_type AND t.external_id = d.external_id`,
        [docs.map((d) => d.system), docs.map((d) => d.recordType), docs.map((d) => d.externalId)],
      );
      const rows = docs.flatMap((d) => tokensOf(d.nameKey).map((t) => [t, d.system, d.recordType, d.externalId] as const));
      if (rows.length > 0) {
        await c.query(
          `INSERT INTO ${this.#tokens} (token, system, record_type, external_id)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) ON CONFLICT DO NOTHING`,
          [rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2]), rows.map((r) => r[3])],
        );
      }
    });
  }

  async search(query: string, first: number, defaultRegion: string): Promise<SearchHit[]> {
    const q = query.trim();
    if (q.length === 0) throw new IdentityInputError('query', 'must not be empty');
    if (q.length > 200) throw new IdentityInputError('query', 'must be at most 200 characters');
    // Matched documents with their live golden id (a retired id answers as its survivor).
    const select = `SELECT COALESCE(g.retired_into, g.id) AS golden_id, s.name, s.name_key, s.emails, s.phones, s.domain
                      FROM ${this.#docs} s
                      JOIN ${this.#links} l USING (system, record_type, external_id)
                      JOIN ${this.#golden} g ON g.id = l.golden_id`;
    type Row = { golden_id: string; name: string | null; name_key: string | null; emails: string[]; phones: string[]; domain: string | null };
    const hits: SearchHit[] = [];
    const kind = searchKind(q);
    if (kind === 'email') {
      const keys = [normalizeEmail(q), emailMatchKey(q)].filter((x): x is string => x !== null);
      if (keys.length === 0) return [];
      const r = await this.#store.query<Row>(`${select} WHERE s.emails && $1::text[] LIMIT 200`, [keys]);
      for (const row of r.rows) hits.push({ goldenId: row.golden_id, score: 1, matchedOn: 'email', matchedValue: row.emails.find((e) => keys.includes(e)) ?? keys[0]! });
    } else if (kind === 'phone') {
      const phone = normalizePhone(q, defaultRegion);
      if (!phone) return [];
      const r = await this.#store.query<Row>(`${select} WHERE s.phones @> ARRAY[$1::text] LIMIT 200`, [phone]);
      for (const row of r.rows) hits.push({ goldenId: row.golden_id, score: 1, matchedOn: 'phone', matchedValue: phone });
    } else {
      // A domain as people paste it: bare, with www., or a whole address (`https://acme.com/about`).
      const domain = /\s/.test(q) ? null : normalizeDomain(q);
      if (domain) {
        const r = await this.#store.query<Row>(`${select} WHERE s.domain = $1 LIMIT 200`, [domain]);
        for (const row of r.rows) hits.push({ goldenId: row.golden_id, score: 1, matchedOn: 'domain', matchedValue: domain });
      }
      const key = companyMatchKey(q);
      const tokens = tokensOf(key);
      if (key && tokens.length > 0) {
        const r = await this.#store.query<Row>(
          `${select} WHERE (s.system, s.record_type, s.external_id) IN (
             SELECT system, record_type, external_id FROM ${this.#tokens} WHERE token LIKE ANY($1::text[]) LIMIT 2000)`,
          [tokens.map((t) => (t.startsWith('~') ? t : `${escapeLike(t)}%`))],
        );
        for (const row of r.rows) {
          if (!row.name_key) continue;
          const score = nameScore(key, row.name_key);
          if (score >= 0.6) hits.push({ goldenId: row.golden_id, score: Math.round(score * 1000) / 1000, matchedOn: 'name', matchedValue: row.name ?? row.name_key });
        }
      }
    }
    // One hit per customer: its best.
    const best = new Map<string, SearchHit>();
    for (const h of hits) {
      const seen = best.get(h.goldenId);
      if (!seen || h.score > seen.score) best.set(h.goldenId, h);
    }
    return [...best.values()].sort((a, b) => b.score - a.score || a.goldenId.localeCompare(b.goldenId)).slice(0, first);
  }
}

/** The connector, with every page its full scan reads also written to the search index. */
export function indexingScans(connector: SourceConnector, search: CustomerSearch, defaultRegion: string): SourceConnector {
  return {
    system: connector.system,
    loadAccounts: (ids) => connector.loadAccounts(ids),
    loadRelated: connector.loadRelated.bind(connector),
    accountOfPerson: (ids) => connector.accountOfPerson(ids),
    ping: () => connector.ping(),
    close: () => connector.close(),
    scanAccounts: async function* (options) {
      // The next page is fetched while this one is indexed.
      for await (const page of prefetched(connector.scanAccounts(options))) {
        await search.index(page.map((r) => searchDocumentOf(r, defaultRegion)));
        yield page;
      }
    },
  };
}

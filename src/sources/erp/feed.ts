// The ERP's change feeds, polled by the sync worker (src/sync/poll.ts).
import type pg from 'pg';
import type { ChangeFeed, ChangeJob } from '../contract.ts';
import { quoteIdentifier } from '../../store/sql.ts';

const PAGE = 200;

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

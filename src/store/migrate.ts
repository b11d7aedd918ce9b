// The migration runner. Safe to call from every gateway and worker at start-up: each step
// takes a transaction-scoped advisory lock on the schema's key, so two processes starting
// together apply each migration once and the second one simply finds it recorded.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { MIGRATIONS, type Migration } from './migrations/index.ts';
import { advisoryLockKey, quoteIdentifier } from './sql.ts';
import { withTransaction } from './transaction.ts';

export interface MigrateResult {
  /** Ids applied by this call, in order. */
  applied: string[];
  /** Ids that were already recorded. */
  alreadyApplied: string[];
}

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

/** sha256 of the migration text with a fixed schema name, so the checksum is schema-independent. */
export function migrationChecksum(m: Migration): string {
  return createHash('sha256').update(m.sql('"schema"')).digest('hex');
}

function checkOrder(migrations: readonly Migration[]): void {
  for (let i = 1; i < migrations.length; i++) {
    const prev = migrations[i - 1]!.id;
    const cur = migrations[i]!.id;
    if (!(prev < cur)) throw new MigrationError(`migration ids must be unique and ascending: ${JSON.stringify(prev)} comes before ${JSON.stringify(cur)}`);
  }
}

export async function migrate(pool: pg.Pool, schemaName: string, migrations: readonly Migration[] = MIGRATIONS): Promise<MigrateResult> {
  const s = quoteIdentifier(schemaName, 'schema');
  checkOrder(migrations);
  const lockKey = advisoryLockKey(`meridian:migrate:${schemaName}`);
  const lock = (c: pg.PoolClient): Promise<unknown> => c.query('SELECT pg_advisory_xact_lock($1::bigint)', [lockKey]);

  const recorded = await withTransaction(pool, async (c) => {
    await lock(c);
    await c.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await c.query(
      `CREATE TABLE IF NOT EXISTS ${s}.migrations (id text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const r = await c.query<{ id: string; checksum: string }>(`SELECT id, checksum FROM ${s}.migrations`);
    return new Map(r.rows.map((row) => [row.id, row.checksum]));
  });

  const result: MigrateResult = { applied: [], alreadyApplied: [] };
  for (const m of migrations) {
    const checksum = migrationChecksum(m);
    const known = recorded.get(m.id);
    if (known !== undefined) {
      if (known !== checksum) {
        throw new MigrationError(`migration ${m.id} was applied to schema ${schemaName} with different SQL (checksum ${known.slice(0, 12)}, now ${checksum.slice(0, 12)}); add a new migration instead of editing a shipped one`);
      }
      result.alreadyApplied.push(m.id);
      continue;
    }
    const appliedNow = await withTransaction(pool, async (c) => {
      await lock(c);
      // Another process may have applied it while we waited for the lock.
      const again = await c.query(`SELECT 1 FROM ${s}.migrations WHERE id = $1`, [m.id]);
      if (again.rowCount !== 0) return false;
      await c.query(m.sql(s));
      await c.query(`INSERT INTO ${s}.migrations (id, checksum) VALUES ($1, $2)`, [m.id, checksum]);
      return true;
    });
    (appliedNow ? result.applied : result.alreadyApplied).push(m.id);
  }
  return result;
}

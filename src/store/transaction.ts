import type pg from 'pg';

/**
 * Runs `fn` inside BEGIN … COMMIT on one pooled connection; rolls back and rethrows on error.
 * `fn` must use only the client it is given: on embedded PGlite an open transaction holds every
 * other connection, so waiting on the pool from inside would wait forever.
 */
export async function withTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (e) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackError) {
      // The connection is unusable; drop it from the pool rather than hand it out again.
      broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
    }
    throw e;
  } finally {
    client.release(broken);
  }
}

// Sandbox mode: Meridian's store records which demo world its identity links were built for.
// The world is regenerated at every start (deterministically: same seed and size, same ids),
// so a start that asks for another world would leave every link pointing at records that do
// not exist. That start is refused with one line instead; nothing is changed.
import type { Store } from './index.ts';
import { SandboxWorldError, describeWorld, sameWorld, worldMarkerSchema, type WorldMarker } from '../sandbox/world-marker.ts';

/** The recorded world, or null before the first sandbox start on this store. */
export async function recordedWorld(store: Store): Promise<WorldMarker | null> {
  const r = await store.query<{ marker: unknown }>(`SELECT marker FROM ${store.table('sandbox_world')}`);
  const row = r.rows[0];
  if (!row) return null;
  const parsed = worldMarkerSchema.safeParse(row.marker);
  return parsed.success ? parsed.data : null;
}

/**
 * Records `world` as the store's world on first use; throws SandboxWorldError when the store
 * was built for another one. `where` names the store for the message (".meridian",
 * "DATABASE_URL (schema meridian)"). The store must be migrated.
 */
export async function claimSandboxWorld(store: Store, world: WorldMarker, where: string): Promise<'recorded' | 'same'> {
  // ON CONFLICT: two processes claiming at once on a shared server; the second compares below.
  const inserted = await store.query(`INSERT INTO ${store.table('sandbox_world')} (marker) VALUES ($1) ON CONFLICT (singleton) DO NOTHING`, [JSON.stringify(world)]);
  if (inserted.rowCount === 1) return 'recorded';
  const recorded = await recordedWorld(store);
  if (recorded && sameWorld(recorded, world)) return 'same';
  const was = recorded ? `the sandbox world of ${describeWorld(recorded, world)}` : 'a sandbox world this version cannot read';
  const hint = recorded && recorded.generator === world.generator && recorded.now === world.now
    ? `Start with MERIDIAN_SANDBOX_SEED=${recorded.seed} MERIDIAN_SANDBOX_CUSTOMERS=${recorded.customers} to use them, or use`
    : 'Use';
  throw new SandboxWorldError(
    `the identity links in ${where} were built for ${was}, not ${describeWorld(world, recorded ?? undefined)}; nothing was changed. ${hint} another MERIDIAN_DATA_DIR (or DATABASE_URL) for the new world`,
  );
}

// Settings of the sync worker and the change-feed pollers (docs/sync.md), parsed with the rest of
// the gateway's environment (config/gateway.ts).
import { z } from 'zod';
import { SYSTEM_IDS, type SystemId } from '../sources/registry.ts';

type PollVariable = `MERIDIAN_POLL_${Uppercase<SystemId>}_SECONDS`;
/** A system's own polling interval variable: MERIDIAN_POLL_SALESFORCE_SECONDS… */
const pollVariable = (id: SystemId): PollVariable => `MERIDIAN_POLL_${id.toUpperCase() as Uppercase<SystemId>}_SECONDS`;

/** Seconds between polls of a change feed; 0 turns the poller off. */
const seconds = z.coerce.number({ message: 'must be a whole number of seconds (0 turns polling off)' }).int('must be a whole number of seconds (0 turns polling off)').min(0, 'must be 0 (off) or more').max(86_400, 'must be at most 86400 (one day)');

export const syncEnvShape = {
  /** 'on' (default): meridian serve runs a sync worker in-process; 'off' when separate `meridian worker` processes do the work. */
  MERIDIAN_WORKER: z.enum(['on', 'off']).default('on'),
  /** sync.change jobs one worker process runs at once; default 4 on a Postgres server, 1 on the embedded store (one session: more only delays webhook answers). */
  MERIDIAN_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).optional(),
  /** Seconds between polls of every system's change feed (0: no polling; webhooks only). */
  MERIDIAN_POLL_SECONDS: seconds.default(60),
  /**
   * Per system, instead of MERIDIAN_POLL_SECONDS: MERIDIAN_POLL_<SYSTEM>_SECONDS for each system
   * the registry lists (the ERP has no webhooks: polling is how its changes arrive).
   */
  ...(Object.fromEntries(SYSTEM_IDS.map((id) => [pollVariable(id), seconds.optional()])) as Record<PollVariable, z.ZodOptional<typeof seconds>>),
};

export const syncEnvSchema = z.object(syncEnvShape);
export type SyncEnv = z.infer<typeof syncEnvSchema>;

/** Milliseconds between polls of each system's feed; 0 = not polled. */
export function pollIntervals(env: SyncEnv): Record<SystemId, number> {
  const base = env.MERIDIAN_POLL_SECONDS;
  return Object.fromEntries(SYSTEM_IDS.map((id) => [id, (env[pollVariable(id)] ?? base) * 1000])) as Record<SystemId, number>;
}

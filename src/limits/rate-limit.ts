// Rate limits: how many requests one key (a principal, a client address, a webhook sender) may
// make per period. One algorithm, GCRA (the generic cell rate algorithm, a token bucket kept as
// one number per key: the "theoretical arrival time"), and two stores for it, side by side:
// in memory (one process; bounded, idle keys evicted) and Redis (every replica sharing the
// same count, one atomic script per request). The caller's clock is used in both, so tests
// drive time; replicas on one Redis need clocks within a few ms of each other (NTP).
// https://en.wikipedia.org/wiki/Generic_cell_rate_algorithm
import { createClient } from 'redis';
import { withTimeout } from '../resilience/timeout.ts';

/** `limit` requests per `periodMs`: up to `limit` at once, then one every periodMs / limit. */
export interface RateRule {
  limit: number;
  periodMs: number;
}

export type RateDecision = { ok: true } | { ok: false; retryAfterMs: number };

/**
 * One step of GCRA: given a key's stored arrival time (undefined for a new or expired key), the
 * decision and the arrival time to store when admitted (it expires `tat - now` ms later).
 */
export function gcra(stored: number | undefined, now: number, rule: RateRule): { decision: RateDecision; tat: number } {
  const interval = rule.periodMs / rule.limit;
  const tat = Math.max(stored ?? now, now) + interval;
  // Admitted while the bucket holds fewer than `limit` requests' worth of time.
  const allowAt = tat - rule.periodMs;
  if (now < allowAt) return { decision: { ok: false, retryAfterMs: Math.ceil(allowAt - now) }, tat: stored ?? now };
  return { decision: { ok: true }, tat };
}

export interface RateLimitStore {
  readonly kind: 'memory' | 'redis';
  /** Counts one request for `key` at `now` (ms) if the rule admits it. */
  take(key: string, rule: RateRule, now: number): Promise<RateDecision>;
  close(): Promise<void>;
}

/** Keys the in-memory store holds at most (then the least recently used are forgotten). */
export const DEFAULT_MAX_KEYS = 100_000;

export interface MemoryRateLimitStore extends RateLimitStore {
  /** Keys held now (tests, metrics). */
  size(): number;
}

/**
 * One process's counts. Memory stays bounded: keys are kept in least-recently-used order, each
 * take drops up to two of the oldest keys that are idle (their bucket full again, so nothing
 * is lost), and past `maxKeys` the oldest key is dropped even if not idle (that key starts
 * afresh: lenient, never stuck).
 */
export function createMemoryRateLimitStore(options: { maxKeys?: number } = {}): MemoryRateLimitStore {
  const maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS;
  const tats = new Map<string, number>();
  const sweep = (now: number): void => {
    let checked = 0;
    for (const [k, tat] of tats) {
      if (checked++ >= 2 || tat > now) break;
      tats.delete(k);
    }
  };
  return {
    kind: 'memory',
    take(key, rule, now) {
      sweep(now);
      const stored = tats.get(key);
      const { decision, tat } = gcra(stored !== undefined && stored > now ? stored : undefined, now, rule);
      if (decision.ok) {
        tats.delete(key); // re-inserted last: the most recently used
        tats.set(key, tat);
        if (tats.size > maxKeys) tats.delete(tats.keys().next().value!);
      }
      return Promise.resolve(decision);
    },
    size: () => tats.size,
    close: () => Promise.resolve(),
  };
}

// KEYS[1]: the key; ARGV: now, interval (periodMs / limit), periodMs. Returns {1, 0} admitted or
// {0, ms to wait}. The arrival time expires when the bucket is full again: idle keys vanish.
// https://redis.io/docs/latest/develop/interact/programmability/eval-intro/
const GCRA_SCRIPT = `
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local period = tonumber(ARGV[3])
local stored = tonumber(redis.call('GET', KEYS[1]))
local tat = now
if stored and stored > now then tat = stored end
tat = tat + interval
local allow_at = tat - period
if now < allow_at then return {0, math.ceil(allow_at - now)} end
redis.call('SET', KEYS[1], string.format('%.3f', tat), 'PX', math.max(1, math.ceil(tat - now)))
return {1, 0}
`;

export const DEFAULT_RATE_KEY_PREFIX = 'meridian:ratelimit:';

export interface RedisRateLimitOptions {
  url: string;
  keyPrefix?: string;
  /** Deadline for one take (default 250 ms); past it, or when Redis fails, `fallback` decides. */
  commandTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Decides while Redis cannot: this process's own counts (default: a memory store). */
  fallback?: RateLimitStore;
  /** After a failure, how long takes go straight to `fallback` before Redis is tried again (default 1 000 ms). */
  retryAfterFailureMs?: number;
  /** `connect`: the client's (re)connection attempts; `take`: a take decided by `fallback` because of this error. */
  onError?: (error: unknown, operation: 'connect' | 'take') => void;
}

/**
 * Counts shared by every replica on one Redis. Redis down or slow costs precision, not
 * availability: each take it cannot answer in time is decided by this process's own counts.
 */
export async function createRedisRateLimitStore(options: RedisRateLimitOptions): Promise<RateLimitStore> {
  const prefix = options.keyPrefix ?? DEFAULT_RATE_KEY_PREFIX;
  const commandTimeoutMs = options.commandTimeoutMs ?? 250;
  const connectTimeoutMs = options.connectTimeoutMs ?? 2_000;
  const fallback = options.fallback ?? createMemoryRateLimitStore();
  const onError = options.onError ?? (() => undefined);
  const pauseMs = options.retryAfterFailureMs ?? 1_000;
  // A Redis that hangs would cost every request the command timeout: after a failure, a pause.
  let skipUntil = -Infinity;
  const client = createClient({ url: options.url, disableOfflineQueue: true, socket: { connectTimeout: connectTimeoutMs } });
  client.on('error', (e: unknown) => onError(e, 'connect'));
  const connected = client.connect().then(
    () => true,
    () => false,
  );
  await withTimeout(connected, connectTimeoutMs).catch((e: unknown) => onError(e, 'connect'));
  return {
    kind: 'redis',
    async take(key, rule, now) {
      if (now < skipUntil) return fallback.take(key, rule, now);
      try {
        const reply = (await withTimeout(
          client.eval(GCRA_SCRIPT, { keys: [prefix + key], arguments: [String(now), String(rule.periodMs / rule.limit), String(rule.periodMs)] }),
          commandTimeoutMs,
        )) as [number, number];
        return reply[0] === 1 ? { ok: true } : { ok: false, retryAfterMs: reply[1] };
      } catch (error) {
        onError(error, 'take');
        skipUntil = now + pauseMs;
        return fallback.take(key, rule, now);
      }
    },
    async close() {
      if (client.isReady) await client.close();
      else client.destroy();
      await fallback.close();
    },
  };
}

// A line that any sender can cause (a refused webhook, a dead system failing every field) is
// logged once per window per key; what was held back is counted and said with the next line of
// that key. One request or one sender cannot flood the log.
import type { Logger } from '../server/http.ts';

export type LogOnce = (msg: string, extra: Record<string, unknown>, key: string) => void;

export function createLogOnce(logger: Logger, options: { windowMs?: number; now?: () => number; maxKeys?: number } = {}): LogOnce {
  const windowMs = options.windowMs ?? 10_000;
  const now = options.now ?? Date.now;
  const maxKeys = options.maxKeys ?? 1_000;
  const seen = new Map<string, { at: number; held: number }>();
  return (msg, extra, key) => {
    const t = now();
    const last = seen.get(key);
    if (last && t - last.at < windowMs) {
      last.held++;
      return;
    }
    if (!last && seen.size >= maxKeys) seen.clear();
    seen.set(key, { at: t, held: 0 });
    logger.error(msg, last && last.held > 0 ? { ...extra, repeats: last.held } : extra);
  };
}

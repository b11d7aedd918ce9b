// Idempotent requests: https://docs.stripe.com/api/idempotent_requests
// A POST with an Idempotency-Key that has been seen in the last 24 hours answers with the saved
// result (same status and body) and `Idempotent-Replayed: true`; the same key with other
// parameters or on another endpoint is an `idempotency_error`. Results are saved only once the
// endpoint began executing: a request rejected while its parameters were validated (400) or
// authenticated (401) saves nothing, so fixing the parameters and retrying with the key works.
import type { EmulatorResponse } from '../kit/server.ts';
import { StripeApiError } from './errors.ts';
import type { FormValue } from './form.ts';

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

interface Saved {
  endpoint: string;
  fingerprint: string;
  savedAt: number;
  response: EmulatorResponse;
}

/** Parameters as one canonical string, so key order in the body does not matter. */
export function fingerprint(params: FormValue): string {
  const canon = (v: FormValue): unknown => {
    if (typeof v === 'string') return v;
    if (Array.isArray(v)) return v.map(canon);
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon(v[k]!)]));
  };
  return JSON.stringify(canon(params));
}

export class IdempotencyCache {
  readonly #saved = new Map<string, Saved>();
  readonly #now: () => Date;
  readonly #ttlMs: number;

  constructor(now: () => Date, ttlMs = IDEMPOTENCY_TTL_MS) {
    this.#now = now;
    this.#ttlMs = ttlMs;
  }

  /** The saved answer for a repeat, undefined for a new key; throws on a mismatched reuse. */
  lookup(key: string, endpoint: string, print: string): EmulatorResponse | undefined {
    const saved = this.#saved.get(key);
    if (!saved) return undefined;
    if (this.#now().getTime() - saved.savedAt >= this.#ttlMs) {
      this.#saved.delete(key);
      return undefined;
    }
    if (saved.endpoint !== endpoint) {
      throw new StripeApiError(400, {
        type: 'idempotency_error',
        message: `Keys for idempotent requests can only be used for the same endpoint they were first used for ('${saved.endpoint}' vs '${endpoint}'). Try using a key other than '${key}' if you meant to execute a different request.`,
      });
    }
    if (saved.fingerprint !== print) {
      throw new StripeApiError(400, {
        type: 'idempotency_error',
        message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
      });
    }
    return saved.response;
  }

  save(key: string, endpoint: string, print: string, response: EmulatorResponse): void {
    this.#saved.set(key, { endpoint, fingerprint: print, savedAt: this.#now().getTime(), response: structuredClone(response) });
    if (this.#saved.size > 50_000) this.#evictExpired();
  }

  #evictExpired(): void {
    const now = this.#now().getTime();
    for (const [k, v] of this.#saved) if (now - v.savedAt >= this.#ttlMs) this.#saved.delete(k);
  }

  get size(): number {
    return this.#saved.size;
  }
}

// Fault and latency injection, settable at run time (in-process or over the control API).
import { z } from 'zod';
import { createRng, type Rng } from './rng.ts';

export const faultConfigSchema = z
  .object({
    /** Fixed delay before every answer, in ms. */
    latencyMs: z.number().int().min(0).max(120_000),
    /** Extra uniform random delay in [0, jitterMs). */
    jitterMs: z.number().int().min(0).max(120_000),
    /** Fraction of requests answered with a server error in the system's own style. */
    errorRate: z.number().min(0).max(1),
    /** Status used for injected server errors. */
    errorStatus: z.number().int().min(500).max(599),
    /** Fraction of requests answered 429 (with Retry-After, in the system's style). */
    rateLimitRate: z.number().min(0).max(1),
    /** A request budget per window; requests beyond it get 429 until the window rolls over. */
    rateLimit: z.object({ limit: z.number().int().min(0), windowMs: z.number().int().min(1) }).strict().nullable(),
    retryAfterSeconds: z.number().int().min(0).max(3600),
    /**
     * Full outage. 'http': every request gets the system's 503; 'reset': the connection is
     * dropped without an answer; 'hang': the request is held open and never answered.
     */
    outage: z.union([z.literal(false), z.literal('http'), z.literal('reset'), z.literal('hang')]),
  })
  .strict();

export type FaultConfig = z.infer<typeof faultConfigSchema>;
export const faultPatchSchema = faultConfigSchema.partial().strict();
export type FaultPatch = z.infer<typeof faultPatchSchema>;

export const NO_FAULTS: FaultConfig = Object.freeze({
  latencyMs: 0,
  jitterMs: 0,
  errorRate: 0,
  errorStatus: 500,
  rateLimitRate: 0,
  rateLimit: null,
  retryAfterSeconds: 1,
  outage: false,
});

export type FaultDecision =
  | { kind: 'pass'; delayMs: number }
  | { kind: 'error'; delayMs: number; status: number }
  | { kind: 'rateLimited'; delayMs: number; retryAfterSeconds: number }
  | { kind: 'outage'; mode: 'http' | 'reset' | 'hang' };

export class FaultController {
  #config: FaultConfig = { ...NO_FAULTS };
  #rng: Rng;
  #windowStart = 0;
  #windowCount = 0;

  constructor(seed = 1) {
    this.#rng = createRng(seed);
  }

  get config(): FaultConfig {
    return { ...this.#config };
  }

  /** Merges a patch into the current faults; throws a ZodError naming each bad setting. */
  set(patch: FaultPatch | Record<string, unknown>): FaultConfig {
    const parsed = faultPatchSchema.parse(patch);
    const next = { ...this.#config };
    for (const [k, v] of Object.entries(parsed)) {
      if (v !== undefined) (next as Record<string, unknown>)[k] = v;
    }
    this.#config = faultConfigSchema.parse(next);
    this.#windowStart = 0;
    this.#windowCount = 0;
    return this.config;
  }

  reset(): FaultConfig {
    this.#config = { ...NO_FAULTS };
    this.#windowStart = 0;
    this.#windowCount = 0;
    return this.config;
  }

  /** Decides the fate of one incoming request. */
  decide(now = Date.now()): FaultDecision {
    const c = this.#config;
    if (c.outage) return { kind: 'outage', mode: c.outage };
    const delayMs = c.latencyMs + (c.jitterMs > 0 ? Math.floor(this.#rng.next() * c.jitterMs) : 0);
    if (c.rateLimit) {
      if (now - this.#windowStart >= c.rateLimit.windowMs) {
        this.#windowStart = now;
        this.#windowCount = 0;
      }
      this.#windowCount++;
      if (this.#windowCount > c.rateLimit.limit) {
        const left = Math.ceil((this.#windowStart + c.rateLimit.windowMs - now) / 1000);
        return { kind: 'rateLimited', delayMs, retryAfterSeconds: Math.max(left, c.retryAfterSeconds) };
      }
    }
    if (c.rateLimitRate > 0 && this.#rng.next() < c.rateLimitRate) {
      return { kind: 'rateLimited', delayMs, retryAfterSeconds: c.retryAfterSeconds };
    }
    if (c.errorRate > 0 && this.#rng.next() < c.errorRate) {
      return { kind: 'error', delayMs, status: c.errorStatus };
    }
    return { kind: 'pass', delayMs };
  }
}

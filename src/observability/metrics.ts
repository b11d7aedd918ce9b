// The gateway's Prometheus metrics, in one registry served by GET /metrics (server/http.ts).
//
// Instruments are module-level: the code that observes something imports its instrument from
// here (the rate limiter `rateLimited`, guarded sources the upstream ones …), whatever object
// graph it lives in. What only the running gateway knows (breaker states, cache counts, the
// review backlog) is read at scrape time from providers the app registers (`addScrapeSource`).
// One process serves one gateway; tests that start several in one process compare deltas.
//
// Names follow https://prometheus.io/docs/practices/naming/: base units (seconds), `_total`
// for counters, label values from small fixed sets (never ids, messages or user input).
import client from 'prom-client';
import type { CircuitState } from '../resilience/index.ts';

export const registry = new client.Registry();

/** Every call a guarded source made to its system (src/gateway/guarded-source.ts), by outcome. */
export const upstreamCallDuration = new client.Histogram({
  name: 'meridian_upstream_call_duration_seconds',
  help: 'Duration of calls to source systems (one batched call of a DataLoader), by system, operation and outcome (ok or error).',
  labelNames: ['system', 'operation', 'outcome'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
  registers: [registry],
});

/**
 * Failed source calls by system and code: SOURCE_UNAVAILABLE, RATE_LIMITED, TIMEOUT, DEADLINE
 * (the request's own deadline cut it short), and calls refused before reaching the system:
 * CIRCUIT_OPEN, DEADLINE_SPENT, BUDGET (the request's lookup budget).
 */
export const upstreamErrors = new client.Counter({
  name: 'meridian_upstream_errors_total',
  help: 'Failed or refused calls to source systems, by system and code.',
  labelNames: ['system', 'code'] as const,
  registers: [registry],
});

/** Keys per DataLoader batch: how well one request's lookups are batched. */
export const dataLoaderBatchSize = new client.Histogram({
  name: 'meridian_dataloader_batch_size',
  help: 'Keys per DataLoader batch, by loader (system and kind of record, or store lookup).',
  labelNames: ['loader'] as const,
  buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
  registers: [registry],
});

export type WebhookRejectReason = 'signature' | 'payload' | 'too_large' | 'organization' | 'not_ready' | 'busy' | 'unavailable' | 'no_route';

/** Webhook notifications answered with an error, by system and a reason from a fixed set. */
export const webhookRejected = new client.Counter({
  name: 'meridian_webhook_rejected_total',
  help: 'Webhook notifications refused, by system and reason (signature, payload, too_large, organization, not_ready, busy, unavailable, no_route).',
  labelNames: ['system', 'reason'] as const,
  registers: [registry],
});

/** Requests refused with RATE_LIMITED by the per-key rate limiter. */
export const rateLimited = new client.Counter({
  name: 'meridian_rate_limited_total',
  help: 'Requests refused with RATE_LIMITED by the rate limiter, by scope (what was limited, e.g. key or ip).',
  labelNames: ['scope'] as const,
  registers: [registry],
});

/** Requests refused by a limit (docs/limits.md), by its error code and where it was checked. */
export const limitRefusals = new client.Counter({
  name: 'meridian_limit_refusals_total',
  help: 'Requests refused by a limit, by code (COST_LIMIT_EXCEEDED, ALIAS_LIMIT_EXCEEDED, DEPTH_LIMIT_EXCEEDED, DOCUMENT_TOO_LARGE, TOKEN_LIMIT_EXCEEDED, VARIABLES_TOO_DEEP, RATE_LIMITED) and scope (operation, request, webhook).',
  labelNames: ['code', 'scope'] as const,
  registers: [registry],
});

/** Golden-record builds by how the link memo's guess compared with the links Postgres gave (gateway/link-memo.ts). */
export const linkGuesses = new client.Counter({
  name: 'meridian_link_guesses_total',
  help: 'Golden-record builds by outcome of the link memo guess: right (its records were read while Postgres was asked), wrong (some read for nothing or after Postgres answered), none (not remembered).',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

/** What the running gateway reports at scrape time. Each function is optional. */
export interface ScrapeSource {
  /** Circuit breaker state per system. */
  breakers?: () => Iterable<{ system: string; state: CircuitState }>;
  /** Hits and misses counted by a cache since it was made ('golden', 'response'). */
  caches?: () => Iterable<{ cache: string; hits: number; misses: number }>;
  /** Open review items per kind. */
  reviewBacklog?: () => Promise<Iterable<{ kind: string; open: number }>>;
}

const sources = new Set<ScrapeSource>();

/** Registers what a running gateway reports at scrape; the function returned removes it (on close). */
export function addScrapeSource(source: ScrapeSource): () => void {
  sources.add(source);
  return () => void sources.delete(source);
}

const BREAKER_STATES: readonly CircuitState[] = ['closed', 'half-open', 'open'];

new client.Gauge({
  name: 'meridian_circuit_breaker_state',
  help: 'Circuit breaker state per system: 1 for the current state (closed, half-open, open), 0 for the others.',
  labelNames: ['system', 'state'] as const,
  registers: [registry],
  collect() {
    this.reset();
    for (const s of sources) {
      for (const b of s.breakers?.() ?? []) for (const state of BREAKER_STATES) this.set({ system: b.system, state }, b.state === state ? 1 : 0);
    }
  },
});

// Counted by the caches themselves (CacheStats, ResponseCache.stats()); copied here at scrape.
new client.Counter({
  name: 'meridian_cache_requests_total',
  help: 'Cache lookups by cache (golden: golden records, per id; response: whole responses) and result (hit or miss).',
  labelNames: ['cache', 'result'] as const,
  registers: [registry],
  collect() {
    this.reset();
    for (const s of sources) {
      for (const c of s.caches?.() ?? []) {
        this.inc({ cache: c.cache, result: 'hit' }, c.hits);
        this.inc({ cache: c.cache, result: 'miss' }, c.misses);
      }
    }
  },
});

new client.Gauge({
  name: 'meridian_review_backlog',
  help: 'Open review items by kind (read from the review queue at scrape).',
  labelNames: ['kind'] as const,
  registers: [registry],
  async collect() {
    this.reset();
    for (const s of sources) {
      if (!s.reviewBacklog) continue;
      // The store being down must not fail the whole scrape: the series is absent for that scrape.
      const backlog = await s.reviewBacklog().catch(() => []);
      for (const b of backlog) this.inc({ kind: b.kind }, b.open);
    }
  },
});

let processMetrics = false;

/** Node's process metrics (CPU, memory, heap, event-loop lag, handles), started once per process. */
export function collectProcessMetrics(): void {
  if (processMetrics) return;
  processMetrics = true;
  client.collectDefaultMetrics({ register: registry });
}

/** The Prometheus text exposition of every metric. */
export async function renderMetrics(): Promise<{ contentType: string; body: string }> {
  return { contentType: registry.contentType, body: await registry.metrics() };
}

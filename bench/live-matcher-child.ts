// Incremental matching, measured in a fresh process: a demo world of n customers is generated,
// every record but a held-out sample is backfilled (which saves the model and fills the blocking
// index), then the held-out records arrive one at a time through the live matcher. Prints one
// JSON line: per-record latency (p50/p95/p99), candidates per record, the backfill's time (what a
// full re-run costs), and pairwise precision/recall of the final graph against the world's truth.
// Usage: live-matcher-child.ts <customers> [held-out records] — Postgres at DATABASE_URL, else embedded PGlite.
import { runBackfill } from '../src/identity/backfill.ts';
import { createIdentityStore } from '../src/identity/links.ts';
import { createLiveMatcher } from '../src/identity/live-matcher.ts';
import { MatchIndex } from '../src/identity/match-index.ts';
import { createReviewItems } from '../src/review/items.ts';
import { generateWorld } from '../src/sandbox/world/index.ts';
import type { SourceRecord, SystemId } from '../src/sources/types.ts';
import { startEmbeddedPostgres } from '../src/store/embedded-postgres.ts';
import { createStore } from '../src/store/index.ts';
import { graphQuality, memoryConnector, worldRecords } from '../test/identity/world-connectors.ts';

const customers = Number(process.argv[2] ?? 20000);
const heldOutCount = Number(process.argv[3] ?? 500);
if (!Number.isInteger(customers) || customers < 10) throw new Error(`usage: live-matcher-child.ts <customers> [held-out] (got ${process.argv[2] ?? 'nothing'})`);

const world = generateWorld({ customers, seed: 42 });
const bySystem = worldRecords(world);
const all: SourceRecord[] = Object.values(bySystem).flat();
const key = (r: { system: string; id: string }): string => `${r.system}:${r.id}`;
const step = Math.max(1, Math.floor(all.length / heldOutCount));
const heldOut = new Set(all.map(key).sort().filter((_, i) => i % step === 0).slice(0, heldOutCount));
const later = all.filter((r) => heldOut.has(key(r)));

const embedded = process.env['DATABASE_URL'] ? null : await startEmbeddedPostgres({ dataDir: null });
const url = process.env['DATABASE_URL'] ?? embedded!.url;
const store = createStore(url, { schema: `bench_live_${process.pid}`, max: 4 });
try {
  await store.migrate();
  const identity = createIdentityStore(store);
  const index = new MatchIndex(store);
  const reviews = createReviewItems(store);
  const systems: SystemId[] = ['salesforce', 'stripe', 'zendesk', 'erp'];
  const tb = performance.now();
  await runBackfill({ connectors: systems.map((s) => memoryConnector(s, bySystem[s].filter((r) => !heldOut.has(key(r))))), store: identity, reviews, index });
  const backfillMs = performance.now() - tb;

  const live = createLiveMatcher({ identity, index, reviews });
  const ms: number[] = [];
  let candidates = 0;
  for (const r of later) {
    const t = performance.now();
    const result = await live.matchRecord(r);
    ms.push(performance.now() - t);
    candidates += result.candidates;
  }
  ms.sort((a, b) => a - b);
  const q = (p: number): number => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))]!;

  const quality = await graphQuality(world, all, identity);
  console.log(
    JSON.stringify({
      records: all.length,
      indexed: all.length - later.length,
      heldOut: later.length,
      backfillMs,
      p50: q(0.5),
      p95: q(0.95),
      p99: q(0.99),
      meanMs: ms.reduce((s, x) => s + x, 0) / ms.length,
      meanCandidates: candidates / later.length,
      precision: quality.precision,
      recall: quality.recall,
      store: embedded ? 'embedded' : 'server',
    }),
  );
} finally {
  await store.query(`DROP SCHEMA IF EXISTS "${store.schema}" CASCADE`).catch(() => undefined);
  await store.close();
  await embedded?.close();
}

// What the limits cost per request (docs/limits.md): measuring an operation (cost, aliases,
// depth) when no measure is kept for it, checking a document's size before parsing, and one
// rate-limit take in memory and (BENCH_REDIS_URL) in Redis. Prints one JSON line of µs figures.
import { parse } from 'graphql';
import { EXAMPLE_QUERY, loadSchema } from '../src/app.ts';
import { loadFieldSpec } from '../src/mapping/index.ts';
import { buildCostModel, checkDocument, createMemoryRateLimitStore, createRedisRateLimitStore, measureOperation } from '../src/limits/index.ts';

const schema = await loadSchema(loadFieldSpec(undefined));
const model = buildCostModel(loadFieldSpec(undefined), ['salesforce', 'stripe', 'zendesk', 'erp']);
const example = parse(EXAMPLE_QUERY);
// The reproduction: refused by cost; measuring it must stay far cheaper than parsing it.
const bombText = `{ ${Array.from({ length: 1_000 }, (_, i) => `a${i}: customers(first: 100) { edges { node { id name email } } }`).join(' ')} }`;
const bomb = parse(bombText);

function perOpUs(n: number, f: () => unknown): number {
  for (let i = 0; i < Math.min(n, 200); i++) f();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) f();
  return ((performance.now() - t0) * 1_000) / n;
}

async function perTakeUs(n: number, take: (i: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 100; i++) await take(i);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await take(i);
  return ((performance.now() - t0) * 1_000) / n;
}

const rule = { limit: 1_000_000, periodMs: 60_000 };
const memory = createMemoryRateLimitStore();
const out: Record<string, number> = {
  measureExampleUs: perOpUs(5_000, () => measureOperation(schema, example, null, {}, model)),
  measureBombUs: perOpUs(50, () => measureOperation(schema, bomb, null, {}, model)),
  checkBombDocumentUs: perOpUs(50, () => checkDocument(bombText, { maxBytes: 100_000, maxTokens: 20_000 })),
  parseBombUs: perOpUs(20, () => parse(bombText)),
  memoryTakeUs: await perTakeUs(50_000, (i) => memory.take(`caller-${i % 1_000}`, rule, Date.now())),
};
const redisUrl = process.env['BENCH_REDIS_URL'];
if (redisUrl) {
  const redis = await createRedisRateLimitStore({ url: redisUrl, keyPrefix: `meridian:bench:ratelimit:${process.pid}:` });
  out['redisTakeUs'] = await perTakeUs(2_000, (i) => redis.take(`caller-${i % 100}`, rule, Date.now()));
  await redis.close();
}
console.log(JSON.stringify(out));

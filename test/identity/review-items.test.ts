// Backfill sends pairs scored between the review and link thresholds to people, once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateWorld } from '../../src/sandbox/world/index.ts';
import { createIdentityStore, type IdentityStore } from '../../src/identity/links.ts';
import { runBackfill } from '../../src/identity/backfill.ts';
import { createReviewItems } from '../../src/review/items.ts';
import { worldConnectors } from './world-connectors.ts';
import { migratedStore, type TestStore } from './db.ts';

describe('POSSIBLE_DUPLICATE review items', () => {
  let db: TestStore;
  let identity: IdentityStore;
  const world = generateWorld({ customers: 1000, seed: 42 });
  beforeAll(async () => {
    db = await migratedStore('t_review');
    identity = createIdentityStore(db.store);
  }, 120_000);
  afterAll(() => db?.close());

  it('writes one open item per undecided pair, with the comparison levels and weights, and none twice', async () => {
    const reviews = createReviewItems(db.store);
    const connectors = Object.values(worldConnectors(world));
    const first = await runBackfill({ connectors, store: identity, reviews });
    expect(first.matcher).not.toBeNull();
    expect(first.matcher!.reviewPairs).toBeGreaterThan(0);
    expect(first.matcher!.reviewItemsCreated).toBe(first.matcher!.reviewPairs);
    const items = await db.store.query<{ kind: string; status: string; payload: { records: { system: string }[]; probability: number; levels: { field: string; level: string; weight: number }[] } }>(
      `SELECT kind, status, payload FROM ${db.store.table('review_items')}`,
    );
    expect(items.rows).toHaveLength(first.matcher!.reviewPairs);
    for (const it of items.rows) {
      expect(it).toMatchObject({ kind: 'POSSIBLE_DUPLICATE', status: 'OPEN' });
      expect(it.payload.records).toHaveLength(2);
      expect(it.payload.levels.length).toBeGreaterThan(0);
      expect(typeof it.payload.levels[0]!.weight).toBe('number');
    }
    // The records of an item are still two customers: nobody decided yet.
    const [pair] = items.rows;
    const refs = (pair!.payload as unknown as { records: { system: 'salesforce'; externalId: string; recordType: string }[] }).records;
    const [a, b] = await identity.goldenIdsFor(refs);
    expect(a).not.toBe(b);

    const again = await runBackfill({ connectors, store: identity, reviews });
    expect(again.matcher!.reviewItemsCreated).toBe(0);
    expect(again.links.written).toBe(0);
  });
});

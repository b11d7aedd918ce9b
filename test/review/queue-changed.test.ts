// reviewQueueChanged (CONTRACT.md) over a real WebSocket: an item raised, decided by a person, or
// closed because its customers were merged reaches a steward's subscription as the item is then;
// a role without REVIEW is refused at the start; across two replicas on one Redis, a decision
// taken through gateway B reaches a subscriber of gateway A.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'graphql-ws';
import { bearer, startReplica, startTestApp, testKeyName, type TestApp } from '../support/app.ts';
import { nextWithin, subscribe, whenListening, type Result } from '../support/subscriptions.ts';
import type { App } from '../../src/app.ts';
import type { ReviewRecordRef as RecordRef } from '../../src/review/items.ts';
import { REVIEW_CHANGED_CHANNEL } from '../../src/review/events.ts';

const CHANGED = 'subscription { reviewQueueChanged { id kind status resolvedBy decision { action } records { externalId } } }';
interface Item { id: string; kind: string; status: string; resolvedBy: string | null; decision: { action: string } | null; records: { externalId: string }[] }

/** Pairs of distinct customers (their first account records), none shared with another pair. */
async function pairs(app: TestApp, skip: number, n: number): Promise<{ customers: [string, string]; records: [RecordRef, RecordRef] }[]> {
  const after = skip > 0 ? (await app.services.identity.list({ first: skip })).pageInfo.endCursor : null;
  const page = await app.services.identity.list({ first: 2 * n, after });
  const ids = page.edges.map((e) => e.node.id);
  const links = await app.services.identity.linksFor(ids);
  const ref = (i: number): RecordRef => {
    const l = links[i]![0]!;
    return { system: l.system, recordType: l.recordType, externalId: l.externalId };
  };
  return Array.from({ length: n }, (_, i) => ({ customers: [ids[2 * i]!, ids[2 * i + 1]!], records: [ref(2 * i), ref(2 * i + 1)] }));
}

/** Raises one POSSIBLE_DUPLICATE item for the pair and answers its id. */
async function raise(app: TestApp, records: [RecordRef, RecordRef]): Promise<string> {
  expect(await app.services.reviews.addPossibleDuplicates([{ records, probability: 0.6, weight: 2.5, levels: [] }], 'backfill')).toBe(1);
  const open = await app.services.reviews.list({ first: 100 });
  return open.edges.map((e) => e.node).find((i) => i.subject.records[0].externalId === records[0].externalId && i.subject.records[1].externalId === records[1].externalId)!.id;
}

/** The next event about item `id` (probes and other items skipped). */
async function nextAbout(results: AsyncIterableIterator<Result>, id: string): Promise<Item> {
  for (;;) {
    const r = await nextWithin(results);
    expect(r.errors).toBeUndefined();
    const item = r.data!['reviewQueueChanged'] as Item;
    if (item.id === id) return item;
  }
}

describe('reviewQueueChanged', () => {
  let app: TestApp;
  let probeId: string;
  const clients: Client[] = [];
  beforeAll(async () => {
    app = await startTestApp({ customers: 60, seed: 11 });
    const [p] = await pairs(app, 40, 1);
    probeId = await raise(app, p!.records);
  });
  afterAll(async () => {
    for (const c of clients) await c.dispose();
    await app?.close();
  });
  const probe = (): Promise<void> => app.pubsub.publish(REVIEW_CHANGED_CHANNEL, { ids: [probeId] });

  it('streams an item raised, then the decision a person took on it, each as the item is then', async () => {
    const s = subscribe(app.url, 'steward', CHANGED, {});
    clients.push(s.client);
    expect(await whenListening(s.results, probe)).toMatchObject({ data: { reviewQueueChanged: { id: probeId, status: 'OPEN' } } });
    const [p] = await pairs(app, 0, 1);
    const id = await raise(app, p!.records);
    expect(await nextAbout(s.results, id)).toEqual({ id, kind: 'POSSIBLE_DUPLICATE', status: 'OPEN', resolvedBy: null, decision: null, records: p!.records.map((r) => ({ externalId: r.externalId })) });
    const decided = await app.gql('mutation($id: ID!) { resolveReview(id: $id, decision: { action: DISMISS }) { status } }', { id }, { headers: bearer('steward') });
    expect(decided.errors).toEqual([]);
    expect(await nextAbout(s.results, id)).toMatchObject({ id, status: 'DISMISSED', resolvedBy: testKeyName('steward'), decision: { action: 'DISMISS' } });
  });

  it('streams an item closed because a person merged its two customers', async () => {
    const s = subscribe(app.url, 'admin', CHANGED, {});
    clients.push(s.client);
    await whenListening(s.results, probe);
    const [, p] = await pairs(app, 0, 2);
    const id = await raise(app, p!.records);
    expect(await nextAbout(s.results, id)).toMatchObject({ status: 'OPEN' });
    const merged = await app.gql('mutation($ids: [ID!]!) { mergeCustomers(ids: $ids) { id } }', { ids: p!.customers });
    expect(merged.errors).toEqual([]);
    expect(await nextAbout(s.results, id)).toMatchObject({ id, status: 'RESOLVED', decision: { action: 'MERGE' } });
  });

  it('is refused at the start to a role without REVIEW', async () => {
    const s = subscribe(app.url, 'agent', CHANGED, {});
    clients.push(s.client);
    const r = await nextWithin(s.results);
    expect(r.data ?? null).toBeNull();
    expect(r.errors?.map((e) => e.extensions?.['code'])).toEqual(['FORBIDDEN']);
  });
});

describe.skipIf(!process.env['DATABASE_URL'] || !process.env['REDIS_URL'])('reviewQueueChanged across two gateway replicas on one Redis', () => {
  let a: TestApp;
  let b: App;
  const clients: Client[] = [];
  beforeAll(async () => {
    a = await startTestApp({ customers: 40, seed: 12 });
    b = await startReplica(a);
  });
  afterAll(async () => {
    for (const c of clients) await c.dispose();
    await b?.close();
    await a?.close();
  });

  it('a decision taken through gateway B reaches a subscriber of gateway A', async () => {
    expect(a.pubsub.kind).toBe('redis');
    const [p, q] = await pairs(a, 0, 2);
    const probeId = await raise(a, q!.records);
    const id = await raise(a, p!.records);
    const s = subscribe(a.url, 'steward', CHANGED, {});
    clients.push(s.client);
    await whenListening(s.results, () => b.pubsub.publish(REVIEW_CHANGED_CHANNEL, { ids: [probeId] }));
    const res = await fetch(`${b.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer('steward') },
      body: JSON.stringify({ query: 'mutation($id: ID!) { resolveReview(id: $id, decision: { action: KEEP_SEPARATE, note: "two firms" }) { status } }', variables: { id } }),
    });
    expect(((await res.json()) as { errors?: unknown }).errors).toBeUndefined();
    expect(await nextAbout(s.results, id)).toMatchObject({ id, status: 'RESOLVED', decision: { action: 'KEEP_SEPARATE' } });
  });
});

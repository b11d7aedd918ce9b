// A cache miss with the link memo, as the gateway serves it on the sandbox (real SDKs, real
// Postgres): the remembered records are asked for while Postgres is asked for the links, and
// the answer is built from the records Postgres names, whatever the memo said.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { accountRefsOf, type LinkMemo } from '../../src/gateway/link-memo.ts';
import { linkGuesses } from '../../src/observability/metrics.ts';
import type { SystemId } from '../../src/domain/records.ts';

const QUERY = `query($id: ID!) { customer(id: $id) { id name email phone
  lineage { field source value candidates { system externalId value } } sources { system externalId } } }`;

const guesses = async (outcome: string): Promise<number> => (await linkGuesses.get()).values.find((v) => v.labels['outcome'] === outcome)?.value ?? 0;

describe('cache misses with the link memo', () => {
  let app: TestApp;
  let memo: LinkMemo;
  beforeAll(async () => {
    app = await startTestApp({ customers: 60, seed: 11 });
    memo = app.services.linkMemo!;
    // Filled in the background at start: every live customer, as Postgres links them.
    const customers = await app.services.identity.count();
    await vi.waitFor(() => expect(memo.stats().size).toBe(customers), { timeout: 10_000 });
  });
  afterAll(() => app?.close());

  /** A customer linked to records in at least two systems, with those records. */
  const someCustomer = async (skip = 0): Promise<{ id: string; systems: SystemId[] }> => {
    const page = await app.services.identity.list({ first: 60 });
    const ids = page.edges.map((e) => e.node.id);
    const links = await app.services.identity.linksFor(ids);
    const found = ids.map((id, i) => ({ id, systems: [...new Set(accountRefsOf(links[i]!).map((r) => r.system))] })).filter((c) => c.systems.length >= 2);
    return found[skip]!;
  };

  /** What happens, in order, while `id` is read on a cold cache: links asked and answered, account reads per system. */
  const traced = async (id: string): Promise<{ events: string[]; answer: unknown; accountIds: Map<SystemId, string[]> }> => {
    await app.services.cache.clear();
    const events: string[] = [];
    const accountIds = new Map<SystemId, string[]>();
    const identity = app.services.identity;
    const linksFor = identity.linksFor.bind(identity);
    const spies: { mockRestore(): void }[] = [
      vi.spyOn(identity, 'linksFor').mockImplementation(async (ids) => {
        events.push('links asked');
        const r = await linksFor(ids);
        events.push('links answered');
        return r;
      }),
    ];
    for (const source of Object.values(app.services.sources)) {
      const loadAccounts = source.loadAccounts.bind(source);
      spies.push(
        vi.spyOn(source, 'loadAccounts').mockImplementation((ids, limits) => {
          events.push(`accounts ${source.system}`);
          accountIds.set(source.system, [...(accountIds.get(source.system) ?? []), ...ids]);
          return loadAccounts(ids, limits);
        }),
      );
    }
    try {
      const r = await app.gql(QUERY, { id });
      expect(r.errors).toEqual([]);
      return { events, answer: r.data, accountIds };
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  };

  it('is filled at start with every live customer’s account records', async () => {
    const page = await app.services.identity.list({ first: 60 });
    const ids = page.edges.map((e) => e.node.id);
    const links = await app.services.identity.linksFor(ids);
    ids.forEach((id, i) => expect(memo.guess(id)).toEqual(accountRefsOf(links[i]!)));
  });

  it('asks the systems for the remembered records before Postgres has answered with the links', async () => {
    const { id, systems } = await someCustomer();
    const right = await guesses('right');
    const { events } = await traced(id);
    const answered = events.indexOf('links answered');
    expect(answered).toBeGreaterThan(0);
    expect(new Set(events.slice(0, answered).filter((e) => e.startsWith('accounts ')))).toEqual(new Set(systems.map((s) => `accounts ${s}`)));
    // Nothing read twice: the build's own reads joined the guessed ones.
    expect(events.filter((e) => e.startsWith('accounts '))).toHaveLength(systems.length);
    expect(await guesses('right')).toBe(right + 1);
  });

  it('without the memo, asks them only once Postgres has answered', async () => {
    const { id, systems } = await someCustomer();
    delete app.services.linkMemo;
    try {
      const { events } = await traced(id);
      const answered = events.indexOf('links answered');
      expect(events.slice(0, answered).filter((e) => e.startsWith('accounts '))).toEqual([]);
      expect(new Set(events.slice(answered).filter((e) => e.startsWith('accounts ')))).toEqual(new Set(systems.map((s) => `accounts ${s}`)));
    } finally {
      app.services.linkMemo = memo;
    }
  });

  it('builds from the records Postgres names when the guess is wrong, and remembers them', async () => {
    const a = await someCustomer(0);
    const b = await someCustomer(1);
    const truth = memo.guess(a.id)!;
    const { answer: rightAnswer } = await traced(a.id);
    // A guess that names another customer's records and none of this one's.
    const wrong = memo.guess(b.id)!;
    memo.remember(a.id, wrong);
    const wrongBefore = await guesses('wrong');
    const { answer, events, accountIds } = await traced(a.id);
    expect(answer).toEqual(rightAnswer);
    // The other customer's records were read (for nothing), and this one's after Postgres answered.
    for (const r of wrong) expect(accountIds.get(r.system)).toContain(r.externalId);
    const answered = events.indexOf('links answered');
    expect(events.slice(answered).filter((e) => e.startsWith('accounts ')).length).toBeGreaterThan(0);
    for (const r of truth) expect(accountIds.get(r.system)).toContain(r.externalId);
    expect(await guesses('wrong')).toBe(wrongBefore + 1);
    expect(memo.guess(a.id)).toEqual(truth);
  });

  it('forgets an id that no longer names a customer', async () => {
    memo.remember('gc_does_not_exist', [{ system: 'erp', externalId: 'nobody' }]);
    const r = await app.gql<{ customer: unknown }>('query($id: ID!) { customer(id: $id) { id } }', { id: 'gc_does_not_exist' });
    expect(r.data?.customer ?? null).toBeNull();
    expect(memo.guess('gc_does_not_exist')).toBeUndefined();
  });
});

describe('with MERIDIAN_LINK_MEMO=0', () => {
  it('keeps no memo and reads each customer as before', async () => {
    const app = await startTestApp({ customers: 20, seed: 3, env: { MERIDIAN_LINK_MEMO: '0' } });
    try {
      expect(app.services.linkMemo).toBeUndefined();
      const page = await app.services.identity.list({ first: 1 });
      const r = await app.gql<{ customer: { id: string } }>('query($id: ID!) { customer(id: $id) { id } }', { id: page.edges[0]!.node.id });
      expect(r.errors).toEqual([]);
      expect(r.data!.customer.id).toBe(page.edges[0]!.node.id);
    } finally {
      await app.close();
    }
  });
});

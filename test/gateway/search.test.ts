// searchCustomers against the demo world: exact keys in any format, names with typos.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import type { TruthCustomer } from '../../src/sandbox/world/types.ts';

interface Match {
  score: number;
  matchedOn: string;
  matchedValue: string;
  customer: { id: string; sources: { externalId: string }[] };
}

describe('searchCustomers', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ customers: 150, seed: 33 });
  });
  afterAll(() => app?.close());

  const search = async (query: string, first = 5): Promise<Match[]> => {
    const r = await app.gql<{ searchCustomers: Match[] }>(
      'query($q: String!, $n: Int) { searchCustomers(query: $q, first: $n) { score matchedOn matchedValue customer { id sources { externalId } } } }',
      { q: query, n: first },
    );
    expect(r.errors).toEqual([]);
    return r.data!.searchCustomers;
  };
  const owns = (m: Match | undefined, t: TruthCustomer): boolean => !!m && m.customer.sources.some((s) => t.records.some((r) => r.id === s.externalId));
  const withErp = (): TruthCustomer[] => app.sandbox!.world.truth.filter((t) => t.records.some((r) => r.system === 'erp') && t.records.some((r) => r.system === 'salesforce'));

  it('finds a customer by its billing e-mail, in any case', async () => {
    const t = withErp()[0]!;
    const hits = await search(`  ${t.email.toUpperCase()} `);
    expect(hits[0]).toMatchObject({ score: 1, matchedOn: 'email' });
    expect(owns(hits[0], t)).toBe(true);
  });

  it('finds a customer by phone written another way', async () => {
    const t = withErp().find((c) => c.phone.startsWith('+1'))!;
    const national = t.phone.slice(2);
    const hits = await search(`(${national.slice(0, 3)}) ${national.slice(3, 6)}-${national.slice(6)}`);
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.some((h) => owns(h, t) && h.matchedOn === 'phone')).toBe(true);
  });

  it('finds a customer by domain and by a misspelled name', async () => {
    const t = withErp()[3]!;
    const byDomain = await search(`www.${t.domain}`);
    expect(byDomain.some((h) => owns(h, t) && h.matchedOn === 'domain')).toBe(true);
    // A whole web address, as copied from a browser.
    const byAddress = await search(`https://${t.domain}/about?ref=x`);
    expect(byAddress.some((h) => owns(h, t) && h.matchedOn === 'domain' && h.matchedValue === t.domain)).toBe(true);
    const name = t.name;
    const typo = name.length > 6 ? name.slice(0, 3) + name[4] + name[3] + name.slice(5) : name; // transpose two letters
    const byName = await search(typo.toLowerCase());
    expect(byName.slice(0, 3).some((h) => owns(h, t))).toBe(true);
    expect(byName[0]!.score).toBeGreaterThan(0.6);
    expect(byName[0]!.score).toBeLessThanOrEqual(1);
  });

  it('orders by score, one entry per customer, and names bad arguments', async () => {
    // The commonest first word of the customers' names: many candidates to order.
    const counts = new Map<string, number>();
    for (const t of app.sandbox!.world.truth) {
      const w = t.name.split(' ')[0]!.toLowerCase();
      if (w.length >= 3) counts.set(w, (counts.get(w) ?? 0) + 1);
    }
    const common = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0];
    const hits = await search(common, 50);
    expect(hits.length).toBeGreaterThan(1);
    const ids = hits.map((h) => h.customer.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...hits].sort((a, b) => b.score - a.score)).toEqual(hits);
    const empty = await app.gql('{ searchCustomers(query: "   ") { score } }');
    expect(empty.errors[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'query' });
    const tooMany = await app.gql('{ searchCustomers(query: "acme", first: 500) { score } }');
    expect(tooMany.errors[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'first' });
    expect(await search('nobody-by-this-name-zzz@nowhere.example')).toEqual([]);
  });
});

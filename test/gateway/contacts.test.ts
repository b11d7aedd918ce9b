// A customer's contacts through GraphQL: Salesforce contacts and Zendesk users of one person
// are one contact (src/identity/people.ts), checked against the sandbox world's truth.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';

interface Contact {
  name: string | null;
  email: string | null;
  sources: { system: string; externalId: string }[];
}

describe('contacts', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ customers: 200, seed: 42 });
  });
  afterAll(() => app?.close());

  it('lists each person once, with every record of them, and never two people as one', async () => {
    const personOf = new Map<string, string>();
    for (const t of app.sandbox!.world.truth) for (const p of t.contacts) for (const r of p.records) personOf.set(`${r.system.toUpperCase()}:${r.id}`, p.key);
    const page = await app.gql<{ customers: { edges: { node: { id: string; contacts: Contact[] } }[] } }>('{ customers(first: 100) { edges { node { id contacts { name email sources { system externalId } } } } } }');
    expect(page.errors).toEqual([]);
    let merged = 0;
    let people = 0;
    const seen = new Map<string, number>();
    for (const { node } of page.data!.customers.edges) {
      for (const c of node.contacts) {
        const persons = new Set(c.sources.map((s) => personOf.get(`${s.system}:${s.externalId}`)).filter((x) => x !== undefined));
        // Never two true people in one contact.
        expect(persons.size).toBeLessThanOrEqual(1);
        if (c.sources.length > 1) merged++;
        for (const p of persons) seen.set(`${node.id}|${p}`, (seen.get(`${node.id}|${p}`) ?? 0) + 1);
        people++;
      }
    }
    // Each true person of a customer appears as one contact of it.
    const split = [...seen.values()].filter((n) => n > 1).length;
    console.log(`[contacts] ${people} contacts on 100 customers; ${merged} gathered from several records; ${split} people still listed twice`);
    expect(merged).toBeGreaterThan(20);
    expect(split).toBeLessThanOrEqual(1);
  });

  it("gives a contact's phone in E.164, as the customer's own phone is", async () => {
    const page = await app.gql<{ customers: { edges: { node: { contacts: { phone: string | null }[] } }[] } }>('{ customers(first: 100) { edges { node { contacts { phone } } } } }');
    expect(page.errors).toEqual([]);
    const phones = page.data!.customers.edges.flatMap((e) => e.node.contacts.map((c) => c.phone)).filter((p): p is string => p !== null);
    // The world's contacts have phones typed many ways ("(212) 396-3551", "212.396.3551" …).
    expect(phones.length).toBeGreaterThan(20);
    expect(phones.filter((p) => !/^\+[1-9]\d{6,14}$/.test(p))).toEqual([]);
  });
});

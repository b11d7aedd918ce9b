// People within a customer: Salesforce contacts and Zendesk users grouped into persons, scored
// against the demo world's truth (which person each record is) and against grouping by e-mail
// alone, which is what the contacts list did before.
import { describe, expect, it } from 'vitest';
import { clusterPeople, type PersonInput } from '../../src/identity/people.ts';
import { generateWorld } from '../../src/sandbox/world/index.ts';

interface Scores {
  truePairs: number;
  predicted: number;
  correct: number;
}

const pairs = (groups: Iterable<number>): number => {
  let n = 0;
  for (const s of groups) n += (s * (s - 1)) / 2;
  return n;
};
const sizes = (labels: readonly string[]): number[] => {
  const m = new Map<string, number>();
  for (const l of labels) m.set(l, (m.get(l) ?? 0) + 1);
  return [...m.values()];
};

function score(seed: number): { rules: Scores; emailOnly: Scores; people: number; rulesUsed: Record<string, number> } {
  const world = generateWorld({ customers: 1000, seed });
  const personOf = new Map<string, string>();
  const customerOf = new Map<string, string>();
  for (const t of world.truth) {
    for (const p of t.contacts) for (const r of p.records) personOf.set(`${r.system}:${r.id}`, p.key);
    for (const r of t.records) customerOf.set(`${r.system}:${r.id}`, t.key);
  }
  // Each customer's people, as the contacts list reads them: contacts of its accounts, users of its organizations.
  const byCustomer = new Map<string, PersonInput[]>();
  const add = (customer: string | undefined, p: PersonInput): void => {
    if (customer === undefined || !personOf.has(p.key)) return;
    const list = byCustomer.get(customer) ?? [];
    list.push(p);
    byCustomer.set(customer, list);
  };
  for (const c of world.salesforce.contacts) {
    if (c.IsDeleted || c.AccountId === null) continue;
    add(customerOf.get(`salesforce:${c.AccountId}`), { key: `salesforce:${c.Id}`, name: c.Name, email: c.Email, phone: c.Phone });
  }
  for (const u of world.zendesk.users) {
    if (u.organization_id === null) continue;
    add(customerOf.get(`zendesk:${u.organization_id}`), {
      key: `zendesk:${u.id}`, name: u.name, email: u.email, phone: u.phone, ...(u.external_id ? { sameAs: [`salesforce:${u.external_id}`] } : {}),
    });
  }
  const rules: Scores = { truePairs: 0, predicted: 0, correct: 0 };
  const emailOnly: Scores = { truePairs: 0, predicted: 0, correct: 0 };
  const rulesUsed: Record<string, number> = {};
  let people = 0;
  for (const list of byCustomer.values()) {
    people += list.length;
    const truth = list.map((p) => personOf.get(p.key)!);
    const c = clusterPeople(list);
    for (const r of c.rule) if (r) rulesUsed[r] = (rulesUsed[r] ?? 0) + 1;
    const byEmail = list.map((p, i) => p.email?.trim().toLowerCase() || `#${i}`);
    for (const [labels, into] of [[c.cluster.map(String), rules], [byEmail, emailOnly]] as const) {
      into.truePairs += pairs(sizes(truth));
      into.predicted += pairs(sizes(labels));
      into.correct += pairs(sizes(labels.map((l, i) => `${l}|${truth[i]}`)));
    }
  }
  return { rules, emailOnly, people, rulesUsed };
}

const fmt = (s: Scores): string => `P ${(s.correct / Math.max(1, s.predicted)).toFixed(4)} R ${(s.correct / Math.max(1, s.truePairs)).toFixed(4)} (${s.correct}/${s.truePairs} true pairs, ${s.predicted} predicted)`;

describe('people within a customer, against the world truth', () => {
  for (const seed of [42, 7]) {
    it(`seed ${seed}: precision ≥ 0.99 and more recall than e-mail alone`, () => {
      const { rules, emailOnly, people, rulesUsed } = score(seed);
      console.log(`[people seed ${seed}] ${people} people records · e-mail only: ${fmt(emailOnly)} · rules: ${fmt(rules)} · joins by rule ${JSON.stringify(rulesUsed)}`);
      expect(rules.truePairs).toBeGreaterThan(50);
      expect(rules.correct / rules.predicted).toBeGreaterThanOrEqual(0.99);
      expect(rules.correct / rules.truePairs).toBeGreaterThan(emailOnly.correct / emailOnly.truePairs);
    });
  }
});

describe('clusterPeople rules', () => {
  const p = (key: string, name: string | null, email: string | null, phone: string | null = null): PersonInput => ({ key, name, email, phone });

  it('joins a nickname and its formal name with one surname, and a personal address with a work one', () => {
    const c = clusterPeople([p('a', 'Robert Fisher', 'robert.fisher@acme.com'), p('b', 'Bob Fisher', 'bobfisher77@gmail.com')]);
    expect(c.cluster).toEqual([0, 0]);
    expect(c.rule).toEqual([null, 'name']);
  });

  it('keeps two colleagues of one name apart when each has a mailbox at the company', () => {
    const c = clusterPeople([p('a', 'John Smith', 'john.smith@acme.com'), p('b', 'John Smith', 'jsmith2@acme.com')]);
    expect(c.cluster).toEqual([0, 1]);
  });

  it('needs the phone when a name has a typo, and reads phones in any format', () => {
    expect(clusterPeople([p('a', 'Maria Gonzales', null, '+1 415 555 0100'), p('b', 'Maria Gonzalez', null, '(415) 555-0100')]).rule).toEqual([null, 'name+phone']);
    expect(clusterPeople([p('a', 'Maria Gonzales', null, '+1 415 555 0100'), p('b', 'Maria Gonzalez', null, '(415) 555-0199')]).cluster).toEqual([0, 1]);
  });

  it('follows a stated same-person reference, and never joins on a given name alone', () => {
    expect(clusterPeople([p('salesforce:003A', 'Ann Lee', null), { ...p('zendesk:9', 'A. Lee-Wong', null), sameAs: ['salesforce:003A'] }]).rule).toEqual([null, 'xref']);
    expect(clusterPeople([p('a', 'Ann', null, '+14155550100'), p('b', 'Ann', null, '+14155550100')]).cluster).toEqual([0, 1]);
  });
});

// People within one customer: which Salesforce contacts and Zendesk users are the same person.
//
// The set is small (a customer's contacts and ticket requesters, rarely more than a few dozen)
// and every record already belongs to the one company, so plain rules decide, pair by pair,
// joined transitively:
// - `xref`: a Zendesk user whose external_id is a Salesforce Contact's id;
// - `email`: the same address (case, whitespace and +tags ignored);
// - `name`: the same surname and given names of one family (Bob / Robert), unless both carry
//   different addresses at the company's own domain (two colleagues of one name have two
//   mailboxes; one person's personal address is free-mail);
// - `name+phone`: names alike allowing one typo in each part, and the same phone number.
// Pure: no I/O.
import { emailDomain, emailMatchKey, givenNameVariants, normalizePhone, personNameKey } from '../normalize/index.ts';
import { editDistance } from './matcher/strings.ts';

export interface PersonInput {
  /** `system:id` */
  key: string;
  name: string | null;
  email: string | null;
  phone: string | null;
  /** Keys of records this one names as the same person (`salesforce:003…`). */
  sameAs?: readonly string[];
}

export type PersonRule = 'xref' | 'email' | 'name' | 'name+phone';

export interface PeopleClusters {
  /** Cluster number per input (the index of its first member). */
  cluster: number[];
  /** Per input: the rule that joined it to an earlier member, null for a cluster's first. */
  rule: (PersonRule | null)[];
}

/** Above this many people only exact keys are compared (the pair loop is quadratic). */
export const MAX_PAIRWISE_PEOPLE = 400;

interface Parsed {
  given: readonly string[];
  givenRaw: string | null;
  surname: string | null;
  email: string | null;
  companyMail: boolean;
  phone: string | null;
}

function parse(p: PersonInput, region: string): Parsed {
  const key = personNameKey(p.name);
  const words = key === null ? [] : key.split(' ');
  const email = emailMatchKey(p.email);
  return {
    given: words.length > 1 ? givenNameVariants(words[0]) : [],
    givenRaw: words.length > 1 ? words[0]! : null,
    surname: words.length > 1 ? words.at(-1)! : null,
    email,
    companyMail: emailDomain(email) !== null,
    phone: normalizePhone(p.phone, region),
  };
}

const shareFamily = (a: readonly string[], b: readonly string[]): boolean => a.some((x) => b.includes(x));

/** The rule that makes two people of one customer the same person, or null. */
function samePerson(a: Parsed, b: Parsed): PersonRule | null {
  if (a.email !== null && a.email === b.email) return 'email';
  if (a.surname === null || b.surname === null || a.givenRaw === null || b.givenRaw === null) return null;
  const twoMailboxes = a.companyMail && b.companyMail && a.email !== b.email;
  if (a.surname === b.surname && shareFamily(a.given, b.given) && !twoMailboxes) return 'name';
  const alike = editDistance(a.surname, b.surname, 1, true) <= 1 && (shareFamily(a.given, b.given) || editDistance(a.givenRaw, b.givenRaw, 1, true) <= 1);
  if (alike && a.phone !== null && a.phone === b.phone) return 'name+phone';
  return null;
}

/** Groups the people of one customer into persons. */
export function clusterPeople(people: readonly PersonInput[], region = 'US'): PeopleClusters {
  const n = people.length;
  const parent = Array.from({ length: n }, (_, i) => i);
  const find = (x: number): number => {
    while (parent[x] !== x) x = parent[x] = parent[parent[x]!]!;
    return x;
  };
  const rule: (PersonRule | null)[] = Array.from({ length: n }, () => null);
  const join = (i: number, j: number, why: PersonRule): void => {
    const a = find(i);
    const b = find(j);
    if (a === b) return;
    // The later record joins the earlier one's person; record why on the one that joined.
    const [keep, move] = a < b ? [a, b] : [b, a];
    parent[move] = keep;
    const joined = Math.max(i, j);
    rule[joined] ??= why;
  };
  const index = new Map(people.map((p, i) => [p.key, i]));
  people.forEach((p, i) => {
    for (const other of p.sameAs ?? []) {
      const j = index.get(other);
      if (j !== undefined && j !== i) join(i, j, 'xref');
    }
  });
  const parsed = people.map((p) => parse(p, region));
  if (n <= MAX_PAIRWISE_PEOPLE) {
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const why = samePerson(parsed[i]!, parsed[j]!);
        if (why !== null) join(i, j, why);
      }
    }
  } else {
    const byEmail = new Map<string, number>();
    parsed.forEach((p, i) => {
      if (p.email === null) return;
      const j = byEmail.get(p.email);
      if (j === undefined) byEmail.set(p.email, i);
      else join(j, i, 'email');
    });
  }
  return { cluster: people.map((_, i) => find(i)), rule };
}

// The authorization matrix over HTTP with real keys: one bootstrap key per role
// (MERIDIAN_API_KEYS, test/support/app.ts), sent as `Authorization: Bearer <key>` through
// authentication, Apollo and the response cache. The expectations are the in-process matrix's
// (policy-fixture.ts): a role's answer is the admin's with exactly what it may not read nulled.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startTestApp, testKeyName, type TestApp } from '../support/app.ts';
import { ROLES } from '../../src/access/principal.ts';
import { READS, expectedFor, may } from './policy-fixture.ts';

type Answer = Awaited<ReturnType<TestApp['gql']>>;
const forbiddenPaths = (r: Answer): string[] => r.errors.filter((e) => e.extensions?.['code'] === 'FORBIDDEN').map((e) => (e.path ?? []).join('.')).sort();

describe('authorization matrix over HTTP, with real keys', () => {
  let app: TestApp;
  let rich: string;
  let ids: string[];
  beforeAll(async () => {
    app = await startTestApp({ customers: 200, seed: 42 });
    const r = await app.gql<{ customers: { edges: { node: { id: string; sources: { system: string }[] } }[] } }>('{ customers(first: 100) { edges { node { id sources { system } } } } }');
    expect(r.errors).toEqual([]);
    const nodes = r.data!.customers.edges.map((e) => e.node);
    ids = nodes.map((n) => n.id);
    rich = nodes.find((n) => ['SALESFORCE', 'STRIPE', 'ZENDESK', 'ERP'].every((s) => n.sources.some((x) => x.system === s)))!.id;
  });
  afterAll(() => app?.close());

  for (const role of ROLES) {
    it(`${role} × every representative read: the admin's answer minus exactly what ${role} may not read, again when cached`, async () => {
      for (const [name, query] of Object.entries(READS)) {
        const admin = await app.gql(query, { id: rich }, { headers: bearer('admin') });
        expect(admin.errors, name).toEqual([]);
        const want = expectedFor(role, admin.data, 'Query');
        // Twice: the second may come from the response cache, which must answer per role.
        for (let i = 0; i < 2; i++) {
          const got = await app.gql(query, { id: rich }, { headers: bearer(role) });
          expect(forbiddenPaths(got), `${role} ${name} #${i}`).toEqual(want.forbidden);
          expect(got.errors.filter((e) => e.extensions?.['code'] !== 'FORBIDDEN'), `${role} ${name} #${i}`).toEqual([]);
          expect(got.data, `${role} ${name} #${i}`).toEqual(want.data);
        }
      }
    });
  }

  it("the response cache never answers one role with another role's answer", async () => {
    const q = 'query($id: ID!) { customer(id: $id) { id name email contractValue { amount } } }';
    const first = await app.gql<{ customer: { email: string | null; contractValue: unknown } }>(q, { id: rich }, { headers: bearer('admin') });
    const again = await app.gql(q, { id: rich }, { headers: bearer('admin') });
    expect(again.data).toEqual(first.data);
    expect(first.data!.customer.contractValue).not.toBeNull();
    const reader = await app.gql<{ customer: { email: string | null; contractValue: unknown } }>(q, { id: rich }, { headers: bearer('reader') });
    expect(reader.data!.customer).toMatchObject({ email: null, contractValue: null });
    expect(forbiddenPaths(reader)).toEqual(['customer.contractValue', 'customer.email']);
  });

  it('mutations with real keys: refused with FORBIDDEN and nothing written, or done and audited with the key as the actor', async () => {
    const merged = async (a: string, b: string): Promise<boolean> => {
      const r = await app.gql<{ customer: { id: string } }>('query($id: ID!) { customer(id: $id) { id } }', { id: b });
      return r.data!.customer.id === a;
    };
    let n = 40;
    for (const role of ROLES) {
      const [a, b] = [ids[n++]!, ids[n++]!];
      const r = await app.gql('mutation($ids: [ID!]!) { mergeCustomers(ids: $ids) { id } }', { ids: [a, b] }, { headers: bearer(role) });
      if (may(role, 'STEWARDSHIP')) {
        expect(r.errors, role).toEqual([]);
        expect(await merged(a, b), role).toBe(true);
        const events = await app.store.query<{ actor: string }>(`SELECT actor FROM ${app.store.table('identity_events')} WHERE golden_id = $1 AND kind = 'merged'`, [a]);
        expect(events.rows.map((e) => e.actor), role).toEqual([testKeyName(role)]);
      } else {
        expect(r.data, role).toBeNull();
        expect(r.errors.map((e) => [e.extensions?.['code'], e.path?.join('.')]), role).toEqual([['FORBIDDEN', 'mergeCustomers']]);
        expect(await merged(a, b), role).toBe(false);
      }
    }
  });

  it('a mutation the role may call does not run beside one it may not: the whole operation is refused, nothing written', async () => {
    // An agent may update contact fields but not merge. The update comes first, so without the
    // check it would write before the merge was refused (mutations run one after another).
    const [a, b] = [ids[70]!, ids[71]!];
    const intents = async (): Promise<number> => Number((await app.store.query<{ n: string }>(`SELECT count(*) AS n FROM ${app.store.table('sync_intents')}`)).rows[0]!.n);
    const before = await intents();
    const r = await app.gql(
      'mutation($id: ID!, $ids: [ID!]!) { u: updateCustomer(id: $id, input: { phone: "+14155550177" }, idempotencyKey: "matrix-both") { intentId } m: mergeCustomers(ids: $ids) { id } }',
      { id: a, ids: [a, b] },
      { headers: bearer('agent') },
    );
    expect(r.data).toBeNull();
    // The compiled executor stops at the first refused non-null root; graphql-js goes on to refuse `m` too.
    expect(r.errors.map((e) => [e.extensions?.['code'], e.path?.join('.')])[0]).toEqual(['FORBIDDEN', 'u']);
    expect(r.errors.every((e) => e.extensions?.['code'] === 'FORBIDDEN')).toBe(true);
    expect(r.errors[0]!.message).toBe('Forbidden: role agent may not call Mutation.updateCustomer in an operation that also calls Mutation.mergeCustomers; nothing in it ran (STEWARDSHIP)');
    expect(await intents()).toBe(before);
    // Alone, the same update runs.
    const alone = await app.gql('mutation($id: ID!) { updateCustomer(id: $id, input: { phone: "+14155550177" }, idempotencyKey: "matrix-alone") { intentId } }', { id: a }, { headers: bearer('agent') });
    expect(alone.errors).toEqual([]);
    expect(await intents()).toBe(before + 1);
  });
});

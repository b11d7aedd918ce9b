// A golden customer is built from the records its links name. When every one of them answers
// NOT_FOUND from its system (deleted there, or a sandbox world replaced under the links), the
// customer is an error naming those records, never a record of nulls.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';

describe('a customer with no readable record', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({ customers: 50 });
  }, 120_000);

  afterAll(async () => {
    await app?.close();
  });

  it('answers NOT_FOUND naming the records when every linked record is gone from its system, not a record of nulls', async () => {
    const stripe = app.sandbox!.stripe.store;
    const created = stripe.createCustomer({ name: 'Quillfeather Unlikely Holdings', email: 'ap@quillfeather-unlikely.example' });
    const linked = await app.gql<{ linkSourceRecord: { id: string; name: string } }>(
      `mutation($id: ID!) { linkSourceRecord(system: STRIPE, externalId: $id) { id name } }`,
      { id: created.id },
    );
    expect(linked.errors).toEqual([]);
    const id = linked.data!.linkSourceRecord.id;
    expect(linked.data!.linkSourceRecord.name).toBe('Quillfeather Unlikely Holdings');

    stripe.deleteCustomer(created.id);
    await app.services.cache.invalidate([id]);
    const after = await app.gql<{ customer: { id: string; name: string | null } | null }>(`query($id: ID!) { customer(id: $id) { id name } }`, { id });
    expect(after.data?.customer ?? null).toBeNull();
    expect(after.errors).toHaveLength(1);
    expect(after.errors[0]!.extensions).toMatchObject({ code: 'NOT_FOUND', records: [{ system: 'STRIPE', externalId: created.id }] });
    expect(after.errors[0]!.message).toContain(`STRIPE ${created.id}`);
  });

  it('still serves a customer whose other records are readable when one of them is gone', async () => {
    const list = await app.gql<{ customers: { edges: { node: { id: string; sources: { system: string; externalId: string }[] } }[] } }>(
      '{ customers(first: 50) { edges { node { id sources { system externalId } } } } }',
    );
    const node = list.data!.customers.edges.map((e) => e.node).find((n) => n.sources.some((s) => s.system === 'STRIPE') && n.sources.length > 1)!;
    const stripeId = node.sources.find((s) => s.system === 'STRIPE')!.externalId;
    app.sandbox!.stripe.store.deleteCustomer(stripeId);
    await app.services.cache.invalidate([node.id]);
    const after = await app.gql<{ customer: { id: string; name: string | null } }>(`query($id: ID!) { customer(id: $id) { id name } }`, { id: node.id });
    expect(after.errors).toEqual([]);
    expect(after.data!.customer.name).not.toBeNull();
  });
});

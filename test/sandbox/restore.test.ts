// A journal's replay (src/sandbox/journal.ts) puts records back with each store's restore(). The
// stores keep derived lists (list order, children by parent) rebuilt after a change; a restore is
// a change too, so a list read after it shows the restored record even when the list was built before.
import { describe, expect, it } from 'vitest';
import { generateWorld } from '../../src/sandbox/world/index.ts';
import { StripeStore } from '../../src/sandbox/stripe/store.ts';
import { ZendeskStore } from '../../src/sandbox/zendesk/store.ts';
import { SalesforceStore } from '../../src/sandbox/salesforce/store.ts';

const world = generateWorld({ customers: 20, seed: 3 });
const now = (): Date => new Date(world.now);

describe('a store restore() after its lists were built', () => {
  it('Stripe: a restored deletion leaves the customer list, a restored customer joins it', () => {
    const store = new StripeStore(world.stripe, { now, apiVersion: '2025-01-01', webhookEndpoints: () => 0 });
    const [gone, back] = [world.stripe.customers[0]!, world.stripe.customers[1]!];
    expect(store.sortedEntries('customer').map((e) => e.obj.id)).toContain(gone.id);
    store.restore('customer', gone, true);
    expect(store.sortedEntries('customer').map((e) => e.obj.id)).not.toContain(gone.id);
    const renamed = { ...back, name: 'Restored Name Ltd' };
    expect(store.entriesWith('customer', 'name', 'Restored Name Ltd')).toHaveLength(0);
    store.restore('customer', renamed);
    expect(store.entriesWith('customer', 'name', 'Restored Name Ltd').map((e) => e.obj.id)).toEqual([back.id]);
  });

  it('Zendesk: a restored organization is in the id-ordered list', () => {
    const store = new ZendeskStore(world.zendesk, { now });
    const org = world.zendesk.organizations[0]!;
    const before = store.organizationRows().length;
    store.restore('organization', { ...org, id: 999_999_999_999, name: 'Restored Org' });
    expect(store.organizationRows()).toHaveLength(before + 1);
    expect(store.organizationRows().at(-1)?.name).toBe('Restored Org');
  });

  it("Salesforce: a restored contact is among its account's children", () => {
    const store = new SalesforceStore(world.salesforce, { now, integrationUser: { Id: '005000000000001AAA', Name: 'I', Email: 'i@example.com', Username: 'i@example.com' } });
    const contact = world.salesforce.contacts.find((c) => typeof c.AccountId === 'string')!;
    const account = contact.AccountId as string;
    const children = (): readonly unknown[] => store.dataSource.children!('Contact', 'AccountId', account);
    const before = children().length;
    store.restore('Contact', { ...contact, Id: '003000000099999AAA', LastName: 'Restored' });
    expect(children()).toHaveLength(before + 1);
  });
});

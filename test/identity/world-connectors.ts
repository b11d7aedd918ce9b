// In-memory SourceConnectors over a generated world, for the backfill tests: the records a real
// connector would return (data = the raw record; xrefs and emails as src/sources/types.ts says),
// without HTTP. Related-record loads are not needed by the backfill and return nothing.
import { scanPage } from '../../src/sources/scan.ts';
import type { World } from '../../src/sandbox/world/index.ts';
import type { IdentityStore } from '../../src/identity/links.ts';
import type { SourceConnector, SourceRecord, SystemId } from '../../src/sources/types.ts';

const iso = (s: string): string => new Date(Date.parse(s.replace(/\+0000$/, 'Z'))).toISOString();
const lower = (e: string | null | undefined): string[] => (e ? [e.trim().toLowerCase()] : []);

function xref(system: SystemId, id: string | null | undefined, field: string): SourceRecord['xrefs'] {
  return id ? [{ system, id, field }] : [];
}

export function worldRecords(world: World): Record<SystemId, SourceRecord[]> {
  const contactEmails = new Map<string, string[]>();
  for (const c of world.salesforce.contacts) {
    if (c.AccountId === null || c.IsDeleted || !c.Email) continue;
    const list = contactEmails.get(c.AccountId) ?? [];
    list.push(...lower(c.Email));
    contactEmails.set(c.AccountId, list);
  }
  const userEmails = new Map<number, string[]>();
  for (const u of world.zendesk.users) {
    if (u.organization_id === null || !u.email) continue;
    const list = userEmails.get(u.organization_id) ?? [];
    list.push(...lower(u.email));
    userEmails.set(u.organization_id, list);
  }
  return {
    salesforce: world.salesforce.accounts.map((a) => ({
      system: 'salesforce',
      type: 'Account',
      id: a.Id,
      updatedAt: iso(a.SystemModstamp),
      data: { ...a },
      xrefs: [
        ...xref('stripe', a.Stripe_Customer_Id__c, 'Stripe_Customer_Id__c'),
        ...xref('erp', a.ERP_Customer_Number__c, 'ERP_Customer_Number__c'),
        ...xref('zendesk', a.Zendesk_Organization_Id__c, 'Zendesk_Organization_Id__c'),
        ...xref('salesforce', a.MasterRecordId, 'MasterRecordId'),
      ],
      emails: [...new Set(contactEmails.get(a.Id) ?? [])],
      deleted: a.IsDeleted,
    })),
    stripe: world.stripe.customers.map((c) => ({
      system: 'stripe',
      type: 'customer',
      id: c.id,
      updatedAt: new Date(c.created * 1000).toISOString(),
      data: { ...c },
      xrefs: [
        ...xref('salesforce', c.metadata['salesforce_account_id'], 'metadata.salesforce_account_id'),
        ...xref('erp', c.metadata['erp_customer_number'], 'metadata.erp_customer_number'),
      ],
      emails: lower(c.email),
      deleted: false,
    })),
    zendesk: world.zendesk.organizations.map((o) => ({
      system: 'zendesk',
      type: 'organization',
      id: String(o.id),
      updatedAt: iso(o.updated_at),
      data: { ...o },
      xrefs: xref('salesforce', o.external_id, 'external_id'),
      emails: [...new Set(userEmails.get(o.id) ?? [])],
      deleted: false,
    })),
    erp: world.erp.customers.map((c) => ({
      system: 'erp',
      type: 'erp_customer',
      id: c.customer_number,
      updatedAt: iso(c.updated_at),
      data: { ...c },
      xrefs: xref('salesforce', c.salesforce_account_id, 'salesforce_account_id'),
      emails: lower(c.billing_email),
      deleted: false,
    })),
  };
}

export interface MemoryConnector extends SourceConnector {
  /** The records the next scan returns; tests add and change them. */
  records: SourceRecord[];
  /** Page sizes of every scan call, in order. */
  scans: number[];
}

export function memoryConnector(system: SystemId, records: SourceRecord[], options: { failWith?: Error } = {}): MemoryConnector {
  const c: MemoryConnector = {
    system,
    records,
    scans: [],
    loadAccounts: (ids) => Promise.resolve(ids.map((id) => c.records.find((r) => r.id === id) ?? null)),
    loadRelated: (_kind, ids) => Promise.resolve(ids.map(() => [])),
    accountOfPerson: (ids) => Promise.resolve(ids.map(() => null)),
    async *scanAccounts(scan = {}) {
      const size = scan.pageSize ?? 200;
      c.scans.push(size);
      // The resume position is the offset after a page.
      for (let i = scan.after === undefined ? 0 : Number(scan.after); i < c.records.length; i += size) {
        // A page boundary is an await, as with a real API.
        await Promise.resolve();
        yield scanPage(c.records.slice(i, i + size), String(Math.min(i + size, c.records.length)));
        // Fails after its first page, as a source that goes down mid-scan.
        if (options.failWith) throw options.failWith;
      }
    },
    ping: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
  return c;
}

export function worldConnectors(world: World): Record<SystemId, MemoryConnector> {
  const r = worldRecords(world);
  return {
    salesforce: memoryConnector('salesforce', r.salesforce),
    stripe: memoryConnector('stripe', r.stripe),
    zendesk: memoryConnector('zendesk', r.zendesk),
    erp: memoryConnector('erp', r.erp),
  };
}

export interface GraphQuality {
  precision: number;
  recall: number;
  f1: number;
}

/**
 * Pairwise precision and recall of the identity graph against a world's truth, over the given
 * account-level records: a predicted pair is two records on one golden customer, a true pair two
 * records of one true customer.
 */
export async function graphQuality(world: World, records: readonly SourceRecord[], identity: Pick<IdentityStore, 'goldenIdsFor'>): Promise<GraphQuality> {
  const truthOf = new Map<string, string>();
  for (const t of world.truth) for (const r of t.records) truthOf.set(`${r.system}:${r.id}`, t.key);
  const refs = records.filter((r) => truthOf.has(`${r.system}:${r.id}`));
  const golden = await identity.goldenIdsFor(refs.map((r) => ({ system: r.system, externalId: r.id })));
  const pairs = (keys: string[]): number => {
    const m = new Map<string, number>();
    for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
    let n = 0;
    for (const s of m.values()) n += (s * (s - 1)) / 2;
    return n;
  };
  const truth = refs.map((r) => truthOf.get(`${r.system}:${r.id}`)!);
  const predicted = golden.map((g, i) => g ?? `unlinked:${i}`);
  const tp = pairs(predicted.map((g, i) => `${g}|${truth[i]}`));
  const precision = tp / Math.max(1, pairs(predicted));
  const recall = tp / Math.max(1, pairs(truth));
  return { precision, recall, f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall) };
}

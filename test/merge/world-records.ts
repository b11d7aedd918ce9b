// The generated world's account-level records as the connectors hand them to the merge
// (SourceRecord, with each connector's documented derived fields), grouped by true customer.
import { sumDecimal } from '../../src/normalize/index.ts';
import type { SourceRecord } from '../../src/sources/types.ts';
import type { ErpContract, SfContact, SfOpportunity, StripeSubscription, World } from '../../src/sandbox/world/index.ts';

function groupBy<T>(items: readonly T[], key: (t: T) => string | null): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    if (k === null) continue;
    const list = m.get(k);
    if (list) list.push(it);
    else m.set(k, [it]);
  }
  return m;
}

const sfIso = (t: string): string => new Date(Date.parse(t.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'))).toISOString();
const lower = (xs: readonly (string | null)[]): string[] => [...new Set(xs.filter((x): x is string => x !== null).map((x) => x.trim().toLowerCase()))];

export interface WorldRecords {
  /** Truth key → that customer's account-level records (deleted duplicates included). */
  byTruth: Map<string, SourceRecord[]>;
}

export function worldRecords(world: World): WorldRecords {
  const users = new Map(world.salesforce.users.map((u) => [u.Id, u]));
  const contacts = groupBy<SfContact>(world.salesforce.contacts.filter((c) => !c.IsDeleted), (c) => c.AccountId);
  const opps = groupBy<SfOpportunity>(world.salesforce.opportunities.filter((o) => !o.IsDeleted && o.StageName === 'Closed Won'), (o) => o.AccountId);
  const subs = groupBy<StripeSubscription>(world.stripe.subscriptions.filter((s) => s.status !== 'canceled'), (s) => s.customer);
  const contracts = groupBy<ErpContract>(world.erp.contracts, (c) => c.customer_number);
  const records = new Map<string, SourceRecord>();

  for (const a of world.salesforce.accounts) {
    const owner = users.get(a.OwnerId);
    const cs = [...(contacts.get(a.Id) ?? [])].sort((x, y) => Date.parse(sfIso(x.CreatedDate)) - Date.parse(sfIso(y.CreatedDate)));
    const won = opps.get(a.Id) ?? [];
    const xrefs: SourceRecord['xrefs'] = [];
    if (a.Stripe_Customer_Id__c) xrefs.push({ system: 'stripe', id: a.Stripe_Customer_Id__c, field: 'Stripe_Customer_Id__c' });
    if (a.ERP_Customer_Number__c) xrefs.push({ system: 'erp', id: a.ERP_Customer_Number__c, field: 'ERP_Customer_Number__c' });
    if (a.Zendesk_Organization_Id__c) xrefs.push({ system: 'zendesk', id: a.Zendesk_Organization_Id__c, field: 'Zendesk_Organization_Id__c' });
    records.set(`salesforce:${a.Id}`, {
      system: 'salesforce', type: 'Account', id: a.Id, updatedAt: sfIso(a.LastModifiedDate), deleted: a.IsDeleted,
      data: {
        ...a,
        Owner: owner ? { Name: owner.Name, Email: owner.Email } : null,
        Contacts: cs.map((c) => ({ Id: c.Id, FirstName: c.FirstName, LastName: c.LastName, Name: c.Name, Email: c.Email, Phone: c.Phone, Title: c.Title, CreatedDate: c.CreatedDate })),
        ClosedWonTotal: won.length === 0 ? null : won.reduce((s, o) => s + (o.Amount ?? 0), 0),
      },
      xrefs, emails: lower(cs.map((c) => c.Email)),
    });
  }
  for (const c of world.stripe.customers) {
    const xrefs: SourceRecord['xrefs'] = [];
    if (c.metadata.salesforce_account_id) xrefs.push({ system: 'salesforce', id: c.metadata.salesforce_account_id, field: 'metadata.salesforce_account_id' });
    if (c.metadata.erp_customer_number) xrefs.push({ system: 'erp', id: c.metadata.erp_customer_number, field: 'metadata.erp_customer_number' });
    records.set(`stripe:${c.id}`, {
      system: 'stripe', type: 'customer', id: c.id, updatedAt: new Date(c.created * 1000).toISOString(), deleted: false,
      data: { ...c, subscriptions: { object: 'list', data: subs.get(c.id) ?? [] } },
      xrefs, emails: lower([c.email]),
    });
  }
  for (const o of world.zendesk.organizations) {
    records.set(`zendesk:${o.id}`, {
      system: 'zendesk', type: 'organization', id: String(o.id), updatedAt: o.updated_at, deleted: false,
      data: { ...o }, xrefs: o.external_id ? [{ system: 'salesforce', id: o.external_id, field: 'external_id' }] : [], emails: [],
    });
  }
  for (const e of world.erp.customers) {
    const signed = (contracts.get(e.customer_number) ?? []).filter((k) => k.status !== 'draft');
    records.set(`erp:${e.customer_number}`, {
      system: 'erp', type: 'erp_customer', id: e.customer_number, updatedAt: e.updated_at, deleted: false,
      data: {
        ...e,
        contract_total: signed.length === 0 ? null : sumDecimal(signed.map((k) => k.total_value), e.currency),
        has_active_contract: (contracts.get(e.customer_number) ?? []).some((k) => k.status === 'active'),
      },
      xrefs: e.salesforce_account_id ? [{ system: 'salesforce', id: e.salesforce_account_id, field: 'salesforce_account_id' }] : [],
      emails: lower([e.billing_email]),
    });
  }

  const byTruth = new Map<string, SourceRecord[]>();
  for (const t of world.truth) {
    byTruth.set(t.key, t.records.map((r) => {
      const rec = records.get(`${r.system}:${r.id}`);
      if (rec === undefined) throw new Error(`truth ${t.key} names a missing record ${r.system}:${r.id}`);
      return rec;
    }));
  }
  return { byTruth };
}

// Raw Salesforce records → Meridian's source-level types (pure).
import type { Money, OpportunityRecord, PersonRecord, SourceRecord, SystemId } from '../types.ts';
import { isoExponent, moneyFromMinorUnits } from '../money.ts';
import type { AccountRaw, ContactInAccountRaw, ContactRaw, OpportunityRaw, WonOpportunityRaw } from './schema.ts';

export const SALESFORCE_ACCOUNT_TYPE = 'Account';

/** `2025-03-04T10:11:12.000+0000` → `2025-03-04T10:11:12.000Z`. Input already passed the schema. */
export function salesforceDateTimeToIso(value: string): string {
  // Date.parse does not take `+0000` (no colon) everywhere; add it.
  const withColon = value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const t = Date.parse(withColon);
  if (Number.isNaN(t)) throw new RangeError(`not a Salesforce datetime: ${value}`);
  return new Date(t).toISOString();
}

const withoutAttributes = <T extends Record<string, unknown>>(record: T): Omit<T, 'attributes'> => {
  const { attributes: _attributes, ...rest } = record;
  return rest;
};

const nonEmpty = (v: string | null | undefined): string | null => {
  const t = v?.trim();
  return t ? t : null;
};

/** Cross-reference fields on Account and the system each names. */
export const ACCOUNT_XREF_FIELDS: readonly { field: 'Stripe_Customer_Id__c' | 'ERP_Customer_Number__c' | 'Zendesk_Organization_Id__c' | 'MasterRecordId'; system: SystemId }[] = [
  { field: 'Stripe_Customer_Id__c', system: 'stripe' },
  { field: 'ERP_Customer_Number__c', system: 'erp' },
  { field: 'Zendesk_Organization_Id__c', system: 'zendesk' },
  { field: 'MasterRecordId', system: 'salesforce' },
];

/**
 * Sum of the Closed Won opportunities' amounts, rounded to cents; null when no won
 * opportunity carries an amount. `won` must already exclude deleted rows (the SOQL does).
 */
export function closedWonTotal(won: readonly WonOpportunityRaw[]): number | null {
  const amounts = won.map((o) => o.Amount).filter((a): a is number => a !== null);
  if (amounts.length === 0) return null;
  return Math.round(amounts.reduce((s, a) => s + a, 0) * 100) / 100;
}

/**
 * An Account answer (with its live contacts and won opportunities, every child page already
 * fetched) as a SourceRecord. `data` is the account's fields as the API returns them (without
 * `attributes`), plus the derived fields `Owner` ({Name, Email} | null), `Contacts` (live
 * contacts, oldest first) and `ClosedWonTotal`.
 */
export function accountToSourceRecord(account: AccountRaw, contacts: readonly ContactInAccountRaw[], wonOpportunities: readonly WonOpportunityRaw[]): SourceRecord {
  const { Contacts: _contacts, Opportunities: _opportunities, Owner: _owner, ...fields } = withoutAttributes(account);
  const Owner = account.Owner;
  const contactData = contacts.map((c) => withoutAttributes(c));
  const xrefs: SourceRecord['xrefs'] = [];
  for (const { field, system } of ACCOUNT_XREF_FIELDS) {
    const id = nonEmpty(account[field]);
    if (id !== null) xrefs.push({ system, id, field });
  }
  const emails = [...new Set(contacts.map((c) => nonEmpty(c.Email)?.toLowerCase()).filter((e): e is string => e !== undefined && e !== null))];
  return {
    system: 'salesforce',
    type: SALESFORCE_ACCOUNT_TYPE,
    id: account.Id,
    updatedAt: salesforceDateTimeToIso(account.LastModifiedDate),
    data: {
      ...fields,
      Owner: Owner === null ? null : { Name: Owner.Name, Email: Owner.Email },
      Contacts: contactData,
      ClosedWonTotal: closedWonTotal(wonOpportunities),
    },
    xrefs,
    emails,
    deleted: account.IsDeleted,
  };
}

export function contactToPerson(contact: ContactRaw): PersonRecord {
  return {
    system: 'salesforce',
    type: 'Contact',
    id: contact.Id,
    accountId: contact.AccountId,
    name: nonEmpty(contact.Name) ?? (nonEmpty([contact.FirstName, contact.LastName].filter(Boolean).join(' '))),
    email: nonEmpty(contact.Email),
    phone: nonEmpty(contact.Phone),
    title: nonEmpty(contact.Title),
    updatedAt: salesforceDateTimeToIso(contact.LastModifiedDate),
  };
}

/**
 * A Salesforce currency amount (a JSON number in currency units; currency fields have at most
 * the currency's decimals) as Money, through the shared exact-decimal helper.
 */
export function toMoney(amount: number, currency: string): Money {
  const exponent = isoExponent(currency);
  return moneyFromMinorUnits(Math.round(amount * 10 ** exponent), currency, exponent);
}

/**
 * `currency` is the org's currency: the emulator (and single-currency orgs) have no
 * `CurrencyIsoCode` field; when an answer carries one (multi-currency orgs), it wins.
 */
export function opportunityToRecord(o: OpportunityRaw, currency: string): OpportunityRecord {
  const code = typeof o['CurrencyIsoCode'] === 'string' && /^[A-Z]{3}$/.test(o['CurrencyIsoCode']) ? o['CurrencyIsoCode'] : currency;
  return {
    id: o.Id,
    system: 'salesforce',
    name: o.Name,
    stage: o.StageName,
    amount: o.Amount === null ? null : toMoney(o.Amount, code),
    closeDate: o.CloseDate,
    isClosed: o.IsClosed,
    isWon: o.IsWon,
    ownerName: o.Owner?.Name ?? null,
    ownerEmail: o.Owner?.Email ?? null,
  };
}

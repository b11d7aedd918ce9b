// Raw Salesforce REST payloads (SOQL query answers) as zod schemas, and the SOQL field lists
// that produce them. Unknown fields pass through: an org can add fields without breaking us.
// https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_query.htm
import { z } from 'zod';

/** Standard fields of Account the connector reads (the SELECT list of loadAccounts and scanAccounts). */
export const ACCOUNT_FIELDS = [
  'Id',
  'Name',
  'Phone',
  'Website',
  'Industry',
  'Type',
  'NumberOfEmployees',
  'AnnualRevenue',
  'BillingStreet',
  'BillingCity',
  'BillingState',
  'BillingPostalCode',
  'BillingCountry',
  'OwnerId',
  'IsDeleted',
  'MasterRecordId',
  'CreatedDate',
  'LastModifiedDate',
  'SystemModstamp',
] as const;

/**
 * Custom fields of Account the connector reads when the org has them (found by describe at
 * first use), and what each adds. An org without them still works: fewer exact-key links.
 */
export const ACCOUNT_CUSTOM_FIELDS = [
  { field: 'Stripe_Customer_Id__c', adds: 'exact links to the Stripe customer it names' },
  { field: 'ERP_Customer_Number__c', adds: 'exact links to the ERP customer it names' },
  { field: 'Zendesk_Organization_Id__c', adds: 'exact links to the Zendesk organization it names' },
  { field: 'Meridian_Id__c', adds: 'the golden id kept on the account (read and passed through; nothing depends on it yet)' },
] as const;
export type AccountCustomField = (typeof ACCOUNT_CUSTOM_FIELDS)[number]['field'];

/** `GET …/sobjects/Account/describe`: only the field names matter here. */
export const describeSchema = z.looseObject({ fields: z.array(z.looseObject({ name: z.string() })) });

export const CONTACT_FIELDS = ['Id', 'AccountId', 'FirstName', 'LastName', 'Name', 'Email', 'Phone', 'Title', 'CreatedDate', 'LastModifiedDate'] as const;

export const OPPORTUNITY_FIELDS = ['Id', 'AccountId', 'Name', 'StageName', 'Amount', 'CloseDate', 'IsClosed', 'IsWon', 'Owner.Name', 'Owner.Email'] as const;

// ---------- ids ----------

const SF_CHECKSUM_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';

/** The 3-char case-safe suffix Salesforce appends to a 15-char id. https://help.salesforce.com/s/articleView?id=000385008 */
function checksum(id15: string): string {
  let suffix = '';
  for (let block = 0; block < 3; block++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) {
      const ch = id15.charAt(block * 5 + i);
      if (ch >= 'A' && ch <= 'Z') bits |= 1 << i;
    }
    suffix += SF_CHECKSUM_ALPHABET.charAt(bits);
  }
  return id15 + suffix;
}

/**
 * The 18-char form of a 15- or 18-char Salesforce id, or null when the string is not one
 * (wrong length, a character outside [A-Za-z0-9], or an 18-char id whose suffix does not
 * match its first 15 characters). The result contains only [A-Za-z0-9], so it is safe to
 * quote into SOQL.
 */
export function toSalesforceId18(id: string): string | null {
  if (/^[a-zA-Z0-9]{18}$/.test(id)) {
    const expected = checksum(id.slice(0, 15));
    // The suffix only encodes the case of the first 15 characters; compare it case-insensitively.
    return expected.slice(15) === id.slice(15).toUpperCase() ? expected : null;
  }
  if (/^[a-zA-Z0-9]{15}$/.test(id)) return checksum(id);
  return null;
}

/** Key prefixes of the objects the connector reads. */
export const KEY_PREFIX = { Account: '001', Contact: '003' } as const;

// ---------- payloads ----------

/** `2025-03-04T10:11:12.000+0000` as Salesforce writes datetimes (ISO-8601 with `Z` accepted too). */
export const sfDateTime = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:?\d{2})$/, 'expected a Salesforce datetime');
const sfDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date YYYY-MM-DD');
const sfId = z.string().regex(/^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/, 'expected a Salesforce id');
const text = z.string().nullable();

/** A child-relationship subquery answer; Salesforce sends null when there are no children. */
const childResult = <T extends z.ZodType>(record: T) =>
  z
    .object({
      totalSize: z.number().int(),
      done: z.boolean(),
      nextRecordsUrl: z.string().optional(),
      records: z.array(record),
    })
    .nullable();

const owner = z.looseObject({ Name: text, Email: text }).nullable();

export const contactInAccountSchema = z.looseObject({
  Id: sfId,
  FirstName: text,
  LastName: text,
  Name: text,
  Email: text,
  Phone: text,
  Title: text,
  CreatedDate: sfDateTime,
});
export type ContactInAccountRaw = z.infer<typeof contactInAccountSchema>;

export const wonOpportunitySchema = z.looseObject({ Amount: z.number().nullable() });
export type WonOpportunityRaw = z.infer<typeof wonOpportunitySchema>;

export const accountSchema = z.looseObject({
  Id: sfId,
  Name: z.string(),
  Phone: text,
  Website: text,
  Industry: text,
  Type: text,
  NumberOfEmployees: z.number().int().nullable(),
  AnnualRevenue: z.number().nullable(),
  BillingStreet: text,
  BillingCity: text,
  BillingState: text,
  BillingPostalCode: text,
  BillingCountry: text,
  OwnerId: sfId,
  // Custom fields: absent from the answer when the org lacks them (ACCOUNT_CUSTOM_FIELDS).
  Stripe_Customer_Id__c: text.optional(),
  ERP_Customer_Number__c: text.optional(),
  Zendesk_Organization_Id__c: text.optional(),
  Meridian_Id__c: text.optional(),
  IsDeleted: z.boolean(),
  MasterRecordId: sfId.nullable(),
  CreatedDate: sfDateTime,
  LastModifiedDate: sfDateTime,
  SystemModstamp: sfDateTime,
  Owner: owner,
  Contacts: childResult(contactInAccountSchema),
  Opportunities: childResult(wonOpportunitySchema),
});
export type AccountRaw = z.infer<typeof accountSchema>;

export const contactSchema = z.looseObject({
  Id: sfId,
  AccountId: sfId.nullable(),
  FirstName: text,
  LastName: text,
  Name: text,
  Email: text,
  Phone: text,
  Title: text,
  CreatedDate: sfDateTime,
  LastModifiedDate: sfDateTime,
});
export type ContactRaw = z.infer<typeof contactSchema>;

export const opportunitySchema = z.looseObject({
  Id: sfId,
  AccountId: sfId.nullable(),
  Name: z.string(),
  StageName: z.string(),
  Amount: z.number().nullable(),
  CloseDate: sfDate.nullable(),
  IsClosed: z.boolean(),
  IsWon: z.boolean(),
  Owner: owner,
});
export type OpportunityRaw = z.infer<typeof opportunitySchema>;

export const contactAccountSchema = z.looseObject({ Id: sfId, AccountId: sfId.nullable() });
export type ContactAccountRaw = z.infer<typeof contactAccountSchema>;

/** `{totalSize, done, nextRecordsUrl?, records}`: the envelope itself (records are checked one by one). */
export const queryResultSchema = z.object({
  totalSize: z.number().int(),
  done: z.boolean(),
  nextRecordsUrl: z.string().optional(),
  records: z.array(z.unknown()),
});
export type QueryResultRaw = z.infer<typeof queryResultSchema>;

// ---------- Outbound Messages ----------

const sfIdText = z.string().regex(/^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/, 'a 15- or 18-character Salesforce id');

/** What outbound-xml.ts reads from an Outbound Message, checked where it enters. */
export const outboundMessageSchema = z.object({
  organizationId: sfIdText,
  notifications: z.array(
    z.object({
      id: sfIdText,
      type: z.string().regex(/^\w{1,80}$/, 'an sObject type'),
      recordId: sfIdText,
      // xsi:nil or absent on Accounts and on contacts without an account.
      accountId: sfIdText.nullable(),
    }),
  ),
});
export type OutboundMessage = z.infer<typeof outboundMessageSchema>;

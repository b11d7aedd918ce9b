// A small hand-made org for the Salesforce emulator tests: five accounts with owners,
// contacts and opportunities, one account already in the recycle bin.
import { salesforceId } from '../../src/sandbox/kit/ids.ts';
import type { SalesforceData, SfAccount, SfContact, SfOpportunity, SfUser } from '../../src/sandbox/world/types.ts';

const DAY = 86_400_000;

export function buildSalesforceFixture(now: Date): SalesforceData {
  const at = (daysAgo: number): string => new Date(now.getTime() - daysAgo * DAY).toISOString();
  const user = (n: number, name: string, email: string): SfUser => ({
    Id: salesforceId('005', n),
    Name: name,
    Email: email,
    IsActive: true,
    CreatedDate: at(400),
    LastModifiedDate: at(400),
    SystemModstamp: at(400),
  });
  const users = [user(1, 'Ada Owner', 'ada@example.com'), user(2, 'Bob Seller', 'bob@example.com')];
  const account = (n: number, fields: Partial<SfAccount>): SfAccount => ({
    Id: salesforceId('001', n),
    Name: `Account ${n}`,
    Phone: null,
    Website: null,
    Industry: null,
    Type: 'Prospect',
    NumberOfEmployees: null,
    AnnualRevenue: null,
    BillingStreet: null,
    BillingCity: null,
    BillingState: null,
    BillingPostalCode: null,
    BillingCountry: null,
    OwnerId: users[0]!.Id,
    Stripe_Customer_Id__c: null,
    ERP_Customer_Number__c: null,
    Zendesk_Organization_Id__c: null,
    Meridian_Id__c: null,
    IsDeleted: false,
    CreatedDate: at(100),
    LastModifiedDate: at(10),
    SystemModstamp: at(10),
    ...fields,
  });
  const accounts = [
    account(1, { Name: 'Acme Corp', Industry: 'Technology', Type: 'Customer - Direct', NumberOfEmployees: 250, AnnualRevenue: 1_500_000, BillingCity: 'Berlin', BillingCountry: 'Germany', Meridian_Id__c: 'MER-1', Website: 'acme.example.com' }),
    account(2, { Name: 'Globex', Industry: 'Manufacturing', NumberOfEmployees: 1200, AnnualRevenue: 9_000_000, BillingCity: 'Paris', OwnerId: users[1]!.Id, LastModifiedDate: at(2), SystemModstamp: at(2) }),
    account(3, { Name: "O'Brien & Sons", Industry: 'Retail', NumberOfEmployees: 12, BillingCity: 'Dublin', Stripe_Customer_Id__c: 'cus_123' }),
    account(4, { Name: 'acme labs', Industry: 'Technology', NumberOfEmployees: 40, Type: 'Former Customer', CreatedDate: at(1), LastModifiedDate: at(1), SystemModstamp: at(1) }),
    account(5, { Name: 'Zeta Partners', Industry: null, NumberOfEmployees: null, Type: null, OwnerId: users[1]!.Id }),
    account(6, { Name: 'Deleted Ltd', IsDeleted: true, MasterRecordId: salesforceId('001', 1), LastModifiedDate: at(3), SystemModstamp: at(3) }),
  ];
  const contact = (n: number, accountN: number | null, first: string | null, last: string, email: string | null): SfContact => ({
    Id: salesforceId('003', n),
    AccountId: accountN === null ? null : salesforceId('001', accountN),
    FirstName: first,
    LastName: last,
    Name: [first, last].filter(Boolean).join(' '),
    Email: email,
    Phone: null,
    Title: null,
    MailingStreet: null,
    MailingCity: null,
    MailingState: null,
    MailingPostalCode: null,
    MailingCountry: null,
    IsDeleted: false,
    CreatedDate: at(50),
    LastModifiedDate: at(5),
    SystemModstamp: at(5),
  });
  const contacts = [
    contact(1, 1, 'Jane', 'Doe', 'jane@acme.example.com'),
    contact(2, 1, 'John', 'Smith', 'john@acme.example.com'),
    contact(3, 2, 'Hans', 'Gruber', 'hans@globex.example.com'),
    contact(4, null, null, 'Solo', null),
  ];
  const opportunity = (n: number, accountN: number, name: string, stage: string, amount: number | null, close: string): SfOpportunity => ({
    Id: salesforceId('006', n),
    AccountId: salesforceId('001', accountN),
    Name: name,
    StageName: stage,
    Amount: amount,
    CloseDate: close,
    IsClosed: stage.startsWith('Closed'),
    IsWon: stage === 'Closed Won',
    Probability: stage === 'Closed Won' ? 100 : 10,
    OwnerId: users[0]!.Id,
    IsDeleted: false,
    CreatedDate: at(30),
    LastModifiedDate: at(4),
    SystemModstamp: at(4),
  });
  const opportunities = [
    opportunity(1, 1, 'Acme renewal', 'Closed Won', 50_000, '2024-03-15'),
    opportunity(2, 1, 'Acme expansion', 'Prospecting', 20_000, '2025-06-30'),
    opportunity(3, 2, 'Globex pilot', 'Closed Lost', null, '2024-11-01'),
  ];
  return { orgId: salesforceId('00D', 1), users, accounts, contacts, opportunities };
}

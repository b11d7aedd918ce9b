// The demo world: what each system holds, in that system's own shape, plus the ground truth.
// Records here are the emulators' seed data; the emulators own them after start-up.
// Timestamps are ISO-8601 strings (UTC) unless the system itself uses something else
// (Stripe: unix seconds). Money in Salesforce and the ERP is decimal currency units,
// in Stripe integer minor units, as each real system does.

export type SystemName = 'salesforce' | 'stripe' | 'zendesk' | 'erp';

// ---------- Salesforce (sObjects, field names as the REST API returns them) ----------
export interface SfUser {
  Id: string; // 005…
  Name: string;
  Email: string;
  IsActive: boolean;
  CreatedDate: string;
  LastModifiedDate: string;
  SystemModstamp: string;
}

export interface SfAccount {
  Id: string; // 001…, 18 chars
  Name: string;
  Phone: string | null;
  Website: string | null;
  Industry: string | null;
  Type: string | null; // 'Prospect' | 'Customer - Direct' | 'Customer - Channel' | 'Former Customer'
  NumberOfEmployees: number | null;
  AnnualRevenue: number | null;
  BillingStreet: string | null;
  BillingCity: string | null;
  BillingState: string | null;
  BillingPostalCode: string | null;
  BillingCountry: string | null;
  OwnerId: string; // → SfUser
  // Cross-references, present only sometimes (as in real orgs).
  Stripe_Customer_Id__c: string | null;
  ERP_Customer_Number__c: string | null;
  Zendesk_Organization_Id__c: string | null;
  // External id field for upserts by Meridian's golden id.
  Meridian_Id__c: string | null;
  IsDeleted: boolean;
  /** On an account deleted by a merge, the surviving account (as Salesforce sets it). */
  MasterRecordId?: string | null;
  CreatedDate: string;
  LastModifiedDate: string;
  SystemModstamp: string;
}

export interface SfContact {
  Id: string; // 003…
  AccountId: string | null;
  FirstName: string | null;
  LastName: string;
  Name: string; // FirstName + ' ' + LastName, as Salesforce computes it
  Email: string | null;
  Phone: string | null;
  Title: string | null;
  MailingStreet: string | null;
  MailingCity: string | null;
  MailingState: string | null;
  MailingPostalCode: string | null;
  MailingCountry: string | null;
  IsDeleted: boolean;
  CreatedDate: string;
  LastModifiedDate: string;
  SystemModstamp: string;
}

export interface SfOpportunity {
  Id: string; // 006…
  AccountId: string;
  Name: string;
  StageName: string; // 'Prospecting' … 'Closed Won' | 'Closed Lost'
  Amount: number | null;
  CloseDate: string; // YYYY-MM-DD
  IsClosed: boolean;
  IsWon: boolean;
  Probability: number | null;
  OwnerId: string;
  IsDeleted: boolean;
  CreatedDate: string;
  LastModifiedDate: string;
  SystemModstamp: string;
}

export interface SalesforceData {
  orgId: string; // 00D…
  users: SfUser[];
  accounts: SfAccount[];
  contacts: SfContact[];
  opportunities: SfOpportunity[];
}

// ---------- Stripe (API objects as returned by the API) ----------
export interface StripeAddress {
  line1: string | null;
  line2: string | null;
  city: string | null;
  state: string | null;
  postal_code: string | null;
  country: string | null;
}

export interface StripeCustomer {
  id: string; // cus_…
  object: 'customer';
  name: string | null;
  email: string | null;
  phone: string | null;
  description: string | null;
  address: StripeAddress | null;
  currency: string | null;
  balance: number;
  delinquent: boolean;
  metadata: Record<string, string>; // e.g. salesforce_account_id, erp_customer_number (sometimes)
  invoice_settings: { default_payment_method: string | null };
  created: number; // unix seconds
  livemode: false;
}

export interface StripePrice {
  id: string; // price_…
  object: 'price';
  unit_amount: number;
  currency: string;
  recurring: { interval: 'month' | 'year'; interval_count: number };
  product: string; // prod_…
}

// Shapes follow the API version stripe-node 23.1 pins (2026-10-28.endive; the 2025-03-31 "basil"
// release moved the billing period onto subscription items, the subscription link onto
// `invoice.parent`, and dropped `charge.invoice` in favour of invoice payments).

/** A subscription item; since basil each item carries its own billing period. */
export interface StripeSubscriptionItem {
  id: string; // si_…
  object: 'subscription_item';
  price: StripePrice;
  quantity: number;
  current_period_start: number;
  current_period_end: number;
}

export interface StripeSubscription {
  id: string; // sub_…
  object: 'subscription';
  customer: string;
  status: 'active' | 'past_due' | 'canceled' | 'trialing' | 'unpaid' | 'incomplete';
  currency: string;
  items: { object: 'list'; data: StripeSubscriptionItem[] };
  cancel_at_period_end: boolean;
  canceled_at: number | null;
  created: number;
  metadata: Record<string, string>;
  livemode: false;
}

/** What generated an invoice (replaces the pre-basil top-level `invoice.subscription`). */
export interface StripeInvoiceParent {
  type: 'subscription_details' | 'quote_details';
  subscription_details: { subscription: string; metadata: Record<string, string> | null } | null;
  quote_details: { quote: string } | null;
}

export interface StripeInvoice {
  id: string; // in_…
  object: 'invoice';
  customer: string;
  parent: StripeInvoiceParent | null;
  number: string;
  status: 'draft' | 'open' | 'paid' | 'void' | 'uncollectible';
  currency: string;
  amount_due: number;
  amount_paid: number;
  amount_remaining: number;
  total: number;
  created: number;
  due_date: number | null;
  metadata: Record<string, string>;
  livemode: false;
}

/**
 * A payment applied to an invoice: since basil the only link between an invoice and what
 * paid it (`charge.invoice`, `invoice.charge` and `invoice.payment_intent` are gone). The
 * sandbox has no PaymentIntents, so its invoice payments are of `type: 'charge'`.
 */
export interface StripeInvoicePayment {
  id: string; // inpay_…
  object: 'invoice_payment';
  invoice: string;
  amount_paid: number | null;
  amount_requested: number;
  currency: string;
  is_default: boolean;
  payment: { type: 'charge'; charge: string };
  status: 'open' | 'paid' | 'canceled';
  status_transitions: { canceled_at: number | null; paid_at: number | null };
  created: number;
  livemode: false;
}

export interface StripeCharge {
  id: string; // ch_…
  object: 'charge';
  customer: string;
  amount: number;
  amount_refunded: number;
  currency: string;
  status: 'succeeded' | 'pending' | 'failed';
  paid: boolean;
  refunded: boolean;
  failure_code: string | null;
  failure_message: string | null;
  payment_method: string | null;
  created: number;
  metadata: Record<string, string>;
  livemode: false;
}

export interface StripePaymentMethod {
  id: string; // pm_…
  object: 'payment_method';
  customer: string | null;
  type: 'card';
  card: { brand: string; last4: string; exp_month: number; exp_year: number; country: string | null };
  billing_details: { name: string | null; email: string | null; phone: string | null; address: StripeAddress | null };
  created: number;
  metadata: Record<string, string>;
  livemode: false;
}

export interface StripeData {
  customers: StripeCustomer[];
  subscriptions: StripeSubscription[];
  invoices: StripeInvoice[];
  /** Which charge paid which invoice (only successful invoice charges have one). */
  invoicePayments: StripeInvoicePayment[];
  charges: StripeCharge[];
  paymentMethods: StripePaymentMethod[];
}

// ---------- Zendesk Support (API objects) ----------
export interface ZdOrganization {
  id: number;
  url: string; // filled by the emulator with its own base; generator leaves ''
  name: string;
  domain_names: string[];
  external_id: string | null; // sometimes the Salesforce Account Id
  details: string | null;
  notes: string | null;
  tags: string[];
  organization_fields: Record<string, string | number | boolean | null>;
  created_at: string;
  updated_at: string;
}

export interface ZdUser {
  id: number;
  url: string;
  name: string;
  email: string | null;
  phone: string | null;
  organization_id: number | null;
  role: 'end-user' | 'agent' | 'admin';
  external_id: string | null; // sometimes the Salesforce Contact Id
  active: boolean;
  verified: boolean;
  time_zone: string;
  locale: string;
  tags: string[];
  user_fields: Record<string, string | number | boolean | null>;
  created_at: string;
  updated_at: string;
}

export interface ZdTicket {
  id: number;
  url: string;
  subject: string;
  description: string;
  status: 'new' | 'open' | 'pending' | 'hold' | 'solved' | 'closed';
  priority: 'low' | 'normal' | 'high' | 'urgent' | null;
  type: 'problem' | 'incident' | 'question' | 'task' | null;
  requester_id: number;
  submitter_id: number;
  assignee_id: number | null;
  organization_id: number | null;
  tags: string[];
  satisfaction_rating: { score: string } | null;
  created_at: string;
  updated_at: string;
}

export interface ZdSatisfactionRating {
  id: number;
  url: string;
  score: 'good' | 'bad' | 'offered' | 'unoffered';
  comment: string | null;
  ticket_id: number;
  requester_id: number;
  assignee_id: number | null;
  group_id: number | null;
  created_at: string;
  updated_at: string;
}

export interface ZendeskData {
  agents: ZdUser[]; // role agent/admin; assignees and the integration user
  organizations: ZdOrganization[];
  users: ZdUser[]; // end-users
  tickets: ZdTicket[];
  satisfactionRatings: ZdSatisfactionRating[];
}

// ---------- ERP (rows of schema erp; money as decimal strings, like pg returns numeric) ----------
export interface ErpCustomer {
  customer_number: string; // 'C-000123'
  legal_name: string;
  tax_id: string | null;
  billing_email: string | null;
  billing_contact: string | null;
  phone: string | null;
  address_line1: string | null;
  address_line2: string | null;
  city: string | null;
  region: string | null;
  postal_code: string | null;
  country: string | null;
  currency: string;
  payment_terms: string; // 'NET30' …
  credit_limit: string | null;
  accounting_status: 'good_standing' | 'on_hold' | 'collections' | 'closed';
  salesforce_account_id: string | null; // cross-reference, sometimes
  created_at: string;
  updated_at: string;
}

export interface ErpContract {
  contract_id: number;
  customer_number: string;
  contract_number: string;
  start_date: string; // YYYY-MM-DD
  end_date: string | null;
  total_value: string; // decimal
  currency: string;
  status: 'draft' | 'active' | 'expired' | 'terminated';
  updated_at: string;
}

export interface ErpInvoice {
  invoice_id: number;
  customer_number: string;
  contract_id: number | null;
  invoice_number: string;
  issue_date: string;
  due_date: string;
  amount: string;
  currency: string;
  status: 'open' | 'paid' | 'overdue' | 'void';
  updated_at: string;
}

export interface ErpPayment {
  payment_id: number;
  invoice_id: number;
  customer_number: string;
  amount: string;
  currency: string;
  method: 'wire' | 'ach' | 'card' | 'check';
  paid_at: string;
  updated_at: string;
}

export interface ErpData {
  customers: ErpCustomer[];
  contracts: ErpContract[];
  invoices: ErpInvoice[];
  payments: ErpPayment[];
}

// ---------- Ground truth ----------
export interface SourceRef {
  system: SystemName;
  /** 'Account' | 'Contact' | 'customer' | 'organization' | 'user' | 'erp_customer' */
  type: string;
  id: string; // numbers (Zendesk) as decimal strings
}

/** What the golden record of one customer should say, field by field (canonical forms). */
export interface TruthCustomer {
  /** Stable id of the true customer in the generator ('T000042'); not visible to any system. */
  key: string;
  name: string; // canonical company name
  domain: string;
  email: string; // billing contact email, lower-case
  phone: string; // E.164
  address: { line1: string; line2: string | null; city: string; region: string; postalCode: string; country: string };
  billingContact: { name: string; email: string };
  industry: string;
  employees: number;
  lifecycle: 'prospect' | 'active' | 'churned';
  /** Contract value in currency units, as the source of truth (ERP) says, else Salesforce. */
  contractValue: number | null;
  currency: string;
  accountingStatus: ErpCustomer['accounting_status'] | null;
  /** Every account-level record that is this customer, duplicates within one system included. */
  records: SourceRef[];
  /** People: each true person with every record of them (SF Contact, Zendesk user, Stripe customer email owner). */
  contacts: { key: string; name: string; email: string; records: SourceRef[] }[];
  /** Deliberate disagreements the generator planted, for tests of the merge and review. */
  conflicts: { field: string; values: { system: SystemName; value: unknown; updatedAt: string }[]; kind: 'stale' | 'genuine' }[];
  /** Keys of distinct customers that look alike (shared name stem): must not be merged. */
  lookalikes?: string[];
  /** Cross-references that point at a deleted (merged-away) duplicate instead of the live record. */
  staleXrefs?: { from: SourceRef; field: string; to: SourceRef }[];
}

export interface World {
  seed: number;
  size: number;
  /** The moment the world was generated against; every timestamp is before it. */
  now: string;
  salesforce: SalesforceData;
  stripe: StripeData;
  zendesk: ZendeskData;
  erp: ErpData;
  truth: TruthCustomer[];
}

export interface WorldOptions {
  seed?: number; // default 42
  customers?: number; // default 1000
  /** Fixed "now" so the same seed gives the same world on any day; default 2026-01-01T00:00:00Z. */
  now?: string;
}

// ERP rows as the reader's SELECTs return them through pg, as zod schemas. The reader pins the
// value types (reader.ts: numeric, bigint and date arrive as their exact text, timestamptz as a
// Date), so a pool with other global type parsers cannot turn money into floats. Extra columns
// pass through; timestamps leave as ISO-8601 UTC strings.
// Tables: src/sandbox/erp/schema.ts (the sandbox's copy of a customer's ERP schema).
import { z } from 'zod';

/** Schema names are spliced into SQL (identifiers cannot be parameters): plain identifiers only. */
export const SCHEMA_NAME_RE = /^[a-z_][a-z0-9_]{0,62}$/;

/** A key that can name an ERP customer: 1–64 visible characters, no surrounding spaces. */
export const CUSTOMER_NUMBER_RE = /^\S(?:[\S ]{0,62}\S)?$/;

const timestamp = z.union([z.date(), z.string()]).transform((v, ctx) => {
  const d = v instanceof Date ? v : new Date(v);
  if (Number.isNaN(d.getTime())) {
    ctx.issues.push({ code: 'custom', message: 'expected a timestamp', input: v });
    return z.NEVER;
  }
  return d.toISOString();
});
const decimal = z.string().regex(/^-?\d+(\.\d+)?$/, 'expected a decimal string');
const dateOnly = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a YYYY-MM-DD date');
const bigintId = z.union([z.string().regex(/^\d+$/), z.number().int().nonnegative()]).transform(String);
const currency = z.string().trim().regex(/^[A-Za-z]{3}$/, 'expected a three-letter currency code');
const text = z.string();

/** A customers row plus the derived contract fields (see CUSTOMER_SELECT in reader.ts). */
export const customerRowSchema = z.looseObject({
  customer_number: text,
  legal_name: text,
  tax_id: text.nullable(),
  billing_email: text.nullable(),
  billing_contact: text.nullable(),
  phone: text.nullable(),
  address_line1: text.nullable(),
  address_line2: text.nullable(),
  city: text.nullable(),
  region: text.nullable(),
  postal_code: text.nullable(),
  country: text.nullable(),
  currency,
  payment_terms: text,
  credit_limit: decimal.nullable(),
  accounting_status: text,
  salesforce_account_id: text.nullable(),
  created_at: timestamp,
  updated_at: timestamp,
  /** Σ total_value of the customer's non-draft contracts; null when it has none. */
  contract_total: decimal.nullable(),
  /** Whether any contract has status 'active'. */
  has_active_contract: z.boolean(),
});
export type ErpCustomerRow = z.infer<typeof customerRowSchema>;

export const contractRowSchema = z.looseObject({
  contract_id: bigintId,
  customer_number: text,
  contract_number: text,
  start_date: dateOnly,
  end_date: dateOnly.nullable(),
  total_value: decimal,
  currency,
  status: text,
  updated_at: timestamp,
});
export type ErpContractRow = z.infer<typeof contractRowSchema>;

export const invoiceRowSchema = z.looseObject({
  invoice_id: bigintId,
  customer_number: text,
  contract_id: bigintId.nullable(),
  invoice_number: text,
  issue_date: dateOnly,
  due_date: dateOnly.nullable(),
  amount: decimal,
  currency,
  status: text,
  updated_at: timestamp,
  /** Σ amount of the invoice's payments; null when none (derived in the same statement). */
  amount_paid: decimal.nullable(),
});
export type ErpInvoiceRow = z.infer<typeof invoiceRowSchema>;

export const paymentRowSchema = z.looseObject({
  payment_id: bigintId,
  invoice_id: bigintId.nullable(),
  customer_number: text,
  amount: decimal,
  currency,
  method: text.nullable(),
  paid_at: timestamp,
  updated_at: timestamp,
});
export type ErpPaymentRow = z.infer<typeof paymentRowSchema>;

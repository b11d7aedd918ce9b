// ERP rows (validated by schema.ts) → Meridian's canonical source records. Pure functions.
// Money comes from numeric columns as exact decimal strings, never through a float.
import type { ContractRecord, InvoiceRecord, Money, PaymentRecord, SourceRecord } from '../types.ts';
import { InvalidSourceRecordError } from '../errors.ts';
import { moneyFromDecimal } from '../money.ts';
import type { ErpContractRow, ErpCustomerRow, ErpInvoiceRow, ErpPaymentRow } from './schema.ts';

/** Money from a decimal column, or the error that names the column. */
function money(recordId: string, field: string, amount: string, currency: string): Money {
  try {
    return moneyFromDecimal(amount, currency);
  } catch (e) {
    throw new InvalidSourceRecordError('erp', recordId, field, e instanceof Error ? e.message : String(e));
  }
}

/**
 * One customers row as a SourceRecord. `data` is the row (timestamps ISO-8601 UTC, numerics
 * as decimal strings) plus the derived `contract_total` and `has_active_contract`.
 * `updatedAt` is the row's `updated_at`; a contract change does not move it (see docs).
 */
export function customerRowToSourceRecord(row: ErpCustomerRow): SourceRecord {
  const sf = row.salesforce_account_id?.trim();
  const email = row.billing_email?.trim().toLowerCase();
  return {
    system: 'erp',
    type: 'erp_customer',
    id: row.customer_number,
    updatedAt: row.updated_at,
    data: { ...row },
    xrefs: sf ? [{ system: 'salesforce', id: sf, field: 'salesforce_account_id' }] : [],
    emails: email ? [email] : [],
    deleted: false,
  };
}

export function contractRowToRecord(row: ErpContractRow): ContractRecord {
  return {
    id: row.contract_id,
    number: row.contract_number,
    status: row.status,
    totalValue: money(`contract ${row.contract_id}`, 'total_value', row.total_value, row.currency),
    startDate: row.start_date,
    endDate: row.end_date,
  };
}

/** `amountPaid` is the sum of the invoice's payments (zero when there are none). */
export function invoiceRowToRecord(row: ErpInvoiceRow): InvoiceRecord {
  const id = `invoice ${row.invoice_id}`;
  return {
    id: row.invoice_id,
    system: 'erp',
    number: row.invoice_number,
    status: row.status,
    amount: money(id, 'amount', row.amount, row.currency),
    amountPaid: money(id, 'amount_paid', row.amount_paid ?? '0', row.currency),
    issuedAt: row.issue_date,
    dueAt: row.due_date,
  };
}

export function paymentRowToRecord(row: ErpPaymentRow): PaymentRecord {
  return {
    id: row.payment_id,
    system: 'erp',
    amount: money(`payment ${row.payment_id}`, 'amount', row.amount, row.currency),
    method: row.method,
    paidAt: row.paid_at,
    invoiceId: row.invoice_id,
  };
}

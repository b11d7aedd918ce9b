// The ERP, as the registry knows it (src/sources/contract.ts): customers rows with contracts,
// invoices and payments. Read-only, and it sends no notifications (backfills and
// linkSourceRecord bring its new rows in).
import type { ContractRecord, InvoiceRecord, PaymentRecord } from '../../domain/records.ts';
import type { SystemDescriptor } from '../contract.ts';
import { erpSettings, type ErpSettings } from './settings.ts';

export interface ErpKinds {
  contracts: ContractRecord;
  invoices: InvoiceRecord;
  payments: PaymentRecord;
}

export const erpSystem: SystemDescriptor<'erp', ErpSettings, ErpKinds> = {
  id: 'erp',
  label: 'ERP',
  settings: erpSettings,
  kinds: { account: 'erp_customer', related: { contracts: 'contracts', invoices: 'invoices', payments: 'payments' }, personIsAccount: false },
  // Our own SQL: a bound on memory, not an API limit.
  maxScanPageSize: 10_000,
  capabilities: { read: true, changeFeed: true },
  create: async (settings, deps) => (await import('./open.ts')).openErp(settings, deps),
};

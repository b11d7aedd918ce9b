// A small Stripe world for the emulator's tests: 30 customers (so lists span several pages),
// each of the first five with a card, a subscription, invoices, charges and the invoice payment
// linking each paid invoice to its charge (API version 2026-10-28.endive shapes).
import { stripeId } from '../../src/sandbox/kit/ids.ts';
import type {
  StripeCharge,
  StripeCustomer,
  StripeData,
  StripeInvoice,
  StripeInvoicePayment,
  StripePaymentMethod,
  StripeSubscription,
} from '../../src/sandbox/world/types.ts';

export const BASE_CREATED = 1_760_000_000;

export function makeStripeData(customerCount = 30): StripeData {
  const customers: StripeCustomer[] = [];
  const subscriptions: StripeSubscription[] = [];
  const invoices: StripeInvoice[] = [];
  const invoicePayments: StripeInvoicePayment[] = [];
  const charges: StripeCharge[] = [];
  const paymentMethods: StripePaymentMethod[] = [];
  for (let i = 1; i <= customerCount; i++) {
    const id = stripeId('cus', i, 7);
    const metadata: Record<string, string> = {};
    if (i % 3 === 0) metadata.salesforce_account_id = `001SF${String(i).padStart(6, '0')}`;
    if (i % 5 === 0) metadata.erp_customer_number = `C-${String(i).padStart(6, '0')}`;
    const pmId = i <= 5 ? stripeId('pm', i, 7) : null;
    customers.push({
      id,
      object: 'customer',
      name: `Acme ${i} Industries`,
      email: `billing${i}@acme${i}.example.com`,
      phone: `+1555000${String(i).padStart(4, '0')}`,
      description: null,
      address: { line1: `${i} Main St`, line2: null, city: 'Springfield', state: 'IL', postal_code: '62701', country: 'US' },
      currency: 'usd',
      balance: 0,
      delinquent: false,
      metadata,
      invoice_settings: { default_payment_method: pmId },
      // Customers 1 and 2 share a second, to pin the tie-break of the list order.
      created: BASE_CREATED + (i === 2 ? 1 : i) * 60,
      livemode: false,
    });
    if (pmId === null) continue;
    paymentMethods.push({
      id: pmId,
      object: 'payment_method',
      customer: id,
      type: 'card',
      card: { brand: 'visa', last4: String(4240 + i), exp_month: 12, exp_year: 2030, country: 'US' },
      billing_details: { name: `Acme ${i}`, email: null, phone: null, address: null },
      created: BASE_CREATED + i * 60 + 1,
      metadata: {},
      livemode: false,
    });
    const subId = stripeId('sub', i, 7);
    subscriptions.push({
      id: subId,
      object: 'subscription',
      customer: id,
      status: i === 5 ? 'canceled' : 'active',
      currency: 'usd',
      items: {
        object: 'list',
        data: [
          {
            id: stripeId('si', i, 7),
            object: 'subscription_item',
            price: { id: 'price_pro', object: 'price', unit_amount: 9900, currency: 'usd', recurring: { interval: 'month', interval_count: 1 }, product: 'prod_pro' },
            quantity: 1,
            current_period_start: BASE_CREATED + 86_400,
            current_period_end: BASE_CREATED + 86_400 * 31,
          },
        ],
      },
      cancel_at_period_end: false,
      canceled_at: i === 5 ? BASE_CREATED + 86_400 * 2 : null,
      created: BASE_CREATED + i * 60 + 2,
      metadata: {},
      livemode: false,
    });
    for (let k = 1; k <= 2; k++) {
      const invId = stripeId('in', i * 10 + k, 7);
      invoices.push({
        id: invId,
        object: 'invoice',
        customer: id,
        parent: { type: 'subscription_details', subscription_details: { subscription: subId, metadata: {} }, quote_details: null },
        number: `ACME-${i}-${k}`,
        status: k === 1 ? 'paid' : 'open',
        currency: 'usd',
        amount_due: 9900,
        amount_paid: k === 1 ? 9900 : 0,
        amount_remaining: k === 1 ? 0 : 9900,
        total: 9900,
        created: BASE_CREATED + i * 60 + 10 + k,
        due_date: BASE_CREATED + 86_400 * 30,
        metadata: {},
        livemode: false,
      });
      if (k === 1) {
        const chId = stripeId('ch', i, 7);
        const paidAt = BASE_CREATED + i * 60 + 20;
        charges.push({
          id: chId,
          object: 'charge',
          customer: id,
          amount: 9900,
          amount_refunded: 0,
          currency: 'usd',
          status: 'succeeded',
          paid: true,
          refunded: false,
          failure_code: null,
          failure_message: null,
          payment_method: pmId,
          created: paidAt,
          metadata: {},
          livemode: false,
        });
        invoicePayments.push({
          id: stripeId('inpay', i, 7),
          object: 'invoice_payment',
          invoice: invId,
          amount_paid: 9900,
          amount_requested: 9900,
          currency: 'usd',
          is_default: true,
          payment: { type: 'charge', charge: chId },
          status: 'paid',
          status_transitions: { canceled_at: null, paid_at: paidAt },
          created: paidAt,
          livemode: false,
        });
      }
    }
  }
  return { customers, subscriptions, invoices, invoicePayments, charges, paymentMethods };
}

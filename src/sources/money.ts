// Money as the contract wants it (src/sources/types.ts): an exact decimal string in currency
// units, the integer minor units and the ISO 4217 code, upper case. No floats anywhere: amounts
// are moved between units by string arithmetic.
import type { Money } from './types.ts';

// https://docs.stripe.com/currencies#zero-decimal — Stripe amounts are integers in the smallest
// unit; for these currencies that unit is the currency itself (¥1 = 1)…
const STRIPE_ZERO_DECIMAL = new Set(['BIF', 'CLP', 'DJF', 'GNF', 'JPY', 'KMF', 'KRW', 'MGA', 'PYG', 'RWF', 'UGX', 'VND', 'VUV', 'XAF', 'XOF', 'XPF']);
// …https://docs.stripe.com/currencies#three-decimal — and for these a thousandth. ISK, HUF
// and TWD are two-decimal in Stripe's API (amounts must be multiples of 100), so they fall
// through to 2, as Stripe counts them.
const STRIPE_THREE_DECIMAL = new Set(['BHD', 'JOD', 'KWD', 'OMR', 'TND']);

// ISO 4217 minor-unit exponents that differ from 2, for decimal amounts (the ERP).
const ISO_ZERO_DECIMAL = new Set([...STRIPE_ZERO_DECIMAL, 'ISK', 'UYI']);
const ISO_THREE_DECIMAL = new Set(['BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND']);

/** Decimal places of Stripe's integer amounts in this currency. */
export function stripeExponent(currency: string): number {
  const c = currency.toUpperCase();
  if (STRIPE_ZERO_DECIMAL.has(c)) return 0;
  if (STRIPE_THREE_DECIMAL.has(c)) return 3;
  return 2;
}

/** ISO 4217 decimal places of a currency. */
export function isoExponent(currency: string): number {
  const c = currency.toUpperCase();
  if (ISO_ZERO_DECIMAL.has(c)) return 0;
  if (ISO_THREE_DECIMAL.has(c)) return 3;
  return 2;
}

const CURRENCY_RE = /^[A-Za-z]{3}$/;

function checkCurrency(currency: string): string {
  if (!CURRENCY_RE.test(currency)) throw new RangeError(`not an ISO 4217 currency code: ${JSON.stringify(currency)}`);
  return currency.toUpperCase();
}

/** Integer minor units (as Stripe sends them) → Money. 4500000 usd → "45000.00"; 5000 jpy → "5000". */
export function moneyFromMinorUnits(minorUnits: number, currency: string, exponent = stripeExponent(currency)): Money {
  if (!Number.isSafeInteger(minorUnits)) throw new RangeError(`minor units must be a safe integer, got ${minorUnits}`);
  const code = checkCurrency(currency);
  const negative = minorUnits < 0;
  const digits = String(Math.abs(minorUnits)).padStart(exponent + 1, '0');
  const whole = digits.slice(0, digits.length - exponent);
  const amount = exponent === 0 ? whole : `${whole}.${digits.slice(digits.length - exponent)}`;
  return { amount: negative ? `-${amount}` : amount, minorUnits, currency: code };
}

const DECIMAL_RE = /^(-?)(\d+)(?:\.(\d+))?$/;

/**
 * An exact decimal string in currency units (as Postgres returns numeric) → Money, written with
 * the currency's ISO decimal places ("45000" USD → "45000.00"; "1000.00" JPY → "1000"). Digits
 * beyond those places must be zeros: a fraction of a yen has no minor units, so it is refused.
 */
export function moneyFromDecimal(decimal: string, currency: string, exponent = isoExponent(currency)): Money {
  const code = checkCurrency(currency);
  const m = DECIMAL_RE.exec(decimal.trim());
  if (!m) throw new RangeError(`not a decimal amount: ${JSON.stringify(decimal)}`);
  const [, sign = '', whole = '0', fraction = ''] = m;
  if (/[^0]/.test(fraction.slice(exponent))) {
    throw new RangeError(`${decimal} ${code} has more than ${exponent} decimal places`);
  }
  const scaled = `${whole}${fraction.slice(0, exponent).padEnd(exponent, '0')}`.replace(/^0+(?=\d)/, '');
  const minor = Number(scaled);
  if (!Number.isSafeInteger(minor)) throw new RangeError(`${decimal} ${code} is too large`);
  const isZero = minor === 0;
  return moneyFromMinorUnits(isZero || sign === '' ? minor : -minor, code, exponent);
}

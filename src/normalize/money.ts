// Money as a decimal string plus integer minor units, never a float: sums are done on
// integer minor units (BigInt inside), so 0.1 + 0.2 is 0.30.

export interface Money {
  /** Decimal string in currency units with the currency's minor digits: "45000.00". */
  amount: string;
  /** Integer minor units: 4500000. */
  minorUnits: number;
  /** ISO 4217, upper case. */
  currency: string;
}

/** ISO 4217 minor-unit exponents that differ from 2. */
const EXPONENTS: Readonly<Record<string, number>> = {
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
};

/** ISO 4217 code, upper case; `null` when not three letters. " usd" → "USD". */
export function normalizeCurrency(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  const c = raw.trim().toUpperCase();
  return /^[A-Z]{3}$/.test(c) ? c : null;
}

export function minorUnitExponent(currency: string): number {
  return EXPONENTS[currency.toUpperCase()] ?? 2;
}

/**
 * Minor units (BigInt) of a decimal amount: "45000" / "45000.5" / 45000.5 / "-12.34".
 * `null` for anything else, or for more decimals than the currency has (no silent rounding).
 * Numbers are read through their shortest decimal text, which is what a JSON API sent.
 */
export function toMinorUnits(raw: unknown, currency: string): bigint | null {
  let text: string;
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw)) return null;
    text = String(raw);
    if (/e/i.test(text)) text = raw.toFixed(minorUnitExponent(currency));
  } else if (typeof raw === 'string') text = raw.trim().replace(/,/g, '');
  else return null;
  const m = /^([+-]?)(\d+)(?:\.(\d*))?$/.exec(text);
  if (m === null) return null;
  const exp = minorUnitExponent(currency);
  const frac = (m[3] ?? '').replace(/0+$/, '');
  if (frac.length > exp) return null;
  const units = BigInt(m[2]!) * 10n ** BigInt(exp) + (exp === 0 ? 0n : BigInt(frac.padEnd(exp, '0') || '0'));
  return m[1] === '-' ? -units : units;
}

/** The decimal string of minor units: 4500000n, "USD" → "45000.00". */
export function formatMinorUnits(units: bigint, currency: string): string {
  const exp = minorUnitExponent(currency);
  const neg = units < 0n;
  const digits = (neg ? -units : units).toString().padStart(exp + 1, '0');
  const whole = exp === 0 ? digits : digits.slice(0, -exp);
  const frac = exp === 0 ? '' : `.${digits.slice(-exp)}`;
  return `${neg ? '-' : ''}${whole}${frac}`;
}

/** Money from an amount and a currency; `null` when either is missing or malformed. */
export function toMoney(amount: unknown, currency: unknown): Money | null {
  const cur = normalizeCurrency(currency);
  if (cur === null) return null;
  const units = toMinorUnits(amount, cur);
  if (units === null) return null;
  if (units > BigInt(Number.MAX_SAFE_INTEGER) || units < -BigInt(Number.MAX_SAFE_INTEGER)) return null;
  return { amount: formatMinorUnits(units, cur), minorUnits: Number(units), currency: cur };
}

/** Money from integer minor units (Stripe's `amount`). */
export function moneyFromMinorUnits(minorUnits: number, currency: unknown): Money | null {
  const cur = normalizeCurrency(currency);
  if (cur === null || !Number.isSafeInteger(minorUnits)) return null;
  return { amount: formatMinorUnits(BigInt(minorUnits), cur), minorUnits, currency: cur };
}

/**
 * The sum of decimal amounts in one currency, exactly: ["45000.10", "0.20"] → "45000.30".
 * Throws on a malformed amount (a sum that skipped one would be wrong and look right).
 */
export function sumDecimal(amounts: readonly (string | number)[], currency: string): string {
  let total = 0n;
  for (const a of amounts) {
    const units = toMinorUnits(a, currency);
    if (units === null) throw new RangeError(`not a ${currency} amount: ${JSON.stringify(a)}`);
    total += units;
  }
  return formatMinorUnits(total, currency);
}

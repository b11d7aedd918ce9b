// The implementation of every normalizer a field spec may name (src/mapping/catalog.ts).
import type { FieldDef, NormalizerName } from '../mapping/index.ts';
import {
  companyDisplayName, companyLegalName, companyNameFromLegalName, cleanText, countryCode, currencyOfCountry, emailDomain, normalizeAddress,
  normalizeCurrency, normalizeDomain, normalizeEmail, normalizePhone, normalizeWebsite, personName, personNameFromParts, toMoney,
} from '../normalize/index.ts';
import type { SystemId } from '../domain/records.ts';

export interface NormalizeContext {
  field: FieldDef;
  system: SystemId;
  /** Region to read national phone numbers in. */
  region: string;
  /** Golden values resolved so far (currencyFrom reads them). */
  golden: Readonly<Record<string, unknown>>;
}

/** Raw value in, canonical value or null out. Composite normalizers get an object of sub-values. */
export type Normalizer = (raw: unknown, ctx: NormalizeContext) => unknown;

const part = (raw: unknown, key: string): unknown =>
  raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>)[key] : undefined;

function enumValue(raw: unknown, ctx: NormalizeContext): string | null {
  const s = cleanText(typeof raw === 'boolean' ? String(raw) : raw);
  if (s === null) return null;
  const v = s.toUpperCase().replace(/[\s-]+/g, '_');
  return ctx.field.values === undefined || ctx.field.values.includes(v) ? v : null;
}

function int(raw: unknown): number | null {
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*-?\d+\s*$/.test(raw) ? Number(raw) : NaN;
  return Number.isSafeInteger(n) ? n : null;
}

interface SubscriptionLike { status?: unknown }
const subscriptionsOf = (raw: unknown): SubscriptionLike[] =>
  Array.isArray(raw) ? (raw as unknown[]).filter((s): s is SubscriptionLike => s !== null && typeof s === 'object') : [];

export const NORMALIZER_IMPLS: Readonly<Record<NormalizerName, Normalizer>> = {
  text: (raw) => cleanText(raw),
  companyName: (raw) => companyDisplayName(raw),
  companyLegalName: (raw) => companyLegalName(raw),
  companyNameFromLegalName: (raw) => companyNameFromLegalName(raw),
  email: (raw) => normalizeEmail(raw),
  emailDomain: (raw) => emailDomain(raw),
  domain: (raw) => normalizeDomain(raw),
  website: (raw) => normalizeWebsite(raw),
  phone: (raw, ctx) => normalizePhone(raw, ctx.region),
  personName: (raw) => personName(raw),
  int: (raw) => int(raw),
  currency: (raw) => normalizeCurrency(raw),
  currencyOfCountry: (raw) => currencyOfCountry(raw),
  enum: enumValue,
  lifecycleFromType: (raw) => {
    const t = cleanText(raw)?.toLowerCase();
    if (t === undefined) return null;
    if (t === 'prospect') return 'PROSPECT';
    if (t === 'former customer') return 'CHURNED';
    return t.startsWith('customer') ? 'ACTIVE' : null;
  },
  lifecycleFromContract: (raw) => (raw === true ? 'ACTIVE' : raw === false ? 'CHURNED' : null),
  // Stripe lists non-canceled subscriptions only; "none" is no opinion here (a duplicate
  // customer has none either), the named rule decides what Stripe's silence means.
  lifecycleFromSubscriptions: (raw) => (subscriptionsOf(raw).some((s) => s.status !== 'canceled' && s.status !== 'incomplete_expired') ? 'ACTIVE' : null),
  paymentStatus: (raw) => {
    const statuses = subscriptionsOf(part(raw, 'subscriptions')).map((s) => s.status);
    // Stripe: `unpaid` = retries exhausted; `past_due` = a renewal payment failed, retrying.
    if (statuses.includes('unpaid')) return 'FAILED';
    if (statuses.includes('past_due') || part(raw, 'delinquent') === true) return 'PAST_DUE';
    if (statuses.some((s) => s === 'active' || s === 'trialing')) return 'CURRENT';
    return null;
  },
  address: (raw) =>
    normalizeAddress({
      street: part(raw, 'street'), line1: part(raw, 'line1'), line2: part(raw, 'line2'), city: part(raw, 'city'),
      region: part(raw, 'region'), postalCode: part(raw, 'postalCode'), country: part(raw, 'country'),
    }),
  contact: (raw, ctx) => {
    const name = part(raw, 'name') !== undefined ? personName(part(raw, 'name')) : personNameFromParts(part(raw, 'firstName'), part(raw, 'lastName'));
    const email = normalizeEmail(part(raw, 'email'));
    if (name === null && email === null) return null;
    const phoneRaw = part(raw, 'phone');
    return { name, email, phone: phoneRaw === undefined ? null : normalizePhone(phoneRaw, ctx.region), title: cleanText(part(raw, 'title')) };
  },
  owner: (raw, ctx) => {
    const name = personName(part(raw, 'name'));
    const email = normalizeEmail(part(raw, 'email'));
    return name === null && email === null ? null : { name, email, system: ctx.system.toUpperCase() };
  },
  money: (raw, ctx) => {
    const currency = part(raw, 'currency') ?? (ctx.field.currencyFrom === undefined ? undefined : ctx.golden[ctx.field.currencyFrom]);
    return toMoney(part(raw, 'amount'), currency);
  },
};

/** The ISO country of an address-ish raw value, for reading phone numbers. */
export function countryOfRaw(raw: unknown): string | null {
  return countryCode(part(raw, 'country'));
}

// Canonical forms of the values systems disagree on only in spelling. Every function here is
// pure, total (bad input → null, never a throw, except sums) and documented by its tests in
// test/normalize. Identity matching (issue #4) builds its keys from these.
export { cleanText, digitsOnly, fixCase, foldDiacritics, textMatchKey, titleCase } from './text.ts';
export { emailDomain, emailMatchKey, FREE_MAIL_DOMAINS, normalizeDomain, normalizeEmail, normalizeWebsite } from './email.ts';
export { DEFAULT_PHONE_REGION, isPhoneRegion, normalizePhone } from './phone.ts';
export { normalizeAddress, normalizePostalCode } from './address.ts';
export type { PostalAddress, RawAddress } from './address.ts';
export { countryCode, currencyOfCountry, isKnownRegion, regionCode } from './regions.ts';
export { companyDisplayName, companyLegalName, companyNameFromLegalName, companyMatchKey, stripLegalForm } from './company.ts';
export { givenNameMatchKey, givenNameVariants, personName, personNameFromParts, personNameKey } from './person.ts';
export { formalGivenNames } from './nicknames.ts';
export { formatMinorUnits, minorUnitExponent, moneyFromMinorUnits, normalizeCurrency, sumDecimal, toMinorUnits, toMoney } from './money.ts';
export type { Money } from './money.ts';
export { parseCalendarDate, toEpochMs, toIsoDate, toIsoUtc } from './date.ts';
export type { CalendarDate, DateOrder } from './date.ts';

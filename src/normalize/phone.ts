// Phone numbers to E.164 with libphonenumber-js (Google's libphonenumber metadata).
// https://gitlab.com/catamphetamine/libphonenumber-js#readme
import { isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js';
import type { CountryCode } from 'libphonenumber-js';

export const DEFAULT_PHONE_REGION = 'US';

/**
 * Whether numbers without a country code can be read in `code` (ISO 3166-1 alpha-2, any case):
 * a region the metadata lacks reads none of them, so settings are checked with this.
 */
export function isPhoneRegion(code: string): boolean {
  return isSupportedCountry(code.toUpperCase());
}

/**
 * E.164 ("+14155550134") for a number as people type it, read in `defaultRegion` (ISO 3166-1
 * alpha-2) when it has no country code. Handles `(415) 555-0134`, `415.555.0134`,
 * `+44 (0)20 7946 0123`, `030/1234567`.
 *
 * `null` when the text cannot be a number of that country (wrong length, letters, no digits).
 * By default a number in a range the metadata does not list as allocated is kept: numbering
 * plans gain ranges faster than libraries ship metadata, and dropping a customer's real main
 * line is worse than keeping an odd one. `{ strict: true }` requires libphonenumber's isValid().
 */
export function normalizePhone(raw: unknown, defaultRegion: string = DEFAULT_PHONE_REGION, options: { strict?: boolean } = {}): string | null {
  if (typeof raw !== 'string' && typeof raw !== 'number') return null;
  // "+44 (0)20 …": the trunk zero in brackets is not dialled from abroad.
  const text = String(raw).trim().replace(/\(0\)/g, '');
  if (text === '') return null;
  const upper = defaultRegion.toUpperCase();
  const region: CountryCode | undefined = isSupportedCountry(upper) ? upper : undefined;
  const parsed = region === undefined ? parsePhoneNumberFromString(text) : parsePhoneNumberFromString(text, region);
  if (parsed === undefined) return null;
  return (options.strict === true ? parsed.isValid() : parsed.isPossible()) ? parsed.number : null;
}

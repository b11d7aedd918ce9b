// Identifier formats of the real systems.

const SF_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * An 18-character Salesforce id: 3-char key prefix, 2-char pod, 10-char counter in base 62,
 * then the 3-char case-safe checksum Salesforce appends to 15-char ids.
 * https://help.salesforce.com/s/articleView?id=000385008 (15 vs 18 character ids)
 */
export function salesforceId(prefix: string, n: number): string {
  let counter = '';
  let v = n;
  for (let i = 0; i < 10; i++) {
    counter = BASE62[v % 62]! + counter;
    v = Math.floor(v / 62);
  }
  return withSalesforceChecksum(`${prefix}5g${counter}`);
}

export function withSalesforceChecksum(id15: string): string {
  let suffix = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) {
      const ch = id15.charAt(chunk * 5 + i);
      if (ch >= 'A' && ch <= 'Z') bits |= 1 << i;
    }
    suffix += SF_ALPHABET.charAt(bits);
  }
  return id15 + suffix;
}

/** Accepts a 15- or 18-char id and returns the 18-char form, or null when it is not an id. */
export function normalizeSalesforceId(id: string): string | null {
  if (/^[a-zA-Z0-9]{18}$/.test(id)) return withSalesforceChecksum(id.slice(0, 15)) === id ? id : null;
  if (/^[a-zA-Z0-9]{15}$/.test(id)) return withSalesforceChecksum(id);
  return null;
}

/**
 * Stripe-style ids: prefix, then 14 base-62 chars. The last 8 encode the counter (unique by
 * construction), the first 6 are a salted scramble so ids do not look sequential.
 */
export function stripeId(prefix: string, n: number, salt = 0): string {
  let counter = '';
  let v = n;
  for (let i = 0; i < 8; i++) {
    counter = BASE62[v % 62]! + counter;
    v = Math.floor(v / 62);
  }
  let h = (Math.imul(n ^ 0x5bd1e995, 0x27d4eb2d) ^ Math.imul(salt + 1, 0x165667b1)) >>> 0;
  let head = '';
  for (let i = 0; i < 6; i++) {
    head += BASE62[h % 62];
    h = Math.imul(h ^ (h >>> 13), 0x85ebca6b) >>> 0;
  }
  return `${prefix}_${head}${counter}`;
}

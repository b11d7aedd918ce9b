// Golden customer ids: `gc_` + 26 characters of Crockford base32 (ULID layout: 48 bits of
// milliseconds, then 80 bits of randomness). Opaque to clients, unique without coordination,
// and sortable by creation time, so id order is creation order for keyset pagination.
// The prefix is not `cus_` because Stripe customer ids already use it and `customerBySource`
// accepts those too: an id should say which namespace it is from.
import { randomBytes } from 'node:crypto';

export const GOLDEN_ID_PREFIX = 'gc_';
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const GOLDEN_ID = /^gc_[0-9A-HJKMNP-TV-Z]{26}$/;

export function isGoldenId(value: string): boolean {
  return GOLDEN_ID.test(value);
}

export interface GoldenIdSource {
  next(): string;
}

export interface GoldenIdOptions {
  /** Milliseconds since the epoch. */
  now?: () => number;
  /** `n` random bytes. */
  random?: (n: number) => Uint8Array;
}

/**
 * Monotonic within one process: several ids in the same millisecond (a backfill batch) keep
 * their creation order by incrementing the random part, as the ULID spec does.
 */
export function goldenIdSource(options: GoldenIdOptions = {}): GoldenIdSource {
  const now = options.now ?? Date.now;
  const random = options.random ?? ((n: number) => randomBytes(n));
  let lastTime = -1;
  let lastRandom = 0n;
  return {
    next(): string {
      let time = Math.floor(now());
      if (time < 0 || time >= 2 ** 48) throw new RangeError(`golden id clock out of range: ${time}`);
      let rand: bigint;
      if (time <= lastTime) {
        // Same millisecond, or the clock went back: stay after the previous id.
        time = lastTime;
        rand = lastRandom + 1n;
        if (rand >= 1n << 80n) {
          time += 1;
          rand = randomBits(random);
        }
      } else {
        rand = randomBits(random);
      }
      lastTime = time;
      lastRandom = rand;
      return GOLDEN_ID_PREFIX + encode(BigInt(time), 10) + encode(rand, 16);
    },
  };
}

function randomBits(random: (n: number) => Uint8Array): bigint {
  const bytes = random(10);
  if (bytes.length < 10) throw new RangeError('golden id randomness: expected 10 bytes');
  let v = 0n;
  for (let i = 0; i < 10; i++) v = (v << 8n) | BigInt(bytes[i]!);
  return v;
}

function encode(value: bigint, chars: number): string {
  let out = '';
  let v = value;
  for (let i = 0; i < chars; i++) {
    out = ALPHABET[Number(v & 31n)]! + out;
    v >>= 5n;
  }
  return out;
}

/** The creation time encoded in a golden id (ms since the epoch). */
export function goldenIdTime(id: string): number {
  if (!isGoldenId(id)) throw new RangeError(`not a golden id: ${JSON.stringify(id)}`);
  let v = 0;
  for (const ch of id.slice(GOLDEN_ID_PREFIX.length, GOLDEN_ID_PREFIX.length + 10)) v = v * 32 + ALPHABET.indexOf(ch);
  return v;
}

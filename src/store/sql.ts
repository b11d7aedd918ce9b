// Identifiers cannot be bound as parameters, so the one identifier Meridian puts into SQL text
// (the schema name, from configuration) is checked against a strict pattern and quoted.
// Everything else goes through bound parameters.

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

export class InvalidIdentifierError extends Error {
  override readonly name = 'InvalidIdentifierError';
  readonly what: string;
  readonly value: string;
  constructor(what: string, value: string) {
    super(`${what} must be a lower-case SQL identifier (a-z, 0-9, _; at most 63 characters; not starting with a digit), got ${JSON.stringify(value)}`);
    this.what = what;
    this.value = value;
  }
}

/** `"name"` after checking that `name` is a plain lower-case identifier. */
export function quoteIdentifier(name: string, what = 'identifier'): string {
  if (!IDENTIFIER.test(name)) throw new InvalidIdentifierError(what, name);
  return `"${name}"`;
}

/**
 * A 64-bit advisory-lock key (as the decimal string Postgres reads into bigint) for a name:
 * FNV-1a, so every process computes the same key for the same name.
 */
export function advisoryLockKey(name: string): string {
  let h = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(name)) {
    h ^= BigInt(byte);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return BigInt.asIntN(64, h).toString();
}

// Keyset pages over a table ordered by its key: the page shape and opaque cursors, shared by the
// lists that page this way (golden customers, review items). A cursor is `<prefix>:<key>` in
// base64url; the prefix keeps one list's cursors out of another.

export interface KeysetPage<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount: number;
}

export interface CursorCodec {
  encode(key: string): string;
  /** The key, or null when the text is not a cursor of this list (the caller names the argument). */
  decode(cursor: string): string | null;
}

export function cursorCodec(prefix: string, isKey: (key: string) => boolean, maxLength = 200): CursorCodec {
  const head = `${prefix}:`;
  const shape = new RegExp(`^[A-Za-z0-9_-]{1,${maxLength}}$`);
  return {
    encode: (key) => Buffer.from(`${head}${key}`, 'utf8').toString('base64url'),
    decode: (cursor) => {
      if (!shape.test(cursor)) return null;
      const text = Buffer.from(cursor, 'base64url').toString('utf8');
      if (!text.startsWith(head)) return null;
      const key = text.slice(head.length);
      return isKey(key) ? key : null;
    },
  };
}

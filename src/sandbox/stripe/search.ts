// Stripe's search query language, as documented at https://docs.stripe.com/search#search-query-language:
// clauses `field op value`, joined by whitespace or AND (default) or by OR, never both;
// `-` negates a clause; string values in single or double quotes (backslash escapes);
// `:` exact match on every field, `~` substring (at least 3 characters) on string fields,
// `> < >= <= =` on numeric fields; `metadata['key']` or `metadata["key"]`; at most 10 clauses;
// `field:null` matches a missing value. Pure: no I/O, tested on its own.

export type SearchFieldKind = 'string' | 'token' | 'numeric';
export type SearchOperator = ':' | '~' | '>' | '<' | '>=' | '<=' | '=';

export interface SearchClause {
  negated: boolean;
  field: string;
  /** Set for `metadata['key']` clauses. */
  metadataKey?: string;
  operator: SearchOperator;
  value: string | number | null;
}

export interface SearchQuery {
  combinator: 'AND' | 'OR';
  clauses: SearchClause[];
}

/** A query Stripe would refuse; `message` is what goes into the 400 answer (param `query`). */
export class SearchQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SearchQueryError';
  }
}

export const MAX_CLAUSES = 10;
export const MIN_SUBSTRING = 3;

const UNPARSABLE =
  'We were unable to parse your search query. Try using the format `metadata["key"]:"value"` to query for metadata or `key:"value"` to query for other fields.';

export function parseSearchQuery(
  input: string,
  fields: Readonly<Record<string, SearchFieldKind>>,
  resource: string,
): SearchQuery {
  let i = 0;
  const s = input;
  const fail = (message = UNPARSABLE): never => {
    throw new SearchQueryError(message);
  };
  const skipSpace = (): boolean => {
    const start = i;
    while (i < s.length && /\s/.test(s[i]!)) i++;
    return i > start;
  };
  const readQuoted = (): string => {
    const quote = s[i];
    i++;
    let out = '';
    while (i < s.length && s[i] !== quote) {
      if (s[i] === '\\' && i + 1 < s.length) i++;
      out += s[i];
      i++;
    }
    if (i >= s.length) fail();
    i++;
    return out;
  };

  const clauses: SearchClause[] = [];
  const joins: ('AND' | 'OR')[] = [];
  skipSpace();
  if (i >= s.length) fail('The search query must not be empty.');

  for (;;) {
    const negated = s[i] === '-';
    if (negated) i++;
    const fieldMatch = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(s.slice(i));
    if (!fieldMatch) fail();
    const field = fieldMatch![0];
    i += field.length;
    let metadataKey: string | undefined;
    if (field === 'metadata') {
      if (s[i] !== '[') fail();
      i++;
      if (s[i] !== '"' && s[i] !== "'") fail();
      metadataKey = readQuoted();
      if (s[i] !== ']') fail();
      i++;
    }
    const kind = fields[field];
    if (kind === undefined) {
      fail(
        `Field \`${field}\` is an unsupported search field for resource \`${resource}\`. See https://docs.stripe.com/search#query-fields-for-${resource} for a list of supported fields.`,
      );
    }
    const opMatch = /^(>=|<=|:|~|>|<|=)/.exec(s.slice(i));
    if (!opMatch) fail();
    const operator = opMatch![0] as SearchOperator;
    i += operator.length;

    let value: string | number | null;
    let quoted = false;
    if (s[i] === '"' || s[i] === "'") {
      value = readQuoted();
      quoted = true;
    } else {
      const bare = /^[^\s"']+/.exec(s.slice(i));
      if (!bare) fail();
      i += bare![0].length;
      value = bare![0];
    }

    if (!quoted && value === 'null') {
      if (operator !== ':') fail(`The \`null\` value can only be used with the \`:\` operator (field \`${field}\`).`);
      value = null;
    } else if (kind === 'numeric') {
      if (operator === '~') fail(`Field \`${field}\` does not support the \`~\` (substring) operator.`);
      if (!/^-?\d+(\.\d+)?$/.test(String(value))) fail(`Field \`${field}\` expects a numeric value, got \`${String(value)}\`.`);
      value = Number(value);
    } else {
      if (!quoted) fail(UNPARSABLE);
      if (operator !== ':' && operator !== '~') {
        fail(`Field \`${field}\` does not support the \`${operator}\` operator; use \`:\`${kind === 'string' ? ' or `~`' : ''}.`);
      }
      if (operator === '~' && kind !== 'string') fail(`Field \`${field}\` does not support the \`~\` (substring) operator.`);
      if (operator === '~' && String(value).length < MIN_SUBSTRING) {
        fail(`Substring search on \`${field}\` requires a value of at least ${MIN_SUBSTRING} characters.`);
      }
    }
    const clause: SearchClause = { negated, field, operator, value };
    if (metadataKey !== undefined) clause.metadataKey = metadataKey;
    clauses.push(clause);
    if (clauses.length > MAX_CLAUSES) fail(`A search query can have at most ${MAX_CLAUSES} clauses.`);

    const spaced = skipSpace();
    if (i >= s.length) break;
    const kw = /^(AND|OR)(?=\s|$)/i.exec(s.slice(i));
    if (kw) {
      joins.push(kw[1]!.toUpperCase() as 'AND' | 'OR');
      i += kw[0].length;
      skipSpace();
      if (i >= s.length) fail();
    } else if (spaced) {
      joins.push('AND');
    } else {
      fail();
    }
  }

  const kinds = new Set(joins);
  if (kinds.size > 1) fail('AND and OR operators cannot be combined in the same search query.');
  return { combinator: kinds.has('OR') ? 'OR' : 'AND', clauses };
}

export type FieldReader = (field: string, metadataKey: string | undefined) => string | number | null | undefined;

export function matchesSearch(
  query: SearchQuery,
  fields: Readonly<Record<string, SearchFieldKind>>,
  read: FieldReader,
): boolean {
  const test = (c: SearchClause): boolean => {
    const actual = read(c.field, c.metadataKey);
    const result = (() => {
      if (c.value === null) return actual === null || actual === undefined || actual === '';
      if (actual === null || actual === undefined) return false;
      const kind = fields[c.field];
      if (kind === 'numeric') {
        const a = Number(actual);
        const v = c.value as number;
        switch (c.operator) {
          case '>': return a > v;
          case '<': return a < v;
          case '>=': return a >= v;
          case '<=': return a <= v;
          default: return a === v;
        }
      }
      // String fields compare case-insensitively (emails and names as users type them);
      // token fields such as metadata values compare exactly.
      const a = String(actual);
      const v = String(c.value);
      if (kind === 'token') return a === v;
      if (c.operator === '~') return a.toLowerCase().includes(v.toLowerCase());
      return a.toLowerCase() === v.toLowerCase();
    })();
    return c.negated ? !result : result;
  };
  return query.combinator === 'OR' ? query.clauses.some(test) : query.clauses.every(test);
}

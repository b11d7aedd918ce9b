// SOQL: tokenizer and recursive-descent parser for the subset the emulator answers. Pure:
// it knows nothing of objects or fields; binding names to the schema happens in soql-eval.ts.
// Grammar (https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select.htm):
//   query      := SELECT selectItem (',' selectItem)* FROM name [alias] [WHERE cond]
//                 [ORDER BY orderItem (',' orderItem)*] [LIMIT int] [OFFSET int]
//   selectItem := COUNT '(' ')' | FIELDS '(' ALL|STANDARD|CUSTOM ')' | '(' query ')' | path
//   cond       := unary (AND unary)* | unary (OR unary)*       -- mixing needs parentheses
//   unary      := NOT unary | '(' cond ')' | path op value | path [NOT] IN '(' values|query ')'
//                 | path LIKE string

export class SoqlSyntaxError extends Error {
  readonly errorCode: string;
  readonly pos: number;
  constructor(errorCode: string, message: string, pos: number) {
    super(message);
    this.name = 'SoqlSyntaxError';
    this.errorCode = errorCode;
    this.pos = pos;
  }
}

type TokenKind = 'ident' | 'string' | 'number' | 'date' | 'datetime' | 'op' | 'punct' | 'eof';

export interface Token {
  kind: TokenKind;
  /** Identifiers keep their spelling; strings hold the unescaped value. */
  value: string;
  pos: number;
  /** The source text of the token, for error messages. */
  raw: string;
}

const IDENT_START = /[A-Za-z_]/;
const IDENT_PART = /[A-Za-z0-9_]/;
const DATETIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:\d{2})/;
const DATE_RE = /^\d{4}-\d{2}-\d{2}(?![\d:T])/;
const NUMBER_RE = /^\d+(?:\.\d+)?|^\.\d+/;
const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', '"': '"', "'": "'", '\\': '\\' };

export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const ch = source.charAt(i);
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const start = i;
    if (IDENT_START.test(ch)) {
      // A dotted path (`Account.Owner.Name`) is one token: dots never stand alone in SOQL.
      while (i < source.length && (IDENT_PART.test(source.charAt(i)) || (source.charAt(i) === '.' && IDENT_START.test(source.charAt(i + 1))))) i++;
      const raw = source.slice(start, i);
      tokens.push({ kind: 'ident', value: raw, pos: start, raw });
      continue;
    }
    if (ch === "'") {
      let value = '';
      i++;
      let closed = false;
      while (i < source.length) {
        const c = source.charAt(i);
        if (c === '\\') {
          const next = source.charAt(i + 1);
          // `\%` and `\_` stay escaped: only LIKE gives them meaning.
          if (next === '%' || next === '_') value += `\\${next}`;
          else if (next in ESCAPES) value += ESCAPES[next];
          else throw new SoqlSyntaxError('MALFORMED_QUERY', `Invalid string literal '${source.slice(start, i + 2)}'. Illegal character sequence '\\${next}' in string literal.`, i);
          i += 2;
          continue;
        }
        if (c === "'") {
          closed = true;
          i++;
          break;
        }
        value += c;
        i++;
      }
      if (!closed) throw new SoqlSyntaxError('MALFORMED_QUERY', `line 1:${start} mismatched character '<EOF>' expecting '''`, start);
      tokens.push({ kind: 'string', value, pos: start, raw: source.slice(start, i) });
      continue;
    }
    if (/[0-9.]/.test(ch)) {
      const rest = source.slice(i);
      const dt = DATETIME_RE.exec(rest) ?? (/^\d{4}-\d{2}-\d{2}T/.test(rest) ? null : undefined);
      if (dt === null) throw new SoqlSyntaxError('MALFORMED_QUERY', `unexpected token: '${rest.split(/[\s,)]/)[0]}'`, i);
      if (dt) {
        i += dt[0].length;
        tokens.push({ kind: 'datetime', value: dt[0], pos: start, raw: dt[0] });
        continue;
      }
      const d = DATE_RE.exec(rest);
      if (d) {
        i += d[0].length;
        tokens.push({ kind: 'date', value: d[0], pos: start, raw: d[0] });
        continue;
      }
      const n = NUMBER_RE.exec(rest);
      if (n) {
        i += n[0].length;
        tokens.push({ kind: 'number', value: n[0], pos: start, raw: n[0] });
        continue;
      }
    }
    const two = source.slice(i, i + 2);
    if (two === '!=' || two === '<>' || two === '<=' || two === '>=') {
      i += 2;
      tokens.push({ kind: 'op', value: two === '<>' ? '!=' : two, pos: start, raw: two });
      continue;
    }
    if (ch === '=' || ch === '<' || ch === '>') {
      i++;
      tokens.push({ kind: 'op', value: ch, pos: start, raw: ch });
      continue;
    }
    if ('(),:-+'.includes(ch)) {
      i++;
      tokens.push({ kind: 'punct', value: ch, pos: start, raw: ch });
      continue;
    }
    throw new SoqlSyntaxError('MALFORMED_QUERY', `unexpected token: '${ch}'`, i);
  }
  tokens.push({ kind: 'eof', value: '', pos: source.length, raw: '<EOF>' });
  return tokens;
}

// ---------- AST ----------
export interface FieldPath {
  /** Segments as written (`['Account', 'Owner', 'Name']`). */
  path: string[];
  pos: number;
}

export type Literal =
  | { kind: 'string'; value: string; pos: number }
  | { kind: 'number'; value: number; raw: string; pos: number }
  | { kind: 'boolean'; value: boolean; pos: number }
  | { kind: 'null'; pos: number }
  | { kind: 'date'; value: string; pos: number }
  | { kind: 'datetime'; value: string; pos: number }
  | { kind: 'dateLiteral'; name: string; n: number | null; pos: number };

export type CompareOp = '=' | '!=' | '<' | '>' | '<=' | '>=';

export type Condition =
  | { kind: 'and' | 'or'; items: Condition[] }
  | { kind: 'not'; item: Condition }
  | { kind: 'compare'; field: FieldPath; op: CompareOp; value: Literal }
  | { kind: 'like'; field: FieldPath; pattern: string; pos: number }
  | { kind: 'in'; field: FieldPath; negated: boolean; values: Literal[]; pos: number }
  | { kind: 'inQuery'; field: FieldPath; negated: boolean; query: SoqlQuery; pos: number };

export type SelectItem =
  | { kind: 'field'; field: FieldPath }
  | { kind: 'count'; pos: number }
  | { kind: 'fields'; which: 'ALL' | 'STANDARD' | 'CUSTOM'; pos: number }
  | { kind: 'subquery'; query: SoqlQuery; pos: number };

export interface OrderItem {
  field: FieldPath;
  descending: boolean;
  nulls: 'first' | 'last' | null;
}

export interface SoqlQuery {
  select: SelectItem[];
  from: { name: string; alias: string | null; pos: number };
  where: Condition | null;
  orderBy: OrderItem[];
  limit: number | null;
  offset: number | null;
}

/** Date literals with no argument; those ending in `_N_…` (and N_DAYS_AGO) take `:n`. */
export const DATE_LITERALS = new Set([
  'YESTERDAY', 'TODAY', 'TOMORROW', 'LAST_WEEK', 'THIS_WEEK', 'NEXT_WEEK', 'LAST_MONTH', 'THIS_MONTH',
  'NEXT_MONTH', 'LAST_90_DAYS', 'NEXT_90_DAYS', 'THIS_QUARTER', 'LAST_QUARTER', 'NEXT_QUARTER',
  'THIS_YEAR', 'LAST_YEAR', 'NEXT_YEAR',
]);
export const DATE_N_LITERALS = new Set([
  'LAST_N_DAYS', 'NEXT_N_DAYS', 'N_DAYS_AGO', 'LAST_N_WEEKS', 'NEXT_N_WEEKS', 'LAST_N_MONTHS',
  'NEXT_N_MONTHS', 'LAST_N_QUARTERS', 'NEXT_N_QUARTERS', 'LAST_N_YEARS', 'NEXT_N_YEARS',
]);

/** Words that end the FROM clause, so they cannot be an alias. */
const CLAUSE_WORDS = new Set(['WHERE', 'ORDER', 'LIMIT', 'OFFSET', 'WITH', 'GROUP', 'HAVING', 'FOR', 'USING', 'UPDATE']);
/** Clauses Salesforce has and the emulator does not. */
const UNSUPPORTED_CLAUSES = new Set(['WITH', 'GROUP', 'HAVING', 'FOR', 'USING', 'TYPEOF']);

class Parser {
  #tokens: Token[];
  #i = 0;

  constructor(tokens: Token[]) {
    this.#tokens = tokens;
  }

  get #peek(): Token {
    return this.#tokens[this.#i] ?? this.#tokens[this.#tokens.length - 1]!;
  }

  #next(): Token {
    const t = this.#peek;
    if (this.#i < this.#tokens.length - 1) this.#i++;
    return t;
  }

  #unexpected(t: Token = this.#peek): SoqlSyntaxError {
    if (t.kind === 'ident' && UNSUPPORTED_CLAUSES.has(t.value.toUpperCase())) {
      return new SoqlSyntaxError('MALFORMED_QUERY', `unexpected token: '${t.raw}' (the Meridian sandbox does not support ${t.value.toUpperCase()})`, t.pos);
    }
    return new SoqlSyntaxError('MALFORMED_QUERY', `unexpected token: '${t.raw}'`, t.pos);
  }

  #isWord(word: string, t: Token = this.#peek): boolean {
    return t.kind === 'ident' && t.value.toUpperCase() === word;
  }

  #acceptWord(word: string): boolean {
    if (!this.#isWord(word)) return false;
    this.#next();
    return true;
  }

  #expectWord(word: string): Token {
    if (!this.#isWord(word)) throw this.#unexpected();
    return this.#next();
  }

  #isPunct(p: string, t: Token = this.#peek): boolean {
    return t.kind === 'punct' && t.value === p;
  }

  #expectPunct(p: string): Token {
    if (!this.#isPunct(p)) throw this.#unexpected();
    return this.#next();
  }

  parseTop(): SoqlQuery {
    const q = this.#query();
    if (this.#peek.kind !== 'eof') throw this.#unexpected();
    return q;
  }

  #query(): SoqlQuery {
    this.#expectWord('SELECT');
    const select: SelectItem[] = [this.#selectItem()];
    while (this.#isPunct(',')) {
      this.#next();
      select.push(this.#selectItem());
    }
    this.#expectWord('FROM');
    const fromTok = this.#next();
    if (fromTok.kind !== 'ident' || fromTok.value.includes('.')) throw this.#unexpected(fromTok);
    let alias: string | null = null;
    if (this.#peek.kind === 'ident' && !CLAUSE_WORDS.has(this.#peek.value.toUpperCase())) {
      this.#acceptWord('AS');
      const a = this.#next();
      if (a.kind !== 'ident' || a.value.includes('.')) throw this.#unexpected(a);
      alias = a.value;
    }
    const q: SoqlQuery = { select, from: { name: fromTok.value, alias, pos: fromTok.pos }, where: null, orderBy: [], limit: null, offset: null };
    if (this.#acceptWord('WHERE')) q.where = this.#condition();
    if (this.#acceptWord('ORDER')) {
      this.#expectWord('BY');
      q.orderBy.push(this.#orderItem());
      while (this.#isPunct(',')) {
        this.#next();
        q.orderBy.push(this.#orderItem());
      }
    }
    if (this.#acceptWord('LIMIT')) q.limit = this.#nonNegativeInt();
    if (this.#acceptWord('OFFSET')) q.offset = this.#nonNegativeInt();
    return q;
  }

  #nonNegativeInt(): number {
    const t = this.#next();
    if (t.kind !== 'number' || !/^\d+$/.test(t.value)) throw this.#unexpected(t);
    return Number(t.value);
  }

  #fieldPath(): FieldPath {
    const t = this.#next();
    if (t.kind !== 'ident') throw this.#unexpected(t);
    return { path: t.value.split('.'), pos: t.pos };
  }

  #selectItem(): SelectItem {
    const t = this.#peek;
    if (this.#isPunct('(')) {
      this.#next();
      const query = this.#query();
      this.#expectPunct(')');
      return { kind: 'subquery', query, pos: t.pos };
    }
    const after = this.#tokens[this.#i + 1];
    if (this.#isWord('COUNT') && after && this.#isPunct('(', after)) {
      this.#next();
      this.#next();
      if (!this.#isPunct(')')) {
        throw new SoqlSyntaxError('MALFORMED_QUERY', `unexpected token: '${this.#peek.raw}' (the Meridian sandbox supports COUNT() only, not aggregate functions)`, this.#peek.pos);
      }
      this.#next();
      return { kind: 'count', pos: t.pos };
    }
    if (this.#isWord('FIELDS') && after && this.#isPunct('(', after)) {
      this.#next();
      this.#next();
      const w = this.#next();
      const which = w.kind === 'ident' ? w.value.toUpperCase() : '';
      if (which !== 'ALL' && which !== 'STANDARD' && which !== 'CUSTOM') throw this.#unexpected(w);
      this.#expectPunct(')');
      return { kind: 'fields', which, pos: t.pos };
    }
    if (t.kind === 'ident' && this.#isWord('FROM')) throw this.#unexpected();
    return { kind: 'field', field: this.#fieldPath() };
  }

  #orderItem(): OrderItem {
    const field = this.#fieldPath();
    let descending = false;
    if (this.#acceptWord('DESC')) descending = true;
    else this.#acceptWord('ASC');
    let nulls: OrderItem['nulls'] = null;
    if (this.#acceptWord('NULLS')) {
      if (this.#acceptWord('FIRST')) nulls = 'first';
      else if (this.#acceptWord('LAST')) nulls = 'last';
      else throw this.#unexpected();
    }
    return { field, descending, nulls };
  }

  #condition(): Condition {
    const first = this.#unary();
    const joiner = this.#isWord('AND') ? 'AND' : this.#isWord('OR') ? 'OR' : null;
    if (!joiner) return first;
    const items = [first];
    while (this.#acceptWord(joiner)) items.push(this.#unary());
    // SOQL makes the client spell out precedence: `a AND b OR c` is a syntax error.
    if (this.#isWord(joiner === 'AND' ? 'OR' : 'AND')) throw this.#unexpected();
    return { kind: joiner === 'AND' ? 'and' : 'or', items };
  }

  #unary(): Condition {
    if (this.#acceptWord('NOT')) return { kind: 'not', item: this.#unary() };
    if (this.#isPunct('(')) {
      this.#next();
      const c = this.#condition();
      this.#expectPunct(')');
      return c;
    }
    const field = this.#fieldPath();
    const t = this.#peek;
    if (t.kind === 'op') {
      this.#next();
      return { kind: 'compare', field, op: t.value as CompareOp, value: this.#literal() };
    }
    if (this.#acceptWord('LIKE')) {
      const p = this.#next();
      if (p.kind !== 'string') throw this.#unexpected(p);
      return { kind: 'like', field, pattern: p.value, pos: t.pos };
    }
    let negated = false;
    if (this.#isWord('NOT') && this.#isWord('IN', this.#tokens[this.#i + 1])) {
      this.#next();
      negated = true;
    }
    if (this.#acceptWord('IN')) {
      this.#expectPunct('(');
      if (this.#isWord('SELECT')) {
        const query = this.#query();
        this.#expectPunct(')');
        return { kind: 'inQuery', field, negated, query, pos: t.pos };
      }
      const values = [this.#literal()];
      while (this.#isPunct(',')) {
        this.#next();
        values.push(this.#literal());
      }
      this.#expectPunct(')');
      return { kind: 'in', field, negated, values, pos: t.pos };
    }
    throw this.#unexpected();
  }

  #literal(): Literal {
    const t = this.#next();
    switch (t.kind) {
      case 'string':
        return { kind: 'string', value: t.value, pos: t.pos };
      case 'number':
        return { kind: 'number', value: Number(t.value), raw: t.value, pos: t.pos };
      case 'date':
        return { kind: 'date', value: t.value, pos: t.pos };
      case 'datetime':
        return { kind: 'datetime', value: t.value, pos: t.pos };
      case 'punct': {
        if (t.value !== '-' && t.value !== '+') break;
        const n = this.#next();
        if (n.kind !== 'number') throw this.#unexpected(n);
        const raw = `${t.value === '-' ? '-' : ''}${n.value}`;
        return { kind: 'number', value: Number(raw), raw, pos: t.pos };
      }
      case 'ident': {
        const word = t.value.toUpperCase();
        if (word === 'NULL') return { kind: 'null', pos: t.pos };
        if (word === 'TRUE' || word === 'FALSE') return { kind: 'boolean', value: word === 'TRUE', pos: t.pos };
        if (DATE_LITERALS.has(word)) return { kind: 'dateLiteral', name: word, n: null, pos: t.pos };
        if (DATE_N_LITERALS.has(word)) {
          this.#expectPunct(':');
          const n = this.#next();
          if (n.kind !== 'number' || !/^\d+$/.test(n.value)) throw this.#unexpected(n);
          return { kind: 'dateLiteral', name: word, n: Number(n.value), pos: t.pos };
        }
        break;
      }
      default:
        break;
    }
    throw this.#unexpected(t);
  }
}

/** Parses one SOQL statement; throws SoqlSyntaxError (errorCode MALFORMED_QUERY) when it cannot. */
export function parseSoql(source: string): SoqlQuery {
  return new Parser(tokenize(source)).parseTop();
}

/**
 * Salesforce's query error text: the offending line, a caret under the column, then
 * `ERROR at Row:r:Column:c` and the reason.
 */
export function formatSoqlMessage(source: string, pos: number, message: string): string {
  const before = source.slice(0, pos);
  const row = before.split('\n').length;
  const lineStart = before.lastIndexOf('\n') + 1;
  const lineEnd = source.indexOf('\n', pos);
  const line = source.slice(lineStart, lineEnd === -1 ? undefined : lineEnd);
  const column = pos - lineStart + 1;
  return `\n${line}\n${' '.repeat(column - 1)}^\nERROR at Row:${row}:Column:${column}\n${message}`;
}

// CSV in and out for the matcher. Reading is RFC 4180 (quoted fields may hold the delimiter,
// doubled quotes and line breaks) with two allowances real exports need: a space after the
// delimiter (Febrl writes "a, b") is trimmed, and \r\n or \n both end a row. A row that cannot be
// a record is reported with its line number and skipped; reading never throws on bad data.

export interface CsvIssue {
  /** 1-based line in the file where the row starts. */
  line: number;
  message: string;
}

export interface CsvRow {
  line: number;
  cells: string[];
}

export interface CsvTable {
  header: string[];
  rows: CsvRow[];
  issues: CsvIssue[];
}

export interface CsvOptions {
  delimiter?: string;
  /** Trim spaces and tabs around unquoted fields. Default true. */
  trim?: boolean;
}

/** Rows of cells with their starting line; malformed quoting is an issue, not an exception. */
export function parseCsvRows(text: string, options: CsvOptions = {}): { rows: CsvRow[]; issues: CsvIssue[] } {
  const delim = (options.delimiter ?? ',').charCodeAt(0);
  const trim = options.trim ?? true;
  const rows: CsvRow[] = [];
  const issues: CsvIssue[] = [];
  const QUOTE = 34;
  const CR = 13;
  const LF = 10;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  const n = text.length;
  while (i < n) {
    const rowLine = line;
    const cells: string[] = [];
    let bad: string | null = null;
    let endOfRow = false;
    while (!endOfRow) {
      // Leading blanks before a quoted field are allowed ("a, "b"").
      let j = i;
      while (j < n && (text.charCodeAt(j) === 32 || text.charCodeAt(j) === 9)) j++;
      if (j < n && text.charCodeAt(j) === QUOTE) {
        let value = '';
        let k = j + 1;
        let closed = false;
        while (k < n) {
          const c = text.charCodeAt(k);
          if (c === QUOTE) {
            if (text.charCodeAt(k + 1) === QUOTE) {
              value += '"';
              k += 2;
              continue;
            }
            closed = true;
            k++;
            break;
          }
          if (c === LF) line++;
          value += text[k];
          k++;
        }
        if (!closed) {
          issues.push({ line: rowLine, message: 'quoted field never closed (the rest of the file was read as part of it)' });
          return { rows, issues };
        }
        while (k < n && (text.charCodeAt(k) === 32 || text.charCodeAt(k) === 9)) k++;
        const c = k < n ? text.charCodeAt(k) : LF;
        if (c !== delim && c !== CR && c !== LF && bad === null) bad = `text after the closing quote of field ${cells.length + 1}`;
        // Skip to the delimiter or end of line.
        while (k < n && text.charCodeAt(k) !== delim && text.charCodeAt(k) !== LF) k++;
        cells.push(value);
        i = k;
      } else {
        let k = i;
        while (k < n && text.charCodeAt(k) !== delim && text.charCodeAt(k) !== LF) k++;
        let end = k;
        if (end > i && text.charCodeAt(end - 1) === CR && (k >= n || text.charCodeAt(k) === LF)) end--;
        const raw = text.slice(i, end);
        cells.push(trim ? raw.trim() : raw);
        i = k;
      }
      if (i >= n) endOfRow = true;
      else if (text.charCodeAt(i) === delim) i++;
      else {
        // Line feed.
        i++;
        line++;
        endOfRow = true;
      }
    }
    if (cells.length === 1 && cells[0] === '') continue;
    if (bad !== null) issues.push({ line: rowLine, message: bad });
    else rows.push({ line: rowLine, cells });
  }
  return { rows, issues };
}

/** A header and its rows; rows with a different number of fields than the header are issues. */
export function parseCsv(text: string, options: CsvOptions = {}): CsvTable {
  const { rows, issues } = parseCsvRows(text, options);
  const head = rows.shift();
  if (head === undefined) return { header: [], rows: [], issues };
  const width = head.cells.length;
  const good: CsvRow[] = [];
  for (const r of rows) {
    if (r.cells.length !== width) issues.push({ line: r.line, message: `expected ${width} fields, found ${r.cells.length}` });
    else good.push(r);
  }
  issues.sort((x, y) => x.line - y.line);
  return { header: head.cells, rows: good, issues };
}

/** One CSV field, quoted only when it must be. */
export function csvField(value: string | number): string {
  const s = String(value);
  return /[",\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

// CSV text → matcher input records, validated at the edge: the header must have the id column
// and every column the config reads; a row without an id, or with an id seen before, is reported
// with its line number and skipped.
import type { MatcherConfig } from './config.ts';
import { parseCsv, type CsvIssue } from './csv.ts';
import type { InputRecord } from './features.ts';

export class MatcherInputError extends Error {
  override readonly name = 'MatcherInputError';
  readonly code = 'BAD_MATCHER_INPUT';
}

export interface ReadRecords {
  records: InputRecord[];
  /** Rows skipped, each with its line number and why. */
  issues: CsvIssue[];
  /** Data rows in the file (read and skipped). */
  rows: number;
}

/** Throws MatcherInputError when the header lacks a column the config needs; bad rows never throw. */
export function recordsFromCsv(text: string, config: MatcherConfig, source = 'input'): ReadRecords {
  const table = parseCsv(text, config.csv);
  const needed = [config.id, ...new Set(config.fields.flatMap((f) => f.columns))];
  if (table.header.length === 0) throw new MatcherInputError(`${source}: no header row`);
  const missing = needed.filter((c) => !table.header.includes(c));
  if (missing.length > 0) {
    throw new MatcherInputError(`${source}: the header has no column ${missing.map((c) => JSON.stringify(c)).join(', ')} (it has ${table.header.map((c) => JSON.stringify(c)).join(', ')})`);
  }
  const idIndex = table.header.indexOf(config.id);
  const columns = needed.map((c) => [c, table.header.indexOf(c)] as const);
  const issues = [...table.issues];
  const seen = new Map<string, number>();
  const records: InputRecord[] = [];
  for (const row of table.rows) {
    const id = row.cells[idIndex]!;
    if (id === '') {
      issues.push({ line: row.line, message: `empty ${config.id}` });
      continue;
    }
    const first = seen.get(id);
    if (first !== undefined) {
      issues.push({ line: row.line, message: `duplicate ${config.id} ${JSON.stringify(id)} (first on line ${first})` });
      continue;
    }
    seen.set(id, row.line);
    const values: Record<string, string | null> = {};
    for (const [c, i] of columns) {
      const v = row.cells[i]!;
      values[c] = v === '' ? null : v;
    }
    records.push({ id, values });
  }
  issues.sort((x, y) => x.line - y.line);
  return { records, issues, rows: records.length + issues.length };
}

// Fenced code blocks of the project's Markdown, and the small convention that says which
// command blocks the docs test runs (test/docs/command-blocks.test.ts):
//
//   <!-- docs-test: run -->                   on the line before the fence: run it
//   <!-- docs-test: run, errors expected -->  run it; a GraphQL answer may carry `errors`
//   <!-- docs-test: skip: <why> -->           listed as skipped, with the reason
//
// Every fence must name its language (`text` for output, diagrams and synopses), and every
// command block (sh, bash, shell, console) must carry a marker: a new block fails the test
// until someone decides whether it can run.
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

export const COMMAND_LANGUAGES: ReadonlySet<string> = new Set(['sh', 'bash', 'shell', 'console']);

export type Marker = { kind: 'run'; errorsExpected: boolean } | { kind: 'skip'; reason: string } | { kind: 'invalid'; text: string };

export interface FencedBlock {
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The info string's first word ('' when the fence names none). */
  lang: string;
  marker: Marker | null;
  body: string;
}

const MARKER = /^\s*<!--\s*docs-test:\s*(.*?)\s*-->\s*$/;

function parseMarker(text: string): Marker {
  if (text === 'run') return { kind: 'run', errorsExpected: false };
  if (text === 'run, errors expected') return { kind: 'run', errorsExpected: true };
  const skip = /^skip:\s*(\S.*)$/.exec(text);
  if (skip) return { kind: 'skip', reason: skip[1]! };
  return { kind: 'invalid', text };
}

/** The fenced blocks of one Markdown text, with the marker on the line before each, if any. */
export function fencedBlocks(file: string, markdown: string): FencedBlock[] {
  const lines = markdown.split('\n');
  const blocks: FencedBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)/.exec(lines[i]!);
    if (!open) continue;
    const [, indent, fence, lang] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const l = lines[j]!;
      if (l.trim().startsWith(fence!) && l.trim().replace(/[`~]/g, '') === '') break;
      body.push(l.startsWith(indent!) ? l.slice(indent!.length) : l);
    }
    const before = i > 0 ? MARKER.exec(lines[i - 1]!) : null;
    blocks.push({ file, line: i + 1, lang: lang!.toLowerCase(), marker: before ? parseMarker(before[1]!) : null, body: body.join('\n') });
    i = j;
  }
  return blocks;
}

/** README.md and every docs/**\/*.md under `root`, paths relative to it, sorted. */
export function projectMarkdownFiles(root: string): string[] {
  const out = ['README.md'];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.md')) out.push(relative(root, p));
    }
  };
  walk(join(root, 'docs'));
  return out.sort();
}

export function projectBlocks(root: string): FencedBlock[] {
  return projectMarkdownFiles(root).flatMap((f) => fencedBlocks(f, readFileSync(join(root, f), 'utf8')));
}

/**
 * A shell block as separate commands: a command goes on past a newline inside quotes or
 * after a trailing backslash; `#` comments (outside quotes) and blank lines are dropped.
 * Enough shell for documentation, not a shell parser: no heredocs, no `$( … )` spanning lines.
 */
export function splitCommands(block: string): string[] {
  const commands: string[] = [];
  let current = '';
  let quote: "'" | '"' | null = null;
  for (const rawLine of block.split('\n')) {
    let line = '';
    for (let k = 0; k < rawLine.length; k++) {
      const c = rawLine[k]!;
      if (quote) {
        if (c === '\\' && quote === '"' && k + 1 < rawLine.length) {
          line += c + rawLine[++k]!;
          continue;
        }
        if (c === quote) quote = null;
        line += c;
        continue;
      }
      if (c === "'" || c === '"') quote = c;
      else if (c === '#' && (line === '' || /\s$/.test(line))) break;
      line += c;
    }
    if (quote) {
      current += line + '\n';
      continue;
    }
    const trimmed = line.replace(/\s+$/, '');
    if (trimmed.endsWith('\\')) {
      current += trimmed.slice(0, -1) + ' ';
      continue;
    }
    current += trimmed;
    if (current.trim() !== '') commands.push(current.trim());
    current = '';
  }
  if (quote) throw new Error(`unterminated ${quote} quote in: ${current.slice(0, 80)}`);
  if (current.trim() !== '') commands.push(current.trim());
  return commands;
}

/**
 * Fills each placeholder `<prefix>…` (an id prefix such as `cus_` followed by an ellipsis)
 * with the newest id of that prefix seen in earlier output, newest output first. Returns the
 * prefixes it could not fill.
 */
export function fillPlaceholders(command: string, earlierOutputs: readonly string[]): { command: string; missing: string[] } {
  const missing: string[] = [];
  const filled = command.replace(/\b([A-Za-z]+_)…/g, (whole, prefix: string) => {
    for (let i = earlierOutputs.length - 1; i >= 0; i--) {
      const m = new RegExp(`"(${prefix}[A-Za-z0-9]+)"`).exec(earlierOutputs[i]!);
      if (m) return m[1]!;
    }
    missing.push(prefix);
    return whole;
  });
  return { command: filled, missing };
}

/** The contract ports the docs use, mapped to where the test's gateway and sandbox listen. */
export function retarget(command: string, ports: Readonly<Record<number, number>>): string {
  return command.replace(/\b(?:localhost|127\.0\.0\.1):(\d{4})\b/g, (whole, p: string) => {
    const to = ports[Number(p)];
    return to === undefined ? whole : `127.0.0.1:${to}`;
  });
}

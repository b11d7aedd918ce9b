// `npx meridian match <a.csv> [b.csv] [--config <file>] --out <pairs.csv> [--truth ids|<pairs.csv>]
// [--clusters <file>] [--all] [--save-config <file>] [--region XX]`: dedupe one file or link two
// with the Fellegi–Sunter matcher (src/identity/matcher, docs/matching.md). Without --config the
// config is inferred from the header and the first rows (src/identity/matcher/infer.ts) and what
// was decided is printed to stderr. Progress goes to stderr (a redrawn bar on a terminal, nothing
// in a log); the summary (bad rows with line numbers, blocking, model, decisions, timing, and
// scores against the truth when given) goes to stdout. Exit code 0; 1 with the reason on stderr; 2
// for a usage mistake (parseMatchArgs) or when an output folder does not exist (checked before the run).
import { readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { isPhoneRegion } from '../normalize/phone.ts';
import { loadMatcherConfig, MatcherConfigError, type MatcherConfig } from '../identity/matcher/config.ts';
import { levelLabel } from '../identity/matcher/compare.ts';
import { csvField, parseCsv, type CsvIssue } from '../identity/matcher/csv.ts';
import { entitiesFromIds, entitiesFromPairs, evaluate, type Evaluation, type Scores } from '../identity/matcher/evaluate.ts';
import { ConfigInferenceError, csvSample, INFERENCE_SAMPLE_ROWS, inferMatcherConfig, type InferredConfig } from '../identity/matcher/infer.ts';
import { DECISION_REVIEW, DECISIONS, runMatcher, type MatchProgress, type MatchResult } from '../identity/matcher/matcher.ts';
import { MatcherInputError, recordsFromCsv, type ReadRecords } from '../identity/matcher/records.ts';
import type { OutputStream } from './backfill.ts';

export interface MatchCommandOptions {
  files: [string] | [string, string];
  /** Default: inferred from the files' header and first rows (configs/febrl.json for the Febrl layout). */
  configPath?: string;
  /** Without configPath: write the inferred config here (JSON), to edit and pass back with --config. */
  saveConfigPath?: string;
  /** Without configPath: ISO 3166-1 alpha-2 region of phone numbers without a country code (default US). */
  region?: string;
  outPath: string;
  /** `ids` (entity from the record ids, by the config's truth.idPattern) or a CSV of true pairs `id_a,id_b`. */
  truthPath?: string;
  /** Dedupe: also write `id,cluster` per record. */
  clustersPath?: string;
  /** Write every scored candidate pair, not only those at or above the review threshold. */
  allPairs?: boolean;
  stdout: OutputStream;
  stderr: OutputStream;
  /** Milliseconds; default performance.now. */
  now?: () => number;
}

/** Bad rows listed per file before "… and N more". */
const MAX_ISSUES_LISTED = 20;
const fmt = (n: number): string => n.toLocaleString('en-US');
const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;

const PHASES: Record<MatchProgress['phase'], string> = {
  features: 'features', blocking: 'blocking', u: 'u (random pairs)', compare: 'comparing', em: 'EM', score: 'scoring', cluster: 'clustering', done: 'done',
};

export function matchProgressLine(p: MatchProgress, columns = 100): string {
  const label = PHASES[p.phase].padEnd(16);
  if (p.total === 0 || (p.phase !== 'compare' && p.phase !== 'score')) return `matching  ${label}`;
  const f = Math.min(1, p.done / p.total);
  const tail = `${String(Math.floor(f * 100)).padStart(3)}%  ${fmt(p.done)}/${fmt(p.total)} pairs`;
  const width = Math.max(10, Math.min(40, columns - tail.length - 30));
  const full = Math.round(f * width);
  return `matching  ${label} ${'█'.repeat(full)}${'░'.repeat(width - full)} ${tail}`;
}

/** Parsed `match` arguments, or a usage error. For src/cli/main.ts. */
export function parseMatchArgs(argv: readonly string[]): Omit<MatchCommandOptions, 'stdout' | 'stderr' | 'now'> | { error: string } {
  const files: string[] = [];
  const opts: { configPath?: string; outPath?: string; truthPath?: string; clustersPath?: string; allPairs?: boolean; saveConfigPath?: string; region?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string | undefined => argv[++i];
    if (a === '--all') opts.allPairs = true;
    else if (a === '--config' || a === '--out' || a === '--truth' || a === '--clusters' || a === '--save-config' || a === '--region') {
      const v = value();
      if (v === undefined) return { error: `${a} needs a value` };
      if (a === '--config') opts.configPath = v;
      else if (a === '--out') opts.outPath = v;
      else if (a === '--truth') opts.truthPath = v;
      else if (a === '--save-config') opts.saveConfigPath = v;
      else if (a === '--region') {
        // A region libphonenumber does not know reads no number without a country code, so
        // every such phone would be dropped without a word (normalizePhone).
        if (!isPhoneRegion(v)) return { error: `--region must be an ISO 3166-1 alpha-2 country code that the phone library knows (US, GB, DE…), got ${JSON.stringify(v)}` };
        opts.region = v.toUpperCase();
      } else opts.clustersPath = v;
    } else if (a.startsWith('--')) return { error: `unknown option ${a}` };
    else files.push(a);
  }
  if (files.length !== 1 && files.length !== 2) return { error: 'give one CSV file to dedupe or two to link' };
  if (opts.outPath === undefined) return { error: '--out <pairs.csv> is required' };
  if (opts.configPath !== undefined) {
    // Both shape an inferred config only; with --config they would be silently ignored.
    if (opts.saveConfigPath !== undefined) return { error: '--save-config saves an inferred config: leave out --config' };
    if (opts.region !== undefined) return { error: '--region applies to an inferred config; with --config set "phoneRegion" on the phone field' };
  }
  return { ...opts, outPath: opts.outPath, files: files.length === 1 ? [files[0]!] : [files[0]!, files[1]!] };
}

function issueLines(file: string, read: ReadRecords): string[] {
  const lines = [`${file}: ${fmt(read.records.length)} records read, ${fmt(read.issues.length)} rows skipped`];
  for (const i of read.issues.slice(0, MAX_ISSUES_LISTED)) lines.push(`  line ${i.line}: ${i.message}`);
  if (read.issues.length > MAX_ISSUES_LISTED) lines.push(`  … and ${fmt(read.issues.length - MAX_ISSUES_LISTED)} more`);
  return lines;
}

function scoreLine(label: string, s: Scores): string {
  return `${label.padEnd(20)} precision ${s.precision.toFixed(4)}  recall ${s.recall.toFixed(4)}  F1 ${s.f1.toFixed(4)}  (${fmt(s.truePositives)} of ${fmt(s.predicted)} predicted, ${fmt(s.truePairs)} true pairs)`;
}

/** Below this many candidate pairs, EM's estimate of m says little; the summary warns. */
const MIN_CANDIDATES_FOR_EM = 50;

export function matchSummary(result: MatchResult, reads: readonly { file: string; read: ReadRecords }[], evaluation: Evaluation | null, extra: string[] = []): string {
  const lines: string[] = [];
  for (const { file, read } of reads) lines.push(...issueLines(file, read));
  lines.push('');
  lines.push(`blocking: ${fmt(result.candidates.count)} candidate pairs`);
  const rw = Math.max(...result.candidates.rules.map((r) => r.name.length));
  for (const r of result.candidates.rules) {
    const skipped = r.skippedBlocks > 0 ? `  (${fmt(r.skippedBlocks)} blocks of ${fmt(r.skippedPairs)} pairs skipped: over maxBlockPairs)` : '';
    lines.push(`  ${r.name.padEnd(rw)}  +${fmt(r.pairs)}${skipped}`);
  }
  const m = result.model;
  lines.push('');
  // With no candidate pair EM has nothing to average over (its share and prior are 0/0).
  lines.push(
    result.candidates.count === 0
      ? `model: u from ${fmt(m.randomPairs)} random pairs; no candidate pairs, so no match share or prior to estimate`
      : `model: u from ${fmt(m.randomPairs)} random pairs; EM ${m.emConverged ? 'converged' : 'stopped'} after ${m.emIterations} iterations; ${pct(m.candidateMatchShare)} of candidates match; prior ${m.prior.toExponential(3)}`,
  );
  // EM learns m from the candidates' agreement patterns: a handful of pairs cannot teach it.
  if (result.candidates.count < MIN_CANDIDATES_FOR_EM) {
    lines.push(`  warning: only ${fmt(result.candidates.count)} candidate pairs; the model is estimated from the data itself and needs a few hundred records (and ${MIN_CANDIDATES_FOR_EM}+ candidate pairs) to be trusted`);
  }
  for (const g of m.groups) {
    const bits = [...g.adjustments.values()];
    const range = bits.length === 0 ? '' : ` (${Math.min(...bits).toFixed(1)} to ${Math.max(...bits).toFixed(1)} bits)`;
    lines.push(`  group ${g.name} (${g.fields.map((f) => m.fields[f]!.name).join(', ')}): m from the other fields; joint agreement adjusts ${fmt(bits.length)} patterns${range}`);
  }
  for (const f of m.fields) {
    lines.push(`  ${f.name}${f.termFrequency ? ' (term-frequency adjusted)' : ''}`);
    for (const l of f.levels) lines.push(`    ${l.label.padEnd(28)} m ${l.m.toFixed(4)}  u ${l.u.toExponential(2).padStart(9)}  weight ${l.weight.toFixed(2).padStart(6)}`);
  }
  const counts = [0, 0, 0];
  for (const d of result.decisions) counts[d]!++;
  lines.push('');
  lines.push(`decisions: ${DECISIONS.map((d, i) => `${d} ${fmt(counts[i]!)}`).join(' · ')}`);
  if (result.clusters !== null) {
    lines.push(`clusters: ${fmt(result.clusters.count)} · largest ${fmt(result.clusters.largest)} records · ${fmt(result.clusters.refused.length)} links refused by the chaining guard (sent to review)`);
  }
  const t = result.timings;
  lines.push(
    `time: ${(t.totalMs / 1000).toFixed(2)} s (features ${t.featuresMs.toFixed(0)} ms, blocking ${t.blockingMs.toFixed(0)} ms, u ${t.uMs.toFixed(0)} ms, compare ${t.compareMs.toFixed(0)} ms, EM ${t.emMs.toFixed(0)} ms, score ${t.scoreMs.toFixed(0)} ms, cluster ${t.clusterMs.toFixed(0)} ms)`,
  );
  lines.push(`comparisons/s: ${fmt(Math.round(result.comparisonsPerSecond))} candidates, ${fmt(Math.round(result.allComparisonsPerSecond))} including random pairs (one core)`);
  if (evaluation !== null) {
    lines.push('');
    lines.push(`blocking recall      ${evaluation.blockingRecall.toFixed(4)}  (${fmt(evaluation.truePairsInCandidates)} of ${fmt(evaluation.pairs.truePairs)} true pairs compared)`);
    lines.push(scoreLine('pairs (link)', evaluation.pairs));
    if (evaluation.clusters !== null) lines.push(scoreLine('clusters', evaluation.clusters));
  }
  lines.push(...extra);
  return lines.join('\n') + '\n';
}

/** What inference decided, for stderr: one line per column, then the blocking rules. */
export function inferenceReport(inferred: InferredConfig, files: readonly string[]): string {
  const { config, columns } = inferred;
  const lines: string[] = [];
  if (inferred.source === 'febrl') lines.push(`no --config: ${files.join(' and ')} ${files.length > 1 ? 'have' : 'has'} the Febrl layout; using configs/febrl.json`);
  else lines.push(`no --config: a config inferred from the header and ${INFERENCE_SAMPLE_ROWS.toLocaleString('en-US')} rows spread over ${files.join(' and ')}`);
  const width = Math.min(24, Math.max(...columns.map((c) => c.column.length)));
  const fields = new Map(config.fields.map((f) => [f.name, f] as const));
  for (const c of columns) {
    const name = c.column.padEnd(width);
    const f = c.field === null ? undefined : fields.get(c.field);
    if (c.role === 'id' && c.column === config.id) lines.push(`  ${name} → record id (${c.why})`);
    else if (f === undefined) lines.push(`  ${name} → ignored (${c.why})`);
    else {
      const how = [f.normalize, ...(f.normalize === 'date' ? [f.dateOrder] : []), ...(f.normalize === 'phone' || f.normalize === 'phoneExtension' ? [`region ${f.phoneRegion}`] : []), ...(f.termFrequency ? ['term frequency'] : [])];
      lines.push(`  ${name} → ${f.name} (${how.join(', ')}; ${f.levels.map(levelLabel).join(', ')}) — ${c.why}`);
    }
  }
  lines.push(`  blocking (union): ${config.blocking.rules.map((r) => r.name).join(' | ')}`);
  if (inferred.source === 'inferred') lines.push('  --save-config <file> writes this config to edit and pass back with --config');
  return lines.join('\n') + '\n';
}

/** A value as JSON on one line, spaced like the hand-written configs: `{ "type": "exact" }`. */
function inlineJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(inlineJson).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    return entries.length === 0 ? '{}' : `{ ${entries.map(([k, v]) => `${JSON.stringify(k)}: ${inlineJson(v)}`).join(', ')} }`;
  }
  return JSON.stringify(value);
}

/** A config as JSON people can edit: whatever fits in 110 columns on one line, the rest indented. */
export function configJson(value: unknown, indent = ''): string {
  const line = inlineJson(value);
  if (indent.length + line.length <= 110 || value === null || typeof value !== 'object') return indent === '' ? `${line}\n` : line;
  const inner = `${indent}  `;
  const body = Array.isArray(value)
    ? value.map((v) => `${inner}${configJson(v, inner)}`)
    : Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${inner}${JSON.stringify(k)}: ${configJson(v, inner)}`);
  const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  const text = `${open}\n${body.join(',\n')}\n${indent}${close}`;
  return indent === '' ? `${text}\n` : text;
}

async function readTruth(truthPath: string, config: MatcherConfig, result: MatchResult): Promise<{ entities: Int32Array; note: string[] }> {
  if (truthPath === 'ids') {
    if (config.truth === undefined) throw new MatcherInputError('--truth ids needs "truth": { "idPattern": … } in the config');
    return { entities: entitiesFromIds(result.table.ids, new RegExp(config.truth.idPattern)), note: [] };
  }
  const table = parseCsv(await readFile(truthPath, 'utf8'));
  if (table.header.length < 2) throw new MatcherInputError(`${truthPath}: a truth file has a header and two columns (id_a,id_b)`);
  const pairs = table.rows.map((r) => [r.cells[0]!, r.cells[1]!] as const);
  const { entities, unknown } = entitiesFromPairs(result.table.ids, result.split, pairs);
  const note = [...table.issues.map((i: CsvIssue) => `${truthPath} line ${i.line}: ${i.message}`)];
  if (unknown > 0) note.push(`${truthPath}: ${fmt(unknown)} true pairs name an id not in the input (ignored)`);
  return { entities, note };
}

/** Exit code for a command line that cannot work (a missing output folder), as for usage errors. */
const EXIT_USAGE = 2;

/**
 * The first output path whose folder does not exist, as the line to print; null when all can be
 * written. Checked before the run: finding out after minutes of matching, with a message that
 * said "cannot read", was the old behaviour.
 */
async function missingOutputFolder(options: MatchCommandOptions): Promise<string | null> {
  const outputs: [string, string | undefined][] = [['--out', options.outPath], ['--clusters', options.clustersPath], ['--save-config', options.saveConfigPath]];
  for (const [flag, path] of outputs) {
    if (path === undefined) continue;
    const folder = dirname(resolve(path));
    const isFolder = await stat(folder).then((s) => s.isDirectory(), () => false);
    if (!isFolder) return `${flag} ${path}: the folder ${folder} does not exist`;
  }
  return null;
}

/** Write an output file; a failure names the file and says it could not be written. */
async function writeOutput(path: string, text: string): Promise<void> {
  try {
    await writeFile(path, text);
  } catch (e) {
    throw new MatcherInputError(`cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** Throws when a file gave no records: nothing to match is a mistake (a wrong export), not an empty result. */
function requireRecords(file: string, read: ReadRecords): void {
  if (read.records.length > 0) return;
  if (read.rows === 0) throw new MatcherInputError(`${file}: no records to match (a header and no data rows)`);
  const first = read.issues[0];
  throw new MatcherInputError(`${file}: no records to match (${fmt(read.rows)} rows, all skipped${first === undefined ? '' : `: line ${first.line}: ${first.message}`}${read.issues.length > 1 ? ' …' : ''})`);
}

export async function runMatchCommand(options: MatchCommandOptions): Promise<number> {
  const { stdout, stderr } = options;
  const missing = await missingOutputFolder(options);
  if (missing !== null) {
    stderr.write(`meridian match: ${missing}\n`);
    return EXIT_USAGE;
  }
  const tty = stderr.isTTY === true;
  let drawn = false;
  let lastDraw = 0;
  const now = options.now ?? (() => performance.now());
  const onProgress = (p: MatchProgress): void => {
    if (!tty) return;
    const t = now();
    if (p.phase !== 'done' && t - lastDraw < 50 && p.done !== 0) return;
    lastDraw = t;
    stderr.write(`\r\x1b[2K${matchProgressLine(p, stderr.columns ?? 100)}`);
    drawn = true;
  };
  try {
    const given = options.configPath === undefined ? null : await loadMatcherConfig(options.configPath);
    const texts: string[] = [];
    for (const file of options.files) texts.push(await readFile(file, 'utf8'));
    let config: MatcherConfig;
    if (given !== null) config = given;
    else {
      const samples = texts.map((t) => csvSample(t));
      // Before inference: a header alone gives it nothing to decide on, and the reason is the file.
      samples.forEach((sample, i) => {
        if (sample.header.length > 0 && sample.rows.length === 0) throw new MatcherInputError(`${options.files[i]}: no records to match (a header and no data rows)`);
      });
      const delimiters = new Set(samples.map((s) => s.delimiter));
      if (delimiters.size > 1) throw new MatcherInputError(`the files use different delimiters (${[...delimiters].map((d) => JSON.stringify(d)).join(', ')}); pass --config`);
      const inferred = inferMatcherConfig(samples, { delimiter: samples[0]!.delimiter, ...(options.region === undefined ? {} : { phoneRegion: options.region }) });
      config = inferred.config;
      stderr.write(inferenceReport(inferred, options.files));
      if (options.saveConfigPath !== undefined) {
        await writeOutput(options.saveConfigPath, configJson(inferred.json));
        stderr.write(`wrote the config to ${options.saveConfigPath}\n`);
      }
    }
    // Before the run, not after it: the truth cannot be read without an id pattern.
    if (options.truthPath === 'ids' && config.truth === undefined) {
      throw new MatcherInputError(
        options.configPath === undefined
          ? '--truth ids reads true matches from an id pattern, and an inferred config has none: pass a CSV of true pairs (--truth <pairs.csv>, header and id_a,id_b rows), or a --config with "truth": { "idPattern": … }'
          : '--truth ids needs "truth": { "idPattern": … } in the config',
      );
    }
    const reads: { file: string; read: ReadRecords }[] = [];
    options.files.forEach((file, i) => reads.push({ file, read: recordsFromCsv(texts[i]!, config, file) }));
    for (const { file, read } of reads) requireRecords(file, read);
    const [first, second] = reads;
    const result = runMatcher(
      config,
      second === undefined ? { mode: 'dedupe', records: first!.read.records } : { mode: 'link', left: first!.read.records, right: second.read.records },
      { onProgress, now },
    );
    if (drawn) stderr.write('\r\x1b[2K');

    const { ids } = result.table;
    const out: string[] = ['id_a,id_b,match_weight,probability,decision'];
    for (let p = 0; p < result.candidates.count; p++) {
      const d = result.decisions[p]!;
      if (options.allPairs !== true && d < DECISION_REVIEW) continue;
      out.push(
        `${csvField(ids[result.candidates.a[p]!]!)},${csvField(ids[result.candidates.b[p]!]!)},${result.weights[p]!.toFixed(3)},${result.probabilities[p]!.toPrecision(6)},${DECISIONS[d]!}`,
      );
    }
    await writeOutput(options.outPath, out.join('\n') + '\n');
    const extra = [`\nwrote ${fmt(out.length - 1)} pairs to ${options.outPath}`];
    if (options.clustersPath !== undefined && result.clusters !== null) {
      const c = result.clusters.cluster;
      await writeOutput(options.clustersPath, ['id,cluster', ...ids.map((id, i) => `${csvField(id)},${csvField(ids[c[i]!]!)}`)].join('\n') + '\n');
      extra.push(`wrote ${fmt(ids.length)} records' clusters to ${options.clustersPath}`);
    }
    let evaluation: Evaluation | null = null;
    if (options.truthPath !== undefined) {
      const truth = await readTruth(options.truthPath, config, result);
      evaluation = evaluate(result, truth.entities);
      extra.push(...truth.note);
    }
    stdout.write(matchSummary(result, reads, evaluation, extra));
    return 0;
  } catch (e) {
    if (drawn) stderr.write('\r\x1b[2K');
    if (e instanceof MatcherConfigError || e instanceof MatcherInputError || e instanceof ConfigInferenceError) {
      stderr.write(`meridian match: ${e.message}\n`);
      return 1;
    }
    const err = e as NodeJS.ErrnoException;
    if (typeof err.code === 'string' && typeof err.path === 'string') {
      stderr.write(`meridian match: cannot read ${err.path}: ${err.code}\n`);
      return 1;
    }
    throw e;
  }
}

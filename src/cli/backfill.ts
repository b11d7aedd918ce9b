// `npx meridian backfill`: migrate, scan every source, link, print what happened. Progress goes
// to stderr (a redrawn bar on a terminal, a plain line every few seconds otherwise, so CI logs
// stay readable), with one line per page that is retried; the summary table goes to stdout.
// Each scan's progress is checkpointed in Postgres: a run that was stopped, or could not read
// a system to the end, links what it read, exits 1 naming what is missing, and the next run
// resumes there.
import { createReviewItems } from '../review/items.ts';
import { MatchIndex } from '../identity/match-index.ts';
import { createIdentityStore, type IdentityStore } from '../identity/links.ts';
import { runBackfill, scanFailureSummary, type BackfillProgress, type BackfillReport } from '../identity/backfill.ts';
import { createBackfillCheckpoints } from '../identity/backfill-checkpoint.ts';
import type { ScanOptions } from '../sources/scan.ts';
import type { SourceConnector } from '../sources/types.ts';
import type { Store } from '../store/index.ts';
import { releaseMemory } from '../identity/release-memory.ts';

export interface OutputStream {
  isTTY?: boolean;
  columns?: number;
  write(chunk: string): boolean;
}

export interface BackfillCommandDeps {
  connectors: readonly SourceConnector[];
  /** Meridian's store, migrated (openSources migrates it). */
  store: Store;
  /** Default: the Postgres identity store over `store`. */
  identity?: IdentityStore;
  stdout?: OutputStream;
  stderr?: OutputStream;
  pageSize?: number;
  batchSize?: number;
  /** Milliseconds; default performance.now. */
  now?: () => number;
  /** Without a terminal, at most one progress line per this many ms. Default 2000. */
  logIntervalMs?: number;
  /** Retry policy and clock of the scans' page fetches (tests pass a clock that does not wait). */
  scan?: Pick<ScanOptions, 'retry' | 'clock' | 'random'>;
}

const fmt = (n: number): string => n.toLocaleString('en-US');

function bar(fraction: number, width: number): string {
  const f = Math.min(1, Math.max(0, fraction));
  const full = Math.round(f * width);
  return '█'.repeat(full) + '░'.repeat(width - full);
}

export function progressLine(p: BackfillProgress, tty: boolean, columns = 100): string {
  const systems = p.systems.map((s) => `${s.system} ${fmt(s.records)}${s.done ? (tty ? ' ✓' : ' (done)') : ''}`).join('  ');
  if (p.phase === 'scan') return `scanning  ${systems}`;
  const { done, total } = p.clusters;
  const pct = total === 0 ? 100 : Math.floor((done / total) * 100);
  const tail = `${String(pct).padStart(3)}%  ${fmt(done)}/${fmt(total)} customers  ${fmt(p.linksWritten)} links written`;
  if (!tty) return `linking   ${tail}`;
  const width = Math.max(10, Math.min(40, columns - tail.length - 12));
  return `linking   ${bar(total === 0 ? 1 : done / total, width)} ${tail}`;
}

export function summaryTable(report: BackfillReport): string {
  const rows: [string, string][] = [];
  const systems = Object.entries(report.records);
  const total = systems.reduce((n, [, v]) => n + (v ?? 0), 0);
  const lines: string[] = [];
  const w = Math.max(6, ...systems.map(([s]) => s.length));
  const nw = Math.max(7, fmt(total).length);
  const scans = new Map(report.scans.map((x) => [x.system, x]));
  const note = (system: string): string => {
    const x = scans.get(system as BackfillReport['scans'][number]['system']);
    if (!x) return '';
    const parts: string[] = [];
    if (x.resumed > 0) parts.push(`${fmt(x.resumed)} from the last run's checkpoint`);
    if (x.pagesRetried > 0) parts.push(`${fmt(x.pagesRetried)} pages retried`);
    if (x.invalid > 0) parts.push(`${fmt(x.invalid)} invalid, not linked (below)`);
    if (!x.complete) parts.push(`INCOMPLETE: ${x.error ?? 'unknown error'}`);
    return parts.length > 0 ? `  ${parts.join(' · ')}` : '';
  };
  lines.push(`${'system'.padEnd(w)}  ${'records'.padStart(nw)}`);
  for (const [s, n] of systems) lines.push(`${s.padEnd(w)}  ${fmt(n ?? 0).padStart(nw)}${note(s)}`);
  for (const x of report.scans) if (!(x.system in report.records)) lines.push(`${x.system.padEnd(w)}  ${'0'.padStart(nw)}${note(x.system)}`);
  lines.push(`${'total'.padEnd(w)}  ${fmt(total).padStart(nw)}  (${fmt(report.deletedRecords)} deleted in their system, still linked)`);
  // Records a system returned that fail its schema: named, so someone can fix them at the source.
  for (const x of report.scans) {
    for (const message of x.invalidRecords) lines.push(`  invalid: ${message}`);
    if (x.invalid > x.invalidRecords.length) lines.push(`  invalid: … and ${fmt(x.invalid - x.invalidRecords.length)} more ${x.system} records`);
  }
  lines.push('');
  const c = report.customers;
  rows.push(['golden customers', `${fmt(c.total)} live · ${fmt(c.created)} created · ${fmt(c.kept)} kept · ${fmt(c.merged)} merged into older ids`]);
  if (c.keptApart > 0) rows.push(['joins refused', `${fmt(c.keptApart)} (a person kept those customers apart)`]);
  rows.push(['clusters', `${fmt(report.clusters)} · largest ${fmt(report.largestCluster)} records`]);
  rows.push(['links', `${fmt(report.links.written)} written · ${fmt(report.links.unchanged)} unchanged`]);
  const rules = Object.entries(report.links.byRule).sort(([a], [b]) => (a < b ? -1 : 1));
  rows.push(['by rule', rules.map(([r, n]) => `${r} ${fmt(n)}`).join(' · ') || '—']);
  rows.push(['cross-references', `${fmt(report.xrefs.followed)} followed (${fmt(report.xrefs.toDeleted)} to deleted records) · ${fmt(report.xrefs.dangling)} dangling`]);
  rows.push(['shared emails', `${fmt(report.sharedEmails)}${report.emailsNotTrusted > 0 ? ` (${fmt(report.emailsNotTrusted)} not trusted for every record: company names disagree)` : ''}`]);
  if (report.matcher) {
    rows.push(['matcher links beyond exact keys', fmt(report.matcher.links)]);
    rows.push(['possible duplicates for review', `${fmt(report.matcher.reviewPairs)} (${fmt(report.matcher.reviewItemsCreated)} new items)`]);
    rows.push(['live matching index', `${fmt(report.indexed)} entries written (new or changed records)`]);
  }
  const p = report.phases;
  const rate = report.ms > 0 ? Math.round(total / (report.ms / 1000)) : 0;
  rows.push(['time', `${(report.ms / 1000).toFixed(1)} s (scan ${p.scan.toFixed(1)} s · match ${p.match.toFixed(1)} s · write ${p.write.toFixed(1)} s: links ${p.links.toFixed(1)} s, index ${p.index.toFixed(1)} s) · ${fmt(rate)} records/s`]);
  const kw = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) lines.push(`${k.padEnd(kw)}  ${v}`);
  if (report.danglingXrefs.length > 0) {
    lines.push('');
    lines.push('dangling cross-references (the named record was not found):');
    for (const d of report.danglingXrefs.slice(0, 10)) {
      lines.push(`  ${d.from.system} ${d.from.recordType} ${d.from.externalId}  ${d.field} → ${d.to.system} ${d.to.externalId}`);
    }
    if (report.xrefs.dangling > 10) lines.push(`  … and ${fmt(report.xrefs.dangling - 10)} more`);
  }
  return lines.join('\n') + '\n';
}

/** Runs the backfill with progress and a summary; resolves to the process exit code. */
export async function runBackfillCommand(deps: BackfillCommandDeps): Promise<number> {
  const stdout = deps.stdout ?? process.stdout;
  const stderr = deps.stderr ?? process.stderr;
  const now = deps.now ?? (() => performance.now());
  const tty = stderr.isTTY === true;
  const interval = deps.logIntervalMs ?? 2000;
  let lastDraw = -Infinity;
  let lastPhase = '';
  let lastDone = '';
  let drawn = false;

  const onProgress = (p: BackfillProgress): void => {
    const t = now();
    const doneSystems = p.systems.filter((s) => s.done).map((s) => s.system).join(',');
    const milestone = p.phase !== lastPhase || doneSystems !== lastDone;
    lastPhase = p.phase;
    lastDone = doneSystems;
    if (p.phase === 'done') {
      // The final state, whatever the throttle skipped.
      const final = progressLine({ ...p, phase: 'link' }, tty, stderr.columns ?? 100);
      stderr.write(tty ? `\r\x1b[2K${final}\n` : `${final}\n`);
      return;
    }
    if (tty) {
      if (!milestone && t - lastDraw < 100) return;
      stderr.write(`\r\x1b[2K${progressLine(p, true, stderr.columns ?? 100)}`);
      drawn = true;
    } else {
      if (!milestone && t - lastDraw < interval) return;
      stderr.write(`${progressLine(p, false)}\n`);
    }
    lastDraw = t;
  };

  const identity = deps.identity ?? createIdentityStore(deps.store);
  const report = await runBackfill({
    connectors: deps.connectors,
    store: identity,
    onProgress,
    now,
    releaseMemory,
    ...(deps.pageSize === undefined ? {} : { pageSize: deps.pageSize }),
    ...(deps.batchSize === undefined ? {} : { batchSize: deps.batchSize }),
    ...(deps.scan === undefined ? {} : { scan: deps.scan }),
    onRetry: (r) => {
      if (tty && drawn) stderr.write('\n');
      drawn = false;
      stderr.write(`${r.system}: a page failed (${r.error.message}); retrying in ${(r.delayMs / 1000).toFixed(1)} s (attempt ${r.attempt + 1})\n`);
    },
    reviews: createReviewItems(deps.store),
    index: new MatchIndex(deps.store),
    checkpoints: createBackfillCheckpoints(deps.store),
  });
  stdout.write(summaryTable(report));
  const failed = scanFailureSummary(report);
  if (failed === null) return 0;
  // Everything that was read is linked; the rest resumes from its checkpoint on the next run.
  const missing = report.scans.filter((x) => !x.complete).map((x) => x.system).join(', ');
  stderr.write(`meridian backfill: ${failed}. Everything read was linked; run it again to resume ${missing} where it stopped.\n`);
  return 1;
}

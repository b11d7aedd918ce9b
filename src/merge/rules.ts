// Survivorship: which candidate's value the golden record keeps.
import type { FieldDef, NamedRuleName, SourceSpec, Survivorship } from '../mapping/index.ts';
import type { SourceRecord, SystemId } from '../domain/records.ts';
import { SYSTEMS } from '../sources/types.ts';
import { toEpochMs } from '../normalize/index.ts';
import type { Candidate } from './types.ts';
import { canonicalJson } from './compare.ts';

/** A candidate with what the merge needs besides the public fields. */
export interface WorkCandidate extends Candidate {
  /** The value is computed by the system when read: as recent as the read. */
  live: boolean;
  /** A guess from another fact: chosen only when nothing else says, never a conflict. */
  inferred: boolean;
  /** The value the source's `rank.by` path gave (ordering within one system). */
  rankValue: unknown;
}

export interface NamedRuleContext {
  fieldName: string;
  field: FieldDef;
  /** Candidates with a canonical value. */
  candidates: readonly WorkCandidate[];
  /** Live (not deleted) records of the customer. */
  records: readonly SourceRecord[];
  /** The system the spec names for the rule (its `system`). */
  billing: SystemId;
  /** Who decides after it, in order (its `fallback`). */
  fallback: readonly SystemId[];
}

export interface RuleResult {
  winner: WorkCandidate | null;
  /** Candidates the rule adds (e.g. what a system's silence means). */
  added?: WorkCandidate[];
}

const time = (c: Candidate): number => (c.updatedAt === null ? -Infinity : toEpochMs(c.updatedAt) ?? -Infinity);

function compareRank(a: unknown, b: unknown): number {
  const ta = toEpochMs(a), tb = toEpochMs(b);
  if (ta !== null && tb !== null) return ta - tb;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return canonicalJson(a ?? '').localeCompare(canonicalJson(b ?? ''));
}

/**
 * The best of one system's candidates: by the source's `rank` when it has one (missing values
 * last), else the most recently updated; ties by external id so the result never depends on
 * input order.
 */
export function bestOfSystem(cands: readonly WorkCandidate[], source: SourceSpec | undefined): WorkCandidate | null {
  let best: WorkCandidate | null = null;
  for (const c of cands) {
    if (best === null) { best = c; continue; }
    let d: number;
    if (source?.rank !== undefined) {
      const missingC = c.rankValue === null || c.rankValue === undefined, missingB = best.rankValue === null || best.rankValue === undefined;
      d = missingC !== missingB ? (missingC ? 1 : -1) : missingC ? 0 : compareRank(c.rankValue, best.rankValue) * (source.rank.order === 'asc' ? 1 : -1);
    } else d = time(best) - time(c);
    if (d < 0 || (d === 0 && c.externalId < best.externalId)) best = c;
  }
  return best;
}

function byOrder(field: FieldDef, cands: readonly WorkCandidate[], order: readonly SystemId[]): WorkCandidate | null {
  for (const system of order) {
    const best = bestOfSystem(cands.filter((c) => c.system === system), field.sources[system]);
    if (best !== null) return best;
  }
  return null;
}

function mostRecent(field: FieldDef, cands: readonly WorkCandidate[], tieBreak: readonly SystemId[]): WorkCandidate | null {
  let best: WorkCandidate | null = null;
  const pos = (s: SystemId): number => { const i = tieBreak.indexOf(s); return i === -1 ? tieBreak.length : i; };
  for (const c of cands) {
    if (best === null) { best = c; continue; }
    const d = time(c) - time(best);
    if (d > 0) best = c;
    else if (d === 0) {
      const p = pos(c.system) - pos(best.system);
      if (p < 0 || (p === 0 && bestOfSystem([best, c], field.sources[c.system]) === c)) best = c;
    }
  }
  return best;
}

/** A candidate that stands for what a system's records say by saying nothing. */
function silence(system: SystemId, records: readonly SourceRecord[], source: SourceSpec | undefined, value: string): WorkCandidate | null {
  const recs = records.filter((r) => r.system === system);
  if (recs.length === 0) return null;
  // The most recently updated of them, ties by id.
  const rec = recs.reduce((a, b) => ((toEpochMs(b.updatedAt) ?? 0) > (toEpochMs(a.updatedAt) ?? 0) || ((toEpochMs(b.updatedAt) ?? 0) === (toEpochMs(a.updatedAt) ?? 0) && b.id < a.id) ? b : a));
  return {
    system, externalId: rec.id, sourceField: source === undefined ? '' : typeof source.path === 'string' ? source.path : Object.values(source.path).join(','),
    rawValue: null, value, updatedAt: rec.updatedAt, chosen: false, live: source?.live ?? false, inferred: false, rankValue: null,
  };
}

const NAMED: Readonly<Record<NamedRuleName, (ctx: NamedRuleContext) => RuleResult>> = {
  // `billing`: the spec's system for the rule (Stripe in the default spec); `fallback`: who decides after it.
  lifecycleFromBilling: ({ field, candidates, records, billing, fallback }) => {
    // Billing knows: a live subscription means a paying customer, whatever the CRM says.
    const billed = candidates.filter((c) => c.system === billing);
    const active = bestOfSystem(billed.filter((c) => c.value === 'ACTIVE'), field.sources[billing]);
    if (active !== null) return { winner: active };
    // Billing lists non-canceled subscriptions only: a billing customer without one stopped paying.
    const churned = silence(billing, records, field.sources[billing], 'CHURNED');
    if (churned !== null) return { winner: churned, added: [churned] };
    return { winner: byOrder(field, candidates, fallback) };
  },
  paymentStatusFromBilling: ({ field, candidates, records, billing }) => {
    const worst = ['FAILED', 'PAST_DUE', 'CURRENT'];
    for (const status of worst) {
      const c = bestOfSystem(candidates.filter((x) => x.system === billing && x.value === status), field.sources[billing]);
      if (c !== null) return { winner: c };
    }
    const none = silence(billing, records, field.sources[billing], 'NONE');
    return none === null ? { winner: null } : { winner: none, added: [none] };
  },
};

export const RULE_LABEL: Readonly<Record<Exclude<Survivorship['rule'], 'named'>, string>> = {
  priority: 'PRIORITY',
  sourceOfTruth: 'SOURCE_OF_TRUTH',
  mostRecent: 'MOST_RECENT',
};

/**
 * The winner under the field's rule. Inferred candidates take part only when no direct
 * candidate has a value.
 */
export function applyRule(fieldName: string, field: FieldDef, candidates: readonly WorkCandidate[], records: readonly SourceRecord[]): RuleResult {
  const direct = candidates.filter((c) => !c.inferred);
  const run = (cands: readonly WorkCandidate[]): RuleResult => {
    const r = field.survivorship;
    switch (r.rule) {
      case 'priority': return { winner: byOrder(field, cands, r.order) };
      case 'sourceOfTruth': return { winner: byOrder(field, cands, [r.system, ...r.fallback]) };
      case 'mostRecent': return { winner: mostRecent(field, cands, r.tieBreak ?? SYSTEMS) };
      case 'named': return NAMED[r.name]({ fieldName, field, candidates: cands, records, billing: r.system, fallback: r.fallback });
    }
  };
  const result = run(direct);
  if (result.winner !== null || direct.length === candidates.length) return result;
  return run(candidates);
}

// A link's stored explanation (identity_links.explanation, written by the backfill and the live
// matcher) read back as typed evidence for the API. The JSON is Meridian's own, but it outlives
// code versions, so it is parsed leniently: an entry this version cannot read is left out.
import { z } from 'zod';
import { SYSTEMS } from '../sources/types.ts';
import type { SystemId } from '../domain/records.ts';

export interface EvidenceRef {
  system: SystemId;
  recordType: string;
  externalId: string;
}

export type EvidenceKind = 'NAMES' | 'NAMED_BY' | 'SHARED_EMAIL' | 'SCORED';

export interface LinkEvidence {
  rule: string;
  kind: EvidenceKind;
  other: EvidenceRef | null;
  email: string | null;
  sharedWith: EvidenceRef[];
  probability: number | null;
  levels: { field: string; level: string }[];
}

const ref = z.object({ system: z.enum(SYSTEMS as [SystemId, ...SystemId[]]), recordType: z.string(), externalId: z.string() });
const entry = z.union([
  z.object({ rule: z.string(), names: ref }),
  z.object({ rule: z.string(), namedBy: ref }),
  z.object({ rule: z.string(), email: z.string(), sharedWith: z.array(ref).default([]) }),
  z.object({
    rule: z.string(),
    with: ref,
    probability: z.number().nullable().default(null),
    levels: z.array(z.object({ field: z.string(), level: z.string() })).nullable().default(null),
  }),
]);

/** The evidence entries of a stored explanation, in stored order (strongest first). */
export function linkEvidence(explanation: unknown): LinkEvidence[] {
  const list = (explanation as { evidence?: unknown } | null)?.evidence;
  if (!Array.isArray(list)) return [];
  const out: LinkEvidence[] = [];
  for (const raw of list) {
    const p = entry.safeParse(raw);
    if (!p.success) continue;
    const e = p.data;
    const base = { rule: e.rule, other: null, email: null, sharedWith: [], probability: null, levels: [] };
    if ('names' in e) out.push({ ...base, kind: 'NAMES', other: e.names });
    else if ('namedBy' in e) out.push({ ...base, kind: 'NAMED_BY', other: e.namedBy });
    else if ('email' in e) out.push({ ...base, kind: 'SHARED_EMAIL', email: e.email, sharedWith: e.sharedWith });
    else out.push({ ...base, kind: 'SCORED', other: e.with, probability: e.probability, levels: e.levels ?? [] });
  }
  return out;
}

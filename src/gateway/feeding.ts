// Which unavailable systems make a canonical field's merged value untrustworthy. A field costs
// its value only when a missing system could have changed the outcome: under source-of-truth
// or priority, a missing system ranked below the value's actual source cannot.
import type { FieldSpec } from '../mapping/index.ts';
import type { FieldLineage } from '../merge/index.ts';
import type { SystemId } from '../domain/records.ts';

export function systemsThatCouldChange(spec: FieldSpec, field: string, lineage: FieldLineage | undefined, missing: ReadonlySet<SystemId>): SystemId[] {
  const def = spec.fields[field];
  if (!def) return [];
  const feeding = new Set<SystemId>(Object.keys(def.sources) as SystemId[]);
  // A money field whose currency comes from another field depends on that field's systems too.
  if (def.currencyFrom) for (const s of Object.keys(spec.fields[def.currencyFrom]?.sources ?? {}) as SystemId[]) feeding.add(s);
  const candidates = [...feeding].filter((s) => missing.has(s));
  if (candidates.length === 0) return [];
  const chosen = lineage?.source ?? null;
  const rule = def.survivorship;
  if (chosen && !def.currencyFrom) {
    const order = rule.rule === 'sourceOfTruth' ? [rule.system, ...rule.fallback] : rule.rule === 'priority' ? rule.order : null;
    if (order) {
      const rank = order.indexOf(chosen);
      return candidates.filter((s) => {
        const r = order.indexOf(s);
        return r === -1 || r < rank;
      });
    }
  }
  return candidates;
}

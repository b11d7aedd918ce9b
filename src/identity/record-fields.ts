// What identity reads of an account-level record — its name, address, phone and web domain —
// found where the field spec says each system keeps them (src/mapping/default-spec.json), not
// in a copy of those paths. Only a system's direct sources count: an inferred one (a domain
// guessed from an e-mail) is a guess the matcher makes itself.
// The built-in spec is read, as matching has always used these paths whatever MERIDIAN_MAPPING
// says; the merge follows the configured spec.
import type { SourceRecord, SystemId } from '../domain/records.ts';
import { getPath, loadFieldSpec, parsePath, type FieldSpec, type SourceSpec } from '../mapping/index.ts';
import type { RawAddress } from '../normalize/index.ts';
import { companyDisplayName, companyNameFromLegalName } from '../normalize/index.ts';

let builtIn: FieldSpec | undefined;
const spec = (): FieldSpec => (builtIn ??= loadFieldSpec());

/** The spec's direct source of a field in a system, if it has one. */
function direct(field: string, system: SystemId): SourceSpec | null {
  const source = spec().fields[field]?.sources[system];
  return source && !source.inferred ? source : null;
}

const single = (r: SourceRecord, field: string): unknown => {
  const source = direct(field, r.system);
  return source && typeof source.path === 'string' ? getPath(r.data, source.path) : null;
};

/** The company name as shown: a registered name loses its legal form (the ERP's always ends in one, even "Acme Corporation Corp."). */
export function recordName(r: SourceRecord): string | null {
  const source = direct('name', r.system);
  if (!source || typeof source.path !== 'string') return null;
  const raw = getPath(r.data, source.path);
  return source.normalize === 'companyNameFromLegalName' ? companyNameFromLegalName(raw) : companyDisplayName(raw);
}

/** The name exactly as the system holds it (what search shows and matches words in). */
export const recordRawName = (r: SourceRecord): unknown => single(r, 'name');

export const recordPhone = (r: SourceRecord): unknown => single(r, 'phone');

/** The billing e-mail, where the system keeps one on the account. */
export const recordEmail = (r: SourceRecord): unknown => single(r, 'email');

/** Website / domain names, where the system keeps one. */
export const recordDomain = (r: SourceRecord): unknown => single(r, 'domain');

/** The postal address parts the system holds, by the spec's sub-field paths; null for a system without one. */
export function recordAddress(r: SourceRecord): RawAddress | null {
  const source = direct('address', r.system);
  if (!source || typeof source.path === 'string') return null;
  return Object.fromEntries(Object.entries(source.path).map(([part, path]) => [part, getPath(r.data, path)]));
}

const FIELDS = ['name', 'address', 'phone', 'domain'];
const dataKeys = new Map<SystemId, readonly string[]>();

/** The keys of a system's `data` that the functions above read (the first step of each path). */
export function matchedDataKeys(system: SystemId): readonly string[] {
  let keys = dataKeys.get(system);
  if (!keys) {
    const found = new Set<string>();
    for (const field of FIELDS) {
      const source = direct(field, system);
      if (!source) continue;
      for (const path of typeof source.path === 'string' ? [source.path] : Object.values(source.path)) {
        const first = parsePath(path)?.[0];
        if (typeof first === 'string') found.add(first);
      }
    }
    keys = [...found];
    dataKeys.set(system, keys);
  }
  return keys;
}

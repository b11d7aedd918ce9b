// The paths through which a canonical field's value can reach a client other than the field
// itself, and how each is tied back to that field's class. Everything else is declared (spec or
// @access); these are the places where the class depends on the data or on an argument.
import type { FieldLineage, Conflict } from '../merge/types.ts';
import type { SearchHit } from '../identity/search.ts';
import { searchKind } from '../identity/search.ts';

/**
 * Types whose objects carry one canonical field's value, named by the object itself: `values`
 * answer null with FORBIDDEN when the role may not read that field; `candidates` (lists of
 * Candidate) are handed on redacted, so each candidate's value and rawValue do the same.
 */
export interface KeyedType {
  field: (parent: unknown) => string | null | undefined;
  values: readonly string[];
  candidates: readonly string[];
}

/** The canonical field a search hit matched on. */
export const SEARCH_FIELD: Readonly<Record<SearchHit['matchedOn'], string>> = { email: 'email', phone: 'phone', domain: 'domain', name: 'name' };

export const KEYED_TYPES: Readonly<Record<string, KeyedType>> = {
  FieldLineage: { field: (p) => (p as FieldLineage).field, values: ['value'], candidates: ['candidates'] },
  Conflict: { field: (p) => (p as Conflict).field, values: [], candidates: ['values'] },
  CustomerMatch: { field: (p) => SEARCH_FIELD[(p as { matchedOn: SearchHit['matchedOn'] }).matchedOn], values: ['matchedValue'], candidates: [] },
};

/** What every system says about a field: reached only through a keyed type's `candidates`. */
export const CANDIDATE_TYPE = 'Candidate';
export const CANDIDATE_VALUES: readonly string[] = ['value', 'rawValue'];

/**
 * Fields whose arguments decide which canonical fields they read: the canonical fields a call
 * with these arguments reads. Decided from the arguments alone, before anything runs, so a
 * refusal never depends on (and never reveals) what the call would have found.
 */
export const ARGUMENT_RULES: Readonly<Record<string, (args: Record<string, unknown>) => readonly string[]>> = {
  // An e-mail or phone search is a lookup by that value: the hit says whose it is.
  'Query.searchCustomers': (args) => {
    const kind = searchKind(typeof args['query'] === 'string' ? args['query'] : '');
    return kind === 'email' ? ['email'] : kind === 'phone' ? ['phone'] : ['name', 'domain'];
  },
};

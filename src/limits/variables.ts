// The first check on a request's variables, before anything else reads them: how deep they nest.
// A body of 200 KB (well under the body limit) can nest 100,000 arrays, and everything that walks
// variables walks them by recursion (JSON.stringify in the response cache's key and the cost
// measure, graphql-js' coercion, graphql-jit): past a few thousand levels the stack overflows.
import { VariablesTooDeepError } from './errors.ts';

/**
 * Levels of arrays and objects a request's variables may nest inside the variables object. No
 * input of the schema nests more than a few; the stack holds thousands.
 */
export const MAX_VARIABLES_DEPTH = 64;

/** Whether `value` holds arrays or objects nested more than `levels` deep; it looks no deeper than that. */
function deeperThan(value: unknown, levels: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (levels === 0) return true;
  if (Array.isArray(value)) {
    for (const item of value) if (deeperThan(item, levels - 1)) return true;
    return false;
  }
  for (const key in value) if (deeperThan((value as Record<string, unknown>)[key], levels - 1)) return true;
  return false;
}

/**
 * VARIABLES_TOO_DEEP for variables nested past the limit; null when they fit. `variables` as the
 * request sent them (an object, or whatever else a client sent: it is measured all the same).
 */
export function checkVariables(variables: unknown, limit = MAX_VARIABLES_DEPTH): VariablesTooDeepError | null {
  // The variables object itself is not a level: `{"x": [1]}` nests one.
  return deeperThan(variables, limit + 1) ? new VariablesTooDeepError(limit) : null;
}

// Introspection (`__schema`, `__type`): always for admins; for other roles when
// MERIDIAN_INTROSPECTION=all (the default outside NODE_ENV=production). `__typename` is not introspection.
import { BREAK, GraphQLError, visit, type DocumentNode } from 'graphql';
import { ErrorCode } from '../server/errors.ts';
import type { Principal } from './principal.ts';

const MENTIONS = /\b__(?:schema|type)\b/;

/** Whether the document selects `__schema` or `__type` anywhere (fragments included). */
export function asksIntrospection(source: string, document: DocumentNode): boolean {
  if (!MENTIONS.test(source)) return false; // the usual case, without walking the document
  let found = false;
  visit(document, {
    Field(node) {
      if (node.name.value === '__schema' || node.name.value === '__type') {
        found = true;
        return BREAK;
      }
      return undefined;
    },
  });
  return found;
}

export function introspectionAllowed(principal: Principal, setting: 'admin' | 'all'): boolean {
  return principal.role === 'admin' || (setting === 'all' && principal.role !== null);
}

/**
 * A validation message without graphql-js' suggestions ("Cannot query field "syncOverveiw" on
 * type "Query". Did you mean "syncOverview"?"): for a role that may not introspect, they would
 * spell out the schema it is not shown, a guess at a time.
 */
function withoutSuggestions(message: string): string {
  return message.replace(/ ?Did you mean(.+?)\?$/, '');
}

/** The same, in place, on each of `errors` when `principal` may not introspect. */
export function hideSuggestions(errors: readonly { message: string }[], principal: Principal, setting: 'admin' | 'all'): void {
  if (introspectionAllowed(principal, setting)) return;
  for (const e of errors) e.message = withoutSuggestions(e.message);
}

export function introspectionRefused(): GraphQLError {
  return new GraphQLError('Introspection is for admins on this gateway (MERIDIAN_INTROSPECTION=all opens it to every role)', {
    extensions: { code: ErrorCode.FORBIDDEN, http: { status: 403 } },
  });
}

// The access policy as the matrix tests state it, independently of src/access, and the
// expected answer of a role: the admin's answer with exactly what the role may not read nulled.
// Shared by the in-process matrix (matrix.test.ts) and the HTTP one (matrix-http.test.ts).
import type { Role } from '../../src/access/principal.ts';

export type Class = 'CONTACT' | 'SUPPORT' | 'FINANCIAL' | 'REVIEW' | 'STEWARDSHIP' | 'LINKING' | 'OPERATIONS';

/** The policy this test pins (docs/access.md, Roles). */
export const HOLDS: Record<Role, Class[]> = {
  admin: ['CONTACT', 'SUPPORT', 'FINANCIAL', 'REVIEW', 'STEWARDSHIP', 'LINKING', 'OPERATIONS'],
  steward: ['CONTACT', 'REVIEW', 'STEWARDSHIP', 'LINKING'],
  approver: ['CONTACT', 'FINANCIAL', 'REVIEW'],
  agent: ['CONTACT', 'SUPPORT'],
  reader: [],
  service: ['CONTACT', 'SUPPORT', 'FINANCIAL', 'LINKING', 'OPERATIONS'],
};
export const may = (role: Role, cls: Class): boolean => HOLDS[role].includes(cls);

/** Canonical fields in a class (the field spec); every other canonical field is open to all. */
export const CANONICAL: Record<string, Class> = {
  email: 'CONTACT', phone: 'CONTACT', address: 'CONTACT', billingContact: 'CONTACT',
  contractValue: 'FINANCIAL', accountingStatus: 'FINANCIAL', paymentStatus: 'FINANCIAL',
};
/**
 * Raw values that carry another class's source data (the same source path feeds a field of that
 * class): field → system → class. A candidate's rawValue needs it besides its field's class.
 */
export const RAW: Record<string, Record<string, Class>> = {
  domain: { STRIPE: 'CONTACT', ERP: 'CONTACT' }, // read from the customer's e-mail
  lifecycle: { STRIPE: 'FINANCIAL' }, // read from the subscriptions, prices and all
  currency: { SALESFORCE: 'CONTACT', ERP: 'FINANCIAL' }, // the billing country; the contract's currency column
};
/** Other fields in a class (the schema's @access). */
const FIELDS: Record<string, Class> = {
  'Customer.contacts': 'CONTACT',
  'Customer.tickets': 'SUPPORT', 'Customer.satisfaction': 'SUPPORT',
  'Customer.subscriptions': 'FINANCIAL', 'Customer.invoices': 'FINANCIAL', 'Customer.charges': 'FINANCIAL',
  'Customer.contracts': 'FINANCIAL', 'Customer.payments': 'FINANCIAL', 'Opportunity.amount': 'FINANCIAL',
  'LinkEvidence.email': 'CONTACT',
  'Query.reviewQueue': 'REVIEW',
};
for (const [f, c] of Object.entries(CANONICAL)) FIELDS[`Customer.${f}`] = c;

/** The type of each object-valued field the queries below select. */
const CHILD: Record<string, string> = {
  'Query.customer': 'Customer', 'Query.customers': 'CustomerConnection', 'CustomerConnection.edges': 'CustomerEdge', 'CustomerEdge.node': 'Customer',
  'Query.reviewQueue': 'ReviewItemConnection', 'ReviewItemConnection.edges': 'ReviewItemEdge', 'ReviewItemEdge.node': 'ReviewItem', 'ReviewItem.records': 'ReviewRecord', 'ReviewRecord.customer': 'Customer',
  'Query.searchCustomers': 'CustomerMatch', 'CustomerMatch.customer': 'Customer',
  'Mutation.mergeCustomers': 'Customer', 'Subscription.customerChanged': 'Customer',
  'Customer.lineage': 'FieldLineage', 'FieldLineage.candidates': 'Candidate', 'FieldLineage.conflict': 'Conflict',
  'Customer.conflicts': 'Conflict', 'Conflict.values': 'Candidate',
  'Customer.sources': 'SourceLink', 'SourceLink.evidence': 'LinkEvidence',
  'Customer.opportunities': 'OpportunityConnection', 'OpportunityConnection.edges': 'OpportunityEdge', 'OpportunityEdge.node': 'Opportunity',
};
const MATCHED_ON: Record<string, string> = { email: 'email', phone: 'phone', domain: 'domain', name: 'name' };

/**
 * The admin's answer as `role` must see it: every field of a class the role lacks is null,
 * and `forbidden` lists their paths. Values of a canonical field reach the client through the
 * field itself, its lineage entry (value, candidates), its conflicts and search hits: each is
 * tied to the field's class.
 */
export function expectedFor(role: Role, data: unknown, rootType: string): { data: unknown; forbidden: string[] } {
  const forbidden: string[] = [];
  const walk = (value: unknown, type: string | undefined, path: (string | number)[], deniedField: string | null, ofField: string | null = null): unknown => {
    if (Array.isArray(value)) return value.map((v, i) => walk(v, type, [...path, i], deniedField, ofField));
    if (value === null || typeof value !== 'object' || !type) return value;
    const obj = value as Record<string, unknown>;
    const keyField = type === 'FieldLineage' || type === 'Conflict' ? (obj['field'] as string) : type === 'CustomerMatch' ? MATCHED_ON[obj['matchedOn'] as string]! : null;
    const keyDenied = keyField !== null && CANONICAL[keyField] !== undefined && !may(role, CANONICAL[keyField]);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) {
      const coord = `${type}.${k}`;
      const cls = FIELDS[coord];
      const denied =
        (cls !== undefined && !may(role, cls)) ||
        (keyDenied && ((type === 'FieldLineage' && k === 'value') || (type === 'CustomerMatch' && k === 'matchedValue'))) ||
        (type === 'Candidate' && deniedField !== null && (k === 'value' || k === 'rawValue')) ||
        (type === 'Candidate' && k === 'rawValue' && ofField !== null && RAW[ofField]?.[obj['system'] as string] !== undefined && !may(role, RAW[ofField][obj['system'] as string]!));
      if (denied) {
        out[k] = null;
        forbidden.push([...path, k].join('.'));
        continue;
      }
      const candidates = (type === 'FieldLineage' && k === 'candidates') || (type === 'Conflict' && k === 'values');
      out[k] = walk(v, CHILD[coord], [...path, k], candidates && keyDenied ? keyField : null, candidates ? keyField : null);
    }
    return out;
  };
  return { data: walk(data, rootType, [], null), forbidden: forbidden.sort() };
}

/** Representative reads: every class has something to hide in them. */
export const READS: Record<string, string> = {
  profile: `query($id: ID!) { customer(id: $id) {
    id name company domain website industry employees lifecycle currency accountOwner { name email }
    email phone address { line1 city country } billingContact { name email }
    contractValue { amount currency } accountingStatus paymentStatus
    contacts { name email }
    sources { system externalId matchRule evidence { kind rule email } }
  } }`,
  related: `query($id: ID!) { customer(id: $id) { id
    opportunities(first: 3) { totalCount edges { node { name stage amount { amount } } } }
    tickets(first: 3) { totalCount edges { node { subject status } } }
    satisfaction { good bad }
    subscriptions(first: 3) { totalCount edges { node { status amount { amount } } } }
    invoices(first: 3) { totalCount edges { node { number amount { amount } } } }
    charges(first: 3) { totalCount } contracts(first: 3) { totalCount } payments(first: 3) { totalCount }
  } }`,
  lineage: `query($id: ID!) { customer(id: $id) { id
    lineage { field value source rule candidates { system externalId value rawValue chosen } conflict { field kind values { system value rawValue } } }
    conflicts { field kind values { system value rawValue } }
  } }`,
  list: '{ customers(first: 5) { totalCount edges { node { id name email contractValue { amount } tickets(first: 1) { totalCount } } } } }',
  review: '{ reviewQueue(first: 3) { totalCount edges { node { id status records { system customer { id name email paymentStatus } } } } } customers(first: 1) { totalCount } }',
  searchByName: '{ searchCustomers(query: "a", first: 5) { matchedOn matchedValue customer { id name email } } }',
};

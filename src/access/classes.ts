// The access classes: what a field reveals (CONTACT, SUPPORT, FINANCIAL, REVIEW) or what an
// operation does (STEWARDSHIP, LINKING, OPERATIONS). A field is in at most one class, declared once: a
// canonical Customer field in the field spec (`access`), any other field by the schema's
// `@access(class: …)`. A field in no class is readable by every role. Which role holds which
// class is policy.ts; the enum AccessClass in schema/access.graphql lists the same names.

export const ACCESS_CLASSES = ['CONTACT', 'SUPPORT', 'FINANCIAL', 'REVIEW', 'STEWARDSHIP', 'LINKING', 'OPERATIONS'] as const;
export type AccessClass = (typeof ACCESS_CLASSES)[number];

export function isAccessClass(x: unknown): x is AccessClass {
  return typeof x === 'string' && (ACCESS_CLASSES as readonly string[]).includes(x);
}

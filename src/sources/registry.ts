// The registry: the one list of the systems Meridian connects to. Everything that differs per
// system is in that system's folder (src/sources/<system>/); everything else is derived from
// this list and from the field spec. Adding a system is its folder plus its line here
// (docs/sources/adding-a-system.md).

/** Every system, in the order the merge breaks ties and reports list them. */
export const SYSTEM_IDS = ['salesforce', 'stripe', 'zendesk', 'erp'] as const;

export type SystemId = (typeof SYSTEM_IDS)[number];

// What a field spec may name: field types, normalizers (with the type each yields and the
// input it takes), named survivorship rules and conflict comparators. The merge implements
// each name (its registries are typed against these lists, so a name without an
// implementation does not compile); the spec loader rejects any other name.

export const FIELD_TYPES = ['string', 'int', 'money', 'address', 'contact', 'owner', 'enum'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

export interface NormalizerInfo {
  /** The field type the normalizer yields. */
  output: FieldType;
  /** `scalar`: `path` is one path. Otherwise `path` is an object whose keys are these sub-fields. */
  input: 'scalar' | readonly string[];
  description: string;
}

export const NORMALIZERS = {
  text: { output: 'string', input: 'scalar', description: 'trimmed, whitespace collapsed' },
  companyName: { output: 'string', input: 'scalar', description: 'company display name: legal form and "The … Company" dropped, case fixed, abbreviated last word spelled out' },
  companyNameFromLegalName: { output: 'string', input: 'scalar', description: 'display name from a registered name that ends in its legal form (ERP legal_name)' },
  companyLegalName: { output: 'string', input: 'scalar', description: 'registered name as written, whitespace cleaned' },
  email: { output: 'string', input: 'scalar', description: 'trimmed, lower-cased e-mail' },
  emailDomain: { output: 'string', input: 'scalar', description: 'the domain of an e-mail address, null for free mail' },
  domain: { output: 'string', input: 'scalar', description: 'bare host of a URL or domain (first element of an array)' },
  website: { output: 'string', input: 'scalar', description: 'https://<domain>' },
  phone: { output: 'string', input: 'scalar', description: 'E.164, read in the country of the record\'s address (else the customer\'s, else the default region)' },
  personName: { output: 'string', input: 'scalar', description: 'person name, case fixed, diacritics kept' },
  int: { output: 'int', input: 'scalar', description: 'an integer (number or numeric text)' },
  currency: { output: 'string', input: 'scalar', description: 'ISO 4217, upper case' },
  currencyOfCountry: { output: 'string', input: 'scalar', description: 'the usual currency of a country (use with "inferred": true)' },
  enum: { output: 'enum', input: 'scalar', description: 'UPPER_SNAKE_CASE, one of the field\'s values' },
  lifecycleFromType: { output: 'enum', input: 'scalar', description: 'Salesforce Account.Type: Prospect → PROSPECT, Customer - * → ACTIVE, Former Customer → CHURNED' },
  lifecycleFromContract: { output: 'enum', input: 'scalar', description: 'has an active contract: true → ACTIVE, false → CHURNED' },
  lifecycleFromSubscriptions: { output: 'enum', input: 'scalar', description: 'Stripe subscriptions (non-canceled, as listed): any → ACTIVE, none → no opinion' },
  paymentStatus: { output: 'enum', input: ['delinquent', 'subscriptions'], description: 'Stripe: unpaid → FAILED, past_due or delinquent → PAST_DUE, active/trialing → CURRENT, none → no opinion' },
  address: { output: 'address', input: ['street', 'line1', 'line2', 'city', 'region', 'postalCode', 'country'], description: 'canonical postal address' },
  contact: { output: 'contact', input: ['name', 'firstName', 'lastName', 'email', 'phone', 'title'], description: 'a person: name, e-mail, phone, title' },
  owner: { output: 'owner', input: ['name', 'email'], description: 'the account owner (a user of the source system)' },
  money: { output: 'money', input: ['amount', 'currency'], description: 'decimal amount + ISO currency (currency from the field\'s currencyFrom when the source has none)' },
} as const satisfies Record<string, NormalizerInfo>;
export type NormalizerName = keyof typeof NORMALIZERS;
export const NORMALIZER_NAMES = Object.keys(NORMALIZERS) as NormalizerName[];

/** Survivorship rules registered in code, for what a path and an order cannot say. */
export const NAMED_RULES = {
  lifecycleFromBilling: 'the billing system (`system`, Stripe in the default spec): any live subscription → ACTIVE; a billing customer with none → CHURNED; else the `fallback` systems in order (Salesforce Account Type, then the ERP)',
  paymentStatusFromBilling: 'the billing system (`system`): the worst status over the customer\'s records there (FAILED > PAST_DUE > CURRENT); NONE when it has the customer but nothing is billing; null without it',
} as const;
export type NamedRuleName = keyof typeof NAMED_RULES;
export const NAMED_RULE_NAMES = Object.keys(NAMED_RULES) as NamedRuleName[];

/** How two canonical values are compared for agreement (no conflict when equal). */
export const COMPARATORS = {
  value: 'the whole canonical value',
  emailMatchKey: 'e-mail without +tag',
  companyMatchKey: 'company name without legal form, case or punctuation',
  person: 'the same person: same e-mail, same name, or e-mail local parts that share a name',
} as const;
export type ComparatorName = keyof typeof COMPARATORS;
export const COMPARATOR_NAMES = Object.keys(COMPARATORS) as ComparatorName[];

/**
 * How a golden value is put back into a system's own format when Meridian writes it (a field's
 * `writes`). `input`: the field type it takes. `parts`: 'scalar' (the target is one path) or the
 * sub-fields a target path object may name. Implemented in src/sync/formats.ts.
 */
export interface WriteFormatInfo {
  input: FieldType;
  parts: 'scalar' | readonly string[];
  description: string;
}

export const WRITE_FORMATS = {
  text: { input: 'string', parts: 'scalar', description: 'the canonical text as it is' },
  email: { input: 'string', parts: 'scalar', description: 'the canonical (lower-case) e-mail address' },
  e164: { input: 'string', parts: 'scalar', description: 'the phone number in E.164 (+14155550123), which every system reads unambiguously' },
  address: {
    input: 'address',
    parts: ['street', 'line1', 'line2', 'city', 'region', 'postalCode', 'country'],
    description: 'canonical address parts; street = line 1 and line 2 on two lines (one-street-field systems such as Salesforce Billing*); an absent part is cleared',
  },
} as const satisfies Record<string, WriteFormatInfo>;
export type WriteFormatName = keyof typeof WRITE_FORMATS;
export const WRITE_FORMAT_NAMES = Object.keys(WRITE_FORMATS) as WriteFormatName[];

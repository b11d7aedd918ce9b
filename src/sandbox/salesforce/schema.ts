// The sObjects the emulator knows, described the way Salesforce's describe call does.
// One table drives SOQL field resolution, write validation and the describe answers, so
// they cannot disagree.
// https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_sobject_describe.htm

export type SObjectName = 'Account' | 'Contact' | 'Opportunity' | 'User';

export type FieldType =
  | 'id'
  | 'reference'
  | 'string'
  | 'textarea'
  | 'picklist'
  | 'phone'
  | 'url'
  | 'email'
  | 'int'
  | 'double'
  | 'currency'
  | 'percent'
  | 'boolean'
  | 'date'
  | 'datetime';

export interface FieldDef {
  name: string;
  label: string;
  type: FieldType;
  length?: number;
  nillable: boolean;
  createable: boolean;
  updateable: boolean;
  /** Must be given on create (and cannot be cleared), like `Account.Name`. */
  required?: boolean;
  externalId?: boolean;
  custom?: boolean;
  calculated?: boolean;
  referenceTo?: SObjectName;
  relationshipName?: string;
  picklistValues?: readonly string[];
}

export interface ChildRelationship {
  relationshipName: string;
  childSObject: SObjectName;
  field: string;
  cascadeDelete: boolean;
}

export interface ObjectDef {
  name: SObjectName;
  label: string;
  labelPlural: string;
  keyPrefix: string;
  createable: boolean;
  updateable: boolean;
  deletable: boolean;
  fields: readonly FieldDef[];
  childRelationships: readonly ChildRelationship[];
}

const audit = (): FieldDef[] => [
  { name: 'CreatedDate', label: 'Created Date', type: 'datetime', nillable: false, createable: false, updateable: false },
  { name: 'LastModifiedDate', label: 'Last Modified Date', type: 'datetime', nillable: false, createable: false, updateable: false },
  { name: 'SystemModstamp', label: 'System Modstamp', type: 'datetime', nillable: false, createable: false, updateable: false },
];

const idField = (label: string): FieldDef => ({ name: 'Id', label, type: 'id', length: 18, nillable: false, createable: false, updateable: false });
const isDeleted: FieldDef = { name: 'IsDeleted', label: 'Deleted', type: 'boolean', nillable: false, createable: false, updateable: false };
const text = (name: string, label: string, length = 255, extra: Partial<FieldDef> = {}): FieldDef => ({
  name,
  label,
  type: 'string',
  length,
  nillable: true,
  createable: true,
  updateable: true,
  ...extra,
});
const owner: FieldDef = {
  name: 'OwnerId',
  label: 'Owner ID',
  type: 'reference',
  length: 18,
  nillable: false,
  createable: true,
  updateable: true,
  referenceTo: 'User',
  relationshipName: 'Owner',
};

export const OPPORTUNITY_STAGES: readonly { name: string; probability: number; closed: boolean; won: boolean }[] = [
  { name: 'Prospecting', probability: 10, closed: false, won: false },
  { name: 'Qualification', probability: 10, closed: false, won: false },
  { name: 'Needs Analysis', probability: 20, closed: false, won: false },
  { name: 'Value Proposition', probability: 50, closed: false, won: false },
  { name: 'Id. Decision Makers', probability: 60, closed: false, won: false },
  { name: 'Perception Analysis', probability: 70, closed: false, won: false },
  { name: 'Proposal/Price Quote', probability: 75, closed: false, won: false },
  { name: 'Negotiation/Review', probability: 90, closed: false, won: false },
  { name: 'Closed Won', probability: 100, closed: true, won: true },
  { name: 'Closed Lost', probability: 0, closed: true, won: false },
];

export const OBJECTS: Record<SObjectName, ObjectDef> = {
  Account: {
    name: 'Account',
    label: 'Account',
    labelPlural: 'Accounts',
    keyPrefix: '001',
    createable: true,
    updateable: true,
    deletable: true,
    fields: [
      idField('Account ID'),
      isDeleted,
      text('Name', 'Account Name', 255, { nillable: false, required: true }),
      { ...text('Type', 'Account Type', 255), type: 'picklist', picklistValues: ['Prospect', 'Customer - Direct', 'Customer - Channel', 'Former Customer', 'Other'] },
      { ...text('Industry', 'Industry', 255), type: 'picklist' },
      { ...text('Phone', 'Account Phone', 40), type: 'phone' },
      { ...text('Website', 'Website', 255), type: 'url' },
      { name: 'NumberOfEmployees', label: 'Employees', type: 'int', nillable: true, createable: true, updateable: true },
      { name: 'AnnualRevenue', label: 'Annual Revenue', type: 'currency', nillable: true, createable: true, updateable: true },
      { ...text('BillingStreet', 'Billing Street', 255), type: 'textarea' },
      text('BillingCity', 'Billing City', 40),
      text('BillingState', 'Billing State/Province', 80),
      text('BillingPostalCode', 'Billing Zip/Postal Code', 20),
      text('BillingCountry', 'Billing Country', 80),
      owner,
      text('Stripe_Customer_Id__c', 'Stripe Customer Id', 255, { custom: true }),
      text('ERP_Customer_Number__c', 'ERP Customer Number', 255, { custom: true }),
      text('Zendesk_Organization_Id__c', 'Zendesk Organization Id', 255, { custom: true }),
      // External id but not unique: two Accounts can carry one value, which is what makes
      // an upsert answer 300 Multiple Choices.
      text('Meridian_Id__c', 'Meridian Id', 255, { custom: true, externalId: true }),
      // Set by a merge on the losing (deleted) account; points at the survivor.
      {
        name: 'MasterRecordId',
        label: 'Master Record ID',
        type: 'reference',
        length: 18,
        nillable: true,
        createable: false,
        updateable: false,
        referenceTo: 'Account',
        relationshipName: 'MasterRecord',
      },
      ...audit(),
    ],
    childRelationships: [
      { relationshipName: 'Contacts', childSObject: 'Contact', field: 'AccountId', cascadeDelete: true },
      { relationshipName: 'Opportunities', childSObject: 'Opportunity', field: 'AccountId', cascadeDelete: true },
    ],
  },
  Contact: {
    name: 'Contact',
    label: 'Contact',
    labelPlural: 'Contacts',
    keyPrefix: '003',
    createable: true,
    updateable: true,
    deletable: true,
    fields: [
      idField('Contact ID'),
      isDeleted,
      {
        name: 'AccountId',
        label: 'Account ID',
        type: 'reference',
        length: 18,
        nillable: true,
        createable: true,
        updateable: true,
        referenceTo: 'Account',
        relationshipName: 'Account',
      },
      text('FirstName', 'First Name', 40),
      text('LastName', 'Last Name', 80, { nillable: false, required: true }),
      text('Name', 'Full Name', 121, { nillable: false, createable: false, updateable: false, calculated: true }),
      { ...text('Email', 'Email', 80), type: 'email' },
      { ...text('Phone', 'Business Phone', 40), type: 'phone' },
      text('Title', 'Title', 128),
      { ...text('MailingStreet', 'Mailing Street', 255), type: 'textarea' },
      text('MailingCity', 'Mailing City', 40),
      text('MailingState', 'Mailing State/Province', 80),
      text('MailingPostalCode', 'Mailing Zip/Postal Code', 20),
      text('MailingCountry', 'Mailing Country', 80),
      owner,
      ...audit(),
    ],
    childRelationships: [],
  },
  Opportunity: {
    name: 'Opportunity',
    label: 'Opportunity',
    labelPlural: 'Opportunities',
    keyPrefix: '006',
    createable: true,
    updateable: true,
    deletable: true,
    fields: [
      idField('Opportunity ID'),
      isDeleted,
      {
        name: 'AccountId',
        label: 'Account ID',
        type: 'reference',
        length: 18,
        nillable: true,
        createable: true,
        updateable: true,
        referenceTo: 'Account',
        relationshipName: 'Account',
      },
      text('Name', 'Name', 120, { nillable: false, required: true }),
      { ...text('StageName', 'Stage', 255, { nillable: false, required: true }), type: 'picklist', picklistValues: OPPORTUNITY_STAGES.map((s) => s.name) },
      { name: 'Amount', label: 'Amount', type: 'currency', nillable: true, createable: true, updateable: true },
      { name: 'CloseDate', label: 'Close Date', type: 'date', nillable: false, createable: true, updateable: true, required: true },
      { name: 'IsClosed', label: 'Closed', type: 'boolean', nillable: false, createable: false, updateable: false, calculated: true },
      { name: 'IsWon', label: 'Won', type: 'boolean', nillable: false, createable: false, updateable: false, calculated: true },
      { name: 'Probability', label: 'Probability (%)', type: 'percent', nillable: true, createable: true, updateable: true },
      owner,
      ...audit(),
    ],
    childRelationships: [],
  },
  User: {
    name: 'User',
    label: 'User',
    labelPlural: 'Users',
    keyPrefix: '005',
    createable: false,
    updateable: false,
    deletable: false,
    fields: [
      idField('User ID'),
      text('Name', 'Full Name', 121, { nillable: false, createable: false, updateable: false }),
      { ...text('Email', 'Email', 128, { nillable: false, createable: false, updateable: false }), type: 'email' },
      text('Username', 'Username', 80, { nillable: false, createable: false, updateable: false }),
      { name: 'IsActive', label: 'Active', type: 'boolean', nillable: false, createable: false, updateable: false },
      ...audit(),
    ],
    childRelationships: [],
  },
};

export const OBJECT_NAMES = Object.keys(OBJECTS) as SObjectName[];
/** Objects whose changes Meridian hears about (outbound messages, updated/deleted feeds). */
export const TRACKED_OBJECTS: readonly SObjectName[] = ['Account', 'Contact', 'Opportunity'];

/** Salesforce names are case-insensitive: `account`, `ACCOUNT` and `Account` are one object. */
export function findObject(name: string): ObjectDef | undefined {
  const lower = name.toLowerCase();
  return OBJECT_NAMES.map((n) => OBJECTS[n]).find((o) => o.name.toLowerCase() === lower);
}

export function findField(obj: ObjectDef, name: string): FieldDef | undefined {
  const lower = name.toLowerCase();
  return obj.fields.find((f) => f.name.toLowerCase() === lower);
}

/** The field whose relationship name is `name` (`Owner` → OwnerId). */
export function findRelationship(obj: ObjectDef, name: string): FieldDef | undefined {
  const lower = name.toLowerCase();
  return obj.fields.find((f) => f.relationshipName?.toLowerCase() === lower);
}

export function findChildRelationship(obj: ObjectDef, name: string): ChildRelationship | undefined {
  const lower = name.toLowerCase();
  return obj.childRelationships.find((c) => c.relationshipName.toLowerCase() === lower);
}

export function objectForId(id: string): ObjectDef | undefined {
  const prefix = id.slice(0, 3);
  return OBJECT_NAMES.map((n) => OBJECTS[n]).find((o) => o.keyPrefix === prefix);
}

const SOAP_TYPES: Record<FieldType, string> = {
  id: 'tns:ID',
  reference: 'tns:ID',
  string: 'xsd:string',
  textarea: 'xsd:string',
  picklist: 'xsd:string',
  phone: 'xsd:string',
  url: 'xsd:string',
  email: 'xsd:string',
  int: 'xsd:int',
  double: 'xsd:double',
  currency: 'xsd:double',
  percent: 'xsd:double',
  boolean: 'xsd:boolean',
  date: 'xsd:date',
  datetime: 'xsd:dateTime',
};

export function isNumericType(t: FieldType): boolean {
  return t === 'int' || t === 'double' || t === 'currency' || t === 'percent';
}

export function isTextType(t: FieldType): boolean {
  return t === 'string' || t === 'textarea' || t === 'picklist' || t === 'phone' || t === 'url' || t === 'email';
}

function describeField(f: FieldDef): Record<string, unknown> {
  const numeric = isNumericType(f.type);
  return {
    name: f.name,
    label: f.label,
    type: f.type,
    soapType: SOAP_TYPES[f.type],
    length: f.length ?? 0,
    byteLength: (f.length ?? 0) * 3,
    digits: f.type === 'int' ? 8 : 0,
    precision: numeric && f.type !== 'int' ? 18 : 0,
    scale: numeric && f.type !== 'int' ? 2 : 0,
    nillable: f.nillable,
    createable: f.createable,
    updateable: f.updateable,
    custom: f.custom ?? false,
    calculated: f.calculated ?? false,
    externalId: f.externalId ?? false,
    idLookup: f.type === 'id' || (f.externalId ?? false) || f.type === 'email',
    unique: false,
    caseSensitive: false,
    defaultedOnCreate: !f.createable || f.name === 'OwnerId',
    filterable: f.type !== 'textarea',
    sortable: f.type !== 'textarea',
    groupable: f.type !== 'textarea' && f.type !== 'datetime' && !numeric,
    nameField: f.name === 'Name',
    referenceTo: f.referenceTo ? [f.referenceTo] : [],
    relationshipName: f.relationshipName ?? null,
    relationshipOrder: null,
    cascadeDelete: false,
    restrictedPicklist: false,
    picklistValues: (f.picklistValues ?? []).map((v) => ({ active: true, defaultValue: false, label: v, validFor: null, value: v })),
    defaultValue: null,
    inlineHelpText: null,
  };
}

function objectUrls(base: string, o: ObjectDef): Record<string, string> {
  return {
    sobject: `${base}/sobjects/${o.name}`,
    describe: `${base}/sobjects/${o.name}/describe`,
    rowTemplate: `${base}/sobjects/${o.name}/{ID}`,
  };
}

function globalEntry(base: string, o: ObjectDef): Record<string, unknown> {
  return {
    name: o.name,
    label: o.label,
    labelPlural: o.labelPlural,
    keyPrefix: o.keyPrefix,
    custom: false,
    customSetting: false,
    createable: o.createable,
    updateable: o.updateable,
    deletable: o.deletable,
    undeletable: o.deletable,
    queryable: true,
    retrieveable: true,
    searchable: true,
    triggerable: o.name !== 'User',
    replicateable: true,
    layoutable: true,
    mergeable: o.name !== 'Opportunity' && o.name !== 'User',
    feedEnabled: true,
    urls: objectUrls(base, o),
  };
}

/** `GET …/sobjects/{T}/describe`; `base` is `/services/data/vXX.X`. */
export function describeObject(base: string, o: ObjectDef): Record<string, unknown> {
  return {
    ...globalEntry(base, o),
    fields: o.fields.map(describeField),
    childRelationships: o.childRelationships.map((c) => ({
      cascadeDelete: c.cascadeDelete,
      childSObject: c.childSObject,
      deprecatedAndHidden: false,
      field: c.field,
      junctionIdListNames: [],
      junctionReferenceTo: [],
      relationshipName: c.relationshipName,
      restrictedDelete: false,
    })),
    recordTypeInfos: [],
    supportedScopes: [{ label: 'All', name: 'everything' }, { label: 'Mine', name: 'mine' }],
  };
}

/** `GET …/sobjects` (describeGlobal). */
export function describeGlobal(base: string): Record<string, unknown> {
  return { encoding: 'UTF-8', maxBatchSize: 200, sobjects: OBJECT_NAMES.map((n) => globalEntry(base, OBJECTS[n])) };
}

/** `GET …/sobjects/{T}` (basic information). */
export function describeBasic(base: string, o: ObjectDef): Record<string, unknown> {
  return { objectDescribe: globalEntry(base, o), recentItems: [] };
}

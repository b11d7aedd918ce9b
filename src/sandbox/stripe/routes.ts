// The Stripe v1 endpoints Meridian's connector calls, answered from the store. Each handler
// names the API reference page it follows; the shared wrapper does what every endpoint does
// (authentication, parameter parsing, idempotency, Request-Id and Stripe-Version headers,
// Stripe's error envelope).
import { Buffer } from 'node:buffer';
import type { EmulatorRequest, EmulatorResponse } from '../kit/server.ts';
import { Router } from '../kit/server.ts';
import { firstIndexWhere } from '../kit/search.ts';
import type { StripeAddress, StripeCustomer, StripeInvoice } from '../world/types.ts';
import { invalidRequest, resourceMissing, StripeApiError } from './errors.ts';
import { inRange, Params, parseForm } from './form.ts';
import type { FormObject, RangeFilter } from './form.ts';
import { fingerprint } from './idempotency.ts';
import type { IdempotencyCache } from './idempotency.ts';
import { matchesSearch, parseSearchQuery, SearchQueryError } from './search.ts';
import type { SearchFieldKind } from './search.ts';
import { newestFirst, renderObject } from './store.ts';
import type { ChangeContext, CustomerInput, Entry, StripeObjectKind, StripeObjects, StripeStore } from './store.ts';

export interface RouteDeps {
  store: StripeStore;
  apiKey: string;
  idempotency: IdempotencyCache;
}

interface Call {
  req: EmulatorRequest;
  params: Params;
  change: ChangeContext;
}

interface Result {
  status?: number;
  body: unknown;
  /** Records returned or written, for the request log. */
  batchSize?: number;
}

type Json = Record<string, unknown>;

/** Stripe's name for each kind in "No such …" messages. */
const OBJECT_NAME: Record<StripeObjectKind | 'event', string> = {
  customer: 'customer',
  subscription: 'subscription',
  invoice: 'invoice',
  invoice_payment: 'invoice_payment',
  charge: 'charge',
  payment_method: 'PaymentMethod',
  event: 'event',
};

// ---------- authentication ----------

/** Stripe shows the key's prefix and last four characters, the rest as stars. */
export function maskKey(key: string): string {
  if (key.length <= 12) return '*'.repeat(key.length);
  const head = /^(sk|rk|pk)_(test|live)_/.exec(key)?.[0] ?? key.slice(0, 3);
  return `${head}${'*'.repeat(Math.max(0, key.length - head.length - 4))}${key.slice(-4)}`;
}

// https://docs.stripe.com/api/authentication — Bearer, or Basic with the key as user name.
function authenticate(req: EmulatorRequest, apiKey: string): void {
  const header = req.headers.authorization;
  const unauthorized = (message: string): StripeApiError =>
    new StripeApiError(401, { type: 'invalid_request_error', message }, { 'www-authenticate': 'Bearer realm="Stripe"' });
  if (header === undefined || header.trim() === '') {
    throw unauthorized(
      "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.",
    );
  }
  let key: string;
  const [scheme, value = ''] = header.trim().split(/\s+/, 2);
  if (scheme?.toLowerCase() === 'bearer') key = value;
  else if (scheme?.toLowerCase() === 'basic') key = Buffer.from(value, 'base64').toString('utf8').split(':')[0] ?? '';
  else throw unauthorized('Invalid authorization header. Use Bearer auth: `Authorization: Bearer YOUR_SECRET_KEY`.');
  if (key !== apiKey) throw unauthorized(`Invalid API Key provided: ${maskKey(key)}`);
}

// ---------- versioning: https://docs.stripe.com/api/versioning ----------

/** `YYYY-MM-DD` or `YYYY-MM-DD.<release name>`, as Stripe names its API versions. */
const API_VERSION_RE = /^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$/;

/**
 * The version a request asks for in `Stripe-Version` (echoed on the answer), else the
 * account's. Objects are always rendered in the account version's shape: no transforms.
 */
function requestedVersion(req: EmulatorRequest, accountVersion: string): { version: string; error?: StripeApiError } {
  const raw = req.headers['stripe-version'];
  if (typeof raw !== 'string' || raw.trim() === '') return { version: accountVersion };
  const version = raw.trim();
  if (!API_VERSION_RE.test(version) || Number.isNaN(Date.parse(version.slice(0, 10)))) {
    return { version: accountVersion, error: invalidRequest(`Invalid Stripe API version: ${version}`) };
  }
  return { version };
}

/** The subscription an invoice was generated for (`invoice.parent.subscription_details`). */
function invoiceSubscription(inv: StripeInvoice): string | null {
  return inv.parent?.subscription_details?.subscription ?? null;
}

// ---------- expansion: https://docs.stripe.com/api/expanding_objects ----------

const EXPANDABLE: Record<StripeObjectKind, Record<string, StripeObjectKind>> = {
  customer: { 'invoice_settings.default_payment_method': 'payment_method' },
  subscription: { customer: 'customer' },
  invoice: { customer: 'customer', 'parent.subscription_details.subscription': 'subscription' },
  invoice_payment: { invoice: 'invoice', 'payment.charge': 'charge' },
  charge: { customer: 'customer' },
  payment_method: { customer: 'customer' },
};
/**
 * Includable lists: absent from the object unless expanded (`expand[]=payments` on an
 * invoice gives its invoice payments, up to this many, as a list).
 */
const INCLUDABLE: Partial<Record<StripeObjectKind, Record<string, StripeObjectKind>>> = {
  invoice: { payments: 'invoice_payment' },
  // https://docs.stripe.com/api/customers/object#customer_object-subscriptions — the customer's
  // current subscriptions (canceled and incomplete_expired left out), not included by default
  // since 2020-08-27.
  customer: { subscriptions: 'subscription' },
};
const INCLUDED_LIST_LIMIT = 10;
const MAX_EXPAND_DEPTH = 4;

function cannotExpand(path: string, hint?: string): StripeApiError {
  return invalidRequest(`This property cannot be expanded (${path}).${hint ?? ''}`);
}

/** Checks a path against the object types (so an empty page still rejects a bad path). */
function checkExpandPath(kind: StripeObjectKind, segs: string[], full: string): void {
  if (segs.length === 0 || full.split('.').length > MAX_EXPAND_DEPTH + 1) throw cannotExpand(full);
  if (segs.length === 1 && INCLUDABLE[kind]?.[segs[0]!]) return;
  for (let k = segs.length; k > 0; k--) {
    const target = EXPANDABLE[kind][segs.slice(0, k).join('.')];
    if (target) {
      if (k < segs.length) checkExpandPath(target, segs.slice(k), full);
      return;
    }
  }
  throw cannotExpand(full);
}

function loadExpanded(store: StripeStore, kind: StripeObjectKind, id: string): Json | string {
  if (kind === 'customer' && store.isDeletedCustomer(id)) return { id, object: 'customer', deleted: true };
  const e = store.entry(kind, id);
  return e ? renderObject(kind, e.obj) : id;
}

function applyExpandPath(store: StripeStore, obj: Json, segs: string[]): void {
  const kind = obj.object as StripeObjectKind;
  const included = segs.length === 1 ? INCLUDABLE[kind]?.[segs[0]!] : undefined;
  if (included === 'invoice_payment' && typeof obj.id === 'string') {
    const id = obj.id;
    const all = store.entriesWith('invoice_payment', 'invoice', id);
    obj[segs[0]!] = {
      object: 'list',
      data: all.slice(0, INCLUDED_LIST_LIMIT).map((e) => renderObject('invoice_payment', e.obj)),
      has_more: all.length > INCLUDED_LIST_LIMIT,
      url: `/v1/invoice_payments?invoice=${id}`,
    };
    return;
  }
  if (included === 'subscription' && typeof obj.id === 'string') {
    const id = obj.id;
    const current = store.entriesWith('subscription', 'customer', id).filter((e) => !['canceled', 'incomplete_expired'].includes(e.obj.status));
    obj[segs[0]!] = {
      object: 'list',
      data: current.slice(0, INCLUDED_LIST_LIMIT).map((e) => renderObject('subscription', e.obj)),
      has_more: current.length > INCLUDED_LIST_LIMIT,
      url: `/v1/customers/${id}/subscriptions`,
    };
    return;
  }
  const table = EXPANDABLE[kind] as Record<string, StripeObjectKind> | undefined;
  if (!table) return;
  for (let k = segs.length; k > 0; k--) {
    const fieldPath = segs.slice(0, k);
    const target = table[fieldPath.join('.')];
    if (!target) continue;
    let holder: unknown = obj;
    for (const seg of fieldPath.slice(0, -1)) holder = isJson(holder) ? holder[seg] : undefined;
    const last = fieldPath[fieldPath.length - 1]!;
    if (!isJson(holder)) return;
    const value = holder[last];
    if (typeof value === 'string') holder[last] = loadExpanded(store, target, value);
    const expanded = holder[last];
    if (k < segs.length && isJson(expanded)) applyExpandPath(store, expanded, segs.slice(k));
    return;
  }
}

function isJson(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function expandOne(store: StripeStore, kind: StripeObjectKind, obj: Json, expand: string[]): Json {
  for (const path of expand) {
    if (path.startsWith('data.')) throw cannotExpand(path);
    checkExpandPath(kind, path.split('.'), path);
    applyExpandPath(store, obj, path.split('.'));
  }
  return obj;
}

/** List and search answers take `data.<path>`; search also takes `total_count`. */
function listExpansions(kind: StripeObjectKind, expand: string[], allowTotalCount: boolean): string[][] {
  const out: string[][] = [];
  for (const path of expand) {
    if (allowTotalCount && path === 'total_count') continue;
    const segs = path.split('.');
    if (segs[0] !== 'data') throw cannotExpand(path, ` You may want to try expanding 'data.${path}' instead.`);
    checkExpandPath(kind, segs.slice(1), path);
    out.push(segs.slice(1));
  }
  return out;
}

// ---------- lists: https://docs.stripe.com/api/pagination ----------

interface ListOptions<K extends StripeObjectKind> {
  kind: K;
  url: string;
  /** Newest first. */
  entries: readonly Entry<StripeObjects[K]>[];
}

function listAnswer<K extends StripeObjectKind>(store: StripeStore, call: Call, o: ListOptions<K>): Result {
  const p = call.params;
  const limit = p.integer('limit', { min: 1, max: 100 }) ?? 10;
  const expand = p.stringList('expand') ?? [];
  const paths = listExpansions(o.kind, expand, false);
  const { data, hasMore } = page(store, p, o.entries, o.kind, limit);
  const rendered = data.map((e) => {
    const json = renderObject(o.kind, e.obj);
    for (const segs of paths) applyExpandPath(store, json, segs);
    return json;
  });
  return { body: { object: 'list', data: rendered, has_more: hasMore, url: o.url }, batchSize: rendered.length };
}

/**
 * One page of a newest-first list around a cursor. The cursor may name an object outside the
 * filtered list (or a deleted customer): its place in time is what counts, as in the real API.
 */
function page<T extends { created: number }>(
  store: StripeStore,
  p: Params,
  entries: readonly Entry<T>[],
  kind: StripeObjectKind | 'event',
  limit: number,
): { data: Entry<T>[]; hasMore: boolean } {
  const after = p.string('starting_after');
  const before = p.string('ending_before');
  if (after && before) {
    throw invalidRequest('You may only specify one of these parameters: ending_before, starting_after.', { param: 'ending_before' });
  }
  const cursorOf = (id: string, param: string): Entry<{ created: number }> => {
    const c = store.anyEntry(id);
    if (!c) throw resourceMissing(OBJECT_NAME[kind], id, param);
    return c;
  };
  if (after) {
    // The list is in newest-first order: the cursor's place is found by binary search, so a
    // page deep into a large list costs its own rows.
    const cursor = cursorOf(after, 'starting_after');
    const start = firstIndexWhere(entries, (e) => newestFirst(e, cursor) > 0);
    return { data: entries.slice(start, start + limit), hasMore: entries.length - start > limit };
  }
  if (before) {
    const cursor = cursorOf(before, 'ending_before');
    const end = firstIndexWhere(entries, (e) => newestFirst(e, cursor) >= 0);
    return { data: entries.slice(Math.max(0, end - limit), end), hasMore: end > limit };
  }
  return { data: entries.slice(0, limit), hasMore: entries.length > limit };
}

// ---------- search: https://docs.stripe.com/search ----------

interface SearchField<T> {
  kind: SearchFieldKind;
  read: (obj: T, metadataKey: string | undefined) => string | number | null | undefined;
}
type SearchFields<T> = Record<string, SearchField<T>>;

const metadataField = <T extends { metadata: Record<string, string> }>(): SearchField<T> => ({
  kind: 'token',
  read: (o, key) => (key === undefined ? undefined : o.metadata[key]),
});

const SEARCH_FIELDS: { [K in 'customer' | 'subscription' | 'invoice' | 'charge']: SearchFields<StripeObjects[K]> } = {
  customer: {
    created: { kind: 'numeric', read: (c) => c.created },
    email: { kind: 'string', read: (c) => c.email },
    metadata: metadataField(),
    name: { kind: 'string', read: (c) => c.name },
    phone: { kind: 'string', read: (c) => c.phone },
  },
  subscription: {
    created: { kind: 'numeric', read: (s) => s.created },
    metadata: metadataField(),
    status: { kind: 'token', read: (s) => s.status },
  },
  invoice: {
    created: { kind: 'numeric', read: (i) => i.created },
    currency: { kind: 'token', read: (i) => i.currency },
    customer: { kind: 'token', read: (i) => i.customer },
    metadata: metadataField(),
    number: { kind: 'string', read: (i) => i.number },
    status: { kind: 'token', read: (i) => i.status },
    subscription: { kind: 'token', read: (i) => invoiceSubscription(i) },
    total: { kind: 'numeric', read: (i) => i.total },
  },
  charge: {
    amount: { kind: 'numeric', read: (c) => c.amount },
    created: { kind: 'numeric', read: (c) => c.created },
    currency: { kind: 'token', read: (c) => c.currency },
    customer: { kind: 'token', read: (c) => c.customer },
    metadata: metadataField(),
    refunded: { kind: 'token', read: (c) => String(c.refunded) },
    status: { kind: 'token', read: (c) => c.status },
  },
};

const RESOURCE_NAME = { customer: 'customers', subscription: 'subscriptions', invoice: 'invoices', charge: 'charges' } as const;

/** Page tokens are opaque to clients; here they carry the offset and which query they belong to. */
function encodePage(query: string, offset: number): string {
  return `page_${Buffer.from(JSON.stringify([offset, query])).toString('base64url')}`;
}

function decodePage(token: string, query: string): number {
  const bad = invalidRequest(`Invalid page: ${token}`, { param: 'page' });
  if (!token.startsWith('page_')) throw bad;
  try {
    const v: unknown = JSON.parse(Buffer.from(token.slice(5), 'base64url').toString('utf8'));
    if (Array.isArray(v) && Number.isSafeInteger(v[0]) && (v[0] as number) >= 0 && v[1] === query) return v[0] as number;
  } catch {
    // falls through to the error below
  }
  throw bad;
}

function searchAnswer<K extends keyof typeof SEARCH_FIELDS>(store: StripeStore, call: Call, kind: K): Result {
  const p = call.params;
  const query = p.string('query', { required: true })!;
  const limit = p.integer('limit', { min: 1, max: 100 }) ?? 10;
  const pageToken = p.string('page');
  const expand = p.stringList('expand') ?? [];
  const paths = listExpansions(kind, expand, true);
  const fields = SEARCH_FIELDS[kind] as SearchFields<StripeObjects[K]>;
  const kinds = Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, f.kind]));
  let parsed;
  try {
    parsed = parseSearchQuery(query, kinds, RESOURCE_NAME[kind]);
  } catch (e) {
    if (e instanceof SearchQueryError) throw invalidRequest(e.message, { param: 'query' });
    throw e;
  }
  const offset = pageToken ? decodePage(pageToken, query) : 0;
  const hits = store
    .entries(kind)
    .filter((e) => matchesSearch(parsed, kinds, (field, key) => fields[field]?.read(e.obj, key)));
  const slice = hits.slice(offset, offset + limit);
  const hasMore = offset + limit < hits.length;
  const data = slice.map((e) => {
    const json = renderObject(kind, e.obj);
    for (const segs of paths) applyExpandPath(store, json, segs);
    return json;
  });
  const body: Json = {
    object: 'search_result',
    data,
    has_more: hasMore,
    next_page: hasMore ? encodePage(query, offset + limit) : null,
    url: `/v1/${RESOURCE_NAME[kind]}/search`,
  };
  if (expand.includes('total_count')) body.total_count = hits.length;
  return { body, batchSize: data.length };
}

// ---------- customers: https://docs.stripe.com/api/customers ----------

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function readMetadata(p: Params): Record<string, string> | null | undefined {
  const m = p.stringMap('metadata');
  if (!m) return m;
  // https://docs.stripe.com/api/metadata — 50 keys, 40-character keys, 500-character values.
  if (Object.keys(m).length > 50) throw invalidRequest('You can have at most 50 metadata keys.', { param: 'metadata' });
  for (const [k, v] of Object.entries(m)) {
    if (k.length > 40) {
      throw invalidRequest(`Metadata keys can have up to 40 characters, but you passed in a key that is ${k.length} characters. Invalid key: ${k}`, { param: `metadata[${k}]` });
    }
    if (v.length > 500) {
      throw invalidRequest(`Metadata values can have up to 500 characters, but you passed in a value that is ${v.length} characters. Invalid value: ${v.slice(0, 50)}...`, { param: `metadata[${k}]` });
    }
  }
  return m;
}

function readAddress(p: Params): StripeAddress | null | undefined {
  const a = p.object('address');
  if (!a) return a;
  const field = (k: string): string | null => a.string(k, { nullable: true, maxLength: 5000 }) ?? null;
  return { line1: field('line1'), line2: field('line2'), city: field('city'), state: field('state'), postal_code: field('postal_code'), country: field('country') };
}

function readCustomerInput(store: StripeStore, p: Params, customerId: string | null): CustomerInput {
  const input: CustomerInput = {};
  const name = p.string('name', { nullable: true, maxLength: 256 });
  if (name !== undefined) input.name = name;
  const email = p.string('email', { nullable: true, maxLength: 512 });
  if (typeof email === 'string' && !EMAIL_RE.test(email)) {
    throw invalidRequest(`Invalid email address: ${email}`, { code: 'email_invalid', param: 'email' });
  }
  if (email !== undefined) input.email = email;
  const phone = p.string('phone', { nullable: true, maxLength: 20 });
  if (phone !== undefined) input.phone = phone;
  const description = p.string('description', { nullable: true, maxLength: 350 });
  if (description !== undefined) input.description = description;
  const address = readAddress(p);
  if (address !== undefined) input.address = address;
  const balance = p.integer('balance');
  if (typeof balance === 'number') input.balance = balance;
  const metadata = readMetadata(p);
  if (metadata !== undefined) input.metadata = metadata;
  const settings = p.object('invoice_settings');
  if (settings) {
    const pm = settings.string('default_payment_method', { nullable: true });
    if (pm) {
      const found = store.entry('payment_method', pm);
      const param = 'invoice_settings[default_payment_method]';
      if (!found) throw resourceMissing('PaymentMethod', pm, param);
      if (found.obj.customer !== customerId) {
        throw invalidRequest(`The customer does not have a payment method with the ID ${pm}. The payment method must be attached to the customer.`, { param });
      }
    }
    if (pm !== undefined) input.invoice_settings = { default_payment_method: pm };
  }
  for (const path of p.stringList('expand') ?? []) checkExpandPath('customer', path.split('.'), path);
  return input;
}

function customerJson(store: StripeStore, c: StripeCustomer, p: Params): Json {
  return expandOne(store, 'customer', renderObject('customer', c), p.stringList('expand') ?? []);
}

function liveCustomer(store: StripeStore, id: string, param = 'id'): StripeCustomer {
  const e = store.entry('customer', id);
  if (!e) throw resourceMissing('customer', id, param);
  return e.obj;
}

/** A list filter naming a customer must name one that exists (or existed). */
function checkCustomerFilter(store: StripeStore, id: string | null | undefined): void {
  if (id && !store.entry('customer', id) && !store.isDeletedCustomer(id)) throw resourceMissing('customer', id, 'customer');
}

// ---------- the router ----------

const SUBSCRIPTION_STATUSES = ['active', 'past_due', 'unpaid', 'canceled', 'incomplete', 'incomplete_expired', 'trialing', 'paused', 'all', 'ended'];
const INVOICE_STATUSES = ['draft', 'open', 'paid', 'uncollectible', 'void'];
const INVOICE_PAYMENT_STATUSES = ['canceled', 'open', 'paid'];

/** A subscription matches a period filter when the min (or max) over its items is in range. */
function itemPeriodIn(values: number[], pick: (...v: number[]) => number, r: RangeFilter | undefined): boolean {
  if (r === undefined) return true;
  return values.length > 0 && inRange(pick(...values), r);
}

function oneOf(p: Params, key: string, allowed: string[]): string | undefined {
  const v = p.string(key) ?? undefined;
  if (v !== undefined && !allowed.includes(v)) {
    throw invalidRequest(`Invalid ${key}: must be one of ${allowed.slice(0, -1).join(', ')}, or ${allowed[allowed.length - 1]}`, { param: key });
  }
  return v;
}

export function buildRouter(deps: RouteDeps): Router {
  const { store, apiKey, idempotency } = deps;
  const router = new Router();
  const paths = new Map<string, Set<string>>();

  const add = (method: string, path: string, operation: string, handler: (call: Call) => Result): void => {
    const methods = paths.get(path) ?? new Set();
    methods.add(method);
    paths.set(path, methods);
    router.add(method, path, operation, (req) => run(req, handler));
  };

  const run = (req: EmulatorRequest, handler: (call: Call) => Result): EmulatorResponse => {
    const requestId = store.newId('req');
    const { version, error: versionError } = requestedVersion(req, store.apiVersion);
    const rawKey = req.headers['idempotency-key'];
    const idemKey = req.method === 'POST' && typeof rawKey === 'string' && rawKey !== '' ? rawKey : null;
    const headers: Record<string, string> = { 'request-id': requestId, 'stripe-version': version };
    if (idemKey) headers['idempotency-key'] = idemKey;
    const endpoint = `${req.method} ${req.path}`;
    let print = '';
    try {
      authenticate(req, apiKey);
      if (versionError) throw versionError;
      const form: FormObject = { ...parseForm(req.url.search.slice(1)) };
      if (req.method === 'POST') Object.assign(form, parseForm(req.rawBody.toString('utf8')));
      if (idemKey) {
        if (idemKey.length > 255) {
          throw invalidRequest('Idempotency-Key must be at most 255 characters long.', { param: 'Idempotency-Key' });
        }
        print = fingerprint(form);
        const saved = idempotency.lookup(idemKey, endpoint, print);
        if (saved) {
          return { ...saved, headers: { ...saved.headers, 'request-id': requestId, 'idempotent-replayed': 'true' } };
        }
      }
      const params = new Params(form);
      const result = handler({ req, params, change: { requestId, idempotencyKey: idemKey } });
      params.assertNoUnknown();
      req.meta.batchSize = result.batchSize ?? null;
      const out: EmulatorResponse = { status: result.status ?? 200, headers, body: result.body };
      if (idemKey) idempotency.save(idemKey, endpoint, print, out);
      return out;
    } catch (e) {
      if (!(e instanceof StripeApiError)) throw e;
      const out = { status: e.status, headers: { ...headers, ...e.headers }, body: { error: e.body } };
      // Errors found while validating parameters (400) or authenticating (401) are not saved;
      // anything later (404 on a missing object …) is, like a success.
      if (idemKey && print !== '' && e.status !== 400 && e.status !== 401) idempotency.save(idemKey, endpoint, print, out);
      return out;
    }
  };

  // https://docs.stripe.com/api/customers/search — registered before /:id so "search" is no id.
  add('GET', '/v1/customers/search', 'customers.search', (call) => searchAnswer(store, call, 'customer'));

  // https://docs.stripe.com/api/customers/list — `email` is a case-sensitive exact filter.
  add('GET', '/v1/customers', 'customers.list', (call) => {
    const email = call.params.string('email');
    const created = call.params.range('created');
    const all = store.sortedEntries('customer');
    const entries = email || created !== undefined ? all.filter((e) => (email ? e.obj.email === email : true) && inRange(e.obj.created, created)) : all;
    return listAnswer(store, call, { kind: 'customer', url: '/v1/customers', entries });
  });

  // https://docs.stripe.com/api/customers/create
  add('POST', '/v1/customers', 'customers.create', (call) => {
    const input = readCustomerInput(store, call.params, null);
    call.params.assertNoUnknown();
    const created = store.createCustomer(input, call.change);
    return { body: customerJson(store, created, call.params), batchSize: 1 };
  });

  // https://docs.stripe.com/api/customers/retrieve — a deleted customer still answers, as a stub.
  add('GET', '/v1/customers/:id', 'customers.retrieve', (call) => {
    const id = call.req.params.id!;
    if (store.isDeletedCustomer(id)) {
      // `expand` is still a known parameter (checked, then nothing to expand on the stub).
      for (const path of call.params.stringList('expand') ?? []) checkExpandPath('customer', path.split('.'), path);
      return { body: { id, object: 'customer', deleted: true }, batchSize: 1 };
    }
    return { body: customerJson(store, liveCustomer(store, id), call.params), batchSize: 1 };
  });

  // https://docs.stripe.com/api/customers/update — unset with '', metadata merges key by key.
  add('POST', '/v1/customers/:id', 'customers.update', (call) => {
    const id = call.req.params.id!;
    liveCustomer(store, id);
    const input = readCustomerInput(store, call.params, id);
    call.params.assertNoUnknown();
    const updated = store.updateCustomer(id, input, call.change);
    if (!updated) throw resourceMissing('customer', id);
    return { body: customerJson(store, updated, call.params), batchSize: 1 };
  });

  // https://docs.stripe.com/api/customers/delete
  add('DELETE', '/v1/customers/:id', 'customers.delete', (call) => {
    const id = call.req.params.id!;
    if (!store.deleteCustomer(id, call.change)) throw resourceMissing('customer', id);
    return { body: { id, object: 'customer', deleted: true }, batchSize: 1 };
  });

  // https://docs.stripe.com/api/payment_methods/customer_list
  add('GET', '/v1/customers/:id/payment_methods', 'customers.listPaymentMethods', (call) => {
    const id = call.req.params.id!;
    liveCustomer(store, id, 'customer');
    const type = call.params.string('type');
    call.params.string('allow_redisplay');
    const entries = store.entriesWith('payment_method', 'customer', id).filter((e) => !type || e.obj.type === type);
    return listAnswer(store, call, { kind: 'payment_method', url: `/v1/customers/${id}/payment_methods`, entries });
  });

  // https://docs.stripe.com/api/payment_methods/customer
  add('GET', '/v1/customers/:customer/payment_methods/:id', 'customers.retrievePaymentMethod', (call) => {
    const { customer, id } = call.req.params as { customer: string; id: string };
    liveCustomer(store, customer, 'customer');
    const pm = store.entry('payment_method', id);
    if (!pm || pm.obj.customer !== customer) throw resourceMissing('PaymentMethod', id);
    return { body: expandOne(store, 'payment_method', renderObject('payment_method', pm.obj), call.params.stringList('expand') ?? []), batchSize: 1 };
  });

  // https://docs.stripe.com/api/payment_methods/list
  add('GET', '/v1/payment_methods', 'paymentMethods.list', (call) => {
    const customer = call.params.string('customer');
    checkCustomerFilter(store, customer);
    const type = call.params.string('type');
    const entries = (customer ? store.entriesWith('payment_method', 'customer', customer) : store.sortedEntries('payment_method')).filter((e) => !type || e.obj.type === type);
    return listAnswer(store, call, { kind: 'payment_method', url: '/v1/payment_methods', entries });
  });

  // https://docs.stripe.com/api/payment_methods/retrieve
  add('GET', '/v1/payment_methods/:id', 'paymentMethods.retrieve', (call) => retrieve(call, 'payment_method'));

  // https://docs.stripe.com/api/subscriptions/search
  add('GET', '/v1/subscriptions/search', 'subscriptions.search', (call) => searchAnswer(store, call, 'subscription'));

  // https://docs.stripe.com/api/subscriptions/list — without `status`, canceled ones are left out.
  add('GET', '/v1/subscriptions', 'subscriptions.list', (call) => {
    const p = call.params;
    const customer = p.string('customer');
    checkCustomerFilter(store, customer);
    const status = oneOf(p, 'status', SUBSCRIPTION_STATUSES);
    const price = p.string('price');
    const created = p.range('created');
    // Periods live on the items: the minimum item end and the maximum item start, as Stripe filters.
    const periodEnd = p.range('current_period_end');
    const periodStart = p.range('current_period_start');
    const statusOk = (s: string): boolean => {
      if (status === undefined) return s !== 'canceled' && s !== 'incomplete_expired';
      if (status === 'all') return true;
      if (status === 'ended') return s === 'canceled' || s === 'incomplete_expired';
      return s === status;
    };
    const entries = (customer ? store.entriesWith('subscription', 'customer', customer) : store.sortedEntries('subscription'))
      .filter(
        (e) =>
          statusOk(e.obj.status) &&
          (!price || e.obj.items.data.some((i) => i.price.id === price)) &&
          inRange(e.obj.created, created) &&
          itemPeriodIn(e.obj.items.data.map((i) => i.current_period_end), Math.min, periodEnd) &&
          itemPeriodIn(e.obj.items.data.map((i) => i.current_period_start), Math.max, periodStart),
      );
    return listAnswer(store, call, { kind: 'subscription', url: '/v1/subscriptions', entries });
  });

  // https://docs.stripe.com/api/subscriptions/retrieve
  add('GET', '/v1/subscriptions/:id', 'subscriptions.retrieve', (call) => retrieve(call, 'subscription'));

  // https://docs.stripe.com/api/invoices/search
  add('GET', '/v1/invoices/search', 'invoices.search', (call) => searchAnswer(store, call, 'invoice'));

  // https://docs.stripe.com/api/invoices/list
  add('GET', '/v1/invoices', 'invoices.list', (call) => {
    const p = call.params;
    const customer = p.string('customer');
    checkCustomerFilter(store, customer);
    const status = oneOf(p, 'status', INVOICE_STATUSES);
    const subscription = p.string('subscription');
    const created = p.range('created');
    const dueDate = p.range('due_date');
    const entries = (customer ? store.entriesWith('invoice', 'customer', customer) : store.sortedEntries('invoice'))
      .filter(
        (e) =>
          (!status || e.obj.status === status) &&
          (!subscription || invoiceSubscription(e.obj) === subscription) &&
          inRange(e.obj.created, created) &&
          (dueDate === undefined || (e.obj.due_date !== null && inRange(e.obj.due_date, dueDate))),
      );
    return listAnswer(store, call, { kind: 'invoice', url: '/v1/invoices', entries });
  });

  // https://docs.stripe.com/api/invoices/retrieve
  add('GET', '/v1/invoices/:id', 'invoices.retrieve', (call) => retrieve(call, 'invoice'));

  // https://docs.stripe.com/api/invoice-payment/list — `payment[…]` filters are not supported.
  add('GET', '/v1/invoice_payments', 'invoicePayments.list', (call) => {
    const p = call.params;
    const invoice = p.string('invoice');
    const status = oneOf(p, 'status', INVOICE_PAYMENT_STATUSES);
    const created = p.range('created');
    const entries = (invoice ? store.entriesWith('invoice_payment', 'invoice', invoice) : store.sortedEntries('invoice_payment'))
      .filter((e) => (!status || e.obj.status === status) && inRange(e.obj.created, created));
    return listAnswer(store, call, { kind: 'invoice_payment', url: '/v1/invoice_payments', entries });
  });

  // https://docs.stripe.com/api/invoice-payment/retrieve
  add('GET', '/v1/invoice_payments/:id', 'invoicePayments.retrieve', (call) => retrieve(call, 'invoice_payment'));

  // https://docs.stripe.com/api/charges/search
  add('GET', '/v1/charges/search', 'charges.search', (call) => searchAnswer(store, call, 'charge'));

  // https://docs.stripe.com/api/charges/list
  add('GET', '/v1/charges', 'charges.list', (call) => {
    const customer = call.params.string('customer');
    checkCustomerFilter(store, customer);
    const created = call.params.range('created');
    const entries = (customer ? store.entriesWith('charge', 'customer', customer) : store.sortedEntries('charge')).filter((e) => inRange(e.obj.created, created));
    return listAnswer(store, call, { kind: 'charge', url: '/v1/charges', entries });
  });

  // https://docs.stripe.com/api/charges/retrieve
  add('GET', '/v1/charges/:id', 'charges.retrieve', (call) => retrieve(call, 'charge'));

  // https://docs.stripe.com/api/events/list — `type` takes one `*` wildcard ('customer.*').
  add('GET', '/v1/events', 'events.list', (call) => {
    const p = call.params;
    const type = p.string('type');
    const types = p.stringList('types');
    if (type && types) throw invalidRequest('You may only specify one of these parameters: type, types.', { param: 'types' });
    if (types && types.length > 20) throw invalidRequest('You can specify at most 20 event types.', { param: 'types' });
    const created = p.range('created');
    const patterns = (types ?? (type ? [type] : [])).map(
      (t) => new RegExp(`^${t.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`),
    );
    const limit = p.integer('limit', { min: 1, max: 100 }) ?? 10;
    const expand = p.stringList('expand') ?? [];
    if (expand.length > 0) throw cannotExpand(expand[0]!);
    const entries = store
      .eventEntries()
      .filter((e) => (patterns.length === 0 || patterns.some((r) => r.test(e.obj.type))) && inRange(e.obj.created, created));
    const { data, hasMore } = page(store, p, entries, 'event', limit);
    const rendered = data.map((e) => store.renderEvent(e.obj));
    return { body: { object: 'list', data: rendered, has_more: hasMore, url: '/v1/events' }, batchSize: rendered.length };
  });

  // https://docs.stripe.com/api/events/retrieve
  add('GET', '/v1/events/:id', 'events.retrieve', (call) => {
    const id = call.req.params.id!;
    const expand = call.params.stringList('expand') ?? [];
    if (expand.length > 0) throw cannotExpand(expand[0]!);
    const event = store.event(id);
    if (!event) throw resourceMissing('event', id);
    return { body: event, batchSize: 1 };
  });

  function retrieve(call: Call, kind: Exclude<StripeObjectKind, 'customer'>): Result {
    const id = call.req.params.id!;
    const e = store.entry(kind, id);
    if (!e) throw resourceMissing(OBJECT_NAME[kind], id);
    return { body: expandOne(store, kind, renderObject(kind, e.obj), call.params.stringList('expand') ?? []), batchSize: 1 };
  }

  // Stripe answers a known path with an unsupported method like an unknown path (404), where
  // the kit's router would say 405: register that answer for every other method.
  for (const [path, methods] of paths) {
    for (const method of ['GET', 'POST', 'DELETE', 'PUT', 'PATCH']) {
      if (methods.has(method)) continue;
      router.add(method, path, 'unrecognized', (req) => run(req, () => {
        throw unrecognizedUrl(req);
      }));
    }
  }
  return router;
}

export function unrecognizedUrl(req: EmulatorRequest): StripeApiError {
  return invalidRequest(
    `Unrecognized request URL (${req.method}: ${req.path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
    {},
    404,
  );
}

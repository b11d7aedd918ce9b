// The emulator's state: the seed objects (cloned), everything created or changed since, and
// the event log. Every change, whether it came through the API or through these methods
// in-process, appends an Event (https://docs.stripe.com/api/events/object) and tells the
// listeners (the webhook sender).
import { stripeId } from '../kit/ids.ts';
import type {
  StripeAddress,
  StripeCharge,
  StripeCustomer,
  StripeData,
  StripeInvoice,
  StripeInvoicePayment,
  StripePaymentMethod,
  StripeSubscription,
} from '../world/types.ts';

export interface StripeObjects {
  customer: StripeCustomer;
  subscription: StripeSubscription;
  invoice: StripeInvoice;
  invoice_payment: StripeInvoicePayment;
  charge: StripeCharge;
  payment_method: StripePaymentMethod;
}
export type StripeObjectKind = keyof StripeObjects;

/** An object plus its insertion order, which breaks ties of `created` in list order. */
export interface Entry<T> {
  readonly obj: T;
  readonly seq: number;
}

export interface StripeEventRecord {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  type: string;
  data: { object: Record<string, unknown>; previous_attributes?: Record<string, unknown> };
  livemode: false;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
}

/** Who caused a change: an API request (its id and Idempotency-Key) or nobody (in-process). */
export interface ChangeContext {
  requestId: string | null;
  idempotencyKey: string | null;
}

const IN_PROCESS: ChangeContext = { requestId: null, idempotencyKey: null };

export interface CustomerInput {
  name?: string | null;
  email?: string | null;
  phone?: string | null;
  description?: string | null;
  address?: StripeAddress | null;
  balance?: number;
  /** Merged into the existing metadata; a '' value removes that key; null clears all. */
  metadata?: Record<string, string> | null;
  invoice_settings?: { default_payment_method: string | null };
}

const ID_PREFIX: Record<StripeObjectKind, string> = {
  customer: 'cus',
  subscription: 'sub',
  invoice: 'in',
  invoice_payment: 'inpay',
  charge: 'ch',
  payment_method: 'pm',
};

/** Whether `kind` names an object kind the store keeps (a journal entry's or an event object's `object`). */
export function isStripeObjectKind(kind: string): kind is StripeObjectKind {
  return Object.hasOwn(ID_PREFIX, kind);
}

/** Fields the real API returns on a customer that the seed shape leaves out. */
function customerDefaults(c: StripeCustomer): Record<string, unknown> {
  return {
    default_source: null,
    discount: null,
    invoice_prefix: c.id.slice(4, 12).toUpperCase(),
    next_invoice_sequence: 1,
    preferred_locales: [],
    shipping: null,
    tax_exempt: 'none',
    test_clock: null,
  };
}

/** The API representation of an object: a deep copy, with the fields the seed leaves out. */
export function renderObject(kind: StripeObjectKind, obj: StripeObjects[StripeObjectKind]): Record<string, unknown> {
  const copy = structuredClone(obj) as unknown as Record<string, unknown>;
  if (kind === 'customer') {
    const full = { ...customerDefaults(obj as StripeCustomer), ...copy };
    const settings = full.invoice_settings as Record<string, unknown>;
    full.invoice_settings = { custom_fields: null, footer: null, rendering_options: null, ...settings };
    return full;
  }
  return copy;
}

/** What changed between two renderings, as `previous_attributes` shows it (old values). */
export function previousAttributes(before: unknown, after: unknown): Record<string, unknown> | undefined {
  if (!isPlain(before) || !isPlain(after)) return undefined;
  const out: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const b = before[key];
    const a = after[key];
    if (JSON.stringify(b) === JSON.stringify(a)) continue;
    // Stripe lists changed keys of a hash (metadata, address) one by one, null for new keys.
    const nested = isPlain(b) && isPlain(a) ? previousAttributes(b, a) : undefined;
    out[key] = nested ?? (b === undefined ? null : structuredClone(b));
  }
  return out;
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export interface StripeStoreOptions {
  now: () => Date;
  apiVersion: string;
  /** How many webhook endpoints an event will be sent to (0 or 1 here). */
  webhookEndpoints: () => number;
  /** The current `pending_webhooks` of an event, once the sender knows better than the start value. */
  pendingWebhooks?: (eventId: string) => number | undefined;
}

export type EventListener = (event: StripeEventRecord) => void;

export class StripeStore {
  readonly #maps: { [K in StripeObjectKind]: Map<string, Entry<StripeObjects[K]>> } = {
    customer: new Map(),
    subscription: new Map(),
    invoice: new Map(),
    invoice_payment: new Map(),
    charge: new Map(),
    payment_method: new Map(),
  };
  /** Deleted customers answer retrieves with `{deleted: true}` and stay usable as list cursors. */
  readonly #deletedCustomers = new Map<string, Entry<StripeCustomer>>();
  readonly #events: Entry<StripeEventRecord>[] = [];
  readonly #eventsById = new Map<string, Entry<StripeEventRecord>>();
  readonly #listeners = new Set<EventListener>();
  readonly #options: StripeStoreOptions;
  #seq = 0;
  #idCounter = 1_000_000;
  /** Bumped by every change; the list-order and per-parent caches below are rebuilt after one. */
  #version = 0;
  readonly #sorted = new Map<StripeObjectKind, { version: number; entries: Entry<StripeObjects[StripeObjectKind]>[] }>();
  readonly #byParent = new Map<string, { version: number; groups: Map<unknown, Entry<StripeObjects[StripeObjectKind]>[]> }>();

  constructor(data: StripeData, options: StripeStoreOptions) {
    this.#options = options;
    const seed = structuredClone(data);
    for (const c of seed.customers) this.#put('customer', c);
    for (const s of seed.subscriptions) this.#put('subscription', s);
    for (const i of seed.invoices) this.#put('invoice', i);
    for (const p of seed.invoicePayments) this.#put('invoice_payment', p);
    for (const c of seed.charges) this.#put('charge', c);
    for (const p of seed.paymentMethods) this.#put('payment_method', p);
  }

  get apiVersion(): string {
    return this.#options.apiVersion;
  }

  nowSeconds(): number {
    return Math.floor(this.#options.now().getTime() / 1000);
  }

  /** A fresh id in Stripe's format that no object, event or request has used. */
  newId(prefix: string): string {
    for (;;) {
      const id = stripeId(prefix, ++this.#idCounter, 0x5712);
      if (!this.#idTaken(id)) return id;
    }
  }

  #idTaken(id: string): boolean {
    return (
      Object.values(this.#maps).some((m) => m.has(id)) || this.#deletedCustomers.has(id) || this.#eventsById.has(id)
    );
  }

  #put<K extends StripeObjectKind>(kind: K, obj: StripeObjects[K]): Entry<StripeObjects[K]> {
    this.#version++;
    const entry = { obj, seq: ++this.#seq };
    (this.#maps[kind] as Map<string, Entry<StripeObjects[K]>>).set(obj.id, entry);
    return entry;
  }

  /**
   * Puts an object back as a journal recorded it (src/sandbox/journal.ts): no event, no webhook.
   * A recorded object replaces the seeded one with its id and keeps its place in list order.
   */
  restore<K extends StripeObjectKind>(kind: K, obj: StripeObjects[K], deleted = false): void {
    this.#version++; // a change: the list-order and per-parent caches are rebuilt
    const map = this.#maps[kind] as Map<string, Entry<StripeObjects[K]>>;
    const copy = structuredClone(obj);
    if (kind === 'customer' && deleted) {
      const live = map.get(copy.id);
      map.delete(copy.id);
      this.#deletedCustomers.set(copy.id, { obj: (live?.obj ?? copy) as StripeCustomer, seq: live?.seq ?? ++this.#seq });
      return;
    }
    const existing = map.get(copy.id);
    if (existing) map.set(copy.id, { obj: copy, seq: existing.seq });
    else this.#put(kind, copy);
  }

  // ---------- reads ----------

  /** A copy of one live object, or undefined (deleted customers included in `undefined`). */
  get<K extends StripeObjectKind>(kind: K, id: string): StripeObjects[K] | undefined {
    const e = this.#maps[kind].get(id);
    return e ? structuredClone(e.obj) : undefined;
  }

  /** Copies of every live object of a kind, newest first (the API's list order). */
  list<K extends StripeObjectKind>(kind: K): StripeObjects[K][] {
    return this.entries(kind).map((e) => structuredClone(e.obj));
  }

  /**
   * The live entries of a kind, newest first, not copied: for the route handlers, which copy
   * what they send. Change objects only through the methods below, which record events.
   */
  entries<K extends StripeObjectKind>(kind: K): Entry<StripeObjects[K]>[] {
    const all = this.#sortedEntries(kind);
    this.#examined += all.length;
    return [...all];
  }

  /**
   * Stored objects list reads have walked over: a copied or re-sorted list counts all of it,
   * an index lookup the entries it returns. Tests count work with it instead of timing.
   */
  get examined(): number {
    return this.#examined;
  }
  #examined = 0;

  /**
   * The live entries of a kind, newest first, shared and not to be modified: sorted once per
   * change rather than on every list request (a page of a large list then costs its page).
   */
  sortedEntries<K extends StripeObjectKind>(kind: K): readonly Entry<StripeObjects[K]>[] {
    return this.#sortedEntries(kind);
  }

  #sortedEntries<K extends StripeObjectKind>(kind: K): Entry<StripeObjects[K]>[] {
    const cached = this.#sorted.get(kind);
    if (cached?.version === this.#version) return cached.entries as Entry<StripeObjects[K]>[];
    const entries = [...(this.#maps[kind] as Map<string, Entry<StripeObjects[K]>>).values()].sort(newestFirst);
    this.#examined += entries.length;
    this.#sorted.set(kind, { version: this.#version, entries: entries });
    return entries;
  }

  /**
   * The live entries of a kind whose `field` (e.g. `customer`, `invoice`) is `value`, newest
   * first, shared and not to be modified: one index per kind and field, so a customer's
   * subscriptions cost that customer's, not a pass over every subscription.
   */
  entriesWith<K extends StripeObjectKind>(kind: K, field: keyof StripeObjects[K] & string, value: string): readonly Entry<StripeObjects[K]>[] {
    const key = `${kind}.${field}`;
    let cached = this.#byParent.get(key);
    if (cached?.version !== this.#version) {
      const groups = new Map<unknown, Entry<StripeObjects[StripeObjectKind]>[]>();
      this.#examined += this.#maps[kind].size;
      for (const e of this.#sortedEntries(kind)) {
        const v = (e.obj as unknown as Record<string, unknown>)[field];
        const list = groups.get(v);
        if (list) list.push(e);
        else groups.set(v, [e]);
      }
      cached = { version: this.#version, groups };
      this.#byParent.set(key, cached);
    }
    const found = (cached.groups.get(value) ?? []) as Entry<StripeObjects[K]>[];
    this.#examined += found.length;
    return found;
  }

  entry<K extends StripeObjectKind>(kind: K, id: string): Entry<StripeObjects[K]> | undefined {
    return this.#maps[kind].get(id);
  }

  /** Any entry with that id, live or deleted, of any kind: list cursors may name either. */
  anyEntry(id: string): Entry<{ created: number }> | undefined {
    for (const m of Object.values(this.#maps)) {
      const e = m.get(id) as Entry<{ created: number }> | undefined;
      if (e) return e;
    }
    return this.#deletedCustomers.get(id) ?? this.#eventsById.get(id);
  }

  isDeletedCustomer(id: string): boolean {
    return this.#deletedCustomers.has(id);
  }

  events(): StripeEventRecord[] {
    return this.eventEntries().map((e) => this.renderEvent(e.obj));
  }

  /** A copy of an event with its up-to-date `pending_webhooks`. */
  renderEvent(event: StripeEventRecord): StripeEventRecord {
    const copy = structuredClone(event);
    const pending = this.#options.pendingWebhooks?.(event.id);
    if (pending !== undefined) copy.pending_webhooks = pending;
    return copy;
  }

  eventEntries(): Entry<StripeEventRecord>[] {
    return [...this.#events].sort(newestFirst);
  }

  event(id: string): StripeEventRecord | undefined {
    const e = this.#eventsById.get(id);
    return e ? this.renderEvent(e.obj) : undefined;
  }

  onEvent(listener: EventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  // ---------- customers ----------

  createCustomer(input: CustomerInput, ctx: ChangeContext = IN_PROCESS): StripeCustomer {
    const metadata: Record<string, string> = {};
    for (const [k, v] of Object.entries(input.metadata ?? {})) if (v !== '') metadata[k] = v;
    const customer: StripeCustomer = {
      id: this.newId('cus'),
      object: 'customer',
      name: input.name ?? null,
      email: input.email ?? null,
      phone: input.phone ?? null,
      description: input.description ?? null,
      address: input.address ?? null,
      currency: null,
      balance: input.balance ?? 0,
      delinquent: false,
      metadata,
      invoice_settings: { default_payment_method: input.invoice_settings?.default_payment_method ?? null },
      created: this.nowSeconds(),
      livemode: false,
    };
    this.#put('customer', customer);
    this.#emit('customer.created', renderObject('customer', customer), undefined, ctx);
    return structuredClone(customer);
  }

  /** Applies a partial update; returns undefined when there is no such live customer. */
  updateCustomer(id: string, input: CustomerInput, ctx: ChangeContext = IN_PROCESS): StripeCustomer | undefined {
    const entry = this.#maps.customer.get(id);
    if (!entry) return undefined;
    const c = entry.obj;
    const before = renderObject('customer', c);
    if (input.name !== undefined) c.name = input.name;
    if (input.email !== undefined) c.email = input.email;
    if (input.phone !== undefined) c.phone = input.phone;
    if (input.description !== undefined) c.description = input.description;
    if (input.address !== undefined) c.address = input.address;
    if (input.balance !== undefined) c.balance = input.balance;
    if (input.invoice_settings !== undefined) c.invoice_settings = { ...input.invoice_settings };
    if (input.metadata === null) c.metadata = {};
    else if (input.metadata !== undefined) {
      const next = { ...c.metadata };
      for (const [k, v] of Object.entries(input.metadata)) {
        if (v === '') delete next[k];
        else next[k] = v;
      }
      c.metadata = next;
    }
    const after = renderObject('customer', c);
    const prev = previousAttributes(before, after);
    // Stripe sends no customer.updated when nothing changed.
    if (prev && Object.keys(prev).length > 0) this.#emit('customer.updated', after, prev, ctx);
    return structuredClone(c);
  }

  /** Deletes a customer and, as Stripe does, cancels its subscriptions right away. */
  deleteCustomer(id: string, ctx: ChangeContext = IN_PROCESS): boolean {
    const entry = this.#maps.customer.get(id);
    if (!entry) return false;
    for (const s of this.entries('subscription')) {
      if (s.obj.customer === id && s.obj.status !== 'canceled') {
        this.updateSubscription(s.obj.id, { status: 'canceled', canceled_at: this.nowSeconds() }, ctx);
      }
    }
    this.#maps.customer.delete(id);
    this.#deletedCustomers.set(id, entry);
    this.#emit('customer.deleted', renderObject('customer', entry.obj), undefined, ctx);
    return true;
  }

  // ---------- other objects (in-process writes; the API only reads them) ----------

  /**
   * Adds a subscription, invoice, invoice payment, charge or payment method and records its
   * creation event (`invoice_payment.paid` for an invoice payment: Stripe has no `.created`).
   */
  insert<K extends Exclude<StripeObjectKind, 'customer'>>(
    kind: K,
    obj: Omit<StripeObjects[K], 'id'> & { id?: string },
    ctx: ChangeContext = IN_PROCESS,
  ): StripeObjects[K] {
    const full = structuredClone({ ...obj, id: obj.id ?? this.newId(ID_PREFIX[kind]) }) as StripeObjects[K];
    if (this.#idTaken(full.id)) throw new Error(`id ${full.id} is already used`);
    this.#put(kind, full);
    this.#emit(creationEvent(kind, full), renderObject(kind, full), undefined, ctx);
    return structuredClone(full);
  }

  updateSubscription(id: string, patch: Partial<Omit<StripeSubscription, 'id' | 'object'>>, ctx: ChangeContext = IN_PROCESS): StripeSubscription | undefined {
    const entry = this.#maps.subscription.get(id);
    if (!entry) return undefined;
    const before = renderObject('subscription', entry.obj);
    Object.assign(entry.obj, structuredClone(patch));
    const after = renderObject('subscription', entry.obj);
    const prev = previousAttributes(before, after);
    if (prev && Object.keys(prev).length > 0) {
      const ended = before.status !== 'canceled' && after.status === 'canceled';
      this.#emit(ended ? 'customer.subscription.deleted' : 'customer.subscription.updated', after, ended ? undefined : prev, ctx);
    }
    return structuredClone(entry.obj);
  }

  updateInvoice(id: string, patch: Partial<Omit<StripeInvoice, 'id' | 'object'>>, ctx: ChangeContext = IN_PROCESS): StripeInvoice | undefined {
    const entry = this.#maps.invoice.get(id);
    if (!entry) return undefined;
    const before = renderObject('invoice', entry.obj);
    Object.assign(entry.obj, structuredClone(patch));
    const after = renderObject('invoice', entry.obj);
    const prev = previousAttributes(before, after);
    if (prev && Object.keys(prev).length > 0) {
      this.#emit('invoice.updated', after, prev, ctx);
      if (before.status !== 'paid' && after.status === 'paid') this.#emit('invoice.paid', after, undefined, ctx);
    }
    return structuredClone(entry.obj);
  }

  // ---------- events ----------

  #emit(type: string, object: Record<string, unknown>, previous: Record<string, unknown> | undefined, ctx: ChangeContext): void {
    this.#version++;
    const data: StripeEventRecord['data'] = { object };
    if (previous !== undefined) data.previous_attributes = previous;
    const event: StripeEventRecord = {
      id: this.newId('evt'),
      object: 'event',
      api_version: this.#options.apiVersion,
      created: this.nowSeconds(),
      type,
      data,
      livemode: false,
      pending_webhooks: this.#options.webhookEndpoints(),
      request: { id: ctx.requestId, idempotency_key: ctx.idempotencyKey },
    };
    const entry = { obj: event, seq: ++this.#seq };
    this.#events.push(entry);
    this.#eventsById.set(event.id, entry);
    for (const l of this.#listeners) {
      try {
        l(structuredClone(event));
      } catch (e) {
        console.error('[sandbox:stripe] event listener failed:', e);
      }
    }
  }

  counts(): Record<string, number> {
    return {
      customers: this.#maps.customer.size,
      deletedCustomers: this.#deletedCustomers.size,
      subscriptions: this.#maps.subscription.size,
      invoices: this.#maps.invoice.size,
      invoicePayments: this.#maps.invoice_payment.size,
      charges: this.#maps.charge.size,
      paymentMethods: this.#maps.payment_method.size,
      events: this.#events.length,
    };
  }
}

function creationEvent(kind: Exclude<StripeObjectKind, 'customer'>, obj: StripeObjects[typeof kind]): string {
  switch (kind) {
    case 'subscription':
      return 'customer.subscription.created';
    case 'invoice':
      return 'invoice.created';
    case 'invoice_payment':
      return 'invoice_payment.paid';
    case 'payment_method':
      return 'payment_method.attached';
    case 'charge': {
      const status = (obj as StripeCharge).status;
      return `charge.${status}`;
    }
  }
}

/** Newest first; among equal `created`, the later insertion first (a stable total order). */
export function newestFirst(a: Entry<{ created: number }>, b: Entry<{ created: number }>): number {
  return b.obj.created - a.obj.created || b.seq - a.seq;
}

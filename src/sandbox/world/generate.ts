// The demo world: N true B2B customers spread over Salesforce, Stripe, Zendesk and the ERP, each
// system holding its own view in its own shape, with the mess real data has, plus the ground
// truth a merge should arrive at. docs/sandbox/world.md describes rates and survivorship rules.
//
// One Rng drives everything in a fixed order, so the same options give the same world. Ids are
// derived from each record's creation second, so (as in the real systems) ids grow with time and
// record order says nothing about which records belong together across systems.
import { createRng, type Rng } from '../kit/rng.ts';
import { salesforceId, stripeId } from '../kit/ids.ts';
import * as L from './names.ts';
import type { City, Country } from './names.ts';
import {
  DAY, addMonths, canonicalAddress, companyVariant, dateOnly, e164, emailVariant, firstNameVariant, formatPhone,
  flat, isoTime, legalName, renderAddress, sfTime, typo, websiteVariant, zdTime,
  type Address, type CompanyName, type Phone, type RenderedAddress,
} from './mess.ts';
import type {
  ErpContract, ErpCustomer, ErpInvoice, ErpPayment, SfAccount, SfContact, SfOpportunity, SfUser, SourceRef,
  StripeAddress, StripeCharge, StripeCustomer, StripeInvoice, StripeInvoicePayment, StripePaymentMethod, StripePrice, StripeSubscription,
  StripeSubscriptionItem,
  SystemName, TruthCustomer, World, WorldOptions, ZdOrganization, ZdSatisfactionRating, ZdTicket, ZdUser,
} from './types.ts';

const YEAR = 365 * DAY;

/**
 * Bump when a change to this file makes the same seed and size give a different world: a
 * sandbox kept in a data directory records the version it was generated with, and a stored
 * world of another version is refused instead of being silently mixed with a new one.
 * test/sandbox/world.test.ts pins a fingerprint of a small world to this number.
 */
export const WORLD_GENERATOR_VERSION = 1;

/** The rates the generator plants. Docs and tests quote these; measured rates land near them. */
export const RATES = {
  lifecycle: { prospect: 0.15, active: 0.7 }, // churned: the rest
  /** Presence of a paying (active or churned) customer; prospects live in Salesforce (+20% Zendesk). */
  presence: { salesforce: 0.88, stripe: 0.82, zendesk: 0.67, erp: 0.76 },
  prospectInZendesk: 0.2,
  /** Cross-references on the primary record, when the target exists (and existed when set). */
  xref: {
    sfStripe: 0.4, sfErp: 0.5, sfZendesk: 0.35,
    stripeSf: 0.45, stripeErp: 0.35,
    zendeskOrgSf: 0.5, zendeskUserSfContact: 0.3,
    erpSf: 0.55,
  },
  duplicate: { sfAccount: 0.04, stripeCustomer: 0.03, zendeskUser: 0.04 },
  /** Share of Salesforce duplicates that were merged away (IsDeleted, MasterRecordId set). */
  sfDuplicateMerged: 0.35,
  /** Share of merged-away duplicates that some other system still points at. */
  staleXrefToMerged: 0.6,
  deletedContact: 0.015,
  lookalikeCompany: 0.05,
  sameNamePerson: 0.03,
  typo: 0.02,
  stale: { phone: 0.12, address: 0.08, email: 0.05, lifecycle: 0.1 },
  genuine: { contractValue: 0.08, billingContact: 0.06 },
} as const;

type Lifecycle = TruthCustomer['lifecycle'];
type Conflict = TruthCustomer['conflicts'][number];

interface Person {
  key: string;
  family: readonly string[];
  last: string;
  name: string;
  email: string;
  phone: Phone;
  title: string;
  sf: SfContact[];
  zd: ZdUser[];
  stripe: StripeCustomer[];
}

interface Deal {
  start: number;
  sfAmount: number;
  erpAmount: number;
}

interface StaleXref {
  system: SystemName;
  from: StripeCustomer | ZdOrganization | ErpCustomer;
  field: string;
  to: SfAccount;
}

/** One true customer while the world is built; becomes a TruthCustomer at the end. */
interface Customer {
  key: string;
  company: CompanyName;
  domain: string;
  industry: string;
  employees: number;
  country: Country;
  address: Address;
  phone: Phone;
  people: Person[];
  lifecycle: Lifecycle;
  currency: string;
  t0: number;
  firstWon: number;
  churnAt: number;
  deals: Deal[];
  owner: SfUser;
  /** Index 0 is the primary record in each system; the rest are in-system duplicates. */
  sf: SfAccount[];
  stripe: StripeCustomer[];
  zd: ZdOrganization[];
  erp: ErpCustomer | null;
  hasLiveSubscription: boolean;
  /** Creation and last-update seconds of the primary records (Stripe has only created). */
  sfCreated: number;
  sfUpdated: number;
  stripeCreated: number;
  zdUpdated: number;
  erpUpdated: number;
  conflicts: Conflict[];
  staleXrefs: StaleXref[];
  lookalikes: string[];
}

/**
 * Ids that grow with creation time: the second since the world's epoch times a per-second slot
 * count, plus the slot. Unique by construction; order follows time as in the real systems.
 */
class TimeIds {
  // Open-addressing table of used seconds (stored +1, 0 = empty) and their slot counts: a Map
  // of millions of entries costs ~40 bytes each and GC time; this costs 5.
  private keys = new Int32Array(1 << 12);
  private counts = new Uint8Array(1 << 12);
  private used = 0;
  private readonly epoch: number;
  private readonly perSecond: number;
  constructor(epoch: number, perSecond: number) {
    this.epoch = epoch;
    this.perSecond = perSecond;
  }

  next(sec: number): number {
    let s = Math.max(0, sec - this.epoch);
    for (;;) {
      const at = this.slot(s);
      const c = this.counts[at]!;
      if (c < this.perSecond) {
        if (c === 0) {
          this.keys[at] = s + 1;
          if (++this.used * 2 > this.keys.length) this.grow();
        }
        this.counts[this.slot(s)] = c + 1;
        return s * this.perSecond + c + 1;
      }
      s++;
    }
  }

  private slot(s: number): number {
    const mask = this.keys.length - 1;
    let i = (Math.imul(s + 1, 0x9e3779b1) >>> 0) & mask;
    for (;;) {
      const k = this.keys[i]!;
      if (k === 0 || k === s + 1) return i;
      i = (i + 1) & mask;
    }
  }

  private grow(): void {
    const oldKeys = this.keys, oldCounts = this.counts;
    this.keys = new Int32Array(oldKeys.length * 2);
    this.counts = new Uint8Array(oldKeys.length * 2);
    for (let i = 0; i < oldKeys.length; i++) {
      const k = oldKeys[i]!;
      if (k === 0) continue;
      const at = this.slot(k - 1);
      this.keys[at] = k;
      this.counts[at] = oldCounts[i]!;
    }
  }
}

const ZD_ORG_BASE = 360_000_000_000;
const ZD_USER_BASE = 370_000_000_000;
const ZD_RATING_BASE = 380_000_000_000;
const ZD_TICKET_BASE = 390_000_000_000;
const VENDOR_DOMAIN = 'meridiandemo.example';
const CURRENCY: Readonly<Record<Country, string>> = { US: 'usd', CA: 'cad', GB: 'gbp', DE: 'eur' };
const FX: Readonly<Record<string, number>> = { usd: 1, cad: 1.35, gbp: 0.8, eur: 0.92 };
const LEGAL_FORMS: Readonly<Record<Country, readonly string[]>> = {
  US: ['Inc.', 'Inc.', 'LLC', 'Corp.'], CA: ['Inc.', 'Ltd.'], GB: ['Ltd', 'Ltd', 'PLC'], DE: ['GmbH', 'GmbH', 'AG'],
};
const TIME_ZONES: Readonly<Record<string, string>> = {
  CA: 'Pacific Time (US & Canada)', WA: 'Pacific Time (US & Canada)', OR: 'Pacific Time (US & Canada)',
  BC: 'Pacific Time (US & Canada)', CO: 'Mountain Time (US & Canada)', UT: 'Mountain Time (US & Canada)',
  AZ: 'Arizona', AB: 'Mountain Time (US & Canada)', TX: 'Central Time (US & Canada)', IL: 'Central Time (US & Canada)',
  MN: 'Central Time (US & Canada)', TN: 'Central Time (US & Canada)',
};

/** Ids from the kit, flattened (see `flat`): they are most of the strings in the world. */
function sfId(prefix: string, n: number): string {
  return flat(salesforceId(prefix, n));
}

function stId(prefix: string, n: number, salt: number): string {
  return flat(stripeId(prefix, n, salt));
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function digits(rng: Rng, count: number): string {
  let s = '';
  for (let i = 0; i < count; i++) s += String.fromCharCode(48 + Math.floor(rng.next() * 10));
  return s;
}

function asciiFold(s: string): string {
  return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/ß/g, 'ss').replace(/[^A-Za-z0-9]/g, '').toLowerCase();
}

function money(units: number): string {
  return units.toFixed(2);
}

function roundTo(v: number, step: number): number {
  return Math.max(step, Math.round(v / step) * step);
}

class WorldBuilder {
  private readonly rng: Rng;
  private readonly epoch: number;
  private readonly sfIds: TimeIds;
  private readonly stripeIds: TimeIds;
  private readonly zdOrgIds: TimeIds;
  private readonly zdUserIds: TimeIds;
  private readonly zdTicketIds: TimeIds;
  private readonly zdRatingIds: TimeIds;

  private readonly truth: TruthCustomer[] = [];
  // What later customers borrow from earlier ones (lookalike names, same-name people).
  private readonly stems: string[] = [];
  private readonly kinds: number[] = [];
  private readonly personFamilies: (readonly string[])[] = [];
  private readonly personLasts: string[] = [];
  /** Truth refs to ERP customers, whose numbers exist only once all rows do. */
  private readonly erpTruthRefs: [SourceRef, ErpCustomer][] = [];
  private readonly usedNames = new Set<string>();
  private readonly usedDomains = new Set<string>();
  private readonly usedPhones = new Set<string>();
  private freeMailCounter = 100;

  private readonly sfUsers: SfUser[] = [];
  private readonly sfAccounts: SfAccount[] = [];
  private readonly sfContacts: SfContact[] = [];
  private readonly sfOpportunities: SfOpportunity[] = [];

  private readonly prices = new Map<string, StripePrice>();
  private readonly stripeCustomers: StripeCustomer[] = [];
  private readonly stripeSubscriptions: StripeSubscription[] = [];
  private readonly stripeInvoices: StripeInvoice[] = [];
  private readonly stripeInvoicePayments: StripeInvoicePayment[] = [];
  private readonly stripeCharges: StripeCharge[] = [];
  private readonly stripePaymentMethods: StripePaymentMethod[] = [];

  private readonly zdAgents: ZdUser[] = [];
  private readonly zdOrganizations: ZdOrganization[] = [];
  private readonly zdUsers: ZdUser[] = [];
  private readonly zdTickets: ZdTicket[] = [];
  private readonly zdRatings: ZdSatisfactionRating[] = [];

  // ERP ids are serial, assigned once every row exists (in creation order); until then rows
  // carry their parents here, aligned by index.
  private readonly erpCustomers: ErpCustomer[] = [];
  private readonly erpCustomerSec: number[] = [];
  private readonly erpContracts: ErpContract[] = [];
  private readonly erpContractSec: number[] = [];
  private readonly erpContractOwner: ErpCustomer[] = [];
  private readonly erpInvoices: ErpInvoice[] = [];
  private readonly erpInvoiceSec: number[] = [];
  private readonly erpInvoiceOwner: ErpCustomer[] = [];
  private readonly erpInvoiceContract: (ErpContract | null)[] = [];
  private readonly erpPayments: ErpPayment[] = [];
  private readonly erpPaymentSec: number[] = [];
  private readonly erpPaymentInvoice: ErpInvoice[] = [];
  /** Cross-references to ERP customer numbers, filled once the numbers exist. */
  private readonly erpRefsFromSf: [SfAccount, ErpCustomer][] = [];
  private readonly erpRefsFromStripe: [StripeCustomer, ErpCustomer][] = [];

  private readonly seed: number;
  private readonly size: number;
  private readonly now: number;

  constructor(seed: number, size: number, now: number) {
    this.seed = seed;
    this.size = size;
    this.now = now;
    this.rng = createRng(seed);
    // Everything in the world happens within the last ~6 years; 12 keeps ids positive for any `now`.
    this.epoch = now - 12 * YEAR;
    this.sfIds = new TimeIds(this.epoch, 64);
    this.stripeIds = new TimeIds(this.epoch, 64);
    this.zdOrgIds = new TimeIds(this.epoch, 8);
    this.zdUserIds = new TimeIds(this.epoch, 8);
    this.zdTicketIds = new TimeIds(this.epoch, 8);
    this.zdRatingIds = new TimeIds(this.epoch, 8);
  }

  // ---------- time helpers ----------

  /** Uniform integer second in [a, b] (b below a collapses to a). */
  private between(a: number, b: number): number {
    return b <= a ? a : a + Math.floor(this.rng.next() * (b - a + 1));
  }

  /**
   * A moment after `sec` (at most `upTo`) and before now: the world never reaches `now` itself.
   * Strictly after `sec` whenever `sec` is a creation time (those stay at or below now - 2).
   */
  private later(sec: number, upTo = this.now - 1): number {
    const lo = Math.min(sec + 1, this.now - 1);
    return this.between(lo, Math.max(lo, Math.min(upTo, this.now - 1)));
  }

  /** A creation time after `sec`: leaves room below `now` for a later update. */
  private createdAfter(sec: number, upTo = this.now - 1): number {
    return this.past(this.later(sec, upTo));
  }

  private past(sec: number): number {
    return Math.min(sec, this.now - 2);
  }

  // ---------- the whole world ----------

  build(): World {
    this.makeSfUsers();
    this.makeZdAgents();
    this.makePriceCatalog();
    for (let i = 0; i < this.size; i++) this.makeCustomer(i);
    this.finalizeErp();
    return {
      seed: this.seed,
      size: this.size,
      now: isoTime(this.now),
      salesforce: {
        orgId: sfId('00D', 1 + (this.seed >>> 0) % 1_000_000),
        users: this.sfUsers,
        accounts: this.sfAccounts,
        contacts: this.sfContacts,
        opportunities: this.sfOpportunities,
      },
      stripe: {
        customers: this.stripeCustomers,
        subscriptions: this.stripeSubscriptions,
        invoices: this.stripeInvoices,
        invoicePayments: this.stripeInvoicePayments,
        charges: this.stripeCharges,
        paymentMethods: this.stripePaymentMethods,
      },
      zendesk: {
        agents: this.zdAgents,
        organizations: this.zdOrganizations,
        users: this.zdUsers,
        tickets: this.zdTickets,
        satisfactionRatings: this.zdRatings,
      },
      erp: {
        customers: this.erpCustomers,
        contracts: this.erpContracts,
        invoices: this.erpInvoices,
        payments: this.erpPayments,
      },
      truth: this.truth,
    };
  }

  private makeSfUsers(): void {
    const rng = this.rng;
    // Twenty account owners plus two who left (their old accounts keep the inactive owner).
    for (let i = 0; i < 22; i++) {
      const family = rng.pick(L.FIRST_NAME_FAMILIES);
      const first = family[0]!;
      const last = rng.pick(L.LAST_NAMES);
      const created = this.now - 6 * YEAR + i * 30 * DAY;
      const updated = this.later(created);
      this.sfUsers.push({
        Id: sfId('005', this.sfIds.next(created)),
        Name: `${first} ${last}`,
        Email: `${asciiFold(first)}.${asciiFold(last)}${i}@${VENDOR_DOMAIN}`,
        IsActive: i < 20,
        CreatedDate: sfTime(created),
        LastModifiedDate: sfTime(updated),
        SystemModstamp: sfTime(updated),
      });
    }
  }

  private makeZdAgents(): void {
    const rng = this.rng;
    for (let i = 0; i < 13; i++) {
      const created = this.now - 6 * YEAR + i * 45 * DAY;
      const integration = i === 0;
      const first = integration ? 'Meridian' : rng.pick(L.PLAIN_FIRST_NAMES);
      const last = integration ? 'Integration' : rng.pick(L.LAST_NAMES);
      this.zdAgents.push({
        id: ZD_USER_BASE + this.zdUserIds.next(created),
        url: '',
        name: `${first} ${last}`,
        email: integration ? `integration@${VENDOR_DOMAIN}` : `${asciiFold(first)}.${asciiFold(last)}${i}@${VENDOR_DOMAIN}`,
        phone: null,
        organization_id: null,
        role: integration ? 'admin' : 'agent',
        external_id: null,
        active: true,
        verified: true,
        time_zone: 'Eastern Time (US & Canada)',
        locale: 'en-US',
        tags: [],
        user_fields: {},
        created_at: zdTime(created),
        updated_at: zdTime(this.later(created)),
      });
    }
  }

  private makePriceCatalog(): void {
    let n = 0;
    L.PRODUCTS.forEach((product, p) => {
      const prod = stId('prod', p + 1, this.seed);
      for (const currency of ['usd', 'cad', 'gbp', 'eur']) {
        for (const interval of ['month', 'year'] as const) {
          const monthly = roundTo(product.monthly * FX[currency]!, 100);
          this.prices.set(`${p}|${currency}|${interval}`, {
            id: stId('price', ++n, this.seed),
            object: 'price',
            unit_amount: interval === 'year' ? monthly * 10 : monthly,
            currency,
            recurring: { interval, interval_count: 1 },
            product: prod,
          });
        }
      }
    });
  }

  // ---------- one customer ----------

  private makeCustomer(i: number): void {
    const rng = this.rng;
    const now = this.now;
    const key = `T${pad(i + 1, 6)}`;
    const rc = rng.next();
    const country: Country = rc < 0.78 ? 'US' : rc < 0.86 ? 'CA' : rc < 0.94 ? 'GB' : 'DE';
    const { company, lookalikeOf } = this.makeCompany(i, country);
    const domain = this.makeDomain(company, country);
    const re = rng.next();
    const employees = re < 0.35 ? rng.int(5, 49) : re < 0.7 ? rng.int(50, 249) : re < 0.9 ? rng.int(250, 999) : rng.int(1000, 9999);
    const rl = rng.next();
    const lifecycle: Lifecycle = rl < RATES.lifecycle.prospect ? 'prospect' : rl < RATES.lifecycle.prospect + RATES.lifecycle.active ? 'active' : 'churned';
    const currency = country === 'CA' && rng.chance(0.3) ? 'usd' : CURRENCY[country];
    const city = rng.pick(L.CITIES[country]);
    const address = this.makeAddress(country, city);
    const phone = this.makeCompanyPhone(country, city);

    // Timeline: first touch, first signed deal, yearly renewals (at most three on record), churn.
    const t0 = now - rng.int(30 * DAY, 5 * YEAR);
    const firstWon = Math.min(t0 + rng.int(14 * DAY, 90 * DAY), now - 3 * DAY);
    const churnAt = lifecycle === 'churned' ? firstWon + Math.floor((now - DAY - firstWon) * (0.3 + 0.7 * rng.next())) : now;
    const deals: Deal[] = [];
    if (lifecycle !== 'prospect') {
      const n = Math.min(3, 1 + Math.floor((churnAt - firstWon) / YEAR));
      let amount = roundTo(employees * rng.int(60, 260) * FX[currency]!, 500);
      for (let k = 0; k < n; k++) {
        const start = firstWon + k * YEAR - (k > 0 ? rng.int(0, 10 * DAY) : 0);
        deals.push({ start, sfAmount: amount, erpAmount: amount });
        amount = roundTo(amount * (0.95 + 0.3 * rng.next()), 500);
      }
    }

    const c: Customer = {
      key, company, domain, industry: rng.pick(L.INDUSTRIES), employees, country, address, phone,
      people: [], lifecycle, currency: currency.toUpperCase(), t0, firstWon, churnAt, deals,
      owner: rng.chance(0.03) ? this.sfUsers[20 + rng.int(0, 1)]! : this.sfUsers[rng.int(0, 19)]!,
      sf: [], stripe: [], zd: [], erp: null, hasLiveSubscription: false,
      sfCreated: 0, sfUpdated: 0, stripeCreated: 0, zdUpdated: 0, erpUpdated: 0,
      conflicts: [], staleXrefs: [], lookalikes: [],
    };
    if (lookalikeOf !== null) {
      const other = this.truth[lookalikeOf]!;
      c.lookalikes.push(other.key);
      other.lookalikes!.push(key);
    }
    this.makePeople(c, i);

    // Which systems know this customer.
    let inSf: boolean, inStripe: boolean, inZd: boolean, inErp: boolean;
    if (lifecycle === 'prospect') {
      inSf = true; inStripe = false; inErp = false; inZd = rng.chance(RATES.prospectInZendesk);
    } else {
      const p = RATES.presence;
      inSf = rng.chance(p.salesforce); inStripe = rng.chance(p.stripe); inZd = rng.chance(p.zendesk); inErp = rng.chance(p.erp);
      // Every paying customer is known to at least one system of record (CRM or billing).
      if (!inSf && !inStripe && !inErp) {
        const r = rng.next();
        if (r < 0.34) inSf = true; else if (r < 0.67) inStripe = true; else inErp = true;
      }
    }

    // Genuine disagreements are decided up front: they change what the systems are given.
    const stripeBilling = inStripe && inErp && c.people.length > 1 && rng.chance(RATES.genuine.billingContact) ? c.people[1]! : c.people[0]!;
    if (inSf && inErp && deals.length > 0 && rng.chance(RATES.genuine.contractValue)) {
      const d = deals[rng.int(0, deals.length - 1)]!;
      // A discount or uplift agreed late and entered in only one system.
      const delta = roundTo(d.sfAmount * (0.05 + 0.1 * rng.next()), 500);
      d.erpAmount = rng.chance(0.75) || d.sfAmount - delta <= 0 ? Math.max(500, d.sfAmount - delta) : d.sfAmount + delta;
      if (d.erpAmount === d.sfAmount) d.erpAmount = d.sfAmount + 500;
    }

    // Which primary records carry a phone / an address (at least one does).
    const phoneIn = { sf: inSf && !rng.chance(0.06), stripe: inStripe && !rng.chance(0.45), erp: inErp && !rng.chance(0.08) };
    if (!phoneIn.sf && !phoneIn.stripe && !phoneIn.erp) {
      if (inSf) phoneIn.sf = true; else if (inErp) phoneIn.erp = true; else phoneIn.stripe = true;
    }
    const addrIn = { sf: inSf && !rng.chance(0.05), stripe: inStripe && !rng.chance(0.25), erp: inErp && !rng.chance(0.03) };
    if (!addrIn.sf && !addrIn.stripe && !addrIn.erp) {
      if (inSf) addrIn.sf = true; else if (inErp) addrIn.erp = true; else addrIn.stripe = true;
    }

    if (inSf) this.makeSalesforce(c, phoneIn.sf, addrIn.sf);
    if (inStripe) this.makeStripe(c, stripeBilling, phoneIn.stripe, addrIn.stripe);
    if (inZd) this.makeZendesk(c);
    if (inErp) this.makeErp(c, phoneIn.erp, addrIn.erp);

    this.plantLifecycleStale(c);
    this.linkSystems(c);
    this.plantContactStale(c, stripeBilling);
    this.plantPhoneStale(c);
    this.plantAddressStale(c);
    this.recordGenuine(c, stripeBilling);
    this.truth.push(this.truthOf(c));
    this.stems.push(company.stem);
    this.kinds.push(company.kind);
    for (const p of c.people) {
      this.personFamilies.push(p.family);
      this.personLasts.push(p.last);
    }
  }

  private makeCompany(i: number, country: Country): { company: CompanyName; lookalikeOf: number | null } {
    const rng = this.rng;
    const legalForm = rng.pick(LEGAL_FORMS[country]);
    if (i > 0 && rng.chance(RATES.lookalikeCompany)) {
      // Same stem, different line of business: "Northwind Traders" vs "Northwind Logistics".
      const other = rng.int(0, i - 1);
      const stem = this.stems[other]!;
      for (let attempt = 0; attempt < 6; attempt++) {
        const kind = rng.int(0, L.COMPANY_KINDS.length - 1);
        const name = flat(`${stem} ${L.COMPANY_KINDS[kind]![0]}`);
        if (kind !== this.kinds[other] && !this.usedNames.has(name)) {
          this.usedNames.add(name);
          return { company: { stem, kind, name, legalForm }, lookalikeOf: other };
        }
      }
    }
    for (let attempt = 0; ; attempt++) {
      const r = rng.next();
      const stem =
        r < 0.3 ? rng.pick(L.COMPANY_STEMS)
        : r < 0.42 ? rng.pick(L.LAST_NAMES)
        : `${rng.pick(L.COMPANY_STEMS)} ${rng.pick(L.COMPANY_SECOND_WORDS)}`;
      const kind = rng.int(0, L.COMPANY_KINDS.length - 1);
      // Past the combinatorial space (far beyond 100k) a number keeps names unique.
      const name = flat(attempt < 50 ? `${stem} ${L.COMPANY_KINDS[kind]![0]}` : `${stem} ${L.COMPANY_KINDS[kind]![0]} ${attempt}`);
      if (!this.usedNames.has(name)) {
        this.usedNames.add(name);
        return { company: { stem, kind, name, legalForm }, lookalikeOf: null };
      }
    }
  }

  private makeDomain(company: CompanyName, country: Country): string {
    const rng = this.rng;
    const r = rng.next();
    const tld =
      country === 'CA' ? (r < 0.5 ? 'ca' : 'com')
      : country === 'GB' ? (r < 0.6 ? 'co.uk' : 'com')
      : country === 'DE' ? (r < 0.7 ? 'de' : 'com')
      : r < 0.85 ? 'com' : r < 0.92 ? 'io' : 'co';
    const stem = asciiFold(company.stem);
    const full = asciiFold(company.name);
    const candidates = [full, stem, `${stem}-${asciiFold(L.COMPANY_KINDS[company.kind]![0])}`, `${full}hq`, `get${full}`];
    for (const base of candidates) {
      const d = flat(`${base}.${tld}`);
      if (!this.usedDomains.has(d)) {
        this.usedDomains.add(d);
        return d;
      }
    }
    for (let n = 2; ; n++) {
      const d = flat(`${full}${n}.${tld}`);
      if (!this.usedDomains.has(d)) {
        this.usedDomains.add(d);
        return d;
      }
    }
  }

  private makeAddress(country: Country, city: City): Address {
    const rng = this.rng;
    let postal: string;
    switch (country) {
      case 'US': postal = city.postalPrefix + digits(rng, 2); break;
      case 'CA': postal = `${city.postalPrefix} ${digits(rng, 1)}${String.fromCharCode(65 + rng.int(0, 25))}${digits(rng, 1)}`; break;
      case 'GB': postal = `${city.postalPrefix} ${digits(rng, 1)}${String.fromCharCode(65 + rng.int(0, 25))}${String.fromCharCode(65 + rng.int(0, 25))}`; break;
      case 'DE': postal = city.postalPrefix + digits(rng, 2); break;
    }
    const ru = rng.next();
    const unit: Address['unit'] =
      ru < 0.4 ? { kind: 'Suite', n: String(rng.int(1, 30) * 100 + rng.int(0, 20)) }
      : ru < 0.5 ? { kind: 'Floor', n: String(rng.int(2, 40)) }
      : ru < 0.55 ? { kind: 'Unit', n: String(rng.int(1, 60)) }
      : null;
    if (country === 'GB') {
      return { country, number: String(rng.int(1, 250)), street: rng.pick(L.GB_STREETS), streetType: null, unit, city, postal, plus4: '' };
    }
    if (country === 'DE') {
      return { country, number: String(rng.int(1, 180)), street: rng.pick(L.DE_STREETS), streetType: null, unit: null, city, postal, plus4: '' };
    }
    return {
      country, number: String(rng.int(1, 9999)), street: rng.pick(L.STREET_NAMES), streetType: rng.pick(L.STREET_TYPES),
      unit, city, postal, plus4: digits(rng, 4),
    };
  }

  private makePhone(country: Country, city: City): Phone {
    const rng = this.rng;
    const cc = country === 'GB' ? '44' : country === 'DE' ? '49' : '1';
    let local: string;
    if (cc === '1') local = String(rng.int(200, 999)) + digits(rng, 4);
    else if (country === 'GB') local = city.areaCode === '20' ? String(rng.int(3, 8)) + digits(rng, 7) : String(rng.int(2, 9)) + digits(rng, 6);
    else local = String(rng.int(2, 9)) + digits(rng, city.areaCode.length === 2 ? 7 : 6);
    return { cc, area: city.areaCode, local };
  }

  private makeCompanyPhone(country: Country, city: City): Phone {
    // Unique main lines: a shared number would be a false matching signal.
    for (;;) {
      const p = this.makePhone(country, city);
      const k = e164(p);
      if (!this.usedPhones.has(k)) {
        this.usedPhones.add(k);
        return p;
      }
    }
  }

  private makePeople(c: Customer, i: number): void {
    const rng = this.rng;
    const r = rng.next();
    const count = r < 0.3 ? 1 : r < 0.65 ? 2 : r < 0.87 ? 3 : 4;
    const locals = new Set<string>();
    for (let j = 0; j < count; j++) {
      let family: readonly string[];
      let last: string;
      if (i > 0 && rng.chance(RATES.sameNamePerson)) {
        // Same name, different company: a person-level hard negative.
        const other = rng.int(0, this.personLasts.length - 1);
        family = this.personFamilies[other]!;
        last = this.personLasts[other]!;
      } else {
        family = rng.chance(0.55) ? rng.pick(L.FIRST_NAME_FAMILIES) : [rng.pick(L.PLAIN_FIRST_NAMES)];
        last = rng.pick(L.LAST_NAMES);
      }
      const first = family[0]!;
      const f = asciiFold(first), l = asciiFold(last);
      let email: string;
      if (rng.chance(j === 0 ? 0.05 : 0.1)) {
        this.freeMailCounter += rng.int(1, 40);
        email = `${f}.${l}${this.freeMailCounter}@${rng.pick(L.FREE_MAIL_DOMAINS)}`;
      } else {
        const rp = rng.next();
        let local = rp < 0.5 ? `${f}.${l}` : rp < 0.7 ? `${f.charAt(0)}${l}` : rp < 0.8 ? f : rp < 0.9 ? `${f}${l.charAt(0)}` : `${f}_${l}`;
        for (let n = 2; locals.has(local); n++) local = `${f}.${l}${n}`;
        locals.add(local);
        email = `${local}@${c.domain}`;
      }
      c.people.push({
        key: `${c.key}-P${j + 1}`,
        family, last,
        name: flat(`${first} ${last}`),
        email: flat(email),
        phone: this.makePhone(c.country, c.address.city),
        title: j === 0 ? rng.pick(L.BILLING_TITLES) : rng.pick(L.TITLES),
        sf: [], zd: [], stripe: [],
      });
    }
  }

  // ---------- Salesforce ----------

  private makeSalesforce(c: Customer, withPhone: boolean, withAddress: boolean): void {
    const rng = this.rng;
    const created = this.past(c.t0);
    const updated = this.later(created);
    c.sfCreated = created;
    c.sfUpdated = updated;
    const type =
      c.lifecycle === 'prospect' ? 'Prospect' : c.lifecycle === 'churned' ? 'Former Customer' : rng.chance(0.85) ? 'Customer - Direct' : 'Customer - Channel';
    const account = this.sfAccount(c, created, updated, type, withPhone, withAddress, c.owner);
    c.sf.push(account);

    // The billing contact was entered first (the "primary contact" rule relies on it), within
    // minutes of the account; everyone else, duplicates included, came later.
    const primaryContactCreated = this.createdAfter(created, created + 600);
    c.people.forEach((p, j) => {
      if (j > 0 && !rng.chance(0.9)) return;
      const cc = j === 0 ? primaryContactCreated : this.createdAfter(primaryContactCreated);
      this.sfContact(c, p, account, cc, j > 0 && rng.chance(RATES.deletedContact));
    });
    this.sfOpportunitiesFor(c, account);

    if (rng.chance(RATES.duplicate.sfAccount)) {
      // Someone created a second account instead of searching first.
      const dc = this.createdAfter(Math.max(created + DAY, primaryContactCreated));
      const merged = rng.chance(RATES.sfDuplicateMerged);
      const du = this.later(dc);
      const dup = this.sfAccount(c, dc, du, rng.chance(0.5) ? null : type, rng.chance(0.5), rng.chance(0.5), rng.pick(this.sfUsers.slice(0, 20)));
      if (merged) {
        dup.IsDeleted = true;
        dup.MasterRecordId = account.Id;
      }
      c.sf.push(dup);
      if (rng.chance(0.6)) {
        // The duplicate's contact for a person already on the primary; a merge reparents it.
        const p = rng.pick(c.people);
        this.sfContact(c, p, merged ? account : dup, this.createdAfter(dc), false);
      }
    }
  }

  private sfAccount(c: Customer, created: number, updated: number, type: string | null, withPhone: boolean, withAddress: boolean, owner: SfUser): SfAccount {
    const rng = this.rng;
    const addr = withAddress ? renderAddress(rng, c.address, 'salesforce') : null;
    const employees = rng.chance(0.9) ? c.employees : null;
    const lm = sfTime(updated);
    const a: SfAccount = {
      Id: sfId('001', this.sfIds.next(created)),
      Name: companyVariant(rng, c.company, RATES.typo),
      Phone: withPhone ? formatPhone(rng, c.phone, 'salesforce') : null,
      Website: rng.chance(0.9) ? websiteVariant(rng, c.domain) : null,
      Industry: rng.chance(0.9) ? c.industry : null,
      Type: type,
      NumberOfEmployees: employees,
      AnnualRevenue: employees !== null && rng.chance(0.7) ? roundTo(employees * rng.int(80_000, 250_000), 100_000) : null,
      BillingStreet: addr ? (addr.line2 ? `${addr.line1}\n${addr.line2}` : addr.line1) : null,
      BillingCity: addr?.city ?? null,
      BillingState: addr?.region ?? null,
      BillingPostalCode: addr?.postal ?? null,
      BillingCountry: addr?.country ?? null,
      OwnerId: owner.Id,
      Stripe_Customer_Id__c: null,
      ERP_Customer_Number__c: null,
      Zendesk_Organization_Id__c: null,
      Meridian_Id__c: null,
      IsDeleted: false,
      MasterRecordId: null,
      CreatedDate: sfTime(created),
      LastModifiedDate: lm,
      SystemModstamp: lm,
    };
    this.sfAccounts.push(a);
    return a;
  }

  private sfContact(c: Customer, p: Person, account: SfAccount, created: number, deleted: boolean): void {
    const rng = this.rng;
    let firstName: string | null = firstNameVariant(rng, p.family);
    let lastName = p.last;
    if (rng.chance(RATES.typo)) {
      if (rng.chance(0.5)) lastName = typo(rng, lastName);
      else firstName = typo(rng, firstName);
    }
    if (rng.chance(0.01)) firstName = null;
    const mail = rng.chance(0.5) ? renderAddress(rng, c.address, 'salesforce') : null;
    const lm = sfTime(this.later(created));
    const isPrimaryContact = p === c.people[0] && c.sf.length === 1 && p.sf.length === 0;
    const contact: SfContact = {
      Id: sfId('003', this.sfIds.next(created)),
      AccountId: account.Id,
      FirstName: firstName,
      LastName: lastName,
      Name: firstName === null ? lastName : flat(`${firstName} ${lastName}`),
      Email: isPrimaryContact || rng.chance(0.95) ? emailVariant(rng, p.email, 'salesforce') : null,
      Phone: rng.chance(0.7) ? formatPhone(rng, p.phone, 'salesforce') : null,
      Title: rng.chance(0.85) ? p.title : null,
      MailingStreet: mail ? mail.line1 : null,
      MailingCity: mail?.city ?? null,
      MailingState: mail?.region ?? null,
      MailingPostalCode: mail?.postal ?? null,
      MailingCountry: mail?.country ?? null,
      IsDeleted: deleted,
      CreatedDate: sfTime(created),
      LastModifiedDate: lm,
      SystemModstamp: lm,
    };
    p.sf.push(contact);
    this.sfContacts.push(contact);
  }

  private sfOpportunitiesFor(c: Customer, account: SfAccount): void {
    const rng = this.rng;
    const now = this.now;
    let live = 0;
    c.deals.forEach((d, k) => {
      const created = Math.max(c.sfCreated + 60, d.start - rng.int(14 * DAY, 90 * DAY));
      const product = k === 0 ? 'New Business' : 'Renewal';
      this.sfOpportunity(c, account, `${account.Name} - ${product} ${dateOnly(d.start).slice(0, 4)}`, 'Closed Won', 100,
        d.sfAmount, dateOnly(d.start), created, this.later(Math.max(created, d.start - DAY), d.start + 10 * DAY), false);
      live++;
      if (rng.chance(0.015)) {
        // Entered twice, then one deleted: sums must skip IsDeleted rows.
        this.sfOpportunity(c, account, `${account.Name} - ${product}`, 'Closed Won', 100, d.sfAmount, dateOnly(d.start),
          this.past(created + 3600), this.later(this.past(created + 3600)), true);
      }
    });
    const opens = c.lifecycle === 'prospect' ? rng.int(0, 2) : c.lifecycle === 'active' && rng.chance(0.35) ? 1 : 0;
    for (let k = 0; k < opens && live < 4; k++, live++) {
      const created = this.past(this.between(Math.max(c.sfCreated + 60, now - 200 * DAY), now - 3600));
      const [stage, probability] = rng.pick(L.SF_OPEN_STAGES);
      this.sfOpportunity(c, account, `${account.Name} - ${c.lifecycle === 'prospect' ? 'New Business' : 'Expansion'}`, stage, probability,
        roundTo(c.employees * rng.int(60, 260), 500), dateOnly(now + rng.int(7 * DAY, 150 * DAY)), created, this.later(created), false);
    }
    const lostChance = c.lifecycle === 'prospect' ? 0.25 : c.lifecycle === 'churned' ? 0.35 : 0.15;
    if (live < 4 && rng.chance(lostChance)) {
      const created = this.past(this.between(c.sfCreated + 60, now - 30 * DAY));
      const close = Math.min(created + rng.int(14 * DAY, 120 * DAY), now - DAY);
      this.sfOpportunity(c, account, `${account.Name} - ${c.lifecycle === 'churned' ? 'Renewal' : 'New Business'}`, 'Closed Lost', 0,
        roundTo(c.employees * rng.int(60, 260), 500), dateOnly(close), created, this.later(Math.max(created, close - DAY)), false);
    }
  }

  private sfOpportunity(
    c: Customer, account: SfAccount, name: string, stage: string, probability: number, amount: number,
    closeDate: string, created: number, updated: number, deleted: boolean,
  ): void {
    const closed = stage === 'Closed Won' || stage === 'Closed Lost';
    const lm = sfTime(updated);
    this.sfOpportunities.push({
      Id: sfId('006', this.sfIds.next(created)),
      AccountId: account.Id,
      Name: flat(name),
      StageName: stage,
      Amount: amount,
      CloseDate: closeDate,
      IsClosed: closed,
      IsWon: stage === 'Closed Won',
      Probability: probability,
      OwnerId: c.owner.Id,
      IsDeleted: deleted,
      CreatedDate: sfTime(created),
      LastModifiedDate: lm,
      SystemModstamp: lm,
    });
  }

  // ---------- Stripe ----------

  private stripeAddress(a: RenderedAddress): StripeAddress {
    return { line1: a.line1, line2: a.line2, city: a.city, state: a.region, postal_code: a.postal, country: a.country };
  }

  private makeStripe(c: Customer, billing: Person, withPhone: boolean, withAddress: boolean): void {
    const rng = this.rng;
    const now = this.now;
    const end = c.lifecycle === 'churned' ? c.churnAt : now;
    const created = this.past(Math.min(c.firstWon + rng.int(0, 10 * DAY), end - 7200));
    c.stripeCreated = created;
    const cus = this.stripeCustomer(c, billing, created, withPhone, withAddress);
    const pm = this.stripePaymentMethod(c, billing, cus, this.createdAfter(created, created + DAY));
    cus.invoice_settings.default_payment_method = pm.id;

    // The subscription mirrors the lifecycle: churned customers cancelled, active ones paying.
    const subCreated = this.createdAfter(created, created + 3600);
    const interval = rng.chance(0.55) ? 'year' : 'month';
    const step = interval === 'year' ? 12 : 1;
    let status: StripeSubscription['status'];
    if (c.lifecycle === 'churned') status = 'canceled';
    else if (now - subCreated < 14 * DAY) status = 'trialing';
    else {
      const r = rng.next();
      status = r < 0.07 ? 'past_due' : r < 0.1 ? 'unpaid' : 'active';
    }
    c.hasLiveSubscription = status !== 'canceled';
    const cur = c.currency.toLowerCase();
    const tier = c.employees < 50 ? 0 : c.employees < 250 ? 1 : 2;
    // Completed billing periods up to `end`, computed without walking every month.
    let k = Math.floor((end - subCreated) / (step * 30.4375 * DAY));
    while (k > 0 && addMonths(subCreated, k * step) > end) k--;
    while (addMonths(subCreated, (k + 1) * step) <= end) k++;
    const trialEnd = subCreated + 14 * DAY;
    // Since API version 2025-03-31 the current period lives on each item (here all alike).
    const periodStart = status === 'trialing' ? subCreated : addMonths(subCreated, k * step);
    const periodEnd = status === 'trialing' ? trialEnd : addMonths(subCreated, (k + 1) * step);
    const items: StripeSubscriptionItem[] = [];
    const price = this.prices.get(`${tier}|${cur}|${interval}`)!;
    const quantity = Math.max(1, Math.min(200, Math.round(c.employees / 10)));
    items.push({ id: stId('si', this.stripeIds.next(subCreated), this.seed), object: 'subscription_item', price: { ...price, recurring: { ...price.recurring } }, quantity, current_period_start: periodStart, current_period_end: periodEnd });
    if (rng.chance(0.2)) {
      const support = this.prices.get(`3|${cur}|${interval}`)!;
      items.push({ id: stId('si', this.stripeIds.next(subCreated), this.seed), object: 'subscription_item', price: { ...support, recurring: { ...support.recurring } }, quantity: 1, current_period_start: periodStart, current_period_end: periodEnd });
    }
    let periodTotal = 0;
    for (const it of items) periodTotal += it.price.unit_amount * it.quantity;

    const sub: StripeSubscription = {
      id: stId('sub', this.stripeIds.next(subCreated), this.seed),
      object: 'subscription',
      customer: cus.id,
      status,
      currency: cur,
      items: { object: 'list', data: items },
      cancel_at_period_end: status === 'active' && rng.chance(0.03),
      canceled_at: status === 'canceled' ? c.churnAt : null,
      created: subCreated,
      metadata: {},
      livemode: false,
    };
    this.stripeSubscriptions.push(sub);
    cus.delinquent = status === 'past_due' || status === 'unpaid';

    const prefix = flat(this.invoicePrefix());
    if (status === 'trialing') {
      this.stripeInvoice(cus, sub, `${prefix}-0001`, 'paid', 0, subCreated, null);
    } else {
      const first = Math.max(0, k - 2);
      for (let p = first; p <= k; p++) {
        const invCreated = this.past(addMonths(subCreated, p * step) + rng.int(0, 3600));
        const lastOne = p === k;
        const failing = lastOne && (status === 'past_due' || status === 'unpaid');
        const voided = lastOne && status === 'canceled' && rng.chance(0.05);
        const inv = this.stripeInvoice(cus, sub, flat(`${prefix}-${pad(p + 1, 4)}`), failing ? 'open' : voided ? 'void' : 'paid',
          periodTotal, invCreated, rng.chance(0.2) ? invCreated + 30 * DAY : null);
        if (voided) continue;
        if (failing) {
          const attempts = status === 'unpaid' ? 3 : rng.int(1, 2);
          for (let a = 0; a < attempts; a++) {
            const at = invCreated + 3600 + a * 3 * DAY;
            if (at >= now) break;
            this.stripeCharge(cus, pm, periodTotal, at, false);
          }
        } else {
          const ch = this.stripeCharge(cus, pm, periodTotal, this.later(invCreated, invCreated + 3600), true);
          this.stripeInvoicePayment(inv, ch);
        }
      }
    }
    if (rng.chance(0.04)) {
      // A one-off charge (onboarding fee) outside any invoice.
      this.stripeCharge(cus, pm, roundTo(50_000 * FX[cur]!, 100), this.later(created, created + 30 * DAY), true);
    }

    if (rng.chance(RATES.duplicate.stripeCustomer)) {
      // A second checkout with the same e-mail: a customer object with a card and nothing else.
      const dupCreated = this.createdAfter(created + DAY);
      const dup = this.stripeCustomer(c, billing, dupCreated, rng.chance(0.3), rng.chance(0.5));
      if (rng.chance(0.5)) {
        const dpm = this.stripePaymentMethod(c, billing, dup, this.createdAfter(dupCreated, dupCreated + 600));
        dup.invoice_settings.default_payment_method = dpm.id;
      }
    }
  }

  private invoicePrefix(): string {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
    let s = '';
    for (let i = 0; i < 8; i++) s += alphabet.charAt(this.rng.int(0, alphabet.length - 1));
    return s;
  }

  private stripeCustomer(c: Customer, billing: Person, created: number, withPhone: boolean, withAddress: boolean): StripeCustomer {
    const rng = this.rng;
    const cus: StripeCustomer = {
      id: stId('cus', this.stripeIds.next(created), this.seed),
      object: 'customer',
      name: rng.chance(0.97) ? companyVariant(rng, c.company, RATES.typo) : null,
      email: emailVariant(rng, billing.email, 'stripe'),
      phone: withPhone ? formatPhone(rng, c.phone, 'stripe') : null,
      description: rng.chance(0.3) ? `${billing.name} (${billing.title})` : null,
      address: withAddress ? this.stripeAddress(renderAddress(rng, c.address, 'stripe')) : null,
      currency: c.currency.toLowerCase(),
      balance: 0,
      delinquent: false,
      metadata: {},
      invoice_settings: { default_payment_method: null },
      created,
      livemode: false,
    };
    c.stripe.push(cus);
    billing.stripe.push(cus);
    this.stripeCustomers.push(cus);
    return cus;
  }

  private stripePaymentMethod(c: Customer, billing: Person, cus: StripeCustomer, created: number): StripePaymentMethod {
    const rng = this.rng;
    const r = rng.next();
    const pm: StripePaymentMethod = {
      id: stId('pm', this.stripeIds.next(created), this.seed),
      object: 'payment_method',
      customer: cus.id,
      type: 'card',
      card: {
        brand: r < 0.55 ? 'visa' : r < 0.85 ? 'mastercard' : 'amex',
        last4: digits(rng, 4),
        exp_month: rng.int(1, 12),
        exp_year: new Date(this.now * 1000).getUTCFullYear() + rng.int(0, 4),
        country: c.country,
      },
      billing_details: { name: `${firstNameVariant(rng, billing.family)} ${billing.last}`, email: cus.email, phone: null, address: cus.address ? { ...cus.address } : null },
      created,
      metadata: {},
      livemode: false,
    };
    this.stripePaymentMethods.push(pm);
    return pm;
  }

  private stripeInvoice(cus: StripeCustomer, sub: StripeSubscription, number: string, status: StripeInvoice['status'], total: number, created: number, due: number | null): StripeInvoice {
    const paid = status === 'paid' ? total : 0;
    const inv: StripeInvoice = {
      id: stId('in', this.stripeIds.next(created), this.seed),
      object: 'invoice',
      customer: cus.id,
      parent: { type: 'subscription_details', subscription_details: { subscription: sub.id, metadata: { ...sub.metadata } }, quote_details: null },
      number,
      status,
      currency: sub.currency,
      amount_due: total,
      amount_paid: paid,
      amount_remaining: status === 'void' ? 0 : total - paid,
      total,
      created,
      due_date: due,
      metadata: {},
      livemode: false,
    };
    this.stripeInvoices.push(inv);
    return inv;
  }

  /**
   * A charge. Failed attempts at an open invoice have no link to it in the current API (that
   * went through the PaymentIntent, which the sandbox does not model); a successful invoice
   * charge gets an invoice payment (`stripeInvoicePayment`).
   */
  private stripeCharge(cus: StripeCustomer, pm: StripePaymentMethod, amount: number, created: number, ok: boolean): StripeCharge {
    const rng = this.rng;
    const refunded = ok && rng.chance(0.02) ? (rng.chance(0.5) ? amount : roundTo(amount * 0.25, 100)) : 0;
    const ch: StripeCharge = {
      id: stId('ch', this.stripeIds.next(created), this.seed),
      object: 'charge',
      customer: cus.id,
      amount,
      amount_refunded: refunded,
      currency: cus.currency ?? 'usd',
      status: ok ? 'succeeded' : 'failed',
      paid: ok,
      refunded: refunded > 0 && refunded === amount,
      failure_code: ok ? null : rng.chance(0.7) ? 'card_declined' : 'expired_card',
      failure_message: ok ? null : 'Your card was declined.',
      payment_method: pm.id,
      created,
      metadata: {},
      livemode: false,
    };
    this.stripeCharges.push(ch);
    return ch;
  }

  /** The invoice ↔ charge link: the invoice was paid in full by this (successful) charge. */
  private stripeInvoicePayment(inv: StripeInvoice, ch: StripeCharge): void {
    this.stripeInvoicePayments.push({
      id: stId('inpay', this.stripeIds.next(ch.created), this.seed),
      object: 'invoice_payment',
      invoice: inv.id,
      amount_paid: inv.total,
      amount_requested: inv.total,
      currency: inv.currency,
      is_default: true,
      payment: { type: 'charge', charge: ch.id },
      status: 'paid',
      status_transitions: { canceled_at: null, paid_at: ch.created },
      created: ch.created,
      livemode: false,
    });
  }

  // ---------- Zendesk ----------

  private makeZendesk(c: Customer): void {
    const rng = this.rng;
    const created = this.past((c.lifecycle === 'prospect' ? c.t0 : c.firstWon) + rng.int(DAY, 60 * DAY));
    const updated = this.later(created);
    c.zdUpdated = updated;
    const tier = c.employees < 50 ? 'team' : c.employees < 250 ? 'business' : 'enterprise';
    const org: ZdOrganization = {
      id: ZD_ORG_BASE + this.zdOrgIds.next(created),
      url: '',
      name: companyVariant(rng, c.company, RATES.typo),
      domain_names: rng.chance(0.85) ? [c.domain] : [],
      external_id: null,
      details: rng.chance(0.15) ? canonicalAddress(c.address).line1 + ', ' + c.address.city.city : null,
      notes: null,
      tags: [tier],
      organization_fields: { account_tier: tier },
      created_at: zdTime(created),
      updated_at: zdTime(updated),
    };
    c.zd.push(org);
    this.zdOrganizations.push(org);

    const tz = c.country === 'GB' ? 'London' : c.country === 'DE' ? 'Berlin' : TIME_ZONES[c.address.city.region] ?? 'Eastern Time (US & Canada)';
    const locale = c.country === 'GB' ? 'en-GB' : c.country === 'DE' ? 'de' : c.country === 'CA' ? (c.address.city.region === 'QC' ? 'fr-CA' : 'en-CA') : 'en-US';
    let any = false;
    c.people.forEach((p, j) => {
      // People who file tickets; at least one per organization.
      if (!rng.chance(0.7) && (any || j < c.people.length - 1)) return;
      any = true;
      const user = this.zdUser(p, org, this.createdAfter(created), tz, locale, p.email);
      this.zdTicketsFor(user, org);
      if (rng.chance(RATES.duplicate.zendeskUser)) {
        // The same person again: wrote in from a personal address, or was added by phone.
        this.freeMailCounter += rng.int(1, 40);
        const mail = rng.chance(0.5) ? `${asciiFold(p.family[0]!)}${asciiFold(p.last)}${this.freeMailCounter}@${rng.pick(L.FREE_MAIL_DOMAINS)}` : null;
        const dup = this.zdUser(p, rng.chance(0.6) ? org : null, this.createdAfter(created + DAY), tz, locale, mail);
        this.zdTicketsFor(dup, rng.chance(0.6) ? org : null);
      }
    });
  }

  private zdUser(p: Person, org: ZdOrganization | null, created: number, tz: string, locale: string, email: string | null): ZdUser {
    const rng = this.rng;
    let name = `${firstNameVariant(rng, p.family)} ${p.last}`;
    if (rng.chance(RATES.typo)) name = typo(rng, name);
    const rc = rng.next();
    if (rc < 0.04) name = name.toLowerCase();
    else if (rc < 0.06) name = name.toUpperCase();
    const user: ZdUser = {
      id: ZD_USER_BASE + this.zdUserIds.next(created),
      url: '',
      name: flat(name),
      email,
      phone: email === null || rng.chance(0.3) ? formatPhone(rng, p.phone, 'zendesk') : null,
      organization_id: org ? org.id : null,
      role: 'end-user',
      external_id: null,
      active: true,
      verified: email !== null && rng.chance(0.9),
      time_zone: tz,
      locale,
      tags: [],
      user_fields: {},
      created_at: zdTime(created),
      updated_at: zdTime(this.later(created)),
    };
    p.zd.push(user);
    this.zdUsers.push(user);
    return user;
  }

  private zdTicketsFor(user: ZdUser, org: ZdOrganization | null): void {
    const rng = this.rng;
    const now = this.now;
    const userCreated = Date.parse(user.created_at) / 1000;
    const r = rng.next();
    const count = r < 0.25 ? 0 : r < 0.55 ? 1 : r < 0.8 ? 2 : r < 0.93 ? 3 : 4;
    for (let t = 0; t < count; t++) {
      const created = this.createdAfter(userCreated);
      const age = now - created;
      const rs = rng.next();
      const status: ZdTicket['status'] =
        age < 3 * DAY ? (rs < 0.3 ? 'new' : rs < 0.8 ? 'open' : 'pending')
        : age < 30 * DAY ? (rs < 0.25 ? 'open' : rs < 0.45 ? 'pending' : rs < 0.5 ? 'hold' : 'solved')
        : rs < 0.3 ? 'solved' : 'closed';
      const done = status === 'solved' || status === 'closed';
      const updated = done ? this.later(created, created + 10 * DAY) : this.later(created);
      const assignee = status === 'new' ? null : this.zdAgents[rng.int(1, this.zdAgents.length - 1)]!;
      const subject = rng.pick(L.TICKET_SUBJECTS);
      const rr = rng.next();
      const score: ZdSatisfactionRating['score'] | null = done ? (rr < 0.28 ? 'good' : rr < 0.35 ? 'bad' : rr < 0.45 ? 'offered' : null) : null;
      const ticket: ZdTicket = {
        id: ZD_TICKET_BASE + this.zdTicketIds.next(created),
        url: '',
        subject,
        description: flat(`${subject}. Reported by ${user.name}.`),
        status,
        priority: rng.chance(0.15) ? null : rng.pick(['low', 'normal', 'normal', 'normal', 'high', 'urgent'] as const),
        type: rng.chance(0.2) ? null : rng.pick(['problem', 'incident', 'question', 'task'] as const),
        requester_id: user.id,
        submitter_id: rng.chance(0.1) && assignee ? assignee.id : user.id,
        assignee_id: assignee ? assignee.id : null,
        organization_id: org ? org.id : null,
        tags: subject.includes('nvoice') || subject.includes('billing') ? ['billing'] : [],
        satisfaction_rating: score === null ? null : { score },
        created_at: zdTime(created),
        updated_at: zdTime(updated),
      };
      this.zdTickets.push(ticket);
      if (score !== null) {
        // Rated as the last change to the ticket.
        this.zdRatings.push({
          id: ZD_RATING_BASE + this.zdRatingIds.next(updated),
          url: '',
          score,
          comment: score === 'bad' ? 'Took too long to resolve.' : score === 'good' && rng.chance(0.3) ? 'Quick and helpful, thanks!' : null,
          ticket_id: ticket.id,
          requester_id: user.id,
          assignee_id: ticket.assignee_id,
          group_id: null,
          created_at: ticket.updated_at,
          updated_at: ticket.updated_at,
        });
      }
    }
  }

  // ---------- ERP ----------

  private makeErp(c: Customer, withPhone: boolean, withAddress: boolean): void {
    const rng = this.rng;
    const now = this.now;
    // Finance sets the customer up while the first deal is being signed.
    const created = this.past(Math.max(c.t0 + 60, c.firstWon - rng.int(DAY, 10 * DAY)));
    const updated = this.later(created);
    c.erpUpdated = updated;
    const billing = c.people[0]!;
    const addr = withAddress ? renderAddress(rng, c.address, 'erp') : null;
    const rs = rng.next();
    const accounting: ErpCustomer['accounting_status'] =
      c.lifecycle === 'churned' ? (rs < 0.75 ? 'closed' : rs < 0.85 ? 'collections' : 'good_standing')
      : rs < 0.88 ? 'good_standing' : rs < 0.93 ? 'on_hold' : 'collections';
    const terms = rng.pick(['NET30', 'NET30', 'NET30', 'NET45', 'NET60', 'DUE_ON_RECEIPT']);
    const termDays = terms === 'DUE_ON_RECEIPT' ? 0 : Number(terms.slice(3));
    const taxId =
      rng.chance(0.1) ? null
      : c.country === 'US' ? `${digits(rng, 2)}-${digits(rng, 7)}`
      : c.country === 'CA' ? `${digits(rng, 9)}RT0001`
      : `${c.country}${digits(rng, 9)}`;
    const lastDeal = c.deals[c.deals.length - 1];
    const row: ErpCustomer = {
      customer_number: '',
      legal_name: flat(legalName(c.company)),
      tax_id: taxId,
      billing_email: emailVariant(rng, billing.email, 'erp'),
      billing_contact: rng.chance(0.8) ? billing.name : flat(`${firstNameVariant(rng, billing.family)} ${billing.last}`),
      phone: withPhone ? formatPhone(rng, c.phone, 'erp') : null,
      address_line1: addr?.line1 ?? null,
      address_line2: addr?.line2 ?? null,
      city: addr?.city ?? null,
      region: addr?.region ?? null,
      postal_code: addr?.postal ?? null,
      country: addr?.country ?? null,
      currency: c.currency,
      payment_terms: terms,
      credit_limit: lastDeal && rng.chance(0.8) ? money(roundTo(lastDeal.erpAmount * 0.5, 1000)) : null,
      accounting_status: accounting,
      salesforce_account_id: null,
      created_at: isoTime(created),
      updated_at: isoTime(updated),
    };
    c.erp = row;
    this.erpCustomers.push(row);
    this.erpCustomerSec.push(created);

    const quarterly = rng.chance(0.25);
    c.deals.forEach((d, k) => {
      const last = k === c.deals.length - 1;
      let status: ErpContract['status'] = 'expired';
      if (last) status = c.lifecycle === 'active' ? 'active' : rng.chance(0.5) ? 'terminated' : 'expired';
      // An active contract whose first year is over runs on as evergreen (no end date).
      const endSec = d.start + YEAR;
      const endDate = last && c.lifecycle === 'active' && endSec < now ? null : dateOnly(endSec);
      const cCreated = this.past(Math.max(created + 60, d.start - rng.int(0, 3 * DAY)));
      const stop = Math.min(last && c.lifecycle === 'churned' ? c.churnAt : now, endSec);
      const contract = this.erpContract(row, d.start, endDate, d.erpAmount, status, cCreated,
        status === 'expired' && endSec < now ? this.later(Math.max(cCreated, endSec)) : this.later(cCreated));
      const n = quarterly ? 4 : 1;
      const cents = Math.round(d.erpAmount * 100);
      for (let q = 0; q < n; q++) {
        const issue = d.start + Math.floor((q * YEAR) / n);
        if (issue >= stop || issue >= now - 60) break;
        const amount = q === n - 1 ? cents - Math.floor(cents / n) * (n - 1) : Math.floor(cents / n);
        this.erpInvoiceFor(row, contract, issue, amount / 100, termDays, accounting);
      }
    });
    if (c.lifecycle === 'active' && rng.chance(0.1) && lastDeal) {
      // Next year's contract, drafted but not signed: not part of any total.
      const start = now + rng.int(10 * DAY, 90 * DAY);
      const dc = this.createdAfter(now - 20 * DAY);
      this.erpContract(row, start, dateOnly(start + YEAR), roundTo(lastDeal.erpAmount * 1.1, 500), 'draft', dc, this.later(dc));
    }
  }

  private erpContract(row: ErpCustomer, start: number, endDate: string | null, total: number, status: ErpContract['status'], created: number, updated: number): ErpContract {
    const contract: ErpContract = {
      contract_id: 0,
      customer_number: '',
      contract_number: '',
      start_date: dateOnly(start),
      end_date: endDate,
      total_value: money(total),
      currency: row.currency,
      status,
      updated_at: isoTime(updated),
    };
    this.erpContracts.push(contract);
    this.erpContractSec.push(created);
    this.erpContractOwner.push(row);
    return contract;
  }

  private erpInvoiceFor(row: ErpCustomer, contract: ErpContract, issue: number, amount: number, termDays: number, accounting: ErpCustomer['accounting_status']): void {
    const rng = this.rng;
    const now = this.now;
    const due = issue + termDays * DAY;
    let status: ErpInvoice['status'];
    if (rng.chance(0.01)) status = 'void';
    else if (due >= now) status = rng.chance(0.3) ? 'paid' : 'open';
    else if ((accounting === 'collections' || accounting === 'on_hold') && now - due < 200 * DAY) status = 'overdue';
    else status = rng.chance(0.02) ? 'overdue' : 'paid';
    const paidAt = status === 'paid' ? this.later(issue, Math.min(now - 1, due + 10 * DAY)) : 0;
    const inv: ErpInvoice = {
      invoice_id: 0,
      customer_number: '',
      contract_id: null,
      invoice_number: '',
      issue_date: dateOnly(issue),
      due_date: dateOnly(due),
      amount: money(amount),
      currency: row.currency,
      status,
      updated_at: isoTime(status === 'paid' ? paidAt : this.later(issue)),
    };
    this.erpInvoices.push(inv);
    this.erpInvoiceSec.push(issue);
    this.erpInvoiceOwner.push(row);
    this.erpInvoiceContract.push(contract);
    if (status === 'paid') {
      this.erpPayments.push({
        payment_id: 0,
        invoice_id: 0,
        customer_number: '',
        amount: inv.amount,
        currency: row.currency,
        method: rng.pick(['wire', 'ach', 'ach', 'card', 'check'] as const),
        paid_at: isoTime(paidAt),
        updated_at: isoTime(paidAt),
      });
      this.erpPaymentSec.push(paidAt);
      this.erpPaymentInvoice.push(inv);
    }
  }

  /** Serial ERP ids in creation order, then the foreign keys and the cross-references to them. */
  private finalizeErp(): void {
    const order = (secs: number[]): number[] => {
      const idx = Array.from(secs.keys());
      idx.sort((a, b) => secs[a]! - secs[b]! || a - b);
      return idx;
    };
    const cust = order(this.erpCustomerSec);
    cust.forEach((ix, rank) => { this.erpCustomers[ix]!.customer_number = `C-${pad(rank + 1, 6)}`; });
    const contracts = order(this.erpContractSec);
    contracts.forEach((ix, rank) => {
      const k = this.erpContracts[ix]!;
      k.contract_id = rank + 1;
      k.customer_number = this.erpContractOwner[ix]!.customer_number;
      k.contract_number = flat(`CT-${k.start_date.slice(0, 4)}-${pad(rank + 1, 6)}`);
    });
    const invoices = order(this.erpInvoiceSec);
    invoices.forEach((ix, rank) => {
      const inv = this.erpInvoices[ix]!;
      inv.invoice_id = rank + 1;
      inv.customer_number = this.erpInvoiceOwner[ix]!.customer_number;
      inv.contract_id = this.erpInvoiceContract[ix]?.contract_id ?? null;
      inv.invoice_number = flat(`INV-${inv.issue_date.slice(0, 4)}-${pad(rank + 1, 7)}`);
    });
    const payments = order(this.erpPaymentSec);
    payments.forEach((ix, rank) => {
      const p = this.erpPayments[ix]!;
      const inv = this.erpPaymentInvoice[ix]!;
      p.payment_id = rank + 1;
      p.invoice_id = inv.invoice_id;
      p.customer_number = inv.customer_number;
    });
    for (const [a, e] of this.erpRefsFromSf) a.ERP_Customer_Number__c = e.customer_number;
    for (const [s, e] of this.erpRefsFromStripe) s.metadata.erp_customer_number = e.customer_number;
    for (const [ref, e] of this.erpTruthRefs) ref.id = e.customer_number;
    const sorted = <T>(items: T[], idx: number[]): T[] => idx.map((i) => items[i]!);
    this.replace(this.erpCustomers, sorted(this.erpCustomers, cust));
    this.replace(this.erpContracts, sorted(this.erpContracts, contracts));
    this.replace(this.erpInvoices, sorted(this.erpInvoices, invoices));
    this.replace(this.erpPayments, sorted(this.erpPayments, payments));
  }

  /** In-place replacement without spreading (spread arguments overflow the stack at 100k+). */
  private replace<T>(target: T[], items: T[]): void {
    target.length = 0;
    for (const it of items) target.push(it);
  }

  // ---------- cross-system mess ----------

  /** Salesforce still says "Customer" for an account Stripe shows cancelled later. */
  private plantLifecycleStale(c: Customer): void {
    const sf = c.sf[0];
    const rng = this.rng;
    if (!sf || c.lifecycle !== 'churned' || c.stripe.length === 0 || c.churnAt - c.sfCreated < 2 * DAY) return;
    if (!rng.chance(RATES.stale.lifecycle)) return;
    const updated = this.between(c.sfCreated + 1, c.churnAt - DAY);
    sf.Type = 'Customer - Direct';
    sf.LastModifiedDate = sfTime(updated);
    sf.SystemModstamp = sf.LastModifiedDate;
    c.sfUpdated = updated;
    c.conflicts.push({
      field: 'lifecycle', kind: 'stale',
      values: [
        { system: 'salesforce', value: sf.Type, updatedAt: isoTime(updated) },
        { system: 'stripe', value: 'canceled', updatedAt: isoTime(c.churnAt) },
      ],
    });
  }

  /** Cross-references, set only sometimes, and only once the target existed. */
  private linkSystems(c: Customer): void {
    const rng = this.rng;
    const x = RATES.xref;
    const sf = c.sf[0], cus = c.stripe[0], org = c.zd[0], erp = c.erp;
    const orgCreated = org ? Date.parse(org.created_at) / 1000 : 0;
    const erpCreated = erp ? Date.parse(erp.created_at) / 1000 : 0;
    if (sf) {
      if (cus && c.stripeCreated <= c.sfUpdated && rng.chance(x.sfStripe)) sf.Stripe_Customer_Id__c = cus.id;
      if (erp && erpCreated <= c.sfUpdated && rng.chance(x.sfErp)) this.erpRefsFromSf.push([sf, erp]);
      if (org && orgCreated <= c.sfUpdated && rng.chance(x.sfZendesk)) sf.Zendesk_Organization_Id__c = String(org.id);
    }
    // A merged-away Salesforce duplicate that another system had linked to before the merge.
    const merged = c.sf.find((a) => a.IsDeleted);
    const mergedCreated = merged ? Date.parse(merged.CreatedDate) / 1000 : 0;
    let staleTaken = !merged || !rng.chance(RATES.staleXrefToMerged);
    const target = (fromUpdated: number): SfAccount | null => {
      if (!staleTaken && merged && mergedCreated <= fromUpdated) {
        staleTaken = true;
        return merged;
      }
      return sf && c.sfCreated <= fromUpdated ? sf : null;
    };
    if (cus) {
      if (sf && rng.chance(x.stripeSf)) {
        const t = target(c.stripeCreated);
        if (t) {
          cus.metadata.salesforce_account_id = t.Id;
          if (t !== sf) c.staleXrefs.push({ system: 'stripe', from: cus, field: 'metadata.salesforce_account_id', to: t });
        }
      }
      if (erp && erpCreated <= c.stripeCreated && rng.chance(x.stripeErp)) this.erpRefsFromStripe.push([cus, erp]);
    }
    if (org && sf && rng.chance(x.zendeskOrgSf)) {
      const t = target(c.zdUpdated);
      if (t) {
        org.external_id = t.Id;
        if (t !== sf) c.staleXrefs.push({ system: 'zendesk', from: org, field: 'external_id', to: t });
      }
    }
    if (erp && sf && rng.chance(x.erpSf)) {
      const t = target(c.erpUpdated);
      if (t) {
        erp.salesforce_account_id = t.Id;
        if (t !== sf) c.staleXrefs.push({ system: 'erp', from: erp, field: 'salesforce_account_id', to: t });
      }
    }
    for (const p of c.people) {
      const contact = p.sf.find((k) => !k.IsDeleted);
      if (!contact) continue;
      const contactCreated = Date.parse(contact.CreatedDate) / 1000;
      for (const u of p.zd) {
        if (u.email !== null && contactCreated <= Date.parse(u.updated_at) / 1000 && rng.chance(x.zendeskUserSfContact)) u.external_id = contact.Id;
      }
    }
  }

  /** The billing contact changed address; Stripe still has the old one, written earlier. */
  private plantContactStale(c: Customer, stripeBilling: Person): void {
    const cus = c.stripe[0];
    const erp = c.erp;
    const rng = this.rng;
    if (!cus || !erp || stripeBilling !== c.people[0] || c.stripeCreated >= c.erpUpdated) return;
    if (!rng.chance(RATES.stale.email)) return;
    const p = stripeBilling;
    const at = p.email.indexOf('@');
    const f = asciiFold(p.family[0]!), l = asciiFold(p.last);
    let old = p.email.endsWith(`@${c.domain}`) && p.email.slice(0, at) !== `${f.charAt(0)}${l}` ? `${f.charAt(0)}${l}@${c.domain}` : `${f}@${c.domain}`;
    if (old === p.email) old = `${f}.${l}.old@${c.domain}`;
    cus.email = old;
    c.conflicts.push({
      field: 'email', kind: 'stale',
      values: [
        { system: 'stripe', value: old, updatedAt: isoTime(c.stripeCreated) },
        { system: 'erp', value: erp.billing_email, updatedAt: isoTime(c.erpUpdated) },
      ],
    });
  }

  /** Primary records holding a field, with when each last changed. */
  private holders(c: Customer, has: (s: SystemName) => boolean): { system: SystemName; at: number }[] {
    const out: { system: SystemName; at: number }[] = [];
    if (c.sf[0] && has('salesforce')) out.push({ system: 'salesforce', at: c.sfUpdated });
    if (c.stripe[0] && has('stripe')) out.push({ system: 'stripe', at: c.stripeCreated });
    if (c.erp && has('erp')) out.push({ system: 'erp', at: c.erpUpdated });
    return out;
  }

  /** The oldest-updated holder keeps the phone the company had before: it loses to the newer value. */
  private plantPhoneStale(c: Customer): void {
    const rng = this.rng;
    const phoneOf = (s: SystemName): string | null =>
      s === 'salesforce' ? c.sf[0]!.Phone : s === 'stripe' ? c.stripe[0]!.phone : c.erp!.phone;
    const hs = this.holders(c, (s) => phoneOf(s) !== null);
    if (hs.length < 2 || !rng.chance(RATES.stale.phone)) return;
    hs.sort((a, b) => a.at - b.at);
    const oldest = hs[0]!;
    if (oldest.at >= hs[hs.length - 1]!.at) return;
    const oldPhone = this.makePhone(c.country, c.address.city);
    const value = formatPhone(rng, oldPhone, oldest.system);
    if (oldest.system === 'salesforce') c.sf[0]!.Phone = value;
    else if (oldest.system === 'stripe') c.stripe[0]!.phone = value;
    else c.erp!.phone = value;
    c.conflicts.push({
      field: 'phone', kind: 'stale',
      values: hs.map((h) => ({ system: h.system, value: phoneOf(h.system), updatedAt: isoTime(h.at) })),
    });
  }

  /** The company moved; the oldest-updated holder still has the previous office. */
  private plantAddressStale(c: Customer): void {
    const rng = this.rng;
    const addressOf = (s: SystemName): string | null => {
      if (s === 'salesforce') {
        const a = c.sf[0]!;
        return a.BillingStreet === null ? null : `${a.BillingStreet}, ${a.BillingCity}, ${a.BillingState} ${a.BillingPostalCode}, ${a.BillingCountry}`;
      }
      if (s === 'stripe') {
        const a = c.stripe[0]!.address;
        return a === null ? null : `${a.line1}${a.line2 ? ` ${a.line2}` : ''}, ${a.city}, ${a.state} ${a.postal_code}, ${a.country}`;
      }
      const e = c.erp!;
      return e.address_line1 === null ? null : `${e.address_line1}${e.address_line2 ? ` ${e.address_line2}` : ''}, ${e.city}, ${e.region} ${e.postal_code}, ${e.country}`;
    };
    const hs = this.holders(c, (s) => addressOf(s) !== null);
    if (hs.length < 2 || !rng.chance(RATES.stale.address)) return;
    hs.sort((a, b) => a.at - b.at);
    const oldest = hs[0]!;
    if (oldest.at >= hs[hs.length - 1]!.at) return;
    // Same city, another building and postal code.
    let old = this.makeAddress(c.country, c.address.city);
    while (old.postal === c.address.postal) old = this.makeAddress(c.country, c.address.city);
    const r = renderAddress(rng, old, oldest.system);
    if (oldest.system === 'salesforce') {
      const a = c.sf[0]!;
      a.BillingStreet = r.line2 ? `${r.line1}\n${r.line2}` : r.line1;
      a.BillingCity = r.city; a.BillingState = r.region; a.BillingPostalCode = r.postal; a.BillingCountry = r.country;
    } else if (oldest.system === 'stripe') {
      c.stripe[0]!.address = this.stripeAddress(r);
    } else {
      const e = c.erp!;
      e.address_line1 = r.line1; e.address_line2 = r.line2; e.city = r.city; e.region = r.region; e.postal_code = r.postal; e.country = r.country;
    }
    c.conflicts.push({
      field: 'address', kind: 'stale',
      values: hs.map((h) => ({ system: h.system, value: addressOf(h.system), updatedAt: isoTime(h.at) })),
    });
  }

  private recordGenuine(c: Customer, stripeBilling: Person): void {
    if (c.erp && c.stripe[0] && stripeBilling !== c.people[0]) {
      c.conflicts.push({
        field: 'billingContact', kind: 'genuine',
        values: [
          { system: 'stripe', value: c.stripe[0].email, updatedAt: isoTime(c.stripeCreated) },
          { system: 'erp', value: c.erp.billing_email, updatedAt: isoTime(c.erpUpdated) },
        ],
      });
    }
    if (c.erp && c.sf[0]) {
      let sfTotal = 0, erpTotal = 0;
      for (const d of c.deals) { sfTotal += d.sfAmount; erpTotal += d.erpAmount; }
      if (sfTotal !== erpTotal) {
        c.conflicts.push({
          field: 'contractValue', kind: 'genuine',
          values: [
            { system: 'salesforce', value: sfTotal, updatedAt: isoTime(c.sfUpdated) },
            { system: 'erp', value: erpTotal, updatedAt: isoTime(c.erpUpdated) },
          ],
        });
      }
    }
  }

  // ---------- ground truth ----------

  /** Exact-size arrays throughout: V8 gives an array grown by push 16+ slots, ×100k customers. */
  private truthOf(c: Customer): TruthCustomer {
    const records: SourceRef[] = new Array<SourceRef>(c.sf.length + c.stripe.length + c.zd.length + (c.erp ? 1 : 0));
    let n = 0;
    for (const a of c.sf) records[n++] = { system: 'salesforce', type: 'Account', id: a.Id };
    for (const s of c.stripe) records[n++] = { system: 'stripe', type: 'customer', id: s.id };
    for (const o of c.zd) records[n++] = { system: 'zendesk', type: 'organization', id: String(o.id) };
    if (c.erp) records[n] = this.refOf('erp', c.erp);
    const billing = c.people[0]!;
    let contractValue: number | null = null;
    if (c.deals.length > 0 && (c.erp || c.sf[0])) {
      contractValue = 0;
      for (const d of c.deals) contractValue += c.erp ? d.erpAmount : d.sfAmount;
    }
    const a = canonicalAddress(c.address);
    return {
      key: c.key,
      name: c.company.name,
      domain: c.domain,
      email: billing.email,
      phone: e164(c.phone),
      address: { line1: a.line1, line2: a.line2, city: a.city, region: a.region, postalCode: a.postalCode, country: a.country },
      billingContact: { name: billing.name, email: billing.email },
      industry: c.industry,
      employees: c.employees,
      lifecycle: c.lifecycle,
      contractValue,
      currency: c.currency,
      accountingStatus: c.erp ? c.erp.accounting_status : null,
      records,
      contacts: c.people.map((p) => {
        const refs = new Array<SourceRef>(p.sf.length + p.zd.length + p.stripe.length);
        let m = 0;
        for (const k of p.sf) refs[m++] = { system: 'salesforce', type: 'Contact', id: k.Id };
        for (const u of p.zd) refs[m++] = { system: 'zendesk', type: 'user', id: String(u.id) };
        for (const s of p.stripe) refs[m++] = { system: 'stripe', type: 'customer', id: s.id };
        return { key: p.key, name: p.name, email: p.email, records: refs };
      }),
      conflicts: c.conflicts.length === 0 ? [] : c.conflicts.slice(),
      lookalikes: c.lookalikes.length === 0 ? [] : c.lookalikes.slice(),
      staleXrefs: c.staleXrefs.map((x) => ({ from: this.refOf(x.system, x.from), field: x.field, to: { system: 'salesforce', type: 'Account', id: x.to.Id } })),
    };
  }

  private refOf(system: SystemName, rec: StripeCustomer | ZdOrganization | ErpCustomer): SourceRef {
    if ('object' in rec) return { system, type: 'customer', id: rec.id };
    if ('customer_number' in rec) {
      const ref: SourceRef = { system, type: 'erp_customer', id: '' };
      this.erpTruthRefs.push([ref, rec]);
      return ref;
    }
    return { system, type: 'organization', id: String(rec.id) };
  }
}

/**
 * The demo world for `seed`: every system's records and the ground truth. Deterministic: the
 * same options give a deep-equal (and JSON-identical) world on any machine and any day.
 */
export function generateWorld(options: WorldOptions = {}): World {
  const seed = options.seed ?? 42;
  const size = options.customers ?? 1000;
  const nowIso = options.now ?? '2026-01-01T00:00:00Z';
  if (!Number.isInteger(size) || size < 0) throw new RangeError(`customers must be a non-negative integer, got ${size}`);
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  const ms = Date.parse(nowIso);
  if (Number.isNaN(ms)) throw new RangeError(`now must be an ISO-8601 timestamp, got ${JSON.stringify(nowIso)}`);
  return new WorldBuilder(seed, size, Math.floor(ms / 1000)).build();
}

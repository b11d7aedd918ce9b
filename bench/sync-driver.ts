// The people and the bookkeeping of the `sync` suite (bench/run.ts), inside the systems' process
// (bench/sandbox-server.ts): changes made with the stripe SDK at the emulator (which notifies the
// gateway, as Stripe would), signed webhooks posted straight to the gateway to time its answer,
// the floor (one read and one write round trip through the SDKs), and what reached the systems,
// read from the emulators' own logs: when each notification was sent and when each write was
// received. Times are the emulators' wall clock (millisecond resolution).
import type { Sandbox } from '../src/sandbox/index.ts';
import type { RequestRecord } from '../src/sandbox/kit/requests.ts';
import { notifyGateway } from '../src/sandbox/gateway.ts';
import { readSystemSettings } from '../src/config/systems.ts';
import { createStripeClient } from '../src/sources/stripe/client.ts';
import { connectSalesforce } from '../test/support/salesforce.ts';
import { percentile } from './percentile.ts';

/** One change a person makes: a Stripe customer's phone, which must reach its Salesforce account. */
export interface PersonChange {
  stripe: string;
  salesforce: string;
  /** E.164, as Meridian writes it. */
  phone: string;
}

/** Where the logs stood before a phase: the last request of each emulator and the last Stripe notification. */
export interface LogMark {
  salesforce: number;
  stripe: number;
  zendesk: number;
  delivery: number;
}

export interface Propagation {
  /** Per change, notification sent → the last write to its Salesforce records received, in ms; null when the notification or the account's write never came. */
  ms: (number | null)[];
  /** Per change, when its notification was sent and its Salesforce account written (epoch ms). */
  notifiedAt: (number | null)[];
  accountWrittenAt: (number | null)[];
  missed: number;
  /** Changes whose Salesforce account does not hold the new phone at the end. */
  wrongValues: number;
  /** Notifications the gateway did not accept at the first attempt. */
  refusedNotifications: number;
  /** Writes Meridian made at each system (the people's own Stripe updates left out). */
  writes: Record<'salesforce' | 'stripe' | 'zendesk', number>;
  /**
   * Of those, the ones to the changed customers' Salesforce records (the targets), the ones to a
   * record written already for the same change, the ones back to the Stripe customers the people
   * changed, and the failed ones.
   */
  targeted: number;
  writtenBack: number;
  repeated: number;
  failedWrites: number;
  /** First notification sent and last target write received (epoch ms), for a burst's rate. */
  firstNotificationAt: number;
  lastWriteAt: number;
}

// Requests that change nothing: Salesforce's batched retrieve is a POST, logins are POSTs.
const READS = new Set(['composite.retrieve', 'oauth.token', 'oauth.revoke']);
const isWrite = (r: RequestRecord): boolean => r.method !== 'GET' && !READS.has(r.operation);

export function syncDriver(sandbox: Sandbox): (cmd: string, arg: string) => Promise<unknown> | undefined {
  const env = sandbox.env();
  const stripe = createStripeClient(readSystemSettings(env).stripe!, { maxNetworkRetries: 0 });
  const salesforceSettings = readSystemSettings(env).salesforce!;
  const notifiers = [sandbox.salesforce.notifier, sandbox.stripe.notifier, sandbox.zendesk.notifier];

  const mark = (): LogMark => ({
    salesforce: sandbox.salesforce.requests.lastSeq,
    stripe: sandbox.stripe.requests.lastSeq,
    zendesk: sandbox.zendesk.requests.lastSeq,
    delivery: sandbox.stripe.notifier!.deliveries().at(-1)?.id ?? 0,
  });

  // Signed `customer.updated` events, posted one at a time: the time to the gateway's answer.
  const acks = async (url: string, n: number): Promise<{ n: number; errors: number; p50: number; p99: number }> => {
    const secret = env['STRIPE_WEBHOOK_SECRET']!;
    const customers = sandbox.world.stripe.customers.map((c) => c.id);
    let errors = 0;
    const send = async (i: number): Promise<number> => {
      const body = JSON.stringify({ id: `evt_bench_${Date.now()}_${i}`, object: 'event', type: 'customer.updated', api_version: '2026-10-28.endive', created: Math.floor(Date.now() / 1000), data: { object: { id: customers[i % customers.length], object: 'customer' } } });
      const headers = { 'content-type': 'application/json', 'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload: body, secret }) };
      const t0 = performance.now();
      const res = await fetch(`${url}/webhooks/stripe`, { method: 'POST', headers, body });
      await res.text();
      if (res.status !== 200) errors++;
      return performance.now() - t0;
    };
    // Warm-up (connections, JIT), not measured.
    for (let i = 0; i < 20; i++) await send(1_000_000 + i);
    const ms: number[] = [];
    for (let i = 0; i < n; i++) ms.push(await send(i));
    return { n, errors, p50: percentile(ms, 50), p99: percentile(ms, 99) };
  };

  // The least any pipeline pays: read the changed record, write the target. With the SDKs Meridian
  // uses; the Salesforce write puts back the phone the account holds, and the systems notify
  // nobody meanwhile (no change reaches the gateway).
  const floor = async (changes: PersonChange[]): Promise<{ n: number; p50: number }> => {
    const targets = notifiers.map((n) => n?.target ?? null);
    for (const n of notifiers) n?.setTarget(null);
    try {
      const salesforce = await connectSalesforce(salesforceSettings);
      const ms: number[] = [];
      for (const c of changes) {
        const held = sandbox.salesforce.store.get('Account', c.salesforce) as { Phone?: string | null } | undefined;
        const t0 = performance.now();
        // https://docs.stripe.com/api/customers/retrieve
        await stripe.customers.retrieve(c.stripe);
        // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_update_fields.htm
        await salesforce.sobject('Account').update({ Id: c.salesforce, Phone: held?.Phone ?? null });
        ms.push(performance.now() - t0);
      }
      return { n: ms.length, p50: percentile(ms, 50) };
    } finally {
      notifiers.forEach((n, i) => n?.setTarget(targets[i]!));
    }
  };

  // What became of the changes made since `since`, read from the emulators' logs. A change's
  // targets are its customer's records in the other writable system: the Salesforce account and
  // its contacts. Writes back to the Stripe customer the person changed are counted apart (its
  // first update after the mark is the person's own).
  const propagation = (since: LogMark, changes: PersonChange[]): Propagation => {
    const notified = new Map<string, { at: number; accepted: boolean }>();
    for (const d of sandbox.stripe.notifier!.deliveries()) {
      if (d.id <= since.delivery || d.attempts.length === 0) continue;
      const event = JSON.parse(d.body) as { type?: string; data?: { object?: { id?: string } } };
      const id = event.data?.object?.id;
      if (event.type !== 'customer.updated' || !id || notified.has(id)) continue;
      notified.set(id, { at: Date.parse(d.attempts[0]!.at), accepted: d.attempts[0]!.status === 200 });
    }
    const salesforceWrites = sandbox.salesforce.requests.list({ sinceSeq: since.salesforce }).filter(isWrite);
    const stripeWrites = sandbox.stripe.requests.list({ sinceSeq: since.stripe }).filter(isWrite);
    const zendeskWrites = sandbox.zendesk.requests.list({ sinceSeq: since.zendesk }).filter(isWrite);
    const contacts = sandbox.salesforce.store.list('Contact') as { Id: string; AccountId?: string | null }[];
    const out: Propagation = {
      ms: [],
      notifiedAt: [],
      accountWrittenAt: [],
      missed: 0,
      wrongValues: 0,
      refusedNotifications: 0,
      writes: { salesforce: salesforceWrites.length, stripe: Math.max(0, stripeWrites.length - changes.length), zendesk: zendeskWrites.length },
      targeted: 0,
      writtenBack: 0,
      repeated: 0,
      failedWrites: [...salesforceWrites, ...stripeWrites, ...zendeskWrites].filter((r) => r.status >= 300).length,
      firstNotificationAt: Infinity,
      lastWriteAt: 0,
    };
    for (const c of changes) {
      const n = notified.get(c.stripe);
      if (n && !n.accepted) out.refusedNotifications++;
      const records = [`/Account/${c.salesforce}`, ...contacts.filter((x) => x.AccountId === c.salesforce).map((x) => `/Contact/${x.Id}`)];
      const ok = (r: RequestRecord): boolean => r.status < 300;
      const writes = salesforceWrites.filter((r) => ok(r) && records.some((p) => r.path.endsWith(p)));
      out.targeted += writes.length;
      out.writtenBack += stripeWrites.filter((r) => ok(r) && r.path.endsWith(`/customers/${c.stripe}`)).slice(1).length;
      out.repeated += writes.length - new Set(writes.map((r) => r.path)).size;
      const account = writes.find((r) => r.path.endsWith(records[0]!));
      const held = sandbox.salesforce.store.get('Account', c.salesforce) as { Phone?: string | null } | undefined;
      if (held?.Phone !== c.phone) out.wrongValues++;
      out.notifiedAt.push(n?.at ?? null);
      out.accountWrittenAt.push(account ? Date.parse(account.at) : null);
      if (!n || !account) {
        out.missed++;
        out.ms.push(null);
        continue;
      }
      const last = Math.max(...writes.map((r) => Date.parse(r.at)));
      out.firstNotificationAt = Math.min(out.firstNotificationAt, n.at);
      out.lastWriteAt = Math.max(out.lastWriteAt, last);
      out.ms.push(last - n.at);
    }
    return out;
  };

  return (cmd, arg) => {
    switch (cmd) {
      case 'notify':
        if (arg === 'off') for (const n of notifiers) n?.setTarget(null);
        else notifyGateway(sandbox, arg);
        return Promise.resolve({ ok: true });
      case 'notifying':
        return Promise.resolve({ pending: notifiers.reduce((s, n) => s + (n?.pending ?? 0), 0) });
      case 'mark':
        return Promise.resolve(mark());
      case 'change': {
        // All at once (a burst) or one (a sequential run): each a person's update through the SDK.
        const changes = JSON.parse(arg) as PersonChange[];
        // https://docs.stripe.com/api/customers/update
        return Promise.allSettled(changes.map((c) => stripe.customers.update(c.stripe, { phone: c.phone }))).then((r) => ({ errors: r.filter((x) => x.status === 'rejected').length }));
      }
      case 'acks': {
        const [url, n] = arg.split(' ');
        return acks(url!, Number(n));
      }
      case 'floor':
        return floor(JSON.parse(arg) as PersonChange[]);
      case 'propagation': {
        const { since, changes } = JSON.parse(arg) as { since: LogMark; changes: PersonChange[] };
        return Promise.resolve(propagation(since, changes));
      }
      default:
        return undefined;
    }
  };
}

// Webhook intake: verify, work out which golden customers a notification touches, and
// invalidate their cached golden records so the next read merges fresh source data. When a
// notification is about an account or one of its people, the account is read again and matched
// by the live matcher (src/identity/live-matcher.ts): a new record joins its customer (or
// becomes one) within the request, a changed one refreshes the blocking index.
// Never half-handles: a rejected notification changes nothing, and when the account cannot be
// read the sender is answered 503 so that it sends the notification again.
// Each event is processed once (deliveries.ts): a re-delivery of one already processed is
// answered 200 without reading any system; one being processed right now is answered 409.
import type { GatewayServices } from '../gateway/loaders.ts';
import type { SourceRecord } from '../domain/records.ts';
import { ACCOUNT_TYPE, systemDescriptor, systemNamed, type SystemId } from '../sources/registry.ts';
import type { WebhookVerifier } from '../sources/contract.ts';
import { type ChangeNotice, type Delivery, WebhookRejectedError } from './notices.ts';
import type { DeliveryLog } from './deliveries.ts';
import { InvalidSourceRecordError } from '../sources/errors.ts';
import type { Logger } from '../server/http.ts';
import { createLogOnce } from '../observability/log-once.ts';
import { SourceUnavailableGraphQLError } from '../server/errors.ts';
import { webhookRejected } from '../observability/metrics.ts';

/**
 * The verifier of each system whose webhook is configured (OpenedSystem.webhook,
 * src/sources/contract.ts). A system whose descriptor has a webhook route but no verifier here
 * answers 404 saying what to configure; any other name has no route.
 */
export type WebhookVerifiers = Partial<Record<SystemId, WebhookVerifier>>;

/**
 * Largest webhook body read (the HTTP server's own cap is the same by default). Salesforce's
 * 100 notifications, Stripe's events and Zendesk's are far smaller; the parsers' cost is bounded by it.
 */
export const WEBHOOK_MAX_BYTES = 1_000_000;

/** Longest event id we record (Stripe evt_…, Zendesk invocation ids, Salesforce 04l… ids are far shorter). */
const MAX_EVENT_ID_LENGTH = 255;

export interface WebhookAnswer {
  status: number;
  contentType: string;
  body: string;
}

export interface WebhookIntake {
  handle(system: string, headers: Record<string, string | string[] | undefined>, rawBody: string): Promise<WebhookAnswer>;
}

/** What the live matcher did with an account a notification named (echoed in the webhook's answer). */
export interface LinkedRecord {
  system: SystemId;
  id: string;
  customer: string;
  outcome: string;
  rule: string;
}

/** An account a notification names that its system returned in a shape Meridian cannot read. */
export interface InvalidRecord {
  system: SystemId;
  id: string;
  error: string;
}

/** Whether a read failed for good: the record is invalid, not the system unreachable. */
const permanent = (e: Error): boolean => e instanceof InvalidSourceRecordError || (e as { originalError?: unknown }).originalError instanceof InvalidSourceRecordError;

/** The account a notification names could not be read: the notification is refused with 503. */
class SourceReadError extends Error {
  constructor(system: SystemId, id: string, cause: Error) {
    super(`could not read ${system} record ${id} to match it: ${cause.message}`, { cause });
    this.name = 'SourceReadError';
  }
}

const json = (status: number, body: unknown): WebhookAnswer => ({ status, contentType: 'application/json', body: JSON.stringify(body) });
const header = (h: Record<string, string | string[] | undefined>, name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

export function createWebhookIntake(services: GatewayServices, verifiers: WebhookVerifiers, logger: Logger, deliveries: DeliveryLog): WebhookIntake {
  const logRejected = createLogOnce(logger);
  /** The accounts the notices concern, resolving contacts/users to their accounts first. */
  const accountsOf = async (notices: ChangeNotice[]): Promise<{ system: SystemId; id: string; identity: boolean }[]> => {
    const accounts = new Map<string, { system: SystemId; id: string; identity: boolean }>();
    const add = (system: SystemId, id: string, identity: boolean): void => {
      const k = `${system}\u0000${id}`;
      const a = accounts.get(k);
      if (a) a.identity ||= identity;
      else accounts.set(k, { system, id, identity });
    };
    for (const n of notices) {
      if (n.level === 'account') {
        add(n.system, n.id, n.identity);
        continue;
      }
      const [owner] = (await services.sources[n.system]?.accountOfPerson([n.id])) ?? [];
      if (typeof owner === 'string') add(n.system, owner, n.identity);
    }
    return [...accounts.values()];
  };

  const goldenIdsOf = async (accounts: readonly { system: SystemId; id: string }[]): Promise<string[]> => {
    if (accounts.length === 0) return [];
    const ids = await services.identity.goldenIdsFor(accounts.map((a) => ({ system: a.system, externalId: a.id, recordType: ACCOUNT_TYPE[a.system] })));
    return [...new Set(ids.filter((x): x is string => x !== null))];
  };

  /** Reads each account again and matches it; golden ids whose records changed. Throws SourceReadError when a system cannot answer. */
  const matchLive = async (accounts: readonly { system: SystemId; id: string; identity: boolean }[]): Promise<{ affected: string[]; linked: LinkedRecord[]; invalid: InvalidRecord[] }> => {
    const matcher = services.liveMatcher;
    const wanted = accounts.filter((a) => a.identity);
    if (!matcher || wanted.length === 0) return { affected: [], linked: [], invalid: [] };
    const bySystem = new Map<SystemId, string[]>();
    for (const a of wanted) bySystem.set(a.system, [...(bySystem.get(a.system) ?? []), a.id]);
    // Every account is read before any is matched: if one cannot be read, none is linked.
    const records: SourceRecord[] = [];
    const invalid: InvalidRecord[] = [];
    for (const [system, ids] of bySystem) {
      const source = services.sources[system];
      if (!source) continue;
      const loaded = await source.loadAccounts(ids);
      loaded.forEach((r, i) => {
        if (r instanceof Error) {
          // A record the connector cannot read as valid stays invalid however often it is sent:
          // acknowledged and reported, not refused (a refusal would have the sender retry for days).
          if (permanent(r)) {
            invalid.push({ system, id: ids[i]!, error: r.message });
            return;
          }
          throw new SourceReadError(system, ids[i]!, r);
        }
        // Gone from the system: its link stays until a person or a backfill says otherwise.
        if (r) records.push(r);
      });
    }
    const affected = new Set<string>();
    const linked: LinkedRecord[] = [];
    try {
      for (const r of records) {
        const result = await matcher.matchRecord(r, { actor: `webhook:${r.system}` });
        for (const g of result.affected) affected.add(g);
        linked.push({ system: r.system, id: r.id, customer: result.goldenId, outcome: result.outcome, rule: result.rule });
      }
    } catch (e) {
      // Whatever was linked before the failure is committed: its customers' cached records are stale.
      if (affected.size > 0) await services.cache.invalidate([...affected]);
      throw e;
    }
    return { affected: [...affected], linked, invalid };
  };

  /** Links and invalidates what the notices name; `{ ok: false }` (answered 503) when a system could not be read. */
  const processNotices = async (system: SystemId, notices: ChangeNotice[]): Promise<{ ok: true; goldenIds: string[]; live: { linked: LinkedRecord[]; invalid: InvalidRecord[] } } | { ok: false; reason: string }> => {
    const accounts = await accountsOf(notices);
    const before = await goldenIdsOf(accounts);
    let live: { affected: string[]; linked: LinkedRecord[]; invalid: InvalidRecord[] };
    try {
      live = await matchLive(accounts);
    } catch (e) {
      if (!(e instanceof SourceReadError)) throw e;
      // Not acknowledged: the sender retries, and nothing was linked from a record we could not read.
      if (before.length > 0) await services.cache.invalidate(before);
      logger.error('webhook not processed', { system, reason: e.message, ...(e.cause instanceof SourceUnavailableGraphQLError ? { detail: e.cause.detail } : {}) });
      return { ok: false, reason: e.message };
    }
    const goldenIds = [...new Set([...before, ...live.affected])];
    // If the cache cannot be reached the sender gets a 5xx and re-sends: a stale golden
    // record must not outlive a notification we acknowledged.
    if (goldenIds.length > 0) await services.cache.invalidate(goldenIds);
    return { ok: true, goldenIds, live };
  };

  return {
    handle: async (name, headers, rawBody) => {
      const system = systemNamed(name);
      const route = system === null ? undefined : systemDescriptor(system).capabilities.webhook;
      if (system === null || route === undefined) {
        // The system label is ours, never the caller's path: a label per made-up name would grow without end.
        webhookRejected.inc({ system: 'unknown', reason: 'no_route' });
        return json(404, { error: `no webhook route for ${JSON.stringify(name)}` });
      }
      const verifier = verifiers[system];
      // A sender that reads its own format (Salesforce: SOAP) is answered in it.
      const answers = verifier?.answers;
      const refuse = (status: number, reason: string): WebhookAnswer => (answers ? { status, contentType: answers.contentType, body: answers.refuse(reason) } : json(status, { error: reason }));
      let parsed: Delivery[];
      try {
        if (Buffer.byteLength(rawBody) > WEBHOOK_MAX_BYTES) throw new WebhookRejectedError(413, `webhook body larger than ${WEBHOOK_MAX_BYTES} bytes`);
        if (!verifier) {
          webhookRejected.inc({ system, reason: 'no_route' });
          return json(404, { error: route.unconfigured });
        }
        parsed = await verifier.parse((h) => header(headers, h), rawBody, services.now());
        const long = parsed.find((d) => d.eventId !== null && d.eventId.length > MAX_EVENT_ID_LENGTH);
        if (long) throw new WebhookRejectedError(400, `event id is longer than ${MAX_EVENT_ID_LENGTH} characters`);
      } catch (e) {
        if (e instanceof WebhookRejectedError) {
          // Anyone can post here: the same refusal is logged once per 10 s, with how often it repeated.
          logRejected('webhook rejected', { system, status: e.status, reason: e.message }, `${system} ${e.status} ${e.message}`);
          webhookRejected.inc({ system, reason: e.reason });
          return refuse(e.status, e.message);
        }
        throw e;
      }
      const ids = parsed.flatMap((d) => (d.eventId === null ? [] : [d.eventId]));
      const states = await deliveries.claim(system, ids);
      const claimed = ids.filter((id) => states.get(id) === 'new');
      let completed = false;
      try {
        const busy = ids.filter((id) => states.get(id) === 'busy');
        if (busy.length > 0) {
          logger.info('webhook event being processed by another delivery', { system, events: busy.join(',') });
          webhookRejected.inc({ system, reason: 'busy' });
          return refuse(409, `event ${busy[0]!} is being processed by another delivery; send it again later`);
        }
        const fresh = parsed.filter((d) => d.eventId === null || states.get(d.eventId) === 'new');
        const repeats = ids.filter((id) => states.get(id) === 'done');
        if (repeats.length > 0) logger.info('webhook repeat ignored', { system, events: repeats.join(',') });
        const ack = (body: unknown): WebhookAnswer => (answers ? { status: 200, contentType: answers.contentType, body: answers.ack } : json(200, body));
        // Every event processed before: answered without reading any system.
        if (fresh.length === 0) return ack({ received: true, duplicate: true });
        const notices = fresh.flatMap((d) => d.notices);
        const done = await processNotices(system, notices);
        if (!done.ok) {
          webhookRejected.inc({ system, reason: 'unavailable' });
          return refuse(503, done.reason);
        }
        await deliveries.complete(system, claimed);
        completed = true;
        const { goldenIds, live } = done;
        logger.info('webhook', {
          system,
          events: notices.map((n) => n.event).join(','),
          invalidated: goldenIds.length,
          ...(live.linked.length > 0 ? { linked: live.linked.map((l) => `${l.system}:${l.id}→${l.customer} (${l.outcome}, ${l.rule})`).join(' ') } : {}),
        });
        for (const bad of live.invalid) logger.error('webhook record not matched: invalid in its system', { system: bad.system, id: bad.id, error: bad.error });
        return ack({ received: true, invalidated: goldenIds.length, linked: live.linked, ...(live.invalid.length > 0 ? { invalid: live.invalid } : {}) });
      } finally {
        // Not processed (refused, or failed): the claim is given up so that the sender's retry is processed.
        if (!completed && claimed.length > 0) {
          await deliveries.release(system, claimed).catch((e: unknown) => logger.error('webhook claim not released (it lapses after its lease)', { system, error: String(e) }));
        }
      }
    },
  };
}

// Outbound Messages: the SOAP notifications a workflow rule's outbound-message action posts
// to a listener, one message per object type holding up to 100 notifications, retried until
// the listener answers with <Ack>true</Ack>.
// https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_om_outboundmessaging_understanding.htm
// https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_om_outboundmessaging_wsdl.htm
import { salesforceId } from '../kit/ids.ts';
import type { WebhookNotifier } from '../kit/notifier.ts';
import { scalarText, toSfDateTime } from './errors.ts';
import { OBJECTS, TRACKED_OBJECTS, type SObjectName } from './schema.ts';
import type { ChangeEvent } from './store.ts';

export const OUTBOUND_NAMESPACE = 'http://soap.sforce.com/2005/09/outbound';
const MAX_NOTIFICATIONS = 100;

/** Real Salesforce retries for 24 hours with growing gaps; the sandbox keeps the shape, not the clock. */
export const DEFAULT_OUTBOUND_RETRY_DELAYS_MS: readonly number[] = [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000];

/** Salesforce treats a delivery as done only when the listener acknowledges it. */
export function isOutboundAck(status: number, body: string): boolean {
  return status >= 200 && status < 300 && /<(?:\w+:)?Ack>\s*true\s*<\/(?:\w+:)?Ack>/i.test(body);
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

function fieldXml(type: SObjectName, name: string, value: unknown): string {
  if (value === null || value === undefined) return `<sf:${name} xsi:nil="true"/>`;
  const def = OBJECTS[type].fields.find((f) => f.name === name);
  const text = def?.type === 'datetime' && typeof value === 'string' ? toSfDateTime(value) : scalarText(value);
  return `<sf:${name}>${xmlEscape(text)}</sf:${name}>`;
}

export interface OutboundContext {
  orgId: string;
  /** Emulator base URL, for EnterpriseUrl / PartnerUrl. */
  baseUrl: string;
  apiVersion: string;
  /** Whether the org has a field; a message never carries one it lacks. */
  hasField?: (type: SObjectName, name: string) => boolean;
}

export function buildOutboundEnvelope(ctx: OutboundContext, type: SObjectName, events: readonly ChangeEvent[], notificationId: (i: number) => string): string {
  const org15 = ctx.orgId.slice(0, 15);
  const notifications = events
    .map((e, i) => {
      // Id first, then what changed; a deletion says so with IsDeleted.
      const names = ['Id', ...e.fields.filter((f) => f !== 'Id' && (ctx.hasField?.(type, f) ?? true))];
      const fields = names.map((n) => fieldXml(type, n, e.record[n])).join('');
      return `<Notification><Id>${notificationId(i)}</Id><sObject xsi:type="sf:${type}" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">${fields}</sObject></Notification>`;
    })
    .join('');
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">' +
    '<soapenv:Body>' +
    `<notifications xmlns="${OUTBOUND_NAMESPACE}">` +
    `<OrganizationId>${ctx.orgId}</OrganizationId>` +
    `<ActionId>${actionId(type)}</ActionId>` +
    '<SessionId xsi:nil="true"/>' +
    `<EnterpriseUrl>${xmlEscape(`${ctx.baseUrl}/services/Soap/c/${ctx.apiVersion}/${org15}`)}</EnterpriseUrl>` +
    `<PartnerUrl>${xmlEscape(`${ctx.baseUrl}/services/Soap/u/${ctx.apiVersion}/${org15}`)}</PartnerUrl>` +
    notifications +
    '</notifications></soapenv:Body></soapenv:Envelope>'
  );
}

/** One outbound-message definition (04k…) per tracked object. */
export function actionId(type: SObjectName): string {
  return salesforceId('04k', TRACKED_OBJECTS.indexOf(type) + 1);
}

/**
 * Collects store changes and hands them to the notifier once per event-loop turn, so the
 * records written by one request (a 200-record collection) travel in as few messages as
 * Salesforce would send.
 */
export class OutboundMessenger {
  readonly #notifier: WebhookNotifier;
  readonly #ctx: OutboundContext;
  #pending: ChangeEvent[] = [];
  #timer: NodeJS.Immediate | null = null;
  #notificationSeq = 0;

  constructor(notifier: WebhookNotifier, ctx: OutboundContext) {
    this.#notifier = notifier;
    this.#ctx = ctx;
  }

  push(event: ChangeEvent): void {
    if (!TRACKED_OBJECTS.includes(event.type) || this.#notifier.target === null) return;
    this.#pending.push(event);
    this.#timer ??= setImmediate(() => this.flush());
  }

  flush(): void {
    if (this.#timer) clearImmediate(this.#timer);
    this.#timer = null;
    const events = this.#pending;
    this.#pending = [];
    for (const type of TRACKED_OBJECTS) {
      const ofType = events.filter((e) => e.type === type);
      for (let i = 0; i < ofType.length; i += MAX_NOTIFICATIONS) {
        const chunk = ofType.slice(i, i + MAX_NOTIFICATIONS);
        const body = buildOutboundEnvelope(this.#ctx, type, chunk, () => salesforceId('04l', ++this.#notificationSeq));
        this.#notifier.enqueue({ body, contentType: 'text/xml; charset=utf-8', headers: { SOAPAction: '""' }, label: `${type} x${chunk.length}` });
      }
    }
  }

  close(): void {
    if (this.#timer) clearImmediate(this.#timer);
    this.#timer = null;
    this.#pending = [];
  }
}

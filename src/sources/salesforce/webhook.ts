// Salesforce Outbound Messages: a SOAP POST with up to 100 notifications, answered with an
// Ack. Outbound messages are not signed: the organization id must be ours (deployments add
// an IP allow-list or mutual TLS in front). Salesforce re-sends anything not acked, with the
// same notification ids, for up to 24 hours.
// https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_om_outboundmessaging_understanding.htm
import { type ChangeNotice, type Delivery, WebhookRejectedError } from '../../sync/notices.ts';
import type { WebhookVerifier } from '../contract.ts';
import { createOutboundXmlReader, OutboundReaderBusyError, type OutboundXmlReader } from './outbound-reader.ts';
import { OUTBOUND_NAMESPACE, OutboundXmlError } from './outbound-xml.ts';
import { OrganizationUnknownError, type OrganizationIdSource } from './organization.ts';
import { outboundMessageSchema, toSalesforceId18 } from './schema.ts';

export const OUTBOUND_ACK =
  '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>' +
  '<notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound"><Ack>true</Ack></notificationsResponse></soapenv:Body></soapenv:Envelope>';

/** Salesforce puts at most 100 notifications in one message; a message with more is not from Salesforce. */
export const MAX_OUTBOUND_NOTIFICATIONS = 100;

export interface SalesforceOutboundOptions {
  /** Reads the XML off the event loop (outbound-reader.ts). */
  reader: OutboundXmlReader;
  /** Our org's id (organization.ts); rejects while it cannot be learned. */
  organizationId: OrganizationIdSource;
}

/**
 * What the intake needs for Outbound Messages: a reader on a worker thread, and our org id
 * (the gateway's SalesforceSession.organizationId). Asked at once, without waiting, and again
 * by a message after a failure.
 */
export function salesforceOutbound(organizationId: OrganizationIdSource): SalesforceOutboundOptions {
  // Asked at start so the first message need not wait; a failure here is asked again by that message.
  organizationId().catch(() => undefined);
  return { reader: createOutboundXmlReader(), organizationId };
}

const xmlEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A SOAP 1.1 fault: what a SOAP sender such as Salesforce reads as the reason a message was not taken. */
export function outboundFault(reason: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>' +
    `<soapenv:Fault><faultcode>soapenv:Client</faultcode><faultstring>${xmlEscape(reason)}</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>`
  );
}

function noticeOf(type: string, recordId: string, accountId: string | null): ChangeNotice | null {
  const event = `${type}.changed`;
  if (type === 'Account') return { system: 'salesforce', level: 'account', id: recordId, event, identity: true };
  if (accountId) return { system: 'salesforce', level: 'account', id: accountId, event, identity: type === 'Contact' };
  if (type === 'Contact') return { system: 'salesforce', level: 'person', id: recordId, event, identity: true };
  return null;
}

/** One Delivery per notification (its 04l… id), after checking the message is for our org. */
export async function parseSalesforceOutbound(rawBody: string, options: SalesforceOutboundOptions): Promise<Delivery[]> {
  if (!rawBody.includes(OUTBOUND_NAMESPACE)) throw new WebhookRejectedError(400, 'not a Salesforce outbound message (namespace missing)');
  let raw: unknown;
  try {
    raw = await options.reader.read(rawBody);
  } catch (e) {
    if (e instanceof OutboundXmlError) throw new WebhookRejectedError(400, e.message);
    if (e instanceof OutboundReaderBusyError) throw new WebhookRejectedError(503, e.message);
    throw e;
  }
  const count = (raw as { notifications?: unknown[] }).notifications?.length ?? 0;
  if (count > MAX_OUTBOUND_NOTIFICATIONS) throw new WebhookRejectedError(400, `outbound message has ${count} notifications; Salesforce sends at most ${MAX_OUTBOUND_NOTIFICATIONS}`);
  const parsed = outboundMessageSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new WebhookRejectedError(400, `outbound message: ${issue.path.join('.') || 'body'}: ${issue.message}`);
  }
  const message = parsed.data;
  let ours: string;
  try {
    ours = await options.organizationId();
  } catch (e) {
    // Unverified messages are not accepted: Salesforce keeps them and re-sends.
    if (e instanceof OrganizationUnknownError) throw new WebhookRejectedError(503, e.message);
    throw e;
  }
  // 15- and 18-char forms of one id: compare the 18-char forms (whose suffix checks the case).
  const theirs = toSalesforceId18(message.organizationId);
  if (theirs !== ours) throw new WebhookRejectedError(403, `outbound message is for organization ${message.organizationId}, not ours`);
  return message.notifications.map((n) => {
    const notice = noticeOf(n.type, n.recordId, n.accountId);
    return { eventId: n.id, notices: notice ? [notice] : [] };
  });
}

/** The route's verifier (src/sources/contract.ts): our org's messages, answered in SOAP as Salesforce reads them. */
export function salesforceWebhook(options: SalesforceOutboundOptions): WebhookVerifier {
  return {
    parse: (_header, rawBody) => parseSalesforceOutbound(rawBody, options),
    answers: { contentType: 'text/xml; charset=utf-8', ack: OUTBOUND_ACK, refuse: outboundFault },
  };
}

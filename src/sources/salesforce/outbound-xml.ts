// Reads a Salesforce Outbound Message (a SOAP envelope) with a real XML parser: linear in the
// size of the message, entities left as written (no expansion, so no entity bombs) and
// DOCTYPEs refused (SOAP forbids them). Returns only what the gateway uses, as plain data that
// crosses a worker boundary; the caller validates it (schema.ts) like any payload from outside.
// https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_om_outboundmessaging_wsdl.htm
import { XMLParser } from 'fast-xml-parser';

export const OUTBOUND_NAMESPACE = 'http://soap.sforce.com/2005/09/outbound';

/** One <Notification>: its id (04l…), the sObject's xsi:type without prefix, and the ids we read from it. */
export interface OutboundNotificationXml {
  id: unknown;
  type: unknown;
  recordId: unknown;
  accountId: unknown;
}

export interface OutboundXml {
  organizationId: unknown;
  notifications: OutboundNotificationXml[];
}

/** The body is not XML we can read; the message is refused (400). */
export class OutboundXmlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutboundXmlError';
  }
}

const parser = new XMLParser({
  // Entities stay as written: ids are alphanumeric, and nothing else is read.
  processEntities: false,
  htmlEntities: false,
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  isArray: (name) => name === 'Notification',
});

const obj = (v: unknown): Record<string, unknown> | null => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null);
/** Element text; an element with attributes (xsi:nil) and no text reads as null. */
const text = (v: unknown): unknown => (typeof v === 'string' ? v.trim() : obj(v) ? (obj(v)!['#text'] ?? null) : (v ?? null));

export function readOutboundXml(xml: string): OutboundXml {
  // SOAP 1.1 §3: a message must not contain a DTD; refusing it keeps entity definitions out.
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new OutboundXmlError('outbound message contains a DOCTYPE (not allowed in SOAP)');
  let parsed: unknown;
  try {
    parsed = parser.parse(xml);
  } catch (e) {
    // The parser's message quotes the input after "Context:": keep only what went wrong, and where.
    throw new OutboundXmlError(`outbound message is not well-formed XML: ${(e as Error).message.split(/\.? Context:|\n/)[0]!.slice(0, 120)}`);
  }
  const notifications = obj(obj(obj(obj(parsed)?.['Envelope'])?.['Body'])?.['notifications']);
  if (!notifications) throw new OutboundXmlError('outbound message has no soapenv:Envelope/soapenv:Body/notifications element');
  const list = Array.isArray(notifications['Notification']) ? (notifications['Notification'] as unknown[]) : [];
  return {
    organizationId: text(notifications['OrganizationId']),
    notifications: list.map((n) => {
      const s = obj(obj(n)?.['sObject']);
      const type = s?.['@type'];
      return {
        id: text(obj(n)?.['Id']),
        // xsi:type="sf:Account": the prefix names the namespace, not the object.
        type: typeof type === 'string' ? type.slice(type.indexOf(':') + 1) : null,
        recordId: text(s?.['Id']),
        accountId: text(s?.['AccountId']),
      };
    }),
  };
}

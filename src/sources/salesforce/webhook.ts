// Salesforce Outbound Messages: a SOAP POST with up to 100 notifications, answered with an
// Ack. Outbound messages are not signed: the organization id must be ours (deployments add
// an IP allow-list or mutual TLS in front). Salesforce re-sends anything not acked.
// https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_om_outboundmessaging_understanding.htm
import { type ChangeNotice, WebhookRejectedError } from '../../sync/notices.ts';

export const OUTBOUND_ACK =
  '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>' +
  '<notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound"><Ack>true</Ack></notificationsResponse></soapenv:Body></soapenv:Envelope>';

const tag = (xml: string, name: string): string | null => {
  const m = new RegExp(`<(?:\\w+:)?${name}>([^<]*)</(?:\\w+:)?${name}>`).exec(xml);
  return m ? m[1]!.trim() : null;
};

export function parseSalesforceOutbound(rawBody: string, expectedOrgId: string | null): ChangeNotice[] {
  if (!rawBody.includes('http://soap.sforce.com/2005/09/outbound')) throw new WebhookRejectedError(400, 'not a Salesforce outbound message (namespace missing)');
  const org = tag(rawBody, 'OrganizationId');
  if (!org) throw new WebhookRejectedError(400, 'outbound message has no OrganizationId');
  // 15- and 18-char forms of the same org id share their first 15 characters.
  if (expectedOrgId && org.slice(0, 15) !== expectedOrgId.slice(0, 15)) throw new WebhookRejectedError(401, `outbound message is for organization ${org}, not ours`);
  const notices: ChangeNotice[] = [];
  const re = /<sObject[^>]*xsi:type="(?:\w+:)?(\w+)"[^>]*>([\s\S]*?)<\/sObject>/g;
  for (let m = re.exec(rawBody); m; m = re.exec(rawBody)) {
    const type = m[1]!;
    const fields = m[2]!;
    const id = tag(fields, 'Id');
    if (!id) continue;
    if (type === 'Account') notices.push({ system: 'salesforce', level: 'account', id, event: `${type}.changed`, identity: true });
    else {
      const account = tag(fields, 'AccountId');
      if (account) notices.push({ system: 'salesforce', level: 'account', id: account, event: `${type}.changed`, identity: type === 'Contact' });
      else if (type === 'Contact') notices.push({ system: 'salesforce', level: 'person', id, event: `${type}.changed`, identity: true });
    }
  }
  return notices;
}

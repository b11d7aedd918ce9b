// Salesforce Outbound Messages as the webhook intake takes them: read with a real XML parser on
// a worker thread, bounded in notifications, and accepted only for our own org, whose id is
// learned through the API with the configured credentials (here a session token, which carries
// no org id) from the Salesforce emulator, as from the real identity service.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateWorld } from '../../src/sandbox/world/generate.ts';
import { startSalesforceEmulator, type SalesforceEmulator } from '../../src/sandbox/salesforce/index.ts';
import { buildOutboundEnvelope } from '../../src/sandbox/salesforce/outbound.ts';
import { readSystemSettings } from '../../src/config/systems.ts';
import type { SalesforceSettings } from '../../src/sources/salesforce/settings.ts';
import { connectSalesforce, emulatorSettings } from '../support/salesforce.ts';
import { createOutboundXmlReader, MAX_QUEUED_OUTBOUND_MESSAGES } from '../../src/sources/salesforce/outbound-reader.ts';
import { learnOrganizationId } from '../../src/sources/salesforce/organization.ts';
import { MAX_OUTBOUND_NOTIFICATIONS, salesforceOutbound, salesforceWebhook, type SalesforceOutboundOptions } from '../../src/sources/salesforce/webhook.ts';
import { createWebhookIntake, WEBHOOK_MAX_BYTES } from '../../src/sync/intake.ts';
import { createMemoryWebhookInbox } from '../../src/sync/inbox.ts';
import { createLogger } from '../../src/observability/logger.ts';

const ACCOUNT = '001000000000001AAA';

describe('Salesforce Outbound Messages', () => {
  let emu: SalesforceEmulator;
  let session: SalesforceSettings;
  const reader = createOutboundXmlReader();

  beforeAll(async () => {
    const world = generateWorld({ customers: 5, seed: 7 });
    emu = await startSalesforceEmulator({ data: world.salesforce, port: 0 });
    const oauth = emulatorSettings(emu);
    const conn = await connectSalesforce(oauth);
    // A session issued elsewhere: SALESFORCE_INSTANCE_URL + SALESFORCE_ACCESS_TOKEN.
    session = readSystemSettings({ SALESFORCE_INSTANCE_URL: conn.instanceUrl, SALESFORCE_ACCESS_TOKEN: conn.accessToken! }).salesforce!;
    expect(session.session).not.toBeNull();
  });
  afterAll(async () => {
    await reader.close();
    await emu?.close();
  });

  const envelope = (orgId: string, count = 1, extra = ''): string =>
    buildOutboundEnvelope(
      { orgId, baseUrl: emu.url, apiVersion: '59.0' },
      'Account',
      Array.from({ length: count }, (_, i) => ({ type: 'Account', op: 'update', record: { Id: ACCOUNT, Name: `Acme ${i} & Sons`, Description: extra }, fields: ['Name', 'Description'] }) as never),
      (i) => `04l${String(i).padStart(15, '0')}`,
    );
  const intakeWith = (salesforce: SalesforceOutboundOptions) => createWebhookIntake({ verifiers: { salesforce: salesforceWebhook(salesforce) }, inbox: createMemoryWebhookInbox(), logger: createLogger({ quiet: true }) });

  it('refuses a message for another org under session-token auth, and acknowledges one for ours (15- or 18-char id)', async () => {
    emu.requests.clear();
    const intake = intakeWith({ reader, organizationId: learnOrganizationId(() => connectSalesforce(session)) });
    const other = await intake.handle('salesforce', {}, envelope('00D000000000999AAA'));
    expect(other.status).toBe(403);
    expect(other.contentType).toMatch(/xml/);
    expect(other.body).toContain('<faultstring>outbound message is for organization 00D000000000999AAA, not ours</faultstring>');
    expect(other.body).not.toContain('<Ack>true</Ack>');
    // Learned once from the identity service; later messages are checked against it.
    expect(emu.requests.count({ operation: 'identity' })).toBe(1);
    const ours = await intake.handle('salesforce', {}, envelope(emu.orgId.slice(0, 15)));
    expect(ours.status).toBe(200);
    expect(ours.body).toContain('<Ack>true</Ack>');
    // The 15-char form with its case changed is another org's id.
    const wrongCase = await intake.handle('salesforce', {}, envelope(emu.orgId.slice(0, 15).toLowerCase()));
    expect(wrongCase.status).toBe(403);
    expect(emu.requests.count({ operation: 'identity' })).toBe(1);
  });

  it('answers 503 (Salesforce re-sends) while the org id cannot be learned, and accepts once Salesforce answers', async () => {
    const intake = intakeWith({ reader, organizationId: learnOrganizationId(() => connectSalesforce(session), { retryAfterMs: 0, timeoutMs: 1_000 }) });
    emu.faults.set({ outage: 'http' });
    try {
      const refused = await intake.handle('salesforce', {}, envelope(emu.orgId));
      expect(refused.status).toBe(503);
      expect(refused.body).toContain('could not learn the Salesforce organization id');
    } finally {
      emu.faults.reset();
    }
    const accepted = await intake.handle('salesforce', {}, envelope(emu.orgId));
    expect(accepted.status).toBe(200);
    expect(accepted.body).toContain('<Ack>true</Ack>');
  });

  it('refuses a message of 45,000 unclosed <sObject tags with 400, before its org is looked up', async () => {
    let asked = 0;
    const intake = intakeWith({ reader, organizationId: () => (asked++, Promise.resolve(emu.orgId)) });
    const body = `<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><notifications xmlns="http://soap.sforce.com/2005/09/outbound"><OrganizationId>${emu.orgId}</OrganizationId>${'<sObject '.repeat(45_000)}`;
    const answer = await intake.handle('salesforce', {}, body);
    expect(answer.status).toBe(400);
    expect(answer.body).toContain('not well-formed XML');
    // The parser's message quotes the input; the answer does not.
    expect(answer.body).not.toContain('&lt;sObject &lt;sObject');
    expect(asked).toBe(0);
  });

  it(`refuses a message with more than ${MAX_OUTBOUND_NOTIFICATIONS} notifications, naming the cap`, async () => {
    const intake = intakeWith(salesforceOutbound(learnOrganizationId(() => connectSalesforce(session))));
    const answer = await intake.handle('salesforce', {}, envelope(emu.orgId, MAX_OUTBOUND_NOTIFICATIONS + 1));
    expect(answer.status).toBe(400);
    expect(answer.body).toContain(`has ${MAX_OUTBOUND_NOTIFICATIONS + 1} notifications; Salesforce sends at most ${MAX_OUTBOUND_NOTIFICATIONS}`);
    expect((await intake.handle('salesforce', {}, envelope(emu.orgId, MAX_OUTBOUND_NOTIFICATIONS))).status).toBe(200);
  });

  it('refuses a body over the 1 MB webhook cap with 413 without handing it to the parser', async () => {
    const sizes: number[] = [];
    const counting = { read: (xml: string) => (sizes.push(xml.length), reader.read(xml)), close: () => Promise.resolve() };
    const intake = intakeWith({ reader: counting, organizationId: () => Promise.resolve(emu.orgId) });
    const over = await intake.handle('salesforce', {}, envelope(emu.orgId, 1, 'x'.repeat(WEBHOOK_MAX_BYTES)));
    expect(over.status).toBe(413);
    expect(over.body).toContain(`webhook body larger than ${WEBHOOK_MAX_BYTES} bytes`);
    expect(sizes).toEqual([]);
    expect((await intake.handle('salesforce', {}, envelope(emu.orgId))).status).toBe(200);
    expect(sizes).toHaveLength(1);
    expect(sizes[0]).toBeLessThanOrEqual(WEBHOOK_MAX_BYTES);
  });

  it('refuses a DOCTYPE (entity definitions) with 400', async () => {
    const intake = intakeWith(salesforceOutbound(learnOrganizationId(() => connectSalesforce(session))));
    const body = envelope(emu.orgId).replace('<?xml version="1.0" encoding="UTF-8"?>', '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>');
    const answer = await intake.handle('salesforce', {}, body);
    expect(answer.status).toBe(400);
    expect(answer.body).toContain('DOCTYPE');
  });

  it(`answers 503 to messages beyond ${MAX_QUEUED_OUTBOUND_MESSAGES} waiting for the reader`, async () => {
    const own = createOutboundXmlReader();
    try {
      const intake = intakeWith({ reader: own, organizationId: () => Promise.resolve(emu.orgId) });
      const body = envelope(emu.orgId, 10, 'x'.repeat(20_000));
      const answers = await Promise.all(Array.from({ length: MAX_QUEUED_OUTBOUND_MESSAGES + 5 }, () => intake.handle('salesforce', {}, body)));
      const statuses = answers.map((a) => a.status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(MAX_QUEUED_OUTBOUND_MESSAGES);
      expect(statuses.filter((s) => s === 503)).toHaveLength(5);
      expect(answers.find((a) => a.status === 503)!.body).toContain('already waiting to be read');
    } finally {
      await own.close();
    }
  });

  it('reads a message on a worker thread: the event loop turns while a 1 MB message is parsed', async () => {
    const body = envelope(emu.orgId, 100, 'x'.repeat(9_500));
    expect(body.length).toBeGreaterThan(900_000);
    let turns = 0;
    let stop = false;
    const spin = (): void => {
      turns++;
      if (!stop) setImmediate(spin);
    };
    setImmediate(spin);
    const read = await reader.read(body);
    stop = true;
    expect(read.notifications).toHaveLength(100);
    expect(read.notifications[0]).toEqual({ id: '04l000000000000000', type: 'Account', recordId: ACCOUNT, accountId: null });
    expect(turns).toBeGreaterThan(0);
  });
});

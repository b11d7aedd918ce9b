// The whole sandbox as a gateway meets it: one generated world, every emulator started by
// startSandbox, and the production client set-up (src/sources/*/client.ts) built from
// nothing but sandbox.env() — the same settings a real deployment uses.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection } from 'jsforce';
import type Stripe from 'stripe';
import type pg from 'pg';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.ts';
import { readSystemSettings } from '../../src/config/systems.ts';
import { connectSalesforce } from '../support/salesforce.ts';
import { createStripeClient } from '../../src/sources/stripe/client.ts';
import { createZendeskClient, type ZendeskClient } from '../../src/sources/zendesk/client.ts';
import { createErpPool } from '../../src/sources/erp/client.ts';
import { verifyZendeskWebhook } from '../../src/sandbox/zendesk/index.ts';
import type { SourceRef, TruthCustomer } from '../../src/sandbox/world/types.ts';
import { uniqueSchema } from '../support/postgres.ts';

interface Hook {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

describe('sandbox end to end', () => {
  let sandbox: Sandbox;
  let sf: Connection;
  let stripe: Stripe;
  let zd: ZendeskClient;
  let erp: pg.Pool;
  let hookServer: http.Server;
  const hooks: Hook[] = [];
  const erpSchema = uniqueSchema('erp_e2e');

  beforeAll(async () => {
    hookServer = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        hooks.push({ path: req.url ?? '', headers: req.headers, body });
        if (req.url === '/webhooks/salesforce') {
          res.writeHead(200, { 'content-type': 'text/xml' });
          res.end('<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound"><Ack>true</Ack></notificationsResponse></soapenv:Body></soapenv:Envelope>');
        } else {
          res.writeHead(200).end();
        }
      });
    });
    await new Promise<void>((r) => hookServer.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}`;
    const databaseUrl = process.env['DATABASE_URL'];
    sandbox = await startSandbox({
      customers: 300,
      seed: 11,
      ...(databaseUrl ? { databaseUrl, erpSchema } : {}),
      webhooks: { salesforce: `${base}/webhooks/salesforce`, stripe: `${base}/webhooks/stripe`, zendesk: `${base}/webhooks/zendesk` },
    });
    const settings = readSystemSettings(sandbox.env());
    sf = await connectSalesforce(settings.salesforce!);
    stripe = createStripeClient(settings.stripe!, { maxNetworkRetries: 0 });
    zd = createZendeskClient(settings.zendesk!);
    erp = createErpPool(settings.erp!);
  });

  afterAll(async () => {
    await erp?.end();
    if (process.env['DATABASE_URL']) await sandbox?.erp.pool.query(`DROP SCHEMA IF EXISTS ${erpSchema} CASCADE`);
    await sandbox?.close();
    await new Promise<void>((r) => hookServer?.close(() => r()));
  });

  const refs = (t: TruthCustomer, system: SourceRef['system']): SourceRef[] => t.records.filter((r) => r.system === system);
  const inAll = (): TruthCustomer[] =>
    sandbox.world.truth.filter((t) => (['salesforce', 'stripe', 'zendesk', 'erp'] as const).every((s) => refs(t, s).length > 0));

  it('serves every record of a customer the ground truth names, through each real client', async () => {
    const sample = inAll().slice(0, 5);
    expect(sample.length).toBe(5);
    for (const t of sample) {
      const sfIds = refs(t, 'salesforce').map((r) => r.id);
      const accounts = await sf.query<{ Id: string }>(
        `SELECT Id, Name, Owner.Name FROM Account WHERE Id IN (${sfIds.map((id) => `'${id}'`).join(',')})`,
      );
      // Merged-away duplicates are deleted rows: visible to queryAll, not to query.
      const all = await sf.query<{ Id: string }>(`SELECT Id FROM Account WHERE Id IN (${sfIds.map((id) => `'${id}'`).join(',')})`, { scanAll: true });
      expect(all.records.map((r) => r.Id).sort()).toEqual([...sfIds].sort());
      expect(accounts.records.length).toBeGreaterThan(0);

      for (const ref of refs(t, 'stripe')) {
        const c = await stripe.customers.retrieve(ref.id);
        expect(c.id).toBe(ref.id);
      }
      const orgIds = refs(t, 'zendesk').map((r) => Number(r.id));
      const orgs = (await zd.organizations.showMany(orgIds)) as unknown as { id: number }[];
      expect(orgs.map((o) => o.id).sort()).toEqual([...orgIds].sort());

      const erpIds = refs(t, 'erp').map((r) => r.id);
      const rows = await erp.query<{ customer_number: string }>(`SELECT customer_number FROM ${sandbox.erp.schema}.customers WHERE customer_number = ANY($1)`, [erpIds]);
      expect(rows.rows.map((r) => r.customer_number).sort()).toEqual([...erpIds].sort());
    }
  });

  it('plants the conflict the truth records: the ERP contract total differs from Salesforce', async () => {
    const genuine = sandbox.world.truth.find(
      (t) => t.conflicts.some((c) => c.field === 'contractValue' && c.kind === 'genuine') && refs(t, 'erp').length > 0,
    );
    expect(genuine).toBeDefined();
    const conflict = genuine!.conflicts.find((c) => c.field === 'contractValue')!;
    const erpSays = conflict.values.find((v) => v.system === 'erp')?.value;
    const sfSays = conflict.values.find((v) => v.system === 'salesforce')?.value;
    expect(erpSays).not.toEqual(sfSays);
    const r = await erp.query<{ total: string }>(
      `SELECT sum(total_value)::text AS total FROM ${sandbox.erp.schema}.contracts WHERE customer_number = ANY($1) AND status <> 'draft'`,
      [refs(genuine!, 'erp').map((x) => x.id)],
    );
    expect(Number(r.rows[0]!.total)).toBe(genuine!.contractValue);
  });

  it('sends each system its change notification when data changes through the API', async () => {
    const t = inAll()[0]!;
    const stripeId = refs(t, 'stripe')[0]!.id;
    const accountId = refs(t, 'salesforce')[0]!.id;
    const orgId = Number(refs(t, 'zendesk')[0]!.id);
    await stripe.customers.update(stripeId, { phone: '+14155550000' });
    await sf.sobject('Account').update({ Id: accountId, Phone: '(415) 555-0000' });
    await zd.organizations.update(orgId, { organization: { tags: ['e2e-changed'] } });
    await Promise.all([sandbox.stripe.notifier?.idle(), sandbox.salesforce.notifier?.idle(), sandbox.zendesk.notifier?.idle()]);
    await new Promise((r) => setTimeout(r, 50));

    const stripeHook = hooks.find((h) => h.path === '/webhooks/stripe' && h.body.includes(stripeId));
    expect(stripeHook).toBeDefined();
    const event = stripe.webhooks.constructEvent(stripeHook!.body, String(stripeHook!.headers['stripe-signature']), sandbox.env()['STRIPE_WEBHOOK_SECRET']!);
    expect(event.type).toBe('customer.updated');

    const sfHook = hooks.find((h) => h.path === '/webhooks/salesforce' && h.body.includes(accountId));
    expect(sfHook?.body).toContain('http://soap.sforce.com/2005/09/outbound');

    const zdHook = hooks.find((h) => h.path === '/webhooks/zendesk' && h.body.includes(String(orgId)));
    expect(zdHook?.body).toContain('organization.tags_changed');
    expect(
      verifyZendeskWebhook(
        sandbox.env()['ZENDESK_WEBHOOK_SECRET']!,
        String(zdHook!.headers['x-zendesk-webhook-signature-timestamp']),
        zdHook!.body,
        String(zdHook!.headers['x-zendesk-webhook-signature']),
      ),
    ).toBe(true);
  });

  it('counts calls per emulator and fails one system without touching the others', async () => {
    sandbox.stripe.requests.clear();
    sandbox.erp.proxy.requests.clear();
    sandbox.stripe.faults.set({ outage: 'http' });
    try {
      await expect(stripe.customers.list({ limit: 3 })).rejects.toMatchObject({ statusCode: 503 });
      const ok = await erp.query(`SELECT count(*) FROM ${sandbox.erp.schema}.customers`);
      expect(ok.rowCount).toBe(1);
      const sfOk = await sf.query('SELECT COUNT() FROM Account');
      expect(sfOk.totalSize).toBeGreaterThan(0);
    } finally {
      sandbox.stripe.faults.reset();
    }
    expect(sandbox.stripe.requests.list().map((r) => r.fault)).toEqual(['outage']);
    expect(sandbox.erp.proxy.requests.count({ operation: 'select' })).toBe(1);
  });
});

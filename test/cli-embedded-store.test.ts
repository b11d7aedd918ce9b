// The embedded store as a user runs it: `meridian serve` on the zero-config default, then other
// commands on the same data directory, as real child processes configured by environment.
// Issue 8 items 2 and 3: a backfill beside a running gateway used to open the same PGlite files
// and re-seed the sandbox ERP over them (every erp.* table emptied, later writes failing, review
// decisions and new links lost); a restart regenerated the world under links to records created
// during the session, which then answered `name: null`.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_BIN, runCli } from './support/cli.ts';

interface Served {
  child: ChildProcessWithoutNullStreams;
  url: string;
  stripeUrl: string;
  erpUrl: string;
  output: () => string;
  /** SIGINT, then the exit code. */
  stop(): Promise<number | null>;
}

function baseEnv(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['DATABASE_URL', 'REDIS_URL', 'MERIDIAN_SANDBOX', 'MERIDIAN_SANDBOX_SEED']) delete env[k];
  return {
    ...env,
    PORT: '0',
    SANDBOX_SALESFORCE_PORT: '0',
    SANDBOX_STRIPE_PORT: '0',
    SANDBOX_ZENDESK_PORT: '0',
    SANDBOX_ERP_PORT: '0',
    MERIDIAN_DATA_DIR: dataDir,
    MERIDIAN_SANDBOX_CUSTOMERS: '50',
    ...extra,
  };
}

function serve(env: NodeJS.ProcessEnv): Promise<Served> {
  const child = spawn(process.execPath, [CLI_BIN, 'serve'], { env });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  return new Promise((resolve, reject) => {
    const onClose = (code: number | null): void => reject(new Error(`meridian serve exited with ${code} before it was ready:\n${out}`));
    child.on('close', onClose);
    child.stdout.on('data', () => {
      if (!out.includes('Ctrl-C stops it.')) return;
      child.off('close', onClose);
      const url = /GraphQL\s+(http:\/\/\S+)\/graphql/.exec(out)?.[1];
      const stripeUrl = /Stripe (http:\/\/\S+?),/.exec(out)?.[1];
      const erpUrl = /ERP (postgres:\/\/\S+)/.exec(out)?.[1];
      if (!url || !stripeUrl || !erpUrl) return reject(new Error(`could not read the URLs from:\n${out}`));
      resolve({
        child,
        url,
        stripeUrl,
        erpUrl,
        output: () => out,
        stop: () => {
          child.kill('SIGINT');
          return closed;
        },
      });
    });
  });
}

/** The local admin key the first start made in the data directory (what the README tells users to export). */
let adminKey = '';

async function gql<T>(url: string, query: string, variables: Record<string, unknown> = {}): Promise<{ data: T | null; errors: { message: string; extensions?: Record<string, unknown> }[] }> {
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` }, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as { data?: T; errors?: [] };
  return { data: body.data ?? null, errors: body.errors ?? [] };
}

async function erpQuery<R extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

const erpCounts = (url: string): Promise<{ customers: string; contracts: string; invoices: string; payments: string }[]> =>
  erpQuery(url, `SELECT (SELECT count(*) FROM erp.customers) AS customers, (SELECT count(*) FROM erp.contracts) AS contracts,
                        (SELECT count(*) FROM erp.invoices) AS invoices, (SELECT count(*) FROM erp.payments) AS payments`);

describe('the embedded store under several commands', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'meridian-embedded-'));
  let gateway: Served | null = null;
  // What the first session created, to find again after the refused backfill and the restart.
  const made = { stripeId: '', stripeCustomer: '', erpCustomer: '', survivor: '', retired: '', survivorName: '' };

  beforeAll(async () => {
    gateway = await serve(baseEnv(dataDir));
    adminKey = readFileSync(join(dataDir, 'admin.key'), 'utf8').trim();
  }, 180_000);

  it('makes a local admin key in the data directory (mode 0600), prints it, and needs it', async () => {
    expect(statSync(join(dataDir, 'admin.key')).mode & 0o777).toBe(0o600);
    expect(adminKey).toMatch(/^mrd_[A-Za-z0-9_-]{43}$/);
    expect(gateway!.output()).toContain(`API key     ${adminKey}`);
    expect(gateway!.output()).toContain(`/#key=${adminKey}`);
    // The explorer page itself holds no key: it takes it from the link's fragment, never sent to the server.
    const page = await (await fetch(`${gateway!.url}/`)).text();
    expect(page).toContain("get('key')");
    expect(page).not.toContain(adminKey);
    const anonymous = await fetch(`${gateway!.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ ok }"}' });
    expect(anonymous.status).toBe(401);
    expect((await gql<{ ok: boolean }>(gateway!.url, '{ ok }')).data).toEqual({ ok: true });
  });

  afterAll(async () => {
    await gateway?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses a backfill beside a running gateway with one line and exit code 2, and the gateway keeps its data', async () => {
    const g = gateway!;
    // A person's decision, a customer linked during the session, and the ERP as seeded.
    const list = await gql<{ customers: { edges: { node: { id: string; name: string } }[] } }>(g.url, '{ customers(first: 2) { edges { node { id name } } } }');
    const [a, b] = list.data!.customers.edges.map((e) => e.node);
    const merged = await gql<{ mergeCustomers: { id: string; name: string } }>(g.url, 'mutation($ids: [ID!]!) { mergeCustomers(ids: $ids) { id name } }', { ids: [a!.id, b!.id] });
    expect(merged.errors).toEqual([]);
    made.survivor = merged.data!.mergeCustomers.id;
    made.survivorName = merged.data!.mergeCustomers.name;
    made.retired = made.survivor === a!.id ? b!.id : a!.id;

    const created = await fetch(`${g.stripeUrl}/v1/customers`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('sk_test_meridian_sandbox:').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ name: 'Quillfeather Unlikely Holdings', email: 'ap@quillfeather-unlikely.example' }).toString(),
    });
    expect(created.status).toBe(200);
    made.stripeId = ((await created.json()) as { id: string }).id;
    // Queries never link; the mutation does (the sandbox's webhook may have linked it already: the same answer).
    const linked = await gql<{ linkSourceRecord: { id: string; name: string } }>(g.url, 'mutation($id: ID!) { linkSourceRecord(system: STRIPE, externalId: $id) { id name } }', { id: made.stripeId });
    expect(linked.errors).toEqual([]);
    expect(linked.data?.linkSourceRecord.name).toBe('Quillfeather Unlikely Holdings');
    made.stripeCustomer = linked.data!.linkSourceRecord.id;
    const countsBefore = await erpCounts(g.erpUrl);
    expect(Number(countsBefore[0]!.customers)).toBeGreaterThan(0);

    const backfill = await runCli(['backfill', '--page-size', '100'], baseEnv(dataDir));
    expect(backfill.code).toBe(2);
    expect(backfill.stderr.trim().split('\n')).toHaveLength(1);
    expect(backfill.stderr.trim()).toMatch(
      new RegExp(`^meridian backfill: the embedded store in ${dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is in use by meridian serve \\(pid ${g.child.pid}, ${g.url}\\); stop it and run the backfill again \\(in sandbox mode the gateway backfills at every start\\), or set DATABASE_URL to use a Postgres server$`),
    );
    expect(backfill.stdout).toBe('');

    // Nothing of the gateway's was touched: the ERP as it was, and still writable.
    expect(await erpCounts(g.erpUrl)).toEqual(countsBefore);
    await erpQuery(
      g.erpUrl,
      `INSERT INTO erp.customers (customer_number, legal_name, billing_email, currency, payment_terms, accounting_status, created_at, updated_at)
       VALUES ('C-900001', 'Brindlewood Quarry Partners', 'ap@brindlewood-quarry.example', 'USD', 'NET30', 'good_standing', now(), now())`,
    );
    const erpLinked = await gql<{ linkSourceRecord: { id: string; name: string } }>(g.url, 'mutation { linkSourceRecord(system: ERP, externalId: "C-900001") { id name } }');
    expect(erpLinked.errors).toEqual([]);
    made.erpCustomer = erpLinked.data!.linkSourceRecord.id;
    const retired = await gql<{ customer: { id: string } }>(g.url, 'query($id: ID!) { customer(id: $id) { id } }', { id: made.retired });
    expect(retired.data?.customer.id).toBe(made.survivor);
  }, 180_000);

  it('keeps the world, the changes made through the emulators and the links across a restart on the same data directory', async () => {
    expect(await gateway!.stop()).toBe(0);
    gateway = null;
    expect(existsSync(join(dataDir, 'pgdata.lock'))).toBe(false);

    gateway = await serve(baseEnv(dataDir));
    // The same key after a restart: what a user exported still works.
    expect(readFileSync(join(dataDir, 'admin.key'), 'utf8').trim()).toBe(adminKey);
    expect(gateway.output()).toContain(`API key     ${adminKey}`);
    const g = gateway;
    const again = await gql<{ stripe: { id: string; name: string | null }; erp: { id: string; name: string | null }; retired: { id: string; name: string | null } }>(
      g.url,
      `query($stripe: ID!, $retired: ID!) {
         stripe: customerBySource(system: STRIPE, externalId: $stripe) { id name }
         erp: customerBySource(system: ERP, externalId: "C-900001") { id name }
         retired: customer(id: $retired) { id name }
       }`,
      { stripe: made.stripeId, retired: made.retired },
    );
    expect(again.errors).toEqual([]);
    expect(again.data!.stripe).toEqual({ id: made.stripeCustomer, name: 'Quillfeather Unlikely Holdings' });
    expect(again.data!.erp).toEqual({ id: made.erpCustomer, name: 'Brindlewood Quarry Partners' });
    expect(again.data!.retired).toEqual({ id: made.survivor, name: made.survivorName });
    // Every customer reads: none lost its records under its links.
    const all = await gql<{ customers: { totalCount: number; edges: { node: { id: string; name: string | null } }[] } }>(g.url, '{ customers(first: 100) { totalCount edges { node { id name } } } }');
    expect(all.errors).toEqual([]);
    expect(all.data!.customers.edges.filter((e) => e.node.name === null)).toEqual([]);
  }, 180_000);

  it('refuses a start with another world on the same data directory with one line, changing nothing', async () => {
    expect(await gateway!.stop()).toBe(0);
    gateway = null;
    const other = await runCli(['serve'], baseEnv(dataDir, { MERIDIAN_SANDBOX_CUSTOMERS: '60' }));
    expect(other.code).toBe(2);
    expect(other.stderr.trim().split('\n')).toHaveLength(1);
    expect(other.stderr).toContain('were built for the sandbox world of seed 42 and 50 customers, not seed 42 and 60 customers; nothing was changed');
    expect(other.stderr).toContain('MERIDIAN_SANDBOX_SEED=42 MERIDIAN_SANDBOX_CUSTOMERS=50');
    expect(existsSync(join(dataDir, 'pgdata.lock'))).toBe(false);
    // The first world still starts, its links intact.
    gateway = await serve(baseEnv(dataDir));
    const back = await gql<{ customerBySource: { id: string; name: string } }>(gateway.url, 'query($id: ID!) { customerBySource(system: STRIPE, externalId: $id) { id name } }', { id: made.stripeId });
    expect(back.data?.customerBySource).toEqual({ id: made.stripeCustomer, name: 'Quillfeather Unlikely Holdings' });
  }, 180_000);
});

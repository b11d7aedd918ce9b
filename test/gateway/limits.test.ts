// Issue 9, limits: operations past the cost, alias, depth and document-size limits are refused
// before anything executes, each with its own code naming what was measured and the limit; no
// system is called (calls counted at the sandbox's emulators) and Meridian's store is not read.
// Over WebSocket the same. The per-request rate limit and the per-sender webhook limit answer
// 429 RATE_LIMITED with Retry-After.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createClient } from 'graphql-ws';
import { bearer, countPageReads, startTestApp, type TestApp } from '../support/app.ts';

const aliases = (n: number, field: (i: number) => string): string => `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field(i)}`).join(' ')} }`;

describe('operation limits', () => {
  let app: TestApp;
  let pageReads: () => number = () => 0;
  beforeAll(async () => {
    app = await startTestApp({ customers: 30, seed: 9, env: { MERIDIAN_MAX_DEPTH: '6' } });
    pageReads = countPageReads(app);
  });
  afterAll(() => app?.close());

  /** Calls the emulators and Meridian's store received since `start()`. */
  const calls = () => {
    const sb = app.sandbox!;
    const count = (): number => sb.salesforce.requests.lastSeq + sb.stripe.requests.lastSeq + sb.zendesk.requests.lastSeq + sb.erp.proxy.requests.lastSeq + pageReads();
    const before = count();
    return () => count() - before;
  };

  const post = async (query: string, variables: Record<string, unknown> = {}) => {
    const res = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...bearer('admin') },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] };
    return { status: res.status, body };
  };

  it('refuses the reproduction, 1,000 aliases of a page of 100 customers, naming its cost and the limit, without calling anything', async () => {
    const since = calls();
    const { status, body } = await post(aliases(1_000, () => 'customers(first: 100) { edges { node { id name email } } }'));
    expect(status).toBe(400);
    expect(body.data).toBeUndefined();
    expect(body.errors).toHaveLength(1);
    const e = body.errors![0]!;
    // Per alias: the page (1) + 100 customers × (the customer 1 + the 4 systems holding name or email).
    expect(e.extensions).toEqual({ code: 'COST_LIMIT_EXCEEDED', cost: 1_000 * (1 + 100 * 5), limit: 20_000 });
    expect(e.message).toBe(
      'The operation costs 501,000; the limit is 20,000 (MERIDIAN_MAX_COST). Nothing was executed. Ask for fewer customers, aliases, fields or related records per request (smaller `first`).',
    );
    expect(since()).toBe(0);
  });

  it('refuses an alias bomb of cheap fields with ALIAS_LIMIT_EXCEEDED', async () => {
    const since = calls();
    const { status, body } = await post(aliases(500, () => 'customers(first: 0) { totalCount }'));
    expect(status).toBe(400);
    expect(body.errors).toEqual([expect.objectContaining({ extensions: { code: 'ALIAS_LIMIT_EXCEEDED', aliases: 500, limit: 200 } })]);
    expect(body.errors![0]!.message).toMatch(/has 500 aliases; the limit is 200 \(MERIDIAN_MAX_ALIASES\)/);
    expect(since()).toBe(0);
  });

  it('counts aliases in a fragment once per use', async () => {
    const fragment = `fragment F on Query { ${Array.from({ length: 10 }, (_, i) => `f${i}: ok`).join(' ')} }`;
    const { body } = await post(`{ ${Array.from({ length: 25 }, (_, i) => `a${i}: customers(first: 0) { totalCount } ...F`).join(' ')} } ${fragment}`);
    expect(body.errors![0]!.extensions).toEqual({ code: 'ALIAS_LIMIT_EXCEEDED', aliases: 25 + 25 * 10, limit: 200 });
  });

  it('refuses a mutation over a limit before it writes anything', async () => {
    const page = await post('{ customers(first: 2) { edges { node { id } } } }');
    const [a, b] = (page.body.data as { customers: { edges: { node: { id: string } }[] } }).customers.edges.map((e) => e.node.id);
    const customers = await app.services.identity.count();
    const since = calls();
    const { status, body } = await post(`mutation { ${Array.from({ length: 201 }, (_, i) => `m${i}: mergeCustomers(ids: ["${a}", "${b}"]) { id }`).join(' ')} }`);
    expect(status).toBe(400);
    expect(body.errors![0]!.extensions).toEqual({ code: 'ALIAS_LIMIT_EXCEEDED', aliases: 201, limit: 200 });
    expect(since()).toBe(0);
    // Still two customers: the second id answers as itself, not as a survivor.
    const after = await post(`{ customer(id: "${b}") { id } }`);
    expect((after.body.data as { customer: { id: string } }).customer.id).toBe(b);
    expect(await app.services.identity.count()).toBe(customers);
  });

  it('refuses an operation deeper than the limit with DEPTH_LIMIT_EXCEEDED', async () => {
    const since = calls();
    const { status, body } = await post('{ customers(first: 1) { edges { node { lineage { conflict { values { system } } } } } } }');
    expect(status).toBe(400);
    expect(body.errors).toEqual([expect.objectContaining({ extensions: { code: 'DEPTH_LIMIT_EXCEEDED', depth: 7, limit: 6 } })]);
    expect(since()).toBe(0);
  });

  it('refuses a costly page through variables, and answers the same document when the variables make it cheap', async () => {
    const query = 'query($n: Int, $t: Int) { customers(first: $n) { edges { node { id tickets(first: $t) { totalCount } invoices(first: $t) { totalCount } charges(first: $t) { totalCount } payments(first: $t) { totalCount } } } } }';
    const since = calls();
    const big = await post(query, { n: 100, t: 100 });
    expect(big.status).toBe(400);
    // 1 + 100 × (1 + tickets 1+100 + invoices 2+100 + charges 1+100 + payments 1+100)
    expect(big.body.errors![0]!.extensions).toEqual({ code: 'COST_LIMIT_EXCEEDED', cost: 1 + 100 * (1 + 101 + 102 + 101 + 101), limit: 20_000 });
    expect(since()).toBe(0);
    const small = await post(query, { n: 2, t: 5 });
    expect(small.status).toBe(200);
    expect(small.body.errors).toBeUndefined();
  });

  it('refuses a document over the byte limit with DOCUMENT_TOO_LARGE before parsing it', async () => {
    const since = calls();
    // Not even valid GraphQL: the size is checked before the parser sees it.
    const { status, body } = await post(`{ ok } # ${'x'.repeat(100_000)}`);
    expect(status).toBe(400);
    expect(body.errors).toEqual([expect.objectContaining({ extensions: { code: 'DOCUMENT_TOO_LARGE', bytes: 100_009, limit: 100_000 } })]);
    expect(since()).toBe(0);
  });

  it('refuses a document over the token limit with TOKEN_LIMIT_EXCEEDED before parsing it', async () => {
    const since = calls();
    const { status, body } = await post(`{ ${'ok '.repeat(20_000)}}`);
    expect(status).toBe(400);
    expect(body.errors).toEqual([expect.objectContaining({ extensions: { code: 'TOKEN_LIMIT_EXCEEDED', tokens: 20_001, limit: 20_000 } })]);
    expect(body.errors![0]!.message).toMatch(/has more than 20,000 tokens; the limit is 20,000 \(MERIDIAN_MAX_DOCUMENT_TOKENS\)/);
    expect(since()).toBe(0);
  });

  it('answers a full page of customers with every field and related list at its default page, within the default limits', async () => {
    const full = `{ customers(first: 100) { edges { node { id name email phone company domain website address { city } billingContact { email } industry employees lifecycle
      contractValue { amount } currency accountingStatus paymentStatus accountOwner { name } lineage { field } sources { system } conflicts { field }
      contacts { name } opportunities { totalCount } tickets { totalCount } satisfaction { score } subscriptions { totalCount } invoices { totalCount }
      charges { totalCount } contracts { totalCount } payments { totalCount } } } } }`;
    const r = await post(full);
    expect(r.body.errors?.filter((e) => e.extensions?.['code'] !== 'SOURCE_UNAVAILABLE') ?? []).toEqual([]);
    expect(r.status).toBe(200);
  });

  it('refuses over WebSocket with the same codes, and runs what is within the limits', async () => {
    const client = createClient({ url: app.url.replace('http', 'ws') + '/graphql', webSocketImpl: WebSocket, retryAttempts: 0, lazy: true, connectionParams: bearer('admin') });
    const run = (query: string) =>
      new Promise<{ data?: unknown; errors?: readonly { message: string; extensions?: Record<string, unknown> }[] }>((resolve) => {
        let last: unknown = null;
        client.subscribe(
          { query },
          {
            next: (v) => (last = v),
            error: (e) => resolve({ errors: e as never }),
            complete: () => resolve(last as never),
          },
        );
      });
    try {
      const since = calls();
      const refused = await run(aliases(1_000, () => 'customers(first: 100) { edges { node { id name email } } }'));
      expect(refused.errors?.[0]?.extensions).toEqual({ code: 'COST_LIMIT_EXCEEDED', cost: 501_000, limit: 20_000 });
      const deep = await run('{ customers(first: 1) { edges { node { lineage { conflict { values { system } } } } } } }');
      expect(deep.errors?.[0]?.extensions).toEqual({ code: 'DEPTH_LIMIT_EXCEEDED', depth: 7, limit: 6 });
      expect(since()).toBe(0);
      const ok = await run('{ customers(first: 1) { totalCount } }');
      expect(ok.errors).toBeUndefined();
      expect((ok.data as { customers: { totalCount: number } }).customers.totalCount).toBeGreaterThan(0);
    } finally {
      await client.dispose();
    }
  });
});

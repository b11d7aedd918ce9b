// The shell every emulator shares: routing, accounting, faults, control API, webhook retries.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Router, startEmulator, type Emulator, type FaultStyle } from '../../src/sandbox/kit/server.ts';
import { WebhookNotifier } from '../../src/sandbox/kit/notifier.ts';
import { FaultController } from '../../src/sandbox/kit/faults.ts';
import { normalizeSalesforceId, salesforceId, stripeId, withSalesforceChecksum } from '../../src/sandbox/kit/ids.ts';
import { createRng } from '../../src/sandbox/kit/rng.ts';

const style: FaultStyle = {
  rateLimited: (s) => ({ status: 429, headers: { 'retry-after': String(s) }, body: { error: 'slow down' } }),
  serverError: (status) => ({ status, body: { error: 'boom' } }),
  unavailable: () => ({ status: 503, body: { error: 'down' } }),
  notFound: (req) => ({ status: 404, body: { error: `no ${req.path}` } }),
};

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

async function receiver(answer: (n: number) => number): Promise<{ url: string; got: Received[]; close: () => Promise<void> }> {
  const got: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(answer(got.length)).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, got, close: () => new Promise((r) => server.close(() => r())) };
}

describe('emulator shell', () => {
  let emu: Emulator;
  const notifier = new WebhookNotifier({ sign: (body) => ({ 'x-sig': `len=${body.length}` }), retryDelaysMs: [20, 40] });

  beforeAll(async () => {
    const router = new Router()
      .add('GET', '/things/:id.json', 'things.show', (req) => ({ status: 200, body: { id: req.params['id'] } }))
      .add('POST', '/things', 'things.create', (req) => {
        req.meta.batchSize = (JSON.parse(req.rawBody.toString()) as unknown[]).length;
        return { status: 201, body: { ok: true } };
      })
      .add('GET', '/slow/:ms', 'slow.read', async (req) => {
        await new Promise((r) => setTimeout(r, Number(req.params['ms'])));
        return { status: 200, body: { at: performance.now() } };
      })
      .add('POST', '/slow', 'slow.write', () => ({ status: 200, body: { at: performance.now() } }))
      .add('GET', '/crash', 'crash', () => {
        throw new Error('emulator bug');
      });
    emu = await startEmulator({ name: 'test', router, faultStyle: style, notifier });
  });
  afterAll(() => emu.close());

  it('routes with parameters and records each call with its operation and batch size', async () => {
    const a = await fetch(`${emu.url}/things/42.json`);
    expect(await a.json()).toEqual({ id: '42' });
    await fetch(`${emu.url}/things`, { method: 'POST', body: '[1,2,3]' });
    const calls = emu.requests.list();
    expect(calls.map((c) => [c.method, c.operation, c.batchSize, c.status])).toEqual([
      ['GET', 'things.show', null, 200],
      ['POST', 'things.create', 3, 201],
    ]);
    expect(emu.requests.countsByOperation()).toEqual({ 'things.show': 1, 'things.create': 1 });
  });

  it("answers unknown paths and wrong methods in the system's style", async () => {
    const r = await fetch(`${emu.url}/nope`);
    expect(r.status).toBe(404);
    expect(await r.json()).toEqual({ error: 'no /nope' });
    const m = await fetch(`${emu.url}/things`, { method: 'DELETE' });
    expect(m.status).toBe(405);
    expect(m.headers.get('allow')).toBe('POST');
  });

  it('turns a handler exception into a 500 and keeps serving', async () => {
    const r = await fetch(`${emu.url}/crash`);
    expect(r.status).toBe(500);
    expect((await fetch(`${emu.url}/things/1.json`)).status).toBe(200);
  });

  it('injects faults set over the control API, and rejects bad settings naming them', async () => {
    const bad = await fetch(`${emu.url}/__sandbox/faults`, { method: 'PUT', body: JSON.stringify({ errorRate: 2, latncy: 5 }) });
    expect(bad.status).toBe(400);
    const msg = ((await bad.json()) as { error: string }).error;
    expect(msg).toMatch(/errorRate/);
    expect(msg).toMatch(/latncy/);

    await fetch(`${emu.url}/__sandbox/faults`, { method: 'PUT', body: JSON.stringify({ rateLimitRate: 1, retryAfterSeconds: 7 }) });
    const limited = await fetch(`${emu.url}/things/1.json`);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');

    await fetch(`${emu.url}/__sandbox/faults`, { method: 'PUT', body: JSON.stringify({ rateLimitRate: 0, outage: 'http' }) });
    expect((await fetch(`${emu.url}/things/1.json`)).status).toBe(503);

    await fetch(`${emu.url}/__sandbox/faults`, { method: 'PUT', body: JSON.stringify({ outage: 'reset' }) });
    await expect(fetch(`${emu.url}/things/1.json`)).rejects.toThrow();

    await fetch(`${emu.url}/__sandbox/faults`, { method: 'DELETE' });
    expect((await fetch(`${emu.url}/things/1.json`)).status).toBe(200);
    const faults = emu.requests.list().filter((r) => r.fault).map((r) => r.fault);
    expect(faults).toEqual(['rateLimited', 'outage', 'outage']);
  });

  it('holds requests during a hanging outage until the client gives up', async () => {
    emu.faults.set({ outage: 'hang' });
    await expect(fetch(`${emu.url}/things/1.json`, { signal: AbortSignal.timeout(200) })).rejects.toThrow();
    emu.faults.reset();
  });

  it('adds latency and jitter', async () => {
    emu.faults.set({ latencyMs: 80, jitterMs: 40 });
    const t0 = performance.now();
    await fetch(`${emu.url}/things/1.json`);
    const ms = performance.now() - t0;
    emu.faults.reset();
    expect(ms).toBeGreaterThanOrEqual(78);
  });

  it('answers a read when the latency has passed since it arrived, its own work inside it; applies a write once the latency has passed', async () => {
    emu.faults.set({ latencyMs: 60 });
    try {
      const t0 = performance.now();
      const read = await fetch(`${emu.url}/slow/40`);
      const readMs = performance.now() - t0;
      expect(read.status).toBe(200);
      // 40 ms of work inside 60 ms of latency: answered at 60, not at 100.
      expect(readMs).toBeGreaterThanOrEqual(60);
      expect(readMs).toBeLessThan(95);
      const t1 = performance.now();
      const write = (await (await fetch(`${emu.url}/slow`, { method: 'POST', body: '{}' })).json()) as { at: number };
      expect(write.at - t1).toBeGreaterThanOrEqual(59); // the handler ran after the latency
      // Never answered before its latency, whatever the timer's rounding: each recorded duration.
      for (let i = 0; i < 20; i++) await fetch(`${emu.url}/slow/0`);
      const reads = emu.requests.list().filter((r) => r.operation === 'slow.read');
      expect(reads.length).toBe(21);
      for (const r of reads) expect(r.durationMs).toBeGreaterThanOrEqual(60);
    } finally {
      emu.faults.reset();
    }
  });

  it('enforces a request budget per window with Retry-After', () => {
    const f = new FaultController();
    f.set({ rateLimit: { limit: 2, windowMs: 1000 }, retryAfterSeconds: 0 });
    const kinds = [0, 1, 2, 3].map(() => f.decide(10_000).kind);
    expect(kinds).toEqual(['pass', 'pass', 'rateLimited', 'rateLimited']);
    expect(f.decide(11_001).kind).toBe('pass');
  });

  it('delivers webhooks signed, retrying failed answers until accepted', async () => {
    const hook = await receiver((n) => (n < 3 ? 500 : 200));
    try {
      const put = await fetch(`${emu.url}/__sandbox/webhooks`, { method: 'PUT', body: JSON.stringify({ url: hook.url }) });
      expect(put.status).toBe(200);
      notifier.enqueue({ body: '{"a":1}', contentType: 'application/json', label: 'thing.updated' });
      await notifier.idle();
      expect(hook.got).toHaveLength(3);
      expect(hook.got.every((g) => g.body === '{"a":1}' && g.headers['x-sig'] === 'len=7')).toBe(true);
      const state = (await (await fetch(`${emu.url}/__sandbox/webhooks`)).json()) as { deliveries: { state: string; attempts: unknown[] }[] };
      expect(state.deliveries[0]).toMatchObject({ state: 'delivered' });
      expect(state.deliveries[0]!.attempts).toHaveLength(3);
    } finally {
      await hook.close();
    }
  });

  it('gives up after the last retry and marks the delivery failed', async () => {
    const hook = await receiver(() => 503);
    try {
      notifier.setTarget(hook.url);
      const d = notifier.enqueue({ body: 'x', contentType: 'text/plain', label: 'x' });
      await notifier.idle();
      expect(hook.got).toHaveLength(3); // first try + 2 retries
      expect(notifier.deliveries().find((x) => x.id === d!.id)?.state).toBe('failed');
    } finally {
      notifier.setTarget(null);
      await hook.close();
    }
  });

  it('refuses a webhook target that is not an http url', async () => {
    const r = await fetch(`${emu.url}/__sandbox/webhooks`, { method: 'PUT', body: JSON.stringify({ url: 'ftp://x' }) });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: string }).error).toMatch(/http/);
  });
});

describe('ids and randomness', () => {
  it('builds 18-char Salesforce ids whose checksum Salesforce would accept', () => {
    const id = salesforceId('001', 12345);
    expect(id).toMatch(/^001[a-zA-Z0-9]{15}$/);
    expect(withSalesforceChecksum(id.slice(0, 15))).toBe(id);
    expect(normalizeSalesforceId(id.slice(0, 15))).toBe(id);
    expect(normalizeSalesforceId(id.slice(0, 17) + (id.endsWith('A') ? 'B' : 'A'))).toBeNull();
    // The documented example from Salesforce's help: 15-char 001A0000006Vm9r → …IAC.
    expect(withSalesforceChecksum('001A0000006Vm9r')).toBe('001A0000006Vm9rIAC');
  });

  it('never repeats Stripe ids', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200_000; i++) seen.add(stripeId('cus', i, 3));
    expect(seen.size).toBe(200_000);
  });

  it('repeats the same sequence for the same seed', () => {
    const a = createRng(9), b = createRng(9), c = createRng(10);
    const seq = (r: ReturnType<typeof createRng>): number[] => Array.from({ length: 5 }, () => r.int(0, 1000));
    const sa = seq(a);
    expect(seq(b)).toEqual(sa);
    expect(seq(c)).not.toEqual(sa);
  });
});

describe('emulator shell under malformed paths', () => {
  it('answers a malformed percent-escape as an unknown path instead of crashing', async () => {
    const router = new Router().add('GET', '/things/:id.json', 'things.show', (req) => ({ status: 200, body: { id: req.params['id'] } }));
    const emu = await startEmulator({ name: 't2', router, faultStyle: style });
    try {
      const r = await fetch(`${emu.url}/things/%E0%A4%A.json`);
      expect(r.status).toBe(404);
      expect((await fetch(`${emu.url}/things/%C3%A9.json`)).status).toBe(200);
    } finally {
      await emu.close();
    }
  });
});

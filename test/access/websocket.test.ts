// GraphQL over WebSocket (graphql-transport-ws) with the `ws` client, as a script or a browser
// page would connect: a page from another origin is refused at the handshake (403); a
// connection without credentials in connection_init is closed 4401, with refused ones 4403;
// a good key is acknowledged and its operations run as its principal.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildCostModel, createGatewayLimits, createMemoryRateLimitStore } from '../../src/limits/index.ts';
import { limitsConfig } from '../../src/config/limits.ts';
import { readGatewayConfig } from '../../src/config/gateway.ts';
import { loadFieldSpec } from '../../src/mapping/spec.ts';
import WebSocket from 'ws';
import { readAccessSettings } from '../../src/config/access.ts';
import { hashApiKey } from '../../src/access/api-key.ts';
import { startTinyGateway, type TinyGateway } from './tiny-gateway.ts';

const KEY = 'websocket-agent-key-0123456';

interface Outcome {
  /** HTTP status of a refused handshake. */
  refused?: number;
  close?: { code: number; reason: string };
  messages: { type: string; id?: string; payload?: unknown }[];
}

/** Opens a socket, sends `init` (and a subscription once acknowledged), and reports what happened. */
function session(url: string, options: { origin?: string; host?: string; init?: Record<string, unknown> | null; query?: string }): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const outcome: Outcome = { messages: [] };
    const headers = { ...(options.origin ? { origin: options.origin } : {}), ...(options.host ? { host: options.host } : {}) };
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws', { headers });
    const timer = setTimeout(() => reject(new Error(`no outcome: ${JSON.stringify(outcome)}`)), 10_000);
    const done = (): void => {
      clearTimeout(timer);
      resolve(outcome);
    };
    ws.on('unexpected-response', (_req, res) => {
      outcome.refused = res.statusCode ?? 0;
      res.resume();
      done();
    });
    ws.on('error', () => undefined); // the outcome says what happened
    ws.on('open', () => ws.send(JSON.stringify(options.init === null ? { type: 'connection_init' } : { type: 'connection_init', payload: options.init })));
    ws.on('message', (data: Buffer) => {
      const m = JSON.parse(data.toString()) as Outcome['messages'][number];
      outcome.messages.push(m);
      if (m.type === 'connection_ack') ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: options.query ?? 'subscription { whoami { kind name role } }' } }));
      if (m.type === 'complete' || m.type === 'error') ws.close(1000);
    });
    ws.on('close', (code, reason) => {
      outcome.close = { code, reason: reason.toString() };
      done();
    });
  });
}

describe('WebSocket access', () => {
  let gw: TinyGateway;
  beforeAll(async () => {
    gw = await startTinyGateway({
      keys: null,
      access: { apiKeys: readAccessSettings({ MERIDIAN_API_KEYS: `${KEY}:agent` }).apiKeys },
      allowedOrigins: ['https://console.example.test'],
    });
  });
  afterAll(() => gw?.close());

  it('refuses a cross-origin browser connection at the handshake, with a good key too', async () => {
    const r = await session(gw.url, { origin: 'https://evil.example.test', init: { authorization: `Bearer ${KEY}` } });
    expect(r.refused).toBe(403);
    expect(r.messages).toEqual([]);
    expect(gw.executed).toBe(0);
  });

  it('closes a connection without credentials with 4401 and one with refused credentials with 4403', async () => {
    const none = await session(gw.url, { init: null });
    expect(none.close?.code).toBe(4401);
    expect(none.close?.reason).toMatch(/connection_init/);
    expect(none.messages).toEqual([]);
    const wrong = await session(gw.url, { init: { authorization: 'Bearer not-a-key-anyone-made-0000' } });
    expect(wrong.close).toEqual({ code: 4403, reason: 'API key not recognised (unknown or revoked)' });
    expect(wrong.messages).toEqual([]);
    expect(gw.executed).toBe(0);
  });

  it('acknowledges a good key without Origin (a script), from its own origin and from an allowed one, and runs as its principal', async () => {
    for (const origin of [undefined, gw.url, 'https://console.example.test']) {
      const r = await session(gw.url, { ...(origin ? { origin } : {}), init: { authorization: `Bearer ${KEY}` } });
      expect(r.refused, String(origin)).toBeUndefined();
      expect(r.messages.map((m) => m.type), String(origin)).toEqual(['connection_ack', 'next', 'complete']);
      expect(r.messages[1]?.payload).toEqual({ data: { whoami: { kind: 'api-key', name: `env-key-${hashApiKey(KEY).slice(0, 12)}`, role: 'agent' } } });
      expect(r.close?.code).toBe(1000);
    }
  });

  it('acknowledges its own page under another loopback name on its port, and refuses other ports, schemes and gateways elsewhere', async () => {
    const port = new URL(gw.url).port;
    const logged = gw.log.length;
    const ok = async (origin: string, host?: string): Promise<boolean> => {
      const r = await session(gw.url, { origin, ...(host ? { host } : {}), init: { authorization: `Bearer ${KEY}` } });
      if (r.refused !== undefined) return false;
      expect(r.messages.map((m) => m.type), origin).toEqual(['connection_ack', 'next', 'complete']);
      return true;
    };
    // The README's explorer is at http://localhost:4000; the banner says 127.0.0.1.
    for (const origin of [`http://localhost:${port}`, `http://127.0.0.1:${port}`, `http://[::1]:${port}`]) {
      expect(await ok(origin), origin).toBe(true);
      expect(await ok(origin, `localhost:${port}`), `${origin} to localhost`).toBe(true);
    }
    for (const origin of [`http://localhost:${Number(port) + 1}`, 'http://localhost', `https://localhost:${port}`, `http://localhost.example.test:${port}`]) {
      expect(await ok(origin), origin).toBe(false);
    }
    // A page on the browser's own localhost opening a socket to a gateway on another machine:
    // that port on the browser's machine is not this gateway.
    expect(await ok(`http://localhost:${port}`, `gateway.example.test:${port}`)).toBe(false);
    expect(gw.log.slice(logged).filter((l) => l.includes('websocket refused'))).toHaveLength(5);
  });

  it('sends a refused operation its code and words, without the HTTP status Apollo reads (extensions.http)', async () => {
    const r = await session(gw.url, { init: { authorization: `Bearer ${KEY}` }, query: '{ __schema { queryType { name } } }' });
    expect(r.messages.map((m) => m.type)).toEqual(['connection_ack', 'error']);
    expect(r.messages[1]?.payload).toEqual([{ message: 'Introspection is for admins on this gateway (MERIDIAN_INTROSPECTION=all opens it to every role)', extensions: { code: 'FORBIDDEN' } }]);
  });

  it('refuses an operation whose checks fail (the rate limits\' store gone) with an internal error and one log line, keeping the socket', async () => {
    const base = createGatewayLimits({ config: limitsConfig(readGatewayConfig({}).env), model: buildCostModel(loadFieldSpec(undefined), []), store: createMemoryRateLimitStore() });
    const broken = await startTinyGateway({
      keys: null,
      access: { apiKeys: readAccessSettings({ MERIDIAN_API_KEYS: `${KEY}:agent` }).apiKeys },
      limits: { ...base, webSocketOperation: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379')) },
    });
    const consoleError = vi.spyOn(console, 'error');
    try {
      const r = await session(broken.url, { init: { authorization: `Bearer ${KEY}` } });
      // Before: graphql-ws printed the stack and closed the socket 4500 with the error's message.
      expect(r.messages.map((m) => m.type)).toEqual(['connection_ack', 'error']);
      expect(r.messages[1]?.payload).toEqual([{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }]);
      expect(r.close?.code).toBe(1000); // closed by the client, as after any error
      expect(consoleError).not.toHaveBeenCalled();
      expect(broken.log.filter((l) => l.includes('websocket operation not checked'))).toEqual([
        'error websocket operation not checked {"error":"Error: connect ECONNREFUSED 127.0.0.1:6379"}',
      ]);
    } finally {
      consoleError.mockRestore();
      await broken.close();
    }
  });

  it('closes a socket that sends a message larger than a request body may be (1009), and keeps answering others', async () => {
    // graphql-ws would write the socket's error with its stack to the console.
    const consoleError = vi.spyOn(console, 'error');
    const closed = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`${gw.url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
      const timer = setTimeout(() => reject(new Error('not closed')), 10_000);
      ws.on('error', () => undefined);
      // Before, accepted up to the ws default of 100 MiB: buffered and parsed whole.
      ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${KEY}`, pad: 'x'.repeat(2_000_000) } })));
      ws.on('close', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
    expect(closed).toBe(1009);
    expect(consoleError).not.toHaveBeenCalled();
    consoleError.mockRestore();
    const r = await session(gw.url, { init: { authorization: `Bearer ${KEY}` } });
    expect(r.messages.map((m) => m.type)).toEqual(['connection_ack', 'next', 'complete']);
  });
});

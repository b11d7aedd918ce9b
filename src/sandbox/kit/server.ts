// The HTTP shell every emulator shares: body reading, routing, request accounting, fault
// injection and the control API under /__sandbox/. The emulators only write handlers.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { ZodError } from 'zod';
import { FaultController } from './faults.ts';
import { until } from './until.ts';
import { RequestLog } from './requests.ts';
import type { WebhookNotifier } from './notifier.ts';

export interface EmulatorRequest {
  method: string;
  /** Path without the query string, percent-decoding left to the handler. */
  path: string;
  url: URL;
  headers: http.IncomingHttpHeaders;
  rawBody: Buffer;
  /** Route parameters captured by the matching route. */
  params: Record<string, string>;
  /** Set by handlers for the request log. */
  meta: { operation: string; batchSize: number | null };
}

export interface EmulatorResponse {
  status: number;
  headers?: Record<string, string>;
  /** Objects are sent as JSON; strings and Buffers as they are. */
  body?: unknown;
}

export type Handler = (req: EmulatorRequest) => EmulatorResponse | Promise<EmulatorResponse>;

/** How one system words its rate-limit, server-error and outage answers. */
export interface FaultStyle {
  rateLimited(retryAfterSeconds: number): EmulatorResponse;
  serverError(status: number): EmulatorResponse;
  unavailable(): EmulatorResponse;
  /** The system's answer to an unknown path. */
  notFound(req: EmulatorRequest): EmulatorResponse;
}

interface Route {
  method: string;
  pattern: RegExp;
  keys: string[];
  operation: string;
  handler: Handler;
}

/**
 * Tiny router: `:name` captures one path segment (may contain dots only when the pattern
 * does not follow it with a literal suffix like `.json`).
 */
export class Router {
  readonly #routes: Route[] = [];

  add(method: string, path: string, operation: string, handler: Handler): this {
    const keys: string[] = [];
    const source = path
      .split(/(:[a-zA-Z_]+)/)
      .map((part) => {
        if (part.startsWith(':')) {
          keys.push(part.slice(1));
          return '([^/]+?)';
        }
        return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      })
      .join('');
    this.#routes.push({ method, pattern: new RegExp(`^${source}$`), keys, operation, handler });
    return this;
  }

  match(method: string, path: string): { route: Route; params: Record<string, string> } | { allowed: string[] } | null {
    const allowed: string[] = [];
    for (const route of this.#routes) {
      const m = route.pattern.exec(path);
      if (!m) continue;
      if (route.method !== method) {
        allowed.push(route.method);
        continue;
      }
      const params: Record<string, string> = {};
      try {
        route.keys.forEach((k, i) => {
          params[k] = decodeURIComponent(m[i + 1] ?? '');
        });
      } catch {
        // A malformed percent-escape (e.g. %E0%A4%A) names no record: answer as an unknown path.
        return null;
      }
      return { route, params };
    }
    return allowed.length > 0 ? { allowed } : null;
  }
}

export interface EmulatorOptions {
  name: string;
  host?: string;
  port?: number;
  router: Router;
  faultStyle: FaultStyle;
  notifier?: WebhookNotifier;
  /** Seed of the fault RNG, so an error rate gives the same sequence every run. */
  faultSeed?: number;
  /** Extra state for GET /__sandbox/state (counts of records). */
  describeState?: () => Record<string, unknown>;
}

export interface Emulator {
  readonly name: string;
  readonly url: string;
  readonly port: number;
  readonly faults: FaultController;
  readonly requests: RequestLog;
  readonly notifier: WebhookNotifier | undefined;
  close(): Promise<void>;
}

const CONTROL_PREFIX = '/__sandbox/';

interface Encoded {
  status: number;
  headers: Record<string, string>;
  payload: Buffer | string | undefined;
}

function encode(out: EmulatorResponse): Encoded {
  const headers: Record<string, string> = { ...out.headers };
  let payload: Buffer | string | undefined;
  if (out.body === undefined || out.body === null) {
    payload = undefined;
  } else if (typeof out.body === 'string' || Buffer.isBuffer(out.body)) {
    payload = out.body;
  } else {
    payload = JSON.stringify(out.body);
    headers['content-type'] ??= 'application/json;charset=UTF-8';
  }
  if (payload !== undefined) headers['content-length'] = String(Buffer.byteLength(payload));
  return { status: out.status, headers, payload };
}

function write(res: http.ServerResponse, answer: Encoded): void {
  res.writeHead(answer.status, answer.headers);
  res.end(answer.payload);
}

function send(res: http.ServerResponse, out: EmulatorResponse): void {
  write(res, encode(out));
}

function readBody(req: http.IncomingMessage, limit = 20 * 1024 * 1024): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function controlAnswer(
  req: EmulatorRequest,
  opts: EmulatorOptions,
  faults: FaultController,
  requests: RequestLog,
): EmulatorResponse {
  const what = req.path.slice(CONTROL_PREFIX.length);
  const bad = (message: string): EmulatorResponse => ({ status: 400, body: { error: message } });
  const parseJson = (): unknown => {
    try {
      return JSON.parse(req.rawBody.toString('utf8') || '{}');
    } catch {
      throw new SyntaxError('body is not valid JSON');
    }
  };
  try {
    switch (`${req.method} ${what}`) {
      case 'GET health':
        return { status: 200, body: { ok: true, name: opts.name } };
      case 'GET faults':
        return { status: 200, body: faults.config };
      case 'PUT faults':
      case 'PATCH faults':
        return { status: 200, body: faults.set(parseJson() as Record<string, unknown>) };
      case 'DELETE faults':
        return { status: 200, body: faults.reset() };
      case 'GET requests': {
        const since = req.url.searchParams.get('since');
        const list = requests.list(since ? { sinceSeq: Number(since) } : {});
        return { status: 200, body: { lastSeq: requests.lastSeq, requests: list } };
      }
      case 'DELETE requests':
        requests.clear();
        return { status: 204 };
      case 'GET webhooks':
        return {
          status: 200,
          body: { url: opts.notifier?.target ?? null, pending: opts.notifier?.pending ?? 0, deliveries: opts.notifier?.deliveries() ?? [] },
        };
      case 'PUT webhooks': {
        if (!opts.notifier) return bad(`${opts.name} sends no webhooks`);
        const body = parseJson();
        if (typeof body !== 'object' || body === null || !('url' in body) || (typeof body.url !== 'string' && body.url !== null)) {
          return bad('body must be {"url": "<http url>" | null}');
        }
        opts.notifier.setTarget(body.url);
        return { status: 200, body: { url: opts.notifier.target } };
      }
      case 'GET state':
        return { status: 200, body: opts.describeState?.() ?? {} };
      default:
        return { status: 404, body: { error: `no control route ${req.method} ${req.path}` } };
    }
  } catch (e) {
    if (e instanceof ZodError) {
      return bad(e.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; '));
    }
    return bad(e instanceof Error ? e.message : String(e));
  }
}

/** Starts an emulator on host:port (port 0 = ephemeral) and resolves once it listens. */
export async function startEmulator(opts: EmulatorOptions): Promise<Emulator> {
  const faults = new FaultController(opts.faultSeed ?? 1);
  const requests = new RequestLog();
  const sockets = new Set<Socket>();
  const hung = new Set<http.ServerResponse>();

  const server = http.createServer((req, res) => {
    void (async () => {
      const started = performance.now();
      const url = new URL(req.url ?? '/', 'http://emulator.local');
      const er: EmulatorRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        url,
        headers: req.headers,
        rawBody: Buffer.alloc(0),
        params: {},
        meta: { operation: 'unknown', batchSize: null },
      };
      try {
        er.rawBody = await readBody(req);
      } catch {
        send(res, { status: 413, body: { error: 'request body too large' } });
        return;
      }

      if (er.path.startsWith(CONTROL_PREFIX)) {
        send(res, controlAnswer(er, opts, faults, requests));
        return;
      }

      const seq = requests.nextSeq();
      const record = (status: number, fault: 'error' | 'rateLimited' | 'outage' | null): void =>
        requests.add({
          seq,
          at: new Date().toISOString(),
          method: er.method,
          path: er.path,
          query: url.search.slice(1),
          operation: er.meta.operation,
          batchSize: er.meta.batchSize,
          status,
          fault,
          durationMs: Math.round((performance.now() - started) * 100) / 100,
        });

      const matched = opts.router.match(er.method, er.path);
      if (matched && 'route' in matched) {
        er.params = matched.params;
        er.meta.operation = matched.route.operation;
      }

      const decision = faults.decide();
      if (decision.kind === 'outage') {
        record(decision.mode === 'http' ? 503 : 0, 'outage');
        if (decision.mode === 'reset') {
          req.socket.destroy();
        } else if (decision.mode === 'hang') {
          hung.add(res);
          res.on('close', () => hung.delete(res));
        } else {
          send(res, opts.faultStyle.unavailable());
        }
        return;
      }
      // The latency is the time the system takes to answer, counted from the request's arrival.
      // A read's own work is done inside it (answered when it has passed, not after it plus the
      // work); a write is applied once it has passed, as the delay before a slow system acts.
      const deadline = started + decision.delayMs;
      const read = er.method === 'GET' || er.method === 'HEAD';
      if (decision.kind !== 'pass' || !read) await until(deadline);
      if (decision.kind === 'rateLimited') {
        const out = opts.faultStyle.rateLimited(decision.retryAfterSeconds);
        record(out.status, 'rateLimited');
        send(res, out);
        return;
      }
      if (decision.kind === 'error') {
        const out = opts.faultStyle.serverError(decision.status);
        record(out.status, 'error');
        send(res, out);
        return;
      }

      let out: EmulatorResponse;
      try {
        if (!matched) {
          out = opts.faultStyle.notFound(er);
        } else if ('allowed' in matched) {
          out = { ...opts.faultStyle.notFound(er), status: 405, headers: { allow: matched.allowed.join(', ') } };
        } else {
          out = await matched.route.handler(er);
        }
      } catch (e) {
        // An emulator bug must never take the emulator down: answer like the system's 500 and log.
        console.error(`[sandbox:${opts.name}] ${er.method} ${er.path} failed:`, e);
        out = opts.faultStyle.serverError(500);
      }
      const answer = encode(out); // a read's encoding is its work too: inside the latency
      if (read) await until(deadline);
      record(out.status, null);
      if (!res.destroyed) write(res, answer);
    })();
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = opts.host ?? '127.0.0.1';
  return {
    name: opts.name,
    port: address.port,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`,
    faults,
    requests,
    notifier: opts.notifier,
    close: async () => {
      opts.notifier?.close();
      for (const r of hung) r.destroy();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
  };
}

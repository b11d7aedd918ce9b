// A Postgres wire-protocol proxy (protocol 3.0) that counts the calls a client makes and
// injects faults, so the ERP database can be measured and broken like the HTTP emulators.
// https://www.postgresql.org/docs/current/protocol-message-formats.html
//
// A "call" is one round trip: a simple Query ('Q'), or an extended-protocol batch ending in
// Sync ('S'). Faults are decided per call: latency delays the answer (a read is passed on at
// once and its answer held until the latency has passed; anything else is passed on then), an
// error or a rate limit is answered by the proxy itself with ErrorResponse + ReadyForQuery (the
// server never sees the call), an outage refuses, drops or stalls connections.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { FaultController } from '../kit/faults.ts';
import { RequestLog } from '../kit/requests.ts';
import { until } from '../kit/until.ts';

export interface PgProxyOptions {
  target: { host: string; port: number };
  host?: string;
  port?: number;
  faultSeed?: number;
}

export interface PgProxy {
  readonly host: string;
  readonly port: number;
  readonly faults: FaultController;
  readonly requests: RequestLog;
  close(): Promise<void>;
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;

/** ErrorResponse (severity, SQLSTATE, message) followed by ReadyForQuery. */
function errorThenReady(code: string, message: string, txStatus: string): Buffer {
  const fields = Buffer.concat([
    Buffer.from(`SERROR\0VERROR\0C${code}\0M${message}\0`, 'utf8'),
    Buffer.from([0]),
  ]);
  const err = Buffer.alloc(5 + fields.length);
  err.write('E', 0, 'ascii');
  err.writeInt32BE(4 + fields.length, 1);
  fields.copy(err, 5);
  const ready = Buffer.from([0x5a, 0, 0, 0, 5, txStatus.charCodeAt(0)]);
  return Buffer.concat([err, ready]);
}

function fatal(code: string, message: string): Buffer {
  const fields = Buffer.from(`SFATAL\0VFATAL\0C${code}\0M${message}\0\0`, 'utf8');
  const err = Buffer.alloc(5 + fields.length);
  err.write('E', 0, 'ascii');
  err.writeInt32BE(4 + fields.length, 1);
  fields.copy(err, 5);
  return err;
}

function cstring(buf: Buffer, offset: number): [string, number] {
  const end = buf.indexOf(0, offset);
  if (end < 0) return ['', buf.length];
  return [buf.toString('utf8', offset, end), end + 1];
}

/** Counts the elements of a text-format array parameter ('{a,"b,c",d}' → 3). */
function arrayLength(text: string): number | null {
  if (!text.startsWith('{') || !text.endsWith('}')) return null;
  const body = text.slice(1, -1);
  if (body.length === 0) return 0;
  let n = 1;
  let quoted = false;
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch === '\\') i++;
    else if (ch === '"') quoted = !quoted;
    else if (ch === ',' && !quoted) n++;
  }
  return n;
}

function firstArrayParamLength(bind: Buffer): number | null {
  // Bind: portal\0 statement\0 int16 nFormats, int16[nFormats], int16 nParams, (int32 len, bytes)[]
  let [, off] = cstring(bind, 0);
  [, off] = cstring(bind, off);
  const nFormats = bind.readInt16BE(off);
  off += 2 + nFormats * 2;
  const nParams = bind.readInt16BE(off);
  off += 2;
  for (let i = 0; i < nParams; i++) {
    const len = bind.readInt32BE(off);
    off += 4;
    if (len < 0) continue;
    const n = arrayLength(bind.toString('utf8', off, off + len));
    if (n !== null) return n;
    off += len;
  }
  return null;
}

function operationOf(sql: string): string {
  const m = /^\s*([a-zA-Z]+)/.exec(sql);
  return m ? m[1]!.toLowerCase() : 'unknown';
}

export async function startPgProxy(options: PgProxyOptions): Promise<PgProxy> {
  const faults = new FaultController(options.faultSeed ?? 7);
  const requests = new RequestLog();
  const sockets = new Set<net.Socket>();

  const server = net.createServer((client) => {
    client.setNoDelay(true);
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);

    const outage = faults.config.outage;
    if (outage === 'reset') {
      client.destroy();
      return;
    }
    if (outage === 'hang') return; // accepted, never answered

    let upstream: net.Socket | null = null;
    let startupDone = false;
    let inbound = Buffer.alloc(0);
    let pending: Buffer[] = [];
    let pendingSql = '';
    let pendingBatch: number | null = null;
    let txStatus = 'I';
    const statements = new Map<string, string>();
    let queue: Promise<void> = Promise.resolve();
    let outbound = Buffer.alloc(0);

    const openUpstream = (): net.Socket => {
      const up = net.connect(options.target.port, options.target.host);
      // Small protocol messages must not wait for ACKs (Nagle + delayed ACK adds ~40 ms).
      up.setNoDelay(true);
      sockets.add(up);
      up.on('close', () => {
        sockets.delete(up);
        client.destroy();
      });
      up.on('error', () => client.destroy());
      up.on('data', (chunk: Buffer) => {
        outbound = Buffer.concat([outbound, chunk]);
        for (;;) {
          if (outbound.length < 5) break;
          const len = outbound.readInt32BE(1);
          if (outbound.length < 1 + len) break;
          const message = outbound.subarray(0, 1 + len);
          outbound = outbound.subarray(1 + len);
          // ReadyForQuery ends a call's answer, and says the transaction status for injected errors.
          const ready = message[0] === 0x5a;
          if (ready) txStatus = String.fromCharCode(message[5]!);
          if (held.length === 0) {
            client.write(message); // start-up, or nothing held: straight through
            continue;
          }
          // The first call still answering owns it; past the last one (a notice), it follows the last.
          const owner = held.find((h) => !h.complete) ?? held[held.length - 1]!;
          owner.parts.push(message);
          if (ready) owner.complete = true;
        }
        release();
      });
      client.on('close', () => up.destroy());
      return up;
    };

    /**
     * Answers held until their call's moment, in the order the calls went upstream: a read is
     * passed on at once and answered when its latency has passed since it arrived (its time in
     * Postgres inside the latency, as the HTTP emulators' reads: kit/server.ts).
     */
    const held: { at: number; parts: Buffer[]; complete: boolean; released?: () => void }[] = [];
    const release = (): void => {
      while (held.length > 0 && held[0]!.complete && performance.now() >= held[0]!.at) {
        const h = held.shift()!;
        if (h.parts.length > 0) client.write(Buffer.concat(h.parts));
        h.released?.();
      }
    };
    /** The proxy's own answer (an injected error), after any answer still held. */
    const answer = (bytes: Buffer): void => {
      if (held.length === 0) client.write(bytes);
      else held.push({ at: 0, parts: [bytes], complete: true });
    };

    const dispatchCall = (messages: Buffer[], sql: string, batchSize: number | null): void => {
      const started = performance.now();
      const seq = requests.nextSeq();
      const decision = faults.decide();
      const log = (status: number, fault: 'error' | 'rateLimited' | 'outage' | null): void =>
        requests.add({
          seq,
          at: new Date().toISOString(),
          method: 'SQL',
          path: sql.replace(/\s+/g, ' ').trim().slice(0, 500),
          query: '',
          operation: operationOf(sql),
          batchSize,
          status,
          fault,
          durationMs: Math.round((performance.now() - started) * 100) / 100,
        });
      queue = queue.then(async () => {
        if (decision.kind === 'outage') {
          log(0, 'outage');
          if (decision.mode === 'reset') client.destroy();
          else if (decision.mode === 'http') {
            client.end(fatal('57P03', 'the database system is not accepting connections (sandbox outage)'));
          }
          return; // 'hang': never answered
        }
        // The latency counts from the statement's arrival, never less (kit/until.ts). A read goes
        // upstream at once and its answer is held until then; anything else waits it first.
        const at = started + decision.delayMs;
        const read = decision.kind === 'pass' && operationOf(sql) === 'select';
        if (!read && decision.delayMs > 0) await until(at);
        const failedTx = txStatus === 'I' ? 'I' : 'E';
        if (decision.kind === 'rateLimited') {
          log(53300, 'rateLimited');
          answer(errorThenReady('53300', `sandbox: too many requests, retry after ${decision.retryAfterSeconds} s`, failedTx));
          return;
        }
        if (decision.kind === 'error') {
          log(58000, 'error');
          answer(errorThenReady('58000', 'sandbox: injected ERP failure', failedTx));
          return;
        }
        if (read) {
          held.push({ at, parts: [], complete: false, released: () => log(200, null) });
          void until(at).then(release);
        } else {
          log(200, null);
          held.push({ at: 0, parts: [], complete: false });
        }
        upstream?.write(Buffer.concat(messages));
      });
    };

    client.on('data', (chunk: Buffer) => {
      inbound = Buffer.concat([inbound, chunk]);
      for (;;) {
        if (!startupDone) {
          if (inbound.length < 8) return;
          const len = inbound.readInt32BE(0);
          if (inbound.length < len) return;
          const code = inbound.readInt32BE(4);
          const msg = inbound.subarray(0, len);
          inbound = inbound.subarray(len);
          if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
            client.write('N'); // no TLS on loopback
            continue;
          }
          if (code === CANCEL_REQUEST) {
            const up = net.connect(options.target.port, options.target.host, () => up.end(msg));
            up.on('error', () => undefined);
            client.end();
            return;
          }
          if (faults.config.outage === 'http') {
            client.end(fatal('57P03', 'the database system is not accepting connections (sandbox outage)'));
            return;
          }
          startupDone = true;
          upstream = openUpstream();
          upstream.write(msg);
          continue;
        }
        if (inbound.length < 5) return;
        const type = String.fromCharCode(inbound[0]!);
        const len = inbound.readInt32BE(1);
        if (inbound.length < 1 + len) return;
        const msg = Buffer.from(inbound.subarray(0, 1 + len));
        const body = msg.subarray(5);
        inbound = inbound.subarray(1 + len);
        switch (type) {
          case 'Q': {
            const [sql] = cstring(body, 0);
            dispatchCall([msg], sql, null);
            break;
          }
          case 'P': {
            const [name, off] = cstring(body, 0);
            const [sql] = cstring(body, off);
            if (name) statements.set(name, sql);
            pendingSql ||= sql;
            pending.push(msg);
            break;
          }
          case 'B': {
            const [, off] = cstring(body, 0);
            const [stmt] = cstring(body, off);
            if (!pendingSql && stmt) pendingSql = statements.get(stmt) ?? '';
            try {
              pendingBatch ??= firstArrayParamLength(body);
            } catch {
              // A Bind the proxy cannot read is still forwarded untouched.
            }
            pending.push(msg);
            break;
          }
          case 'S': {
            pending.push(msg);
            dispatchCall(pending, pendingSql, pendingBatch);
            pending = [];
            pendingSql = '';
            pendingBatch = null;
            break;
          }
          case 'X':
            queue = queue.then(() => {
              upstream?.end(msg);
            });
            break;
          case 'p': // password / SASL messages during authentication
            upstream?.write(msg);
            break;
          default:
            pending.push(msg);
            if (type === 'H') {
              // Flush: the client wants answers without a Sync; forward what is buffered.
              const out = pending;
              pending = [];
              queue = queue.then(() => {
                upstream?.write(Buffer.concat(out));
              });
            }
        }
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    host: options.host ?? '127.0.0.1',
    port: address.port,
    faults,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}

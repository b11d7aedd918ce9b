// One HTTP request carried by Node's own http client, its answer read whole: what the SDKs'
// transports (node-zendesk's transportConfig, jsforce's Transport) are given instead of their
// default carrier, node-fetch v2, whose Request, Headers, body streams and legacy URL parsing
// cost more per call than the rest of a read on a cache miss (docs/gateway.md). The SDK still
// builds every request (URL, authorization, headers, body) and reads every answer.
import http from 'node:http';
import https from 'node:https';
import { brotliDecompress, gunzip, inflate } from 'node:zlib';
import { promisify } from 'node:util';

/** A request as the SDK prepared it. */
export interface PreparedRequest {
  method?: string | undefined;
  headers?: Readonly<Record<string, string>> | undefined;
  body?: string | Buffer | undefined;
}

/** The answer, whole (decoded when it came compressed). */
export interface WholeAnswer {
  status: number;
  statusText: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

const DECODERS: Readonly<Record<string, (b: Buffer, o: { maxOutputLength: number }) => Promise<Buffer>>> = {
  gzip: promisify(gunzip),
  'x-gzip': promisify(gunzip),
  deflate: promisify(inflate),
  br: promisify(brotliDecompress),
};

/**
 * The most an answer may hold, as sent and once decoded. A page of a few hundred records is a
 * few hundred KB; one far larger is a broken or hostile server, and is refused before it fills memory.
 */
export const MAX_ANSWER_BYTES = 32 * 1024 * 1024;

const tooLarge = (): Error => new Error(`answer larger than ${MAX_ANSWER_BYTES} bytes`);

/**
 * Sends one request as prepared; resolves with the whole answer, whatever its status; rejects on
 * a socket error, an answer over MAX_ANSWER_BYTES or one in an encoding it cannot read. Asks
 * for `gzip, deflate` as node-fetch did (a header the SDK set wins). Follows no redirect.
 */
export function sendWhole(uri: string, prepared: PreparedRequest): Promise<WholeAnswer> {
  return new Promise((resolve, reject) => {
    const url = new URL(uri);
    const client = url.protocol === 'https:' ? https : http;
    const headers = { 'accept-encoding': 'gzip, deflate', ...prepared.headers };
    const req = client.request(url, { method: prepared.method ?? 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= MAX_ANSWER_BYTES) chunks.push(c);
        else {
          reject(tooLarge());
          res.destroy();
        }
      });
      res.on('error', reject);
      res.on('end', () => {
        const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
        const answer = { status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', headers: res.headers };
        const encoding = String(res.headers['content-encoding'] ?? '').trim().toLowerCase();
        if (encoding === '' || encoding === 'identity' || body.length === 0) return resolve({ ...answer, body });
        const decode = DECODERS[encoding];
        if (decode === undefined) return reject(new Error(`answer in an encoding this client cannot read (content-encoding: ${encoding})`));
        decode(body, { maxOutputLength: MAX_ANSWER_BYTES }).then(
          (b) => resolve({ ...answer, body: b }),
          (e: unknown) => reject(e instanceof RangeError ? tooLarge() : e instanceof Error ? e : new Error(String(e))),
        );
      });
    });
    req.on('error', reject);
    req.end(prepared.body);
  });
}

/** A header's value as one string (a repeated header joined with ", ", as fetch's Headers.get does). */
export const headerValue = (v: string | string[] | undefined): string | null => (v === undefined ? null : Array.isArray(v) ? v.join(', ') : v);

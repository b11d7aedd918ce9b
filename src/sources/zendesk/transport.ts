// node-zendesk's transport (its documented `transportConfig`: a request function and an adapter
// for what it returns) on Node's own http client. node-zendesk still builds every request (URL,
// authorization, headers, body) and reads every answer; this only carries them. Its default
// carrier is cross-fetch, i.e. node-fetch v2, whose Request, Headers, body streams and legacy URL
// parsing cost more per call than the rest of a read (docs/sources/zendesk.md).
import http from 'node:http';
import https from 'node:https';
import { brotliDecompress, gunzip, inflate } from 'node:zlib';
import { promisify } from 'node:util';

/** What node-zendesk hands the transport: its prepared request (other client options ride along). */
interface PreparedRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** What the transport resolves with: the answer, whole. */
interface Answer {
  status: number;
  statusText: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** The shape node-zendesk reads (as its fetch adapter gives it). */
export interface AdaptedAnswer {
  status: number;
  statusText: string;
  headers: { get(name: string): string | null };
  json(): Promise<unknown>;
}

const DECODERS: Readonly<Record<string, (b: Buffer, o: { maxOutputLength: number }) => Promise<Buffer>>> = {
  gzip: promisify(gunzip),
  'x-gzip': promisify(gunzip),
  deflate: promisify(inflate),
  br: promisify(brotliDecompress),
};

/**
 * The most an answer may hold, as sent and once decoded. A Zendesk page of 100 records is a few
 * hundred KB; one far larger is a broken or hostile server, and is refused before it fills memory.
 */
export const MAX_ANSWER_BYTES = 32 * 1024 * 1024;

const tooLarge = (): Error => new Error(`answer larger than ${MAX_ANSWER_BYTES} bytes`);

/** Sends one request as node-zendesk prepared it; resolves with the whole answer, rejects on a socket error. */
function send(uri: string, prepared: PreparedRequest): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const url = new URL(uri);
    const client = url.protocol === 'https:' ? https : http;
    // As node-fetch asked: a compressed answer where the server offers one (decoded below).
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

function adapt(answer: Answer): AdaptedAnswer {
  return {
    status: answer.status,
    statusText: answer.statusText,
    headers: {
      get: (name) => {
        const v = answer.headers[name.toLowerCase()];
        return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
      },
    },
    json: () => new Promise((resolve) => resolve(JSON.parse(answer.body.toString('utf8')) as unknown)),
  };
}

/** `transportConfig` for `zendesk.createClient`. */
export const nodeHttpTransport = { transportFn: send, responseAdapter: adapt };

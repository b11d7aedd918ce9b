// jsforce set-up. https://jsforce.github.io/document/#connection
import { PassThrough } from 'node:stream';
import type { Connection, HttpRequest, HttpRequestOptions, HttpResponse, StreamPromise } from 'jsforce';
import { headerValue, sendWhole } from '../http-transport.ts';

/** Proxy settings jsforce's own transport reads from the environment (its request defaults). */
const PROXY_VARIABLES = ['https_proxy', 'http_proxy', 'HTTPS_PROXY', 'HTTP_PROXY'] as const;

/**
 * jsforce's requests carried by Node's own http client (../http-transport.ts), as node-zendesk's
 * are: jsforce still builds every request (instance URL, API version, `Authorization`, call
 * options, JSON body), refreshes an expired session, and reads every answer (errors, the body by
 * its content type); only the carrier changes. Its default carrier is node-fetch v2 inside a
 * chain of streams, which on a cache miss put Salesforce's request on the wire last of the four
 * systems and its answer last off it (docs/sources/salesforce.md). A request this carrier is not
 * for (a form body, a proxy in the options, or any of a connection made while a proxy is set in
 * the environment) goes through jsforce's own transport as before.
 *
 * Neither carrier retries. jsforce's own retries 5xx answers and connection resets up to 5
 * times with backoff (0.5 s, 1 s, 2 s …) by default; inside the gateway's per-request deadline
 * that turns one failed query into a burst of calls and a "no answer" timeout that hides what
 * Salesforce said; the caller (the gateway's breaker, a backfill's page retry) decides about
 * retrying instead. https://github.com/jsforce/jsforce/blob/main/src/request.ts (retry options)
 *
 * Redirects are not followed (jsforce's default followed them, sending the session along): a 3xx
 * with a `Location` rejects, naming where it points, since the instance URL is then wrong.
 */
export function carriedByNodeHttp(conn: Connection): Connection {
  const transport = conn._transport;
  const viaJsforce = transport.httpRequest.bind(transport);
  // Read once per connection, not per request (jsforce reads them once, when it is loaded).
  const proxied = PROXY_VARIABLES.some((v) => process.env[v]);
  transport.httpRequest = (req: HttpRequest, options: HttpRequestOptions = {}): StreamPromise<HttpResponse> => {
    const body = req.body;
    const plain = body === undefined || body === null || typeof body === 'string' || Buffer.isBuffer(body);
    if (!plain || proxied || options.httpProxy) {
      return viaJsforce(req, { ...options, retry: { ...options.retry, maxRetries: 0 } });
    }
    // What jsforce's StreamPromise is (a class its package does not export to ES modules): the
    // answer, and a stream jsforce pipes into the one it hands its caller, carrying the body.
    const stream = new PassThrough();
    const promise = sendWhole(req.url, { method: req.method, headers: req.headers, body: body ?? undefined }).then(
      (answer): HttpResponse => {
        const location = headerValue(answer.headers.location);
        if (answer.status >= 300 && answer.status < 400 && location !== null) {
          stream.end();
          throw new Error(`Salesforce answered ${answer.status}, a redirect to ${location}: set the Salesforce instance URL to where it points`);
        }
        const text = answer.body.toString(options.encoding ?? 'utf8');
        stream.end(text);
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(answer.headers)) {
          const v = headerValue(value);
          if (v !== null) headers[name] = v;
        }
        return { statusCode: answer.status, headers, body: text };
      },
      (e: unknown) => {
        stream.end();
        throw e;
      },
    );
    return Object.assign(promise, { stream: () => stream });
  };
  return conn;
}

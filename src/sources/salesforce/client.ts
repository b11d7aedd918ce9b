// jsforce set-up. https://jsforce.github.io/document/#connection
import type { Connection } from 'jsforce';

/**
 * jsforce retries 5xx answers and connection resets up to 5 times with backoff (0.5 s, 1 s,
 * 2 s …) by default. Inside the gateway's per-request deadline that turns one failed query
 * into a burst of calls and a "no answer" timeout that hides what Salesforce said; the caller
 * (the gateway's breaker, a backfill's page retry) decides about retrying instead.
 * https://github.com/jsforce/jsforce/blob/main/src/request.ts (retry options)
 */
export function withoutRetries(conn: Connection): Connection {
  const transport = conn._transport;
  const httpRequest = transport.httpRequest.bind(transport);
  transport.httpRequest = (req, options = {}) => httpRequest(req, { ...options, retry: { ...options.retry, maxRetries: 0 } });
  return conn;
}

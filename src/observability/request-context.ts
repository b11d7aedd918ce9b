// What belongs to the request being served, wherever the code runs: its id (on every log line
// written while serving it, logger.ts) and its trace span (the parent of every source call's
// span, guarded-source.ts). Carried by AsyncLocalStorage, so nothing has to pass it along:
// DataLoader batches, timers and promise callbacks started by the request see it too.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { Span } from '@opentelemetry/api';

export interface RequestScope {
  requestId: string;
  /** The request's span when tracing is on (tracing.ts), else null. */
  span: Span | null;
}

const storage = new AsyncLocalStorage<RequestScope>();

/** The request being served, or undefined outside one (start-up, background work). */
export function currentRequest(): RequestScope | undefined {
  return storage.getStore();
}

/** Runs `fn` (and everything it starts) as part of the request `scope`. */
export function runInRequest<T>(scope: RequestScope, fn: () => T): T {
  return storage.run(scope, fn);
}

/**
 * Makes `scope` the current request for the rest of the running async function and what it
 * starts: for frameworks that give a hook before their work but no way to wrap it (graphql-ws).
 */
export function enterRequest(scope: RequestScope): void {
  storage.enterWith(scope);
}

// An id a caller or a proxy chose is kept, so one id follows the request through every hop.
// It is written into log lines and a response header: only short, plain tokens are taken
// (UUIDs, hex, base64, the usual `prefix-123` forms); anything else gets an id of our own.
const VALID_REQUEST_ID = /^[A-Za-z0-9._:/+=-]{1,128}$/;

/** The incoming x-request-id when it is a valid one, else a new UUID. */
export function requestIdFrom(header: string | string[] | undefined): string {
  return typeof header === 'string' && VALID_REQUEST_ID.test(header) ? header : randomUUID();
}

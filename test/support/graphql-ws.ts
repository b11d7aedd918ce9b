// A GraphQL subscription over a real WebSocket (graphql-ws's own client, as a browser or script
// uses it), with the test keys in connection_init, and how to read its events without hanging.
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import type { Role } from '../../src/access/principal.ts';
import { TEST_KEYS } from './app.ts';

export interface Result {
  data?: Record<string, unknown> | null;
  errors?: readonly { message: string; path?: readonly (string | number)[]; extensions?: Record<string, unknown> }[];
}

/** One subscription over its own WebSocket connection to the gateway at `url`, as `role`. */
export function subscribe(url: string, role: Role, query: string, variables: Record<string, unknown>): { client: Client; results: AsyncIterableIterator<Result> } {
  const client = createClient({
    url: `${url.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${TEST_KEYS[role]}` },
    retryAttempts: 0,
  });
  return { client, results: client.iterate({ query, variables }) as AsyncIterableIterator<Result> };
}

/** The next result, or a failure after `ms` (a missing event must fail the test, not hang it). */
export async function nextWithin(results: AsyncIterableIterator<Result>, ms = 10_000): Promise<Result> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no event within ${ms} ms`)), ms)));
  try {
    const r = await Promise.race([results.next(), timeout]);
    if (r.done) throw new Error('subscription ended');
    return r.value;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Publishes `probe` until the subscription delivers something: the server subscribes to the
 * channel before it starts the operation, but the client is not told when; a probe that arrives
 * says every later message will too. Answers the first result.
 */
export async function whenListening(results: AsyncIterableIterator<Result>, publish: () => Promise<void>): Promise<Result> {
  const first = results.next();
  for (let i = 0; i < 200; i++) {
    await publish();
    const r = await Promise.race([first, new Promise<null>((res) => setTimeout(() => res(null), 50))]);
    if (r) {
      if (r.done) throw new Error('subscription ended');
      return r.value;
    }
  }
  throw new Error('the subscription never received a probe');
}

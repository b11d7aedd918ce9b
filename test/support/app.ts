// Starts the whole gateway on the sandbox for a test file: real Postgres and Redis when CI
// provides them (unique schemas so files can run side by side), embedded otherwise.
import { readGatewayConfig } from '../../src/config/gateway.ts';
import { startApp, type App, type AppOptions } from '../../src/app.ts';
import type { Logger } from '../../src/server/http.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { uniqueSchema } from './postgres.ts';

export interface TestApp extends App {
  gql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<{ status: number; data: T | null; errors: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[] }>;
}

export async function startTestApp(
  options: { customers?: number; seed?: number; env?: Record<string, string>; sandboxOptions?: AppOptions['sandboxOptions']; logger?: Logger } = {},
): Promise<TestApp> {
  const storeSchema = uniqueSchema('mtest');
  const erpSchema = uniqueSchema('erptest');
  const env: Record<string, string | undefined> = {
    PORT: '0',
    MERIDIAN_SANDBOX_CUSTOMERS: String(options.customers ?? 200),
    MERIDIAN_SANDBOX_SEED: String(options.seed ?? 42),
    DATABASE_URL: process.env['DATABASE_URL'],
    REDIS_URL: process.env['REDIS_URL'],
    ...options.env,
  };
  const config = readGatewayConfig(env);
  const app = await startApp({
    config,
    logger: options.logger ?? createLogger({ quiet: true }),
    ephemeralPorts: true,
    inMemory: true,
    storeSchema,
    erpSchema,
    ...(options.sandboxOptions ? { sandboxOptions: options.sandboxOptions } : {}),
  });
  const close = async (): Promise<void> => {
    if (process.env['DATABASE_URL']) {
      await app.store.query(`DROP SCHEMA IF EXISTS ${storeSchema} CASCADE`).catch(() => undefined);
      await app.store.query(`DROP SCHEMA IF EXISTS ${erpSchema} CASCADE`).catch(() => undefined);
    }
    await app.close();
  };
  return {
    ...app,
    close,
    gql: async (query, variables = {}) => {
      const res = await fetch(`${app.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await res.json()) as { data?: unknown; errors?: [] };
      return { status: res.status, data: (body.data ?? null) as never, errors: body.errors ?? [] };
    },
  };
}

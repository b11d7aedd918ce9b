import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // One graphql-js for tests as in production: Node loads `graphql` by its "main" (CommonJS) for
  // Apollo, graphql-ws and graphql-tools, where Vite would pick its "module" (ESM) for our own
  // files; two copies make `validate(schema, …)` refuse a schema "from another module or realm".
  resolve: { alias: [{ find: /^graphql$/, replacement: createRequire(import.meta.url).resolve('graphql') }] },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: integration suites start servers; keep them from starving each other.
    maxWorkers: 2,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});

// The reference: the fastest known way to answer GraphQL in Node — a graphql-jit compiled
// query on plain node:http, answering the same payload from memory. argv[2]: JSON
// { query, payload } where payload is the `data` the gateway returned for that query.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse } from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { readFile, readdir } from 'node:fs/promises';

const { payload } = JSON.parse(process.argv[2] ?? '{}') as { payload: { customer: unknown } };
const dir = new URL('../schema/', import.meta.url);
const typeDefs = await Promise.all((await readdir(dir)).filter((f) => f.endsWith('.graphql')).map((f) => readFile(new URL(f, dir), 'utf8')));
const schema = makeExecutableSchema({ typeDefs, resolvers: { Query: { customer: () => payload.customer } } });
const compiled = new Map<string, CompiledQuery>();

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { query: string; variables?: Record<string, unknown> };
    let c = compiled.get(body.query);
    if (!c) {
      const q = compileQuery(schema, parse(body.query));
      if (!isCompiledQuery(q)) throw new Error('query did not compile');
      c = q;
      compiled.set(body.query, c);
    }
    const result = c.query(undefined, {}, body.variables ?? {});
    const text = c.stringify(result);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  });
});
// Stopped with SIGTERM: exit normally, so a CPU profile (BENCH_PROFILE) is written.
process.on('SIGTERM', () => process.exit(0));
// Its parent (bench/run.ts) gone, for whatever reason: so is it (stdin is the parent's pipe).
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql` }) + '\n');
});

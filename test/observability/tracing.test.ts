// Traces (issue 9, Operations): a span per GraphQL request, a child span per source call with
// system, operation and error status, exported to the configured exporter; the request's log
// lines carry its request id and trace id. In memory here; OTLP when an endpoint is set.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { bearer, startTestApp, type TestApp } from '../support/app.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { startTracing } from '../../src/observability/tracing.ts';

describe('traces', () => {
  const exporter = new InMemorySpanExporter();
  const lines: Record<string, unknown>[] = [];
  let app: TestApp;
  beforeAll(async () => {
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
        done();
      },
    });
    app = await startTestApp({ customers: 40, seed: 5, logger: createLogger({ stream, format: 'json' }), app: { traceExporter: exporter } });
  });
  afterAll(() => app?.close());
  beforeEach(async () => {
    await app.services.cache.clear();
    exporter.reset();
  });

  const post = (query: string, requestId: string) =>
    fetch(`${app.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': requestId, ...bearer() }, body: JSON.stringify({ query, operationName: 'Traced' }) });
  const requestSpan = (requestId: string): ReadableSpan => {
    const found = exporter.getFinishedSpans().filter((s) => s.attributes['meridian.request_id'] === requestId);
    expect(found).toHaveLength(1);
    return found[0]!;
  };
  const childrenOf = (parent: ReadableSpan): ReadableSpan[] => exporter.getFinishedSpans().filter((s) => s.parentSpanContext?.spanId === parent.spanContext().spanId);

  it('traces a request and each of its source calls as a child, one span per call made', async () => {
    const calls0 = app.sandbox!.salesforce.requests.lastSeq + app.sandbox!.zendesk.requests.lastSeq + app.sandbox!.erp.proxy.requests.lastSeq;
    const res = await post('query Traced { customers(first: 5) { edges { node { id name lifecycle accountingStatus paymentStatus } } } }', 'trace-test-1');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('trace-test-1');
    const root = requestSpan('trace-test-1');
    expect(root.name).toBe('graphql query Traced');
    expect(root.attributes).toMatchObject({ 'graphql.operation.type': 'query', 'graphql.operation.name': 'Traced', 'http.response.status_code': 200 });
    expect(root.parentSpanContext).toBeUndefined();
    expect(root.status.code).not.toBe(SpanStatusCode.ERROR);

    const calls = childrenOf(root);
    expect(new Set(calls.map((s) => s.attributes['meridian.system']))).toEqual(new Set(['salesforce', 'stripe', 'zendesk', 'erp']));
    for (const s of calls) {
      expect(s.spanContext().traceId).toBe(root.spanContext().traceId);
      expect(s.name).toBe(`${String(s.attributes['meridian.system'])} ${String(s.attributes['meridian.operation'])}`);
      expect(s.attributes).toMatchObject({ 'meridian.outcome': 'ok' });
      expect(s.attributes['meridian.keys']).toBeGreaterThan(0);
    }
    // Salesforce, Zendesk and the ERP answer one batch with one request: one span each.
    const batched = calls.filter((s) => s.attributes['meridian.system'] !== 'stripe');
    const calls1 = app.sandbox!.salesforce.requests.lastSeq + app.sandbox!.zendesk.requests.lastSeq + app.sandbox!.erp.proxy.requests.lastSeq;
    expect(batched).toHaveLength(calls1 - calls0);
    // Every span of the trace is the request's or one of its calls.
    expect(exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === root.spanContext().traceId)).toHaveLength(calls.length + 1);
  });

  it('marks a failed source call and its request as errors, and logs the failure with the request and trace ids', async () => {
    const stripe = app.sandbox!.stripe;
    stripe.faults.set({ outage: 'http' });
    try {
      const res = await post('query Traced { customerBySource(system: STRIPE, externalId: "cus_TraceOutage0001") { id } }', 'trace-test-2');
      const body = (await res.json()) as { errors?: { extensions?: Record<string, unknown> }[] };
      expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'SOURCE_UNAVAILABLE' });
    } finally {
      stripe.faults.reset();
    }
    const root = requestSpan('trace-test-2');
    expect(root.status.code).toBe(SpanStatusCode.ERROR);
    expect(root.attributes['graphql.error.codes']).toEqual(['SOURCE_UNAVAILABLE']);
    const [call, ...more] = childrenOf(root);
    expect(more).toEqual([]);
    expect(call!.attributes).toMatchObject({ 'meridian.system': 'stripe', 'meridian.operation': 'accounts', 'meridian.outcome': 'error', 'error.type': 'SOURCE_UNAVAILABLE' });
    expect(call!.status).toMatchObject({ code: SpanStatusCode.ERROR, message: expect.stringMatching(/503/) as unknown });

    const logged = lines.filter((l) => l['requestId'] === 'trace-test-2');
    expect(logged.map((l) => l['msg'])).toContain('source unavailable');
    for (const l of logged) expect(l['traceId']).toBe(root.spanContext().traceId);
  });

  it('has no tracer, so no spans, when neither an endpoint nor an exporter is given', () => {
    expect(startTracing({}).tracer).toBeNull();
    expect(startTracing({ endpoint: undefined }).tracer).toBeNull();
  });

  it('exports over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT/v1/traces', async () => {
    const received: { path: string; type: string; body: string }[] = [];
    const collector = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ path: req.url ?? '', type: req.headers['content-type'] ?? '', body });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    try {
      const tracing = startTracing({ endpoint: `http://127.0.0.1:${(collector.address() as AddressInfo).port}/` });
      tracing.tracer!.startSpan('exported').end();
      await tracing.shutdown(); // flushes the batch
      expect(received).toHaveLength(1);
      // OTLP/HTTP with the JSON encoding (https://opentelemetry.io/docs/specs/otlp/#otlphttp).
      expect(received[0]).toMatchObject({ path: '/v1/traces', type: 'application/json' });
      const sent = JSON.parse(received[0]!.body) as { resourceSpans: { resource: { attributes: { key: string; value: { stringValue?: string } }[] }; scopeSpans: { spans: { name: string }[] }[] }[] };
      expect(sent.resourceSpans[0]!.scopeSpans[0]!.spans.map((x) => x.name)).toEqual(['exported']);
      expect(sent.resourceSpans[0]!.resource.attributes).toContainEqual({ key: 'service.name', value: { stringValue: 'meridian' } });
    } finally {
      await new Promise((resolve) => collector.close(resolve));
    }
  });
});

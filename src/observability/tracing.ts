// Traces: OpenTelemetry spans, one per GraphQL request (server/http.ts) and one per call to a
// source system (gateway/guarded-source.ts), the call's span a child of its request's.
//
// Exported over OTLP/HTTP (JSON encoding) to `OTEL_EXPORTER_OTLP_ENDPOINT`/v1/traces when that is
// set, in batches; with no endpoint there is no tracer at all and the instrumented code skips
// every span (no allocation, no context lookups). Tests pass their own exporter (in memory).
//
// The parent of a call's span is the request's span as kept in request-context.ts, so no
// global context manager or provider is installed: several gateways in one process (tests)
// each trace to their own exporter.
import { ROOT_CONTEXT, SpanStatusCode, trace, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import { BatchSpanProcessor, SimpleSpanProcessor, TracerProvider, type SpanExporter } from '@opentelemetry/sdk-trace';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { currentRequest } from './request-context.ts';
import { oneLine } from './redact.ts';

export interface Tracing {
  /** Null when tracing is off. */
  readonly tracer: Tracer | null;
  /** Exports what is buffered and stops (on shutdown). */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  /** OTEL_EXPORTER_OTLP_ENDPOINT: the collector's base URL (http://collector:4318). */
  endpoint?: string | undefined;
  /** An exporter of one's own (tests: InMemorySpanExporter), exported span by span. */
  exporter?: SpanExporter;
  /** OTEL_SERVICE_NAME (default meridian). */
  serviceName?: string;
  serviceVersion?: string;
}

const OFF: Tracing = { tracer: null, shutdown: () => Promise.resolve() };

export function startTracing(options: TracingOptions): Tracing {
  if (!options.endpoint && !options.exporter) return OFF;
  const processor = options.exporter
    ? new SimpleSpanProcessor({ exporter: options.exporter })
    : // https://opentelemetry.io/docs/specs/otel/protocol/exporter/ — the signal path is appended to the base endpoint.
      new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${options.endpoint!.replace(/\/+$/, '')}/v1/traces` }) });
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      'service.name': options.serviceName ?? 'meridian',
      ...(options.serviceVersion ? { 'service.version': options.serviceVersion } : {}),
    }),
    spanProcessors: [processor],
  });
  return { tracer: provider.getTracer('meridian'), shutdown: () => provider.shutdown() };
}

/** A span that is a child of the current request's span (a root span outside a request). */
export function startChildSpan(tracer: Tracer, name: string, attributes: Attributes): Span {
  const parent = currentRequest()?.span;
  return tracer.startSpan(name, { attributes }, parent ? trace.setSpan(ROOT_CONTEXT, parent) : ROOT_CONTEXT);
}

/** Marks a span failed with a short, redacted reason (never a stack or a secret). */
export function failSpan(span: Span, error: unknown, type: string): void {
  span.setAttribute('error.type', type);
  span.setStatus({ code: SpanStatusCode.ERROR, message: oneLine(error, 200) });
}

// W3C trace context through the whole system, with the OpenTelemetry API. Every hop already
// carries a `traceparent` string (HTTP header, gRPC metadata, event envelope, NATS header), so a
// span is started from that string and hands on its own: no context manager, no auto-instrumentation.
//
// Off (the default): no SDK is loaded; the API's no-op tracer passes the incoming trace context
// through unchanged, so logs and events still carry the caller's trace id, at next to no cost.
// On (OTEL_EXPORTER_OTLP_ENDPOINT set): spans are recorded and exported over OTLP/HTTP.
import { type Attributes, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";

export { type Span, SpanKind, SpanStatusCode };

const propagator = new W3CTraceContextPropagator();
const tracer = () => trace.getTracer("evented");

export interface TracingOptions {
  /** OTLP/HTTP base URL, e.g. http://collector:4318; unset = no export. */
  otlpEndpoint?: string;
  /** How long spans are batched before export. */
  exportDelayMs?: number;
  /** service.name of the spans, when not the app's own name. */
  serviceName?: string;
}

/** Installs the OpenTelemetry SDK when an OTLP endpoint is configured; returns a flush-and-stop for shutdown. */
export async function initTracing(
  service: string,
  { otlpEndpoint, exportDelayMs = 5000, serviceName = service }: TracingOptions,
): Promise<() => Promise<void>> {
  if (!otlpEndpoint) return async () => {};
  // Loaded only when switched on: the SDK and exporter cost nothing when tracing is off.
  const [{ TracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, { resourceFromAttributes }] = await Promise.all([
    import("@opentelemetry/sdk-trace"),
    import("@opentelemetry/exporter-trace-otlp-http"),
    import("@opentelemetry/resources"),
  ]);
  // The exporter reads OTEL_EXPORTER_OTLP_ENDPOINT (and _HEADERS, ...) itself, as the spec says.
  const exporter = new OTLPTraceExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ "service.name": serviceName }),
    spanProcessors: [new BatchSpanProcessor({ exporter, scheduledDelayMillis: exportDelayMs })],
  });
  trace.setGlobalTracerProvider(provider);
  return () => provider.shutdown();
}

export interface StartedSpan {
  span: Span;
  /** The traceparent to hand to the next hop: this span as parent (or the incoming one when tracing is off). */
  traceparent: string | undefined;
  /** For log lines; undefined when the request came without trace context and tracing is off. */
  traceId: string | undefined;
}

/** Starts a span whose parent is the given traceparent (a new trace when there is none). */
export function startSpan(name: string, kind: SpanKind, parent: string | undefined, attributes?: Attributes): StartedSpan {
  const parentContext = parent ? propagator.extract(ROOT_CONTEXT, { traceparent: parent }, getter) : ROOT_CONTEXT;
  const span = tracer().startSpan(name, { kind, attributes }, parentContext);
  const carrier: Record<string, string> = {};
  propagator.inject(trace.setSpan(ROOT_CONTEXT, span), carrier, setter);
  const context = span.spanContext();
  return { span, traceparent: carrier.traceparent, traceId: carrier.traceparent ? context.traceId : undefined };
}

const getter = {
  get: (carrier: Record<string, string>, key: string) => carrier[key],
  keys: (carrier: Record<string, string>) => Object.keys(carrier),
};
const setter = { set: (carrier: Record<string, string>, key: string, value: string) => void (carrier[key] = value) };

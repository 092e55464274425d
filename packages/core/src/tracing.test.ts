import { expect, test } from "bun:test";
import { SpanKind, startSpan } from "./tracing.ts";

// No SDK installed (tracing off, the default): spans cost nothing and pass the caller's context on.
test("off: the incoming traceparent is handed on unchanged", () => {
  const incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  const { traceparent, traceId, span } = startSpan("op", SpanKind.SERVER, incoming);
  expect(traceparent).toBe(incoming);
  expect(traceId).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
  expect(span.isRecording()).toBe(false);
});

test("off: no incoming context, no trace; malformed context is ignored", () => {
  expect(startSpan("op", SpanKind.SERVER, undefined)).toMatchObject({ traceparent: undefined, traceId: undefined });
  expect(startSpan("op", SpanKind.SERVER, "00-zz-yy-01")).toMatchObject({ traceparent: undefined, traceId: undefined });
});

// Tracing switched on: every app exports spans over OTLP/HTTP to a collector the test runs, and
// one request's spans, from the gateway to the notification worker, form one trace.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { type System, startSystem, waitFor } from "@evented/testing";

setDefaultTimeout(30_000);

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
}
const spans: { service: string; span: OtlpSpan }[] = [];

// A stand-in OTLP collector: the exporter posts JSON to /v1/traces.
const collector = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  async fetch(req) {
    if (new URL(req.url).pathname !== "/v1/traces") return new Response("not found", { status: 404 });
    const body = (await req.json()) as {
      resourceSpans: { resource: { attributes: { key: string; value: { stringValue?: string } }[] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
    };
    for (const rs of body.resourceSpans) {
      const service = rs.resource.attributes.find((a) => a.key === "service.name")?.value.stringValue ?? "";
      for (const ss of rs.scopeSpans) for (const span of ss.spans) spans.push({ service, span });
    }
    return Response.json({});
  },
});

let system: System;
beforeAll(async () => {
  const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collector.port}`, OTEL_BSP_SCHEDULE_DELAY: "200" };
  system = await startSystem({ env: { user: otel, order: otel, notification: otel, gateway: otel } });
}, 60_000);
afterAll(async () => {
  await system?.stop();
  await collector.stop(true);
});

const hex = (bytes: number) => [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");

test("one trace spans the gateway, the user service and the notification worker, continuing the caller's", async () => {
  const traceId = hex(16);
  const callerSpanId = hex(8);
  const res = await system.fetch(`${system.gatewayUrl}/users`, {
    method: "POST",
    headers: { "content-type": "application/json", traceparent: `00-${traceId}-${callerSpanId}-01` },
    body: JSON.stringify({ name: "Otto Tel", email: `otto.${hex(4)}@example.com` }),
  });
  expect(res.status).toBe(201);

  const trace = await waitFor("spans of the gateway, the user service and the worker", () => {
    const mine = spans.filter((s) => s.span.traceId === traceId);
    // The order service consumes UserCreated too (its read model of users): its span may come as well.
    const services = new Set(mine.map((s) => s.service));
    return ["gateway", "user", "notification"].every((name) => services.has(name)) && mine;
  });
  const find = (service: string) => trace.find((s) => s.service === service)!.span;
  const gateway = find("gateway");
  const user = find("user");
  const worker = find("notification");
  expect(gateway.name).toBe("POST /users");
  expect(gateway.parentSpanId).toBe(callerSpanId);
  expect(user.name).toBe("user.v1.UserService/CreateUser");
  expect(user.parentSpanId).toBe(gateway.spanId);
  expect(worker.name).toBe("UserCreated process");
  expect(worker.parentSpanId).toBe(user.spanId); // through the outbox, NATS and the envelope

  const workerLog = await waitFor("the worker's log line", () =>
    system.apps.notification.logs.find((l) => l.msg === "notification recorded" && l.traceId === traceId),
  );
  expect(workerLog.eventType).toBe("UserCreated");
});

test("a request without trace context starts a new trace at the gateway", async () => {
  const res = await system.fetch(`${system.gatewayUrl}/users/01900000-0000-7000-8000-00000000beef`);
  expect(res.status).toBe(404);
  const requestId = res.headers.get("x-request-id");
  const line = await waitFor("the gateway's request line", () => system.apps.gateway.logs.find((l) => l.requestId === requestId && l.msg === "request"));
  expect(line.traceId).toMatch(/^[0-9a-f]{32}$/);
  const rpc = await waitFor("the user service's rpc line", () => system.apps.user.logs.find((l) => l.requestId === requestId && l.msg === "rpc"));
  expect(rpc.traceId).toBe(line.traceId);
  await waitFor("the gateway span to be exported", () =>
    spans.some((s) => s.service === "gateway" && s.span.traceId === line.traceId && s.span.name === "GET /users/:id"),
  );
});

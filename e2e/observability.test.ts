// Operating the system: request ids and trace context through every hop's logs and the event,
// Prometheus metrics on the gateway and each service, health and readiness, no secrets in logs.
// Tracing export is off here (the default): the caller's trace context must still flow through.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { connectHealth, decodeEvent } from "@evented/core";
import { freePort, type RunningApp, type System, sampleValue, scrapeMetrics, startSystem, waitFor } from "@evented/testing";
import { connect } from "nats";

setDefaultTimeout(30_000);

let system: System;
const metricsPorts = { user: freePort(), order: freePort(), notification: freePort(), gateway: freePort() };

beforeAll(async () => {
  system = await startSystem({
    env: {
      user: { USER_METRICS_PORT: String(metricsPorts.user) },
      order: { ORDER_METRICS_PORT: String(metricsPorts.order) },
      notification: { NOTIFICATION_METRICS_PORT: String(metricsPorts.notification) },
      gateway: { GATEWAY_METRICS_PORT: String(metricsPorts.gateway) },
    },
  });
}, 60_000);
afterAll(() => system?.stop());

const hex = (bytes: number) => [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");
const linesOf = (app: RunningApp, requestId: string) => app.logs.filter((l) => l.requestId === requestId);

async function post(path: string, body: object, headers: Record<string, string> = {}) {
  return system.fetch(`${system.gatewayUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

test("a request id and trace context sent to the gateway reach the services, the event and the worker's logs", async () => {
  const requestId = `req-${hex(8)}`;
  const traceId = hex(16);
  const headers = { "x-request-id": requestId, traceparent: `00-${traceId}-${hex(8)}-01` };

  const created = await post("/users", { name: "Ida Trace", email: `ida.${hex(4)}@example.com` }, headers);
  expect(created.status).toBe(201);
  expect(created.headers.get("x-request-id")).toBe(requestId);
  const user = (await created.json()) as { id: string };
  const ordered = await post("/orders", { user_id: user.id, items: [{ product_id: "123", quantity: 1 }] }, headers);
  expect(ordered.status).toBe(201);

  const { gateway, user: users, order, notification } = system.apps;
  // The worker records one notification per event, each in a log line carrying the request id: the
  // welcome, the invitation (an admin made the user without a password) and the order's.
  const recorded = await waitFor("the worker to log the three notifications of the request", () => {
    const lines = linesOf(notification, requestId).filter((l) => l.msg === "notification recorded");
    return lines.length === 3 && lines;
  });
  expect(recorded.map((l) => l.eventType).sort()).toEqual(["AccountEmailRequested", "OrderCreated", "UserCreated"]);
  expect(recorded.every((l) => l.traceId === traceId)).toBe(true);

  expect(linesOf(gateway, requestId).map((l) => [l.msg, l.method, l.route, l.status, l.traceId])).toEqual([
    ["request", "POST", "/users", 201, traceId],
    ["request", "POST", "/orders", 201, traceId],
  ]);
  expect(linesOf(gateway, requestId).every((l) => typeof l.ms === "number")).toBe(true);
  expect(
    linesOf(users, requestId)
      .filter((l) => l.msg === "rpc")
      .map((l) => [l.method, l.code, l.traceId]),
  ).toEqual([
    ["createUser", "OK", traceId],
    ["getUser", "OK", traceId], // asked by the order service, which passed the request on
  ]);
  expect(
    linesOf(order, requestId)
      .filter((l) => l.msg === "rpc")
      .map((l) => [l.method, l.code, l.traceId]),
  ).toEqual([["createOrder", "OK", traceId]]);

  // The event itself: correlation id and traceparent in the envelope and in the NATS headers.
  const nc = await connect({ servers: process.env.TEST_NATS_URL ?? "nats://127.0.0.1:4222" });
  try {
    const jsm = await nc.jetstreamManager();
    const msg = await jsm.streams.getMessage(system.stream.stream, { last_by_subj: `${system.stream.prefix}.user.created` });
    const event = decodeEvent(msg.data);
    expect(event.correlationId).toBe(requestId);
    expect(event.traceparent).toContain(traceId);
    expect(msg.header.get("x-request-id")).toBe(requestId);
    expect(msg.header.get("traceparent")).toContain(traceId);
  } finally {
    await nc.close();
  }
});

test("a request without an id gets one, returned to the client and used in the logs", async () => {
  const res = await system.fetch(`${system.gatewayUrl}/users/01900000-0000-7000-8000-00000000abcd`);
  expect(res.status).toBe(404);
  const requestId = res.headers.get("x-request-id");
  expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
  expect(((await res.json()) as { error: { request_id: string } }).error.request_id).toBe(requestId!);
  await waitFor("the service's rpc line", () => linesOf(system.apps.user, requestId!).some((l) => l.msg === "rpc" && l.code === "NOT_FOUND"));
});

test("/metrics on the gateway and on each service parse as Prometheus text and count the calls made", async () => {
  const missing = "01900000-0000-7000-8000-00000000f00d";
  expect((await fetch(`${system.gatewayUrl}/metrics`)).status).toBe(404); // never on the public port
  const before = await scrapeMetrics(`http://127.0.0.1:${metricsPorts.gateway}/metrics`);
  const route = { method: "GET", route: "/users/:id", status: "404" };
  const rpc = { grpc_service: "user.v1.UserService", grpc_method: "GetUser", grpc_code: "NOT_FOUND" };
  const userBefore = await scrapeMetrics(`http://127.0.0.1:${metricsPorts.user}/metrics`);
  for (let i = 0; i < 3; i++) expect((await system.fetch(`${system.gatewayUrl}/users/${missing}`)).status).toBe(404);

  const gateway = await scrapeMetrics(`http://127.0.0.1:${metricsPorts.gateway}/metrics`);
  expect(sampleValue(gateway, "http_requests_total", route)! - (sampleValue(before, "http_requests_total", route) ?? 0)).toBe(3);
  expect(sampleValue(gateway, "http_request_duration_seconds", route)! - (sampleValue(before, "http_request_duration_seconds", route) ?? 0)).toBe(3);
  expect(sampleValue(gateway, "http_requests_total", { method: "POST", route: "/users", status: "201" })).toBeGreaterThanOrEqual(1);
  expect(gateway.has("process_cpu_seconds_total")).toBe(true);

  const user = await scrapeMetrics(`http://127.0.0.1:${metricsPorts.user}/metrics`);
  expect(sampleValue(user, "grpc_server_handled_total", rpc)! - (sampleValue(userBefore, "grpc_server_handled_total", rpc) ?? 0)).toBe(3);
  expect(sampleValue(user, "grpc_server_handling_seconds", rpc)).toBe(sampleValue(user, "grpc_server_handled_total", rpc));
  expect(sampleValue(user, "dependency_up", { dependency: "database" })).toBe(1);
  expect(sampleValue(user, "dependency_up", { dependency: "nats" })).toBe(1);
  await waitFor(
    "the user outbox to drain",
    async () => sampleValue(await scrapeMetrics(`http://127.0.0.1:${metricsPorts.user}/metrics`), "outbox_backlog") === 0,
  );

  const order = await scrapeMetrics(`http://127.0.0.1:${metricsPorts.order}/metrics`);
  expect(sampleValue(order, "outbox_backlog")).toBeNumber();
  expect(sampleValue(order, "nats_consumer_pending_messages", { consumer: "order-on-user-deleted" })).toBeNumber();
  expect(sampleValue(order, "dead_letters", { consumer: "order-on-user-deleted" })).toBe(0);

  // Every event so far reaches the worker: its lag goes back to zero.
  await waitFor("the worker to catch up", async () => {
    const m = await scrapeMetrics(`http://127.0.0.1:${metricsPorts.notification}/metrics`);
    return sampleValue(m, "nats_consumer_pending_messages", { consumer: "notification" }) === 0 && m;
  });
  const notification = await scrapeMetrics(`http://127.0.0.1:${metricsPorts.notification}/metrics`);
  expect(sampleValue(notification, "nats_consumer_ack_pending_messages", { consumer: "notification" })).toBeNumber();
  expect(sampleValue(notification, "dead_letters", { consumer: "notification" })).toBe(0);
  expect(notification.has("outbox_backlog")).toBe(false); // the worker publishes nothing
});

test("each service answers the standard grpc.health.v1 Check with SERVING; the gateway is ready", async () => {
  for (const name of ["user", "order", "notification"] as const) {
    const health = connectHealth(`127.0.0.1:${system.ports[name]}`);
    expect(await health.check("")).toBe("SERVING");
    health.close();
  }
  const res = await system.fetch(`${system.gatewayUrl}/ready`);
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ status: "ready", checks: { user: "SERVING", order: "SERVING", notification: "SERVING" }, down: [] });
});

test("passwords in the database and NATS URLs never reach a log line", async () => {
  const password = `pw-${hex(8)}`;
  const withPassword = (url: string) => url.replace("://postgres@", `://postgres:${password}@`);
  expect(withPassword(system.env.user.USER_DB_CONN!)).toContain(password);
  system.env.user.USER_DB_CONN = withPassword(system.env.user.USER_DB_CONN!);
  system.env.user.NATS_URL = system.env.user.NATS_URL!.replace("nats://", `nats://evented:${password}@`);
  const user = await system.restart("user");
  // The gateway's channel to the restarted service reconnects with backoff; a read shows when it has.
  await waitFor("the gateway to reach the new user service", async () => (await system.fetch(`${system.gatewayUrl}/users?page_size=1`)).status === 200);

  const created = await post("/users", { name: "Pat Secret", email: `pat.${hex(4)}@example.com` });
  expect(created.status).toBe(201);
  const duplicate = await post("/users", { name: "Pat Secret", email: ((await created.json()) as { email: string }).email });
  expect(duplicate.status).toBe(409);
  await waitFor("the user service to log the calls", () => user.logs.filter((l) => l.msg === "rpc").length >= 2);

  expect(user.logs.some((l) => l.msg === "connecting to NATS")).toBe(true);
  for (const app of Object.values(system.apps)) {
    const everything = [...app.logs.map((l) => JSON.stringify(l)), ...app.text].join("\n");
    expect(everything).not.toContain(password);
  }
});

test("/ready is 503 naming a service that is down, and 200 again once it is back", async () => {
  await system.kill("notification");
  const down = await system.fetch(`${system.gatewayUrl}/ready`);
  expect(down.status).toBe(503);
  const body = (await down.json()) as { status: string; checks: Record<string, string>; down: string[] };
  expect(body).toMatchObject({ status: "not_ready", down: ["notification"], checks: { user: "SERVING", order: "SERVING" } });
  expect(body.checks.notification).not.toBe("SERVING");
  expect((await system.fetch(`${system.gatewayUrl}/health`)).status).toBe(200); // liveness does not depend on others

  await system.restart("notification");
  await waitFor("ready again", async () => (await system.fetch(`${system.gatewayUrl}/ready`)).status === 200);
});

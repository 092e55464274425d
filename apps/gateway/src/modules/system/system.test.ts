import { expect, test } from "bun:test";
import { createLogger, type HealthChecker, serveMetrics } from "@evented/core";
import { sampleValue, scrapeMetrics } from "@evented/testing";
import { createApp } from "../../app.ts";
import type { Clients } from "../../clients.ts";

const answering = (status: string): HealthChecker => ({ check: async () => status, close() {} });
const log = createLogger("gateway-test", { level: "silent" });
const appWith = (downstream: Record<string, HealthChecker>) => createApp({} as Clients, log, { downstream });

test("/ready is 200 when every service is SERVING", async () => {
  const res = await appWith({ user: answering("SERVING"), order: answering("SERVING") }).handle(new Request("http://localhost/ready"));
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ status: "ready", checks: { user: "SERVING", order: "SERVING" }, down: [] });
});

test("/ready is 503 naming each service that is not SERVING and what it answered", async () => {
  const app = appWith({ user: answering("SERVING"), order: answering("NOT_SERVING"), notification: answering("UNAVAILABLE") });
  const res = await app.handle(new Request("http://localhost/ready"));
  expect(res.status).toBe(503);
  expect(await res.json()).toEqual({
    status: "not_ready",
    checks: { user: "SERVING", order: "NOT_SERVING", notification: "UNAVAILABLE" },
    down: ["order", "notification"],
  });
});

test("/metrics counts requests by method, route pattern and status, on its own port and not on the API's", async () => {
  const app = appWith({}).listen(0);
  const metrics = serveMetrics(await freeMetricsPort(), log)!;
  try {
    const base = `http://127.0.0.1:${app.server!.port}`;
    const scrape = () => scrapeMetrics(`http://127.0.0.1:${metrics.port}/metrics`);
    const labels = { method: "GET", route: "/health", status: "200" };
    const before = sampleValue(await scrape(), "http_requests_total", labels) ?? 0;
    for (let i = 0; i < 2; i++) await fetch(`${base}/health`);
    expect((await fetch(`${base}/metrics`)).status).toBe(404);
    const after = await scrape();
    expect(sampleValue(after, "http_requests_total", labels)! - before).toBe(2);
    expect(sampleValue(after, "http_requests_total", { route: "unmatched", status: "404" })).toBeGreaterThanOrEqual(1);
  } finally {
    await app.stop();
    await metrics.stop();
  }
});

/** serveMetrics takes 0 as "none": a port that was free a moment ago. */
async function freeMetricsPort(): Promise<number> {
  const probe = Bun.serve({ port: 0, fetch: () => new Response() });
  const port = probe.port!;
  await probe.stop();
  return port;
}

// Prometheus metrics (prom-client). One process is one app, so the library's default registry is
// the app's registry: the gateway adds its HTTP metrics, services their gRPC and event metrics.
import client from "prom-client";
import type { Bus } from "./bus.ts";
import type { Executor } from "./db.ts";
import { countDeadLetters } from "./dead-letters.ts";
import type { Logger } from "./logger.ts";
import type { Outbox } from "./outbox.ts";

export const registry = client.register;
export { client as prometheus };

/** Process metrics (CPU, memory, event loop lag), once per process. */
export function collectProcessMetrics(): void {
  if (!registry.getSingleMetric("process_cpu_seconds_total")) client.collectDefaultMetrics({ register: registry });
}

// Named after go-grpc-prometheus, so the usual gRPC dashboards and alerts work unchanged.
let rpc: { handled: client.Counter<string>; seconds: client.Histogram<string> } | undefined;

/** Counts one handled gRPC call; `path` is "/package.Service/Method". */
export function observeRpc(path: string, code: string, seconds: number): void {
  rpc ??= {
    handled: new client.Counter({
      name: "grpc_server_handled_total",
      help: "gRPC calls completed by the server, by method and status code.",
      labelNames: ["grpc_service", "grpc_method", "grpc_code"],
    }),
    seconds: new client.Histogram({
      name: "grpc_server_handling_seconds",
      help: "Time the server took to answer a gRPC call, by method and status code.",
      labelNames: ["grpc_service", "grpc_method", "grpc_code"],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    }),
  };
  const [, service = "", method = ""] = path.split("/");
  const labels = { grpc_service: service, grpc_method: method, grpc_code: code };
  rpc.handled.inc(labels);
  rpc.seconds.observe(labels, seconds);
}

export interface ServiceGaugeSources {
  db: Executor;
  bus: Bus;
  log: Logger;
  /** The service's outbox, when it publishes events. */
  outbox?: Outbox;
  /** Durable consumer names, when it consumes events. */
  consumers?: string[];
}

/** Event pipeline gauges, read at scrape time: outbox backlog, consumer lag, dead letters. */
export function registerServiceGauges({ db, bus, log, outbox, consumers = [] }: ServiceGaugeSources): void {
  // A scrape must answer even while the database or NATS is down: a failed read keeps the last value.
  const guarded = (what: string, read: () => Promise<void>) => () => read().catch((err: unknown) => log.debug({ err }, `metrics: could not read ${what}`));
  if (outbox) {
    const backlog: client.Gauge = new client.Gauge({
      name: "outbox_backlog",
      help: "Events written to the outbox and not yet published to NATS.",
      collect: guarded("outbox backlog", async () => backlog.set((await outbox.backlog()).pending)),
    });
  }
  if (consumers.length === 0) return;
  // Both consumer gauges come from one consumer-info call per scrape; prom-client collects
  // metrics concurrently, so they share the call in flight.
  let reading: Promise<void> | undefined;
  const readConsumers = () =>
    (reading ??= (async () => {
      for (const consumer of consumers) {
        const info = await bus.jsm.consumers.info(bus.options.stream, consumer);
        pending.set({ consumer }, info.num_pending);
        ackPending.set({ consumer }, info.num_ack_pending);
      }
    })().finally(() => (reading = undefined)));
  const pending = new client.Gauge({
    name: "nats_consumer_pending_messages",
    help: "Messages in the stream that a durable consumer has not been delivered yet: its lag.",
    labelNames: ["consumer"],
    collect: guarded("consumer info", readConsumers),
  });
  const ackPending = new client.Gauge({
    name: "nats_consumer_ack_pending_messages",
    help: "Messages delivered to a durable consumer and not acknowledged yet.",
    labelNames: ["consumer"],
    collect: guarded("consumer info", readConsumers),
  });
  const dead = new client.Gauge({
    name: "dead_letters",
    help: "Events a consumer gave up on that wait for an operator: neither replayed nor discarded.",
    labelNames: ["consumer"],
    collect: guarded("dead letters", async () => {
      const rows = await countDeadLetters(db);
      for (const consumer of consumers) dead.set({ consumer }, rows.find((r) => r.consumer === consumer)?.n ?? 0);
    }),
  });
}

/** A small HTTP listener with GET /metrics, for apps that otherwise speak only gRPC; port 0 = off. */
export function serveMetrics(port: number, log: Logger): { port: number; stop(): Promise<void> } | undefined {
  if (port === 0) return undefined;
  collectProcessMetrics();
  const server = Bun.serve({
    port,
    hostname: "0.0.0.0",
    async fetch(req) {
      if (new URL(req.url).pathname !== "/metrics") return new Response("not found", { status: 404 });
      return new Response(await registry.metrics(), { headers: { "content-type": registry.contentType } });
    },
  });
  log.info({ port: server.port }, "metrics listening");
  return { port: server.port ?? port, stop: () => server.stop() };
}

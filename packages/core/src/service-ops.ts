import type { Bus } from "./bus.ts";
import type { Database } from "./db.ts";
import { busProbe, databaseProbe, Health } from "./health.ts";
import type { Logger } from "./logger.ts";
import { registerServiceGauges, serveMetrics } from "./metrics.ts";
import type { Outbox } from "./outbox.ts";
import { initTracing, type TracingOptions } from "./tracing.ts";

export interface ServiceOpsOptions {
  log: Logger;
  database: Database<Record<string, unknown>>;
  bus: Bus;
  outbox?: Outbox;
  /** Durable consumer names, for the lag and dead-letter gauges. */
  consumers?: string[];
  /** Port of the /metrics listener; 0 = none. */
  metricsPort: number;
  telemetry: TracingOptions;
}

/**
 * What every gRPC service runs beside its work: tracing (when configured), health probes of its
 * database and NATS (pass `health` to startGrpcServer), and Prometheus metrics.
 */
export async function startServiceOps(service: string, o: ServiceOpsOptions) {
  const stopTracing = await initTracing(service, o.telemetry);
  const health = new Health([databaseProbe(o.database.client), busProbe(o.bus)], o.log);
  await health.start();
  registerServiceGauges({ db: o.database.db, bus: o.bus, log: o.log, outbox: o.outbox, consumers: o.consumers });
  const metrics = serveMetrics(o.metricsPort, o.log);
  return {
    health,
    async stop() {
      health.shutdown();
      await metrics?.stop();
      await stopTracing();
    },
  };
}

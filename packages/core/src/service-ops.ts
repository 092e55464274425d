import type { Bus } from "./bus.ts";
import type { Database } from "./db.ts";
import { busProbe, databaseProbe, Health } from "./health.ts";
import { pruneIdempotencyKeys } from "./idempotency.ts";
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
  /** The service takes Idempotency-Keys: forget them hourly once they are past their lifetime. */
  idempotencyKeys?: boolean;
}

/**
 * What every gRPC service runs beside its work: tracing (when configured), health probes of its
 * database and NATS (pass `health` to startGrpcServer), Prometheus metrics, and the hourly prune
 * of expired Idempotency-Keys where the service takes them.
 */
export async function startServiceOps(service: string, o: ServiceOpsOptions) {
  const stopTracing = await initTracing(service, o.telemetry);
  const health = new Health([databaseProbe(o.database.client), busProbe(o.bus)], o.log);
  await health.start();
  registerServiceGauges({ db: o.database.db, bus: o.bus, log: o.log, outbox: o.outbox, consumers: o.consumers });
  const metrics = serveMetrics(o.metricsPort, o.log);
  const prune = () => pruneIdempotencyKeys(o.database.db).catch((err) => o.log.warn({ err }, "idempotency key prune failed"));
  const janitor = o.idempotencyKeys ? setInterval(prune, 3600_000) : undefined;
  return {
    health,
    async stop() {
      clearInterval(janitor);
      health.shutdown();
      await metrics?.stop();
      await stopTracing();
    },
  };
}

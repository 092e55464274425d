import { int, logConfig, natsConfig, port, telemetryConfig, url } from "@evented/core";

export function readConfig(env: Record<string, string | undefined>) {
  return {
    port: port(env, "NOTIFICATION_PORT", 50053),
    dbConn: url(env, "NOTIFICATION_DB_CONN", "postgres://postgres@127.0.0.1:5432/notifications", ["postgres:", "postgresql:"]),
    dbPoolSize: int(env, "NOTIFICATION_DB_POOL_SIZE", 10, { min: 1, max: 200 }),
    /** How long JetStream waits for an ack before redelivering a message a crashed worker held. */
    ackWaitMs: int(env, "NOTIFICATION_ACK_WAIT_MS", 30_000, { min: 1000 }),
    maxAttempts: int(env, "NOTIFICATION_MAX_ATTEMPTS", 5, { min: 1, max: 100 }),
    /** Port of the Prometheus /metrics listener; 0 = none. */
    metricsPort: port(env, "NOTIFICATION_METRICS_PORT", 0),
    ...natsConfig(env),
    telemetry: telemetryConfig(env),
    log: logConfig(env),
  };
}

export type Config = ReturnType<typeof readConfig>;

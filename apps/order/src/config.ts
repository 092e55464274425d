import { authConfig, hostPort, int, logConfig, natsConfig, port, telemetryConfig, url } from "@evented/core";

export function readConfig(env: Record<string, string | undefined>) {
  return {
    port: port(env, "ORDER_PORT", 50052),
    dbConn: url(env, "ORDER_DB_CONN", "postgres://postgres@127.0.0.1:5432/orders", ["postgres:", "postgresql:"]),
    dbPoolSize: int(env, "ORDER_DB_POOL_SIZE", 10, { min: 1, max: 200 }),
    userServiceUrl: hostPort(env, "USER_SERVICE_URL", "127.0.0.1:50051"),
    userServiceTimeoutMs: int(env, "USER_SERVICE_TIMEOUT_MS", 2000, { min: 1 }),
    /** Port of the Prometheus /metrics listener; 0 = none. */
    metricsPort: port(env, "ORDER_METRICS_PORT", 0),
    ...natsConfig(env),
    telemetry: telemetryConfig(env),
    log: logConfig(env),
    auth: authConfig(env),
  };
}

export type Config = ReturnType<typeof readConfig>;

import { int, logConfig, natsConfig, port, telemetryConfig, url } from "@evented/core";
import { userAuthConfig } from "./auth/config.ts";

export function readConfig(env: Record<string, string | undefined>) {
  return {
    port: port(env, "USER_PORT", 50051),
    dbConn: url(env, "USER_DB_CONN", "postgres://postgres@127.0.0.1:5432/users", ["postgres:", "postgresql:"]),
    dbPoolSize: int(env, "USER_DB_POOL_SIZE", 10, { min: 1, max: 200 }),
    /** Port of the Prometheus /metrics listener; 0 = none. */
    metricsPort: port(env, "USER_METRICS_PORT", 0),
    ...natsConfig(env),
    telemetry: telemetryConfig(env),
    log: logConfig(env),
    auth: userAuthConfig(env),
  };
}

export type Config = ReturnType<typeof readConfig>;

import { authConfig, ConfigError, hostPort, int, logConfig, optional, port, telemetryConfig } from "@evented/core";
import { app, serviceUrlVar } from "../../../system.ts";

/** Every service the gateway depends on (system.ts), at <NAME>_SERVICE_URL: what /ready checks. */
const serviceUrls = (env: Record<string, string | undefined>) =>
  Object.fromEntries(app("gateway").dependsOn.services.map((name) => [name, hostPort(env, serviceUrlVar(name), `127.0.0.1:${app(name).port.default}`)]));

export function readConfig(env: Record<string, string | undefined>) {
  return {
    port: port(env, "GATEWAY_PORT", 8080),
    /** Port of the Prometheus /metrics listener, apart from the API so it is never public; 0 = none. */
    metricsPort: port(env, "GATEWAY_METRICS_PORT", 0),
    userServiceUrl: hostPort(env, "USER_SERVICE_URL", "127.0.0.1:50051"),
    orderServiceUrl: hostPort(env, "ORDER_SERVICE_URL", "127.0.0.1:50052"),
    notificationServiceUrl: hostPort(env, "NOTIFICATION_SERVICE_URL", "127.0.0.1:50053"),
    serviceUrls: serviceUrls(env),
    /** Deadline of each gRPC call the gateway makes; past it the client gets 504. */
    grpcDeadlineMs: int(env, "GRPC_DEADLINE_MS", 5000, { min: 1 }),
    limits: {
      maxBodyBytes: int(env, "GATEWAY_MAX_BODY_BYTES", 64 * 1024, { min: 1024, max: 64 * 1024 * 1024 }),
      maxJsonDepth: int(env, "GATEWAY_MAX_JSON_DEPTH", 16, { min: 2, max: 256 }),
      /** Per client address and gateway process; 0 = none (the bench, and tests of other things). */
      ratePerSecond: int(env, "GATEWAY_RATE_LIMIT_PER_SECOND", 50, { min: 0 }),
      rateBurst: int(env, "GATEWAY_RATE_LIMIT_BURST", 100, { min: 0 }),
    },
    clientIpHeader: optional(env, "GATEWAY_CLIENT_IP_HEADER")?.toLowerCase(),
    corsOrigins: origins(optional(env, "GATEWAY_CORS_ORIGINS")),
    telemetry: telemetryConfig(env),
    log: logConfig(env),
    auth: authConfig(env),
    web: {
      /** The web app's build (`bun apps/web/build.ts <dir>`); unset: built from apps/web on the first page request. */
      dir: optional(env, "WEB_DIR"),
      /** `bun run dev`: Bun's dev server with hot reloading serves the page instead. */
      hot: env.NODE_ENV === "development" && !optional(env, "WEB_DIR"),
    },
  };
}

export type Config = ReturnType<typeof readConfig>;

/** "https://shop.example.com,http://localhost:3000": exact origins, no wildcards. */
function origins(value: string | undefined): string[] {
  if (!value) return [];
  return value.split(",").map((o) => {
    const origin = o.trim();
    let url: URL | undefined;
    try {
      url = new URL(origin);
    } catch {}
    if (!url || url.origin !== origin) throw new ConfigError(`GATEWAY_CORS_ORIGINS must list origins such as https://shop.example.com, got "${origin}"`);
    return origin;
  });
}

import { hostPort, int, logConfig, port, telemetryConfig } from "@evented/core";
import { app, serviceUrlVar } from "../../../system.ts";

/** Every service the gateway depends on (system.ts), at <NAME>_SERVICE_URL: what /ready checks. */
const serviceUrls = (env: Record<string, string | undefined>) =>
  Object.fromEntries(app("gateway").dependsOn.services.map((name) => [name, hostPort(env, serviceUrlVar(name), `127.0.0.1:${app(name).port.default}`)]));

export function readConfig(env: Record<string, string | undefined>) {
  return {
    port: port(env, "GATEWAY_PORT", 8080),
    userServiceUrl: hostPort(env, "USER_SERVICE_URL", "127.0.0.1:50051"),
    orderServiceUrl: hostPort(env, "ORDER_SERVICE_URL", "127.0.0.1:50052"),
    notificationServiceUrl: hostPort(env, "NOTIFICATION_SERVICE_URL", "127.0.0.1:50053"),
    serviceUrls: serviceUrls(env),
    /** Deadline of each gRPC call the gateway makes; past it the client gets 504. */
    grpcDeadlineMs: int(env, "GRPC_DEADLINE_MS", 5000, { min: 1 }),
    telemetry: telemetryConfig(env),
    log: logConfig(env),
  };
}

export type Config = ReturnType<typeof readConfig>;

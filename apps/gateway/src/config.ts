import { hostPort, int, logConfig, port, telemetryConfig } from "@evented/core";

export function readConfig(env: Record<string, string | undefined>) {
  return {
    port: port(env, "GATEWAY_PORT", 8080),
    userServiceUrl: hostPort(env, "USER_SERVICE_URL", "127.0.0.1:50051"),
    orderServiceUrl: hostPort(env, "ORDER_SERVICE_URL", "127.0.0.1:50052"),
    notificationServiceUrl: hostPort(env, "NOTIFICATION_SERVICE_URL", "127.0.0.1:50053"),
    /** Deadline of each gRPC call the gateway makes; past it the client gets 504. */
    grpcDeadlineMs: int(env, "GRPC_DEADLINE_MS", 5000, { min: 1 }),
    telemetry: telemetryConfig(env),
    log: logConfig(env),
  };
}

export type Config = ReturnType<typeof readConfig>;

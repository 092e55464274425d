import { connectHealth, connectService, type HealthChecker, type PromiseClient } from "@evented/core";
import { authV1, notificationV1, opsV1, orderV1, userV1 } from "@evented/proto";
import type { Config } from "./config.ts";

/** The services the gateway forwards to. */
export interface Clients {
  users: PromiseClient<userV1.UserServiceClient>;
  /** The user service's sign-in side. */
  auth: PromiseClient<authV1.AuthServiceClient>;
  orders: PromiseClient<orderV1.OrderServiceClient>;
  notifications: PromiseClient<notificationV1.NotificationServiceClient>;
  /** ops.v1 of every service (system.ts), by name: its outbox, consumers and dead letters. */
  ops: Record<string, PromiseClient<opsV1.OpsServiceClient>>;
}

export function connectClients(config: Config): Clients {
  const deadlineMs = config.grpcDeadlineMs;
  return {
    // Reads retry on UNAVAILABLE; writes do not (a create may have happened before the connection broke).
    users: connectService(userV1.UserServiceClient, config.userServiceUrl, { deadlineMs, retryable: ["GetUser", "ListUsers"] }),
    auth: connectService(authV1.AuthServiceClient, config.userServiceUrl, { deadlineMs, retryable: ["GetJwks", "Me"] }),
    orders: connectService(orderV1.OrderServiceClient, config.orderServiceUrl, { deadlineMs, retryable: ["GetOrder", "ListOrders"] }),
    notifications: connectService(notificationV1.NotificationServiceClient, config.notificationServiceUrl, {
      deadlineMs,
      retryable: ["ListNotifications", "GetPreferences"],
    }),
    ops: Object.fromEntries(
      Object.entries(config.serviceUrls).map(([name, url]) => [
        name,
        connectService(opsV1.OpsServiceClient, url, { deadlineMs, retryable: ["GetPipeline", "ListDeadLetters"] }),
      ]),
    ),
  };
}

/** The grpc.health.v1 of every service the gateway depends on (system.ts), for /ready. */
export function connectHealthChecks(config: Config): Record<string, HealthChecker> {
  return Object.fromEntries(Object.entries(config.serviceUrls).map(([name, url]) => [name, connectHealth(url)]));
}

import { checkId, type Executor, type Logger, page, unaryHandlers } from "@evented/core";
import type { notificationV1 } from "@evented/proto";
import { listNotifications, type NotificationWithDeliveries } from "./repository.ts";

/** gRPC <-> storage: the notification service only answers what it told whom. */
export function notificationServer(db: Executor, log: Logger): notificationV1.NotificationServiceServer {
  return unaryHandlers<notificationV1.NotificationServiceServer>(log, {
    listNotifications: async (req) => {
      const userId = checkId("user_id", req.userId);
      const { items, nextPageToken } = await page(req.pageSize, req.pageToken, (limit, before) => listNotifications(db, userId, limit, before));
      return { notifications: items.map(toProto), nextPageToken };
    },
  });
}

function toProto(n: NotificationWithDeliveries): notificationV1.Notification {
  return {
    ...n,
    createdAt: n.createdAt.toISOString(),
    deliveries: n.deliveries.map((d) => ({
      channel: d.channel,
      status: d.status,
      attempts: d.attempts,
      lastError: d.lastError,
      sentAt: d.sentAt?.toISOString(),
    })),
  };
}

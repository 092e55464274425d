import { checkId, checkPageSize, pageToken, unaryHandlers, type Logger, type Executor } from "@evented/core";
import { notificationV1 } from "@evented/proto";
import { listNotifications, type NotificationWithDeliveries } from "./repository.ts";

/** gRPC <-> storage: the notification service only answers what it told whom. */
export function notificationServer(db: Executor, log: Logger): notificationV1.NotificationServiceServer {
  return unaryHandlers<notificationV1.NotificationServiceServer>(log, {
    listNotifications: async (req) => {
      const userId = checkId("user_id", req.userId);
      const limit = checkPageSize(req.pageSize);
      const rows = await listNotifications(db, userId, limit + 1, pageToken.decode(req.pageToken));
      const page = rows.slice(0, limit);
      return { notifications: page.map(toProto), nextPageToken: rows.length > limit ? pageToken.encode(page.at(-1)!.id) : "" };
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

import { type CallerAuth, checkId, type Executor, type Logger, mayAccess, page, requireCaller, unaryHandlers } from "@evented/core";
import type { notificationV1 } from "@evented/proto";
import { LINK, LINK_HIDDEN } from "./links.ts";
import { listNotifications, type NotificationWithDeliveries } from "./repository.ts";

/** gRPC <-> storage: the notification service only answers what it told whom, to them or an admin. */
export function notificationServer(db: Executor, log: Logger, auth?: CallerAuth): notificationV1.NotificationServiceServer {
  return unaryHandlers<notificationV1.NotificationServiceServer>(
    log,
    {
      listNotifications: async (req, ctx) => {
        const userId = checkId("user_id", req.userId);
        // Another user's notifications: none, for this caller.
        if (auth && !mayAccess(requireCaller(ctx), userId)) return { notifications: [], nextPageToken: "" };
        const { items, nextPageToken } = await page(req.pageSize, req.pageToken, (limit, before) => listNotifications(db, userId, limit, before));
        return { notifications: items.map(toProto), nextPageToken };
      },
    },
    auth,
  );
}

function toProto(n: NotificationWithDeliveries): notificationV1.Notification {
  const { sealedToken: _sealed, toAddress: _to, ...fields } = n;
  return {
    ...fields,
    body: n.body.replaceAll(LINK, LINK_HIDDEN),
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

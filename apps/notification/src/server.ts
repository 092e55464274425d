import {
  type CallerAuth,
  checkId,
  type Executor,
  ensureAccess,
  type Logger,
  mayAccess,
  page,
  requireCaller,
  serverStreamingHandler,
  unaryHandlers,
} from "@evented/core";
import type { notificationV1 } from "@evented/proto";
import type { Feed } from "./feed.ts";
import { checkChange, matrix } from "./preferences.ts";
import { findPreferences, listNotifications, savePreferences } from "./repository.ts";
import { toProto } from "./to-proto.ts";

/** gRPC <-> storage: the notification service only answers what it told whom, to them or an admin. */
export function notificationServer(db: Executor, log: Logger, feed: Feed, auth?: CallerAuth): notificationV1.NotificationServiceServer {
  // Whose preferences: the caller's (no user_id), or the named user's for them or an admin.
  const whose = (userId: string, ctx: Parameters<typeof requireCaller>[0]) => {
    if (userId === "") return requireCaller(ctx).userId;
    ensureAccess(ctx, checkId("user_id", userId), "user");
    return userId.toLowerCase();
  };
  const preferencesOf = async (userId: string) => ({ preferences: matrix(await findPreferences(db, userId)) });
  const unary = unaryHandlers<notificationV1.NotificationServiceServer>(
    log,
    {
      listNotifications: async (req, ctx) => {
        const userId = checkId("user_id", req.userId);
        // Another user's notifications: none, for this caller.
        if (auth && !mayAccess(requireCaller(ctx), userId)) return { notifications: [], nextPageToken: "" };
        const { items, nextPageToken } = await page(req.pageSize, req.pageToken, (limit, before) => listNotifications(db, userId, limit, before));
        return { notifications: items.map(toProto), nextPageToken };
      },
      getPreferences: async (req, ctx) => preferencesOf(whose(req.userId, ctx)),
      setPreferences: async (req, ctx) => {
        const userId = whose(req.userId, ctx);
        await savePreferences(db, userId, checkChange(req.preferences));
        return preferencesOf(userId);
      },
    },
    auth,
  );
  return {
    ...unary,
    // Only the caller's own feed: there is no user_id to ask for another's.
    streamNotifications: serverStreamingHandler<notificationV1.StreamNotificationsRequest, notificationV1.StreamNotificationsResponse>(
      log,
      "streamNotifications",
      (req, call, ctx) => feed.serve(call, requireCaller(ctx).userId, req.after),
      auth,
    ),
  };
}

import type { notificationV1 } from "@evented/proto";
import { LINK, LINK_HIDDEN } from "./links.ts";
import type { NotificationWithDeliveries } from "./repository.ts";

/** A notification as API clients see it: no sealed token, no address, the link hidden. */
export function toProto(n: NotificationWithDeliveries): notificationV1.Notification {
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

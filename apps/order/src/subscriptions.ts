import type { Subscription } from "@evented/core";
import type { OrderService } from "./service.ts";

/** Every event the order service reacts to, in one place. */
export function subscriptions(orders: OrderService): Subscription[] {
  return [
    {
      durable: "order-on-user-deleted",
      handlers: {
        async userDeleted({ userId }, event, tx, log) {
          const cancelled = await orders.cancelOrdersOfUser(tx, userId, { requestId: event.correlationId, traceparent: event.traceparent });
          log.info({ userId, cancelled }, "user deleted: open orders cancelled");
        },
      },
    },
  ];
}

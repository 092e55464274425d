import type { Subscription } from "@evented/core";
import type { OrderService } from "./service.ts";

/** Every event the order service reacts to, in one place. */
export function subscriptions(orders: OrderService): Subscription[] {
  return [
    {
      durable: "order-on-user-deleted",
      events: ["userDeleted"],
      async handle(event, tx, log) {
        if (event.payload?.$case !== "userDeleted") return;
        const cancelled = await orders.cancelOrdersOfUser(tx, event.payload.value.userId, { requestId: event.correlationId, traceparent: event.traceparent });
        log.info({ userId: event.payload.value.userId, cancelled }, "user deleted: open orders cancelled");
      },
    },
  ];
}

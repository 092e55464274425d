import { afterCommit, type Passes, type Subscription } from "@evented/core";
import type { OrderService } from "./service.ts";

/** Every event the order service reacts to, in one place. */
export function subscriptions(orders: OrderService, cascade: Passes): Subscription[] {
  return [
    {
      durable: "order-on-user-deleted",
      handlers: {
        async userDeleted({ userId }, event, tx, log) {
          const { cancelled, more } = await orders.cancelOrdersOfUser(tx, userId, { requestId: event.correlationId, traceparent: event.traceparent });
          if (more) afterCommit(tx, () => cascade.kick());
          log.info({ userId, cancelled, more }, "user deleted: open orders cancelled");
        },
      },
    },
  ];
}

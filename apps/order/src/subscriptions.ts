import { afterCommit, type Passes, type Subscription } from "@evented/core";
import type { OrderService } from "./service.ts";

/** Every event the order service reacts to, in one place. */
export function subscriptions(orders: OrderService, cascade: Passes): Subscription[] {
  return [
    {
      // The read model of users behind POST /orders (known_users); a durable of its own, so its
      // filter is the one subject and the order service is not woken by every other event.
      durable: "order-on-user-created",
      handlers: {
        async userCreated({ userId }, _event, tx) {
          await orders.userCreated(tx, userId);
        },
      },
    },
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

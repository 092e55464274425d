import { type Logger, Passes } from "@evented/core";
import type { OrderService } from "./service.ts";

/**
 * Finishes what UserDeleted started for users with more open orders than one transaction takes:
 * kicked after the consumer's commit, and on a timer (so a restart half-way through picks it up),
 * it cancels them in bounded transactions until none is left. Replicas share the work (SKIP LOCKED).
 */
export function deletionCascade(orders: OrderService, log: Logger, everyMs = 30_000): Passes {
  return new Passes(async () => {
    try {
      let cancelled = 0;
      for (let n = -1; n !== 0; cancelled += n) n = await orders.cancelNextOrdersOfDeletedUsers();
      if (cancelled > 0) log.info({ cancelled }, "deleted users' remaining orders cancelled");
    } catch (err) {
      log.warn({ err }, "cancelling deleted users' orders failed; will retry");
    }
  }, everyMs);
}

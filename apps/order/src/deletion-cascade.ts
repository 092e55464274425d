import { type Logger, Passes } from "@evented/core";
import type { OrderService } from "./service.ts";

/**
 * Finishes what UserDeleted started for users with more open orders than one transaction takes:
 * woken after the consumer's commit, and on a timer (so a restart half-way through picks it up),
 * it cancels them in bounded transactions until none is left. Replicas share the work (SKIP LOCKED).
 */
export class DeletionCascade {
  private readonly passes: Passes;

  constructor(
    private readonly orders: OrderService,
    private readonly log: Logger,
    everyMs = 30_000,
  ) {
    this.passes = new Passes(() => this.drain(), everyMs);
  }

  start(): void {
    this.passes.start();
  }

  kick(): void {
    this.passes.kick();
  }

  stop(): Promise<void> {
    return this.passes.stop();
  }

  private async drain(): Promise<void> {
    try {
      let cancelled = 0;
      for (let n = -1; n !== 0; cancelled += n) n = await this.orders.cancelNextOrdersOfDeletedUsers();
      if (cancelled > 0) this.log.info({ cancelled }, "deleted users' remaining orders cancelled");
    } catch (err) {
      this.log.warn({ err }, "cancelling deleted users' orders failed; will retry");
    }
  }
}

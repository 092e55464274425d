import { type Executor, type Logger, Passes } from "@evented/core";
import { type Channel, PermanentError } from "./channels.ts";
import { claimDue, type DueDelivery, finishDeliveries, type Outcome } from "./repository.ts";
import type { ChannelName } from "./schema.ts";

export interface DelivererOptions {
  maxAttempts?: number;
  /** Wait before each retry, by attempt (the last repeats). */
  backoffMs?: number[];
  /** How long an attempt may take before another replica may retry it. */
  leaseMs?: number;
  batchSize?: number;
  pollMs?: number;
}

/**
 * Sends pending deliveries in the background, each on its channel, with retries and backoff;
 * every delivery ends as sent, failed (after the last attempt, or at once when the provider
 * refused it for good, with the error) or suppressed (nobody to send to, or the user deleted
 * their account and this is not the goodbye). Each claim takes a lease (see claimDue): a worker
 * that dies mid-send leaves the delivery to be attempted again when the lease ends.
 */
export class Deliverer {
  private readonly o: Required<DelivererOptions>;
  private readonly passes: Passes;

  constructor(
    private readonly db: Executor,
    private readonly channels: Record<ChannelName, Channel>,
    private readonly log: Logger,
    options: DelivererOptions = {},
  ) {
    this.o = { maxAttempts: 5, backoffMs: [1000, 5000, 30_000, 120_000], leaseMs: 60_000, batchSize: 50, pollMs: 1000, ...options };
    this.passes = new Passes(() => this.drain(), this.o.pollMs);
  }

  start(): void {
    this.passes.start();
  }

  /** Wakes the deliverer (a notification was recorded); calls while it runs coalesce into one more pass. */
  kick(): void {
    this.passes.kick();
  }

  stop(): Promise<void> {
    return this.passes.stop();
  }

  private async drain(): Promise<void> {
    try {
      for (;;) {
        const due = await claimDue(this.db, this.o.batchSize, this.o.leaseMs);
        // One write for the whole batch once every attempt has ended. If it fails (or the process
        // dies first), the leases run out and the messages go again with the same delivery ids,
        // which receivers use to drop duplicates.
        const outcomes = await Promise.all(due.map(async (d) => ({ id: d.id, outcome: await this.attempt(d) })));
        await finishDeliveries(this.db, outcomes);
        // A short batch took all that was due: what comes due later wakes another pass.
        if (due.length < this.o.batchSize) return;
      }
    } catch (err) {
      this.log.warn({ err }, "delivery pass failed; will retry");
    }
  }

  /** Sends one delivery on its channel; says how it ended, for finishDeliveries. */
  private async attempt(d: DueDelivery): Promise<Outcome> {
    const { notification: n, recipient: r } = d;
    const log = this.log.child({ deliveryId: d.id, channel: d.channel, notificationId: n.id, kind: n.kind });
    // Claimed past the last attempt only when that attempt never finished (crash or hang past
    // its lease): give up rather than let a message that kills the worker loop forever.
    if (d.attempts > this.o.maxAttempts) {
      return this.fail(d, `gave up after ${d.attempts - 1} attempts; the last one never finished (worker stopped mid-send?)`, log);
    }
    if (r?.deletedAt && n.kind !== "account_deleted") return { status: "suppressed", error: "the user deleted their account" };
    if (!r) return this.retryOrFail(d, "no contact details for this user yet", log);
    const channel = this.channels[d.channel];
    const to = channel.address(r);
    if (!to) return { status: "suppressed", error: `no ${d.channel} address for this user` };
    try {
      await channel.send({ deliveryId: d.id, notificationId: n.id, userId: n.userId, kind: n.kind, to, name: r.name, subject: n.subject, body: n.body });
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      return err instanceof PermanentError ? this.fail(d, error, log) : this.retryOrFail(d, error, log);
    }
    log.debug({ attempts: d.attempts }, "notification delivered");
    return { status: "sent", address: to };
  }

  private retryOrFail(d: DueDelivery, error: string, log: Logger): Outcome {
    if (d.attempts >= this.o.maxAttempts) return this.fail(d, error, log);
    const retryInMs = this.o.backoffMs[Math.min(d.attempts, this.o.backoffMs.length) - 1] ?? 1000;
    log.warn({ attempts: d.attempts, error, retryInMs }, "delivery failed; will retry");
    return { status: "pending", error, retryInMs };
  }

  private fail(d: DueDelivery, error: string, log: Logger): Outcome {
    log.error({ attempts: d.attempts, error }, "delivery failed for good");
    return { status: "failed", error };
  }
}

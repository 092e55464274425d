import { type Executor, type Logger, Passes } from "@evented/core";
import { type Channel, PermanentError } from "./channels.ts";
import { type LinkSettings, withLink } from "./links.ts";
import { claimDue, type DueDelivery, eraseDepartedRecipients, finishDeliveries, type Outcome, pruneFeed } from "./repository.ts";
import type { ChannelName } from "./schema.ts";

/**
 * Why a delivery is not (yet) sent, as stored and shown to API clients in last_error: a short code.
 * The provider's own words (host names, response bodies) go to the log line of that attempt only.
 */
export const DELIVERY_ERRORS = {
  providerRefused: "provider_refused",
  providerFailed: "provider_failed",
  noContactDetails: "no_contact_details",
  noAddress: "no_address",
  accountDeleted: "account_deleted",
  attemptNeverFinished: "attempt_never_finished",
} as const;
const E = DELIVERY_ERRORS;
type DeliveryError = (typeof DELIVERY_ERRORS)[keyof typeof DELIVERY_ERRORS];

export interface DelivererOptions {
  maxAttempts?: number;
  /** Wait before each retry, by attempt (the last repeats). */
  backoffMs?: number[];
  /** How long an attempt may take before another replica may retry it. */
  leaseMs?: number;
  batchSize?: number;
  pollMs?: number;
  /** How often, at most, a pass also erases the data of users who left (default 10 s). */
  eraseEveryMs?: number;
  /** How long the live feed keeps its entries (default 7 days): the furthest back a stream can resume. */
  feedRetentionMs?: number;
  /** Opens the tokens of link emails; without it such an email fails (tests that send none). */
  links?: LinkSettings;
}

/**
 * Sends pending deliveries in the background, each on its channel, with retries and backoff;
 * every delivery ends as sent, failed (after the last attempt, or at once when the provider
 * refused it for good, with the error) or suppressed (nobody to send to, or the user deleted
 * their account and this is not the goodbye). Each claim takes a lease (see claimDue): a worker
 * that dies mid-send leaves the delivery to be attempted again when the lease ends.
 */
export class Deliverer {
  private readonly o: Required<Omit<DelivererOptions, "links">> & Pick<DelivererOptions, "links">;
  private readonly passes: Passes;

  constructor(
    private readonly db: Executor,
    private readonly channels: Record<ChannelName, Channel>,
    private readonly log: Logger,
    options: DelivererOptions = {},
  ) {
    this.o = {
      maxAttempts: 5,
      backoffMs: [1000, 5000, 30_000, 120_000],
      leaseMs: 60_000,
      batchSize: 50,
      pollMs: 1000,
      eraseEveryMs: 10_000,
      feedRetentionMs: 7 * 86_400_000,
      ...options,
    };
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
        const outcomes = await Promise.all(
          due.map(async (d) => ({ id: d.id, attempts: d.attempts, notification: d.notification, outcome: await this.attempt(d) })),
        );
        await finishDeliveries(this.db, outcomes);
        // A short batch took all that was due: what comes due later wakes another pass. Stopping,
        // the batch in hand is finished and recorded, and no other is claimed (the process may be
        // killed at its shutdown deadline, and a claimed batch cut short would be sent again).
        if (due.length < this.o.batchSize || this.passes.stopping) break;
      }
      await this.eraseDeparted();
    } catch (err) {
      this.log.warn({ err }, "delivery pass failed; will retry");
    }
  }

  private lastErase = 0;

  /** At most every eraseEveryMs: the personal data of users who left, once their goodbye is out, and old feed entries. */
  private async eraseDeparted(): Promise<void> {
    if (Date.now() - this.lastErase < this.o.eraseEveryMs) return;
    this.lastErase = Date.now();
    await pruneFeed(this.db, this.o.feedRetentionMs);
    const erased = await eraseDepartedRecipients(this.db);
    if (erased > 0) this.log.info({ erased }, "personal data of deleted users erased");
  }

  /** Sends one delivery on its channel; says how it ended, for finishDeliveries. */
  private async attempt(d: DueDelivery): Promise<Outcome> {
    const { notification: n, recipient: r } = d;
    const log = this.log.child({ deliveryId: d.id, channel: d.channel, notificationId: n.id, kind: n.kind });
    // Claimed past the last attempt only when that attempt never finished (crash or hang past
    // its lease): give up rather than let a message that kills the worker loop forever.
    if (d.attempts > this.o.maxAttempts) {
      return this.fail(d, E.attemptNeverFinished, log, `gave up after ${d.attempts - 1} attempts; the last one never finished (worker stopped mid-send?)`);
    }
    if (r?.deletedAt && n.kind !== "account_deleted") return { status: "suppressed", error: E.accountDeleted };
    if (!r) return this.retryOrFail(d, E.noContactDetails, log, "no contact details for this user yet");
    const channel = this.channels[d.channel];
    const to = (d.channel === "email" && n.toAddress) || channel.address(r);
    if (!to) return { status: "suppressed", error: E.noAddress };
    try {
      if (n.sealedToken && !this.o.links) throw new PermanentError("no AUTH_EMAIL_KEY to open this link's token");
      const links = this.o.links;
      const body =
        n.sealedToken && links
          ? await withLink(links, n).catch(() => Promise.reject(new PermanentError("the link's token cannot be opened with this AUTH_EMAIL_KEY")))
          : n.body;
      await channel.send({ deliveryId: d.id, notificationId: n.id, userId: n.userId, kind: n.kind, to, name: r.name, subject: n.subject, body });
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      return err instanceof PermanentError ? this.fail(d, E.providerRefused, log, detail) : this.retryOrFail(d, E.providerFailed, log, detail);
    }
    log.debug({ attempts: d.attempts }, "notification delivered");
    return { status: "sent", address: to };
  }

  private retryOrFail(d: DueDelivery, error: DeliveryError, log: Logger, detail: string): Outcome {
    if (d.attempts >= this.o.maxAttempts) return this.fail(d, error, log, detail);
    const retryInMs = this.o.backoffMs[Math.min(d.attempts, this.o.backoffMs.length) - 1] ?? 1000;
    log.warn({ attempts: d.attempts, error, detail, retryInMs }, "delivery failed; will retry");
    return { status: "pending", error, retryInMs };
  }

  private fail(d: DueDelivery, error: DeliveryError, log: Logger, detail: string): Outcome {
    log.error({ attempts: d.attempts, error, detail }, "delivery failed for good");
    return { status: "failed", error };
  }
}

import { and, eq, isNull, lt, notExists, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import type { Bus } from "./bus.ts";
import { afterCommit, type Executor, placeholdersFor, prepared, valuesOf } from "./db.ts";
import { type Envelope, encodeEvent, subjectFor } from "./events.ts";
import type { Logger } from "./logger.ts";
import { Passes } from "./passes.ts";
import { outbox } from "./tables.ts";

export interface OutboxOptions {
  /** Rows per relay transaction. */
  batchSize?: number;
  /** How often the sweep looks for rows the fast path missed (crash after commit, NATS down). */
  sweepMs?: number;
  /** How long published rows are kept before they are pruned (default 7 days). */
  retentionMs?: number;
  /** How often, at most, a relay pass also prunes (default 1 min). */
  pruneEveryMs?: number;
}

/**
 * Transactional outbox. `add` writes events in the caller's transaction, and the commit of that
 * transaction wakes the relay (fast path; see afterCommit in db.ts), so callers never kick it; a
 * sweep catches whatever the fast path missed.
 *
 * The relay claims rows with FOR UPDATE SKIP LOCKED, so replicas never publish the same row at
 * once, and only the oldest unpublished row of each aggregate, so one order's events go out in
 * order. It publishes with the event id as Nats-Msg-Id and marks a row only after JetStream acks.
 */
export class Outbox {
  private lastPrune = 0;
  private started = false;
  private readonly batchSize: number;
  private readonly retentionMs: number;
  private readonly pruneEveryMs: number;
  // A pass woken by a commit stops at the first short batch (see drain).
  private readonly passes: Passes;

  constructor(
    private readonly db: Executor,
    private readonly bus: Bus,
    private readonly log: Logger,
    options: OutboxOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 200;
    this.retentionMs = options.retentionMs ?? 7 * 24 * 3600_000;
    this.pruneEveryMs = options.pruneEveryMs ?? 60_000;
    this.passes = new Passes(() => this.drain({ untilEmpty: false }), options.sweepMs ?? 1000);
  }

  /** Writes events into the outbox inside `tx`; they are published only if `tx` commits, right after it does. */
  async add(tx: Executor, ...events: Envelope[]): Promise<void> {
    if (events.length === 0) return;
    const prefix = this.bus.options.prefix;
    const rows = events.map((e) => ({
      eventId: e.id,
      subject: subjectFor(prefix, e),
      aggregateId: e.aggregateId,
      payload: encodeEvent(e),
      headers: { "x-request-id": e.correlationId, traceparent: e.traceparent, "event-type": e.type },
    }));
    const name = `insert_outbox_${rows.length}`;
    await prepared(tx, name, (d) => d.insert(outbox).values(placeholdersFor(rows))).execute(valuesOf(rows));
    // A pass publishes one event per aggregate (the oldest unpublished: their order), so a
    // transaction with k events of one aggregate (UserCreated and AccountEmailRequested) asks for k
    // passes after its commit, instead of leaving the later events for the sweep.
    let added = this.addedIn.get(tx);
    if (!added) {
      const mine = { perAggregate: new Map<string, number>(), most: 0 };
      this.addedIn.set(tx, mine);
      afterCommit(tx, () => this.wake(mine.most));
      added = mine;
    }
    for (const e of events) {
      const n = (added.perAggregate.get(e.aggregateId) ?? 0) + 1;
      added.perAggregate.set(e.aggregateId, n);
      added.most = Math.max(added.most, n);
    }
  }

  /** Per open transaction: how many events it added of each aggregate, and the most of one (see add). */
  private readonly addedIn = new WeakMap<Executor, { perAggregate: Map<string, number>; most: number }>();

  /** Starts relaying: the sweep, and a pass after each commit that added events. */
  start(): void {
    this.started = true;
    this.passes.start();
  }

  /** After a commit: `passes` passes of the relay, if started (wakes while one runs coalesce). */
  private wake(passes: number): void {
    if (this.started) this.passes.kick(passes);
  }

  /**
   * Stops the sweep, waits for the pass in flight, then makes one last pass so events committed by
   * the calls that just finished go out now rather than at the next start (they are safe either way).
   */
  async stop(): Promise<void> {
    await this.passes.stop();
    await this.drain();
  }

  /**
   * Relays until nothing is left or publishing fails; returns how many rows were published.
   * A pass woken by a commit (`untilEmpty: false`) stops at the first short batch instead of
   * paying one more transaction to find nothing: whatever committed since woke another pass.
   */
  async drain({ untilEmpty = true } = {}): Promise<number> {
    let total = 0;
    try {
      while (this.bus.isConnected) {
        const n = await this.relayBatch();
        if (n > 0) total += n;
        if (n <= 0 || (!untilEmpty && n < this.batchSize)) break;
      }
      await this.prune();
    } catch (err) {
      this.log.warn({ err }, "outbox relay failed; the sweep will retry");
    }
    return total;
  }

  /** Publishes one batch; returns the rows published, or -1 when a publish failed. */
  private async relayBatch(): Promise<number> {
    return this.db.transaction(async (tx) => {
      const rows = await prepared(tx, "relay_batch", (d) => {
        const earlier = alias(outbox, "earlier");
        return d
          .select({ id: outbox.id, eventId: outbox.eventId, subject: outbox.subject, payload: outbox.payload, headers: outbox.headers })
          .from(outbox)
          .where(
            and(
              isNull(outbox.publishedAt),
              notExists(
                d
                  .select({ one: sql`1` })
                  .from(earlier)
                  .where(and(isNull(earlier.publishedAt), eq(earlier.aggregateId, outbox.aggregateId), lt(earlier.id, outbox.id))),
              ),
            ),
          )
          .orderBy(outbox.id)
          .limit(sql.placeholder("limit"))
          .for("update", { skipLocked: true });
      }).execute({ limit: this.batchSize });
      if (rows.length === 0) return 0;

      // Rows of one batch belong to different aggregates, so they may go out concurrently.
      const results = await Promise.allSettled(rows.map((r) => this.bus.publish(r.subject, r.payload, r.eventId, r.headers)));
      const published = rows.filter((_, i) => results[i]?.status === "fulfilled").map((r) => r.id);
      if (published.length > 0) {
        await prepared(tx, "mark_published", (d) =>
          d
            .update(outbox)
            .set({ publishedAt: sql`now()` })
            .where(sql`${outbox.id} = any(${sql.placeholder("ids")})`),
        ).execute({ ids: published });
      }
      const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
      if (failed) {
        // Keep what was acked; the rest stays for the sweep. Stop this drain: NATS is struggling.
        this.log.warn({ err: failed.reason, failed: rows.length - published.length }, "outbox publish failed");
        return -1;
      }
      return published.length;
    });
  }

  private async prune(): Promise<void> {
    if (Date.now() - this.lastPrune < this.pruneEveryMs) return;
    this.lastPrune = Date.now();
    const cutoff = new Date(Date.now() - this.retentionMs);
    await this.db.delete(outbox).where(lt(outbox.publishedAt, cutoff));
  }

  /** Unpublished rows, and how long the oldest has waited: the backlog, for metrics and operators. */
  backlog(): Promise<{ pending: number; oldestAgeSeconds: number }> {
    return outboxBacklog(this.db);
  }
}

/** An outbox's unpublished rows, and how long the oldest has waited (seconds; 0 when none). */
export async function outboxBacklog(db: Executor): Promise<{ pending: number; oldestAgeSeconds: number }> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int`, age: sql<number>`coalesce(extract(epoch from now() - min(${outbox.createdAt})), 0)::float8` })
    .from(outbox)
    .where(isNull(outbox.publishedAt));
  return { pending: row?.n ?? 0, oldestAgeSeconds: row?.age ?? 0 };
}

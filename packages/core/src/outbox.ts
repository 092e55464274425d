import { and, isNull, lt, sql } from "drizzle-orm";
import type { Bus } from "./bus.ts";
import { afterCommit, type Executor, inOrder, placeholdersFor, prepared, valuesOf } from "./db.ts";
import { type Envelope, encodeEvent, subjectFor } from "./events.ts";
import type { Logger } from "./logger.ts";
import { Passes } from "./passes.ts";
import { outbox } from "./tables.ts";

type Row = typeof outbox.$inferSelect;
/** A row a transaction of this process added: relayed by id once it commits. */
type Committed = Pick<Row, "id" | "aggregateId">;

/** What the relay reads of a row. */
const RELAYED = {
  id: outbox.id,
  eventId: outbox.eventId,
  subject: outbox.subject,
  aggregateId: outbox.aggregateId,
  payload: outbox.payload,
  headers: outbox.headers,
};
type Relayed = Pick<Row, keyof typeof RELAYED>;

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
  private readonly sweepMs: number;
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
    this.sweepMs = options.sweepMs ?? 1000;
    this.passes = new Passes(() => this.pass(), this.sweepMs);
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
    const inserted = await prepared(tx, name, (d) =>
      d.insert(outbox).values(placeholdersFor(rows)).returning({ id: outbox.id, aggregateId: outbox.aggregateId }),
    ).execute(valuesOf(rows));
    // Once the transaction commits, its rows are this process's to relay by id (see relayCommitted).
    let added = this.addedIn.get(tx);
    if (!added) {
      const mine: Committed[] = [];
      this.addedIn.set(tx, mine);
      afterCommit(tx, () => this.wake(mine));
      added = mine;
    }
    added.push(...inserted);
  }

  /** Per open transaction: the rows it added. */
  private readonly addedIn = new WeakMap<Executor, Committed[]>();
  /** Rows this process's transactions committed that no pass has taken yet. */
  private committed: Committed[] = [];

  /** Starts relaying: the sweep, and a pass after each commit that added events. */
  start(): void {
    this.started = true;
    this.passes.start();
  }

  /** After a commit: its rows go out in the next pass, if the relay is started (wakes while one runs coalesce). */
  private wake(rows: Committed[]): void {
    if (!this.started) return;
    this.committed.push(...rows);
    this.passes.kick();
  }

  /**
   * Stops the sweep, waits for the pass in flight, then makes one last pass so events committed by
   * the calls that just finished go out now rather than at the next start (they are safe either way).
   */
  async stop(): Promise<void> {
    await this.passes.stop();
    this.committed = [];
    await this.drain();
  }

  private lastScan = 0;

  /**
   * One pass: the rows this process committed, by id; then a scan of every unpublished row when
   * no commit woke this pass (the sweep), when some committed row could not go out by id, or at
   * least every sweepMs. The scan reads the unpublished-rows index from its first entry, and
   * between two vacuums that index keeps every row published since (dead, but still read, and
   * their heap rows fetched): at 740 orders/s a scan read ~7,800 entries 30 s into a run, once per
   * commit. By id, a pass reads only its own rows.
   */
  private async pass(): Promise<void> {
    const mine = this.committed.splice(0);
    let scan = mine.length === 0 || Date.now() - this.lastScan >= this.sweepMs;
    try {
      for (let i = 0; i < mine.length && this.bus.isConnected; i += this.batchSize) {
        const batch = mine.slice(i, i + this.batchSize);
        if ((await this.relayCommitted(batch)) < batch.length) scan = true;
      }
    } catch (err) {
      this.log.warn({ err }, "outbox relay failed; the sweep will retry");
      scan = true;
    }
    if (!scan) return;
    this.lastScan = Date.now();
    await this.drain({ untilEmpty: false });
  }

  /**
   * Relays until a batch publishes nothing (nothing left, NATS down, or only rows it refuses);
   * returns how many rows were published. A row that fails holds back only its own aggregate, so
   * a batch that published some goes on. A pass (`untilEmpty: false`) stops at the first batch
   * that is not full instead of paying one more transaction to find nothing: whatever committed
   * since woke another pass.
   */
  async drain({ untilEmpty = true } = {}): Promise<number> {
    let total = 0;
    try {
      while (this.bus.isConnected) {
        const { claimed, published } = await this.relayBatch();
        total += published;
        if (published === 0 || (!untilEmpty && claimed < this.batchSize)) break;
      }
      await this.prune();
    } catch (err) {
      this.log.warn({ err }, "outbox relay failed; the sweep will retry");
    }
    return total;
  }

  /**
   * Publishes rows this process committed, by id; returns how many went out. Two statements, no
   * join (relayBatch says why): its rows, locked, and every row of their aggregates before the
   * last of them (the `(aggregate_id, id)` index, a few rows an aggregate; published ones too, so
   * that no partial index, whose statistics say "empty", can serve it). A row waits for the scan
   * when an earlier unpublished row of its aggregate is not among them (another transaction's), or
   * is among them but was not claimed (another relay has it locked); the rest of one aggregate go
   * out one after another, in order.
   */
  private async relayCommitted(batch: Committed[]): Promise<number> {
    return this.db.transaction(async (tx) => {
      const ids = batch.map((r) => r.id);
      const aggregates = [...new Set(batch.map((r) => r.aggregateId))];
      const [claimed, before] = await inOrder(
        tx,
        () =>
          prepared(tx, "relay_committed", (d) =>
            d
              .select({ ...RELAYED, publishedAt: outbox.publishedAt })
              .from(outbox)
              .where(sql`${outbox.id} = any(${sql.placeholder("ids")})`)
              .orderBy(outbox.id)
              .for("update", { skipLocked: true }),
          ).execute({ ids }),
        () =>
          prepared(tx, "relay_committed_before", (d) =>
            d
              .select({ id: outbox.id, aggregateId: outbox.aggregateId, publishedAt: outbox.publishedAt })
              .from(outbox)
              .where(and(sql`${outbox.aggregateId} = any(${sql.placeholder("aggregates")})`, sql`${outbox.id} < ${sql.placeholder("last")}`)),
          ).execute({ aggregates, last: Math.max(...ids) }),
      );
      // Per aggregate, the first row that holds its later ones back: one of the batch not claimed,
      // or an unpublished one that is not the batch's.
      const got = new Set(claimed.map((r) => r.id));
      const mine = new Set(ids);
      const holdsBack = new Map<string, number>();
      const hold = (aggregateId: string, id: number) => holdsBack.set(aggregateId, Math.min(id, holdsBack.get(aggregateId) ?? id));
      for (const r of batch) if (!got.has(r.id)) hold(r.aggregateId, r.id);
      for (const r of before) if (r.publishedAt === null && !mine.has(r.id)) hold(r.aggregateId, r.id);
      return this.publish(
        tx,
        claimed.filter((r) => r.publishedAt === null && r.id < (holdsBack.get(r.aggregateId) ?? Number.POSITIVE_INFINITY)),
      );
    });
  }

  /**
   * Publishes one batch of the scan: the oldest unpublished row of up to `batchSize` aggregates, so
   * one aggregate's events go out in order and its backlog, or a head JetStream keeps refusing,
   * holds back only itself; those no other relay has locked. Returns how many it claimed and how
   * many went out.
   *
   * A skip scan of outbox_unpublished_idx, (aggregate_id, id) of unpublished rows: one descent per
   * aggregate, from the smallest aggregate id (the services' ids are UUIDv7: oldest first). So a
   * batch reads its heads and the entries of rows published since the last vacuum, never an
   * aggregate's backlog (20,000 rows of one aggregate behind 100,000 published: 6 heads in 4 ms,
   * 0.15 ms after a vacuum). No join: the planner believes what the last ANALYZE saw, and a relay
   * that keeps up leaves ~0 unpublished rows then; given that belief a NOT EXISTS form was
   * planned to read every unpublished row for each candidate (240 ms a pass with a backlog of a
   * few thousand, 760 ms with 20,000), and so was each descent here while another index held
   * unpublished rows (tables.ts). A row another relay published since this statement's snapshot
   * is returned with its publishedAt set once the lock is ours, and skipped.
   */
  private async relayBatch(): Promise<{ claimed: number; published: number }> {
    return this.db.transaction(async (tx) => {
      const rows = await prepared(tx, "relay_batch", (d) =>
        d
          .select({ ...RELAYED, publishedAt: outbox.publishedAt })
          .from(outbox)
          .where(sql`${outbox.id} = any(array(
            with recursive heads as (
              (select aggregate_id, id from outbox where published_at is null order by aggregate_id, id limit 1)
              union all
              select next.aggregate_id, next.id from heads, lateral (
                select aggregate_id, id from outbox where published_at is null and aggregate_id > heads.aggregate_id
                order by aggregate_id, id limit 1
              ) next
            )
            select id from heads limit ${sql.placeholder("limit")}))`)
          .orderBy(outbox.id)
          .for("update", { skipLocked: true }),
      ).execute({ limit: this.batchSize });
      const unpublished = rows.filter((r) => r.publishedAt === null);
      if (unpublished.length === 0) return { claimed: 0, published: 0 };
      const published = await this.publish(tx, unpublished);
      // Rows a commit handed over that the scan took are not looked for by id again (the next pass
      // would miss them and scan once more, and so on under load).
      const taken = new Set(unpublished.map((r) => r.id));
      this.committed = this.committed.filter((r) => !taken.has(r.id));
      return { claimed: unpublished.length, published };
    });
  }

  /**
   * Publishes claimed rows and marks those JetStream acked, in `tx`: the rows of one aggregate one
   * after another in id order (a failure leaves that aggregate's later rows), aggregates at once.
   * Returns how many were acked.
   */
  private async publish(tx: Executor, rows: Relayed[]): Promise<number> {
    const published: number[] = [];
    let failure: unknown;
    await Promise.all(
      [...Map.groupBy(rows, (r) => r.aggregateId).values()].map(async (group) => {
        for (const r of group) {
          try {
            await this.bus.publish(r.subject, r.payload, r.eventId, r.headers);
            published.push(r.id);
          } catch (err) {
            failure ??= err;
            return;
          }
        }
      }),
    );
    if (published.length > 0) {
      await prepared(tx, "mark_published", (d) =>
        d
          .update(outbox)
          .set({ publishedAt: sql`now()` })
          .where(sql`${outbox.id} = any(${sql.placeholder("ids")})`),
      ).execute({ ids: published });
    }
    // Keep what was acked; the rest stays for the sweep.
    if (failure) this.log.warn({ err: failure, failed: rows.length - published.length }, "outbox publish failed");
    return published.length;
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

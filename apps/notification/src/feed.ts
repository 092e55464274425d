import { once } from "node:events";
import { AppError, type Executor, invalid, type Logger, status, withTimeout } from "@evented/core";
import type { notificationV1 } from "@evented/proto";
import type { ServerWritableStream } from "@grpc/grpc-js";
import type postgres from "postgres";
import { FEED_CHANNEL, feedAfter, latestFeedId } from "./repository.ts";
import { toProto } from "./to-proto.ts";

export interface FeedOptions {
  /** How often a stream looks anyway, should a NOTIFY be lost (a dropped LISTEN connection). */
  pollMs?: number;
  /** Entries read (and held) at a time per stream. */
  batchSize?: number;
  /** Open streams per user in this process. */
  maxStreamsPerUser?: number;
}

type Call = ServerWritableStream<notificationV1.StreamNotificationsRequest, notificationV1.StreamNotificationsResponse>;

/** A stream's wake-up: set by NOTIFY (or the poll), taken before each read so none is lost in between. */
interface Waiter {
  dirty: boolean;
  wake?: () => void;
}

/**
 * The live feed of each user: a stream reads the user's feed entries after its cursor, writes them
 * (waiting while the client is slow, so a stream holds at most one batch), then sleeps until a
 * NOTIFY for its user (any replica's write: LISTEN sees every commit), its poll, or the end. Each
 * read also says whether entries after the cursor were pruned: then a reset goes first.
 */
export class Feed {
  private readonly o: Required<FeedOptions>;
  private readonly waiters = new Map<string, Set<Waiter>>();
  private readonly stopping = new AbortController();
  private listening?: postgres.ListenMeta;

  constructor(
    private readonly db: Executor,
    private readonly sql: postgres.Sql,
    private readonly log: Logger,
    options: FeedOptions = {},
  ) {
    this.o = { pollMs: 5000, batchSize: 100, maxStreamsPerUser: 5, ...options };
  }

  /** LISTENs for feed writes; without it (a database that refuses LISTEN) streams still poll. */
  async start(): Promise<void> {
    try {
      // On a reconnect of the LISTEN connection every stream looks again: NOTIFYs may have been missed.
      const listening = this.sql.listen(
        FEED_CHANNEL,
        (userId) => this.wake(this.waiters.get(userId)),
        () => this.wakeAll(),
      );
      // A database that never answers LISTEN must not hold up the start: streams poll instead.
      this.listening = await withTimeout(listening, 5000);
    } catch (err) {
      this.log.warn({ err }, `cannot LISTEN ${FEED_CHANNEL}; live streams fall back to polling every ${this.o.pollMs} ms`);
    }
  }

  /** Ends every open stream (as the server stops, so it need not wait for them) and the LISTEN. */
  async stop(): Promise<void> {
    this.stopping.abort();
    this.wakeAll();
    await this.listening?.unlisten().catch(() => {});
  }

  /** Serves one stream until the client goes or the service stops. */
  async serve(call: Call, userId: string, after: string): Promise<void> {
    let cursor = after === "" ? await latestFeedId(this.db, userId) : parseCursor(after);
    const mine = this.waiters.get(userId) ?? new Set<Waiter>();
    if (mine.size >= this.o.maxStreamsPerUser) throw new AppError(status.RESOURCE_EXHAUSTED, `at most ${this.o.maxStreamsPerUser} open streams per user`);
    const waiter: Waiter = { dirty: true };
    mine.add(waiter);
    this.waiters.set(userId, mine);
    const gone = new AbortController();
    const end = () => gone.abort();
    call.on("cancelled", end);
    call.on("close", end);
    const done = AbortSignal.any([gone.signal, this.stopping.signal]);
    done.addEventListener("abort", () => this.wake(new Set([waiter])));
    // Waits while the client is slow, so a stream holds at most one batch.
    const send = async (message: notificationV1.StreamNotificationsResponse) => {
      if (!call.write(message)) await once(call, "drain", { signal: done }).catch(() => {});
    };
    try {
      call.write({ message: { $case: "subscribed", value: String(cursor) } });
      while (!done.aborted) {
        waiter.dirty = false;
        const { prunedThrough, entries } = await feedAfter(this.db, userId, cursor, this.o.batchSize);
        if (prunedThrough > cursor) {
          // Changes after the cursor are gone (a client away longer than the feed keeps them): say
          // so before the rest, which goes on after the highest one gone; the client reloads its
          // list, which holds everything up to there.
          cursor = prunedThrough;
          await send({ message: { $case: "reset", value: { cursor: String(cursor) } } });
          continue;
        }
        for (const e of entries) {
          if (done.aborted) return;
          await send({ message: { $case: "change", value: { cursor: String(e.id), notification: toProto(e.notification) } } });
          cursor = e.id;
        }
        if (entries.length < this.o.batchSize && !waiter.dirty) await this.sleep(waiter);
      }
    } finally {
      mine.delete(waiter);
      if (mine.size === 0) this.waiters.delete(userId);
      call.off("cancelled", end);
      call.off("close", end);
    }
  }

  private sleep(waiter: Waiter): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => waiter.wake?.(), this.o.pollMs);
      waiter.wake = () => {
        clearTimeout(timer);
        waiter.wake = undefined;
        resolve();
      };
    });
  }

  private wake(waiters: Set<Waiter> | undefined): void {
    for (const w of waiters ?? []) {
      w.dirty = true;
      w.wake?.();
    }
  }

  private wakeAll(): void {
    for (const ws of this.waiters.values()) this.wake(ws);
  }
}

/** A cursor is a feed id as a decimal string; anything else is the caller's mistake. */
function parseCursor(value: string): number {
  if (!/^\d{1,15}$/.test(value)) throw invalid("the stream cursor (Last-Event-ID) is not one this feed gave");
  return Number(value);
}

// End-to-end event latency: an event's outbox row (written in the change's transaction) joined
// with the notification stored for it, by event id. Both created_at come from PostgreSQL's clock
// (each is the start of its transaction: now()), so there is no clock skew between them. Its queries
// say /* bench-probe */, so bench/statements.ts can tell them from the system's, and their
// connections are named "bench", so the CPU of their backends is not counted as the system's.
import postgres from "postgres";
import { round } from "./sampler.ts";

export interface EventLatency {
  events: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Events with no notification after the bounded wait. */
  lost: number;
  /** How long the last notification took to arrive after the load stopped (the backlog drained). */
  drainMs: number;
}

export function eventProbe(outboxDbUrl: string, notificationDbUrl: string) {
  const outboxDb = postgres(outboxDbUrl, { max: 1, onnotice: () => {}, connection: { application_name: "bench" } });
  const notificationDb = postgres(notificationDbUrl, { max: 1, onnotice: () => {}, connection: { application_name: "bench" } });
  const notified = notificationWatch(notificationDb);
  /** The feed's position at each mark: where the wait for that run's notifications starts reading. */
  const feedAt = new Map<number, number>();

  return {
    /** The newest outbox row now: events of a run are the rows after the mark taken before it. */
    async mark(): Promise<number> {
      const [row] = await outboxDb`select /* bench-probe */ coalesce(max(id), 0)::int8 as id from outbox`;
      const id = Number(row!.id);
      if (!feedAt.has(id)) feedAt.set(id, await notified.position());
      return id;
    },

    /** Waits up to `waitMs` for every event in (from, to] to have its notification, then measures. */
    async measure(from: number, to: number, waitMs: number): Promise<EventLatency> {
      const sent = await outboxDb<{ eventId: string; ms: number }[]>`
        select /* bench-probe */ event_id::text as "eventId", extract(epoch from created_at)::float8 * 1000 as ms
        from outbox where id > ${from} and id <= ${to}`;
      const ids = sent.map((r) => r.eventId);
      const started = Date.now();
      await notified.waitFor(ids, feedAt.get(from) ?? 0, waitMs);
      const drainMs = Date.now() - started;
      const stored = ids.length
        ? await notificationDb<{ eventId: string; ms: number }[]>`
            select /* bench-probe */ event_id::text as "eventId", extract(epoch from created_at)::float8 * 1000 as ms
            from notifications where event_id = any(${ids}::uuid[])`
        : [];
      const at = new Map(stored.map((r) => [r.eventId, r.ms]));
      const latencies = sent.flatMap((r) => (at.has(r.eventId) ? [at.get(r.eventId)! - r.ms] : [])).sort((a, b) => a - b);
      const q = (p: number) => round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0, 2);
      return {
        events: ids.length,
        p50Ms: q(0.5),
        p99Ms: q(0.99),
        maxMs: round(latencies.at(-1) ?? 0, 2),
        lost: ids.length - latencies.length,
        drainMs,
      };
    },

    /**
     * Waits up to `waitMs` until no delivery is due: the notification worker has sent what the
     * previous run left it, so that work does not compete with the next run.
     */
    async settled(waitMs: number): Promise<void> {
      const deadline = Date.now() + waitMs;
      while (Date.now() < deadline) {
        const [row] = await notificationDb`
          select /* bench-probe */ count(*)::int as due from deliveries where status = 'pending' and next_attempt_at <= now()`;
        if (row!.due === 0) return;
        await Bun.sleep(200);
      }
    },

    /** Lets the events after `from` be notified and their deliveries sent, before the next run. */
    async drain(from: number, waitMs: number): Promise<void> {
      await this.measure(from, await this.mark(), waitMs);
      await this.settled(waitMs);
    },

    close: () => Promise.all([outboxDb.end(), notificationDb.end()]),
  };
}

/**
 * Waits for the notifications of given events by reading the notification feed forward from a
 * position: each poll reads only the rows added since the last one. (Asking "are all N stored?"
 * with `event_id = any(all N ids)` costs the database ~20 ms for 5,000 ids, 20 times a second: a
 * sizeable part of a 2-core machine, taken from the worker being measured.) The feed's ids become
 * visible in order (its writes take a lock: see appendFeed), so no row is skipped by a cursor.
 */
export function notificationWatch(notificationDb: postgres.Sql) {
  return {
    /** The feed's newest id now. */
    async position(): Promise<number> {
      const [row] = await notificationDb`select /* bench-probe */ coalesce(max(id), 0)::int8 as id from notification_feed`;
      return Number(row!.id);
    },
    /** Until every one of `eventIds` has a notification written after feed id `from`, or `waitMs` passed; returns how many did. */
    async waitFor(eventIds: string[], from: number, waitMs: number): Promise<number> {
      const missing = new Set(eventIds);
      const deadline = Date.now() + waitMs;
      let cursor = from;
      while (missing.size > 0 && Date.now() < deadline) {
        const rows = await notificationDb<{ id: string; eventId: string }[]>`
          select /* bench-probe */ f.id::text as id, n.event_id::text as "eventId"
          from notification_feed f join notifications n on n.id = f.notification_id
          where f.id > ${cursor} order by f.id limit 10000`;
        for (const r of rows) missing.delete(r.eventId);
        if (rows.length > 0) cursor = Number(rows.at(-1)!.id);
        if (rows.length < 10000 && missing.size > 0) await Bun.sleep(50);
      }
      return eventIds.length - missing.size;
    },
  };
}

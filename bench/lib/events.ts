// End-to-end event latency: an event's outbox row (written in the change's transaction) joined
// with the notification stored for it, by event id. Both created_at come from PostgreSQL's clock
// (each is the start of its transaction: now()), so there is no clock skew between them. Its queries
// say /* bench-probe */, so bench/statements.ts can tell them from the system's.
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
  const outboxDb = postgres(outboxDbUrl, { max: 1, onnotice: () => {} });
  const notificationDb = postgres(notificationDbUrl, { max: 1, onnotice: () => {} });

  return {
    /** The newest outbox row now: events of a run are the rows after the mark taken before it. */
    async mark(): Promise<number> {
      const [row] = await outboxDb`select /* bench-probe */ coalesce(max(id), 0)::int8 as id from outbox`;
      return Number(row!.id);
    },

    /** Waits up to `waitMs` for every event in (from, to] to have its notification, then measures. */
    async measure(from: number, to: number, waitMs: number): Promise<EventLatency> {
      const sent = await outboxDb<{ eventId: string; ms: number }[]>`
        select /* bench-probe */ event_id::text as "eventId", extract(epoch from created_at)::float8 * 1000 as ms
        from outbox where id > ${from} and id <= ${to}`;
      const ids = sent.map((r) => r.eventId);
      const started = Date.now();
      let stored: { eventId: string; ms: number }[] = [];
      while (true) {
        stored = ids.length
          ? await notificationDb<{ eventId: string; ms: number }[]>`
              select /* bench-probe */ event_id::text as "eventId", extract(epoch from created_at)::float8 * 1000 as ms
              from notifications where event_id = any(${ids}::uuid[])`
          : [];
        if (stored.length >= ids.length || Date.now() - started > waitMs) break;
        await Bun.sleep(200);
      }
      const at = new Map(stored.map((r) => [r.eventId, r.ms]));
      const latencies = sent.flatMap((r) => (at.has(r.eventId) ? [at.get(r.eventId)! - r.ms] : [])).sort((a, b) => a - b);
      const q = (p: number) => round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0, 2);
      return {
        events: ids.length,
        p50Ms: q(0.5),
        p99Ms: q(0.99),
        maxMs: round(latencies.at(-1) ?? 0, 2),
        lost: ids.length - latencies.length,
        drainMs: Date.now() - started,
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

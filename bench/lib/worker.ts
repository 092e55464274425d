// The notification worker alone: N OrderCreated events (of seeded customers) published straight
// into the run's stream, as the order service's relay would, and the time until the worker has
// stored a notification for every one. Against it, a bare JetStream pull consumer fetching and
// acking the same N messages: the broker's and client's own limit for the consume-and-ack part.
import { encodeEvent, newEvent, subjectFor } from "@evented/core";
import { AckPolicy, connect, DeliverPolicy } from "nats";
import postgres from "postgres";
import type { Customers } from "./customers.ts";
import { notificationWatch } from "./events.ts";
import type { WorkerRun } from "./results.ts";
import { type PidSource, round, startSampler } from "./sampler.ts";
import type { BenchSystem } from "./system.ts";

export async function workerPhase(system: BenchSystem, customers: Customers, count: number, groups: Record<string, PidSource>): Promise<WorkerRun> {
  const ids = customers.people.map((p) => p.id);
  const events = Array.from({ length: count }, (_, i) => {
    const orderId = Bun.randomUUIDv7();
    const userId = ids[i % ids.length]!;
    const items = [{ productId: "456", quantity: 2, unitPrice: 1250 }];
    return newEvent("order", orderId, { $case: "orderCreated", value: { orderId, userId, items, currency: "USD", total: 2500 } });
  });
  const nc = await connect({ servers: "nats://127.0.0.1:4222" });
  const db = postgres(system.databases.notification.url, { max: 1, onnotice: () => {}, connection: { application_name: "bench" } });
  const notified = notificationWatch(db);
  const sampler = startSampler({ notification: groups.notification!, postgres: groups.postgres!, "nats (shared)": groups["nats (shared)"]! });
  try {
    const js = nc.jetstream();
    const feedFrom = await notified.position();
    const started = performance.now();
    let firstSeq = 0;
    // In windows of 256 acks in flight, as the relay publishes a batch concurrently.
    for (let i = 0; i < events.length; i += 256) {
      const acks = await Promise.all(events.slice(i, i + 256).map((e) => js.publish(subjectFor(system.stream.prefix, e), encodeEvent(e), { msgID: e.id })));
      if (i === 0) firstSeq = Math.min(...acks.map((a: { seq: number }) => a.seq));
    }
    const stored = await notified.waitFor(
      events.map((e) => e.id),
      feedFrom,
      120_000,
    );
    const workerMs = performance.now() - started;
    const processes = await sampler.stop();

    // The same messages through a bare consumer: fetch and ack, nothing else.
    const jsm = await nc.jetstreamManager();
    const durable = `bench-raw-${Date.now().toString(36)}`;
    await jsm.consumers.add(system.stream.stream, {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: firstSeq,
      filter_subject: `${system.stream.prefix}.order.created`,
      max_ack_pending: 1024,
    });
    const consumer = await js.consumers.get(system.stream.stream, durable);
    const rawStarted = performance.now();
    let seen = 0;
    // Batches of pulls, as the worker's consumer pulls (it asks for twice its concurrency at a time).
    while (seen < count) {
      const batch = await consumer.fetch({ max_messages: Math.min(256, count - seen), expires: 2000 });
      let got = 0;
      for await (const m of batch) {
        m.ack();
        got++;
      }
      seen += got;
      if (got === 0) break;
    }
    const rawMs = performance.now() - rawStarted;
    await jsm.consumers.delete(system.stream.stream, durable);
    const result: WorkerRun = {
      events: count,
      notified: stored,
      workerEventsPerS: round((stored / workerMs) * 1000),
      rawConsumeAckPerS: round((seen / rawMs) * 1000),
      processes,
    };
    console.log(`worker only: ${stored} of ${count} events notified at ${result.workerEventsPerS}/s; bare consume+ack ${result.rawConsumeAckPerS}/s`);
    return result;
  } finally {
    await db.end();
    await nc.close();
  }
}

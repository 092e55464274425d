// The transactional outbox against the real PostgreSQL and NATS: atomic with the change it
// records, published with the event id as Nats-Msg-Id only once acked, fast path and sweep,
// several relays at once, per-aggregate order, and pruning.
import { afterAll, afterEach, beforeAll, beforeEach, expect, setDefaultTimeout, test } from "bun:test";
import type { Bus } from "@evented/core/bus";
import { decodeEvent, type Envelope } from "@evented/core/events";
import { Outbox } from "@evented/core/outbox";
import { outbox } from "@evented/core/tables";
import { waitFor } from "@evented/testing";
import { eq, inArray, isNull, sql } from "drizzle-orm";
import { silent, testDatabase, testStream, userCreated } from "./test-env.ts";

setDefaultTimeout(30_000);

let pg: Awaited<ReturnType<typeof testDatabase>>;
let nats: Awaited<ReturnType<typeof testStream>>;
const cleanups: (() => Promise<unknown> | unknown)[] = [];

beforeAll(async () => {
  pg = await testDatabase("outbox");
  await pg.sql`create table things (id text primary key)`;
});
afterAll(() => pg?.drop());
beforeEach(async () => {
  nats = await testStream();
  await pg.sql`truncate outbox, things`;
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await nats.remove();
});

/** A relay that the test stops afterwards. */
function relay(bus: Bus = nats.bus, options: ConstructorParameters<typeof Outbox>[3] = {}, db = pg.db) {
  const o = new Outbox(db, bus, silent, options);
  cleanups.push(() => o.stop());
  return o;
}

const unpublished = async () => (await pg.db.select().from(outbox).where(isNull(outbox.publishedAt))).length;

/** Every message in the stream, in stream order. */
async function streamMessages(expected: number): Promise<{ event: Envelope; msgId: string | undefined }[]> {
  const consumer = await nats.bus.js.consumers.get(nats.stream); // ordered, ephemeral
  const out: { event: Envelope; msgId: string | undefined }[] = [];
  if (expected === 0) return out;
  const messages = await consumer.consume();
  for await (const m of messages) {
    out.push({ event: decodeEvent(m.data), msgId: m.headers?.get("Nats-Msg-Id") });
    if (out.length === expected) break;
  }
  return out;
}
const streamCount = async () => (await nats.bus.jsm.streams.info(nats.stream)).state.messages;

test("a change and its event commit together: a failed transaction leaves neither, a failed outbox write undoes the change", async () => {
  const o = relay();
  const kept = userCreated("kept");
  await pg.db.transaction(async (tx) => {
    await tx.execute(sql`insert into things values ('kept')`);
    await o.add(tx, kept);
  });

  const failed = await pg.db
    .transaction(async (tx) => {
      await tx.execute(sql`insert into things values ('rolled-back')`);
      await o.add(tx, userCreated("rolled-back"));
      throw new Error("the business rule said no");
    })
    .catch((e: Error) => e);
  expect(failed.message).toBe("the business rule said no");

  // The outbox write fails (an event id already taken): the change must not stay either.
  const outboxFailed = await pg.db
    .transaction(async (tx) => {
      await tx.execute(sql`insert into things values ('outbox-failed')`);
      await o.add(tx, { ...userCreated("outbox-failed"), id: kept.id });
    })
    .catch((e: Error) => e);
  expect(outboxFailed).toBeInstanceOf(Error);

  expect((await pg.sql`select id from things order by id`).map((r) => r.id)).toEqual(["kept"]);
  expect(await pg.db.select({ eventId: outbox.eventId, aggregateId: outbox.aggregateId }).from(outbox)).toEqual([{ eventId: kept.id, aggregateId: "kept" }]);
});

test("rows are marked published only after JetStream acks, with the event id as Nats-Msg-Id", async () => {
  const o = relay(nats.bus, { sweepMs: 100 });
  await nats.bus.jsm.streams.delete(nats.stream); // JetStream will not ack: nothing stores the subject
  const event = userCreated("agg-1");
  await pg.db.transaction((tx) => o.add(tx, event));
  expect(await o.drain()).toBe(0);
  expect(await unpublished()).toBe(1);

  await nats.bus.ensureStream(); // JetStream is back: the sweep publishes it
  o.start();
  await waitFor("the row to be published", async () => (await unpublished()) === 0);
  const [message] = await streamMessages(1);
  expect(message?.msgId).toBe(event.id);
  expect(message?.event).toEqual(event);
});

test("fast path: a committed transaction's events are published without any kick; a rolled-back one's never are", async () => {
  const o = relay(nats.bus, { sweepMs: 3600_000 }); // no sweep during the test: only the commit can wake the relay
  o.start();
  const [dropped, kept] = [userCreated("dropped"), userCreated("kept")];
  const failed = await pg.db
    .transaction(async (tx) => {
      await o.add(tx, dropped);
      throw new Error("the business rule said no");
    })
    .catch((e: Error) => e);
  expect(failed).toBeInstanceOf(Error);
  await pg.db.transaction(async (tx) => {
    await o.add(tx, kept);
    // Still inside the transaction: a relay woken now would find nothing to publish.
    await tx.execute(sql`select pg_sleep(0.05)`);
  });
  await waitFor("the commit to publish", async () => (await streamCount()) >= 1, { timeoutMs: 10_000 });
  expect(await unpublished()).toBe(0);
  expect((await streamMessages(1)).map((m) => m.msgId)).toEqual([kept.id]);
  expect(await streamCount()).toBe(1);
});

test("events added in a savepoint are published once the outer transaction commits", async () => {
  const o = relay(nats.bus, { sweepMs: 3600_000 });
  o.start();
  const event = userCreated("nested");
  await pg.db.transaction((tx) => tx.transaction((savepoint) => o.add(savepoint, event)));
  await waitFor("the outer commit to publish", async () => (await unpublished()) === 0, { timeoutMs: 10_000 });
  expect((await streamMessages(1))[0]?.msgId).toBe(event.id);
});

test("a crash between commit and publish: the sweep of any relay publishes the event", async () => {
  const survivor = relay(nats.bus, { sweepMs: 100 });
  survivor.start();
  // The writer commits and dies before its relay runs (it was never started): only a sweep can publish this row.
  const writer = new Outbox(pg.db, nats.bus, silent);
  const event = userCreated("orphan");
  await pg.db.transaction((tx) => writer.add(tx, event));
  await waitFor("the sweep to publish the orphan", async () => (await unpublished()) === 0);
  expect((await streamMessages(1))[0]?.msgId).toBe(event.id);
});

test("a row committed after a later id is not skipped", async () => {
  const o = relay(nats.bus, { sweepMs: 100 });
  o.start();
  let commitFirst!: () => void;
  const gate = new Promise<void>((resolve) => (commitFirst = resolve));
  const early = userCreated("early");
  const late = userCreated("late");
  let added!: () => void;
  const inserted = new Promise<void>((resolve) => (added = resolve));
  const slow = pg.db.transaction(async (tx) => {
    await o.add(tx, early); // takes the lower id, commits last
    added();
    await gate;
  });
  await inserted;
  await pg.db.transaction((tx) => o.add(tx, late)); // its commit wakes the relay
  await waitFor("the later id to be published", async () => (await streamCount()) === 1);
  commitFirst();
  await slow;
  await waitFor("the earlier id to be published too", async () => (await unpublished()) === 0);
  const ids = (await pg.db.select({ id: outbox.id, eventId: outbox.eventId }).from(outbox).orderBy(outbox.id)).map((r) => r.eventId);
  expect(ids).toEqual([early.id, late.id]);
  expect((await streamMessages(2)).map((m) => m.msgId)).toEqual([late.id, early.id]);
});

test("three relays on one database never publish a row twice, and keep each aggregate in order", async () => {
  const EVENTS = 600;
  const aggregates = Array.from({ length: 20 }, (_, i) => `agg-${i}`);
  const published: string[] = [];
  const relays: Outbox[] = [];
  for (let i = 0; i < 3; i++) {
    const bus = await nats.connect();
    cleanups.push(() => bus.close());
    const own = await pg.open(); // each relay on its own pool, as separate replicas
    cleanups.push(() => own.close());
    const publish = bus.publish.bind(bus);
    bus.publish = (subject, data, msgId, headers, timeout) => {
      published.push(msgId);
      return publish(subject, data, msgId, headers, timeout);
    };
    relays.push(relay(bus, { batchSize: 25, sweepMs: 50 }, own.db));
  }

  const events = Array.from({ length: EVENTS }, (_, i) => userCreated(aggregates[i % aggregates.length]!));
  // Half is waiting when the relays start, half arrives while they run.
  for (let i = 0; i < EVENTS / 2; i += 50) await pg.db.transaction((tx) => relays[0]!.add(tx, ...events.slice(i, i + 50)));
  for (const r of relays) r.start();
  // Each replica writes some: its commits wake its own relay.
  for (let i = EVENTS / 2; i < EVENTS; i += 10) await pg.db.transaction((tx) => relays[(i / 10) % 3]!.add(tx, ...events.slice(i, i + 10)));

  await waitFor("every row to be published", async () => (await unpublished()) === 0, { timeoutMs: 25_000 });
  expect(published.length).toBe(EVENTS);
  expect(new Set(published).size).toBe(EVENTS);
  expect(await streamCount()).toBe(EVENTS);

  // Per aggregate, the stream holds the events in the order they were written.
  const inStream = await streamMessages(EVENTS);
  for (const agg of aggregates) {
    const written = events.filter((e) => e.aggregateId === agg).map((e) => e.id);
    expect(inStream.filter((m) => m.event.aggregateId === agg).map((m) => m.event.id)).toEqual(written);
  }
});

test("published rows are pruned after the retention; newer and unpublished ones stay", async () => {
  const o = relay(nats.bus, { retentionMs: 60_000, pruneEveryMs: 0 });
  const [old, recent, pending] = [userCreated("old"), userCreated("recent"), userCreated("pending")];
  await pg.db.transaction((tx) => o.add(tx, old, recent, pending));
  await pg.db
    .update(outbox)
    .set({ publishedAt: sql`now() - interval '2 minutes'` })
    .where(inArray(outbox.eventId, [old.id]));
  await pg.db
    .update(outbox)
    .set({ publishedAt: sql`now() - interval '30 seconds'` })
    .where(inArray(outbox.eventId, [recent.id]));
  expect(await o.drain()).toBe(1); // publishes `pending`, then prunes
  const left = (await pg.db.select({ eventId: outbox.eventId }).from(outbox)).map((r) => r.eventId).sort();
  expect(left).toEqual([recent.id, pending.id].sort());
});

test("a transaction with two events of one aggregate has both published at once, in order, not the second at the sweep", async () => {
  const o = relay(nats.bus, { sweepMs: 3600_000 }); // no sweep during the test: only the commit can wake the relay
  o.start();
  const [first, second] = [userCreated("two"), userCreated("two")];
  await pg.db.transaction(async (tx) => {
    await o.add(tx, first);
    await o.add(tx, second);
  });
  await waitFor("both events published", async () => (await streamCount()) >= 2, { timeoutMs: 10_000 });
  expect((await streamMessages(2)).map((m) => m.msgId)).toEqual([first.id, second.id]);
  expect(await unpublished()).toBe(0);
});

test("a commit's rows are relayed by id: the pass it wakes does not scan for other rows (the sweep does)", async () => {
  const o = relay(nats.bus, { sweepMs: 3600_000 }); // after the start's scan, no sweep during the test
  o.start();
  const first = userCreated("mine-1");
  await pg.db.transaction((tx) => o.add(tx, first));
  await waitFor("the first row published", async () => (await unpublished()) === 0);
  // A replica that commits and dies before its relay runs: only a scan can find its row.
  const orphan = userCreated("orphan");
  await pg.db.transaction((tx) => new Outbox(pg.db, nats.bus, silent).add(tx, orphan));
  const second = userCreated("mine-2");
  await pg.db.transaction((tx) => o.add(tx, second));
  await waitFor("the second row published", async () => (await streamCount()) === 2);
  expect((await streamMessages(2)).map((m) => m.msgId)).toEqual([first.id, second.id]);
  expect(await unpublished()).toBe(1);
  expect(await o.drain()).toBe(1); // the sweep's scan
});

test("a scan batch takes the oldest row of each aggregate, not of the oldest rows: one aggregate's backlog holds back only itself", async () => {
  // A replica committed these and died before relaying them: only the scan can find them.
  const backlog = Array.from({ length: 12 }, () => userCreated("backlog"));
  const others = ["other-1", "other-2", "other-3"].map(userCreated);
  await pg.db.transaction((tx) => new Outbox(pg.db, nats.bus, silent).add(tx, ...backlog, ...others));
  const o = relay(nats.bus, { batchSize: 5 }); // the backlog alone fills the oldest batch
  expect(await o.drain({ untilEmpty: false })).toBe(4); // one pass: every aggregate's head
  expect((await streamMessages(4)).map((m) => m.msgId).sort()).toEqual([backlog[0], ...others].map((e) => e?.id).sort());
  expect(await o.drain()).toBe(11);
  expect((await streamMessages(15)).filter((m) => m.event.aggregateId === "backlog").map((m) => m.msgId)).toEqual(backlog.map((e) => e.id));
});

test("a head JetStream keeps refusing holds back only its own aggregate: the scan publishes the others, its rows wait in order", async () => {
  const stuck = Array.from({ length: 7 }, () => userCreated("stuck"));
  const [a1, a2, b1] = [userCreated("agg-a"), userCreated("agg-a"), userCreated("agg-b")];
  await pg.db.transaction((tx) => new Outbox(pg.db, nats.bus, silent).add(tx, ...stuck, a1, a2, b1));
  const poison = eq(outbox.eventId, stuck[0]!.id);
  const [head] = await pg.db.select({ subject: outbox.subject }).from(outbox).where(poison);
  await pg.db.update(outbox).set({ subject: "nowhere.stored" }).where(poison); // no stream stores it: never acked
  const o = relay(nats.bus, { batchSize: 5 });
  expect(await o.drain({ untilEmpty: false })).toBe(2); // one pass: a1 and b1, beside the head that failed
  expect(await o.drain()).toBe(1); // a2; then a batch of that head alone publishes nothing, which ends the drain
  expect((await streamMessages(3)).map((m) => m.msgId).sort()).toEqual([a1.id, a2.id, b1.id].sort());
  const left = await pg.db.select({ eventId: outbox.eventId }).from(outbox).where(isNull(outbox.publishedAt)).orderBy(outbox.id);
  expect(left.map((r) => r.eventId)).toEqual(stuck.map((e) => e.id));

  await pg.db.update(outbox).set({ subject: head!.subject }).where(poison); // an operator fixes it: the rest follow, in order
  expect(await o.drain()).toBe(7);
  const inStream = await streamMessages(10);
  expect(inStream.filter((m) => m.event.aggregateId === "stuck").map((m) => m.msgId)).toEqual(stuck.map((e) => e.id));
  expect(inStream.filter((m) => m.event.aggregateId === "agg-a").map((m) => m.msgId)).toEqual([a1.id, a2.id]);
});

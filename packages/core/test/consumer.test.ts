// Durable consumers against the real PostgreSQL and NATS: explicit settings applied idempotently,
// one effect per event whatever JetStream redelivers, retries with backoff, dead letters that do
// not hold up the rest, the operator's dead-letter command, a dead letter applied again in the
// service, and one discarded.
import { afterAll, afterEach, beforeAll, beforeEach, expect, setDefaultTimeout, test } from "bun:test";
import { type ConsumerOptions, pruneProcessedEvents, type RunningConsumers, type Subscription, startConsumers } from "@evented/core/consumer";
import { afterCommit, type Executor } from "@evented/core/db";
import { countDeadLetters, discardDeadLetter, listDeadLetters, reapplyDeadLetter, republishDeadLetter } from "@evented/core/dead-letters";
import { type Envelope, encodeEvent, newEvent, subjectFor } from "@evented/core/events";
import { deadLetters } from "@evented/core/tables";
import { NATS_URL, ROOT, waitFor } from "@evented/testing";
import { eq, sql } from "drizzle-orm";
import { nanos, StorageType } from "nats";
import { silent, testDatabase, testStream, userCreated } from "./test-env.ts";

setDefaultTimeout(30_000);

let pg: Awaited<ReturnType<typeof testDatabase>>;
let nats: Awaited<ReturnType<typeof testStream>>;
let running: RunningConsumers | undefined;
/** Handler calls by event id, with the time of each. */
let calls: Map<string, number[]>;
/** Aggregates whose events the handler refuses, and how many times (Infinity: always). */
let refuse: Map<string, number>;

const subscription: Subscription = {
  durable: "test-consumer",
  handlers: {
    async userCreated(_user, event, tx) {
      const times = calls.get(event.id) ?? [];
      times.push(performance.now());
      calls.set(event.id, times);
      if (times.length <= (refuse.get(event.aggregateId) ?? 0)) throw new Error(`cannot handle ${event.aggregateId} yet`);
      await tx.execute(sql`insert into effects (event_id) values (${event.id})`);
    },
  },
};

beforeAll(async () => {
  pg = await testDatabase("consumer");
  await pg.sql`create table effects (event_id uuid not null)`; // no unique key: a second effect would show
});
afterAll(() => pg?.drop());
beforeEach(async () => {
  calls = new Map();
  refuse = new Map();
  await pg.sql`truncate effects, processed_events, dead_letters`;
});
afterEach(async () => {
  await running?.stop();
  running = undefined;
  await nats?.remove();
});

async function consume(options: Partial<ConsumerOptions> = {}, stream: { duplicateWindowMs?: number } = {}) {
  nats = await testStream(stream);
  running = await startConsumers([subscription], { bus: nats.bus, db: pg.db, log: silent, backoffMs: [50], ...options });
}
const publish = (event: Envelope, msgId = event.id) => nats.bus.publish(subjectFor(nats.prefix, event), encodeEvent(event), msgId, {});
const effectsOf = async (id: string) => (await pg.sql`select count(*)::int as n from effects where event_id = ${id}`)[0]!.n as number;
const allEffects = async () => (await pg.sql`select count(*)::int as n from effects`)[0]!.n as number;
/** Until the consumer has acked (or terminated) every message up to `seq`. */
const settledUpTo = (seq: number) =>
  waitFor(`the consumer to settle up to ${seq}`, async () => {
    const info = await nats.bus.jsm.consumers.info(nats.stream, subscription.durable);
    return info.ack_floor.stream_seq >= seq && info.num_ack_pending === 0;
  });

test("the stream and the consumer get explicit settings, and start-up updates them in place", async () => {
  await consume({ ackWaitMs: 4000 }, { duplicateWindowMs: 1500 });
  const stream = (await nats.bus.jsm.streams.info(nats.stream)).config;
  expect(stream).toMatchObject({ subjects: [`${nats.prefix}.>`], storage: StorageType.File, duplicate_window: nanos(1500) });
  const consumer = (await nats.bus.jsm.consumers.info(nats.stream, subscription.durable)).config;
  expect(consumer).toMatchObject({ filter_subject: `${nats.prefix}.user.created`, ack_wait: nanos(4000), max_deliver: -1, ack_policy: "explicit" });

  // A second start with other settings (a redeploy) updates both instead of failing.
  await running!.stop();
  const redeployed = await nats.connect({ duplicateWindowMs: 2500 });
  try {
    expect((await nats.bus.jsm.streams.info(nats.stream)).config.duplicate_window).toBe(nanos(2500));
    running = await startConsumers([subscription], { bus: redeployed, db: pg.db, log: silent, ackWaitMs: 6000 });
    expect((await nats.bus.jsm.consumers.info(nats.stream, subscription.durable)).config.ack_wait).toBe(nanos(6000));
    await running.stop();
    running = undefined;
  } finally {
    await redeployed.close();
  }
});

test("an event published twice, inside and outside the duplicate window, has one effect", async () => {
  await consume({}, { duplicateWindowMs: 500 });
  const event = userCreated("dup");
  expect((await publish(event)).duplicate).toBe(false);
  expect((await publish(event)).duplicate).toBe(true); // inside the window: JetStream drops it
  await Bun.sleep(700); // let the window pass: the next publish is stored and delivered again
  const late = await publish(event);
  expect(late.duplicate).toBe(false);
  // Outside any window, too: a re-publish under another message id (a replay, a second relay).
  const other = await publish(event, `${event.id}-again`);
  await settledUpTo(other.seq);
  expect((await nats.bus.jsm.streams.info(nats.stream)).state.messages).toBe(3);
  expect(await effectsOf(event.id)).toBe(1);
  expect(calls.get(event.id)).toHaveLength(1); // the inbox stops duplicates before the handler
});

test("a failing handler is retried with backoff while later events keep flowing", async () => {
  await consume({ backoffMs: [400, 800], maxAttempts: 5 });
  const flaky = userCreated("flaky");
  refuse.set("flaky", 2);
  await publish(flaky);
  const others = Array.from({ length: 5 }, (_, i) => userCreated(`other-${i}`));
  for (const e of others) await publish(e);

  await waitFor("the others to be applied", async () => (await allEffects()) >= others.length);
  expect(await effectsOf(flaky.id)).toBe(0); // still waiting for its retry: it held nobody up
  await waitFor("the flaky event to succeed", async () => (await effectsOf(flaky.id)) === 1);
  const [first, second, third] = calls.get(flaky.id)!;
  expect(second! - first!).toBeGreaterThanOrEqual(350);
  expect(third! - second!).toBeGreaterThanOrEqual(750);
  expect(await pg.db.select().from(deadLetters)).toEqual([]);
});

test("poison messages are dead-lettered with their reason, the rest flow, and the command replays one after a fix", async () => {
  await consume({ maxAttempts: 3 });
  const garbage = await nats.bus.publish(`${nats.prefix}.user.created`, new Uint8Array([0xff, 0x01, 0x02]), "garbage-1", {});
  const poison = userCreated("poison");
  refuse.set("poison", Infinity);
  await publish(poison);
  const good = Array.from({ length: 10 }, (_, i) => userCreated(`good-${i}`));
  let last = garbage;
  for (const e of good) last = await publish(e);

  await settledUpTo(last.seq);
  expect(await allEffects()).toBe(good.length);
  const letters = await pg.db.select().from(deadLetters).orderBy(deadLetters.id);
  expect(letters).toHaveLength(2);
  const byEvent = new Map(letters.map((l) => [l.eventId, l]));
  expect(byEvent.get("garbage-1")).toMatchObject({ consumer: subscription.durable, deliveries: 1, subject: `${nats.prefix}.user.created` });
  expect(byEvent.get("garbage-1")!.reason).toStartWith("undecodable event");
  expect(byEvent.get(poison.id)).toMatchObject({ reason: "cannot handle poison yet", deliveries: 3 });
  expect(calls.get(poison.id)).toHaveLength(3);

  const listed = await command("list");
  expect(listed.code).toBe(0);
  for (const l of letters) expect(listed.out).toContain(`${l.id}\t`);
  expect(listed.out).toContain("reason=cannot handle poison yet");

  refuse.delete("poison"); // the fix is deployed
  const poisonLetter = byEvent.get(poison.id)!;
  const replayed = await command("replay", String(poisonLetter.id));
  expect(replayed).toMatchObject({ code: 0 });
  expect(replayed.out).toContain(`replayed dead letter ${poisonLetter.id}`);
  await waitFor("the replayed event to be applied", async () => (await effectsOf(poison.id)) === 1);

  const after = await command("list");
  expect(after.out).not.toContain(`${poisonLetter.id}\t`);
  expect(after.out).toContain(`${byEvent.get("garbage-1")!.id}\t`);
  expect((await command("list", "--all")).out).toContain("replayed=");
  const twice = await command("replay", String(poisonLetter.id));
  expect(twice.code).toBe(1);
  expect(twice.err).toContain("already replayed");
  expect(await effectsOf(poison.id)).toBe(1);
});

test("a republished dead letter is applied by the consumer that gave up on it only, even after the others' inbox forgot the event", async () => {
  const other = new Map<string, number>();
  const bystander: Subscription = {
    durable: "bystander",
    handlers: {
      async userCreated(_user, event) {
        other.set(event.id, (other.get(event.id) ?? 0) + 1);
      },
    },
  };
  nats = await testStream();
  running = await startConsumers([subscription, bystander], { bus: nats.bus, db: pg.db, log: silent, backoffMs: [50], maxAttempts: 2 });
  const poison = userCreated("poison");
  refuse.set("poison", Infinity);
  await publish(poison);
  await waitFor("the dead letter", async () => (await pg.db.select().from(deadLetters)).length === 1);
  await waitFor("the bystander to apply it", async () => other.get(poison.id) === 1);

  // Months later: the bystander's inbox has forgotten the event; the fix is deployed.
  expect(await pruneProcessedEvents(pg.db, 0)).toBeGreaterThan(0);
  refuse.delete("poison");
  const [letter] = await pg.db.select().from(deadLetters);
  const replay = await republishDeadLetter(pg.db, nats.bus.js, letter!.id);
  await waitFor("the replayed event to be applied", async () => (await effectsOf(poison.id)) === 1);
  await waitFor("the bystander to settle the replay", async () => {
    const info = await nats.bus.jsm.consumers.info(nats.stream, bystander.durable);
    return info.delivered.stream_seq >= 2 && info.num_ack_pending === 0;
  });
  expect(replay.replayedAt).not.toBeNull();
  expect(other.get(poison.id)).toBe(1);
});

test("each event reaches the handler of its type with its payload; types without one are acked unseen; afterCommit runs only once committed", async () => {
  nats = await testStream();
  const seen: string[] = [];
  const committed: string[] = [];
  const typed: Subscription = {
    durable: "test-typed",
    handlers: {
      async userCreated(user, event, tx) {
        afterCommit(tx, () => committed.push(user.userId));
        seen.push(`created ${user.name} ${event.type}`);
        if (user.userId === "refused") throw new Error("refused");
        await tx.execute(sql`insert into effects (event_id) values (${event.id})`);
      },
      async orderCancelled(order, event, tx) {
        afterCommit(tx, () => committed.push(order.orderId));
        seen.push(`cancelled ${order.orderId} ${order.reason} ${event.aggregateId}`);
      },
    },
  };
  running = await startConsumers([typed], { bus: nats.bus, db: pg.db, log: silent, backoffMs: [50], maxAttempts: 1 });
  const cancelled = newEvent("test", "order-1", { $case: "orderCancelled", value: { orderId: "order-1", userId: "u", previousStatus: 1, reason: "why" } });
  const deleted = newEvent("test", "u", { $case: "userDeleted", value: { userId: "u", name: "Ada", email: "", phone: "" } });
  await publish(userCreated("refused"));
  await publish(deleted);
  await publish(userCreated("kept"));
  const last = await publish(cancelled);
  await waitFor("the subscription to settle", async () => {
    const info = await nats.bus.jsm.consumers.info(nats.stream, typed.durable);
    return info.ack_floor.stream_seq >= last.seq && info.num_ack_pending === 0;
  });
  expect(seen.toSorted()).toEqual(["cancelled order-1 why order-1", "created Ada UserCreated", "created Ada UserCreated"]);
  expect(committed.toSorted()).toEqual(["kept", "order-1"]); // not the refused one, whose transaction rolled back
  expect(await allEffects()).toBe(1);
});

test("a dead letter applied again in the service: refused while it still fails, then applied once, then 409", async () => {
  await consume({ maxAttempts: 1 });
  const poison = userCreated("again");
  refuse.set("again", Infinity);
  await nats.bus.publish(`${nats.prefix}.user.created`, new Uint8Array([0xff, 0x01]), "garbage-2", {});
  await settledUpTo((await publish(poison)).seq);
  const letters = await pg.db.select().from(deadLetters).orderBy(deadLetters.id);
  const letter = letters.find((l) => l.eventId === poison.id)!;
  const undecodable = letters.find((l) => l.eventId === "garbage-2")!;
  const reapply = (id: number, subs = [subscription]) => reapplyDeadLetter(pg.db, subs, id, silent).catch((e: { code?: number; message: string }) => e);
  const waiting = async (id: number) => (await pg.db.select().from(deadLetters)).find((l) => l.id === id)?.replayedAt === null;

  // Still failing: a clear refusal (FAILED_PRECONDITION = 9), nothing applied, still waiting.
  expect(await reapply(letter.id)).toMatchObject({ code: 9, message: expect.stringContaining("failed again (cannot handle again yet)") });
  expect(await reapply(undecodable.id)).toMatchObject({ code: 9, message: expect.stringContaining("cannot be decoded") });
  expect(await reapply(letter.id, [{ ...subscription, durable: "another" }])).toMatchObject({ code: 9, message: expect.stringContaining("does not run") });
  expect(await effectsOf(poison.id)).toBe(0);
  expect(await waiting(letter.id)).toBe(true);
  expect(await waiting(undecodable.id)).toBe(true);

  refuse.delete("again"); // the fix is deployed
  expect(await reapply(letter.id)).toMatchObject({ id: letter.id, replayedAt: expect.any(Date) });
  expect(await effectsOf(poison.id)).toBe(1);
  expect(await reapply(letter.id)).toMatchObject({ code: 10, message: expect.stringContaining("already replayed") }); // ABORTED: 409
  expect(await reapply(999_999)).toMatchObject({ code: 5 }); // NOT_FOUND

  // An event the consumer applied meanwhile (delivered again): the replay marks it, applies nothing twice.
  const late = userCreated("late");
  const [row] = await pg.db
    .insert(deadLetters)
    .values({ consumer: subscription.durable, subject: "s", eventId: late.id, payload: encodeEvent(late), headers: {}, reason: "r", deliveries: 1 })
    .returning();
  await settledUpTo((await publish(late)).seq);
  expect(await effectsOf(late.id)).toBe(1);
  expect(await reapply(row!.id)).toMatchObject({ id: row!.id, replayedAt: expect.any(Date) });
  expect(await effectsOf(late.id)).toBe(1);
  expect(calls.get(late.id)).toHaveLength(1);
});

test("a dead letter discarded: the event it held is erased, the record kept; it no longer waits nor counts; a settled one is 409, an unknown one 404", async () => {
  await consume({ maxAttempts: 1 });
  const [obsolete, waits] = [userCreated("obsolete"), userCreated("waits")];
  refuse.set("obsolete", Infinity);
  refuse.set("waits", Infinity);
  await nats.bus.publish(subjectFor(nats.prefix, obsolete), encodeEvent(obsolete), obsolete.id, { "event-type": obsolete.type });
  await settledUpTo((await publish(waits)).seq);
  const held = (await listDeadLetters(pg.db)).find((l) => l.eventId === obsolete.id)!;
  expect(held.headers["event-type"]).toBe("UserCreated");
  expect(new TextDecoder().decode(held.payload)).toContain("ada@example.com");

  const discarded = await discardDeadLetter(pg.db, held.id);
  const { payload, headers, discardedAt, ...kept } = discarded;
  expect({ payload: payload.length, headers, discardedAt }).toEqual({ payload: 0, headers: {}, discardedAt: expect.any(Date) });
  const { payload: _payload, headers: _headers, discardedAt: _never, ...was } = held;
  expect(kept).toEqual(was); // id, consumer, subject, event id, reason, deliveries, created_at; replayed_at null
  expect(await pg.db.select().from(deadLetters).where(eq(deadLetters.id, held.id))).toEqual([discarded]);

  expect((await listDeadLetters(pg.db)).map((l) => l.eventId)).toEqual([waits.id]);
  expect((await listDeadLetters(pg.db, { all: true })).map((l) => l.eventId).sort()).toEqual([obsolete.id, waits.id].sort());
  expect(await countDeadLetters(pg.db)).toEqual([{ consumer: subscription.durable, n: 1 }]);

  const refusal = (settling: Promise<unknown>) => settling.catch((e: { code?: number; message: string }) => e);
  const already = (what: string) => ({ code: 10, message: expect.stringContaining(`already ${what}`) }); // ABORTED: 409
  expect(await refusal(reapplyDeadLetter(pg.db, [subscription], held.id, silent))).toMatchObject(already("discarded"));
  expect(await refusal(republishDeadLetter(pg.db, nats.bus.js, held.id))).toMatchObject(already("discarded"));
  expect(await refusal(discardDeadLetter(pg.db, held.id))).toMatchObject(already("discarded"));
  expect(await refusal(discardDeadLetter(pg.db, 999_999))).toMatchObject({ code: 5 }); // NOT_FOUND
  expect(calls.get(obsolete.id)).toHaveLength(1); // the delivery that gave up; nothing since
  expect(await effectsOf(obsolete.id)).toBe(0);

  // A replayed one is settled too.
  refuse.delete("waits");
  const other = (await listDeadLetters(pg.db))[0]!;
  await reapplyDeadLetter(pg.db, [subscription], other.id, silent);
  expect(await refusal(discardDeadLetter(pg.db, other.id))).toMatchObject(already("replayed"));
  expect(await countDeadLetters(pg.db)).toEqual([]);
});

test("the command discards a dead letter: erased, listed only with --all, then refused", async () => {
  await consume({ maxAttempts: 1 });
  const never = userCreated("never");
  refuse.set("never", Infinity);
  await settledUpTo((await publish(never)).seq);
  const [letter] = await pg.db.select().from(deadLetters);
  const id = String(letter!.id);

  const discarded = await command("discard", id);
  expect(discarded).toMatchObject({ code: 0, out: `discarded dead letter ${id} (event ${never.id}); the event it held is erased\n` });
  const [row] = await pg.db.select().from(deadLetters);
  expect({ payload: row!.payload.length, discardedAt: row!.discardedAt }).toEqual({ payload: 0, discardedAt: expect.any(Date) });
  expect((await command("list")).out).toBe("no dead letters waiting\n");
  expect((await command("list", "--all")).out).toStartWith(`${id}\t`);
  expect((await command("list", "--all")).out).toContain(` discarded=${row!.discardedAt!.toISOString()}`);
  for (const again of ["discard", "replay"]) {
    const refused = await command(again, id);
    expect({ again, code: refused.code, said: refused.err.includes("already discarded") }).toEqual({ again, code: 1, said: true });
  }
});

/** `bun run dead-letters order ...` against this test's database, as an operator would run it. */
async function command(...args: string[]) {
  const proc = Bun.spawn(["bun", "scripts/dead-letters.ts", "order", ...args], {
    cwd: ROOT,
    env: { ...process.env, ORDER_DB_CONN: pg.url, NATS_URL },
    stdout: "pipe",
    stderr: "pipe",
    timeout: 20_000, // killed if it hangs
  });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, out, err };
}

test("applied event ids are forgotten after the inbox retention, not before", async () => {
  const [old, recent] = [Bun.randomUUIDv7(), Bun.randomUUIDv7()];
  await pg.sql`insert into processed_events (consumer, event_id, processed_at)
    values ('c', ${old}, now() - interval '31 days'), ('c', ${recent}, now() - interval '29 days')`;
  expect(await pruneProcessedEvents(pg.db)).toBe(1);
  expect((await pg.sql`select event_id from processed_events`).map((r) => r.event_id)).toEqual([recent]);
});

test("events ready together are applied in one transaction each batch, each exactly once, one aggregate's in order", async () => {
  await pg.sql`create table if not exists batch_effects (seq serial, event_id uuid not null, aggregate text not null, txid bigint not null)`;
  await pg.sql`truncate batch_effects`;
  const batched: Subscription = {
    durable: "batch-consumer",
    handlers: {
      async userCreated(_user, event, tx) {
        await tx.execute(sql`insert into batch_effects (event_id, aggregate, txid) values (${event.id}, ${event.aggregateId}, txid_current())`);
      },
    },
  };
  nats = await testStream();
  // Already in the stream when the consumer starts: its first pull gets them all at once.
  const events = Array.from({ length: 30 }, (_, i) => userCreated(`many-${i}`));
  const same = [userCreated("same"), userCreated("same"), userCreated("same")];
  let last = await publish(events[0]!);
  for (const e of [...events.slice(1), ...same]) last = await publish(e);
  await publish(events[3]!, `${events[3]!.id}-again`); // a duplicate, too
  running = await startConsumers([batched], { bus: nats.bus, db: pg.db, log: silent });
  await waitFor("every event applied", async () => (await pg.sql`select count(*)::int as n from batch_effects`)[0]!.n >= events.length + same.length);
  await waitFor("every message acked", async () => (await nats.bus.jsm.consumers.info(nats.stream, "batch-consumer")).ack_floor.stream_seq >= last.seq + 1);

  const rows = await pg.sql<{ event_id: string; aggregate: string; txid: string }[]>`select event_id, aggregate, txid::text from batch_effects order by seq`;
  expect(rows.map((r) => r.event_id).sort()).toEqual([...events, ...same].map((e) => e.id).sort());
  const transactions = new Set(rows.map((r) => r.txid));
  expect(transactions.size).toBeLessThan(rows.length / 2);
  const ofSame = rows.filter((r) => r.aggregate === "same");
  expect(ofSame.map((r) => r.event_id)).toEqual(same.map((e) => e.id));
  expect(new Set(ofSame.map((r) => r.txid)).size).toBe(3); // one aggregate's events never share a batch
});

test("with orderedBy, a batch runs the handlers of different keys at once and one key's in order; the handler that failed (rejected or threw) is the one dead-lettered", async () => {
  await pg.sql`create table if not exists keyed_effects (seq serial, event_id uuid not null, key text not null, txid bigint not null)`;
  await pg.sql`truncate keyed_effects`;
  let inFlight = 0;
  let mostAtOnce = 0;
  const keyed: Subscription = {
    durable: "keyed-consumer",
    orderedBy: (event) => (event.payload.$case === "userCreated" ? event.payload.value.name : ""),
    handlers: {
      // Not async: one event's handler throws before it returns a promise.
      userCreated: ({ name }, event, tx) => {
        if (name === "throws") throw new Error("refused at once");
        return applyKeyed(name, event, tx);
      },
    },
  };
  async function applyKeyed(name: string, event: Envelope, tx: Executor) {
    inFlight++;
    mostAtOnce = Math.max(mostAtOnce, inFlight);
    try {
      // The failing statement a few awaits deep, so the statements pipelined behind it (each
      // failing as "current transaction is aborted") can be reported before it.
      if (name === "bad") await (async () => await (async () => await tx.execute(sql`select 1 / 0`))())();
      // A key's first events take a round trip longer: run at once, the next of the key would overtake them.
      if (Number(event.aggregateId.slice(1)) < 8) await tx.execute(sql`select 1`);
      await tx.execute(sql`insert into keyed_effects (event_id, key, txid) values (${event.id}, ${name}, txid_current())`);
    } finally {
      inFlight--;
    }
  }
  const withKey = (key: string, aggregate: string) =>
    newEvent("test", aggregate, { $case: "userCreated", value: { userId: aggregate, name: key, email: "ada@example.com", phone: "" } });
  const events = Array.from({ length: 24 }, (_, i) => withKey(`k${i % 8}`, `a${i}`));
  const bad = withKey("bad", "a-bad");
  const throws = withKey("throws", "a-throws");
  events.splice(5, 0, bad);
  events.splice(14, 0, throws);
  nats = await testStream();
  let last = await publish(events[0]!);
  for (const e of events.slice(1)) last = await publish(e);
  running = await startConsumers([keyed], { bus: nats.bus, db: pg.db, log: silent, backoffMs: [50], maxAttempts: 1 });
  await waitFor("every message acked or terminated", async () => {
    const info = await nats.bus.jsm.consumers.info(nats.stream, "keyed-consumer");
    return info.ack_floor.stream_seq >= last.seq && info.num_ack_pending === 0;
  });

  expect((await pg.db.select().from(deadLetters)).map((l) => l.eventId).sort()).toEqual([bad.id, throws.id].sort());
  const rows = await pg.sql<{ event_id: string; key: string; txid: string }[]>`select event_id, key, txid::text from keyed_effects order by seq`;
  const good = events.filter((e) => e !== bad && e !== throws);
  expect(rows.map((r) => r.event_id).sort()).toEqual(good.map((e) => e.id).sort()); // each once
  // In a batch, one key's events in arrival order (across batches only one aggregate's are ordered).
  const arrival = new Map(events.map((e, i) => [e.id, i]));
  const inOneBatch = Map.groupBy(rows, (r) => `${r.txid} ${r.key}`);
  expect([...inOneBatch.values()].some((same) => same.length > 1)).toBe(true);
  for (const same of inOneBatch.values()) {
    const order = same.map((r) => arrival.get(r.event_id)!);
    expect(order).toEqual(order.toSorted((a, b) => a - b));
  }
  expect(new Set(rows.map((r) => r.txid)).size).toBeLessThan(rows.length / 2); // batched
  expect(mostAtOnce).toBeGreaterThan(1); // at once
});

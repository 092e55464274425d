// The feed's ordering promise against the real PostgreSQL: a feed write waits for an earlier one
// to commit, so ids become visible in order and a stream past id n never later finds a smaller one.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { beforeCommit, createLogger, openDatabase } from "@evented/core";
import { createDatabase, waitFor } from "@evented/testing";
import { appendFeed, feedAfter, insertNotification } from "./repository.ts";
import * as schema from "./schema.ts";

setDefaultTimeout(30_000);

const log = createLogger("test", { level: "silent" });
const migrationsFolder = new URL("../../../drizzle/notification", import.meta.url).pathname;
let database: Awaited<ReturnType<typeof createDatabase>>;
let opened: Awaited<ReturnType<typeof openDatabase<typeof schema>>>;

beforeAll(async () => {
  database = await createDatabase("notification_feed");
  opened = await openDatabase(database.url, schema, { log, migrationsFolder, poolSize: 4 });
});
afterAll(async () => {
  await opened?.close();
  await database?.drop();
});

test("a feed write waits for an earlier uncommitted one, so ids commit in order", async () => {
  const { db, client } = opened;
  const userId = Bun.randomUUIDv7();
  const notification = (id: string) => ({ id, userId, kind: "welcome", subject: "s", body: "b", eventId: Bun.randomUUIDv7(), eventType: "Test" });
  const [first, second] = [Bun.randomUUIDv7(), Bun.randomUUIDv7()];
  await insertNotification(db, notification(first), []);
  await insertNotification(db, notification(second), []);
  const start = (await feedAfter(db, userId, 0, 10)).at(-1);

  let releaseA!: () => void;
  const aMayCommit = new Promise<void>((resolve) => (releaseA = resolve));
  let aWrote!: () => void;
  const aHasWritten = new Promise<void>((resolve) => (aWrote = resolve));
  const a = db.transaction(async (tx) => {
    await appendFeed(tx, [{ userId, notificationId: first }]);
    // The feed is written as the transaction's last work; A then waits before its COMMIT.
    await beforeCommit(tx, async () => {
      aWrote();
      await aMayCommit;
    });
  });
  await aHasWritten;
  const b = db.transaction((tx) => appendFeed(tx, [{ userId, notificationId: second }]));
  try {
    // B is held at the feed lock while A is open (without the lock it would commit at once, past A's id).
    await waitFor("the second write to wait for the feed lock", async () => {
      const [row] =
        await client`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query like '%pg_advisory_xact_lock%'`;
      return (row?.n ?? 0) > 0;
    });
    expect((await feedAfter(db, userId, start!.id, 10)).length).toBe(0);
  } finally {
    releaseA();
    await Promise.all([a, b]);
  }
  const after = await feedAfter(db, userId, start!.id, 10);
  expect(after.map((e) => e.notification.id)).toEqual([first, second]);
});

test("the feed lock is taken only at the end: a transaction still at its work holds no other feed write up", async () => {
  const { db } = opened;
  const userId = Bun.randomUUIDv7();
  const notification = (id: string) => ({ id, userId, kind: "welcome", subject: "s", body: "b", eventId: Bun.randomUUIDv7(), eventType: "Test" });
  const [first, second] = [Bun.randomUUIDv7(), Bun.randomUUIDv7()];
  let releaseA!: () => void;
  const aMayFinish = new Promise<void>((resolve) => (releaseA = resolve));
  let aAppended!: () => void;
  const aHasAppended = new Promise<void>((resolve) => (aAppended = resolve));
  const a = db.transaction(async (tx) => {
    await insertNotification(tx, notification(first), []);
    aAppended();
    await aMayFinish; // more of the batch's work, with its feed entry not written yet
  });
  try {
    await aHasAppended;
    // B writes and commits its feed entry while A is open: with the lock taken at A's first
    // entry, B would wait here until A ended (and the test would time out).
    await db.transaction((tx) => insertNotification(tx, notification(second), []));
    expect((await feedAfter(db, userId, 0, 10)).map((e) => e.notification.id)).toEqual([second]);
  } finally {
    releaseA();
    await a;
  }
  expect((await feedAfter(db, userId, 0, 10)).map((e) => e.notification.id)).toEqual([second, first]);
});

test("a transaction that rolls back leaves no feed entry", async () => {
  const { db } = opened;
  const userId = Bun.randomUUIDv7();
  const n = { id: Bun.randomUUIDv7(), userId, kind: "welcome", subject: "s", body: "b", eventId: Bun.randomUUIDv7(), eventType: "Test" };
  const failed = db.transaction(async (tx) => {
    await insertNotification(tx, n, []);
    throw new Error("the handler failed");
  });
  await expect(failed).rejects.toThrow("the handler failed");
  expect(await feedAfter(db, userId, 0, 10)).toEqual([]);
});

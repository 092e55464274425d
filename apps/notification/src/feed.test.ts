// The feed against the real PostgreSQL: a feed write waits for an earlier one to commit, so ids
// become visible in order and a stream past id n never later finds a smaller one; a stream resuming
// from before pruned entries says so first.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { EventEmitter } from "node:events";
import { beforeCommit, createLogger, openDatabase } from "@evented/core";
import type { notificationV1 } from "@evented/proto";
import { createDatabase, waitFor } from "@evented/testing";
import { Feed } from "./feed.ts";
import { appendFeed, feedAfter, insertNotification, pruneFeed } from "./repository.ts";
import * as schema from "./schema.ts";

setDefaultTimeout(30_000);

const log = createLogger("test", { level: "silent" });
const migrationsFolder = new URL("../../../drizzle/notification", import.meta.url).pathname;
let database: Awaited<ReturnType<typeof createDatabase>>;
let opened: Awaited<ReturnType<typeof openDatabase<typeof schema>>>;
let feed: Feed;

beforeAll(async () => {
  database = await createDatabase("notification_feed");
  opened = await openDatabase(database.url, schema, { log, migrationsFolder, poolSize: 4 });
  feed = new Feed(opened.db, opened.client, log, { pollMs: 100 });
  await feed.start();
});
afterAll(async () => {
  await feed?.stop();
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
  const start = (await feedAfter(db, userId, 0, 10)).entries.at(-1);

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
    expect((await feedAfter(db, userId, start!.id, 10)).entries.length).toBe(0);
  } finally {
    releaseA();
    await Promise.all([a, b]);
  }
  const after = (await feedAfter(db, userId, start!.id, 10)).entries;
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
    expect((await feedAfter(db, userId, 0, 10)).entries.map((e) => e.notification.id)).toEqual([second]);
  } finally {
    releaseA();
    await a;
  }
  expect((await feedAfter(db, userId, 0, 10)).entries.map((e) => e.notification.id)).toEqual([second, first]);
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
  expect(await feedAfter(db, userId, 0, 10)).toEqual({ prunedThrough: 0, entries: [] });
});

/** Records `n` notifications for a new user: the user and the cursors of their feed entries. */
async function userWithFeed(n: number): Promise<{ userId: string; record: () => Promise<string>; cursors: string[] }> {
  const { db } = opened;
  const userId = Bun.randomUUIDv7();
  const record = async () => {
    await insertNotification(
      db,
      { id: Bun.randomUUIDv7(), userId, kind: "welcome", subject: "s", body: "b", eventId: Bun.randomUUIDv7(), eventType: "Test" },
      [],
    );
    return String((await feedAfter(db, userId, 0, 100)).entries.at(-1)!.id);
  };
  const cursors: string[] = [];
  for (let i = 0; i < n; i++) cursors.push(await record());
  return { userId, record, cursors };
}

/** These entries are past the retention (by their age, so no race with the clock), then the deliverer's prune runs. */
async function prune(...cursors: string[]) {
  await opened.client`update notification_feed set created_at = now() - interval '8 days' where id in ${opened.client(cursors)}`;
  await pruneFeed(opened.db, 7 * 86_400_000);
}

/**
 * One stream on a stand-in for its gRPC call, until it has written `n` messages (then `more`, if
 * given, runs and it waits for one more), then ended: everything it wrote, as [kind, cursor].
 */
async function streamed(userId: string, after: string, n: number, more?: () => Promise<unknown>): Promise<[string, string][]> {
  const written: [string, string][] = [];
  const call = Object.assign(new EventEmitter(), {
    write: ({ message: m }: notificationV1.StreamNotificationsResponse) => {
      written.push(m?.$case === "subscribed" ? [m.$case, m.value] : [m!.$case, m!.value.cursor]);
      return true;
    },
  });
  const served = feed.serve(call as unknown as Parameters<Feed["serve"]>[0], userId, after);
  await waitFor(`${n} stream messages`, () => written.length >= n);
  if (more) {
    await more();
    await waitFor(`${n + 1} stream messages`, () => written.length > n);
  }
  call.emit("cancelled");
  await served;
  return written;
}

test("a stream resuming from before pruned entries is told first (a reset at the last one pruned), then gets the rest once, in order", async () => {
  const { userId, cursors } = await userWithFeed(5);
  const [kept, old1, old2, next1, next2] = cursors as [string, string, string, string, string];
  await prune(old1, old2);
  expect((await feedAfter(opened.db, userId, Number(kept), 10)).prunedThrough).toBe(Number(old2));
  expect(await streamed(userId, kept, 4)).toEqual([
    ["subscribed", kept],
    ["reset", old2],
    ["change", next1],
    ["change", next2],
  ]);
  // From between the pruned ones, too.
  expect(await streamed(userId, old1, 4)).toEqual([
    ["subscribed", old1],
    ["reset", old2],
    ["change", next1],
    ["change", next2],
  ]);
});

test("a stream resuming from a cursor after the pruned entries is not told", async () => {
  const { userId, cursors } = await userWithFeed(4);
  const [old1, old2, next1, next2] = cursors as [string, string, string, string];
  await prune(old1, old2);
  // The mark is there, at the cursor: nothing after the cursor is gone.
  expect((await feedAfter(opened.db, userId, Number(old2), 10)).prunedThrough).toBe(Number(old2));
  expect(await streamed(userId, old2, 3)).toEqual([
    ["subscribed", old2],
    ["change", next1],
    ["change", next2],
  ]);
});

test("a stream from now is not told, even when the newest entry of the whole feed was the user's and is pruned", async () => {
  const { userId, record, cursors } = await userWithFeed(2);
  await prune(...cursors);
  let next = "";
  const got = await streamed(userId, "", 1, async () => (next = await record()));
  expect(got).toEqual([
    ["subscribed", cursors[1]!],
    ["change", next],
  ]);
});

// The delivery guarantees under faults, on the whole system with a nats-server of its own:
// NATS down during writes, the notification worker killed mid-burst, SIGTERM during a burst,
// and PostgreSQL unreachable behind a proxy. Counting happens in the services' databases.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { type System, startApp, startNatsServer, startSystem, startTcpProxy, waitFor } from "@evented/testing";
import { connect } from "nats";
import postgres from "postgres";

setDefaultTimeout(30_000);

let nats: Awaited<ReturnType<typeof startNatsServer>>;
let system: System;
let notificationDb: postgres.Sql;
let orderDb: postgres.Sql;

beforeAll(async () => {
  nats = await startNatsServer();
  system = await startSystem({
    natsUrl: nats.url,
    // A killed worker's unacked messages come back after 2 s instead of 30 s.
    env: {
      notification: { NOTIFICATION_ACK_WAIT_MS: "2000" },
      // Far above every bound below: a call that hangs shows as a timeout, never as a slow 503 or a 504.
      gateway: { GRPC_DEADLINE_MS: "20000" },
    },
  });
  notificationDb = postgres(system.databases.notification.url, { max: 2, onnotice: () => {} });
  orderDb = postgres(system.databases.order.url, { max: 2, onnotice: () => {} });
}, 90_000);
afterAll(async () => {
  await notificationDb?.end();
  await orderDb?.end();
  await system?.stop();
  await nats?.close();
});

// biome-ignore lint/suspicious/noExplicitAny: a parsed JSON body, read by the tests field by field
async function post(path: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await system.fetch(`${system.gatewayUrl}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json().catch(() => undefined) };
}

async function createUser(): Promise<string> {
  const res = await post("/users", { name: "Fault Tester", email: `faults.${crypto.randomUUID()}@example.com` });
  expect(res.status).toBe(201);
  return res.body.id;
}

/** Runs `n` calls of `task`, `concurrency` at a time; returns their results in order. */
async function burst<T>(n: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < n; i = next++) results[i] = await task(i);
    }),
  );
  return results;
}

const orderFor = (userId: string) => () => post("/orders", { user_id: userId, items: [{ product_id: "456", quantity: 1 }] });

/** OrderCreated notifications of a user: how many rows, and how many distinct events. */
async function orderNotifications(userId: string): Promise<{ total: number; events: number }> {
  const [row] = await notificationDb`
    select count(*)::int as total, count(distinct event_id)::int as events
    from notifications where user_id = ${userId} and event_type = 'OrderCreated'`;
  return { total: row!.total, events: row!.events };
}

/** Until the order outbox is empty and the notification consumer has nothing pending or unacked. */
async function settled(): Promise<void> {
  const nc = await connect({ servers: nats.url });
  try {
    const jsm = await nc.jetstreamManager();
    await waitFor(
      "outbox and consumer to settle",
      async () => {
        const [{ n }] = (await orderDb`select count(*)::int as n from outbox where published_at is null`) as unknown as [{ n: number }];
        const info = await jsm.consumers.info(system.stream.stream, "notification");
        return n === 0 && info.num_pending === 0 && info.num_ack_pending === 0;
      },
      { timeoutMs: 30_000 },
    );
  } finally {
    await nc.close();
  }
}

test("NATS down while 500 orders are created: every request succeeds, and every OrderCreated is notified exactly once after it returns", async () => {
  const userId = await createUser();
  await nats.stop();
  const results = await burst(500, 20, orderFor(userId));
  expect(results.filter((r) => r.status !== 201)).toEqual([]);
  expect((await orderNotifications(userId)).total).toBe(0); // nothing could have gone out

  await nats.start();
  await waitFor("every order to be notified", async () => (await orderNotifications(userId)).events >= 500, { timeoutMs: 45_000 });
  await settled();
  expect(await orderNotifications(userId)).toEqual({ total: 500, events: 500 }); // lost 0, duplicated 0
}, 120_000);

/** Event ids the notification worker has applied (committed with their notifications). */
async function processedIds(): Promise<Set<string>> {
  return new Set((await notificationDb`select event_id from processed_events`).map((r) => r.event_id as string));
}

/**
 * The server's view of the notification consumer: how many messages it delivered and holds for an
 * ack, and the event ids (Nats-Msg-Id) of the messages past its ack floor (delivered, not all acked).
 */
async function pastAckFloor(): Promise<{ ackPending: number; eventIds: Set<string> }> {
  const nc = await connect({ servers: nats.url });
  try {
    const jsm = await nc.jetstreamManager();
    const info = await jsm.consumers.info(system.stream.stream, "notification");
    const eventIds = new Set<string>();
    for (let seq = info.ack_floor.stream_seq + 1; seq <= info.delivered.stream_seq; seq++) {
      const m = await jsm.streams.getMessage(system.stream.stream, { seq }).catch(() => undefined);
      const id = m?.header.get("Nats-Msg-Id");
      if (id) eventIds.add(id);
    }
    return { ackPending: info.num_ack_pending, eventIds };
  } finally {
    await nc.close();
  }
}

test("the notification worker killed with SIGKILL holding events it committed but had not acknowledged, then restarted: every notification exactly once", async () => {
  // The worker's NATS connection goes through a proxy the test cuts mid-burst. The worker goes on
  // with the messages it already holds: what it commits after the cut, it cannot acknowledge.
  const proxy = await startTcpProxy("127.0.0.1", Number(new URL(nats.url).port));
  system.env.notification.NATS_URL = `nats://127.0.0.1:${proxy.port}`;
  const release = Promise.withResolvers<void>();
  try {
    await system.restart("notification");
    const userId = await createUser();
    const orders = burst(200, 10, orderFor(userId));
    await waitFor("the worker to be busy", async () => (await orderNotifications(userId)).total >= 30, { timeoutMs: 30_000 });
    // A worker that keeps up may hold no unapplied message at the moment of the cut: its writes wait
    // on a lock until it holds some, so there are always events it commits after the cut.
    const locked = Promise.withResolvers<void>();
    const lock = notificationDb.begin(async (tx) => {
      await tx`lock table notifications in exclusive mode`;
      locked.resolve();
      await release.promise;
    });
    await Promise.race([locked.promise, lock]);
    await waitFor("the worker to hold messages it cannot apply yet", async () => (await pastAckFloor()).ackPending >= 5, { timeoutMs: 15_000 });
    proxy.cut();
    const atCut = await processedIds();
    release.resolve();
    await lock;
    const committed = await waitFor(
      "the worker to commit events after the cut",
      async () => {
        const after = [...(await processedIds())].filter((id) => !atCut.has(id));
        return after.length > 0 ? after : undefined;
      },
      { timeoutMs: 15_000 },
    );
    await system.kill("notification", "SIGKILL");

    // Committed, not acknowledged when it died: past the consumer's ack floor, still ack-pending.
    const server = await pastAckFloor();
    expect(committed.filter((id) => !server.eventIds.has(id))).toEqual([]);
    expect(server.ackPending).toBeGreaterThanOrEqual(committed.length);

    system.env.notification.NATS_URL = nats.url;
    system.apps.notification = await startApp("notification", system.env.notification);
    const results = await orders;
    expect(results.filter((r) => r.status !== 201)).toEqual([]);
    await waitFor("every order to be notified", async () => (await orderNotifications(userId)).events >= 200, { timeoutMs: 45_000 });
    await settled();
    // The redelivered, already committed events changed nothing: 200 notifications, not more.
    expect(await orderNotifications(userId)).toEqual({ total: 200, events: 200 });
  } finally {
    release.resolve();
    system.env.notification.NATS_URL = nats.url;
    await proxy.close();
  }
}, 120_000);

test("SIGTERM to the order service during a burst: in-flight calls finish, the rest get 503 (never 500), it exits 0 (within its own shutdown deadline)", async () => {
  const userId = await createUser();
  let sent = 0;
  const orders = burst(200, 10, async () => {
    sent++;
    return orderFor(userId)();
  });
  await waitFor("the burst to be under way", () => sent >= 40);
  system.apps.order.proc.kill("SIGTERM");
  // Past its deadline (15 s) the service exits 1: exit 0 is the proof it stopped in time.
  const code = await Promise.race([system.apps.order.proc.exited, Bun.sleep(30_000).then(() => "still running")]);
  const results = await orders;

  expect(code).toBe(0);
  const statuses = Map.groupBy(results, (r) => r.status);
  expect([...statuses.keys()].filter((s) => s !== 201 && s !== 503)).toEqual([]);
  expect(statuses.get(201)?.length ?? 0).toBeGreaterThanOrEqual(30);
  expect(statuses.get(503)?.length ?? 0).toBeGreaterThan(0);
  // Exactly the answered orders exist: nothing half-done, nothing done without an answer.
  const stored = (await orderDb`select id from orders where user_id = ${userId}`).map((r) => r.id).sort();
  expect(stored).toEqual(
    statuses
      .get(201)!
      .map((r) => r.body.id)
      .sort(),
  );
  // Their events were relayed before the exit (the relay's last pass), none left behind.
  const [{ n }] = (await orderDb`select count(*)::int as n from outbox where published_at is null`) as unknown as [{ n: number }];
  expect(n).toBe(0);

  system.apps.order = await startApp("order", system.env.order);
}, 60_000);

test("PostgreSQL unreachable: the gateway answers 503 (not its deadline's 504), and recovers by itself", async () => {
  const proxy = await startTcpProxy("127.0.0.1", Number(new URL(system.databases.user.url).port || 5432));
  const proxied = new URL(system.databases.user.url);
  proxied.port = String(proxy.port);
  system.env.user.USER_DB_CONN = proxied.toString();
  await system.restart("user");
  try {
    const userId = await createUser();

    proxy.cut();
    // A few seconds of outage, long enough for a driver's growing reconnect backoff to show.
    const getUser = () => system.fetch(`${system.gatewayUrl}/users/${userId}`);
    const createOne = () =>
      system.fetch(`${system.gatewayUrl}/users`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ name: "Down Time", email: `down.${crypto.randomUUID()}@example.com` }),
      });
    // The gateway's deadline (GRPC_DEADLINE_MS) is 20 s here: a call that waited for it would be a
    // 504 (or this test's timeout); 503 UNAVAILABLE means the service failed fast on its own.
    for (let i = 0; i < 12; i++) {
      const res = await (i % 2 ? createOne() : getUser());
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("UNAVAILABLE");
      await Bun.sleep(250);
    }
    expect(system.apps.user.proc.exitCode).toBeNull(); // the outage did not take the service down

    proxy.restore();
    const back = await waitFor(
      "the user service to reach its database again",
      async () => {
        const res = await system.fetch(`${system.gatewayUrl}/users/${userId}`);
        if (res.status === 200) return res;
        throw new Error(`${res.status} ${await res.text()}`); // shown if it never recovers
      },
      { timeoutMs: 10_000 },
    );
    expect(((await back.json()) as { id: string }).id).toBe(userId);
  } catch (err) {
    // What the user service saw, for whoever reads a failed CI run.
    console.error(`user service exit code: ${system.apps.user.proc.exitCode}`, system.apps.user.text.slice(-10).join("\n"));
    for (const l of system.apps.user.logs.slice(-10)) console.error(JSON.stringify(l).slice(0, 800));
    for (const l of system.apps.gateway.logs.filter((l) => Number(l.level) >= 40).slice(-5)) console.error(JSON.stringify(l).slice(0, 800));
    throw err;
  } finally {
    await proxy.close();
  }
}, 60_000);

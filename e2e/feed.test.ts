// The live notification feed (GET /me/notifications/stream) and notification preferences, against
// the real system: resuming with Last-Event-ID across disconnects, a gateway restart and another
// gateway replica; only the caller's own notifications; preferences honoured by the worker.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { type Account, publishUndecodable, type RunningApp, type System, signUp, startApp, startSystem, waitFor } from "@evented/testing";
import postgres from "postgres";
import { startSmtpReceiver, startWebhookReceiver } from "../apps/notification/test/receivers.ts";

setDefaultTimeout(120_000);

interface Notification {
  id: string;
  user_id: string;
  kind: string;
  subject: string;
  deliveries: { channel: string; status: string; last_error: string }[];
}
interface FeedEvent {
  id: string;
  event: string;
  /** A notification; for a `reset`, `{ reason }` instead. */
  data: Notification;
}

let system: System;
let replica: RunningApp; // a second gateway on the same services
let replicaUrl: string;
const smtp = await startSmtpReceiver();
const push = startWebhookReceiver();

beforeAll(async () => {
  system = await startSystem({
    env: {
      // Small pools: the machine's PostgreSQL is shared with other tests.
      user: { USER_DB_POOL_SIZE: "3" },
      order: { ORDER_DB_POOL_SIZE: "3" },
      notification: {
        NOTIFICATION_DB_POOL_SIZE: "4",
        SMTP_URL: smtp.url,
        EMAIL_FROM: "Evented <notifications@shop.example>",
        PUSH_WEBHOOK_URL: push.url,
        NOTIFICATION_DELIVERY_POLL_MS: "200",
      },
    },
  });
  replica = await startApp("gateway", { ...system.env.gateway, GATEWAY_PORT: "0" });
  replicaUrl = `http://127.0.0.1:${replica.port}`;
}, 90_000);
afterAll(async () => {
  replica?.proc.kill("SIGKILL");
  await system?.stop();
  await Promise.all([smtp.close(), push.stop()]);
});

/** One connection to the stream, collecting its events until closed (or broken by the server). */
function openFeed(base: string, token: string, after?: string) {
  const ctl = new AbortController();
  const events: FeedEvent[] = [];
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, ...(after && { "last-event-id": after }) };
  const response = fetch(`${base}/me/notifications/stream`, { headers, signal: ctl.signal });
  const ended = (async (): Promise<"ended" | "closed" | "broken"> => {
    const res = await response;
    if (res.status !== 200) throw new Error(`stream answered ${res.status}: ${await res.text()}`);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return "ended";
        buffer += value;
        for (let at = buffer.indexOf("\n\n"); at >= 0; at = buffer.indexOf("\n\n")) {
          const fields = new Map<string, string>();
          for (const line of buffer.slice(0, at).split("\n")) {
            if (line.startsWith(":")) continue; // a comment: heartbeat
            const colon = line.indexOf(":");
            fields.set(line.slice(0, colon), line.slice(colon + 1).trimStart());
          }
          buffer = buffer.slice(at + 2);
          if (fields.has("data")) events.push({ id: fields.get("id")!, event: fields.get("event")!, data: JSON.parse(fields.get("data")!) });
        }
      }
    } catch {
      return ctl.signal.aborted ? "closed" : "broken";
    }
  })();
  ended.catch(() => {});
  return {
    events,
    status: response.then((r) => r.status),
    ended,
    close: () => ctl.abort(),
  };
}

/** A subscriber that reconnects with the last id it got, as EventSource does. */
function subscriber(token: string) {
  const events: FeedEvent[] = [];
  let current: ReturnType<typeof openFeed> | undefined;
  let taken = 0;
  const sync = () => {
    if (!current) return;
    events.push(...current.events.slice(taken));
    taken = current.events.length;
  };
  return {
    events: () => {
      sync();
      return events;
    },
    async connect(base: string) {
      sync();
      current = openFeed(base, token, events.at(-1)?.id);
      taken = 0;
      expect(await current.status).toBe(200);
    },
    close() {
      sync();
      current?.close();
      current = undefined;
    },
    ended: () => current?.ended,
  };
}

async function placeOrder(base: string, account: Account): Promise<string> {
  const res = await account.fetch(`${base}/orders`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ user_id: account.id, items: [{ product_id: "456", quantity: 1 }] }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

/** The order ids of the order confirmations among the events. */
const confirmed = (events: FeedEvent[]) => new Set(events.filter((e) => e.data.kind === "order_confirmation").map((e) => e.data.subject.split(" ")[1]!));

/** What the notification database holds as the user's feed between two cursors: what a stream must have delivered. */
async function feedRows(userId: string, from: string, to: string): Promise<string[]> {
  const sql = postgres(system.databases.notification.url, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql<
      { cursor: string }[]
    >`select id::text as cursor from notification_feed where user_id = ${userId} and id >= ${from} and id <= ${to} order by id`;
    return rows.map((r) => r.cursor);
  } finally {
    await sql.end();
  }
}

/** In order, none twice, all the user's, and nothing of theirs the database has that the stream skipped. */
async function expectWholeFeed(userId: string, events: FeedEvent[]) {
  const ids = events.map((e) => e.id);
  expect(ids.map(Number)).toEqual(ids.map(Number).toSorted((a, b) => a - b));
  expect(new Set(ids).size).toBe(ids.length);
  expect(new Set(events.map((e) => e.data.user_id))).toEqual(new Set([userId]));
  expect(new Set(events.map((e) => e.event))).toEqual(new Set(["notification"]));
  const rows = await feedRows(userId, ids[0]!, ids.at(-1)!);
  expect(ids).toEqual(rows);
}

test("200 notifications while the subscriber disconnects and reconnects three times: all 200, in order, none twice", async () => {
  const customer = await signUp(system.gatewayUrl);
  const feed = subscriber(customer.accessToken);
  await feed.connect(system.gatewayUrl);
  const orders: string[] = [];
  for (let batch = 0; batch < 20; batch++) {
    orders.push(...(await Promise.all(Array.from({ length: 10 }, () => placeOrder(system.gatewayUrl, customer)))));
    // After 50, 100 and 150 orders: drop the connection; the next 10 are made while it is down.
    if (batch === 4 || batch === 9 || batch === 14) {
      await waitFor("some events before the cut", () => confirmed(feed.events()).size > 0);
      feed.close();
    }
    if (batch === 5 || batch === 10 || batch === 15) await feed.connect(system.gatewayUrl);
  }
  await waitFor("all 200 order confirmations", () => confirmed(feed.events()).size === 200, { timeoutMs: 60_000 });
  feed.close();
  const events = feed.events();
  expect([...confirmed(events)].sort()).toEqual(orders.toSorted());
  // Each notification first comes when it is recorded, again as its deliveries end.
  const firsts = events.filter((e, i) => events.findIndex((f) => f.data.id === e.data.id) === i && e.data.kind === "order_confirmation");
  expect(firsts).toHaveLength(200);
  await expectWholeFeed(customer.id, events);
});

test("resumes across a gateway restart and from one gateway replica to another", async () => {
  const customer = await signUp(system.gatewayUrl);
  const feed = subscriber(customer.accessToken);
  await feed.connect(system.gatewayUrl);
  const orders: string[] = [];
  const place = async (base: string, n: number) => {
    for (let i = 0; i < n; i++) orders.push(await placeOrder(base, customer));
  };
  await place(system.gatewayUrl, 3);
  await waitFor("the first confirmations", () => confirmed(feed.events()).size === 3);

  // The gateway is killed under the open stream; orders go on through the replica meanwhile.
  const cut = feed.ended();
  const restarted = system.restart("gateway");
  expect(await cut).toBe("broken");
  await place(replicaUrl, 3);
  await feed.connect(replicaUrl); // resumed on the other replica
  await waitFor("the orders made while cut off", () => confirmed(feed.events()).size === 6);
  await restarted;
  feed.close();
  await place(replicaUrl, 3);
  await feed.connect(system.gatewayUrl); // and back to the restarted one
  await place(system.gatewayUrl, 3);
  await waitFor("all 12 confirmations", () => confirmed(feed.events()).size === 12);
  feed.close();
  expect([...confirmed(feed.events())].sort()).toEqual(orders.toSorted());
  await expectWholeFeed(customer.id, feed.events());
});

test("a customer's stream never carries another user's notification", async () => {
  const [ann, bob] = await Promise.all([signUp(system.gatewayUrl), signUp(system.gatewayUrl)]);
  const annFeed = subscriber(ann.accessToken);
  const bobFeed = subscriber(bob.accessToken);
  await Promise.all([annFeed.connect(system.gatewayUrl), bobFeed.connect(replicaUrl)]);
  const annOrders = await Promise.all([1, 2, 3].map(() => placeOrder(system.gatewayUrl, ann)));
  const bobOrders = await Promise.all([1, 2, 3].map(() => placeOrder(system.gatewayUrl, bob)));
  await waitFor("both users' confirmations", () => confirmed(annFeed.events()).size === 3 && confirmed(bobFeed.events()).size === 3);
  // A little longer: anything misrouted would have arrived by the time the other's deliveries ended.
  await waitFor("the deliveries to end", () => annFeed.events().some((e) => e.data.deliveries.every((d) => d.status !== "pending")));
  annFeed.close();
  bobFeed.close();
  expect([...confirmed(annFeed.events())].sort()).toEqual(annOrders.toSorted());
  expect([...confirmed(bobFeed.events())].sort()).toEqual(bobOrders.toSorted());
  expect(new Set(annFeed.events().map((e) => e.data.user_id))).toEqual(new Set([ann.id]));
  expect(new Set(bobFeed.events().map((e) => e.data.user_id))).toEqual(new Set([bob.id]));
  // Bob cannot read Ann's feed by naming her cursor either: a cursor only says "after", never whose.
  const sneaky = openFeed(system.gatewayUrl, bob.accessToken, "0");
  await Bun.sleep(500);
  sneaky.close();
  expect(sneaky.events.every((e) => e.data.user_id === bob.id)).toBe(true);
});

test("a notification service restart does not end the stream: the gateway resumes it from the last change it passed on", async () => {
  const customer = await signUp(system.gatewayUrl);
  const feed = openFeed(system.gatewayUrl, customer.accessToken);
  expect(await feed.status).toBe(200);
  const orders = [await placeOrder(system.gatewayUrl, customer)];
  await waitFor("the first confirmation", () => confirmed(feed.events).size === 1);
  await system.restart("notification");
  orders.push(await placeOrder(system.gatewayUrl, customer), await placeOrder(system.gatewayUrl, customer));
  await waitFor("the confirmations after the restart, on the same connection", () => confirmed(feed.events).size === 3);
  feed.close();
  expect(await feed.ended).toBe("closed"); // by us: the gateway never ended it
  expect([...confirmed(feed.events)].sort()).toEqual(orders.toSorted());
  await expectWholeFeed(customer.id, feed.events);
});

/** Runs one statement on the notification database. */
async function notificationDb<T>(query: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(system.databases.notification.url, { max: 1, onnotice: () => {} });
  try {
    return await query(sql);
  } finally {
    await sql.end();
  }
}

/** Whether the events have the confirmation of this order with every delivery ended: no feed entry for it comes after. */
const ended = (events: FeedEvent[], orderId: string) =>
  events.some((e) => e.event === "notification" && e.data.subject === `Order ${orderId} received` && e.data.deliveries.every((d) => d.status !== "pending"));

test("a subscriber back after the feed pruned changes it had not got is told first (event: reset), then gets the rest once, in order", async () => {
  const customer = await signUp(system.gatewayUrl);
  const live = openFeed(system.gatewayUrl, customer.accessToken);
  expect(await live.status).toBe(200);
  const first = await placeOrder(system.gatewayUrl, customer);
  await waitFor("the first order's confirmation to end", () => ended(live.events, first));
  live.close();
  // Every entry of the user so far past the retention by its age (7 days): the deliverer's next
  // prune (every 10 s) removes them. The last of them is the mark a reset names.
  const aged = await notificationDb(
    (sql) => sql<{ id: string }[]>`
    update notification_feed set created_at = now() - interval '8 days' where user_id = ${customer.id} returning id::text`,
  );
  const pruned = String(Math.max(...aged.map((r) => Number(r.id))));
  const oldest = String(Math.min(...aged.map((r) => Number(r.id))));
  expect(aged.length).toBeGreaterThan(1);
  await waitFor("the prune", async () => (await feedRows(customer.id, "0", pruned)).length === 0, { timeoutMs: 30_000 });
  const second = await placeOrder(system.gatewayUrl, customer);

  // Away since its oldest change: all after it were pruned, so a reset first, its id the last one pruned.
  const away = openFeed(system.gatewayUrl, customer.accessToken, oldest);
  await waitFor("the second order's confirmation to end", () => ended(away.events, second));
  away.close();
  const [reset, ...rest] = away.events;
  expect(reset).toEqual({ id: pruned, event: "reset", data: { reason: "pruned" } as never });
  expect(rest.map((e) => e.id)).toEqual(await feedRows(customer.id, String(Number(pruned) + 1), rest.at(-1)!.id));
  await expectWholeFeed(customer.id, rest);

  // From the reset's id (any cursor past what was pruned): no reset, the same changes.
  const back = openFeed(system.gatewayUrl, customer.accessToken, pruned);
  await waitFor("the second order's confirmation to end", () => ended(back.events, second));
  back.close();
  expect(back.events.map((e) => e.id)).toEqual(await feedRows(customer.id, String(Number(pruned) + 1), back.events.at(-1)!.id));
  await expectWholeFeed(customer.id, back.events);
});

test("an invalid cursor is 400; no token 401", async () => {
  const customer = await signUp(system.gatewayUrl);
  expect(await openFeed(system.gatewayUrl, customer.accessToken, "not-a-cursor").status).toBe(400);
  const res = await fetch(`${system.gatewayUrl}/me/notifications/stream`);
  expect(res.status).toBe(401);
  expect(Object.keys((await res.json()) as object)).toEqual(["error"]);
});

test("at most 5 open streams per user: the sixth is 429, and one closed makes room", async () => {
  const customer = await signUp(system.gatewayUrl);
  const open = Array.from({ length: 5 }, () => openFeed(system.gatewayUrl, customer.accessToken));
  expect(await Promise.all(open.map((f) => f.status))).toEqual([200, 200, 200, 200, 200]);
  const sixth = openFeed(system.gatewayUrl, customer.accessToken);
  expect(await sixth.status).toBe(429);
  open[0]!.close();
  const again = await waitFor("room for another stream", async () => {
    const f = openFeed(system.gatewayUrl, customer.accessToken);
    if ((await f.status) === 200) return f;
  });
  for (const f of [...open, again]) f.close();
});

describe("notification preferences", () => {
  test("the full matrix, default enabled; the security kinds locked", async () => {
    const customer = await signUp(system.gatewayUrl);
    const res = await customer.fetch(`${system.gatewayUrl}/me/notification-preferences`);
    const { preferences } = (await res.json()) as { preferences: { kind: string; channel: string; enabled: boolean; locked: boolean }[] };
    expect(res.status).toBe(200);
    expect(preferences.every((p) => p.enabled)).toBe(true);
    expect(preferences).toContainEqual({ kind: "order_confirmation", channel: "push", enabled: true, locked: false });
    expect(preferences).toContainEqual({ kind: "order_status", channel: "sms", enabled: true, locked: false });
    expect(
      preferences
        .filter((p) => p.locked)
        .map((p) => p.kind)
        .sort(),
    ).toEqual(["invitation", "password_reset", "verify_email"]);
  });

  test("a switched-off channel is suppressed, the others still sent", async () => {
    const customer = await signUp(system.gatewayUrl);
    const put = await customer.fetch(`${system.gatewayUrl}/me/notification-preferences`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ preferences: [{ kind: "order_confirmation", channel: "email", enabled: false }] }),
    });
    expect(put.status).toBe(200);
    expect(((await put.json()) as { preferences: unknown[] }).preferences).toContainEqual({
      kind: "order_confirmation",
      channel: "email",
      enabled: false,
      locked: false,
    });
    const orderId = await placeOrder(system.gatewayUrl, customer);
    const deliveries = await waitFor("the confirmation's deliveries to end", async () => {
      const res = await customer.fetch(`${system.gatewayUrl}/users/${customer.id}/notifications`);
      const n = ((await res.json()) as { notifications: Notification[] }).notifications.find((x) => x.kind === "order_confirmation");
      return n?.deliveries.every((d) => d.status !== "pending") && n.deliveries;
    });
    expect(deliveries.map((d) => [d.channel, d.status, d.last_error]).sort()).toEqual([
      ["email", "suppressed", "switched_off"],
      ["push", "sent", ""],
    ]);
    expect(push.received.some((r) => r.body.user_id === customer.id && r.body.kind === "order_confirmation")).toBe(true);
    // The welcome (another kind) went by email; the confirmation did not.
    await waitFor("the welcome email", () => smtp.received.some((m) => m.to.includes(customer.email) && m.mail.subject === "Welcome aboard"));
    expect(smtp.received.some((m) => m.mail.subject === `Order ${orderId} received`)).toBe(false);
  });

  test("security kinds cannot be switched off; unknown kinds and channels are 400", async () => {
    const customer = await signUp(system.gatewayUrl);
    const put = (preferences: unknown[]) =>
      customer.fetch(`${system.gatewayUrl}/me/notification-preferences`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ preferences }),
      });
    for (const kind of ["verify_email", "password_reset", "invitation"]) {
      const res = await put([{ kind, channel: "email", enabled: false }]);
      expect({ kind, status: res.status }).toEqual({ kind, status: 400 });
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain("cannot be switched off");
    }
    expect((await put([{ kind: "no_such_kind", channel: "email", enabled: false }])).status).toBe(400);
    expect((await put([{ kind: "welcome", channel: "push", enabled: false }])).status).toBe(400); // welcome is never pushed
    expect((await put([{ kind: "welcome", channel: "fax", enabled: false }])).status).toBe(400);
    const after = await customer.fetch(`${system.gatewayUrl}/me/notification-preferences`);
    expect(((await after.json()) as { preferences: { enabled: boolean }[] }).preferences.every((p) => p.enabled)).toBe(true);
  });
});

test("dead letters: listed by an admin through the API, a replay that cannot apply refused clearly, then discarded; refused to others", async () => {
  await publishUndecodable(system);
  const list = async () =>
    ((await (await system.fetch(`${system.gatewayUrl}/admin/dead-letters`)).json()) as { dead_letters: Record<string, unknown>[] }).dead_letters;
  const [letter] = await waitFor("the dead letter", async () => {
    const letters = await list();
    return letters.length > 0 && letters;
  });
  const id = String(letter!.id);
  expect(id).toMatch(/^notification-\d+$/);
  expect(letter).toMatchObject({ service: "notification", consumer: "notification", replayed_at: null });
  expect(String(letter!.reason)).toContain("undecodable");

  const customer = await signUp(system.gatewayUrl);
  expect((await customer.fetch(`${system.gatewayUrl}/admin/dead-letters`)).status).toBe(403);
  expect((await fetch(`${system.gatewayUrl}/admin/dead-letters`)).status).toBe(401);
  const replay = (as: typeof fetch, id: string) => as(`${system.gatewayUrl}/admin/dead-letters/${id}/replay`, { method: "POST" });
  expect((await replay(customer.fetch, id)).status).toBe(403);

  // Undecodable, it cannot be applied again: a clear 400, and it keeps waiting (no new dead letter).
  // (A replay that succeeds, then 409: e2e/nats-permissions.test.ts, under the deployment's permissions.)
  const refused = await replay(system.fetch, id);
  const body = (await refused.json()) as { error: { code: string; message: string } };
  expect({ status: refused.status, code: body.error.code }).toEqual({ status: 400, code: "FAILED_PRECONDITION" });
  expect(body.error.message).toContain("cannot be decoded");
  expect((await replay(system.fetch, "notification-999999")).status).toBe(404);
  expect((await list()).filter((l) => l.id === id || String(l.reason).includes("undecodable"))).toEqual([letter!]);

  const pipeline = async () => {
    const ops = await system.fetch(`${system.gatewayUrl}/admin/ops`);
    expect(ops.status).toBe(200);
    return (await ops.json()) as { readiness: { status: string }; outbox: { service: string }[]; consumers: { consumer: string; dead_letters: number }[] };
  };
  const waiting = async () => (await pipeline()).consumers.find((c) => c.consumer === "notification")?.dead_letters ?? 0;
  const before = await pipeline();
  expect(before.readiness.status).toBe("ready");
  expect(before.outbox.map((o) => o.service).sort()).toEqual(["order", "user"]);
  const waitingBefore = await waiting();
  expect(waitingBefore).toBeGreaterThan(0);
  expect((await customer.fetch(`${system.gatewayUrl}/admin/ops`)).status).toBe(403);

  // Never to be applied, then: discarded. Its service erases what it held; it no longer waits nor counts.
  const discard = (as: typeof fetch, id: string) => as(`${system.gatewayUrl}/admin/dead-letters/${id}`, { method: "DELETE" });
  expect((await discard(fetch, id)).status).toBe(401);
  expect((await discard(customer.fetch, id)).status).toBe(403);
  const discarded = await discard(system.fetch, id);
  expect(discarded.status).toBe(200);
  expect(await discarded.json()).toEqual({ ...letter!, event_type: "", discarded_at: expect.any(String) });
  const sql = postgres(system.databases.notification.url, { max: 1, onnotice: () => {} });
  try {
    const held = await sql`select length(payload) as bytes, headers from dead_letters where id = ${Number(id.slice("notification-".length))}`;
    expect([...held]).toEqual([{ bytes: 0, headers: {} }]);
  } finally {
    await sql.end();
  }
  expect((await list()).map((l) => l.id)).not.toContain(id);
  const all = ((await (await system.fetch(`${system.gatewayUrl}/admin/dead-letters?all=true`)).json()) as { dead_letters: Record<string, unknown>[] })
    .dead_letters;
  expect(all.find((l) => l.id === id)).toMatchObject({ replayed_at: null, discarded_at: expect.any(String) });
  expect(await waiting()).toBe(waitingBefore - 1);
  expect((await replay(system.fetch, id)).status).toBe(409);
  expect((await discard(system.fetch, id)).status).toBe(409);
  expect((await discard(system.fetch, "notification-999999")).status).toBe(404);
});

test("a gateway shutting down ends its streams; the notification service down is 503, not a hang", async () => {
  const customer = await signUp(system.gatewayUrl);
  const open = openFeed(replicaUrl, customer.accessToken);
  expect(await open.status).toBe(200);
  replica.proc.kill("SIGTERM");
  expect(await open.ended).toBe("ended"); // closed by the gateway, not cut
  expect(await replica.proc.exited).toBe(0);

  await system.kill("notification");
  const res = await fetch(`${system.gatewayUrl}/me/notifications/stream`, { headers: { authorization: `Bearer ${customer.accessToken}` } });
  expect(res.status).toBe(503);
  expect(Object.keys((await res.json()) as object)).toEqual(["error"]);
  await system.restart("notification");
});

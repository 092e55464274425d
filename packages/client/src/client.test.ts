// The whole API through createClient, against a gateway in this process with fake services: each
// route answers what its types promise, and each call reaches the service method behind it.
import { expect, test } from "bun:test";
import { testGateway } from "@evented/gateway/testing";
import { createClient } from "./index.ts";

test("createClient drives every route of the gateway", async () => {
  const { app, fake } = testGateway();
  const routesHit = new Set<string>();
  const api = createClient("http://localhost", {
    // No port: requests go straight into app.handle, as the browser's fetch would send them.
    fetcher: (async (url: string, init?: RequestInit) => {
      const request = new Request(url, init);
      routesHit.add(`${request.method} ${new URL(request.url).pathname}`);
      return app.handle(request);
    }) as typeof fetch,
  });

  expect((await api.health.get()).data).toEqual({ status: "ok" });
  expect((await api.ready.get()).data).toEqual({ status: "ready", checks: {}, down: [] });

  const created = await api.users.post(
    { name: "Ada Lovelace", email: "ada@example.com", phone: "+14155550123" },
    { headers: { "idempotency-key": "signup-1" } },
  );
  expect(created.status).toBe(201);
  const user = created.data!;
  expect(user).toMatchObject({ name: "Ada Lovelace", email: "ada@example.com", phone: "+14155550123" });
  expect(fake.calls.at(-1)?.request).toMatchObject({ idempotencyKey: "signup-1" });

  expect((await api.users({ id: user.id }).get()).data).toEqual(user);
  // Times are strings, as typed (Eden would parse them into Dates unless told not to).
  expect(typeof user.created_at).toBe("string");
  expect((await api.users.get({ query: { page_size: 10 } })).data?.users.map((u) => u.id)).toEqual([user.id]);
  const renamed = await api.users({ id: user.id }).patch({ name: "Ada King" });
  expect(renamed.data).toMatchObject({ id: user.id, name: "Ada King", email: "ada@example.com" });

  const catalog = await api.products.get();
  expect(catalog.data?.products).toContainEqual({ id: "456", name: "Notebook", unit_price: 1250, currency: "USD" });

  const placed = await api.orders.post({ user_id: user.id, items: [{ product_id: "456", quantity: 2 }] }, { headers: { "idempotency-key": "checkout-1" } });
  expect(placed.status).toBe(201);
  const order = placed.data!;
  expect(order).toMatchObject({
    user_id: user.id,
    status: "pending",
    currency: "USD",
    total: 2500,
    items: [{ product_id: "456", quantity: 2, unit_price: 1250 }],
  });

  expect((await api.orders({ id: order.id }).get()).data).toEqual(order);
  expect((await api.orders.get({ query: { user_id: user.id } })).data?.orders.map((o) => o.id)).toEqual([order.id]);
  expect((await api.users({ id: user.id }).orders.get({ query: {} })).data?.orders.map((o) => o.id)).toEqual([order.id]);

  const confirmed = await api.orders({ id: order.id }).status.patch({ status: "confirmed" });
  expect(confirmed.data?.status).toBe("confirmed");
  const cancelled = await api.orders({ id: order.id }).cancel.post({ reason: "changed my mind" });
  expect(cancelled.data).toMatchObject({ status: "cancelled", cancel_reason: "changed my mind" });

  const told = await api.users({ id: user.id }).notifications.get({ query: {} });
  expect(told.data?.notifications).toEqual([expect.objectContaining({ user_id: user.id, kind: "welcome", event_type: "UserCreated" })]);

  const session = await api.auth.login.post({ email: "ada@example.com", password: "correct horse battery staple" });
  const { refresh_token, access_token, token_type } = session.data!;
  expect({ token_type, access: typeof access_token, refresh: typeof refresh_token }).toEqual({ token_type: "Bearer", access: "string", refresh: "string" });
  expect((await api.auth.refresh.post({ refresh_token })).status).toBe(200);
  expect((await api.auth.logout.post({ refresh_token })).status).toBe(204);
  expect((await api.me.get()).data).toMatchObject({ id: user.id });
  expect((await api.me.password.post({ current_password: "correct horse battery staple", new_password: "another passphrase" })).status).toBe(204);
  expect((await api.auth["verify-email"].post({ token: "t0k3n" })).data).toMatchObject({ id: user.id });
  expect((await api.auth["password-reset"].post({ email: "ada@example.com" })).status).toBe(202);
  expect((await api.auth["password-reset"].confirm.post({ token: "t0k3n", new_password: "another passphrase" })).status).toBe(204);
  expect((await api[".well-known"]["jwks.json"].get()).data).toEqual({ keys: [] });

  const prefs = await api.me["notification-preferences"].get();
  expect(prefs.data?.preferences).toContainEqual({ kind: "welcome", channel: "email", enabled: true, locked: false });
  const switched = await api.me["notification-preferences"].put({ preferences: [{ kind: "welcome", channel: "email", enabled: false }] });
  expect(switched.data?.preferences).toContainEqual({ kind: "welcome", channel: "email", enabled: false, locked: false });
  expect((await api.me["notification-preferences"].put({ preferences: [{ kind: "welcome", channel: "fax" as "sms", enabled: false }] })).status).toBe(400);

  // The live feed, typed: each event's data is a notification (or, for a reset, why).
  const live = await api.me.notifications.stream.get({ headers: { "last-event-id": "0" } });
  expect(live.status).toBe(200);
  for await (const event of live.data!) {
    expect(event.event).toBe("notification");
    if (event.event !== "notification") break;
    expect(event.data.kind).toBe("welcome");
    expect(event.data.user_id).toBe(user.id);
    break;
  }

  const ops = await api.admin.ops.get();
  expect(ops.data?.consumers.map((c) => c.consumer)).toEqual(["order", "notification"]);
  const letters = await api.admin["dead-letters"].get({ query: {} });
  const letter = letters.data!.dead_letters[0]!;
  expect(letter).toMatchObject({ id: "notification-1", event_type: "OrderCreated", replayed_at: null });
  expect((await api.admin["dead-letters"]({ id: letter.id }).replay.post()).data?.replayed_at).toBeTruthy();
  expect((await api.admin["dead-letters"]({ id: letter.id }).replay.post()).status).toBe(409);
  const discarded = await api.admin["dead-letters"]({ id: "notification-2" }).delete();
  expect(discarded.data).toMatchObject({ id: "notification-2", event_type: "", replayed_at: null, discarded_at: expect.any(String) });
  expect((await api.admin["dead-letters"]({ id: letter.id }).delete()).status).toBe(409);

  const deleted = await api.users({ id: user.id }).delete();
  expect(deleted.status).toBe(204);
  const gone = await api.users({ id: user.id }).get();
  expect(gone.status).toBe(404);
  expect(gone.error?.value).toMatchObject({ error: { code: "NOT_FOUND", request_id: expect.any(String) } });

  const invalid = await api.users.post({ name: "", email: "not-an-address" });
  expect(invalid.status).toBe(400);
  expect(invalid.error?.value).toMatchObject({ error: { code: "INVALID_ARGUMENT", message: expect.stringContaining("name must be") } });

  // Every route the app serves was called (the docs' own aside), and every service method behind them.
  // /metrics is for Prometheus, not for API clients.
  const served = app.routes.filter((r) => !r.path.startsWith("/swagger") && r.path !== "/metrics").map((r) => `${r.method} ${r.path}`);
  const hit = [...routesHit].map((r) =>
    r
      .replaceAll(user.id, ":id")
      .replaceAll(order.id, ":id")
      .replace(/notification-\d+/, ":id"),
  );
  expect(new Set(hit)).toEqual(new Set(served));
  const { ops: opsClients, ...services } = fake.clients;
  const methods = [...Object.values(services), ...Object.values(opsClients)].flatMap((c) => Object.keys(c).filter((k) => k !== "close"));
  expect(new Set(fake.calls.map((c) => c.method))).toEqual(new Set(methods));
});

test("the live feed's reset comes typed, with the cursor to resume after, before the changes after it", async () => {
  const { app, fake } = testGateway();
  const api = createClient("http://localhost", { fetcher: (async (url: string, init?: RequestInit) => app.handle(new Request(url, init))) as typeof fetch });
  for (const name of ["Ada", "Bob"]) await api.users.post({ name, email: `${name.toLowerCase()}@example.com` }, { headers: { "idempotency-key": name } });
  fake.pruneFeed(1); // Ada's welcome is no longer kept
  const live = await api.me.notifications.stream.get({ headers: { "last-event-id": "0" } });
  const events: string[][] = [];
  for await (const event of live.data!) {
    // Eden parses the id as JSON (a number here), though typed a string.
    const id = String(event.id);
    events.push(event.event === "reset" ? [event.event, id, event.data.reason] : [event.event, id, event.data.body]);
    if (events.length === 2) break;
  }
  expect(events).toEqual([
    ["reset", "1", "pruned"],
    ["notification", "2", "Hello Bob"],
  ]);
});

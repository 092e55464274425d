// The whole domain through the typed Eden client, against the real system (gateway, user, order,
// notification as processes on a fresh database and stream): every route's success and failure
// modes, the user-deleted saga, idempotency over HTTP, malformed input, and the user service down.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createClient } from "@evented/client";
import { type System, startSystem, waitFor } from "@evented/testing";
import { MALFORMED } from "./malformed-requests.ts";

setDefaultTimeout(30_000);

let system: System;
let api: ReturnType<typeof createClient>;

beforeAll(async () => {
  system = await startSystem();
  api = createClient(system.gatewayUrl, { token: system.admin.accessToken });
}, 60_000);
afterAll(() => system?.stop());

const MISSING = "01900000-0000-7000-8000-000000000000";
let seq = 0;
const email = (tag = "e2e") => `${tag}.${Date.now()}.${++seq}@example.com`;

interface ErrorBody {
  error: { code: string; message: string; request_id: string };
}

/** Asserts the standard error body, and that it gives away nothing internal. */
function expectErrorBody(body: unknown, code?: string, message?: string): ErrorBody {
  expect(body).toEqual({ error: { code: expect.any(String), message: expect.any(String), request_id: expect.any(String) } });
  const { error } = body as ErrorBody;
  if (code) expect(error.code).toBe(code);
  if (message) expect(error.message).toContain(message);
  expect(error.request_id.length).toBeGreaterThan(0);
  expect(error.message.length).toBeLessThan(600); // never an echo of a huge input
  expect(error.message).not.toMatch(/\n\s+at |stack|select |insert |update .* set|postgres|drizzle|grpc|127\.0\.0\.1|ECONN/i);
  return body as ErrorBody;
}

/** An Eden response that failed: its status and error body. */
function expectFailure(res: { status: number; error: unknown }, httpStatus: number, code: string, message?: string): ErrorBody {
  expect(res.status).toBe(httpStatus);
  return expectErrorBody((res.error as { value: unknown } | null)?.value, code, message);
}

async function newUser(name = "Ada Lovelace") {
  const res = await api.users.post({ name, email: email() });
  expect(res.status).toBe(201);
  return res.data!;
}

async function newOrder(userId: string, items = [{ product_id: "456", quantity: 2 }]) {
  const res = await api.orders.post({ user_id: userId, items });
  expect(res.status).toBe(201);
  return res.data!;
}

describe("users", () => {
  test("create, get, update some fields, delete", async () => {
    const address = email("grace");
    const created = await api.users.post({ name: "Grace Hopper", email: address, phone: "+14155550123" });
    expect(created.status).toBe(201);
    const user = created.data!;
    expect(user).toMatchObject({ name: "Grace Hopper", email: address, phone: "+14155550123" });

    expect((await api.users({ id: user.id }).get()).data).toEqual(user);

    const patched = await api.users({ id: user.id }).patch({ name: "Rear Admiral Hopper" });
    expect(patched.status).toBe(200);
    expect(patched.data).toMatchObject({ id: user.id, name: "Rear Admiral Hopper", email: address, phone: "+14155550123" });

    const deleted = await api.users({ id: user.id }).delete();
    expect(deleted.status).toBe(204);
    expectFailure(await api.users({ id: user.id }).get(), 404, "NOT_FOUND", `user ${user.id} not found`);
    expectFailure(await api.users({ id: user.id }).delete(), 404, "NOT_FOUND");
    expectFailure(await api.users({ id: user.id }).patch({ name: "Ghost" }), 404, "NOT_FOUND");
  });

  test("an email is taken whatever its case, on create and on update: 409 with a clear message", async () => {
    const address = email("Taken");
    await api.users.post({ name: "Owner", email: address });
    expectFailure(await api.users.post({ name: "Copy", email: address.toUpperCase() }), 409, "ALREADY_EXISTS", "a user with this email already exists");

    const other = await newUser("Other");
    expectFailure(await api.users({ id: other.id }).patch({ email: address.toLowerCase() }), 409, "ALREADY_EXISTS", "a user with this email already exists");
    expect((await api.users({ id: other.id }).get()).data).toEqual(other);
  });

  test("an update with no fields is 400", async () => {
    const user = await newUser();
    expectFailure(await api.users({ id: user.id }).patch({}), 400, "INVALID_ARGUMENT", "nothing to update");
  });

  test("the list walks every user once, newest first, in pages of at most 100", async () => {
    const mine = new Set<string>();
    for (let i = 0; i < 5; i++) mine.add((await newUser(`Page ${i}`)).id);

    const seen: string[] = [];
    let token: string | undefined;
    do {
      const res = await api.users.get({ query: { page_size: 2, ...(token && { page_token: token }) } });
      expect(res.status).toBe(200);
      expect(res.data!.users.length).toBeLessThanOrEqual(2);
      seen.push(...res.data!.users.map((u) => u.id));
      token = res.data!.next_page_token || undefined;
    } while (token && seen.length < 10_000);
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of mine) expect(seen).toContain(id);
    expect(seen).toEqual([...seen].sort().reverse());

    const big = await api.users.get({ query: { page_size: 100 } });
    expect(big.status).toBe(200);
    expectFailure(await api.users.get({ query: { page_size: 101 } }), 400, "INVALID_ARGUMENT", "page_size must be a whole number from 1 to 100");
    expectFailure(await api.users.get({ query: { page_token: "garbage" } }), 400, "INVALID_ARGUMENT", "page_token is not valid");
  });

  test("the notifications of a user: the welcome, once it is recorded", async () => {
    const user = await newUser();
    const welcome = await waitFor("the welcome notification", async () => {
      const res = await api.users({ id: user.id }).notifications.get({ query: {} });
      return res.data?.notifications.find((n) => n.kind === "welcome");
    });
    expect(welcome).toMatchObject({ user_id: user.id, event_type: "UserCreated" });
    const unknown = await api.users({ id: MISSING }).notifications.get({ query: {} });
    expect(unknown.data).toEqual({ notifications: [], next_page_token: "" });
  });
});

describe("orders", () => {
  test("the seed's body places a pending order; it can be read, listed, and its total is in minor units", async () => {
    const user = await newUser();
    const res = await system.fetch(`${system.gatewayUrl}/orders`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: `{"user_id": "${user.id}", "items": [{"product_id": "456", "quantity": 2}]}`,
    });
    expect(res.status).toBe(201);
    const seed = (await res.json()) as { id: string };
    // Priced from the sample catalog (GET /products): 456 is 12.50 USD.
    expect(seed).toMatchObject({
      user_id: user.id,
      status: "pending",
      currency: "USD",
      total: 2500,
      items: [{ product_id: "456", quantity: 2, unit_price: 1250 }],
    });

    const catalog = (await api.products.get()).data!.products;
    const price = (id: string) => catalog.find((p) => p.id === id)!.unit_price;
    const priced = await api.orders.post({
      user_id: user.id,
      items: [
        { product_id: "789", quantity: 3 },
        { product_id: "123", quantity: 1 },
      ],
    });
    expect(priced.status).toBe(201);
    expect(priced.data).toMatchObject({ currency: "USD", total: 3 * price("789") + price("123") });

    // Eden revives date strings as Dates: compare as JSON.
    expect(JSON.parse(JSON.stringify((await api.orders({ id: seed.id }).get()).data))).toEqual(seed);
    expectFailure(await api.orders({ id: MISSING }).get(), 404, "NOT_FOUND", `order ${MISSING} not found`);

    const byUser = await api.users({ id: user.id }).orders.get({ query: { page_size: 1 } });
    expect(byUser.data!.orders.map((o) => o.id)).toEqual([priced.data!.id]);
    const next = await api.users({ id: user.id }).orders.get({ query: { page_size: 1, page_token: byUser.data!.next_page_token } });
    expect(next.data).toMatchObject({ orders: [{ id: seed.id }], next_page_token: "" });
    const filtered = await api.orders.get({ query: { user_id: user.id } });
    expect(filtered.data!.orders.map((o) => o.id)).toEqual([priced.data!.id, seed.id]);
  });

  test("the catalog is open to anyone; an order's prices come from it, never from the body", async () => {
    const anonymous = await fetch(`${system.gatewayUrl}/products`); // no token
    expect(anonymous.status).toBe(200);
    const { products } = (await anonymous.json()) as { products: { id: string; name: string; unit_price: number; currency: string }[] };
    expect(products).toContainEqual({ id: "456", name: "Notebook", unit_price: 1250, currency: "USD" });
    for (const p of products) expect(Object.keys(p).sort()).toEqual(["currency", "id", "name", "unit_price"]);

    const user = await newUser();
    const order = (items: unknown[], extra: object = {}) =>
      system.fetch(`${system.gatewayUrl}/orders`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ user_id: user.id, items, ...extra }),
      });
    const refusals: [string, Response, string][] = [
      ["a price in the body", await order([{ product_id: "456", quantity: 1, unit_price: 1 }]), "unit_price is not accepted"],
      ["an unknown product", await order([{ product_id: "no-such-product", quantity: 1 }]), "is not in the catalog"],
      [
        "two currencies",
        await order([
          { product_id: "456", quantity: 1 },
          { product_id: "2001", quantity: 1 },
        ]),
        "priced in USD and EUR",
      ],
      ["another currency named", await order([{ product_id: "456", quantity: 1 }], { currency: "EUR" }), "is not the products' currency"],
    ];
    for (const [what, res, says] of refusals) {
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect({ what, status: res.status, says: body.error.message.includes(says) }).toEqual({ what, status: 400, says: true });
    }
    expect((await api.users({ id: user.id }).orders.get({ query: {} })).data!.orders).toEqual([]);
  });

  test("an unknown user cannot order: 400, not 500", async () => {
    expectFailure(
      await api.orders.post({ user_id: MISSING, items: [{ product_id: "456", quantity: 1 }] }),
      400,
      "FAILED_PRECONDITION",
      `user ${MISSING} does not exist`,
    );
  });

  test("pending -> confirmed -> shipped -> completed; anything else is 409 naming the current status", async () => {
    const order = await newOrder((await newUser()).id);
    const move = (status: "pending" | "confirmed" | "shipped" | "completed" | "cancelled") => api.orders({ id: order.id }).status.patch({ status });

    expectFailure(await move("shipped"), 409, "ABORTED", `order ${order.id} is pending and cannot become shipped`);
    for (const status of ["confirmed", "shipped"] as const) expect((await move(status)).data?.status).toBe(status);
    expectFailure(await move("cancelled"), 409, "ABORTED", "is shipped and cannot become cancelled");
    expectFailure(await api.orders({ id: order.id }).cancel.post({ reason: "too late" }), 409, "ABORTED", "is shipped and cannot become cancelled");
    expectFailure(await move("pending"), 409, "ABORTED", "is shipped and cannot become pending");
    expect((await move("completed")).data?.status).toBe("completed");
    expectFailure(await move("confirmed"), 409, "ABORTED", "is completed and cannot become confirmed; it is final");
    expectFailure(await api.orders({ id: MISSING }).status.patch({ status: "confirmed" }), 404, "NOT_FOUND");
  });

  test("cancel before shipping, with or without a reason; a cancelled order is final", async () => {
    const user = await newUser();
    const withReason = await newOrder(user.id);
    const cancelled = await api.orders({ id: withReason.id }).cancel.post({ reason: "changed my mind" });
    expect(cancelled.data).toMatchObject({ status: "cancelled", cancel_reason: "changed my mind" });
    expectFailure(await api.orders({ id: withReason.id }).status.patch({ status: "confirmed" }), 409, "ABORTED", "is cancelled and cannot become confirmed");

    const confirmed = await newOrder(user.id);
    await api.orders({ id: confirmed.id }).status.patch({ status: "confirmed" });
    const bare = await system.fetch(`${system.gatewayUrl}/orders/${confirmed.id}/cancel`, { method: "POST" });
    expect(bare.status).toBe(200);
    expect(await bare.json()).toMatchObject({ status: "cancelled", cancel_reason: "" });
    expectFailure(await api.orders({ id: MISSING }).cancel.post({}), 404, "NOT_FOUND");
  });
});

describe("idempotency over HTTP", () => {
  test("POST /users: a retry returns the first user; ten at once make one; another body is 422", async () => {
    const key = `signup-${Bun.randomUUIDv7()}`;
    const body = { name: "Retry", email: email("retry") };
    const post = () => api.users.post(body, { headers: { "idempotency-key": key } });
    const first = await post();
    expect(first.status).toBe(201);
    const retries = await Promise.all(Array.from({ length: 10 }, post));
    for (const r of retries) {
      expect(r.status).toBe(201);
      expect(r.data).toEqual(first.data!);
    }
    const concurrentKey = `signup-${Bun.randomUUIDv7()}`;
    const concurrentBody = { name: "Concurrent", email: email("concurrent") };
    const concurrent = await Promise.all(Array.from({ length: 10 }, () => api.users.post(concurrentBody, { headers: { "idempotency-key": concurrentKey } })));
    expect(new Set(concurrent.map((r) => r.status))).toEqual(new Set([201]));
    expect(new Set(concurrent.map((r) => r.data!.id)).size).toBe(1);

    const reused = await api.users.post({ name: "Someone Else", email: email() }, { headers: { "idempotency-key": key } });
    expectFailure(reused, 422, "IDEMPOTENCY_KEY_REUSED", "already used with a different request body");
  });

  test("POST /users without a token: two people signing up with the same key are two sign-ups, neither replayed nor refused", async () => {
    const key = `signup-${Bun.randomUUIDv7()}`;
    const signUp = (who: string) =>
      fetch(`${system.gatewayUrl}/users`, {
        method: "POST",
        headers: { "content-type": "application/json", "idempotency-key": key },
        body: JSON.stringify({ name: who, email: email(who.toLowerCase()), password: `pw ${crypto.randomUUID()}` }),
      });
    const [first, second] = [await signUp("First"), await signUp("Second")];
    expect([first.status, second.status]).toEqual([201, 201]);
    const [a, b] = [(await first.json()) as { id: string; name: string }, (await second.json()) as { id: string; name: string }];
    expect(b.id).not.toBe(a.id);
    expect(b.name).toBe("Second");
  });

  test("POST /orders: a retry returns the first order and creates nothing; another body is 422", async () => {
    const user = await newUser();
    const key = `checkout-${Bun.randomUUIDv7()}`;
    const body = { user_id: user.id, items: [{ product_id: "456", quantity: 2 }] };
    const results = await Promise.all(Array.from({ length: 5 }, () => api.orders.post(body, { headers: { "idempotency-key": key } })));
    expect(new Set(results.map((r) => r.status))).toEqual(new Set([201]));
    expect(new Set(results.map((r) => r.data!.id)).size).toBe(1);
    const again = await api.orders.post(body, { headers: { "idempotency-key": key } });
    expect(again.data).toEqual(results[0]!.data!);
    expect((await api.users({ id: user.id }).orders.get({ query: {} })).data!.orders).toHaveLength(1);

    const other = await api.orders.post({ ...body, items: [{ product_id: "456", quantity: 3 }] }, { headers: { "idempotency-key": key } });
    expectFailure(other, 422, "IDEMPOTENCY_KEY_REUSED");
  });
});

describe("deleting a user", () => {
  test("cancels their open orders, tells them, and they can never order again", async () => {
    const user = await newUser("Leaving Soon");
    const pending = await newOrder(user.id);
    const confirmed = await newOrder(user.id);
    const shipped = await newOrder(user.id);
    await api.orders({ id: confirmed.id }).status.patch({ status: "confirmed" });
    await api.orders({ id: shipped.id }).status.patch({ status: "confirmed" });
    await api.orders({ id: shipped.id }).status.patch({ status: "shipped" });

    expect((await api.users({ id: user.id }).delete()).status).toBe(204);

    await waitFor("the open orders to be cancelled", async () => {
      const { data } = await api.users({ id: user.id }).orders.get({ query: {} });
      const status = new Map(data?.orders.map((o) => [o.id, o]));
      return status.get(pending.id)?.status === "cancelled" && status.get(confirmed.id)?.status === "cancelled";
    });
    for (const id of [pending.id, confirmed.id]) {
      expect((await api.orders({ id }).get()).data).toMatchObject({ status: "cancelled", cancel_reason: "user account deleted" });
    }
    expect((await api.orders({ id: shipped.id }).get()).data?.status).toBe("shipped");

    const told = await waitFor("an order_cancelled notification per cancelled order", async () => {
      const { data } = await api.users({ id: user.id }).notifications.get({ query: { page_size: 100 } });
      const cancelled = data?.notifications.filter((n) => n.kind === "order_cancelled") ?? [];
      return cancelled.length >= 2 && cancelled;
    });
    expect(told.map((n) => n.event_type)).toEqual(["OrderCancelled", "OrderCancelled"]);
    expect(told.map((n) => n.subject).sort()).toEqual([`Order ${pending.id} was cancelled`, `Order ${confirmed.id} was cancelled`].sort());
    expect(told.every((n) => n.body.includes("user account deleted"))).toBe(true);

    expectFailure(await api.orders.post({ user_id: user.id, items: [{ product_id: "456", quantity: 1 }] }), 400, "FAILED_PRECONDITION", "does not exist");
  });
});

describe("malformed input to every route is a 4xx with the error body, never a 500", () => {
  let ids: { USER: string; ORDER: string };
  beforeAll(async () => {
    const user = await newUser("Target");
    ids = { USER: user.id, ORDER: (await newOrder(user.id)).id };
  });

  test.each(MALFORMED.map((m) => [m.name, m] as const))("%s", async (_, m) => {
    const fill = (s: string) => s.replaceAll("USER", ids.USER).replaceAll("ORDER", ids.ORDER);
    const body = m.raw ? fill(m.raw.body) : m.json === undefined ? undefined : fill(JSON.stringify(m.json));
    const type = m.raw?.type ?? (m.json === undefined ? undefined : "application/json");
    const res = await system.fetch(`${system.gatewayUrl}${fill(m.path)}`, {
      method: m.method,
      headers: { ...(type && { "content-type": type }), ...m.headers },
      body,
    });
    const text = await res.text();
    expect({ status: res.status, text: text.slice(0, 300) }).toMatchObject({ status: m.status ?? 400 });
    expectErrorBody(JSON.parse(text));
    expect(JSON.parse(text).error.request_id).toBe(res.headers.get("x-request-id"));
  });

  test("and none of them changed anything", async () => {
    expect((await api.orders({ id: ids.ORDER }).get()).data?.status).toBe("pending");
    expect((await api.users({ id: ids.USER }).get()).data?.name).toBe("Target");
  });
});

// Last: it stops the user service for good.
describe("the user service down", () => {
  test("POST /orders for a user the order service knows still works, for one it must ask about answers 503 (not the deadline's 504); GET /users/{id} 503 or 504; orders still read", async () => {
    const user = await newUser();
    const order = await newOrder(user.id);
    await system.kill("user");

    // The order service knows this user (UserCreated, or the answer to its first order): no call needed.
    const known = await api.orders.post({ user_id: user.id, items: [{ product_id: "456", quantity: 1 }] });
    expect(known.status).toBe(201);
    // One it has never heard of must be asked about. A call that waited for the gateway's deadline
    // would be a 504 DEADLINE_EXCEEDED, not this.
    const placed = await api.orders.post({ user_id: Bun.randomUUIDv7(), items: [{ product_id: "456", quantity: 1 }] });
    expectFailure(placed, 503, "UNAVAILABLE", "a service this request needs is unavailable; retry later");

    const read = await api.users({ id: user.id }).get();
    expect([503, 504]).toContain(read.status);
    expectErrorBody((read.error as { value: unknown }).value);

    expect((await api.orders({ id: order.id }).get()).data?.id).toBe(order.id);
    expect((await api.users({ id: user.id }).orders.get({ query: {} })).status).toBe(200);
  });
});

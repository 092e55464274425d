// Input the gateway refuses before calling any service, input it forwards field by field, and
// requests for routes that do not exist.
import { describe, expect, test } from "bun:test";
import { orderV1 } from "@evented/proto";
import { testGateway } from "../test/test-gateway.ts";

const ID = "01976b8e-4a4e-7cc1-9a7b-2b0c1c9b5e10";
const user = { name: "Ada Lovelace", email: "ada@example.com" };
const order = { user_id: ID, items: [{ product_id: "456", quantity: 2 }] };

interface Bad {
  route: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** The message must say this: the field's name and its rule. */
  says: string;
}

// One line per field and rule; each request is otherwise valid.
const BAD: Bad[] = [
  { route: "POST /users", body: { email: "ada@example.com" }, says: "name must be 1 to 100 characters" },
  { route: "POST /users", body: { ...user, name: "" }, says: "name must be 1 to 100 characters" },
  { route: "POST /users", body: { ...user, name: "x".repeat(101) }, says: "name must be 1 to 100 characters" },
  { route: "POST /users", body: { ...user, name: 42 }, says: "name must be 1 to 100 characters" },
  { route: "POST /users", body: { name: "Ada" }, says: "email must be a valid email address" },
  { route: "POST /users", body: { ...user, email: "not-an-address" }, says: "email must be a valid email address" },
  { route: "POST /users", body: { ...user, email: `${"a".repeat(250)}@example.com` }, says: "email must be a valid email address" },
  { route: "POST /users", body: { ...user, phone: "0415 555" }, says: "phone must be in E.164 form" },
  { route: "POST /users", body: user, headers: { "idempotency-key": "k".repeat(256) }, says: "Idempotency-Key must be 1 to 255 characters" },
  { route: "PATCH /users/ID", body: { name: "" }, says: "name must be 1 to 100 characters" },
  { route: "PATCH /users/ID", body: { email: "nope" }, says: "email must be a valid email address" },
  { route: "PATCH /users/ID", body: { phone: "12345" }, says: "phone must be in E.164 form" },
  { route: "POST /orders", body: { ...order, user_id: "42" }, says: "user_id must be a UUID" },
  { route: "POST /orders", body: { user_id: ID }, says: "items must hold 1 to 100 items" },
  { route: "POST /orders", body: { ...order, items: [] }, says: "items must hold 1 to 100 items" },
  { route: "POST /orders", body: { ...order, items: Array(101).fill(order.items[0]) }, says: "items must hold 1 to 100 items" },
  { route: "POST /orders", body: { ...order, items: [{ quantity: 1 }] }, says: "product_id must be 1 to 64 characters" },
  { route: "POST /orders", body: { ...order, items: [{ product_id: "", quantity: 1 }] }, says: "product_id must be 1 to 64 characters" },
  { route: "POST /orders", body: { ...order, items: [{ product_id: "456" }] }, says: "quantity must be a whole number from 1 to 1000" },
  { route: "POST /orders", body: { ...order, items: [{ product_id: "456", quantity: 0 }] }, says: "quantity must be a whole number from 1 to 1000" },
  { route: "POST /orders", body: { ...order, items: [{ product_id: "456", quantity: 1.5 }] }, says: "quantity must be a whole number from 1 to 1000" },
  { route: "POST /orders", body: { ...order, items: [{ product_id: "456", quantity: "two" }] }, says: "quantity must be a whole number from 1 to 1000" },
  {
    route: "POST /orders",
    body: { ...order, items: [{ product_id: "456", quantity: 1, unit_price: 1250 }] },
    says: "unit_price is not accepted: prices come from the product catalog (GET /products); send product_id and quantity",
  },
  { route: "POST /orders", body: { ...order, items: [{ product_id: "456", quantity: 1, unit_price: 0 }] }, says: "unit_price is not accepted" },
  { route: "POST /orders", body: { ...order, currency: "usd" }, says: "currency must be a three-letter ISO 4217 code" },
  { route: "POST /orders", body: order, headers: { "idempotency-key": "" }, says: "Idempotency-Key must be 1 to 255 characters" },
  { route: "PATCH /orders/ID/status", body: {}, says: "status must be one of pending, confirmed, shipped, completed, cancelled" },
  { route: "PATCH /orders/ID/status", body: { status: "teleported" }, says: "status must be one of pending, confirmed, shipped, completed, cancelled" },
  { route: "POST /orders/ID/cancel", body: { reason: "x".repeat(501) }, says: "reason must be at most 500 characters" },
  { route: "GET /users?page_size=0", says: "page_size must be a whole number from 1 to 100" },
  { route: "GET /users?page_size=101", says: "page_size must be a whole number from 1 to 100" },
  { route: "GET /orders?page_size=ten", says: "page_size must be a whole number from 1 to 100" },
  { route: `GET /users/ID/orders?page_token=${"x".repeat(201)}`, says: "page_token is not valid" },
  { route: "GET /orders?user_id=42", says: "user_id must be a UUID" },
];

describe("invalid input is a 400 that names the field, and no service is called", () => {
  for (const bad of BAD) {
    const [method, path] = bad.route.replaceAll("ID", ID).split(" ") as [string, string];
    test(`${bad.route} ${JSON.stringify(bad.body ?? "").slice(0, 70)} -> "${bad.says}"`, async () => {
      const { fake, send } = testGateway();
      const res = await send(method, path, { body: bad.body, headers: bad.headers });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("INVALID_ARGUMENT");
      expect(res.body.error.message).toContain(bad.says);
      expect(fake.calls).toEqual([]);
    });
  }

  test("a body that is not JSON", async () => {
    const { fake, send } = testGateway();
    const res = await send("POST", "/orders", { raw: '{"user_id": ' });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe("the request body is not valid JSON");
    expect(fake.calls).toEqual([]);
  });
});

describe("ids in paths are checked before any call", () => {
  const routes = [
    "GET /users/x",
    "PATCH /users/x",
    "DELETE /users/x",
    "GET /users/x/orders",
    "GET /users/x/notifications",
    "GET /orders/123",
    "PATCH /orders/x/status",
    "POST /orders/x/cancel",
  ];
  for (const route of routes) {
    test(route, async () => {
      const [method, path] = route.split(" ") as [string, string];
      const { fake, send } = testGateway();
      const body = method === "PATCH" ? (path.endsWith("status") ? { status: "confirmed" } : { name: "Ada" }) : undefined;
      const res = await send(method, path, { body });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain("id must be a UUID");
      expect(fake.calls).toEqual([]);
    });
  }
});

describe("unknown fields are ignored and never forwarded", () => {
  test("POST /users forwards name, email, phone and the idempotency key, nothing else", async () => {
    const { fake, send } = testGateway();
    const extra = { id: ID, created_at: "2000-01-01T00:00:00Z", is_admin: true, idempotencyKey: "sneaky" };
    const res = await send("POST", "/users", { body: { ...user, ...extra } });
    expect(res.status).toBe(201);
    expect(res.body.id).not.toBe(ID);
    expect(res.body).not.toHaveProperty("is_admin");
    expect(fake.calls.map((c) => c.request)).toStrictEqual([
      { name: "Ada Lovelace", email: "ada@example.com", phone: "", password: "", role: "", idempotencyKey: "" },
    ]);
  });

  test("PATCH /users/:id cannot change another user's id through the body", async () => {
    const { fake, send } = testGateway();
    const created = await send("POST", "/users", { body: user });
    const res = await send("PATCH", `/users/${created.body.id}`, { body: { id: ID, name: "Ada King", created_at: "2000-01-01T00:00:00Z" } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: created.body.id, name: "Ada King", created_at: created.body.created_at });
    expect(fake.calls[1]?.request).toStrictEqual({ id: created.body.id, name: "Ada King", email: undefined, phone: undefined });
  });

  test("POST /orders forwards the order's fields, not a status, total or extra item fields", async () => {
    const { fake, send } = testGateway();
    const owner = await send("POST", "/users", { body: user });
    const body = { user_id: owner.body.id, items: [{ product_id: "456", quantity: 2, discount: 100 }], status: "shipped", total: 0, id: ID };
    const res = await send("POST", "/orders", { body, headers: { "idempotency-key": "checkout-1" } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: "pending", total: 2500 });
    expect(fake.calls[1]?.request).toStrictEqual({
      userId: owner.body.id,
      items: [{ productId: "456", quantity: 2 }],
      currency: "",
      idempotencyKey: "checkout-1",
    });
  });

  test("PATCH /orders/:id/status and POST /orders/:id/cancel forward the id from the path", async () => {
    const { fake, send } = testGateway();
    const owner = await send("POST", "/users", { body: user });
    const placed = await send("POST", "/orders", { body: { ...order, user_id: owner.body.id } });
    await send("PATCH", `/orders/${placed.body.id}/status`, { body: { status: "confirmed", id: ID, total: 1 } });
    await send("POST", `/orders/${placed.body.id}/cancel`, { body: { reason: "late", id: ID, status: "completed" } });
    expect(fake.calls.slice(2).map((c) => c.request)).toStrictEqual([
      { id: placed.body.id, status: orderV1.OrderStatus.ORDER_STATUS_CONFIRMED },
      { id: placed.body.id, reason: "late" },
    ]);
  });
});

describe("routes that do not exist", () => {
  for (const route of ["GET /catalog", "GET /users/x/y/z", "POST /health", "DELETE /orders", "GET /swagger/nope"]) {
    test(`${route} is a 404 with the error body`, async () => {
      const [method, path] = route.split(" ") as [string, string];
      const { fake, send } = testGateway();
      const res = await send(method, path);
      expect(res.status).toBe(404);
      expect(res.body.error).toMatchObject({ code: "NOT_FOUND", message: `no route for ${route}` });
      expect(res.body.error.request_id).toBe(res.headers.get("x-request-id"));
      expect(fake.calls).toEqual([]);
    });
  }
});

// OrderService against the real PostgreSQL (fresh database, real migrations) and a real outbox on
// a JetStream stream of its own. The user service is a fake UserDirectory here: the real gRPC
// path (deadline, outage -> 503) is covered end to end in e2e/domain.test.ts.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { type AppError, createLogger, status, unavailable } from "@evented/core";
import { orderV1 } from "@evented/proto";
import { appError, serviceUnderTest, waitFor } from "@evented/testing";
import { and, eq, sql } from "drizzle-orm";
import { deletionCascade } from "./deletion-cascade.ts";
import * as schema from "./schema.ts";
import { CASCADE_BATCH, type CreateOrder, OrderService, type OrderStatus } from "./service.ts";

setDefaultTimeout(30_000);

const migrationsFolder = new URL("../../../drizzle/order", import.meta.url).pathname;
const MISSING = "01900000-0000-7000-8000-000000000000";
const P = orderV1.OrderStatus;

/** Users that "exist" for the fake directory; `down` makes it fail like an unreachable user service. */
const directory = {
  known: new Set<string>(),
  down: false,
  asked: 0,
  async exists(userId: string): Promise<boolean> {
    directory.asked++;
    if (directory.down) throw unavailable(`the user service could not be asked about user ${userId}`);
    return directory.known.has(userId);
  },
};

let svc: Awaited<ReturnType<typeof serviceUnderTest<typeof schema>>>;
let db: typeof svc.db;
let orders: OrderService;

beforeAll(async () => {
  svc = await serviceUnderTest("order_svc", schema, migrationsFolder);
  db = svc.db;
  orders = new OrderService(svc.db.db, svc.outbox, directory);
});

afterAll(() => svc?.close());

const newUser = () => {
  const id = Bun.randomUUIDv7();
  directory.known.add(id);
  return id;
};

const seedOrder = (userId: string): CreateOrder => ({ userId, items: [{ productId: "456", quantity: 2 }] });

const failure = appError;

const eventsOf = (id: string) => svc.eventsOf(id);

const count = async (table: typeof schema.orders | typeof schema.outbox) => (await db.db.select({ n: sql<number>`count(*)::int` }).from(table))[0]!.n;

describe("create", () => {
  test("the seed's order works: pending, priced from the sample catalog (456: 12.50 USD), and OrderCreated in the outbox", async () => {
    const userId = newUser();
    const order = await orders.create(seedOrder(userId), { requestId: "req-order" });
    expect(order).toMatchObject({
      userId,
      status: "pending",
      currency: "USD",
      total: 2500,
      cancelReason: "",
      items: [{ productId: "456", quantity: 2, unitPrice: 1250 }],
    });
    expect(await orders.get(order.id)).toEqual(order);

    const [event, ...rest] = await eventsOf(order.id);
    expect(rest).toEqual([]);
    expect(event).toMatchObject({ type: "OrderCreated", source: "order", aggregateId: order.id, correlationId: "req-order" });
    expect(event!.payload).toEqual({
      $case: "orderCreated",
      value: { orderId: order.id, userId, items: [{ productId: "456", quantity: 2, unitPrice: 1250 }], currency: "USD", total: 2500 },
    });
  });

  /** Products of this test's own (unique ids), straight into the catalog table as an operator would. */
  const stock = async (...rows: [name: string, unitPrice: number, currency: string][]) => {
    const products = rows.map(([name, unitPrice, currency]) => ({ id: `${name}-${Bun.randomUUIDv7()}`, name, unitPrice, currency }));
    await db.db.insert(schema.products).values(products);
    return products.map((p) => p.id) as [string, string, string];
  };

  test("the total is the sum of quantity x catalog price, in integer minor units, in the products' currency", async () => {
    const [a, b, c] = await stock(["a", 1999, "EUR"], ["b", 1, "EUR"], ["c", 100_000_000, "EUR"]);
    const order = await orders.create({
      userId: newUser(),
      items: [
        { productId: a, quantity: 3 },
        { productId: ` ${b} `, quantity: 1 },
        { productId: c, quantity: 1000 },
      ],
    });
    expect(order.total).toBe(3 * 1999 + 1 + 1000 * 100_000_000);
    expect(Number.isInteger(order.total)).toBe(true);
    expect(order.currency).toBe("EUR");
    expect(order.items.map((i) => [i.productId, i.unitPrice])).toEqual([
      [a, 1999],
      [b, 1],
      [c, 100_000_000],
    ]);
    expect((await orders.get(order.id)).total).toBe(order.total);
  });

  test("a later price change leaves placed orders as they were; new orders get the new price", async () => {
    const [id] = await stock(["lamp", 3499, "USD"]);
    const userId = newUser();
    const before = await orders.create({ userId, items: [{ productId: id, quantity: 2 }] });
    await db.db.update(schema.products).set({ unitPrice: 4999 }).where(eq(schema.products.id, id));
    const after = await orders.create({ userId, items: [{ productId: id, quantity: 2 }] });

    expect(await orders.get(before.id)).toMatchObject({ total: 6998, items: [{ productId: id, quantity: 2, unitPrice: 3499 }] });
    expect(after).toMatchObject({ total: 9998, items: [{ productId: id, quantity: 2, unitPrice: 4999 }] });
    const [event] = await eventsOf(before.id);
    expect(event!.payload).toMatchObject({ value: { total: 6998 } });
  });

  test.each<[string, CreateOrder["items"], string]>([
    [
      "an unknown product",
      [
        { productId: "456", quantity: 1 },
        { productId: "no-such-product", quantity: 1 },
      ],
      'items[1].product_id "no-such-product" is not in',
    ],
    [
      "items in two currencies",
      [
        { productId: "456", quantity: 1 },
        { productId: "2001", quantity: 1 },
      ],
      "the items are priced in USD and EUR",
    ],
  ])("refuses %s with INVALID_ARGUMENT and writes nothing", async (_, items, message) => {
    const [ordersBefore, eventsBefore] = [await count(schema.orders), await count(schema.outbox)];
    const err = await failure(orders.create({ userId: newUser(), items }));
    expect([err.code, err.message]).toEqual([status.INVALID_ARGUMENT, expect.stringContaining(message)]);
    expect([await count(schema.orders), await count(schema.outbox)]).toEqual([ordersBefore, eventsBefore]);
  });

  test("the sample catalog is there after the migrations, 456 included", async () => {
    expect(await orders.listProducts()).toContainEqual({ id: "456", name: "Notebook", unitPrice: 1250, currency: "USD" });
  });

  test("an unknown user is FAILED_PRECONDITION and nothing is written", async () => {
    const [ordersBefore, eventsBefore] = [await count(schema.orders), await count(schema.outbox)];
    const err = await failure(orders.create(seedOrder(MISSING)));
    expect(err.code).toBe(status.FAILED_PRECONDITION);
    expect(err.message).toBe(`user ${MISSING} does not exist`);
    expect([await count(schema.orders), await count(schema.outbox)]).toEqual([ordersBefore, eventsBefore]);
  });

  test("when the user service cannot be asked, the answer is UNAVAILABLE, not 'no such user'", async () => {
    const userId = newUser();
    directory.down = true;
    try {
      const err = await failure(orders.create(seedOrder(userId)));
      expect(err.code).toBe(status.UNAVAILABLE);
    } finally {
      directory.down = false;
    }
    expect((await orders.list(userId, 10, "")).orders).toEqual([]);
  });

  const item = { productId: "p", quantity: 1 };
  test.each<[string, Partial<CreateOrder>, string]>([
    ["no items", { items: [] }, "items must contain at least one item"],
    ["too many items", { items: Array.from({ length: 101 }, () => item) }, "items must contain at most 100 items"],
    ["an empty product id", { items: [{ productId: "  ", quantity: 1 }] }, "items[0].product_id must be 1 to 64 characters"],
    ["a long product id", { items: [item, { productId: "x".repeat(65), quantity: 1 }] }, "items[1].product_id must be 1 to 64 characters"],
    ["a product id with a NUL", { items: [{ productId: "4\u00006", quantity: 1 }] }, "items[0].product_id must not contain control characters"],
    ["quantity 0", { items: [{ productId: "p", quantity: 0 }] }, "items[0].quantity must be a whole number from 1 to 1000"],
    ["a negative quantity", { items: [{ productId: "p", quantity: -2 }] }, "items[0].quantity must be a whole number from 1 to 1000"],
    ["a fractional quantity", { items: [{ productId: "p", quantity: 1.5 }] }, "items[0].quantity must be a whole number from 1 to 1000"],
    ["a huge quantity", { items: [{ productId: "p", quantity: 1001 }] }, "items[0].quantity must be a whole number from 1 to 1000"],
    [
      "a price sent along",
      { items: [{ productId: "456", quantity: 1, unitPrice: 1 }] },
      "items[0].unit_price is not accepted: prices come from the product catalog",
    ],
    ["a price of 0 sent along", { items: [{ productId: "456", quantity: 1, unitPrice: 0 }] }, "items[0].unit_price is not accepted"],
    ["a lower-case currency", { currency: "usd" }, 'currency must be a three-letter ISO 4217 code such as "USD", got "usd"'],
    ["a two-letter currency", { currency: "US" }, "currency must be a three-letter ISO 4217 code"],
    ["a malformed user id", { userId: "123" }, 'user_id must be a UUID, got "123"'],
  ])("refuses %s", async (_, change, message) => {
    const asked = directory.asked;
    const err = await failure(orders.create({ ...seedOrder(newUser()), ...change }));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.message).toStartWith(message);
    expect(directory.asked).toBe(asked); // bad input never costs a call to the user service
  });
});

describe("get and list", () => {
  test("an unknown order is NOT_FOUND, a malformed id INVALID_ARGUMENT", async () => {
    const missing = await failure(orders.get(MISSING));
    expect([missing.code, missing.message]).toEqual([status.NOT_FOUND, `order ${MISSING} not found`]);
    expect((await failure(orders.get("1"))).code).toBe(status.INVALID_ARGUMENT);
  });

  test("lists one user's orders, newest first, every one once across pages", async () => {
    const userId = newUser();
    await orders.create(seedOrder(newUser())); // someone else's
    const placed: string[] = [];
    for (let i = 0; i < 5; i++) placed.push((await orders.create(seedOrder(userId))).id);

    const seen: string[] = [];
    let token = "";
    do {
      const page = await orders.list(userId, 2, token);
      expect(page.orders.length).toBeLessThanOrEqual(2);
      for (const o of page.orders) expect(o.items).toEqual([{ productId: "456", quantity: 2, unitPrice: 1250 }]);
      seen.push(...page.orders.map((o) => o.id));
      token = page.nextPageToken;
    } while (token);
    expect(seen).toEqual(placed.reverse());
  });

  test("a user without orders has an empty page; bad page sizes, tokens and user ids are INVALID_ARGUMENT", async () => {
    expect(await orders.list(newUser(), 0, "")).toEqual({ orders: [], nextPageToken: "" });
    expect((await failure(orders.list(newUser(), 101, ""))).message).toBe("page_size must be from 1 to 100");
    expect((await failure(orders.list(newUser(), 10, "bogus"))).message).toBe("page_token is not valid; use next_page_token from a previous page");
    expect((await failure(orders.list("bogus", 10, ""))).message).toBe('user_id must be a UUID, got "bogus"');
  });
});

/** The legal way to bring a new order to `status`. */
const PATH: Record<OrderStatus, OrderStatus[]> = {
  pending: [],
  confirmed: ["confirmed"],
  shipped: ["confirmed", "shipped"],
  completed: ["confirmed", "shipped", "completed"],
  cancelled: ["cancelled"],
};

async function orderIn(state: OrderStatus) {
  const order = await orders.create(seedOrder(newUser()));
  for (const step of PATH[state]) await orders.updateStatus(order.id, step);
  return order;
}

const STATUSES: OrderStatus[] = ["pending", "confirmed", "shipped", "completed", "cancelled"];
const LEGAL = new Set(["pending>confirmed", "pending>cancelled", "confirmed>shipped", "confirmed>cancelled", "shipped>completed"]);
const NEXT_WORDS: Record<OrderStatus, string> = {
  pending: "it can become confirmed or cancelled",
  confirmed: "it can become shipped or cancelled",
  shipped: "it can become completed",
  completed: "it is final",
  cancelled: "it is final",
};

describe("status transitions", () => {
  const cases = STATUSES.flatMap((from) => STATUSES.map((to) => [from, to, from === to ? "same" : LEGAL.has(`${from}>${to}`) ? "legal" : "illegal"] as const));

  test.each(cases)("%s -> %s is %s", async (from, to, kind) => {
    const order = await orderIn(from);
    const eventsBefore = (await eventsOf(order.id)).length;

    if (kind === "illegal") {
      const err = await failure(orders.updateStatus(order.id, to));
      expect(err.code).toBe(status.ABORTED);
      expect(err.message).toBe(`order ${order.id} is ${from} and cannot become ${to}; ${NEXT_WORDS[from]}`);
      expect((await orders.get(order.id)).status).toBe(from);
      expect(await eventsOf(order.id)).toHaveLength(eventsBefore);
      return;
    }

    const updated = await orders.updateStatus(order.id, to, { requestId: `req-${from}-${to}` });
    expect(updated.status).toBe(to);
    expect(updated.items).toEqual(order.items);
    expect((await orders.get(order.id)).status).toBe(to);
    const events = await eventsOf(order.id);
    if (kind === "same") {
      // Setting the status an order already has is a no-op (a retried PATCH), not a new event.
      expect(events).toHaveLength(eventsBefore);
      return;
    }
    expect(events).toHaveLength(eventsBefore + 1);
    const event = events.at(-1)!;
    expect(event.correlationId).toBe(`req-${from}-${to}`);
    if (to === "cancelled") {
      expect(event.payload).toEqual({
        $case: "orderCancelled",
        value: { orderId: order.id, userId: order.userId, previousStatus: P[`ORDER_STATUS_${from.toUpperCase()}` as keyof typeof P], reason: "" },
      });
    } else {
      expect(event.payload).toEqual({
        $case: "orderStatusUpdated",
        value: {
          orderId: order.id,
          userId: order.userId,
          oldStatus: P[`ORDER_STATUS_${from.toUpperCase()}` as keyof typeof P],
          newStatus: P[`ORDER_STATUS_${to.toUpperCase()}` as keyof typeof P],
        },
      });
    }
  });

  test("an unknown order is NOT_FOUND, a malformed id INVALID_ARGUMENT", async () => {
    expect((await failure(orders.updateStatus(MISSING, "confirmed"))).code).toBe(status.NOT_FOUND);
    expect((await failure(orders.updateStatus("x", "confirmed"))).code).toBe(status.INVALID_ARGUMENT);
  });

  test("an id in capitals moves the order, and the event names it in canonical form", async () => {
    const order = await orderIn("pending");
    await orders.updateStatus(order.id.toUpperCase(), "confirmed");
    const events = await eventsOf(order.id);
    expect(events.map((e) => e.type)).toEqual(["OrderCreated", "OrderStatusUpdated"]);
    expect(events[1]!.payload).toMatchObject({ value: { orderId: order.id } });
  });

  test("concurrent moves are serialised: of confirm and cancel racing, both apply in some order or one is refused", async () => {
    const order = await orderIn("pending");
    const results = await Promise.allSettled([orders.updateStatus(order.id, "confirmed"), orders.cancel(order.id, "race")]);
    const final = await orders.get(order.id);
    const events = (await eventsOf(order.id)).map((e) => e.type);
    expect(results.filter((r) => r.status === "fulfilled").length).toBeGreaterThanOrEqual(1);
    expect(final.status).toBe("cancelled"); // cancel wins either way: after confirm it is still allowed
    expect(events.at(-1)).toBe("OrderCancelled");
    expect(events.filter((e) => e === "OrderCancelled")).toHaveLength(1);
  });
});

describe("cancel", () => {
  test("keeps the reason and says what the order was", async () => {
    const order = await orderIn("confirmed");
    const cancelled = await orders.cancel(order.id, "changed my mind");
    expect(cancelled).toMatchObject({ status: "cancelled", cancelReason: "changed my mind" });
    expect((await eventsOf(order.id)).at(-1)!.payload).toMatchObject({
      $case: "orderCancelled",
      value: { previousStatus: P.ORDER_STATUS_CONFIRMED, reason: "changed my mind" },
    });
  });

  test("after shipping is ABORTED, with the current status in the message", async () => {
    for (const state of ["shipped", "completed"] as const) {
      const order = await orderIn(state);
      const err = await failure(orders.cancel(order.id, "too late"));
      expect(err.code).toBe(status.ABORTED);
      expect(err.message).toContain(`is ${state} and cannot become cancelled`);
    }
  });

  test("twice is harmless: the same order back, one event", async () => {
    const order = await orderIn("pending");
    const first = await orders.cancel(order.id, "once");
    expect(await orders.cancel(order.id, "twice")).toEqual(first);
    expect((await eventsOf(order.id)).filter((e) => e.type === "OrderCancelled")).toHaveLength(1);
  });

  test("a reason over 500 characters, an unknown or malformed id are refused", async () => {
    const order = await orderIn("pending");
    expect((await failure(orders.cancel(order.id, "x".repeat(501)))).message).toBe("reason must be at most 500 characters");
    expect((await failure(orders.cancel(order.id, "late\u0000"))).message).toBe("reason must not contain control characters");
    expect((await failure(orders.cancel(MISSING, ""))).code).toBe(status.NOT_FOUND);
    expect((await failure(orders.cancel("x", ""))).code).toBe(status.INVALID_ARGUMENT);
  });
});

describe("a deleted user", () => {
  const cancelOrdersOf = (userId: string) => db.db.transaction((tx) => orders.cancelOrdersOfUser(tx, userId, { requestId: "req-user-deleted" }));

  test("has every open order cancelled, each with OrderCancelled; shipped and finished ones stay", async () => {
    const userId = newUser();
    const byState = {} as Record<OrderStatus, string>;
    for (const state of STATUSES) {
      const order = await orders.create(seedOrder(userId));
      for (const step of PATH[state]) await orders.updateStatus(order.id, step);
      byState[state] = order.id;
    }
    const bystander = await orders.create(seedOrder(newUser()));

    expect(await cancelOrdersOf(userId)).toEqual({ cancelled: 2, more: false });

    for (const state of ["pending", "confirmed"] as const) {
      const order = await orders.get(byState[state]);
      expect(order).toMatchObject({ status: "cancelled", cancelReason: "user account deleted" });
      const event = (await eventsOf(order.id)).at(-1)!;
      expect(event).toMatchObject({ type: "OrderCancelled", correlationId: "req-user-deleted" });
      expect(event.payload).toMatchObject({ value: { userId, reason: "user account deleted" } });
    }
    for (const state of ["shipped", "completed"] as const) expect((await orders.get(byState[state])).status).toBe(state);
    expect((await orders.get(byState.cancelled)).cancelReason).toBe("");
    expect((await orders.get(bystander.id)).status).toBe("pending");

    const [gone] = await db.db.select().from(schema.deletedUsers).where(eq(schema.deletedUsers.userId, userId));
    expect(gone).toBeDefined();
  });

  test("with more open orders than one transaction takes: bounded batches, resumable after a crash, each order cancelled once", async () => {
    const userId = newUser();
    const many = CASCADE_BATCH * 2 + 50;
    const created = await Promise.all(Array.from({ length: many }, () => orders.create(seedOrder(userId))));
    const openCount = async () =>
      (
        await db.db
          .select({ n: sql<number>`count(*)::int` })
          .from(schema.orders)
          .where(and(eq(schema.orders.userId, userId), eq(schema.orders.status, "pending")))
      )[0]!.n;

    // The consumer's transaction cancels the first batch and says more wait.
    expect(await cancelOrdersOf(userId)).toEqual({ cancelled: CASCADE_BATCH, more: true });
    expect(await openCount()).toBe(many - CASCADE_BATCH);
    // The process dies here. After the restart the cascade goes on from what is still open, one bounded transaction at a time.
    expect(await orders.cancelNextOrdersOfDeletedUsers()).toBe(CASCADE_BATCH);
    expect(await orders.cancelNextOrdersOfDeletedUsers()).toBe(50);
    expect(await orders.cancelNextOrdersOfDeletedUsers()).toBe(0);
    expect(await openCount()).toBe(0);
    for (const order of created) {
      const cancelled = (await eventsOf(order.id)).filter((e) => e.type === "OrderCancelled");
      expect({ id: order.id, n: cancelled.length }).toEqual({ id: order.id, n: 1 });
    }
  });

  test("the cascade runs on its own after a kick and on its timer", async () => {
    const userId = newUser();
    for (let i = 0; i < CASCADE_BATCH + 5; i++) await orders.create(seedOrder(userId));
    expect((await cancelOrdersOf(userId)).more).toBe(true);
    const cascade = deletionCascade(orders, createLogger("test", { level: "silent" }), 100);
    cascade.start();
    try {
      await waitFor("the rest of the user's orders cancelled", async () => (await orders.list(userId, 100, "")).orders.every((o) => o.status === "cancelled"));
    } finally {
      await cascade.stop();
    }
  });

  test("handled twice (a redelivered event) cancels nothing more", async () => {
    const userId = newUser();
    await orders.create(seedOrder(userId));
    expect(await cancelOrdersOf(userId)).toEqual({ cancelled: 1, more: false });
    expect(await cancelOrdersOf(userId)).toEqual({ cancelled: 0, more: false });
  });

  test("can never get a new order, even while the user service still says they exist", async () => {
    const userId = newUser();
    await cancelOrdersOf(userId);
    const [ordersBefore, eventsBefore] = [await count(schema.orders), await count(schema.outbox)];
    const err = await failure(orders.create(seedOrder(userId)));
    expect(err.code).toBe(status.FAILED_PRECONDITION);
    expect(err.message).toBe(`user ${userId} does not exist`);
    expect((await orders.list(userId, 10, "")).orders).toEqual([]);
    // The order, its items and its event went out with the check, and were rolled back with it.
    expect([await count(schema.orders), await count(schema.outbox)]).toEqual([ordersBefore, eventsBefore]);
  });

  test("an order racing the deletion is either refused or cancelled: never left live", async () => {
    for (let round = 0; round < 15; round++) {
      const userId = newUser();
      const [placed] = await Promise.allSettled([orders.create(seedOrder(userId)), cancelOrdersOf(userId)]);
      if (placed.status === "rejected") expect((placed.reason as AppError).code).toBe(status.FAILED_PRECONDITION);
      const live = await db.db
        .select()
        .from(schema.orders)
        .where(and(eq(schema.orders.userId, userId), eq(schema.orders.status, "pending")));
      expect(live).toEqual([]);
    }
  });
});

describe("idempotency", () => {
  test("a retry with the same key returns the first order and creates nothing", async () => {
    const userId = newUser();
    const key = `key-${Bun.randomUUIDv7()}`;
    const first = await orders.create(seedOrder(userId), { idempotencyKey: key });
    const retry = await orders.create(seedOrder(userId), { idempotencyKey: key });
    expect(retry).toEqual(first);
    expect(retry.createdAt).toBeInstanceOf(Date);
    expect((await orders.list(userId, 10, "")).orders).toHaveLength(1);
    expect(await eventsOf(first.id)).toHaveLength(1);
  });

  test("ten concurrent creates with one key make one order, and all ten get it", async () => {
    const userId = newUser();
    const key = `key-${Bun.randomUUIDv7()}`;
    const results = await Promise.all(Array.from({ length: 10 }, () => orders.create(seedOrder(userId), { idempotencyKey: key })));
    const stored = (await orders.list(userId, 100, "")).orders;
    expect(stored).toHaveLength(1);
    for (const r of results) expect(r).toEqual(results[0]!);
    expect(results[0]!.id).toBe(stored[0]!.id);
    expect(await eventsOf(stored[0]!.id)).toHaveLength(1);
  });

  test("a retry gets the first order without asking the user service again, even when it is down", async () => {
    const userId = newUser();
    const key = `key-${Bun.randomUUIDv7()}`;
    const first = await orders.create(seedOrder(userId), { idempotencyKey: key });
    const asked = directory.asked;
    directory.down = true;
    try {
      expect(await orders.create(seedOrder(userId), { idempotencyKey: key })).toEqual(first);
    } finally {
      directory.down = false;
    }
    expect(directory.asked).toBe(asked);
  });

  test("the same key with a different body is refused with IDEMPOTENCY_KEY_REUSED", async () => {
    const userId = newUser();
    const key = `key-${Bun.randomUUIDv7()}`;
    await orders.create(seedOrder(userId), { idempotencyKey: key });
    const err = await failure(orders.create({ userId, items: [{ productId: "456", quantity: 3 }] }, { idempotencyKey: key }));
    expect([err.code, err.reason]).toEqual([status.INVALID_ARGUMENT, "IDEMPOTENCY_KEY_REUSED"]);
    expect((await orders.list(userId, 10, "")).orders).toHaveLength(1);
  });
});

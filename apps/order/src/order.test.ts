// The order's rules alone: no PostgreSQL, no NATS, no gRPC server (service.test.ts runs them
// through the service against the real database).
import { describe, expect, test } from "bun:test";
import { AppError, status } from "@evented/core/errors";
import { LIMITS } from "@evented/core/rules";
import {
  CANCELLABLE,
  checkItems,
  describeLifecycle,
  LIFECYCLE,
  NEW_ORDER_STATUS,
  ORDER_STATUSES,
  type OrderStatus,
  orderTotal,
  type Product,
  priceItems,
  transition,
} from "./order.ts";

const ALLOWED = new Set(["pending>confirmed", "pending>cancelled", "confirmed>shipped", "confirmed>cancelled", "shipped>completed"]);
const STATUSES: OrderStatus[] = ["pending", "confirmed", "shipped", "completed", "cancelled"];

/** The AppError `run` throws; fails if it throws nothing or something else. */
function thrown(run: () => unknown): AppError {
  try {
    run();
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error("expected an AppError, nothing was thrown");
}

describe("lifecycle", () => {
  test("has every status, a new order's first", () => {
    expect<OrderStatus[]>(ORDER_STATUSES).toEqual(STATUSES);
    expect(NEW_ORDER_STATUS).toBe("pending");
  });

  const pairs = STATUSES.flatMap((from) => STATUSES.map((to) => [from, to] as const));
  test.each(pairs)("%s -> %s", (from, to) => {
    const order = { id: "o-1", status: from };
    if (from === to) return expect(transition(order, to)).toBe(false); // already there: nothing to do
    if (ALLOWED.has(`${from}>${to}`)) return expect(transition(order, to)).toBe(true);
    const err = thrown(() => transition(order, to));
    expect(err.code).toBe(status.ABORTED);
    const allowed = LIFECYCLE[from];
    const options = allowed.length ? `it can become ${allowed.join(" or ")}` : "it is final";
    expect(err.message).toBe(`order o-1 is ${from} and cannot become ${to}; ${options}`);
  });

  test("names the next statuses, or says the order is final", () => {
    expect(thrown(() => transition({ id: "o", status: "pending" }, "shipped")).message).toEndWith("it can become confirmed or cancelled");
    expect(thrown(() => transition({ id: "o", status: "shipped" }, "cancelled")).message).toEndWith("it can become completed");
    expect(thrown(() => transition({ id: "o", status: "completed" }, "pending")).message).toEndWith("it is final");
    expect(thrown(() => transition({ id: "o", status: "cancelled" }, "confirmed")).message).toEndWith("it is final");
  });

  test("an order may be cancelled until it ships", () => {
    expect(CANCELLABLE).toEqual(["pending", "confirmed"]);
  });

  test("reads as one line for the API docs", () => {
    expect(describeLifecycle()).toBe("pending → confirmed → shipped → completed; cancelled from pending or confirmed");
  });
});

describe("items", () => {
  const item = (over: Partial<{ productId: string; quantity: number; unitPrice: number }> = {}) => ({ productId: "456", quantity: 2, ...over });
  const refusal = (items: ReturnType<typeof item>[]) => {
    const err = thrown(() => checkItems(items));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    return err.message;
  };

  test("are trimmed", () => {
    expect(checkItems([item({ productId: "  456 " }), item({ quantity: 3 })])).toEqual([
      { productId: "456", quantity: 2 },
      { productId: "456", quantity: 3 },
    ]);
  });

  test("refuse a price sent along, whatever it is: prices come from the catalog", () => {
    const message = "items[1].unit_price is not accepted: prices come from the product catalog (GET /products); send product_id and quantity";
    for (const unitPrice of [0, 1, 1250, -1, 0.5]) expect(refusal([item(), item({ unitPrice })])).toBe(message);
  });

  test(`number 1 to ${LIMITS.itemsMax}`, () => {
    expect(refusal([])).toBe("items must contain at least one item");
    expect(checkItems(Array.from({ length: LIMITS.itemsMax }, () => item()))).toHaveLength(LIMITS.itemsMax);
    expect(refusal(Array.from({ length: LIMITS.itemsMax + 1 }, () => item()))).toBe(`items must contain at most ${LIMITS.itemsMax} items`);
  });

  test(`have a product id of 1 to ${LIMITS.productIdMax} characters`, () => {
    const message = `items[1].product_id must be 1 to ${LIMITS.productIdMax} characters`;
    expect(refusal([item(), item({ productId: "   " })])).toBe(message);
    expect(refusal([item(), item({ productId: "p".repeat(LIMITS.productIdMax + 1) })])).toBe(message);
    expect(checkItems([item({ productId: "p".repeat(LIMITS.productIdMax) })])).toHaveLength(1);
  });

  test(`have a whole quantity from 1 to ${LIMITS.quantityMax}`, () => {
    const message = `items[0].quantity must be a whole number from 1 to ${LIMITS.quantityMax}`;
    for (const quantity of [0, -1, 1.5, LIMITS.quantityMax + 1, Number.NaN]) expect(refusal([item({ quantity })])).toBe(message);
    for (const quantity of [1, LIMITS.quantityMax]) expect(checkItems([item({ quantity })])[0]!.quantity).toBe(quantity);
  });
});

describe("pricing", () => {
  const product = (id: string, unitPrice: number, currency = "USD"): [string, Product] => [id, { id, name: `product ${id}`, unitPrice, currency }];
  const CATALOG = new Map([product("456", 1250), product("123", 150), product("900", 700, "EUR")]);
  const refusal = (run: () => unknown) => {
    const err = thrown(run);
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    return err.message;
  };

  test("takes each unit price from the catalog, the order's currency from its products, and totals them", () => {
    const items = checkItems([
      { productId: "456", quantity: 2 },
      { productId: "123", quantity: 3 },
    ]);
    expect(priceItems(items, CATALOG)).toEqual({
      items: [
        { productId: "456", quantity: 2, unitPrice: 1250 },
        { productId: "123", quantity: 3, unitPrice: 150 },
      ],
      currency: "USD",
      total: 2 * 1250 + 3 * 150,
    });
    expect(priceItems(checkItems([{ productId: "900", quantity: 1 }]), CATALOG)).toMatchObject({ currency: "EUR", total: 700 });
  });

  test("refuses a product the catalog does not have", () => {
    expect(
      refusal(() =>
        priceItems(
          [
            { productId: "456", quantity: 1 },
            { productId: "999", quantity: 1 },
          ],
          CATALOG,
        ),
      ),
    ).toBe('items[1].product_id "999" is not in the catalog (GET /products lists it)');
  });

  test("refuses items in more than one currency", () => {
    expect(
      refusal(() =>
        priceItems(
          [
            { productId: "456", quantity: 1 },
            { productId: "900", quantity: 1 },
          ],
          CATALOG,
        ),
      ),
    ).toBe("the items are priced in USD and EUR; an order is in one currency, so place one order per currency");
  });

  test("accepts a currency the caller names only if it is the products' own", () => {
    const items = [{ productId: "456", quantity: 1 }];
    expect(priceItems(items, CATALOG, "USD").currency).toBe("USD");
    expect(refusal(() => priceItems(items, CATALOG, "EUR"))).toBe("currency EUR is not the products' currency, USD; leave it out or send USD");
    expect(refusal(() => priceItems(items, CATALOG, "usd"))).toStartWith("currency must be a three-letter ISO 4217 code");
  });
});

describe("total", () => {
  test("is the sum of quantity times unit price, in minor units", () => {
    expect(orderTotal([])).toBe(0);
    expect(
      orderTotal([
        { productId: "a", quantity: 2, unitPrice: 1250 },
        { productId: "b", quantity: 1, unitPrice: 500 },
        { productId: "c", quantity: 3, unitPrice: 0 },
      ]),
    ).toBe(3000);
  });

  test("of the largest order stays an exact integer", () => {
    const items = Array.from({ length: LIMITS.itemsMax }, (_, i) => ({ productId: `p${i}`, quantity: LIMITS.quantityMax, unitPrice: LIMITS.unitPriceMax }));
    const total = orderTotal(items);
    expect(total).toBe(LIMITS.itemsMax * LIMITS.quantityMax * LIMITS.unitPriceMax);
    expect(Number.isSafeInteger(total)).toBe(true);
  });
});

import { CURRENCY_PATTERN, LIMITS, orderStatusFromProto } from "@evented/core";
import { ORDER_STATUSES, type OrderStatus } from "@evented/order/order";
import type { orderV1 } from "@evented/proto";
import { Type } from "@sinclair/typebox";
import { t } from "elysia";
import { Id, IdParam, NextPageToken, PageQuery, Time } from "../shared.ts";

type Status = OrderStatus;
// Literals, not t.UnionEnum: Elysia 1.4 fills a missing UnionEnum field with its first member,
// so a body without `status` would have meant "pending". Written out: mapped from ORDER_STATUSES, the
// union's type would be `never`. The line after it stops compiling if the two lists drift apart.
const Status = t.Union([t.Literal("pending"), t.Literal("confirmed"), t.Literal("shipped"), t.Literal("completed"), t.Literal("cancelled")], {
  error: `status must be one of ${ORDER_STATUSES.join(", ")}`,
});
true satisfies [Status, typeof Status.static] extends [typeof Status.static, Status] ? true : never;

export const OrderItem = t.Object({
  product_id: t.String({ minLength: 1, maxLength: LIMITS.productIdMax, error: `product_id must be 1 to ${LIMITS.productIdMax} characters`, examples: ["456"] }),
  // TypeBox's own Integer: Elysia's t.Integer also accepts "2" (a string) in a JSON body.
  quantity: Type.Integer({ minimum: 1, maximum: LIMITS.quantityMax, error: `quantity must be a whole number from 1 to ${LIMITS.quantityMax}`, examples: [2] }),
  // Declared only to refuse it with a clear message (the order service refuses it too): prices come from the catalog.
  unit_price: t.Optional(
    t.Never({
      description: "Not accepted: the price of each item comes from the product catalog (GET /products). A request with it is 400.",
      error: "unit_price is not accepted: prices come from the product catalog (GET /products); send product_id and quantity",
    }),
  ),
});

// Response models carry a `description`, not a `title`: the docs plugin moves both onto the
// OpenAPI response object, which must have a description and may not have a title.
export const Order = t.Object(
  {
    id: Id(),
    user_id: Id("user_id"),
    items: t.Array(
      t.Object({ product_id: t.String({ examples: ["456"] }), quantity: t.Integer({ examples: [2] }), unit_price: t.Integer({ examples: [1250] }) }),
    ),
    status: t.UnionEnum(ORDER_STATUSES),
    currency: t.String({ examples: ["USD"] }),
    total: t.Integer({ description: "Sum of quantity * unit_price, in minor units", examples: [2500] }),
    cancel_reason: t.String({ description: "Why it was cancelled; empty unless it was", examples: [""] }),
    created_at: Time,
    updated_at: Time,
  },
  { description: "The order" },
);

export const CreateOrderBody = t.Object(
  {
    user_id: t.Optional(
      t.String({ ...Id("user_id"), description: "Whose order: left out, the caller's own; another user's only for an admin (400 otherwise)" }),
    ),
    items: t.Array(OrderItem, { minItems: 1, maxItems: LIMITS.itemsMax, error: `items must hold 1 to ${LIMITS.itemsMax} items` }),
    currency: t.Optional(
      t.String({
        pattern: CURRENCY_PATTERN,
        description: "Optional: an order is in its products' currency; if sent, it must be that one (400 otherwise)",
        error: "currency must be a three-letter ISO 4217 code such as USD",
        examples: ["USD"],
      }),
    ),
  },
  {
    title: "CreateOrder",
    examples: [{ user_id: "01976b8e-4a4e-7cc1-9a7b-2b0c1c9b5e10", items: [{ product_id: "456", quantity: 2 }] }],
  },
);
export const Product = t.Object({
  id: t.String({ examples: ["456"] }),
  name: t.String({ examples: ["Notebook"] }),
  unit_price: t.Integer({ description: "Price of one unit in minor units of the currency (cents for USD)", examples: [1250] }),
  currency: t.String({ description: "ISO 4217 code", examples: ["USD"] }),
});
export const ProductList = t.Object({ products: t.Array(Product) }, { description: "The whole catalog, by id" });
export const toProduct = (p: orderV1.Product): typeof Product.static => ({ id: p.id, name: p.name, unit_price: p.unitPrice, currency: p.currency });

export const UpdateStatusBody = t.Object({ status: Status }, { title: "UpdateOrderStatus", examples: [{ status: "confirmed" }] });
export const CancelBody = t.Optional(
  t.Object(
    { reason: t.Optional(t.String({ maxLength: LIMITS.reasonMax, error: `reason must be at most ${LIMITS.reasonMax} characters` })) },
    { title: "CancelOrder", description: "Optional, as is the body itself", examples: [{ reason: "changed my mind" }] },
  ),
);
// A list shows each order's state and sum; its items (up to 100 each) are in GET /orders/{id}.
export const OrderSummary = t.Composite(
  [t.Omit(Order, ["items"]), t.Object({ item_count: t.Integer({ description: "How many lines the order has", examples: [1] }) })],
  {
    description: "An order, as a list shows it",
  },
);
export const OrderPage = t.Object({ orders: t.Array(OrderSummary), next_page_token: NextPageToken }, { description: "A page of orders, newest first" });
export const ListOrdersQuery = t.Object({ user_id: t.Optional(IdParam("user_id")), ...PageQuery });

export function toOrder(o: orderV1.Order | undefined): typeof Order.static {
  if (!o) throw new Error("service answered without an order");
  return {
    id: o.id,
    user_id: o.userId,
    items: o.items.map((i) => ({ product_id: i.productId, quantity: i.quantity, unit_price: i.unitPrice })),
    status: orderStatusFromProto(o.status) ?? "pending",
    currency: o.currency,
    total: o.total,
    cancel_reason: o.cancelReason,
    created_at: o.createdAt ?? "",
    updated_at: o.updatedAt ?? "",
  };
}

export function toOrderSummary(o: orderV1.Order): typeof OrderSummary.static {
  const { items, ...summary } = toOrder(o);
  return { ...summary, item_count: items.length };
}

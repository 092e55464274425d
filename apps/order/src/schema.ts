import { sql } from "drizzle-orm";
import { bigint, check, index, integer, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";

export { deadLetters, idempotencyKeys, outbox, processedEvents } from "@evented/core/tables";

import type { OrderItem, OrderStatus } from "./order.ts";

export type { OrderItem, OrderStatus };

/**
 * The catalog orders are priced from, read in the order's own transaction. Its rows are the
 * operator's (SQL; the sample catalog comes with migration 0001); the checks keep every total exact.
 */
export const products = pgTable(
  "products",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    /** Minor units of `currency`, never a float. */
    unitPrice: bigint("unit_price", { mode: "number" }).notNull(),
    /** ISO 4217 code. */
    currency: text("currency").notNull(),
  },
  (t) => [
    check("products_unit_price_range", sql`${t.unitPrice} between 0 and 100000000`),
    check("products_currency_iso4217", sql`${t.currency} ~ '^[A-Z]{3}$'`),
  ],
);

export const orders = pgTable(
  "orders",
  {
    id: uuid("id").primaryKey(),
    userId: uuid("user_id").notNull(),
    status: text("status").$type<OrderStatus>().notNull(),
    currency: text("currency").notNull(),
    /** Minor units (cents), never a float. */
    total: bigint("total", { mode: "number" }).notNull(),
    cancelReason: text("cancel_reason").notNull().default(""),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("orders_user_id_idx").on(t.userId, t.id)],
);

export const orderItems = pgTable(
  "order_items",
  {
    orderId: uuid("order_id")
      .notNull()
      .references(() => orders.id, { onDelete: "cascade" }),
    line: integer("line").notNull(),
    productId: text("product_id").notNull(),
    quantity: integer("quantity").notNull(),
    unitPrice: bigint("unit_price", { mode: "number" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.orderId, t.line] })],
);

/** Users this service has seen deleted (from UserDeleted): no new order may name them. */
export const deletedUsers = pgTable("deleted_users", {
  userId: uuid("user_id").primaryKey(),
  deletedAt: timestamp("deleted_at", { withTimezone: true }).notNull().defaultNow(),
});

export type Order = typeof orders.$inferSelect & { items: OrderItem[] };

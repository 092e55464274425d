import { type Executor, inOrder, placeholdersFor, prepared, preparedSql, valuesOf } from "@evented/core";
import { and, asc, desc, eq, inArray, lt, sql } from "drizzle-orm";
import type { Product } from "./order.ts";
import { CANCELLABLE } from "./order.ts";
import { deletedUsers, knownUsers, type Order, type OrderItem, type OrderStatus, orderItems, orders, products } from "./schema.ts";

type OrderRow = typeof orders.$inferSelect;

/** The order (always the same columns: service.ts) and its items, issued together (one round trip in the transaction). */
export async function insertOrder(tx: Executor, order: typeof orders.$inferInsert, items: OrderItem[]): Promise<Order> {
  const orderRows = [order];
  const itemRows = items.map((item, line) => ({ orderId: order.id, line, ...item }));
  const [[row]] = await inOrder(
    tx,
    () => prepared(tx, "insert_order", (d) => d.insert(orders).values(placeholdersFor(orderRows)).returning()).execute(valuesOf(orderRows)),
    () => prepared(tx, `insert_order_items_${itemRows.length}`, (d) => d.insert(orderItems).values(placeholdersFor(itemRows))).execute(valuesOf(itemRows)),
  );
  return { ...row!, items };
}

export async function findOrder(db: Executor, id: string, forUpdate = false): Promise<Order | undefined> {
  const query = db.select().from(orders).where(eq(orders.id, id));
  const [row] = forUpdate ? await query.for("update") : await query;
  return row && (await withItems(db, [row]))[0];
}

export async function setStatus(tx: Executor, id: string, status: OrderStatus, cancelReason?: string): Promise<OrderRow> {
  const [row] = await tx
    .update(orders)
    .set({ status, updatedAt: new Date(), ...(cancelReason !== undefined && { cancelReason }) })
    .where(eq(orders.id, id))
    .returning();
  return row!;
}

/** The whole catalog, by id. */
export const listProducts = (db: Executor): Promise<Product[]> => db.select().from(products).orderBy(asc(products.id));

/** The named products as they are now (in the order's transaction: the prices it is placed at). */
export async function findProducts(db: Executor, ids: string[]): Promise<Map<string, Product>> {
  const wanted = [...new Set(ids)].map((id) => ({ id }));
  // A statement per number of products: PostgreSQL planned `id = any($1)` anew on every call, as a
  // generic plan for an array of unknown length is priced above the plan for the array given.
  const rows = await prepared(db, `find_products_${wanted.length}`, (d) =>
    d
      .select()
      .from(products)
      .where(
        inArray(
          products.id,
          placeholdersFor(wanted).map((p) => p.id),
        ),
      ),
  ).execute(valuesOf(wanted));
  return new Map(rows.map((p) => [p.id, p]));
}

/** Newest first, optionally of one user; `before` is the last id of the previous page. */
export async function listOrders(db: Executor, limit: number, userId?: string, before?: string): Promise<Order[]> {
  const rows = await db
    .select()
    .from(orders)
    .where(and(userId ? eq(orders.userId, userId) : undefined, before ? lt(orders.id, before) : undefined))
    .orderBy(desc(orders.id))
    .limit(limit);
  return withItems(db, rows);
}

/** Up to `limit` of a user's orders that may still be cancelled, oldest first, locked for this transaction. */
export async function openOrdersOfUser(tx: Executor, userId: string, limit: number): Promise<Order[]> {
  const rows = await tx
    .select()
    .from(orders)
    .where(and(eq(orders.userId, userId), inArray(orders.status, CANCELLABLE)))
    .orderBy(asc(orders.id))
    .limit(limit)
    .for("update");
  return withItems(tx, rows);
}

/** Up to `limit` open orders of users who are gone; rows another replica holds are skipped, not waited for. */
export async function openOrdersOfDeletedUsers(tx: Executor, limit: number): Promise<Order[]> {
  const gone = tx.select({ userId: deletedUsers.userId }).from(deletedUsers);
  const rows = await tx
    .select()
    .from(orders)
    .where(and(inArray(orders.userId, gone), inArray(orders.status, CANCELLABLE)))
    .orderBy(asc(orders.id))
    .limit(limit)
    .for("update", { skipLocked: true });
  return withItems(tx, rows);
}

/**
 * Orders of one user against that user's deletion: creating takes the user's lock shared (creates
 * run side by side), applying UserDeleted takes it exclusive, so a create either commits before the
 * deletion cancels open orders or sees the user in deleted_users. Held until the transaction ends.
 */
export const lockUserShared = (tx: Executor, userId: string): Promise<unknown> =>
  preparedSql(tx, "lock_user_shared", () => sql`select pg_advisory_xact_lock_shared(hashtextextended(${sql.placeholder("userId")}, 0))`).execute({
    userId,
  });

export async function lockUserExclusive(tx: Executor, userId: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${userId}, 0))`);
}

/** What the order service's own read model says of a user, in one statement (issued when called: see inOrder). */
export const userStanding = (tx: Executor, userId: string): Promise<{ known: boolean; deleted: boolean }> =>
  preparedSql<{ known: boolean; deleted: boolean }>(
    tx,
    "user_standing",
    () =>
      sql`select exists (select 1 from ${knownUsers} where ${knownUsers.userId} = ${sql.placeholder("userId")}) as known,
               exists (select 1 from ${deletedUsers} where ${deletedUsers.userId} = ${sql.placeholder("userId")}) as deleted`,
  )
    .execute({ userId })
    .then(([row]) => ({ known: row!.known, deleted: row!.deleted }));

export const markUserKnown = (tx: Executor, userId: string): Promise<unknown> =>
  prepared(tx, "mark_user_known", (d) =>
    d
      .insert(knownUsers)
      .values({ userId: sql.placeholder("userId") })
      .onConflictDoNothing(),
  ).execute({ userId });

export async function markUserDeleted(tx: Executor, userId: string): Promise<void> {
  await tx.insert(deletedUsers).values({ userId }).onConflictDoNothing();
}

async function withItems(db: Executor, rows: OrderRow[]): Promise<Order[]> {
  if (rows.length === 0) return [];
  const items = await db
    .select()
    .from(orderItems)
    .where(
      inArray(
        orderItems.orderId,
        rows.map((r) => r.id),
      ),
    )
    .orderBy(asc(orderItems.orderId), asc(orderItems.line));
  const byOrder = Map.groupBy(items, (i) => i.orderId);
  return rows.map((row) => ({
    ...row,
    items: (byOrder.get(row.id) ?? []).map(({ productId, quantity, unitPrice }) => ({ productId, quantity, unitPrice })),
  }));
}

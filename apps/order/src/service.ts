import {
  checkCurrency,
  checkId,
  conflict,
  type EventContext,
  type Executor,
  failedPrecondition,
  invalid,
  LIMITS,
  newEvent,
  notFound,
  type Outbox,
  once,
  orderStatusToProto,
  page,
  replay,
} from "@evented/core";
import * as repo from "./repository.ts";
import type { Order, OrderItem, OrderStatus } from "./schema.ts";

export type { Order, OrderItem, OrderStatus };

/** The order lifecycle. Cancelling is allowed until the order ships. */
export const NEXT_STATUS: Record<OrderStatus, readonly OrderStatus[]> = {
  pending: ["confirmed", "cancelled"],
  confirmed: ["shipped", "cancelled"],
  shipped: ["completed"],
  completed: [],
  cancelled: [],
};

/** What the order service needs to know about users: whether one exists (user service, over gRPC). */
export interface UserDirectory {
  exists(userId: string, ctx: EventContext): Promise<boolean>;
}

export interface CreateOrder {
  userId: string;
  items: { productId: string; quantity: number; unitPrice?: number }[];
  currency?: string;
}

export interface Context extends EventContext {
  idempotencyKey?: string;
}

const SOURCE = "order";

export class OrderService {
  constructor(
    private readonly db: Executor,
    private readonly outbox: Outbox,
    private readonly users: UserDirectory,
  ) {}

  async create(input: CreateOrder, ctx: Context = {}): Promise<Order> {
    const userId = checkId("user_id", input.userId);
    const items = checkItems(input.items);
    const currency = checkCurrency(input.currency || "USD");
    const total = items.reduce((sum, i) => sum + i.quantity * i.unitPrice, 0);

    const request = { userId, items, currency };
    // A retry of a create that committed gets its first answer, even if the user is gone since.
    const first = await replay(this.db, ctx.idempotencyKey, request, reviveOrder);
    if (first) return first;
    if (!(await this.users.exists(userId, ctx))) throw failedPrecondition(`user ${userId} does not exist`);
    const order = await this.db.transaction((tx) =>
      once(
        tx,
        ctx.idempotencyKey,
        request,
        async () => {
          const id = Bun.randomUUIDv7();
          const event = newEvent(SOURCE, id, { $case: "orderCreated", value: { orderId: id, userId, items, currency, total } }, ctx);
          // One round trip: the statements are pipelined and PostgreSQL runs them in this order, so
          // the check runs once the lock is held and sees a deletion that committed before; if the
          // user is gone, throwing rolls the inserts back.
          const [, deleted, created] = await Promise.all([
            repo.lockUserShared(tx, userId),
            repo.isUserDeleted(tx, userId),
            repo.insertOrder(tx, { id, userId, status: "pending", currency, total }, items),
            this.outbox.add(tx, event),
          ]);
          if (deleted) throw failedPrecondition(`user ${userId} does not exist`);
          return created;
        },
        reviveOrder,
      ),
    );
    this.outbox.kick();
    return order;
  }

  async get(id: string): Promise<Order> {
    const order = await repo.findOrder(this.db, checkId("id", id));
    if (!order) throw notFound(`order ${id} not found`);
    return order;
  }

  async list(userId: string, pageSize: number, token: string): Promise<{ orders: Order[]; nextPageToken: string }> {
    const owner = userId ? checkId("user_id", userId) : undefined;
    const { items, nextPageToken } = await page(pageSize, token, (limit, before) => repo.listOrders(this.db, limit, owner, before));
    return { orders: items, nextPageToken };
  }

  /** Moves an order along its lifecycle; "cancelled" is the same as cancel(). */
  async updateStatus(rawId: string, to: OrderStatus, ctx: Context = {}): Promise<Order> {
    if (to === "cancelled") return this.cancel(rawId, "", ctx);
    // The canonical (lower-case) id: events name the aggregate one way only.
    const id = checkId("id", rawId);
    const order = await this.db.transaction(async (tx) => {
      const current = await repo.findOrder(tx, id, true);
      if (!current) throw notFound(`order ${id} not found`);
      if (current.status === to) return current;
      checkTransition(current, to);
      const row = await repo.setStatus(tx, id, to);
      const value = { orderId: id, userId: current.userId, oldStatus: orderStatusToProto(current.status), newStatus: orderStatusToProto(to) };
      await this.outbox.add(tx, newEvent(SOURCE, id, { $case: "orderStatusUpdated", value }, ctx));
      return { ...row, items: current.items };
    });
    this.outbox.kick();
    return order;
  }

  async cancel(rawId: string, reason: string, ctx: Context = {}): Promise<Order> {
    const id = checkId("id", rawId);
    if (reason.length > LIMITS.reasonMax) throw invalid(`reason must be at most ${LIMITS.reasonMax} characters`);
    const order = await this.db.transaction(async (tx) => {
      const current = await repo.findOrder(tx, id, true);
      if (!current) throw notFound(`order ${id} not found`);
      if (current.status === "cancelled") return current;
      checkTransition(current, "cancelled");
      return this.cancelIn(tx, current, reason, ctx);
    });
    this.outbox.kick();
    return order;
  }

  /** UserDeleted: remember the user is gone and cancel every open order, inside the consumer's transaction. */
  async cancelOrdersOfUser(tx: Executor, userId: string, ctx: EventContext): Promise<number> {
    await repo.lockUserExclusive(tx, userId);
    await repo.markUserDeleted(tx, userId);
    const open = await repo.openOrdersOfUser(tx, userId);
    for (const order of open) await this.cancelIn(tx, order, "user account deleted", ctx);
    return open.length;
  }

  /** Wakes the outbox relay; for writes made in a transaction this service did not open. */
  flush(): void {
    this.outbox.kick();
  }

  private async cancelIn(tx: Executor, current: Order, reason: string, ctx: EventContext): Promise<Order> {
    const row = await repo.setStatus(tx, current.id, "cancelled", reason);
    const value = { orderId: current.id, userId: current.userId, previousStatus: orderStatusToProto(current.status), reason };
    await this.outbox.add(tx, newEvent(SOURCE, current.id, { $case: "orderCancelled", value }, ctx));
    return { ...row, items: current.items };
  }
}

function checkTransition(order: Order, to: OrderStatus): void {
  const allowed = NEXT_STATUS[order.status];
  if (!allowed.includes(to)) {
    const options = allowed.length ? `it can become ${allowed.join(" or ")}` : "it is final";
    throw conflict(`order ${order.id} is ${order.status} and cannot become ${to}; ${options}`);
  }
}

function checkItems(items: CreateOrder["items"]): OrderItem[] {
  if (items.length === 0) throw invalid("items must contain at least one item");
  if (items.length > LIMITS.itemsMax) throw invalid(`items must contain at most ${LIMITS.itemsMax} items`);
  return items.map((item, i) => {
    const productId = item.productId.trim();
    if (!productId || productId.length > LIMITS.productIdMax) throw invalid(`items[${i}].product_id must be 1 to ${LIMITS.productIdMax} characters`);
    if (!Number.isInteger(item.quantity) || item.quantity < 1 || item.quantity > LIMITS.quantityMax) {
      throw invalid(`items[${i}].quantity must be a whole number from 1 to ${LIMITS.quantityMax}`);
    }
    const unitPrice = item.unitPrice ?? 0;
    if (!Number.isInteger(unitPrice) || unitPrice < 0 || unitPrice > LIMITS.unitPriceMax) {
      throw invalid(`items[${i}].unit_price must be a whole number of minor units from 0 to ${LIMITS.unitPriceMax}`);
    }
    return { productId, quantity: item.quantity, unitPrice };
  });
}

function reviveOrder(json: unknown): Order {
  const o = json as Order & { createdAt: string; updatedAt: string };
  return { ...o, createdAt: new Date(o.createdAt), updatedAt: new Date(o.updatedAt) };
}

import {
  checkCurrency,
  checkId,
  checkText,
  type EventContext,
  type Executor,
  failedPrecondition,
  inOrder,
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
import { checkItems, NEW_ORDER_STATUS, type NewItem, type OrderItem, type OrderStatus, type Product, priceItems, transition } from "./order.ts";
import * as repo from "./repository.ts";
import type { Order } from "./schema.ts";

export type { Order, OrderItem, OrderStatus, Product };

/**
 * Whether a user exists, asked of the user service over gRPC: for a user whose UserCreated has not
 * reached this service yet (the read model in known_users answers for the others).
 */
export interface UserDirectory {
  exists(userId: string, ctx: EventContext): Promise<boolean>;
}

export interface CreateOrder {
  userId: string;
  items: NewItem[];
  /** Optional: the order's currency is its products'; if named, it must be that one. */
  currency?: string;
}

export interface Context extends EventContext {
  idempotencyKey?: string;
}

const SOURCE = "order";
const DELETED_REASON = "user account deleted";
/** Orders one transaction of a deleted user's cascade cancels, at most. */
export const CASCADE_BATCH = 100;

export class OrderService {
  constructor(
    private readonly db: Executor,
    private readonly outbox: Outbox,
    private readonly users: UserDirectory,
  ) {}

  async create(input: CreateOrder, ctx: Context = {}): Promise<Order> {
    const userId = checkId("user_id", input.userId);
    const wanted = checkItems(input.items);
    const request = { userId, items: wanted, currency: input.currency ? checkCurrency(input.currency) : "" };
    // A retry of a create that committed gets its first answer, even if the user is gone since.
    const first = await replay(this.db, ctx.idempotencyKey, request, reviveOrder);
    if (first) return first;
    // The user's standing comes from this service's read model (UserCreated, UserDeleted), checked
    // inside the transaction; only a user it has not heard of yet costs a call to the user service,
    // after which it is known here too.
    const unknown = Symbol("unknown user");
    const attempt = (asked: boolean) =>
      this.db.transaction((tx) =>
        once(
          tx,
          ctx.idempotencyKey,
          request,
          async () => {
            // Priced in this transaction, from the catalog as it is now; the order keeps these prices.
            const products = wanted.map((i) => i.productId);
            const { items, currency, total } = priceItems(wanted, await repo.findProducts(tx, products), request.currency);
            const id = Bun.randomUUIDv7();
            const event = newEvent(SOURCE, id, { $case: "orderCreated", value: { orderId: id, userId, items, currency, total } }, ctx);
            // One round trip: the statements are pipelined and PostgreSQL runs them in this order, so
            // the check runs once the lock is held and sees a deletion that committed before; if the
            // user is gone (or not known here), throwing rolls the inserts back.
            const [, standing, created] = await inOrder(
              tx,
              () => repo.lockUserShared(tx, userId),
              () => repo.userStanding(tx, userId),
              () => repo.insertOrder(tx, { id, userId, status: NEW_ORDER_STATUS, currency, total }, items),
              () => this.outbox.add(tx, event),
              () => (asked ? repo.markUserKnown(tx, userId) : Promise.resolve()),
            );
            if (standing.deleted) throw failedPrecondition(`user ${userId} does not exist`);
            if (!standing.known && !asked) throw unknown;
            return created;
          },
          reviveOrder,
        ),
      );
    try {
      return await attempt(false);
    } catch (err) {
      if (err !== unknown) throw err;
    }
    if (!(await this.users.exists(userId, ctx))) throw failedPrecondition(`user ${userId} does not exist`);
    return attempt(true);
  }

  /** UserCreated, inside the consumer's transaction: orders for the user need no GetUser from now on. */
  async userCreated(tx: Executor, userId: string): Promise<void> {
    await repo.markUserKnown(tx, userId);
  }

  listProducts(): Promise<Product[]> {
    return repo.listProducts(this.db);
  }

  async get(rawId: string): Promise<Order> {
    // Named as stored, as another user's order is (server.ts): the answer tells the two apart by nothing.
    const id = checkId("id", rawId);
    const order = await repo.findOrder(this.db, id);
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
    return this.db.transaction(async (tx) => {
      const current = await repo.findOrder(tx, id, true);
      if (!current) throw notFound(`order ${id} not found`);
      if (!transition(current, to)) return current;
      const row = await repo.setStatus(tx, id, to);
      const value = { orderId: id, userId: current.userId, oldStatus: orderStatusToProto(current.status), newStatus: orderStatusToProto(to) };
      await this.outbox.add(tx, newEvent(SOURCE, id, { $case: "orderStatusUpdated", value }, ctx));
      return { ...row, items: current.items };
    });
  }

  async cancel(rawId: string, reason: string, ctx: Context = {}): Promise<Order> {
    const id = checkId("id", rawId);
    if (reason.length > LIMITS.reasonMax) throw invalid(`reason must be at most ${LIMITS.reasonMax} characters`);
    checkText("reason", reason);
    return this.db.transaction(async (tx) => {
      const current = await repo.findOrder(tx, id, true);
      if (!current) throw notFound(`order ${id} not found`);
      if (!transition(current, "cancelled")) return current;
      return this.cancelIn(tx, current, reason, ctx);
    });
  }

  /**
   * UserDeleted, inside the consumer's transaction: remember the user is gone (no order can be
   * placed for them from then on) and cancel their first CASCADE_BATCH open orders. What is left is
   * for `cancelNextOrdersOfDeletedUsers`, in transactions of the same bound: a user with very many
   * orders never makes one long transaction. Returns how many this one cancelled and whether more wait.
   */
  async cancelOrdersOfUser(tx: Executor, userId: string, ctx: EventContext): Promise<{ cancelled: number; more: boolean }> {
    await repo.lockUserExclusive(tx, userId);
    await repo.markUserDeleted(tx, userId);
    const open = await repo.openOrdersOfUser(tx, userId, CASCADE_BATCH + 1);
    const batch = open.slice(0, CASCADE_BATCH);
    for (const order of batch) await this.cancelIn(tx, order, DELETED_REASON, ctx);
    return { cancelled: batch.length, more: open.length > batch.length };
  }

  /**
   * One bounded step of the cascade: cancels up to `limit` open orders of deleted users in one
   * transaction and returns how many. What survives a crash half-way is the state itself (open
   * orders of users in deleted_users), so running this again after a restart finishes the job.
   */
  async cancelNextOrdersOfDeletedUsers(limit = CASCADE_BATCH): Promise<number> {
    return this.db.transaction(async (tx) => {
      const open = await repo.openOrdersOfDeletedUsers(tx, limit);
      for (const order of open) await this.cancelIn(tx, order, DELETED_REASON, {});
      return open.length;
    });
  }

  private async cancelIn(tx: Executor, current: Order, reason: string, ctx: EventContext): Promise<Order> {
    const row = await repo.setStatus(tx, current.id, "cancelled", reason);
    const value = { orderId: current.id, userId: current.userId, previousStatus: orderStatusToProto(current.status), reason };
    await this.outbox.add(tx, newEvent(SOURCE, current.id, { $case: "orderCancelled", value }, ctx));
    return { ...row, items: current.items };
  }
}

function reviveOrder(json: unknown): Order {
  const o = json as Order & { createdAt: string; updatedAt: string };
  return { ...o, createdAt: new Date(o.createdAt), updatedAt: new Date(o.updatedAt) };
}

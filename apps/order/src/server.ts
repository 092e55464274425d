import {
  type CallContext,
  type CallerAuth,
  callerKey,
  ensureAccess,
  invalid,
  type Logger,
  orderStatusFromProto,
  orderStatusToProto,
  requireAdmin,
  requireCaller,
  unaryHandlers,
} from "@evented/core";
import type { orderV1 } from "@evented/proto";
import { ORDER_STATUSES } from "./order.ts";
import type { Order, OrderService } from "./service.ts";

/**
 * gRPC <-> domain, and who may: a customer places, reads and cancels their own orders (the user
 * service, asked with their token, says whether the user is theirs to order for); moving an
 * order along its lifecycle is an admin's act; the product catalog is open to anyone. Without `auth` (unit tests) nothing is checked.
 */
export function orderServer(orders: OrderService, log: Logger, auth?: CallerAuth): orderV1.OrderServiceServer {
  const own = async (ctx: CallContext, id: string) => {
    const order = await orders.get(id);
    if (auth) ensureAccess(ctx, order.userId, `order ${order.id}`);
    return order;
  };
  return unaryHandlers<orderV1.OrderServiceServer>(
    log,
    {
      listProducts: async () => ({ products: await orders.listProducts() }),
      createOrder: async (req, ctx) => {
        // No user_id: the caller's own order.
        const input = { ...req, userId: req.userId || ctx.caller?.userId || "" };
        return { order: toProto(await orders.create(input, { ...ctx, idempotencyKey: callerKey(ctx.caller, req.idempotencyKey) })) };
      },
      getOrder: async (req, ctx) => ({ order: toProto(await own(ctx, req.id)) }),
      listOrders: async (req, ctx) => {
        // All orders is an admin's list; a customer sees their own (another's user_id has none for them).
        const caller = auth && requireCaller(ctx);
        if (caller && caller.role !== "admin" && req.userId.toLowerCase() !== caller.userId) {
          if (req.userId) return { orders: [], nextPageToken: "" };
          req.userId = caller.userId;
        }
        const page = await orders.list(req.userId, req.pageSize, req.pageToken);
        return { orders: page.orders.map(toProto), nextPageToken: page.nextPageToken };
      },
      updateOrderStatus: async (req, ctx) => {
        if (auth) requireAdmin(ctx);
        const status = orderStatusFromProto(req.status);
        if (!status) throw invalid(`status must be one of ${ORDER_STATUSES.join(", ")}`);
        return { order: toProto(await orders.updateStatus(req.id, status, ctx)) };
      },
      cancelOrder: async (req, ctx) => {
        await own(ctx, req.id);
        return { order: toProto(await orders.cancel(req.id, req.reason, ctx)) };
      },
    },
    auth && { ...auth, open: ["listProducts"] },
  );
}

function toProto(order: Order): orderV1.Order {
  return {
    ...order,
    status: orderStatusToProto(order.status),
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
  };
}

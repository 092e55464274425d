import { invalid, type Logger, orderStatusFromProto, orderStatusToProto, unaryHandlers } from "@evented/core";
import type { orderV1 } from "@evented/proto";
import type { Order, OrderService } from "./service.ts";

/** gRPC <-> domain: nothing else lives here. */
export function orderServer(orders: OrderService, log: Logger): orderV1.OrderServiceServer {
  return unaryHandlers<orderV1.OrderServiceServer>(log, {
    createOrder: async (req, ctx) => ({
      order: toProto(await orders.create(req, { ...ctx, idempotencyKey: req.idempotencyKey || undefined })),
    }),
    getOrder: async (req) => ({ order: toProto(await orders.get(req.id)) }),
    listOrders: async (req) => {
      const page = await orders.list(req.userId, req.pageSize, req.pageToken);
      return { orders: page.orders.map(toProto), nextPageToken: page.nextPageToken };
    },
    updateOrderStatus: async (req, ctx) => {
      const status = orderStatusFromProto(req.status);
      if (!status) throw invalid("status must be one of pending, confirmed, shipped, completed, cancelled");
      return { order: toProto(await orders.updateStatus(req.id, status, ctx)) };
    },
    cancelOrder: async (req, ctx) => ({ order: toProto(await orders.cancel(req.id, req.reason, ctx)) }),
  });
}

function toProto(order: Order): orderV1.Order {
  return {
    ...order,
    status: orderStatusToProto(order.status),
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
  };
}

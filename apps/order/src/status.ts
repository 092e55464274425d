import { orderV1 } from "@evented/proto";
import type { OrderStatus } from "./schema.ts";

const { OrderStatus: P } = orderV1;

/** Domain status <-> the proto enum that gRPC messages and events carry. */
export const STATUS_TO_PROTO: Record<OrderStatus, orderV1.OrderStatus> = {
  pending: P.ORDER_STATUS_PENDING,
  confirmed: P.ORDER_STATUS_CONFIRMED,
  shipped: P.ORDER_STATUS_SHIPPED,
  completed: P.ORDER_STATUS_COMPLETED,
  cancelled: P.ORDER_STATUS_CANCELLED,
};

export const STATUS_FROM_PROTO = new Map(Object.entries(STATUS_TO_PROTO).map(([k, v]) => [v, k as OrderStatus]));

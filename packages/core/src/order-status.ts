// The order lifecycle's names, written once: the order service stores them, the gateway speaks
// them in JSON, gRPC messages and events carry them as the proto enum.
import { orderV1 } from "@evented/proto";

export const ORDER_STATUSES = ["pending", "confirmed", "shipped", "completed", "cancelled"] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

const P = orderV1.OrderStatus;
const TO_PROTO: Record<OrderStatus, orderV1.OrderStatus> = {
  pending: P.ORDER_STATUS_PENDING,
  confirmed: P.ORDER_STATUS_CONFIRMED,
  shipped: P.ORDER_STATUS_SHIPPED,
  completed: P.ORDER_STATUS_COMPLETED,
  cancelled: P.ORDER_STATUS_CANCELLED,
};
const FROM_PROTO = new Map(Object.entries(TO_PROTO).map(([name, value]) => [value, name as OrderStatus]));

export const orderStatusToProto = (status: OrderStatus): orderV1.OrderStatus => TO_PROTO[status];
/** undefined for ORDER_STATUS_UNSPECIFIED or a value this build does not know. */
export const orderStatusFromProto = (status: orderV1.OrderStatus): OrderStatus | undefined => FROM_PROTO.get(status);

// Order status names as the order service stores them and the gateway speaks them in JSON, and
// the proto enum values gRPC messages and events carry. Which status may follow which is the
// order's own rule, written once in apps/order/src/order.ts.
import { orderV1 } from "@evented/proto";

const P = orderV1.OrderStatus;
const TO_PROTO = {
  pending: P.ORDER_STATUS_PENDING,
  confirmed: P.ORDER_STATUS_CONFIRMED,
  shipped: P.ORDER_STATUS_SHIPPED,
  completed: P.ORDER_STATUS_COMPLETED,
  cancelled: P.ORDER_STATUS_CANCELLED,
} as const satisfies Record<string, orderV1.OrderStatus>;
export type OrderStatus = keyof typeof TO_PROTO;
const FROM_PROTO = new Map(Object.entries(TO_PROTO).map(([name, value]) => [value as orderV1.OrderStatus, name as OrderStatus]));

export const orderStatusToProto = (status: OrderStatus): orderV1.OrderStatus => TO_PROTO[status];
/** undefined for ORDER_STATUS_UNSPECIFIED or a value this build does not know. */
export const orderStatusFromProto = (status: orderV1.OrderStatus): OrderStatus | undefined => FROM_PROTO.get(status);

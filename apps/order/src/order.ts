// The order's rules as plain code: its lifecycle, what it may hold, its total. No database, no
// transport: the service calls into it, the gateway's API docs are written from it, and
// order.test.ts checks it with neither PostgreSQL nor NATS. (The status names and their proto
// enum values are the contract's: packages/core/src/order-status.ts.)
import { conflict, invalid } from "@evented/core/errors";
import type { OrderStatus } from "@evented/core/order-status";
import { checkText, LIMITS } from "@evented/core/rules";

export type { OrderStatus };

/** The lifecycle: where each status may go next. Cancelling is allowed until the order ships. */
export const LIFECYCLE: Record<OrderStatus, readonly OrderStatus[]> = {
  pending: ["confirmed", "cancelled"],
  confirmed: ["shipped", "cancelled"],
  shipped: ["completed"],
  completed: [],
  cancelled: [],
};

/** Every status, a new order's first. */
export const ORDER_STATUSES = Object.keys(LIFECYCLE) as [OrderStatus, ...OrderStatus[]];
export const NEW_ORDER_STATUS = ORDER_STATUSES[0];

export interface OrderItem {
  productId: string;
  quantity: number;
  /** Minor units of the order's currency. */
  unitPrice: number;
}

export type NewItem = Omit<OrderItem, "unitPrice"> & { unitPrice?: number };

/**
 * Whether moving an order to `to` changes it: false when it is there already (a retried request),
 * true for a move the lifecycle allows. Any other move is refused (ABORTED).
 */
export function transition(order: { id: string; status: OrderStatus }, to: OrderStatus): boolean {
  if (order.status === to) return false;
  const allowed = LIFECYCLE[order.status];
  if (!allowed.includes(to)) {
    const options = allowed.length ? `it can become ${allowed.join(" or ")}` : "it is final";
    throw conflict(`order ${order.id} is ${order.status} and cannot become ${to}; ${options}`);
  }
  return true;
}

/** The statuses `to` may be reached from. */
export const reachableFrom = (to: OrderStatus): OrderStatus[] => ORDER_STATUSES.filter((s) => LIFECYCLE[s].includes(to));

/** Statuses an order may still be cancelled in. */
export const CANCELLABLE = reachableFrom("cancelled");

/** The lifecycle in one line, for the docs: the main path, then each status off it ("cancelled from pending or confirmed"). */
export function describeLifecycle(): string {
  const path = [NEW_ORDER_STATUS];
  for (let next = LIFECYCLE[NEW_ORDER_STATUS][0]; next && !path.includes(next); next = LIFECYCLE[next][0]) path.push(next);
  const off = ORDER_STATUSES.filter((s) => !path.includes(s)).map((s) => `${s} from ${reachableFrom(s).join(" or ")}`);
  return [path.join(" → "), ...off].join("; ");
}

/** The items of a new order, checked and normalised (product ids trimmed, a missing price 0). */
export function checkItems(items: NewItem[]): OrderItem[] {
  if (items.length === 0) throw invalid("items must contain at least one item");
  if (items.length > LIMITS.itemsMax) throw invalid(`items must contain at most ${LIMITS.itemsMax} items`);
  return items.map((item, i) => {
    const productId = checkText(`items[${i}].product_id`, item.productId).trim();
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

/** Sum of quantity * unit price, in minor units (checked items keep it far inside 2^53). */
export const orderTotal = (items: readonly OrderItem[]): number => items.reduce((sum, i) => sum + i.quantity * i.unitPrice, 0);

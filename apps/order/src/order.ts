// The order's rules as plain code: its lifecycle, what it may hold, its total. No database, no
// transport: the service calls into it, the gateway's API docs are written from it, and
// order.test.ts checks it with neither PostgreSQL nor NATS. (The status names and their proto
// enum values are the contract's: packages/core/src/order-status.ts.)
import { conflict, invalid } from "@evented/core/errors";
import type { OrderStatus } from "@evented/core/order-status";
import { checkCurrency, checkText, LIMITS } from "@evented/core/rules";

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

/** An item as the order keeps it: priced from the catalog at order time, never changed after. */
export interface OrderItem {
  productId: string;
  quantity: number;
  /** Minor units of the order's currency. */
  unitPrice: number;
}

/** What a new order asks for. `unitPrice` is there only to be refused: prices come from the catalog. */
export interface NewItem {
  productId: string;
  quantity: number;
  unitPrice?: number;
}

/** A catalog entry (table `products`). */
export interface Product {
  id: string;
  name: string;
  /** Minor units of `currency`. */
  unitPrice: number;
  currency: string;
}

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

/** The items of a new order, checked and normalised (product ids trimmed); a price sent along is refused. */
export function checkItems(items: NewItem[]): Omit<OrderItem, "unitPrice">[] {
  if (items.length === 0) throw invalid("items must contain at least one item");
  if (items.length > LIMITS.itemsMax) throw invalid(`items must contain at most ${LIMITS.itemsMax} items`);
  return items.map((item, i) => {
    if (item.unitPrice !== undefined) {
      throw invalid(`items[${i}].unit_price is not accepted: prices come from the product catalog (GET /products); send product_id and quantity`);
    }
    const productId = checkText(`items[${i}].product_id`, item.productId).trim();
    if (!productId || productId.length > LIMITS.productIdMax) throw invalid(`items[${i}].product_id must be 1 to ${LIMITS.productIdMax} characters`);
    if (!Number.isInteger(item.quantity) || item.quantity < 1 || item.quantity > LIMITS.quantityMax) {
      throw invalid(`items[${i}].quantity must be a whole number from 1 to ${LIMITS.quantityMax}`);
    }
    return { productId, quantity: item.quantity };
  });
}

/**
 * Prices checked items from the catalog as it is now: each unknown product is refused, and an order
 * is in one currency, its products' (mixed currencies are refused; a `currency` the caller names
 * must be that one). The result is what the order keeps.
 */
export function priceItems(
  items: readonly Omit<OrderItem, "unitPrice">[],
  catalog: ReadonlyMap<string, Product>,
  requestedCurrency = "",
): { items: OrderItem[]; currency: string; total: number } {
  const priced = items.map((item, i) => {
    const product = catalog.get(item.productId);
    if (!product) throw invalid(`items[${i}].product_id "${item.productId}" is not in the catalog (GET /products lists it)`);
    return { ...item, unitPrice: product.unitPrice, currency: product.currency };
  });
  const currencies = [...new Set(priced.map((p) => p.currency))];
  if (currencies.length > 1) throw invalid(`the items are priced in ${currencies.join(" and ")}; an order is in one currency, so place one order per currency`);
  const currency = currencies[0]!;
  if (requestedCurrency && checkCurrency(requestedCurrency) !== currency) {
    throw invalid(`currency ${requestedCurrency} is not the products' currency, ${currency}; leave it out or send ${currency}`);
  }
  const kept = priced.map(({ productId, quantity, unitPrice }) => ({ productId, quantity, unitPrice }));
  return { items: kept, currency, total: orderTotal(kept) };
}

/** Sum of quantity * unit price, in minor units (checked items keep it far inside 2^53). */
export const orderTotal = (items: readonly OrderItem[]): number => items.reduce((sum, i) => sum + i.quantity * i.unitPrice, 0);

// The customer's orders with their status, kept current by the feed (each order notification
// reloads the list), and a cancel button while the order may still be cancelled.
import { useEffect, useState } from "react";
import { api, money, ok, shortId, when } from "../api.ts";
import type { Me } from "../app.tsx";
import { useFeed } from "../feed.tsx";
import { FormError, Section, useAction } from "../forms.tsx";

/** An order as lists show it (item_count, not the items). */
export type Order = NonNullable<Awaited<ReturnType<typeof api.orders.get>>["data"]>["orders"][number];
type FullOrder = NonNullable<Awaited<ReturnType<ReturnType<typeof api.orders>["get"]>>["data"]>;
export const summary = ({ items, ...o }: FullOrder): Order => ({ ...o, item_count: items.length });

/** Cancelling is allowed until the order ships (apps/order/src/order.ts). */
export const cancellable = (o: Order) => o.status === "pending" || o.status === "confirmed";

export function MyOrders({ me }: { me: Me }) {
  const { received } = useFeed();
  const [orders, setOrders] = useState<Order[]>();
  const action = useAction();
  const load = async () => setOrders(ok(await api.users({ id: me.id }).orders.get({ query: { page_size: 50 } })).orders);
  // biome-ignore lint/correctness/useExhaustiveDependencies: reloads on each notification received
  useEffect(() => void action.run(load), [received]);
  return (
    <Section title="My orders">
      <FormError error={action.form} />
      {orders?.length === 0 && (
        <p>
          No orders yet: see the <a href="/#/shop">shop</a>.
        </p>
      )}
      <ol className="cards" aria-label="Orders">
        {orders?.map((o) => (
          <li key={o.id} className="card">
            <OrderSummary order={o} />
            {cancellable(o) && (
              <button
                type="button"
                aria-label={`Cancel order ${shortId(o.id)}`}
                disabled={action.busy}
                onClick={() =>
                  void action.run(async () => {
                    ok(await api.orders({ id: o.id }).cancel.post({ reason: "cancelled by the customer" }));
                    await load();
                  })
                }
              >
                Cancel
              </button>
            )}
          </li>
        ))}
      </ol>
    </Section>
  );
}

export function OrderSummary({ order: o }: { order: Order }) {
  return (
    <>
      <h3>
        Order {shortId(o.id)} <span className={`badge ${o.status}`}>{o.status}</span>
      </h3>
      <p className="meta">
        <time dateTime={o.created_at}>{when(o.created_at)}</time> · {o.item_count === 1 ? "1 product" : `${o.item_count} products`} ·{" "}
        {money(o.total, o.currency)}
      </p>
      {o.cancel_reason && <p className="meta">Cancelled: {o.cancel_reason}</p>}
    </>
  );
}

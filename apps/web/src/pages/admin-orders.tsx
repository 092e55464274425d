// Every order, newest first, with the move each may make next (admins only).
import { useEffect, useState } from "react";
import { api, ok, shortId } from "../api.ts";
import { FormError, Section, useAction } from "../forms.tsx";
import { type Order, OrderSummary, summary } from "./my-orders.tsx";

/** The lifecycle's forward moves (apps/order/src/order.ts), by the verb on the button. */
const NEXT = { pending: ["Confirm", "confirmed"], confirmed: ["Ship", "shipped"], shipped: ["Complete", "completed"] } as const;

export function AdminOrders() {
  const [orders, setOrders] = useState<Order[]>([]);
  const action = useAction();
  const load = async () => setOrders(ok(await api.orders.get({ query: { page_size: 50 } })).orders);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the first page, once
  useEffect(() => void action.run(load), []);
  return (
    <Section title="All orders">
      <FormError error={action.form} />
      <button type="button" disabled={action.busy} onClick={() => void action.run(load)}>
        Refresh
      </button>
      <ol className="cards" aria-label="Orders">
        {orders.map((o) => {
          const next = o.status in NEXT ? NEXT[o.status as keyof typeof NEXT] : undefined;
          return (
            <li key={o.id} className="card">
              <OrderSummary order={o} />
              <p className="meta">Customer {shortId(o.user_id)}</p>
              {next && (
                <button
                  type="button"
                  aria-label={`${next[0]} order ${shortId(o.id)}`}
                  disabled={action.busy}
                  onClick={() =>
                    void action.run(async () => {
                      const moved = ok(await api.orders({ id: o.id }).status.patch({ status: next[1] }));
                      setOrders((list) => list.map((x) => (x.id === moved.id ? summary(moved) : x)));
                    })
                  }
                >
                  {next[0]}
                </button>
              )}
            </li>
          );
        })}
      </ol>
    </Section>
  );
}

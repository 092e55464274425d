// The catalog (GET /products, prices set by the server) and an order from it: a quantity per
// product, one button. A retry of the same order (a lost answer) sends the same Idempotency-Key.
import { useEffect, useState } from "react";
import { api, money, ok, shortId } from "../api.ts";
import type { Me } from "../app.tsx";
import { Field, FormError, Section, useAction } from "../forms.tsx";

type Product = NonNullable<Awaited<ReturnType<typeof api.products.get>>["data"]>["products"][number];

export function Shop({ me }: { me: Me }) {
  const [products, setProducts] = useState<Product[]>([]);
  const [quantities, setQuantities] = useState<Record<string, number>>({});
  const [placed, setPlaced] = useState<string>();
  const [key, setKey] = useState(() => crypto.randomUUID());
  const load = useAction();
  const order = useAction(["items", "quantity", "currency"]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the catalog, once
  useEffect(() => void load.run(async () => setProducts(ok(await api.products.get()).products)), []);
  const items = Object.entries(quantities)
    .filter(([, q]) => q > 0)
    .map(([product_id, quantity]) => ({ product_id, quantity }));
  const total = items.reduce((sum, i) => sum + i.quantity * (products.find((p) => p.id === i.product_id)?.unit_price ?? 0), 0);
  return (
    <Section title="Shop">
      <FormError error={load.form} />
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void order.run(async () => {
            const created = ok(await api.orders.post({ user_id: me.id, items }, { headers: { "idempotency-key": key } }));
            setPlaced(created.id);
            setQuantities({});
            setKey(crypto.randomUUID());
          });
        }}
      >
        <ul className="cards" aria-label="Products">
          {products.map((p) => (
            <li key={p.id} className="card product">
              <h3>{p.name}</h3>
              <p className="meta">{money(p.unit_price, p.currency)} each</p>
              <Field
                label={`Quantity of ${p.name}`}
                type="number"
                inputMode="numeric"
                min={0}
                max={1000}
                value={quantities[p.id] ?? 0}
                onChange={(e) => {
                  const quantity = Number(e.currentTarget.value);
                  setQuantities((q) => ({ ...q, [p.id]: quantity }));
                }}
              />
            </li>
          ))}
        </ul>
        <p>Total: {money(total, products[0]?.currency)}</p>
        <FormError error={order.form ?? order.field("items") ?? order.field("quantity") ?? order.field("currency")} />
        {placed && (
          <p role="status">
            Order {shortId(placed)} is placed: follow it in <a href="/#/orders">My orders</a>.
          </p>
        )}
        <button type="submit" disabled={order.busy || items.length === 0}>
          Place order
        </button>
      </form>
    </Section>
  );
}

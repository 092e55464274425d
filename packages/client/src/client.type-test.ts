// Compiled by `bun run typecheck`, never run: each @ts-expect-error fails the typecheck if the
// line below it stops being an error, so the client cannot silently lose its types.
import { createClient } from "./index.ts";

export async function typeTest() {
  const api = createClient("http://localhost:8080");

  const created = await api.users.post({ name: "John Doe", email: "john@example.com" });
  if (created.data) {
    const id: string = created.data.id;
    // @ts-expect-error a user has no `username`
    void created.data.username;
    await api.orders.post({ user_id: id, items: [{ product_id: "456", quantity: 2 }] });
  }
  if (created.error) {
    const message: string = created.error.value.error.message;
    void message;
  }

  // @ts-expect-error wrong field name: `nme`
  await api.users.post({ nme: "John Doe", email: "john@example.com" });
  // @ts-expect-error wrong type: quantity is a number
  await api.orders.post({ user_id: "x", items: [{ product_id: "456", quantity: "2" }] });
  // @ts-expect-error unknown status
  await api.orders({ id: "x" }).status.patch({ status: "teleported" });
  // @ts-expect-error no such route
  await api.products.get();
}

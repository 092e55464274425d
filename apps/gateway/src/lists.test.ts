// Lists carry what a list needs (OWASP API3): the admins' user list has no phone, no pending email;
// order lists have an item count, not the items. The full records are one GET away.
import { expect, test } from "bun:test";
import { testGateway } from "../test/test-gateway.ts";

const user = { name: "Ada Lovelace", email: "ada@example.com", phone: "+14155550123" };

test("GET /users lists users without their phone or a pending address; GET /users/{id} has them", async () => {
  const { send } = testGateway();
  const created = await send("POST", "/users", { body: user });
  const list = await send("GET", "/users");
  expect(list.status).toBe(200);
  expect(Object.keys(list.body.users[0]).sort()).toEqual(["created_at", "email", "email_verified", "id", "name", "role"]);
  expect(JSON.stringify(list.body)).not.toContain(user.phone);
  expect((await send("GET", `/users/${created.body.id}`)).body).toMatchObject({ phone: user.phone, pending_email: "" });
});

test("order lists have each order's item count, not its items; GET /orders/{id} has them", async () => {
  const { send } = testGateway();
  const owner = await send("POST", "/users", { body: user });
  const placed = await send("POST", "/orders", {
    body: {
      user_id: owner.body.id,
      items: [
        { product_id: "456", quantity: 2 },
        { product_id: "123", quantity: 1 },
      ],
    },
  });
  for (const path of ["/orders", `/orders?user_id=${owner.body.id}`, `/users/${owner.body.id}/orders`]) {
    const list = await send("GET", path);
    expect({ path, status: list.status }).toEqual({ path, status: 200 });
    const [order] = list.body.orders;
    expect({ path, items: "items" in order, item_count: order.item_count, total: order.total }).toEqual({ path, items: false, item_count: 2, total: 2650 });
  }
  expect((await send("GET", `/orders/${placed.body.id}`)).body.items).toHaveLength(2);
});

// Compiled by `bun run typecheck`, never run: each @ts-expect-error fails the typecheck if the
// line below it stops being an error, so the client cannot silently lose its types. Every route
// is here, with a right call (which must compile) and wrong ones (which must not).
import { createClient } from "./index.ts";

type OrderStatus = "pending" | "confirmed" | "shipped" | "completed" | "cancelled";
const id = "01976b8e-4a4e-7cc1-9a7b-2b0c1c9b5e10";

export async function typeTest() {
  const api = createClient("http://localhost:8080");

  // GET /health
  const health = await api.health.get();
  if (health.data) {
    const ok: "ok" = health.data.status;
    void ok;
  }
  // GET /products
  const catalog = await api.products.get();
  if (catalog.data) {
    const prices: number[] = catalog.data.products.map((p) => p.unit_price);
    const currencies: string[] = catalog.data.products.map((p) => p.currency);
    void [prices, currencies];
  }
  // @ts-expect-error no such route
  await api.catalog.get();

  // Tokens: a string, or a function returning one, and a refresh.
  createClient("http://localhost:8080", { token: "t", refresh: async () => "t2" });
  createClient("http://localhost:8080", { token: () => undefined });
  // @ts-expect-error a token is a string
  createClient("http://localhost:8080", { token: 42 });

  // POST /auth/login, /auth/refresh, /auth/logout
  const session = await api.auth.login.post({ email: "john@example.com", password: "correct horse battery staple" });
  if (session.data) {
    const token: string = session.data.access_token;
    const refresh: string = session.data.refresh_token;
    const expires: number = session.data.expires_in;
    void [token, refresh, expires];
  }
  // @ts-expect-error login needs a password
  await api.auth.login.post({ email: "john@example.com" });
  await api.auth.refresh.post({ refresh_token: "r" });
  // @ts-expect-error the refresh token is `refresh_token`
  await api.auth.refresh.post({ token: "r" });
  await api.auth.logout.post({ refresh_token: "r" });

  // POST /auth/verify-email, /auth/password-reset, /auth/password-reset/confirm
  const verified = await api.auth["verify-email"].post({ token: "t" });
  if (verified.data) {
    const ok: boolean = verified.data.email_verified;
    void ok;
  }
  await api.auth["password-reset"].post({ email: "john@example.com" });
  await api.auth["password-reset"].confirm.post({ token: "t", new_password: "a new passphrase" });
  // @ts-expect-error the new password is `new_password`
  await api.auth["password-reset"].confirm.post({ token: "t", password: "a new passphrase" });

  // GET /.well-known/jwks.json, GET /me, POST /me/password
  const jwks = await api[".well-known"]["jwks.json"].get();
  if (jwks.data) void jwks.data.keys.length;
  const me = await api.me.get();
  if (me.data) {
    const role: "customer" | "admin" = me.data.role;
    void role;
  }
  await api.me.password.post({ current_password: "old passphrase", new_password: "new passphrase" });
  // @ts-expect-error the current password is required
  await api.me.password.post({ new_password: "new passphrase" });

  // POST /users
  const created = await api.users.post(
    { name: "John Doe", email: "john@example.com", phone: "+14155550123", password: "correct horse battery staple" },
    { headers: { "idempotency-key": "k" } },
  );
  // @ts-expect-error a role is customer or admin
  await api.users.post({ name: "John Doe", email: "john@example.com", role: "root" });
  if (created.data) {
    const userId: string = created.data.id;
    const createdAt: string = created.data.created_at;
    void [userId, createdAt];
    // @ts-expect-error a user has no `username`
    void created.data.username;
  }
  if (created.error) {
    const message: string = created.error.value.error.message;
    const requestId: string = created.error.value.error.request_id;
    void [message, requestId];
  }
  // @ts-expect-error wrong field name: `nme`
  await api.users.post({ nme: "John Doe", email: "john@example.com" });
  // @ts-expect-error email is required
  await api.users.post({ name: "John Doe" });
  // @ts-expect-error wrong type: phone is a string
  await api.users.post({ name: "John Doe", email: "john@example.com", phone: 14155550123 });
  // @ts-expect-error wrong type: the idempotency key is a string
  await api.users.post({ name: "John Doe", email: "john@example.com" }, { headers: { "idempotency-key": 1 } });

  // GET /users
  const users = await api.users.get({ query: { page_size: 10, page_token: "" } });
  if (users.data) {
    const next: string = users.data.next_page_token;
    const emails: string[] = users.data.users.map((u) => u.email);
    void [next, emails];
    // @ts-expect-error a list carries no phone (GET /users/{id} does)
    void users.data.users[0]?.phone;
  }
  // @ts-expect-error wrong type: page_size is a number
  await api.users.get({ query: { page_size: "10" } });

  // GET /users/:id
  const user = await api.users({ id }).get();
  if (user.data) {
    const name: string = user.data.name;
    void name;
  }

  // PATCH /users/:id
  await api.users({ id }).patch({ email: "jane@example.com" });
  // @ts-expect-error wrong field name: `mail`
  await api.users({ id }).patch({ mail: "jane@example.com" });
  // @ts-expect-error wrong type: name is a string
  await api.users({ id }).patch({ name: 42 });

  // DELETE /users/:id
  const deleted = await api.users({ id }).delete();
  // Narrow errors by status: Elysia's types add a 422 validation shape to every route that validates
  // input, which this API never sends (its validation errors are 400s with the one error body).
  if (deleted.error?.status === 404) {
    const code: string = deleted.error.value.error.code;
    void code;
  }
  // @ts-expect-error the path parameter is `id`
  await api.users({ userId: id }).delete();

  // GET /users/:id/orders
  const userOrders = await api.users({ id }).orders.get({ query: { page_size: 5 } });
  if (userOrders.data) {
    const statuses: OrderStatus[] = userOrders.data.orders.map((o) => o.status);
    const lines: number[] = userOrders.data.orders.map((o) => o.item_count);
    void [statuses, lines];
    // @ts-expect-error a list carries item counts, not items (GET /orders/{id} does)
    void userOrders.data.orders[0]?.items;
  }
  // @ts-expect-error wrong type: page_token is a string
  await api.users({ id }).orders.get({ query: { page_token: 1 } });

  // GET /users/:id/notifications
  const told = await api.users({ id }).notifications.get({ query: {} });
  if (told.data) {
    const channels: ("email" | "sms" | "push")[] = told.data.notifications.flatMap((n) => n.deliveries.map((d) => d.channel));
    const sentAt: (string | null)[] = told.data.notifications.flatMap((n) => n.deliveries.map((d) => d.sent_at));
    void [channels, sentAt];
    // @ts-expect-error a notification has no `read` flag
    void told.data.notifications[0]?.read;
  }

  // POST /orders
  const placed = await api.orders.post({ user_id: id, items: [{ product_id: "456", quantity: 2 }], currency: "USD" }, { headers: { "idempotency-key": "k" } });
  if (placed.data) {
    const total: number = placed.data.total;
    const status: OrderStatus = placed.data.status;
    void [total, status];
    // @ts-expect-error `teleported` is not a status an order can have
    void (placed.data.status === "teleported");
  }
  // @ts-expect-error prices come from the catalog: unit_price is not accepted
  await api.orders.post({ user_id: id, items: [{ product_id: "456", quantity: 2, unit_price: 1250 }] });
  // @ts-expect-error wrong type: quantity is a number
  await api.orders.post({ user_id: id, items: [{ product_id: "456", quantity: "2" }] });
  // @ts-expect-error wrong field name: `productId`
  await api.orders.post({ user_id: id, items: [{ productId: "456", quantity: 2 }] });
  // @ts-expect-error items are required
  await api.orders.post({ user_id: id });

  // GET /orders
  await api.orders.get({ query: { user_id: id, page_size: 20 } });
  // @ts-expect-error wrong field name: `userId`
  await api.orders.get({ query: { userId: id } });

  // GET /orders/:id
  const order = await api.orders({ id }).get();
  if (order.data) {
    const productIds: string[] = order.data.items.map((i) => i.product_id);
    void productIds;
  }

  // PATCH /orders/:id/status
  await api.orders({ id }).status.patch({ status: "shipped" });
  // @ts-expect-error unknown status
  await api.orders({ id }).status.patch({ status: "teleported" });
  // @ts-expect-error status is required
  await api.orders({ id }).status.patch({});

  // POST /orders/:id/cancel: the body is optional
  await api.orders({ id }).cancel.post({ reason: "changed my mind" });
  await api.orders({ id }).cancel.post();
  // @ts-expect-error wrong type: reason is a string
  await api.orders({ id }).cancel.post({ reason: 1 });

  // GET and PUT /me/notification-preferences
  const prefs = await api.me["notification-preferences"].get();
  if (prefs.data) {
    const cell: { kind: string; channel: "email" | "sms" | "push"; enabled: boolean; locked: boolean } | undefined = prefs.data.preferences[0];
    void cell;
  }
  await api.me["notification-preferences"].put({ preferences: [{ kind: "order_status", channel: "sms", enabled: false }] });
  // @ts-expect-error no such channel
  await api.me["notification-preferences"].put({ preferences: [{ kind: "order_status", channel: "fax", enabled: false }] });
  // @ts-expect-error enabled is a boolean
  await api.me["notification-preferences"].put({ preferences: [{ kind: "order_status", channel: "sms", enabled: "no" }] });

  // GET /me/notifications/stream: Server-Sent Events, each a notification, or a reset (reload the list)
  const live = await api.me.notifications.stream.get({ headers: { "last-event-id": "42" } });
  if (live.data) {
    for await (const event of live.data) {
      const cursor: string = event.id;
      // @ts-expect-error the data is a notification only once the event says so (not a reset)
      void event.data.kind;
      if (event.event === "reset") {
        const reason: "pruned" = event.data.reason;
        void reason;
        continue;
      }
      const kind: string = event.data.kind;
      // @ts-expect-error the event's data is a notification, which has no `total`
      const total: number = event.data.total;
      void [cursor, kind, total];
    }
  }
  await api.me.notifications.stream.get({ query: { last_event_id: "42" } });

  // GET /admin/ops, GET /admin/dead-letters, POST /admin/dead-letters/:id/replay, DELETE /admin/dead-letters/:id
  const ops = await api.admin.ops.get();
  if (ops.data) {
    const lag: number | undefined = ops.data.consumers[0]?.pending;
    const backlog: number | undefined = ops.data.outbox[0]?.oldest_age_seconds;
    const ready: "ready" | "not_ready" = ops.data.readiness.status;
    void [lag, backlog, ready];
  }
  const letters = await api.admin["dead-letters"].get({ query: { all: true } });
  if (letters.data) {
    const reason: string | undefined = letters.data.dead_letters[0]?.reason;
    void reason;
  }
  const replayed = await api.admin["dead-letters"]({ id: "notification-3" }).replay.post();
  if (replayed.data) {
    const at: string | null = replayed.data.replayed_at;
    void at;
  }
  const discarded = await api.admin["dead-letters"]({ id: "notification-3" }).delete();
  if (discarded.data) {
    const at: string | null = discarded.data.discarded_at;
    void at;
  }
  // @ts-expect-error `all` is a boolean
  await api.admin["dead-letters"].get({ query: { all: "yes" } });
}

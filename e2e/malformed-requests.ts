// Malformed requests for every route, as a table: each must be answered with a 4xx and the
// standard error body. `USER` and `ORDER` in paths are replaced by real ids.

export interface Malformed {
  name: string;
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
  /** A JSON value to send, or a raw string body with its content type. */
  json?: unknown;
  raw?: { body: string; type: string };
  headers?: Record<string, string>;
  /** The status expected; 400 unless said. */
  status?: number;
}

const HUGE = "x".repeat(1_000_000);
const item = { product_id: "456", quantity: 2 };
const order = (change: Record<string, unknown>) => ({ user_id: "USER", items: [item], ...change });
const withItem = (change: Record<string, unknown>) => order({ items: [{ ...item, ...change }] });
const notJson = { body: '{"name": "Ada", ', type: "application/json" };

export const MALFORMED: Malformed[] = [
  // POST /users
  { name: "user: not JSON", method: "POST", path: "/users", raw: notJson },
  { name: "user: plain text", method: "POST", path: "/users", raw: { body: "hello", type: "text/plain" }, status: 415 },
  { name: "user: an array", method: "POST", path: "/users", json: [{ name: "Ada", email: "ada@example.com" }] },
  { name: "user: null", method: "POST", path: "/users", json: null },
  { name: "user: a string", method: "POST", path: "/users", json: "Ada" },
  { name: "user: empty object", method: "POST", path: "/users", json: {} },
  { name: "user: missing email", method: "POST", path: "/users", json: { name: "Ada" } },
  { name: "user: name a number", method: "POST", path: "/users", json: { name: 42, email: "ada@example.com" } },
  { name: "user: email an object", method: "POST", path: "/users", json: { name: "Ada", email: { at: "example.com" } } },
  { name: "user: blank name", method: "POST", path: "/users", json: { name: "   ", email: "ada@example.com" } },
  { name: "user: huge name", method: "POST", path: "/users", json: { name: HUGE, email: "ada@example.com" }, status: 413 },
  { name: "user: huge email", method: "POST", path: "/users", json: { name: "Ada", email: `${HUGE}@example.com` }, status: 413 },
  { name: "user: bad phone", method: "POST", path: "/users", json: { name: "Ada", email: "ada@example.com", phone: "call me" } },
  { name: "user: empty idempotency key", method: "POST", path: "/users", json: { name: "Ada", email: "ada@example.com" }, headers: { "idempotency-key": "" } },
  {
    name: "user: huge idempotency key",
    method: "POST",
    path: "/users",
    json: { name: "Ada", email: "ada@example.com" },
    headers: { "idempotency-key": "k".repeat(300) },
  },
  { name: "user: NUL in the name", method: "POST", path: "/users", json: { name: "Ada\u0000", email: "ada@example.com" } },
  { name: "user: escape in the email", method: "POST", path: "/users", json: { name: "Ada", email: "ada\u001b@example.com" } },
  {
    name: "user: JSON as a form",
    method: "POST",
    path: "/users",
    raw: { body: '{"name":"Ada","email":"ada@example.com"}', type: "application/x-www-form-urlencoded" },
    status: 415,
  },
  { name: "user: 10 MB body", method: "POST", path: "/users", raw: { body: `{"name":"${"x".repeat(10_000_000)}"}`, type: "application/json" }, status: 413 },
  {
    name: "user: deep JSON",
    method: "POST",
    path: "/users",
    raw: { body: `{"name":"Ada","email":"ada@example.com","x":${"[".repeat(5000)}${"]".repeat(5000)}}`, type: "application/json" },
  },
  {
    name: "user: wide JSON",
    method: "POST",
    path: "/users",
    raw: { body: `{"name":"Ada","email":"ada@example.com",${Array.from({ length: 20_000 }, (_, i) => `"k${i}":1`).join(",")}}`, type: "application/json" },
    status: 413,
  },
  // GET /users
  { name: "users: page_size 0", method: "GET", path: "/users?page_size=0" },
  { name: "users: page_size 101", method: "GET", path: "/users?page_size=101" },
  { name: "users: page_size -5", method: "GET", path: "/users?page_size=-5" },
  { name: "users: page_size 2.5", method: "GET", path: "/users?page_size=2.5" },
  { name: "users: page_size text", method: "GET", path: "/users?page_size=lots" },
  { name: "users: forged page_token", method: "GET", path: "/users?page_token=bm90LWEtdXVpZA" },
  { name: "users: huge page_token", method: "GET", path: `/users?page_token=${"a".repeat(10_000)}` },
  // GET, PATCH, DELETE /users/{id}
  { name: "user: bad id", method: "GET", path: "/users/42" },
  { name: "user: id with SQL", method: "GET", path: `/users/${encodeURIComponent("1' or '1'='1")}` },
  { name: "user: unknown id", method: "GET", path: "/users/01900000-0000-7000-8000-000000000000", status: 404 },
  { name: "patch user: bad id", method: "PATCH", path: "/users/nope", json: { name: "Ada" } },
  { name: "patch user: not JSON", method: "PATCH", path: "/users/USER", raw: notJson },
  { name: "patch user: an array", method: "PATCH", path: "/users/USER", json: [] },
  { name: "patch user: nothing to change", method: "PATCH", path: "/users/USER", json: {} },
  { name: "patch user: name null", method: "PATCH", path: "/users/USER", json: { name: null } },
  { name: "patch user: huge name", method: "PATCH", path: "/users/USER", json: { name: HUGE }, status: 413 },
  { name: "patch user: email a number", method: "PATCH", path: "/users/USER", json: { email: 5 } },
  { name: "delete user: bad id", method: "DELETE", path: "/users/abc" },
  { name: "delete user: unknown id", method: "DELETE", path: "/users/01900000-0000-7000-8000-000000000000", status: 404 },
  // GET /users/{id}/orders and /notifications
  { name: "user orders: bad id", method: "GET", path: "/users/abc/orders" },
  { name: "user orders: page_size 1000", method: "GET", path: "/users/USER/orders?page_size=1000" },
  { name: "user orders: forged page_token", method: "GET", path: "/users/USER/orders?page_token=zzz" },
  { name: "notifications: bad id", method: "GET", path: "/users/abc/notifications" },
  { name: "notifications: page_size 0", method: "GET", path: "/users/USER/notifications?page_size=0" },
  { name: "notifications: forged page_token", method: "GET", path: "/users/USER/notifications?page_token=zzz" },
  // POST /orders
  { name: "order: not JSON", method: "POST", path: "/orders", raw: { body: "user_id=1", type: "application/json" } },
  { name: "order: an array", method: "POST", path: "/orders", json: [order({})] },
  { name: "order: missing items", method: "POST", path: "/orders", json: { user_id: "USER" } },
  { name: "order: user id empty", method: "POST", path: "/orders", json: order({ user_id: "" }) },
  { name: "order: user id not a UUID", method: "POST", path: "/orders", json: order({ user_id: "42" }) },
  { name: "order: unknown user", method: "POST", path: "/orders", json: order({ user_id: "01900000-0000-7000-8000-000000000000" }) },
  { name: "order: items an object", method: "POST", path: "/orders", json: order({ items: item }) },
  { name: "order: items empty", method: "POST", path: "/orders", json: order({ items: [] }) },
  { name: "order: 101 items", method: "POST", path: "/orders", json: order({ items: Array(101).fill(item) }) },
  { name: "order: item a number", method: "POST", path: "/orders", json: order({ items: [7] }) },
  { name: "order: quantity 0", method: "POST", path: "/orders", json: withItem({ quantity: 0 }) },
  { name: "order: quantity -1", method: "POST", path: "/orders", json: withItem({ quantity: -1 }) },
  { name: "order: quantity 1.5", method: "POST", path: "/orders", json: withItem({ quantity: 1.5 }) },
  { name: "order: quantity 1001", method: "POST", path: "/orders", json: withItem({ quantity: 1001 }) },
  { name: "order: quantity a string", method: "POST", path: "/orders", json: withItem({ quantity: "2" }) },
  { name: "order: quantity null", method: "POST", path: "/orders", json: withItem({ quantity: null }) },
  {
    name: "order: quantity huge",
    method: "POST",
    path: "/orders",
    raw: { body: '{"user_id":"USER","items":[{"product_id":"1","quantity":1e400}]}', type: "application/json" },
  },
  { name: "order: product id a number", method: "POST", path: "/orders", json: withItem({ product_id: 456 }) },
  { name: "order: product id blank", method: "POST", path: "/orders", json: withItem({ product_id: "  " }) },
  { name: "order: product id huge", method: "POST", path: "/orders", json: withItem({ product_id: HUGE }), status: 413 },
  { name: "order: unit price sent (prices come from the catalog)", method: "POST", path: "/orders", json: withItem({ unit_price: 1250 }) },
  { name: "order: unit price 0 sent", method: "POST", path: "/orders", json: withItem({ unit_price: 0 }) },
  { name: "order: product not in the catalog", method: "POST", path: "/orders", json: withItem({ product_id: "no-such-product" }) },
  { name: "order: unit price negative", method: "POST", path: "/orders", json: withItem({ unit_price: -100 }) },
  { name: "order: unit price a float", method: "POST", path: "/orders", json: withItem({ unit_price: 9.99 }) },
  { name: "order: unit price a string", method: "POST", path: "/orders", json: withItem({ unit_price: "999" }) },
  { name: "order: currency lower-case", method: "POST", path: "/orders", json: order({ currency: "usd" }) },
  { name: "order: currency a number", method: "POST", path: "/orders", json: order({ currency: 840 }) },
  // GET /orders, GET /orders/{id}
  { name: "orders: user_id not a UUID", method: "GET", path: "/orders?user_id=me" },
  { name: "orders: page_size text", method: "GET", path: "/orders?page_size=ten" },
  { name: "order: bad id", method: "GET", path: "/orders/123" },
  { name: "order: unknown id", method: "GET", path: "/orders/01900000-0000-7000-8000-000000000000", status: 404 },
  // PATCH /orders/{id}/status
  { name: "status: bad id", method: "PATCH", path: "/orders/123/status", json: { status: "confirmed" } },
  { name: "status: missing", method: "PATCH", path: "/orders/ORDER/status", json: {} },
  { name: "status: unknown", method: "PATCH", path: "/orders/ORDER/status", json: { status: "teleported" } },
  { name: "status: upper-case", method: "PATCH", path: "/orders/ORDER/status", json: { status: "CONFIRMED" } },
  { name: "status: a number", method: "PATCH", path: "/orders/ORDER/status", json: { status: 2 } },
  { name: "status: an array", method: "PATCH", path: "/orders/ORDER/status", json: ["confirmed"] },
  { name: "status: not JSON", method: "PATCH", path: "/orders/ORDER/status", raw: { body: "status=confirmed", type: "application/json" } },
  { name: "status: illegal move", method: "PATCH", path: "/orders/ORDER/status", json: { status: "completed" }, status: 409 },
  { name: "status: unknown order", method: "PATCH", path: "/orders/01900000-0000-7000-8000-000000000000/status", json: { status: "confirmed" }, status: 404 },
  // POST /orders/{id}/cancel
  { name: "cancel: bad id", method: "POST", path: "/orders/123/cancel" },
  { name: "cancel: not JSON", method: "POST", path: "/orders/ORDER/cancel", raw: { body: "please", type: "application/json" } },
  { name: "cancel: plain text", method: "POST", path: "/orders/ORDER/cancel", raw: { body: "please", type: "text/plain" }, status: 415 },
  { name: "cancel: an array", method: "POST", path: "/orders/ORDER/cancel", json: ["changed my mind"] },
  { name: "cancel: reason a number", method: "POST", path: "/orders/ORDER/cancel", json: { reason: 5 } },
  { name: "cancel: huge reason", method: "POST", path: "/orders/ORDER/cancel", json: { reason: HUGE }, status: 413 },
  { name: "cancel: unknown order", method: "POST", path: "/orders/01900000-0000-7000-8000-000000000000/cancel", status: 404 },
  // PUT /me/notification-preferences
  { name: "preferences: not JSON", method: "PUT", path: "/me/notification-preferences", raw: notJson },
  { name: "preferences: an array", method: "PUT", path: "/me/notification-preferences", json: [{ kind: "welcome", channel: "email", enabled: false }] },
  { name: "preferences: not a list", method: "PUT", path: "/me/notification-preferences", json: { preferences: "all off" } },
  {
    name: "preferences: unknown channel",
    method: "PUT",
    path: "/me/notification-preferences",
    json: { preferences: [{ kind: "welcome", channel: "fax", enabled: false }] },
  },
  {
    name: "preferences: enabled a string",
    method: "PUT",
    path: "/me/notification-preferences",
    json: { preferences: [{ kind: "welcome", channel: "email", enabled: "no" }] },
  },
  {
    name: "preferences: unknown kind",
    method: "PUT",
    path: "/me/notification-preferences",
    json: { preferences: [{ kind: "spam", channel: "email", enabled: false }] },
  },
  {
    name: "preferences: a name every object has as the kind",
    method: "PUT",
    path: "/me/notification-preferences",
    json: { preferences: [{ kind: "constructor", channel: "email", enabled: false }] },
  },
  {
    name: "preferences: one kind and channel twice",
    method: "PUT",
    path: "/me/notification-preferences",
    json: {
      preferences: [
        { kind: "order_confirmation", channel: "email", enabled: false },
        { kind: "order_confirmation", channel: "email", enabled: true },
      ],
    },
  },
  {
    name: "preferences: a channel the kind is not sent on",
    method: "PUT",
    path: "/me/notification-preferences",
    json: { preferences: [{ kind: "welcome", channel: "sms", enabled: false }] },
  },
  {
    name: "preferences: switching off password resets",
    method: "PUT",
    path: "/me/notification-preferences",
    json: { preferences: [{ kind: "password_reset", channel: "email", enabled: false }] },
  },
  {
    name: "preferences: huge",
    method: "PUT",
    path: "/me/notification-preferences",
    json: { preferences: [{ kind: HUGE, channel: "email", enabled: false }] },
    status: 413,
  },
  // GET /me/notifications/stream
  { name: "stream: a cursor it never gave", method: "GET", path: "/me/notifications/stream", headers: { "last-event-id": "abc" } },
  { name: "stream: a negative cursor", method: "GET", path: "/me/notifications/stream?last_event_id=-1" },
  { name: "stream: a huge cursor", method: "GET", path: "/me/notifications/stream", headers: { "last-event-id": "9".repeat(40) } },
  // /admin/dead-letters
  { name: "dead letters: all not a boolean", method: "GET", path: "/admin/dead-letters?all=maybe" },
  { name: "replay: bad id", method: "POST", path: "/admin/dead-letters/abc/replay" },
  { name: "replay: a number past 2^53", method: "POST", path: "/admin/dead-letters/notification-99999999999999999/replay" },
  { name: "replay: a name every object has", method: "POST", path: "/admin/dead-letters/constructor-1/replay", status: 404 },
  { name: "replay: id zero", method: "POST", path: "/admin/dead-letters/notification-0/replay" },
  { name: "replay: unknown service", method: "POST", path: "/admin/dead-letters/catalog-1/replay", status: 404 },
  { name: "replay: unknown id", method: "POST", path: "/admin/dead-letters/order-99999/replay", status: 404 },
  // Routes that do not exist
  { name: "no such route", method: "GET", path: "/catalog", status: 404 },
  { name: "no such method", method: "DELETE", path: "/orders", status: 404 },
];

// Who may call what, as one table over every route of the API and every kind of caller, run against
// the real system: the owner of the resources, another customer, an admin, and nobody (no token).
// Each row makes its own resources, so a destructive call never changes what another row sees. The
// README's "Access rules" table is rendered from RULES and must match it.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type Account, ROOT, type System, signUp, startSystem } from "@evented/testing";

setDefaultTimeout(60_000);

type Caller = "anonymous" | "owner" | "other" | "admin";
const CALLERS: Caller[] = ["anonymous", "owner", "other", "admin"];

/** What a row needs: the owner's account and one order of theirs, fresh for the row. */
interface Fixture {
  owner: Account;
  orderId: string;
}

interface Rule {
  route: string;
  /** The request, from the row's fixture. */
  request: (f: Fixture) => { path: string; method?: string; body?: unknown };
  /** Status by caller; `[status, "empty"]` also requires an empty list. */
  expect: Record<Caller, number | [number, "empty"]>;
}

const EMPTY = (s: number): [number, "empty"] => [s, "empty"];

const RULES: Rule[] = [
  { route: "GET /products", request: () => ({ path: "/products" }), expect: { anonymous: 200, owner: 200, other: 200, admin: 200 } },
  { route: "GET /me", request: () => ({ path: "/me" }), expect: { anonymous: 401, owner: 200, other: 200, admin: 200 } },
  { route: "GET /users", request: () => ({ path: "/users" }), expect: { anonymous: 401, owner: 403, other: 403, admin: 200 } },
  { route: "GET /users/{id}", request: (f) => ({ path: `/users/${f.owner.id}` }), expect: { anonymous: 401, owner: 200, other: 404, admin: 200 } },
  {
    route: "PATCH /users/{id}",
    request: (f) => ({ path: `/users/${f.owner.id}`, method: "PATCH", body: { name: "Renamed" } }),
    expect: { anonymous: 401, owner: 200, other: 404, admin: 200 },
  },
  {
    route: "DELETE /users/{id}",
    request: (f) => ({ path: `/users/${f.owner.id}`, method: "DELETE" }),
    expect: { anonymous: 401, owner: 204, other: 404, admin: 204 },
  },
  {
    route: "GET /users/{id}/orders",
    request: (f) => ({ path: `/users/${f.owner.id}/orders` }),
    expect: { anonymous: 401, owner: 200, other: EMPTY(200), admin: 200 },
  },
  {
    route: "GET /users/{id}/notifications",
    request: (f) => ({ path: `/users/${f.owner.id}/notifications` }),
    expect: { anonymous: 401, owner: 200, other: EMPTY(200), admin: 200 },
  },
  {
    route: "POST /users (admin role)",
    request: () => ({
      path: "/users",
      method: "POST",
      body: { name: "Mallory", email: `mal.${crypto.randomUUID()}@example.com`, password: "correct horse battery", role: "admin" },
    }),
    expect: { anonymous: 403, owner: 403, other: 403, admin: 201 },
  },
  {
    route: "POST /orders (for the owner)",
    request: (f) => ({ path: "/orders", method: "POST", body: { user_id: f.owner.id, items: [{ product_id: "456", quantity: 1 }] } }),
    expect: { anonymous: 401, owner: 201, other: 400, admin: 201 },
  },
  {
    route: "GET /orders?user_id={id}",
    request: (f) => ({ path: `/orders?user_id=${f.owner.id}` }),
    expect: { anonymous: 401, owner: 200, other: EMPTY(200), admin: 200 },
  },
  { route: "GET /orders/{id}", request: (f) => ({ path: `/orders/${f.orderId}` }), expect: { anonymous: 401, owner: 200, other: 404, admin: 200 } },
  {
    route: "POST /orders/{id}/cancel",
    request: (f) => ({ path: `/orders/${f.orderId}/cancel`, method: "POST", body: {} }),
    expect: { anonymous: 401, owner: 200, other: 404, admin: 200 },
  },
  {
    route: "PATCH /orders/{id}/status",
    request: (f) => ({ path: `/orders/${f.orderId}/status`, method: "PATCH", body: { status: "confirmed" } }),
    expect: { anonymous: 401, owner: 403, other: 403, admin: 200 },
  },
  {
    route: "GET /me/notification-preferences",
    request: () => ({ path: "/me/notification-preferences" }),
    expect: { anonymous: 401, owner: 200, other: 200, admin: 200 },
  },
  {
    route: "PUT /me/notification-preferences",
    request: () => ({ path: "/me/notification-preferences", method: "PUT", body: { preferences: [{ kind: "welcome", channel: "email", enabled: false }] } }),
    expect: { anonymous: 401, owner: 200, other: 200, admin: 200 },
  },
  {
    route: "GET /me/notifications/stream",
    request: () => ({ path: "/me/notifications/stream" }),
    expect: { anonymous: 401, owner: 200, other: 200, admin: 200 },
  },
  { route: "GET /admin/ops", request: () => ({ path: "/admin/ops" }), expect: { anonymous: 401, owner: 403, other: 403, admin: 200 } },
  { route: "GET /admin/dead-letters", request: () => ({ path: "/admin/dead-letters" }), expect: { anonymous: 401, owner: 403, other: 403, admin: 200 } },
  {
    route: "POST /admin/dead-letters/{id}/replay",
    request: () => ({ path: "/admin/dead-letters/notification-999999/replay", method: "POST" }),
    expect: { anonymous: 401, owner: 403, other: 403, admin: 404 },
  },
  {
    route: "DELETE /admin/dead-letters/{id}",
    request: () => ({ path: "/admin/dead-letters/notification-999999", method: "DELETE" }),
    expect: { anonymous: 401, owner: 403, other: 403, admin: 404 },
  },
];

let system: System;
let other: Account;

beforeAll(async () => {
  system = await startSystem();
  other = await signUp(system.gatewayUrl);
}, 90_000);
afterAll(() => system?.stop());

async function fixture(): Promise<Fixture> {
  const owner = await signUp(system.gatewayUrl);
  const res = await owner.fetch(`${system.gatewayUrl}/orders`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ user_id: owner.id, items: [{ product_id: "456", quantity: 1 }] }),
  });
  expect(res.status).toBe(201);
  return { owner, orderId: ((await res.json()) as { id: string }).id };
}

const fetchAs = (caller: Caller, f: Fixture): typeof fetch =>
  ({ anonymous: fetch, owner: f.owner.fetch, other: other.fetch, admin: system.admin.fetch })[caller];

describe("every route x every caller", () => {
  for (const rule of RULES) {
    for (const caller of CALLERS) {
      const expected = rule.expect[caller];
      const [status, empty] = Array.isArray(expected) ? expected : [expected, undefined];
      test(`${rule.route} as ${caller}: ${status}${empty ? " and an empty list" : ""}`, async () => {
        const f = await fixture();
        const { path, method = "GET", body } = rule.request(f);
        const res = await fetchAs(caller, f)(`${system.gatewayUrl}${path}`, {
          method,
          ...(body !== undefined && { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
        });
        // An event stream stays open: its status is the answer.
        const streaming = res.headers.get("content-type")?.startsWith("text/event-stream");
        const text = streaming ? "" : await res.text();
        if (streaming) await res.body?.cancel();
        expect({ status: res.status, text: res.status === status ? "" : text }).toEqual({ status, text: "" });
        const json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
        if (status >= 400) expect(Object.keys(json)).toEqual(["error"]); // the one error body
        if (empty) expect(Object.values(json).find(Array.isArray)).toEqual([]);
        // Another customer's answer never carries the owner's data.
        if (caller === "other" && status < 300 && rule.route !== "GET /me") expect(text).not.toContain(f.owner.email);
      });
    }
  }
});

test("another customer's order and a missing one answer the same, whatever the case of the id", async () => {
  const f = await fixture();
  const missing = "0195C1D4-0000-7000-8000-00000000ABCD";
  const answer = async (id: string) => {
    const res = await other.fetch(`${system.gatewayUrl}/orders/${id}`);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    return { status: res.status, code: error.code, message: error.message.replace(id.toLowerCase(), "<id>") };
  };
  const expected = { status: 404, code: "NOT_FOUND", message: "order <id> not found" };
  expect(await answer(f.orderId.toUpperCase())).toEqual(expected);
  expect(await answer(missing)).toEqual(expected);
});

test("a dead letter of a service that does not exist is refused as any other before it is not found, replayed or discarded", async () => {
  const f = await fixture();
  for (const [path, method] of [
    ["/admin/dead-letters/nosuch-1/replay", "POST"],
    ["/admin/dead-letters/nosuch-1", "DELETE"],
  ] as const) {
    const status = async (caller: Caller) => (await fetchAs(caller, f)(`${system.gatewayUrl}${path}`, { method })).status;
    expect({ method, anonymous: await status("anonymous"), owner: await status("owner"), admin: await status("admin") }).toEqual({
      method,
      anonymous: 401,
      owner: 403,
      admin: 404,
    });
  }
});

/** The README's table, as RULES say it. */
function rulesTable(): string {
  const cell = (e: number | [number, "empty"]) => (Array.isArray(e) ? `${e[0]} (empty list)` : String(e));
  return [
    `| route | ${CALLERS.join(" | ")} |`,
    `| --- | ${CALLERS.map(() => "---").join(" | ")} |`,
    ...RULES.map((r) => `| \`${r.route}\` | ${CALLERS.map((c) => cell(r.expect[c])).join(" | ")} |`),
  ].join("\n");
}

test("the README's access table is the one these rules make", () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const between = /<!-- access-rules:begin -->\n([\s\S]*?)\n<!-- access-rules:end -->/.exec(readme)?.[1];
  expect(between).toBe(rulesTable());
});

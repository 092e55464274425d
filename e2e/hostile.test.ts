// A hostile client against the real system, as tables of attacks by kind: control characters,
// bodies far over the limit (with and without a length), wrong content types, deep and wide JSON,
// prices in the body, another user's ids in paths, bodies and query strings, forged tokens,
// replayed tokens and links, and a burst of 1,000 requests from one client. Every answer is a 4xx
// with the one error body (429 with Retry-After for the burst), never a 5xx, a hang, or another
// user's data, and the system is still ready after each group.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { type Account, forgeAccessToken, type System, signUp, startSystem, systemSigningKey, waitFor } from "@evented/testing";
import type { JWK } from "jose";
import { startSmtpReceiver } from "../apps/notification/test/receivers.ts";

setDefaultTimeout(60_000);

const RATE = 20;
const BURST = 40;
/** No answer may take longer: past it the request counts as a hang. */
const HANG_MS = 20_000;

let system: System;
/** The victim, with an order, and the attacker, a customer of their own. */
let alice: Account & { name: string };
let aliceOrder: string;
let mallory: Account;
let signingJwk: JWK;
const smtp = await startSmtpReceiver();

beforeAll(async () => {
  system = await startSystem({
    env: {
      // Each case below comes from a client address of its own, so only the burst meets the rate limit.
      gateway: { GATEWAY_RATE_LIMIT_PER_SECOND: String(RATE), GATEWAY_RATE_LIMIT_BURST: String(BURST), GATEWAY_CLIENT_IP_HEADER: "x-forwarded-for" },
      notification: {
        SMTP_URL: smtp.url,
        EMAIL_FROM: "Evented <notifications@shop.example>",
        NOTIFICATION_DELIVERY_POLL_MS: "200",
        APP_URL: "https://shop.example",
      },
    },
  });
  const name = `Alice ${crypto.randomUUID()}`;
  alice = { ...(await signUp(system.gatewayUrl, { name, phone: "+14155550123" })), name };
  mallory = await signUp(system.gatewayUrl, { name: "Mallory" });
  const placed = await send("/orders", { method: "POST", json: { items: [{ product_id: "456", quantity: 1 }] }, token: alice.accessToken });
  expect(placed.status).toBe(201);
  aliceOrder = ((await placed.json()) as { id: string }).id;
  signingJwk = await systemSigningKey(system.databases.user.url);
}, 90_000);
afterAll(async () => {
  await system?.stop();
  await smtp.close();
});

let client = 0;
interface Init {
  method?: string;
  /** Sent as application/json. */
  json?: unknown;
  /** Sent as it is, with `type` as the content type. */
  raw?: string | Uint8Array | ReadableStream<Uint8Array>;
  type?: string;
  token?: string;
  /** The client address the gateway sees; a fresh one unless named. */
  from?: string;
}

/** One request from a client of its own; a request that takes longer than HANG_MS fails. */
function send(path: string, init: Init = {}): Promise<Response> {
  const headers: Record<string, string> = { "x-forwarded-for": init.from ?? `10.${(++client >> 16) & 255}.${(client >> 8) & 255}.${client & 255}` };
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  const body = init.json !== undefined ? JSON.stringify(init.json) : init.raw;
  if (init.json !== undefined) headers["content-type"] = "application/json";
  if (init.type) headers["content-type"] = init.type;
  return fetch(`${system.gatewayUrl}${path}`, {
    method: init.method ?? (body === undefined ? "GET" : "POST"),
    headers,
    body,
    signal: AbortSignal.timeout(HANG_MS),
    ...(body instanceof ReadableStream && { duplex: "half" }),
  } as RequestInit);
}

interface Attack {
  name: string;
  send: () => Promise<Response>;
  /** The 4xx expected, and its error code when it matters. */
  status: number;
  code?: string;
}

/**
 * Asserts the answer: the expected 4xx with the one error body (its request id that of the
 * response), or for a 2xx an empty list; never any of Alice's personal data.
 */
async function expectRefusal(res: Response, expected: { status: number; code?: string }) {
  const text = await res.text();
  expect({ status: res.status, text: res.status === expected.status ? "" : text.slice(0, 300) }).toEqual({ status: expected.status, text: "" });
  expect(text).not.toContain(alice.email);
  expect(text).not.toContain(alice.name);
  expect(text).not.toContain("+14155550123");
  const body = JSON.parse(text) as Record<string, unknown>;
  if (res.status < 300) return expect(Object.values(body).find(Array.isArray)).toEqual([]);
  expect(Object.keys(body)).toEqual(["error"]);
  const error = body.error as { code: string; message: string; request_id: string };
  expect(Object.keys(error).sort()).toEqual(["code", "message", "request_id"]);
  if (expected.code) expect(error.code).toBe(expected.code);
  expect(error.request_id).toBe(res.headers.get("x-request-id") ?? "");
}

/**
 * A group of attacks, one test each, then the system must still be ready. Names never depend on
 * the accounts; what is sent does, and is read when the test runs (after beforeAll).
 */
function group(title: string, attacks: Attack[]) {
  describe(title, () => {
    test.each(attacks.map((a) => [a.name, a] as const))("%s", async (_, attack) => {
      await expectRefusal(await attack.send(), attack);
    });
    test("the system is still ready", async () => {
      expect((await fetch(`${system.gatewayUrl}/ready`)).status).toBe(200);
    });
  });
}

const CONTROLS: [string, string][] = [
  ["NUL", "\u0000"],
  ["BEL", "\u0007"],
  ["ESC", "\u001b"],
  ["DEL", "\u007f"],
];
const BAD_INPUT = { status: 400, code: "INVALID_ARGUMENT" };

group(
  "control characters in text fields, paths and queries: 400",
  CONTROLS.flatMap(([label, c]) => [
    {
      name: `${label} in a sign-up name`,
      send: () => send("/users", { json: { name: `Mal${c}lory`, email: `m.${client}@example.com`, password: "long enough pw" } }),
      ...BAD_INPUT,
    },
    {
      name: `${label} in an email`,
      send: () => send("/users", { json: { name: "Mallory", email: `m${c}@example.com`, password: "long enough pw" } }),
      ...BAD_INPUT,
    },
    {
      name: `${label} in a new name`,
      send: () => send(`/users/${mallory.id}`, { method: "PATCH", json: { name: `M${c}` }, token: mallory.accessToken }),
      ...BAD_INPUT,
    },
    {
      name: `${label} in a product id`,
      send: () => send("/orders", { json: { items: [{ product_id: `45${c}6`, quantity: 1 }] }, token: mallory.accessToken }),
      ...BAD_INPUT,
    },
    {
      name: `${label} in a cancel reason`,
      send: () => send(`/orders/${aliceOrder}/cancel`, { json: { reason: `no${c}` }, token: alice.accessToken }),
      ...BAD_INPUT,
    },
    { name: `${label} in a login email`, send: () => send("/auth/login", { json: { email: `a${c}@example.com`, password: "whatever pw" } }), ...BAD_INPUT },
    { name: `${label} in a field name`, send: () => send("/users", { json: { [`na${c}me`]: "x", email: "x@example.com" } }), ...BAD_INPUT },
    { name: `${label} in a query string`, send: () => send(`/orders?page_token=${encodeURIComponent(c)}`, { token: mallory.accessToken }), ...BAD_INPUT },
    { name: `${label} in a path id`, send: () => send(`/users/${encodeURIComponent(`${mallory.id}${c}`)}`, { token: mallory.accessToken }), ...BAD_INPUT },
  ]),
);

const MB = 1024 * 1024;
const TOO_LARGE = { status: 413, code: "PAYLOAD_TOO_LARGE" };
/** `size` bytes of JSON-looking text, streamed in 1 MiB chunks with no Content-Length. */
const streamed = (size: number) => {
  const chunk = new Uint8Array(MB).fill(32);
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (sent >= size) return c.close();
      sent += MB;
      c.enqueue(chunk);
    },
  });
};

group("bodies far over the limit: 413", [
  { name: "10 MB sign-up, by Content-Length", send: () => send("/users", { raw: new Uint8Array(10 * MB).fill(32), type: "application/json" }), ...TOO_LARGE },
  {
    name: "10 MB order, streamed",
    send: () => send("/orders", { raw: streamed(10 * MB), type: "application/json", token: mallory.accessToken }),
    ...TOO_LARGE,
  },
  { name: "200 MB sign-up, by Content-Length", send: () => send("/users", { raw: new Uint8Array(200 * MB).fill(32), type: "application/json" }), ...TOO_LARGE },
  { name: "200 MB login, streamed", send: () => send("/auth/login", { raw: streamed(200 * MB), type: "application/json" }), ...TOO_LARGE },
  { name: "10 MB string in a JSON name", send: () => send("/users", { json: { name: "x".repeat(10 * MB), email: "x@example.com" } }), ...TOO_LARGE },
]);

const NOT_JSON = { status: 415, code: "UNSUPPORTED_MEDIA_TYPE" };
const signUpBody = () => JSON.stringify({ name: "Mallory", email: `m.${client}@example.com`, password: "long enough pw" });
group(
  "JSON under another content type: 415",
  (["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", "text/json"] as const).flatMap((type) => [
    { name: `sign-up as ${type}`, send: () => send("/users", { raw: signUpBody(), type }), ...NOT_JSON },
    {
      name: `order as ${type}`,
      send: () => send("/orders", { raw: JSON.stringify({ items: [{ product_id: "456", quantity: 1 }] }), type, token: mallory.accessToken }),
      ...NOT_JSON,
    },
    {
      name: `login as ${type}`,
      send: () => send("/auth/login", { raw: JSON.stringify({ email: "a@example.com", password: "pw pw pw pw" }), type }),
      ...NOT_JSON,
    },
  ]),
);

const deep = (levels: number) => `${"[".repeat(levels)}${"]".repeat(levels)}`;
const item = { product_id: "456", quantity: 1 };
group("deep and wide JSON: 400 (or 413 past the size)", [
  { name: "10,000 nested arrays as the body", send: () => send("/users", { raw: deep(10_000), type: "application/json" }), ...BAD_INPUT },
  { name: "100,000 nested arrays as the body", send: () => send("/users", { raw: deep(100_000), type: "application/json" }), ...TOO_LARGE },
  {
    name: "nesting 20 deep inside a field",
    send: () => send("/users", { raw: `{"name":${deep(20)},"email":"x@example.com"}`, type: "application/json" }),
    ...BAD_INPUT,
  },
  {
    name: "an object with 5,000 fields",
    send: () => send("/users", { json: Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`f${i}`, 0])) }),
    ...BAD_INPUT,
  },
  { name: "1,500 order items", send: () => send("/orders", { json: { items: Array(1500).fill(item) }, token: mallory.accessToken }), ...BAD_INPUT },
  { name: "20,000 order items", send: () => send("/orders", { json: { items: Array(20_000).fill(item) }, token: mallory.accessToken }), ...TOO_LARGE },
]);

const priced = (extra: object) => () => send("/orders", { json: { items: [{ ...item, ...extra }] }, token: mallory.accessToken });
group("prices in the body: 400, the catalog prices orders", [
  { name: "a unit price", send: priced({ unit_price: 1 }), ...BAD_INPUT },
  { name: "a unit price of 0", send: priced({ unit_price: 0 }), ...BAD_INPUT },
  { name: "a negative unit price", send: priced({ unit_price: -1250 }), ...BAD_INPUT },
  { name: "a unit price as a string", send: priced({ unit_price: "1" }), ...BAD_INPUT },
  { name: "a unit price of null", send: priced({ unit_price: null }), ...BAD_INPUT },
  { name: "a product not in the catalog", send: priced({ product_id: "free-stuff" }), ...BAD_INPUT },
  {
    name: "another currency than the products'",
    send: () => send("/orders", { json: { items: [item], currency: "JPY" }, token: mallory.accessToken }),
    ...BAD_INPUT,
  },
]);

/** A request of Mallory's, made when the test runs (it names Alice's ids). */
const asMallory = (request: () => [path: string, init?: Init]) => () => {
  const [path, init] = request();
  return send(path, { ...init, token: mallory.accessToken });
};
group("another user's ids in paths, bodies and query strings: 404 (or an empty list), never their data", [
  { name: "GET /users/{alice}", send: asMallory(() => [`/users/${alice.id}`]), status: 404 },
  { name: "PATCH /users/{alice}", send: asMallory(() => [`/users/${alice.id}`, { method: "PATCH", json: { name: "Owned" } }]), status: 404 },
  { name: "DELETE /users/{alice}", send: asMallory(() => [`/users/${alice.id}`, { method: "DELETE" }]), status: 404 },
  { name: "GET /orders/{alice's}", send: asMallory(() => [`/orders/${aliceOrder}`]), status: 404 },
  { name: "POST /orders/{alice's}/cancel", send: asMallory(() => [`/orders/${aliceOrder}/cancel`, { json: {} }]), status: 404 },
  {
    name: "PATCH /orders/{alice's}/status",
    send: asMallory(() => [`/orders/${aliceOrder}/status`, { method: "PATCH", json: { status: "shipped" } }]),
    status: 403,
  },
  // The user service, asked with Mallory's token, does not show her Alice: "does not exist".
  { name: "POST /orders with user_id alice", send: asMallory(() => ["/orders", { json: { user_id: alice.id, items: [item] } }]), status: 400 },
  { name: "GET /orders?user_id=alice", send: asMallory(() => [`/orders?user_id=${alice.id}`]), status: 200 },
  { name: "GET /users/{alice}/orders", send: asMallory(() => [`/users/${alice.id}/orders`]), status: 200 },
  { name: "GET /users/{alice}/notifications", send: asMallory(() => [`/users/${alice.id}/notifications`]), status: 200 },
  { name: "GET /users (every user)", send: asMallory(() => ["/users?page_size=100"]), status: 403 },
  {
    name: "POST /users as an admin",
    send: asMallory(() => ["/users", { json: { name: "Mal", email: `m.${client}@example.com`, role: "admin" } }]),
    status: 403,
  },
]);

/** An access token signed with the system's own key (so each one is refused for its one fault). */
const forge = (o: Parameters<typeof forgeAccessToken>[2] = {}) => forgeAccessToken(signingJwk, { sub: mallory.id, role: "admin" }, o);
const payloadOf = (token: string) => token.split(".")[1]!;
const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
const FORGED: [string, () => Promise<string>][] = [
  [
    "bad signature (role changed to admin)",
    async () =>
      `${mallory.accessToken.split(".")[0]}.${b64({ ...JSON.parse(atob(payloadOf(mallory.accessToken))), role: "admin" })}.${mallory.accessToken.split(".")[2]}`,
  ],
  ["alg none", async () => `${b64({ alg: "none", typ: "at+jwt" })}.${payloadOf(mallory.accessToken)}.`],
  ["wrong issuer", () => forge({ iss: "https://evil.example" })],
  ["wrong audience", () => forge({ aud: "urn:someone:else" })],
  ["expired", () => forge({ exp: Math.floor(Date.now() / 1000) - 60 })],
  ["garbage", async () => "not-a-jwt"],
  ["empty", async () => ""],
];
const UNAUTHENTICATED = { status: 401, code: "UNAUTHENTICATED" };
const PROTECTED: [string, () => string][] = [
  ["GET /me", () => "/me"],
  ["GET /users", () => "/users?page_size=100"],
  ["GET /users/{alice}", () => `/users/${alice.id}`],
  ["GET /orders/{alice's}", () => `/orders/${aliceOrder}`],
];
group(
  "forged tokens: 401",
  FORGED.flatMap(([label, token]) =>
    PROTECTED.map(([route, path]) => ({ name: `${label} on ${route}`, send: async () => send(path(), { token: await token() }), ...UNAUTHENTICATED })),
  ),
);

describe("replayed tokens and links", () => {
  const post = (path: string, json: unknown) => send(path, { json });

  test("a spent refresh token is refused, and its whole session family with it", async () => {
    const account = await signUp(system.gatewayUrl);
    const first = await post("/auth/refresh", { refresh_token: account.refreshToken });
    expect(first.status).toBe(200);
    const next = ((await first.json()) as { refresh_token: string }).refresh_token;
    await expectRefusal(await post("/auth/refresh", { refresh_token: account.refreshToken }), UNAUTHENTICATED);
    await expectRefusal(await post("/auth/refresh", { refresh_token: next }), UNAUTHENTICATED); // the family is revoked
  });

  test("a used password-reset link and a used verification link are refused", async () => {
    const account = await signUp(system.gatewayUrl);
    const verify = await linkToken(account.email, "Confirm your email address", "verify-email");
    expect((await post("/auth/verify-email", { token: verify })).status).toBe(200);
    await expectRefusal(await post("/auth/verify-email", { token: verify }), BAD_INPUT);

    expect((await post("/auth/password-reset", { email: account.email })).status).toBe(202);
    const reset = await linkToken(account.email, "Reset your password", "reset-password");
    expect((await post("/auth/password-reset/confirm", { token: reset, new_password: "a new long passphrase" })).status).toBe(204);
    await expectRefusal(await post("/auth/password-reset/confirm", { token: reset, new_password: "another long passphrase" }), BAD_INPUT);
  });

  test("the system is still ready", async () => {
    expect((await fetch(`${system.gatewayUrl}/ready`)).status).toBe(200);
  });
});

/** The token of the newest email with this subject to this address, from its link. */
async function linkToken(to: string, subject: string, page: string): Promise<string> {
  const mail = await waitFor(`"${subject}" to ${to}`, () => smtp.received.findLast((m) => m.to.includes(to) && m.mail.subject === subject));
  const match = new RegExp(`https://shop\\.example/${page}#token=([\\w%-]+)`).exec(mail.mail.text ?? "");
  expect(match).not.toBeNull();
  return decodeURIComponent(match![1]!);
}

describe("after it all, Alice's things are as they were", () => {
  test("her account and her order are unchanged, and the order costs the catalog's price", async () => {
    const me = await send("/me", { token: alice.accessToken });
    expect(await me.json()).toMatchObject({ id: alice.id, name: alice.name, phone: "+14155550123" });
    const order = await send(`/orders/${aliceOrder}`, { token: alice.accessToken });
    expect(await order.json()).toMatchObject({ status: "pending", total: 1250, items: [{ product_id: "456", quantity: 1, unit_price: 1250 }] });
  });

  test("a total or status sent along with an order is ignored: the catalog prices it, it starts pending", async () => {
    const res = await send("/orders", { json: { items: [{ product_id: "456", quantity: 2 }], total: 1, status: "shipped" }, token: mallory.accessToken });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ user_id: mallory.id, status: "pending", total: 2500, currency: "USD" });
  });
});

describe("1,000 requests at once from one client", () => {
  test("the ones past the rate are 429 with Retry-After, none is a 5xx, and the system stays ready", async () => {
    const missing = "01900000-0000-7000-8000-000000000000";
    const answers = await Promise.all(
      Array.from({ length: 1000 }, async () => {
        const res = await send(`/users/${missing}`, { token: mallory.accessToken, from: "203.0.113.7" });
        const body = (await res.json()) as { error?: { code: string } };
        return { status: res.status, code: body.error?.code, retryAfter: res.headers.get("retry-after") };
      }),
    );
    const byStatus = Object.groupBy(answers, (a) => String(a.status));
    expect(Object.keys(byStatus).sort()).toEqual(["404", "429"]);
    // Rate + burst tokens, and whatever refilled while the burst was being answered.
    expect(byStatus["404"]!.length).toBeGreaterThanOrEqual(BURST);
    expect(byStatus["429"]!.length).toBeGreaterThan(500);
    for (const a of byStatus["429"]!) expect({ code: a.code, retryAfter: Number(a.retryAfter) >= 1 }).toEqual({ code: "RATE_LIMITED", retryAfter: true });
    expect((await fetch(`${system.gatewayUrl}/ready`)).status).toBe(200);
    // Another client is not starved by it.
    expect((await send("/products")).status).toBe(200);
  });
});

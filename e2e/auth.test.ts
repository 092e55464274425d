// Sign-up, sessions and token checks through the real gateway and services: a customer's whole
// session life, what they may and may not see, and every kind of bad token refused at the gateway
// (401) and directly on each gRPC server (UNAUTHENTICATED), with grpc.health.v1 left open.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createClient, createSession } from "@evented/client";
import { connectHealth, connectService, isServiceError, status } from "@evented/core";
import { notificationV1, orderV1, userV1 } from "@evented/proto";
import { forgeAccessToken, type System, signUp, startSystem, systemSigningKey, testEmail } from "@evented/testing";
import { exportJWK, generateKeyPair, type JWK } from "jose";

setDefaultTimeout(30_000);

let system: System;
let url: string;
let signingJwk: JWK;

beforeAll(async () => {
  system = await startSystem();
  url = system.gatewayUrl;
  signingJwk = await systemSigningKey(system.databases.user.url); // the tests forge with it
}, 60_000);
afterAll(() => system?.stop());

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${url}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe("a customer's session", () => {
  test("signs up, logs in, reads themself, refreshes (old token dead, reuse ends the family), logs out", async () => {
    const email = testEmail("ada");
    const password = "correct horse battery staple";
    const created = await post("/users", { name: "Ada Lovelace", email, password });
    expect(created.status).toBe(201);
    const user = (await created.json()) as Record<string, unknown>;
    expect(user).toMatchObject({ email, role: "customer", email_verified: false });
    expect(JSON.stringify(user)).not.toContain(password);

    const login = await post("/auth/login", { email, password });
    expect(login.status).toBe(200);
    const session = (await login.json()) as { access_token: string; refresh_token: string; token_type: string; expires_in: number };
    expect(session).toMatchObject({ token_type: "Bearer", expires_in: 900 });
    const [header, claims] = session.access_token
      .split(".")
      .slice(0, 2)
      .map((p) => JSON.parse(Buffer.from(p!, "base64url").toString()));
    expect(header).toMatchObject({ alg: "EdDSA", typ: "at+jwt", kid: signingJwk.kid });
    expect(claims).toMatchObject({ sub: user.id, role: "customer", iss: "urn:evented:user", aud: "urn:evented:api" });
    expect(claims.exp - claims.iat).toBe(900);
    expect(typeof claims.jti).toBe("string");

    const me = await fetch(`${url}/me`, { headers: bearer(session.access_token) });
    expect(me.status).toBe(200);
    expect(await me.json()).toEqual(user);
    const byId = await fetch(`${url}/users/${user.id}`, { headers: bearer(session.access_token) });
    expect(byId.status).toBe(200);
    expect(await byId.json()).toEqual(user);

    const refreshed = await post("/auth/refresh", { refresh_token: session.refresh_token });
    expect(refreshed.status).toBe(200);
    const next = (await refreshed.json()) as typeof session;
    expect(next.refresh_token).not.toBe(session.refresh_token);
    expect((await fetch(`${url}/me`, { headers: bearer(next.access_token) })).status).toBe(200);

    // The used token again: refused, and the family ends, so the token it was exchanged for dies too.
    const reused = await post("/auth/refresh", { refresh_token: session.refresh_token });
    expect(reused.status).toBe(401);
    expect(((await reused.json()) as { error: { code: string } }).error.code).toBe("UNAUTHENTICATED");
    expect((await post("/auth/refresh", { refresh_token: next.refresh_token })).status).toBe(401);

    // A new login is a new family; logging out ends it.
    const again = (await (await post("/auth/login", { email, password })).json()) as typeof session;
    expect((await post("/auth/logout", { refresh_token: again.refresh_token })).status).toBe(204);
    expect((await post("/auth/refresh", { refresh_token: again.refresh_token })).status).toBe(401);
  });

  test("an Idempotency-Key is the caller's own: another customer's same key neither replays nor blocks theirs", async () => {
    const [ada, bob] = await Promise.all([signUp(url), signUp(url)]);
    const place = (who: typeof ada) =>
      who.fetch(`${url}/orders`, {
        method: "POST",
        headers: { "content-type": "application/json", "idempotency-key": "checkout-1" },
        body: JSON.stringify({ user_id: who.id, items: [{ product_id: "456", quantity: 1 }] }),
      });
    const first = await place(ada);
    expect(first.status).toBe(201);
    const theirs = await place(bob);
    expect(theirs.status).toBe(201); // not 422, not Ada's order
    const [a, b] = (await Promise.all([first.json(), theirs.json()])) as { id: string; user_id: string }[];
    expect(b!.user_id).toBe(bob.id);
    expect(b!.id).not.toBe(a!.id);
    // Ada's retry still gets her first order.
    expect(((await (await place(ada)).json()) as { id: string }).id).toBe(a!.id);
  });

  test("a customer sees their own things only; another's answer 404 or an empty list; admin acts are 403", async () => {
    const [ada, bob] = await Promise.all([signUp(url), signUp(url)]);
    expect((await bob.fetch(`${url}/users/${ada.id}`)).status).toBe(404);
    expect((await bob.fetch(`${url}/users/${ada.id}`, { method: "DELETE" })).status).toBe(404);
    expect((await bob.fetch(`${url}/users`)).status).toBe(403);

    const order = await ada.fetch(`${url}/orders`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ user_id: ada.id, items: [{ product_id: "456", quantity: 1 }] }),
    });
    expect(order.status).toBe(201);
    const { id } = (await order.json()) as { id: string };
    const forAda = await bob.fetch(`${url}/orders`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ user_id: ada.id, items: [{ product_id: "456", quantity: 1 }] }),
    });
    expect(forAda.status).toBe(400); // as for a user that does not exist
    expect((await bob.fetch(`${url}/orders/${id}`)).status).toBe(404);
    expect((await bob.fetch(`${url}/orders/${id}/cancel`, { method: "POST" })).status).toBe(404);
    expect(await (await bob.fetch(`${url}/users/${ada.id}/orders`)).json()).toEqual({ orders: [], next_page_token: "" });
    expect(await (await bob.fetch(`${url}/users/${ada.id}/notifications`)).json()).toEqual({ notifications: [], next_page_token: "" });
    const mine = (await (await ada.fetch(`${url}/orders`)).json()) as { orders: { id: string }[] };
    expect(mine.orders.map((o) => o.id)).toEqual([id]);
    const ship = await ada.fetch(`${url}/orders/${id}/status`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: '{"status":"confirmed"}',
    });
    expect(ship.status).toBe(403);
    expect(
      (await system.fetch(`${url}/orders/${id}/status`, { method: "PATCH", headers: { "content-type": "application/json" }, body: '{"status":"confirmed"}' }))
        .status,
    ).toBe(200);
  });

  test("sign-up needs a password of 8 or more characters; a passphrase of 200 is fine; only an admin makes admins", async () => {
    const short = await post("/users", { name: "Short", email: testEmail(), password: "1234567" });
    expect(short.status).toBe(400);
    const none = await post("/users", { name: "None", email: testEmail() });
    expect(none.status).toBe(400);
    expect(((await none.json()) as { error: { message: string } }).error.message).toContain("password is required");
    expect((await post("/users", { name: "Long", email: testEmail(), password: "a long passphrase ".repeat(11).slice(0, 200) })).status).toBe(201);
    expect((await post("/users", { name: "Mallory", email: testEmail(), password: "12345678", role: "admin" })).status).toBe(403);
    const madeByAdmin = await system.fetch(`${url}/users`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "Root 2", email: testEmail(), password: "12345678", role: "admin" }),
    });
    expect(madeByAdmin.status).toBe(201);
    expect(await madeByAdmin.json()).toMatchObject({ role: "admin" });
  });
});

test("the typed client sends the token, and on a 401 refreshes once and retries, through the real gateway", async () => {
  const account = await signUp(url);
  const session = createSession(url);
  await session.login(account.email, account.password);
  const before = session.token();
  let calls = 0;
  // The first token offered is a tampered one, as an expired one would be: the gateway answers 401.
  const api = createClient(url, { token: () => (calls++ === 0 ? `${before}x` : session.token()), refresh: session.refresh });
  const me = await api.me.get();
  expect(me.status).toBe(200);
  expect(me.data?.id).toBe(account.id);
  expect(session.token()).not.toBe(before); // it was refreshed
  const orders = await api.users({ id: account.id }).orders.get({ query: {} });
  expect(orders.data).toEqual({ orders: [], next_page_token: "" });
});

describe("bad tokens", () => {
  let victim: Awaited<ReturnType<typeof signUp>>;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    victim = await signUp(url);
    const forge = (o: Parameters<typeof forgeAccessToken>[2] = {}, k: JWK | CryptoKey = signingJwk) =>
      forgeAccessToken(k, { sub: victim.id, role: "customer" }, { kid: signingJwk.kid, ...o });
    // The forger's own key works when nothing is wrong: each case below differs by one thing.
    tokens.control = await forge();
    tokens.expired = await forge({ exp: Math.floor(Date.now() / 1000) - 60 });
    tokens.wrongAudience = await forge({ aud: "urn:someone:else" });
    tokens.wrongIssuer = await forge({ iss: "https://evil.example" });
    const other = (await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true })).privateKey;
    tokens.otherKeySameKid = await forge({}, other);
    tokens.otherKeyOwnKid = await forge({ kid: (await exportJWK(other)).x! }, other);
    const [h, p, s] = victim.accessToken.split(".");
    const claims = JSON.parse(Buffer.from(p!, "base64url").toString());
    tokens.tampered = [h, Buffer.from(JSON.stringify({ ...claims, role: "admin" })).toString("base64url"), s].join(".");
    const none = Buffer.from(JSON.stringify({ alg: "none", typ: "at+jwt" })).toString("base64url");
    tokens.algNone = `${none}.${p}.`;
    tokens.garbage = "not-a-jwt";
  });

  const BAD = ["expired", "wrongAudience", "wrongIssuer", "otherKeySameKid", "otherKeyOwnKid", "tampered", "algNone", "garbage"];

  test("the control token (forged right) works, so each refusal below is for its one difference", async () => {
    expect((await fetch(`${url}/me`, { headers: bearer(tokens.control!) })).status).toBe(200);
  });

  test.each(BAD)("%s: 401 at the gateway with the one error body and WWW-Authenticate", async (name) => {
    for (const path of ["/me", `/users/${victim.id}`, `/users/${victim.id}/orders`, `/users/${victim.id}/notifications`, "/orders"]) {
      const res = await fetch(`${url}${path}`, { headers: bearer(tokens[name]!) });
      expect({ path, status: res.status }).toEqual({ path, status: 401 });
      expect(res.headers.get("www-authenticate")).toContain("Bearer");
      expect(await res.json()).toMatchObject({ error: { code: "UNAUTHENTICATED", request_id: expect.any(String) } });
    }
  });

  test("no token: 401 at the gateway for every protected route", async () => {
    for (const path of ["/me", `/users/${victim.id}`, "/users", `/users/${victim.id}/orders`, `/users/${victim.id}/notifications`, "/orders"]) {
      expect({ path, status: (await fetch(`${url}${path}`)).status }).toEqual({ path, status: 401 });
    }
  });

  test.each(["none", ...BAD])("%s: UNAUTHENTICATED directly on the user, order and notification gRPC servers", async (name) => {
    const users = connectService(userV1.UserServiceClient, `127.0.0.1:${system.ports.user}`);
    const orders = connectService(orderV1.OrderServiceClient, `127.0.0.1:${system.ports.order}`);
    const notifications = connectService(notificationV1.NotificationServiceClient, `127.0.0.1:${system.ports.notification}`);
    const meta = name === "none" ? {} : { authorization: `Bearer ${tokens[name]}` };
    try {
      const calls = [
        users.getUser({ id: victim.id }, meta),
        users.listUsers({ pageSize: 1, pageToken: "" }, meta),
        orders.listOrders({ userId: victim.id, pageSize: 1, pageToken: "" }, meta),
        notifications.listNotifications({ userId: victim.id, pageSize: 1, pageToken: "" }, meta),
      ];
      for (const result of await Promise.allSettled(calls)) {
        expect(result.status).toBe("rejected");
        const err = (result as PromiseRejectedResult).reason;
        expect(isServiceError(err) && status[err.code]).toBe("UNAUTHENTICATED");
      }
      // The control token, on the same clients, is let in.
      if (name === "none") await users.getUser({ id: victim.id }, { authorization: `Bearer ${tokens.control}` });
    } finally {
      for (const c of [users, orders, notifications]) c.close();
    }
  });

  test("grpc.health.v1 needs no token", async () => {
    for (const port of [system.ports.user, system.ports.order, system.ports.notification]) {
      const health = connectHealth(`127.0.0.1:${port}`);
      expect(await health.check("", 2000)).toBe("SERVING");
      health.close();
    }
  });

  test("a token sent to open routes does not matter: login works with a stale one", async () => {
    const res = await post("/auth/login", { email: victim.email, password: victim.password }, bearer(tokens.expired!));
    expect(res.status).toBe(200);
  });

  test("JWKS is published through the gateway: public keys only", async () => {
    const res = await fetch(`${url}/.well-known/jwks.json`);
    expect(res.status).toBe(200);
    const jwks = (await res.json()) as { keys: JWK[] };
    expect(jwks.keys.map((k) => k.kid)).toContain(signingJwk.kid);
    for (const k of jwks.keys) expect(k).not.toHaveProperty("d");
  });
});

describe("bun run admin create", () => {
  const run = (args: string[], stdin?: string) => {
    const env = {
      ...process.env,
      USER_DB_CONN: system.env.user.USER_DB_CONN!,
      NATS_URL: system.env.user.NATS_URL!,
      NATS_STREAM: system.env.user.NATS_STREAM!,
      NATS_SUBJECT_PREFIX: system.env.user.NATS_SUBJECT_PREFIX!,
    };
    const proc = Bun.spawnSync(["bun", "scripts/admin.ts", ...args], {
      cwd: `${import.meta.dir}/..`,
      env,
      stdin: stdin === undefined ? "ignore" : Buffer.from(stdin),
      stdout: "pipe",
      stderr: "pipe",
    });
    return { code: proc.exitCode, out: proc.stdout.toString(), err: proc.stderr.toString() };
  };

  test("makes an admin with the password from stdin, who may then list every user", async () => {
    const email = testEmail("root");
    const result = run(["create", "--email", email, "--name", "Root"], "an admin passphrase from stdin\n");
    expect(result).toMatchObject({ code: 0 });
    expect(result.out).toContain(`admin ${email} created`);
    expect(result.out).not.toContain("an admin passphrase");
    const session = (await (await post("/auth/login", { email, password: "an admin passphrase from stdin" })).json()) as { access_token: string };
    expect(await (await fetch(`${url}/me`, { headers: bearer(session.access_token) })).json()).toMatchObject({ email, role: "admin", name: "Root" });
    expect((await fetch(`${url}/users?page_size=5`, { headers: bearer(session.access_token) })).status).toBe(200);
  });

  test("generates a password when none is piped, prints it once; a taken email is refused", async () => {
    const email = testEmail("root");
    const result = run(["create", "--email", email]);
    expect(result.code).toBe(0);
    const password = /password: (\S+)/.exec(result.out)![1]!;
    expect(password.length).toBeGreaterThanOrEqual(20);
    expect((await post("/auth/login", { email, password })).status).toBe(200);
    const again = run(["create", "--email", email], "whatever passphrase");
    expect(again.code).toBe(1);
    expect(again.err).toContain("already exists");
  });
});

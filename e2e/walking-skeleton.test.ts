// The whole path, as users run it: Eden client -> gateway -> gRPC -> user service -> PostgreSQL
// -> outbox -> NATS JetStream -> notification worker -> its database -> back out through the gateway.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { createClient } from "@evented/client";
import { type System, startSystem, waitFor } from "@evented/testing";

setDefaultTimeout(30_000);

let system: System;
let api: ReturnType<typeof createClient>;

beforeAll(async () => {
  system = await startSystem();
  api = createClient(system.gatewayUrl, { token: system.admin.accessToken });
}, 60_000);
afterAll(() => system?.stop());

test("a user created through the typed client is stored, readable, and welcomed", async () => {
  const email = `ada.${Date.now()}@example.com`;
  const created = await api.users.post({ name: "Ada Lovelace", email });
  expect(created.status).toBe(201);
  const user = created.data!;
  expect(user).toMatchObject({ name: "Ada Lovelace", email });
  expect(user.id).toMatch(/^[0-9a-f-]{36}$/);

  const read = await api.users({ id: user.id }).get();
  expect(read.status).toBe(200);
  expect(read.data).toEqual(user);

  const welcome = await waitFor("the welcome notification", async () => {
    const { data } = await api.users({ id: user.id }).notifications.get({ query: {} });
    return data?.notifications.find((n) => n.kind === "welcome" && n.deliveries.every((d) => d.status === "sent"));
  });
  expect(welcome.user_id).toBe(user.id);
  expect(welcome.event_type).toBe("UserCreated");
  expect(welcome.deliveries.map((d) => d.channel)).toEqual(["email"]);
});

test("the seed's curl examples work verbatim", async () => {
  const email = `john.${Date.now()}@example.com`;
  const res = await system.fetch(`${system.gatewayUrl}/users`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ name: "John Doe", email }),
  });
  expect(res.status).toBe(201);
  const user = (await res.json()) as { id: string };

  const order = await system.fetch(`${system.gatewayUrl}/orders`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: `{"user_id": "${user.id}", "items": [{"product_id": "456", "quantity": 2}]}`,
  });
  expect(order.status).toBe(201);
  expect(await order.json()).toMatchObject({ user_id: user.id, status: "pending", items: [{ product_id: "456", quantity: 2, unit_price: 1250 }] });
});

test("bad input gets a 4xx that says what is wrong; unknown ids get 404", async () => {
  const bad = await api.users.post({ name: "", email: "not-an-address" });
  expect(bad.status).toBe(400);
  expect(bad.error?.value).toMatchObject({ error: { code: "INVALID_ARGUMENT" } });
  const message = (bad.error!.value as { error: { message: string } }).error.message;
  expect(message).toContain("name must be 1 to 100 characters");
  expect(message).toContain("email must be a valid email address");

  const badId = await system.fetch(`${system.gatewayUrl}/users/123`);
  expect(badId.status).toBe(400);
  expect(((await badId.json()) as { error: { message: string } }).error.message).toContain("id must be a UUID");

  const missing = await api.users({ id: "01900000-0000-7000-8000-000000000000" }).get();
  expect(missing.status).toBe(404);
  expect(missing.error?.value).toMatchObject({ error: { code: "NOT_FOUND", message: "user 01900000-0000-7000-8000-000000000000 not found" } });

  const notJson = await system.fetch(`${system.gatewayUrl}/users`, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{" });
  expect(notJson.status).toBe(400);
});

test("a gRPC client that loads the .proto files itself can call the user service", async () => {
  const grpc = await import("@grpc/grpc-js");
  const loader = await import("@grpc/proto-loader");
  const { ROOT } = await import("@evented/testing");
  const definition = await loader.load("user/v1/user.proto", { includeDirs: [`${ROOT}proto`], keepCase: true, defaults: true });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    user: { v1: { UserService: new (address: string, creds: unknown) => Record<string, (...args: unknown[]) => unknown> } };
  };
  const client = new pkg.user.v1.UserService(`127.0.0.1:${system.ports.user}`, grpc.credentials.createInsecure());
  const metadata = new grpc.Metadata();
  metadata.set("authorization", `Bearer ${system.admin.accessToken}`);
  // biome-ignore lint/suspicious/noExplicitAny: what proto-loader's untyped client answers
  type Answer = Record<string, any>;
  const call = (method: string, request: object) =>
    new Promise<Answer>((resolve, reject) => client[method]!(request, metadata, (err: Error | null, res: Answer) => (err ? reject(err) : resolve(res))));

  const created = await call("CreateUser", { name: "Grace Hopper", email: `grace.${Date.now()}@example.com` });
  expect(created.user.name).toBe("Grace Hopper");
  const read = await call("GetUser", { id: created.user.id });
  expect(read.user.email).toBe(created.user.email);
  const missing = await call("GetUser", { id: "01900000-0000-7000-8000-000000000000" }).catch((err: unknown) => err);
  expect(missing).toMatchObject({ code: grpc.status.NOT_FOUND });
});

// The gateway's side of sign-in, in process: the OpenAPI document declares the bearer scheme and
// which operations need it, and the early token check answers 401 before any service is asked.
import { expect, test } from "bun:test";
import { createLogger, unauthenticated } from "@evented/core";
import type { OpenAPIV3_1 } from "openapi-types";
import { fakeClients } from "../../../test/fake-clients.ts";
import { createApp } from "../../app.ts";

const OPEN = [
  "POST /auth/login",
  "POST /auth/refresh",
  "POST /auth/logout",
  "POST /auth/verify-email",
  "POST /auth/password-reset",
  "POST /auth/password-reset/confirm",
  "GET /.well-known/jwks.json",
];
const SYSTEM = ["GET /health", "GET /ready"];

function gateway() {
  const fake = fakeClients();
  const verifier = {
    verify: async (token: string) =>
      token === "good" ? { userId: "u", role: "customer" as const } : Promise.reject(unauthenticated("the access token is not valid")),
  };
  const app = createApp(fake.clients, createLogger("gateway", { level: "silent" }), { verifier });
  return { app, fake };
}

test("OpenAPI declares the bearer scheme, requires it everywhere but the open routes, and makes it optional for sign-up", async () => {
  const { app } = gateway();
  const doc = (await (await app.handle(new Request("http://localhost/swagger/json"))).json()) as OpenAPIV3_1.Document;
  expect(doc.components?.securitySchemes?.bearer).toMatchObject({ type: "http", scheme: "bearer", bearerFormat: "JWT" });
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(item ?? {}) as [string, OpenAPIV3_1.OperationObject][]) {
      const name = `${method.toUpperCase()} ${path}`;
      if (OPEN.includes(name)) expect({ name, security: op.security }).toEqual({ name, security: [] });
      else if (SYSTEM.includes(name)) expect({ name, security: op.security }).toEqual({ name, security: undefined });
      else if (name === "POST /users" || name === "GET /products") expect(op.security).toEqual([{}, { bearer: [] }]);
      else {
        expect({ name, security: op.security }).toEqual({ name, security: [{ bearer: [] }] });
        expect({ name, has401: "401" in (op.responses ?? {}) }).toEqual({ name, has401: true });
      }
    }
  }
});

test("a bad token is refused with 401 before any service is called; none, or one on an open route, goes on", async () => {
  const { app, fake } = gateway();
  const get = (path: string, authorization?: string) => app.handle(new Request(`http://localhost${path}`, { headers: authorization ? { authorization } : {} }));
  const bad = await get("/users", "Bearer nope");
  expect(bad.status).toBe(401);
  expect(bad.headers.get("www-authenticate")).toContain("Bearer");
  expect(await bad.json()).toMatchObject({ error: { code: "UNAUTHENTICATED", message: "the access token is not valid" } });
  expect((await get("/users", "Basic dXNlcjpwYXNz")).status).toBe(401);
  expect(fake.calls).toEqual([]);

  expect((await get("/users", "Bearer good")).status).toBe(200);
  expect(fake.calls.at(-1)?.meta?.authorization).toBe("Bearer good");
  expect((await get("/.well-known/jwks.json", "Bearer nope")).status).toBe(200);
  expect(fake.calls.at(-1)?.meta?.authorization).toBeUndefined(); // open routes pass no token on
  expect((await get("/users")).status).toBe(200); // the services decide about a missing token
});

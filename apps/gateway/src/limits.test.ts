// The limits every request meets before a service is asked: size (413), content type (415),
// control characters and nesting (400), and the per-client rate (429 with Retry-After).
import { describe, expect, test } from "bun:test";
import { testGateway } from "../test/test-gateway.ts";
import { DEFAULT_LIMITS } from "./limits.ts";

const user = { name: "Ada Lovelace", email: "ada@example.com" };
const small = { ...DEFAULT_LIMITS, maxBodyBytes: 2048 };

describe("bodies", () => {
  test("a body over the limit, by its Content-Length, is 413 with the error body and calls nothing", async () => {
    const { fake, send } = testGateway({ limits: small });
    const res = await send("POST", "/users", { body: { ...user, name: "x".repeat(3000) } });
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({ code: "PAYLOAD_TOO_LARGE", message: "the request body must be at most 2048 bytes" });
    expect(fake.calls).toEqual([]);
  });

  test("a streamed body with no Content-Length is cut off at the limit, not read to its end", async () => {
    const { fake, send } = testGateway({ limits: small });
    let sent = 0;
    // 200 MB if read to the end; the gateway must stop after ~2 KiB.
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent >= 200 * 1024 * 1024) return c.close();
        sent += 64 * 1024;
        c.enqueue(new Uint8Array(64 * 1024).fill(32));
      },
    });
    const res = await send("POST", "/users", { raw: stream, headers: { "content-type": "application/json" } });
    expect(res.status).toBe(413);
    expect(sent).toBeLessThan(1024 * 1024);
    expect(fake.calls).toEqual([]);
  });

  test("a body at the limit is accepted", async () => {
    const { send } = testGateway({ limits: small });
    const body = JSON.stringify(user);
    const res = await send("POST", "/users", { raw: body + " ".repeat(2048 - body.length), headers: { "content-type": "application/json" } });
    expect(res.status).toBe(201);
  });

  for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonp", ""]) {
    test(`JSON sent as "${type}" is 415`, async () => {
      const { fake, send } = testGateway();
      const res = await send("POST", "/users", { raw: JSON.stringify(user), headers: { "content-type": type } });
      expect(res.status).toBe(415);
      expect(res.body.error.code).toBe("UNSUPPORTED_MEDIA_TYPE");
      expect(fake.calls).toEqual([]);
    });
  }

  for (const type of ["application/json", "application/json; charset=utf-8", "application/merge-patch+json"]) {
    test(`"${type}" is JSON`, async () => {
      const { send } = testGateway();
      const res = await send("POST", "/users", { raw: JSON.stringify(user), headers: { "content-type": type } });
      expect(res.status).toBe(201);
    });
  }

  test("JSON nested past the depth limit is 400", async () => {
    const { fake, send } = testGateway();
    const deep = `${"[".repeat(10_000)}${"]".repeat(10_000)}`;
    const res = await send("POST", "/users", { raw: `{"name":"Ada","email":"ada@example.com","x":${deep}}`, headers: { "content-type": "application/json" } });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe(`the request body must not nest deeper than ${DEFAULT_LIMITS.maxJsonDepth} levels`);
    expect(fake.calls).toEqual([]);
  });
});

describe("control characters", () => {
  for (const [label, ch] of [
    ["NUL", "\u0000"],
    ["BEL", "\u0007"],
    ["ESC", "\u001b"],
    ["DEL", "\u007f"],
  ] as const) {
    test(`${label} in a body field is 400 naming the field`, async () => {
      const { fake, send } = testGateway();
      const res = await send("POST", "/users", { body: { ...user, name: `Ada${ch}` } });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toBe("name must not contain control characters");
      expect(fake.calls).toEqual([]);
    });
  }

  test("in a nested field, the path is named", async () => {
    const { send } = testGateway();
    const res = await send("POST", "/orders", { body: { user_id: "01976b8e-4a4e-7cc1-9a7b-2b0c1c9b5e10", items: [{ product_id: "4\u00006", quantity: 1 }] } });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe("items.0.product_id must not contain control characters");
  });

  test("in a query parameter", async () => {
    const { fake, send } = testGateway();
    const res = await send("GET", "/users?page_token=%00abc");
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe("page_token must not contain control characters");
    expect(fake.calls).toEqual([]);
  });

  test("tabs and line breaks are text, not control characters", async () => {
    const { send } = testGateway();
    const res = await send("POST", "/users", { body: { ...user, name: "Ada\tLovelace" } });
    expect(res.status).toBe(201);
  });
});

describe("rate per client", () => {
  const limits = { ...DEFAULT_LIMITS, ratePerSecond: 5, rateBurst: 5 };
  const from = (ip: string) => ({ headers: { "x-client": ip } });

  test("past rate + burst a client gets 429 with Retry-After and the error body; other clients do not", async () => {
    const { send } = testGateway({ limits, clientIpHeader: "x-client" });
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await send("GET", "/users", from("10.0.0.1"))).status);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(10);
    expect(statuses.filter((s) => s === 200).length).toBeLessThan(20);
    const refused = await send("GET", "/users", from("10.0.0.1"));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(refused.body.error.code).toBe("RATE_LIMITED");
    expect((await send("GET", "/users", from("10.0.0.2"))).status).toBe(200);
  });

  test("health, readiness and docs are never rate limited", async () => {
    const { send } = testGateway({ limits: { ...limits, ratePerSecond: 1, rateBurst: 0 }, clientIpHeader: "x-client" });
    for (let i = 0; i < 10; i++) expect((await send("GET", "/health", from("10.0.0.3"))).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await send("GET", "/ready", from("10.0.0.3"))).status).toBe(200);
  });

  test("a rate of 0 is no limit", async () => {
    const { send } = testGateway({ limits: DEFAULT_LIMITS, clientIpHeader: "x-client" });
    for (let i = 0; i < 50; i++) expect((await send("GET", "/users", from("10.0.0.4"))).status).toBe(200);
  });
});

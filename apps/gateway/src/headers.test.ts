// Every answer carries the security headers; CORS answers only the origins configured.
import { describe, expect, test } from "bun:test";
import { testGateway } from "../test/test-gateway.ts";
import { SECURITY_HEADERS } from "./headers.ts";

describe("security headers", () => {
  const answers = [
    ["a 201", "POST", "/users", { body: { name: "Ada", email: "ada@example.com" } }, 201],
    ["a 400", "POST", "/users", { body: { name: "" } }, 400],
    ["a 404", "GET", "/nowhere", {}, 404],
    ["a 415", "POST", "/users", { raw: "{}", headers: { "content-type": "text/plain" } }, 415],
    ["/health", "GET", "/health", {}, 200],
  ] as const;
  for (const [label, method, path, init, expected] of answers) {
    test(`on ${label}`, async () => {
      const { send } = testGateway();
      const res = await send(method, path, init);
      expect(res.status).toBe(expected);
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(res.headers.get(name)).toBe(value);
      expect(res.headers.get("content-security-policy")).toBe("default-src 'none'; frame-ancestors 'none'");
      expect(res.headers.get("cache-control")).toBe("no-store");
    });
  }

  test("the docs page may run its own bundle, and nothing from elsewhere", async () => {
    const { app } = testGateway();
    const res = await app.handle(new Request("http://localhost/swagger"));
    expect(res.status).toBe(200);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/https?:|\*/);
    expect(res.headers.get("x-frame-options")).toBe("DENY");
  });
});

describe("CORS", () => {
  const preflight = (origin: string) =>
    new Request("http://localhost/users", {
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
    });

  test("off by default: no origin is allowed, not even on a preflight", async () => {
    const { app } = testGateway();
    const res = await app.handle(preflight("https://shop.example.com"));
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    const get = await app.handle(new Request("http://localhost/health", { headers: { origin: "https://shop.example.com" } }));
    expect(get.headers.get("access-control-allow-origin")).toBeNull();
  });

  test("an allowed origin gets its own origin back; another gets nothing", async () => {
    const { app } = testGateway({ corsOrigins: ["https://shop.example.com"] });
    const ok = await app.handle(preflight("https://shop.example.com"));
    expect(ok.headers.get("access-control-allow-origin")).toBe("https://shop.example.com");
    expect(ok.headers.get("access-control-allow-methods")).toContain("POST");
    const evil = await app.handle(preflight("https://evil.example.net"));
    expect(evil.headers.get("access-control-allow-origin")).toBeNull();
    const get = await app.handle(new Request("http://localhost/health", { headers: { origin: "https://shop.example.com" } }));
    expect(get.headers.get("access-control-allow-origin")).toBe("https://shop.example.com");
  });

  test("an allowed origin may use every method the API has, and resume the event stream with Last-Event-ID", async () => {
    const { app } = testGateway({ corsOrigins: ["https://shop.example.com"] });
    const res = await app.handle(preflight("https://shop.example.com"));
    const methods = new Set(app.routes.map((r) => r.method).filter((m) => !["OPTIONS", "HEAD", "ALL"].includes(m)));
    const allowed = res.headers.get("access-control-allow-methods")?.split(/,\s*/) ?? [];
    expect([...methods].filter((m) => !allowed.includes(m))).toEqual([]);
    expect(res.headers.get("access-control-allow-headers")?.split(/,\s*/)).toContain("last-event-id");
  });
});

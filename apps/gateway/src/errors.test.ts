// How failures of the services reach HTTP clients: the status table, messages that hide the
// infrastructure, the one error body, and the request id that ties a response to its logs.
import { describe, expect, test } from "bun:test";
import { status } from "@evented/core";
import { type Sent, serviceError, testGateway } from "../test/test-gateway.ts";

const USER_ID = "01976b8e-4a4e-7cc1-9a7b-2b0c1c9b5e10";

// Written out here rather than read from errors.ts, so that a change to the table fails a test.
const EXPECTED: [status, number][] = [
  [status.CANCELLED, 499],
  [status.UNKNOWN, 500],
  [status.INVALID_ARGUMENT, 400],
  [status.DEADLINE_EXCEEDED, 504],
  [status.NOT_FOUND, 404],
  [status.ALREADY_EXISTS, 409],
  [status.PERMISSION_DENIED, 403],
  [status.RESOURCE_EXHAUSTED, 429],
  [status.FAILED_PRECONDITION, 400],
  [status.ABORTED, 409],
  [status.OUT_OF_RANGE, 400],
  [status.UNIMPLEMENTED, 501],
  [status.INTERNAL, 500],
  [status.UNAVAILABLE, 503],
  [status.DATA_LOSS, 500],
  [status.UNAUTHENTICATED, 401],
];

describe("gRPC status -> HTTP", () => {
  test("the table covers every status a call can fail with", () => {
    const failing = Object.values(status).filter((v): v is status => typeof v === "number" && v !== status.OK);
    expect(EXPECTED.map(([s]) => s).sort()).toEqual(failing.sort());
  });

  for (const [code, http] of EXPECTED) {
    test(`${status[code]} -> ${http}, code ${status[code]}`, async () => {
      const { fake, send } = testGateway();
      fake.failNextCall(serviceError(code, "what the service said"));
      const res = await send("GET", `/users/${USER_ID}`);
      expect(res.status).toBe(http);
      expect(res.body.error.code).toBe(status[code]);
    });
  }

  test("reason IDEMPOTENCY_KEY_REUSED -> 422, with the reason as the code", async () => {
    const { fake, send } = testGateway();
    fake.failNextCall(serviceError(status.INVALID_ARGUMENT, "this Idempotency-Key was already used with a different request body", "IDEMPOTENCY_KEY_REUSED"));
    const res = await send("POST", "/users", { body: { name: "Ada", email: "ada@example.com" }, headers: { "idempotency-key": "k-1" } });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: "IDEMPOTENCY_KEY_REUSED", message: "this Idempotency-Key was already used with a different request body" });
  });

  test("a service's own message reaches the client when it is about the request", async () => {
    const { fake, send } = testGateway();
    fake.failNextCall(serviceError(status.ALREADY_EXISTS, "a user with this email already exists"));
    const res = await send("POST", "/users", { body: { name: "Ada", email: "ada@example.com" } });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toBe("a user with this email already exists");
  });
});

describe("messages that could name the infrastructure are replaced", () => {
  const leaky = "14 UNAVAILABLE: No connection established. Last error: connect ECONNREFUSED 10.20.30.40:50051 (user-svc.prod.internal)";
  const cases: [string, Error][] = [
    ["UNAVAILABLE", serviceError(status.UNAVAILABLE, leaky)],
    ["DEADLINE_EXCEEDED", serviceError(status.DEADLINE_EXCEEDED, "Deadline exceeded after 5.002s,LB pick: 0.001s,remote_addr=user-svc.prod.internal:50051")],
    ["INTERNAL", serviceError(status.INTERNAL, "Received RST_STREAM with code 2 from user-svc.prod.internal (10.20.30.40)")],
    ["UNKNOWN", serviceError(status.UNKNOWN, "TypeError at /srv/user-svc.prod.internal/app.js:12")],
    ["DATA_LOSS", serviceError(status.DATA_LOSS, "disk user-svc.prod.internal:/dev/sdb1 failed")],
    ["a plain exception", new Error("connect ECONNREFUSED db.prod.internal:5432")],
  ];
  for (const [name, err] of cases) {
    test(name, async () => {
      const { fake, send } = testGateway();
      fake.failNextCall(err as never);
      const res = await send("GET", `/users/${USER_ID}`);
      expect(res.status).toBeGreaterThanOrEqual(500);
      const text = JSON.stringify(res.body);
      for (const secret of ["prod.internal", "10.20.30.40", "ECONNREFUSED", "RST_STREAM", "5432", "50051", "/srv"]) expect(text).not.toContain(secret);
      expect(res.body.error.message).toMatch(/retry later|internal error/);
    });
  }
});

describe("one error body", () => {
  const failures: [string, (g: ReturnType<typeof testGateway>) => Promise<{ status: number; headers: Headers; body: Sent["body"] }>][] = [
    ["invalid body", (g) => g.send("POST", "/users", { body: { name: "" } })],
    ["body that is not JSON", (g) => g.send("POST", "/users", { raw: "{name:" })],
    ["invalid id in the path", (g) => g.send("GET", "/orders/42")],
    ["unknown route", (g) => g.send("GET", "/catalog")],
    ["unknown id", (g) => g.send("GET", `/users/${USER_ID}`)],
    [
      "service unavailable",
      (g) => {
        g.fake.failNextCall(serviceError(status.UNAVAILABLE, "down"));
        return g.send("GET", "/users");
      },
    ],
  ];
  for (const [name, fail] of failures) {
    test(`${name}: {error: {code, message, request_id}} and the request id in the header too`, async () => {
      const res = await fail(testGateway());
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(Object.keys(res.body)).toEqual(["error"]);
      expect(Object.keys(res.body.error).sort()).toEqual(["code", "message", "request_id"]);
      expect(res.body.error.code).toMatch(/^[A-Z_]+$/);
      expect(res.body.error.message.length).toBeGreaterThan(0);
      expect(res.body.error.request_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.headers.get("x-request-id")).toBe(res.body.error.request_id);
    });
  }
});

describe("x-request-id", () => {
  test("a valid one is kept, echoed, and passed on to the service", async () => {
    const { fake, send } = testGateway();
    const res = await send("POST", "/users", { body: { name: "Ada", email: "ada@example.com" }, headers: { "x-request-id": "checkout-7f3a.retry:2" } });
    expect(res.status).toBe(201);
    expect(res.headers.get("x-request-id")).toBe("checkout-7f3a.retry:2");
    expect(fake.calls[0]?.meta?.requestId).toBe("checkout-7f3a.retry:2");
  });

  test("a valid one is echoed on errors, in the body too", async () => {
    const { send } = testGateway();
    const res = await send("GET", `/users/${USER_ID}`, { headers: { "x-request-id": "abc-123" } });
    expect(res.status).toBe(404);
    expect(res.headers.get("x-request-id")).toBe("abc-123");
    expect(res.body.error.request_id).toBe("abc-123");
  });

  for (const [name, bad] of [
    ["with spaces and quotes", 'x" onload="1'],
    ["too long", "a".repeat(129)],
    ["with a newline escape", "abc%0d%0aset-cookie:x"],
  ] as const) {
    test(`an invalid one (${name}) is replaced by a fresh id, which is echoed and passed on`, async () => {
      const { fake, send } = testGateway();
      const res = await send("POST", "/users", { body: { name: "Ada", email: "ada@example.com" }, headers: { "x-request-id": bad } });
      expect(res.status).toBe(201);
      const id = res.headers.get("x-request-id");
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(fake.calls[0]?.meta?.requestId).toBe(id!);
    });
  }

  test("without one, each request gets its own", async () => {
    const { send } = testGateway();
    const a = await send("GET", "/health");
    const b = await send("GET", "/health");
    expect(a.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.headers.get("x-request-id")).not.toBe(b.headers.get("x-request-id"));
  });
});

// A hostile client against the real system: bodies far over the limit (with and without a length),
// wrong content types, control characters, deep and wide JSON, and a burst of 1,000 requests.
// Every answer is a 4xx with the one error body (429 with Retry-After for the burst), never a 5xx or
// a hang, and the system stays ready throughout.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { type System, startSystem } from "@evented/testing";

setDefaultTimeout(60_000);

let system: System;
const RATE = 20;
const BURST = 40;

beforeAll(async () => {
  system = await startSystem({ env: { gateway: { GATEWAY_RATE_LIMIT_PER_SECOND: String(RATE), GATEWAY_RATE_LIMIT_BURST: String(BURST) } } });
}, 90_000);
afterAll(() => system?.stop());

const url = (path: string) => `${system.gatewayUrl}${path}`;
const ready = async () => (await system.fetch(url("/ready"))).status;

async function expectErrorBody(res: Response, status: number, code: string) {
  expect({ status: res.status, code }).toEqual({ status, code });
  const body = (await res.json()) as { error: { code: string; message: string; request_id: string } };
  expect(body.error.code).toBe(code);
  expect(body.error.request_id).toBe(res.headers.get("x-request-id") ?? "");
}

test("200 MB, by Content-Length or streamed without one, is 413 with the error body, and the gateway stays up", async () => {
  const big = new Uint8Array(200 * 1024 * 1024).fill(32);
  await expectErrorBody(
    await system.fetch(url("/users"), { method: "POST", headers: { "content-type": "application/json" }, body: big }),
    413,
    "PAYLOAD_TOO_LARGE",
  );
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(c) {
      if (sent >= big.length) return c.close();
      sent += 1 << 20;
      c.enqueue(big.subarray(0, 1 << 20));
    },
  });
  const init = { method: "POST", headers: { "content-type": "application/json" }, body: stream, duplex: "half" } as RequestInit;
  await expectErrorBody(await system.fetch(url("/users"), init), 413, "PAYLOAD_TOO_LARGE");
  expect(sent).toBeLessThan(big.length);
  expect(await ready()).toBe(200);
});

test("a JSON body sent as a form or as text is 415; NUL in a name is 400; nothing is created", async () => {
  const user = JSON.stringify({ name: "Mallory", email: `mallory.${Date.now()}@example.com` });
  for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]) {
    await expectErrorBody(await system.fetch(url("/users"), { method: "POST", headers: { "content-type": type }, body: user }), 415, "UNSUPPORTED_MEDIA_TYPE");
  }
  const nul = JSON.stringify({ name: "Mal\u0000lory", email: `mallory.${Date.now()}@example.com` });
  await expectErrorBody(
    await system.fetch(url("/users"), { method: "POST", headers: { "content-type": "application/json" }, body: nul }),
    400,
    "INVALID_ARGUMENT",
  );
  const page = (await (await system.fetch(url("/users?page_size=100"))).json()) as { users: { name: string }[] };
  expect(page.users.filter((u) => u.name.startsWith("Mal"))).toEqual([]);
});

test("1,000 requests at once from one client: the ones past the rate are 429 with Retry-After, none is a 5xx, and the system stays ready", async () => {
  await Bun.sleep(((RATE + BURST) / RATE) * 1000); // the earlier tests' tokens come back
  const missing = "01900000-0000-7000-8000-000000000000";
  const answers = await Promise.all(
    Array.from({ length: 1000 }, async () => {
      const res = await system.fetch(url(`/users/${missing}`));
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
  expect(await ready()).toBe(200);
});

// The wrk pipeline the bench stands on: the Lua script's counts and latencies, its non-2xx
// counting (wrk alone counts only >= 400) and its pacing, against the bare Elysia baseline.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { freePort } from "@evented/testing";
import { wrk } from "./load.ts";
import { httpOk, type Proc, spawnProcess, stopProcess, waitReady } from "./system.ts";

setDefaultTimeout(30_000);

let server: Proc;
let url: string;

beforeAll(async () => {
  const port = freePort();
  url = `http://127.0.0.1:${port}`;
  server = spawnProcess("elysia", ["bun", "bench/baselines/elysia-hello.ts"], { PORT: String(port) });
  await waitReady(server, () => httpOk(`${url}/hello`));
});

afterAll(() => stopProcess(server));

test("counts requests and latencies, with no errors on a healthy endpoint", async () => {
  const r = await wrk(url, 4, 1, "hello-post", ["test"]).result;
  // How many depends on the machine (speed belongs in the bench): some, and counted.
  expect(r.requests).toBeGreaterThan(0);
  expect(r.rps).toBeGreaterThan(0);
  expect(r.errors).toEqual({ socket: 0, non2xx: 0 });
  expect(r.p50Ms).toBeGreaterThan(0);
  expect(r.p99Ms).toBeGreaterThanOrEqual(r.p50Ms);
  expect(r.maxMs).toBeGreaterThanOrEqual(r.p99Ms);
});

test("counts every response outside 2xx as an error", async () => {
  // The baseline has no /users/{id} route: every answer is a 404.
  const r = await wrk(url, 2, 1, "get-user", ["0195c1d4-0000-7000-8000-000000000000"]).result;
  expect(r.requests).toBeGreaterThan(0);
  expect(r.errors.non2xx).toBe(r.requests);
});

test("paces requests: never more than the given rate allows", async () => {
  const r = await wrk(url, 8, 2, "hello-get", [], 50).result;
  // 50 req/s for 2 s: at most about 100 (plus each connection's first), never the thousands an
  // unpaced run makes. A slow machine makes fewer, never more, so only the ceiling is asserted.
  expect(r.requests).toBeGreaterThan(0);
  expect(r.requests).toBeLessThan(140);
});

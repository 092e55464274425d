// The typed client's tokens against a gateway in this process: the header on every request, one
// refresh on a 401 shared by concurrent requests, and no refresh where a 401 is the answer.
import { expect, test } from "bun:test";
import { createClient, createSession } from "./index.ts";

/** A stand-in gateway: 200 for `Bearer good-N`, 401 otherwise; /auth/refresh hands out the next good token. */
function server() {
  const seen: { path: string; authorization: string | null }[] = [];
  let issued = 0;
  const fetcher = (async (input: string, init?: RequestInit) => {
    const request = new Request(input, init);
    const path = new URL(request.url).pathname;
    const authorization = request.headers.get("authorization");
    seen.push({ path, authorization });
    const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
    if (path === "/auth/login" || path === "/auth/refresh") {
      const body = (await request.json()) as { refresh_token?: string; password?: string };
      if (body.refresh_token === "spent" || body.password === "wrong") return json(401, { error: { code: "UNAUTHENTICATED", message: "no", request_id: "r" } });
      issued++;
      return json(200, {
        access_token: `good-${issued}`,
        token_type: "Bearer",
        expires_in: 900,
        refresh_token: issued === 1 ? "r1" : "spent",
        refresh_expires_in: 60,
      });
    }
    if (authorization?.startsWith("Bearer good-")) return json(200, { status: "ok" });
    return json(401, { error: { code: "UNAUTHENTICATED", message: "a valid access token is required", request_id: "r" } });
  }) as typeof fetch;
  return { fetcher, seen, issued: () => issued };
}

test("a token string goes on every request as Authorization: Bearer", async () => {
  const s = server();
  const api = createClient("http://gw", { fetcher: s.fetcher, token: "good-0" });
  expect((await api.health.get()).status).toBe(200);
  expect(s.seen).toEqual([{ path: "/health", authorization: "Bearer good-0" }]);
});

test("a 401 refreshes once and retries with the new token; concurrent 401s share that one refresh", async () => {
  const s = server();
  const session = createSession("http://gw", s.fetcher);
  await session.login("ada@example.com", "right");
  let current = "expired";
  const api = createClient("http://gw", {
    fetcher: s.fetcher,
    token: () => current,
    refresh: async () => {
      current = (await session.refresh()) ?? current;
      return current;
    },
  });
  const results = await Promise.all([api.health.get(), api.ready.get(), api.health.get()]);
  expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
  expect(s.seen.filter((r) => r.path === "/auth/refresh")).toHaveLength(1);
  expect(s.seen.filter((r) => r.path !== "/auth/login" && r.path !== "/auth/refresh").map((r) => r.authorization)).toEqual([
    "Bearer expired",
    "Bearer expired",
    "Bearer expired",
    "Bearer good-2",
    "Bearer good-2",
    "Bearer good-2",
  ]);
});

test("when the refresh fails too, the 401 stands, and it is tried once only", async () => {
  const s = server();
  let refreshes = 0;
  const api = createClient("http://gw", {
    fetcher: s.fetcher,
    token: "bad",
    refresh: async () => {
      refreshes++;
      return undefined;
    },
  });
  const res = await api.health.get();
  expect(res.status).toBe(401);
  expect(refreshes).toBe(1);
  expect(s.seen).toHaveLength(1);
});

test("a 401 from login itself is the answer, not a reason to refresh", async () => {
  const s = server();
  let refreshes = 0;
  const api = createClient("http://gw", {
    fetcher: s.fetcher,
    token: "bad",
    refresh: async () => {
      refreshes++;
      return "good-9";
    },
  });
  const res = await api.auth.login.post({ email: "ada@example.com", password: "wrong" });
  expect(res.status).toBe(401);
  expect(refreshes).toBe(0);
});

test("createSession keeps the pair, renews it, and forgets it when the refresh token is spent", async () => {
  const s = server();
  const session = createSession("http://gw", s.fetcher);
  await session.login("ada@example.com", "right");
  expect(session.token()).toBe("good-1");
  expect(await session.refresh()).toBe("good-2");
  expect(await session.refresh()).toBeUndefined();
  expect(session.token()).toBeUndefined();
  await expect(session.login("ada@example.com", "wrong")).rejects.toThrow("login failed: 401");
});

// Brute force and enumeration through two gateway processes in front of one user service: the
// failed-login limits live in the user database, so spreading attempts over gateways gains nothing.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { freePort, type RunningApp, type System, signUp, startApp, startSystem, testEmail } from "@evented/testing";

setDefaultTimeout(30_000);

let system: System;
let second: RunningApp;
let gateways: string[];

beforeAll(async () => {
  // A wait of 1 s after the 5th failure, doubling; 12 failures per address.
  system = await startSystem({ env: { user: { AUTH_LOGIN_BLOCK_S: "1", AUTH_LOGIN_MAX_FAILURES_PER_ADDRESS: "12" } } });
  const port = freePort();
  second = await startApp("gateway", { ...system.env.gateway, GATEWAY_PORT: String(port) });
  gateways = [system.gatewayUrl, `http://127.0.0.1:${port}`];
}, 60_000);
afterAll(async () => {
  second?.proc.kill("SIGTERM");
  await second?.proc.exited;
  await system?.stop();
});

const attempt = (gateway: string, email: string, password: string) =>
  fetch(`${gateway}/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email, password }) });
const errorOf = async (res: Response) => {
  const { code, message } = ((await res.json()) as { error: { code: string; message: string } }).error;
  return { code, message };
};

test("an unknown email and a wrong password get the same answer", async () => {
  const account = await signUp(gateways[0]!);
  const wrong = await attempt(gateways[0]!, account.email, "not the password");
  const unknown = await attempt(gateways[1]!, testEmail("nobody"), "not the password");
  expect([wrong.status, unknown.status]).toEqual([401, 401]);
  expect(await errorOf(wrong)).toEqual(await errorOf(unknown));
});

test("the 6th wrong password within the window is 429 with Retry-After, though the attempts alternate gateways; the wait then grows", async () => {
  const account = await signUp(gateways[0]!);
  for (let i = 0; i < 5; i++) {
    const res = await attempt(gateways[i % 2]!, account.email, `wrong ${i}`);
    expect({ i, status: res.status }).toEqual({ i, status: 401 });
  }
  const blocked = await attempt(gateways[1]!, account.email, "wrong again");
  expect(blocked.status).toBe(429);
  expect(blocked.headers.get("retry-after")).toBe("1");
  expect(await errorOf(blocked)).toMatchObject({ code: "RESOURCE_EXHAUSTED" });
  // Blocked means blocked: the right password is not even checked.
  expect((await attempt(gateways[0]!, account.email, account.password)).status).toBe(429);

  await Bun.sleep(1100);
  expect((await attempt(gateways[0]!, account.email, "wrong once more")).status).toBe(401);
  const longer = await attempt(gateways[1]!, account.email, account.password);
  expect(longer.status).toBe(429);
  expect(longer.headers.get("retry-after")).toBe("2");

  await Bun.sleep(2100);
  expect((await attempt(gateways[1]!, account.email, account.password)).status).toBe(200);
});

// Before the address's own limit is used up by the next test.
test("guessing the current password with a stolen access token counts as failed logins of the account: the 6th is 429, the right one not checked", async () => {
  const account = await signUp(gateways[0]!);
  const change = (current: string) =>
    account.fetch(`${gateways[0]}/me/password`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ current_password: current, new_password: "a whole new passphrase" }),
    });
  for (let i = 0; i < 5; i++) expect({ i, status: (await change(`guess ${i}`)).status }).toEqual({ i, status: 401 });
  const blocked = await change(account.password);
  expect(blocked.status).toBe(429);
  expect(await errorOf(blocked)).toMatchObject({ code: "RESOURCE_EXHAUSTED" });
  expect((await attempt(gateways[1]!, account.email, account.password)).status).toBe(429); // one budget with logins
  await Bun.sleep(1100);
  expect((await change(account.password)).status).toBe(204);
});

test("failures are limited per client address too, across accounts", async () => {
  // 12 per address: the earlier tests used 8 (blocked attempts are not failures); 4 more on new emails reach it.
  for (let i = 0; i < 4; i++) expect((await attempt(gateways[i % 2]!, testEmail("spray"), "guess")).status).toBe(401);
  const res = await attempt(gateways[0]!, testEmail("spray"), "guess");
  expect(res.status).toBe(429);
  expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
});

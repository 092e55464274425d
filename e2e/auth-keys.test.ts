// Key rotation without signing anyone out: the user service is restarted with a new key first and
// the old one kept; tokens of the old key still pass everywhere, new tokens carry the new kid, and
// the gateway, order and notification services fetch the new key set when they meet the new kid.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { fetchWithToken, login, type System, signUp, startSystem, waitFor } from "@evented/testing";
import { generateSigningJwk } from "../apps/user/src/auth/keys.ts";

setDefaultTimeout(60_000);

let system: System;
const oldKey = await generateSigningJwk();
const newKey = await generateSigningJwk();

beforeAll(async () => {
  system = await startSystem({ env: { user: { AUTH_SIGNING_KEYS: JSON.stringify({ keys: [oldKey] }) } } });
}, 60_000);
afterAll(() => system?.stop());

const kidOf = (token: string) => JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString()).kid as string;

test("a new key signs, the old one still verifies; every service learns the new kid on its own", async () => {
  const url = system.gatewayUrl;
  const account = await signUp(url);
  expect(kidOf(account.accessToken)).toBe(oldKey.kid!);
  // Every verifier has the old key set cached now.
  for (const path of ["/me", `/users/${account.id}/orders`, `/users/${account.id}/notifications`])
    expect((await account.fetch(`${url}${path}`)).status).toBe(200);

  system.env.user.AUTH_SIGNING_KEYS = JSON.stringify({ keys: [newKey, oldKey] });
  await system.restart("user");

  // The gateway's channel to the restarted user service may still be reconnecting (503 meanwhile).
  const kids = await waitFor("the gateway to serve the new key set", async () => {
    const res = await fetch(`${url}/.well-known/jwks.json`);
    const served = res.ok ? ((await res.json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid) : [];
    return served.includes(newKey.kid!) && served;
  });
  expect(kids).toEqual([newKey.kid!, oldKey.kid!]);
  // Signed in before the rotation: still signed in.
  expect((await account.fetch(`${url}/me`)).status).toBe(200);
  expect((await account.fetch(`${url}/users/${account.id}/orders`)).status).toBe(200);

  const fresh = await login(url, account.email, account.password);
  expect(kidOf(fresh.access_token)).toBe(newKey.kid!);
  const authed = fetchWithToken(fresh.access_token);
  for (const path of ["/me", `/users/${account.id}/orders`, `/users/${account.id}/notifications`]) {
    const res = await authed(`${url}${path}`);
    expect({ path, status: res.status }).toEqual({ path, status: 200 });
  }
  const refreshed = await fetch(`${url}/auth/refresh`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ refresh_token: account.refreshToken }),
  });
  expect(refreshed.status).toBe(200);
});

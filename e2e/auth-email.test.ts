// Email links through the whole system with a real SMTP server: verification at sign-up, password
// reset, a changed email proven at its new address, an admin's invitation. Each link works once and
// expires; a reset or a password change ends every session.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { login, type System, signUp, startSystem, testEmail, testPassword, waitFor } from "@evented/testing";
import postgres from "postgres";
import { startSmtpReceiver } from "../apps/notification/test/receivers.ts";

setDefaultTimeout(30_000);

let system: System;
let url: string;
const smtp = await startSmtpReceiver();

beforeAll(async () => {
  system = await startSystem({
    env: {
      notification: {
        SMTP_URL: smtp.url,
        EMAIL_FROM: "Evented <notifications@shop.example>",
        NOTIFICATION_DELIVERY_POLL_MS: "200",
        APP_URL: "https://shop.example",
      },
    },
  });
  url = system.gatewayUrl;
}, 60_000);
afterAll(async () => {
  await system?.stop();
  await smtp.close();
});

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${url}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });

/** The token of the newest email with this subject to this address, from its link. */
async function linkToken(to: string, subject: string, page: string): Promise<string> {
  const mail = await waitFor(`"${subject}" to ${to}`, () => smtp.received.findLast((m) => m.to.includes(to) && m.mail.subject === subject));
  const match = new RegExp(`https://shop\\.example/${page}#token=([\\w%-]+)`).exec(mail.mail.text ?? "");
  expect(match).not.toBeNull();
  return decodeURIComponent(match![1]!);
}

async function inUserDb<T>(work: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(system.databases.user.url, { max: 1 });
  try {
    return await work(sql);
  } finally {
    await sql.end();
  }
}

describe("email verification", () => {
  test("sign-up emails a link that verifies the address once", async () => {
    const account = await signUp(url);
    expect(account.user.email_verified).toBe(false);
    const token = await linkToken(account.email, "Confirm your email address", "verify-email");
    const verified = await post("/auth/verify-email", { token });
    expect(verified.status).toBe(200);
    expect(await verified.json()).toMatchObject({ id: account.id, email_verified: true });
    const again = await post("/auth/verify-email", { token });
    expect(again.status).toBe(400);
    // The notification listing shows the email without its link.
    const listed = (await (await account.fetch(`${url}/users/${account.id}/notifications`)).json()) as { notifications: { kind: string; body: string }[] };
    const shown = listed.notifications.find((n) => n.kind === "verify_email")!;
    expect(shown.body).toContain("[the link is in the email]");
    expect(shown.body).not.toContain(token);
  });

  test("an expired link does not verify", async () => {
    const account = await signUp(url);
    const token = await linkToken(account.email, "Confirm your email address", "verify-email");
    await inUserDb((sql) => sql`update email_tokens set expires_at = now() - interval '1 second' where user_id = ${account.id}`);
    expect((await post("/auth/verify-email", { token })).status).toBe(400);
  });

  test("a user's new email is theirs only once the link sent to it is used", async () => {
    const account = await signUp(url);
    const next = testEmail("moved");
    const patched = await account.fetch(`${url}/users/${account.id}`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: next }),
    });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({ email: account.email, pending_email: next });
    const token = await linkToken(next, "Confirm your email address", "verify-email");
    const verified = await post("/auth/verify-email", { token });
    expect(await verified.json()).toMatchObject({ email: next, pending_email: "", email_verified: true });
    expect((await login(url, next, account.password)).access_token).toBeString();
  });

  test("two accounts asking for the same new address: the first link used gets it, the other's answers 409", async () => {
    const [first, second] = [await signUp(url), await signUp(url)];
    const next = testEmail("wanted");
    const ask = (account: typeof first) =>
      account.fetch(`${url}/users/${account.id}`, { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: next }) });
    const mailsTo = () => smtp.received.filter((m) => m.to.includes(next) && m.mail.subject === "Confirm your email address");
    expect((await ask(first)).status).toBe(200);
    const firstToken = await linkToken(next, "Confirm your email address", "verify-email");
    expect((await ask(second)).status).toBe(200);
    await waitFor("the second link", () => mailsTo().length === 2);
    const secondToken = await linkToken(next, "Confirm your email address", "verify-email");
    expect(secondToken).not.toBe(firstToken);

    expect((await post("/auth/verify-email", { token: firstToken })).status).toBe(200);
    const refused = await post("/auth/verify-email", { token: secondToken });
    expect({ status: refused.status, body: await refused.json() }).toMatchObject({ status: 409, body: { error: { code: "ALREADY_EXISTS" } } });
    const kept = (await (await second.fetch(`${url}/users/${second.id}`)).json()) as { email: string };
    expect(kept.email).toBe(second.email);
  });
});

describe("password reset", () => {
  test("always 202; the link sets a new password once and ends every session", async () => {
    const account = await signUp(url);
    const nobody = testEmail("nobody");
    const unknown = await post("/auth/password-reset", { email: nobody });
    const known = await post("/auth/password-reset", { email: account.email.toUpperCase() });
    expect([unknown.status, known.status]).toEqual([202, 202]);
    expect(await unknown.json()).toEqual(await known.json());

    const token = await linkToken(account.email, "Reset your password", "reset-password");
    expect(smtp.received.some((m) => m.to.includes(nobody))).toBe(false);
    const password = testPassword();
    expect((await post("/auth/password-reset/confirm", { token, new_password: password })).status).toBe(204);
    expect((await post("/auth/password-reset/confirm", { token, new_password: testPassword() })).status).toBe(400);

    expect((await post("/auth/login", { email: account.email, password: account.password })).status).toBe(401);
    expect((await post("/auth/refresh", { refresh_token: account.refreshToken })).status).toBe(401);
    expect((await login(url, account.email, password)).access_token).toBeString();
  });

  test("an expired reset link sets nothing", async () => {
    const account = await signUp(url);
    await post("/auth/password-reset", { email: account.email });
    const token = await linkToken(account.email, "Reset your password", "reset-password");
    await inUserDb((sql) => sql`update email_tokens set expires_at = now() - interval '1 second' where user_id = ${account.id} and purpose = 'password_reset'`);
    expect((await post("/auth/password-reset/confirm", { token, new_password: testPassword() })).status).toBe(400);
    expect((await login(url, account.email, account.password)).access_token).toBeString();
  });

  test("changing the password needs the current one and ends every session", async () => {
    const account = await signUp(url);
    const change = (current: string) =>
      account.fetch(`${url}/me/password`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ current_password: current, new_password: "a brand new passphrase" }),
      });
    expect((await change("not the password")).status).toBe(401);
    expect((await change(account.password)).status).toBe(204);
    expect((await post("/auth/refresh", { refresh_token: account.refreshToken })).status).toBe(401);
    expect((await login(url, account.email, "a brand new passphrase")).access_token).toBeString();
  });
});

describe("invitations", () => {
  test("the system description's body, with an admin's token, creates a user who is invited to set a password", async () => {
    const email = testEmail("john");
    const res = await system.fetch(`${url}/users`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ name: "John Doe", email }),
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ name: "John Doe", email, role: "customer" });
    expect((await post("/auth/login", { email, password: "" })).status).toBe(401); // no password yet: nothing logs in
    const token = await linkToken(email, "You are invited", "accept-invitation");
    const password = testPassword();
    expect((await post("/auth/password-reset/confirm", { token, new_password: password })).status).toBe(204);
    expect((await post("/auth/password-reset/confirm", { token, new_password: password })).status).toBe(400);
    const session = await login(url, email, password);
    const me = await fetch(`${url}/me`, { headers: { authorization: `Bearer ${session.access_token}` } });
    expect(await me.json()).toMatchObject({ email, email_verified: true });
  });
});

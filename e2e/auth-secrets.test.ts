// No secret leaks: after a session's whole life (sign-up, login, refresh, reset by email, password
// change, an invitation), no password, password hash, refresh token or email-link token appears in
// any log line, event in the stream, outbox row, idempotency record, notification row, dead letter or
// API response (but the one that hands a token out, and the email that carries a link).
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { login, type System, startSystem, testEmail, waitFor } from "@evented/testing";
import { connect } from "nats";
import postgres from "postgres";
import { startSmtpReceiver } from "../apps/notification/test/receivers.ts";

setDefaultTimeout(60_000);

let system: System;
let url: string;
const smtp = await startSmtpReceiver();
const responses: string[] = [];

beforeAll(async () => {
  system = await startSystem({ env: { notification: { SMTP_URL: smtp.url, EMAIL_FROM: "Evented <n@shop.example>", NOTIFICATION_DELIVERY_POLL_MS: "200" } } });
  url = system.gatewayUrl;
}, 60_000);
afterAll(async () => {
  await system?.stop();
  await smtp.close();
});

/** A request whose answer goes into the haystack (unless it is the one that hands the secret out). */
async function call(path: string, init: RequestInit & { json?: unknown; token?: string } = {}, record = true) {
  const headers = new Headers(init.headers);
  if (init.json !== undefined) headers.set("content-type", "application/json");
  if (init.token) headers.set("authorization", `Bearer ${init.token}`);
  const res = await fetch(`${url}${path}`, { ...init, headers, body: init.json === undefined ? init.body : JSON.stringify(init.json) });
  const text = await res.text();
  if (record) responses.push(`${res.status} ${[...res.headers].join(" ")} ${text}`);
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const linkToken = async (to: string, subject: string) => {
  const mail = await waitFor(`"${subject}" to ${to}`, () => smtp.received.findLast((m) => m.to.includes(to) && m.mail.subject === subject));
  return decodeURIComponent(/#token=([\w%-]+)/.exec(mail.mail.text ?? "")![1]!);
};

async function rows(db: string, query: string): Promise<string> {
  const sql = postgres(db, { max: 1 });
  try {
    const result = await sql.unsafe(query);
    // bytea columns as text too: a secret in a protobuf payload is its UTF-8 bytes.
    return JSON.stringify(result, (_k, v) =>
      v && v.type === "Buffer" ? Buffer.from(v.data).toString("latin1") : v instanceof Uint8Array ? Buffer.from(v).toString("latin1") : v,
    );
  } finally {
    await sql.end();
  }
}

async function streamMessages(): Promise<string> {
  const nc = await connect({ servers: system.env.user.NATS_URL });
  try {
    const jsm = await nc.jetstreamManager();
    const { state } = await jsm.streams.info(system.stream.stream);
    const out: string[] = [];
    for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
      const m = await jsm.streams.getMessage(system.stream.stream, { seq }).catch(() => undefined);
      if (m)
        out.push(
          Buffer.from(m.data).toString("latin1"),
          JSON.stringify(m.header ? Object.fromEntries([...m.header.keys()].map((k) => [k, m.header!.get(k)])) : {}),
        );
    }
    expect(out.length).toBeGreaterThan(4);
    return out.join("\n");
  } finally {
    await nc.close();
  }
}

test("no password, hash, refresh token or link token is anywhere it should not be", async () => {
  const email = testEmail("secret");
  const password = "first secret passphrase 1";
  const newPassword = "second secret passphrase 2";
  const resetPassword = "third secret passphrase 3";
  const secrets: Record<string, string> = { password, newPassword, resetPassword };

  const created = await call("/users", { method: "POST", json: { name: "Sec Ret", email, password }, headers: { "idempotency-key": `k-${email}` } });
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  // A wrong-password attempt and a bad sign-up are logged and answered: with none of the password in them.
  expect((await call("/auth/login", { method: "POST", json: { email, password: `${password}x` } })).status).toBe(401);
  expect((await call("/users", { method: "POST", json: { name: "Sec Ret", email, password: newPassword } })).status).toBe(409);

  const first = await call("/auth/login", { method: "POST", json: { email, password } }, false);
  secrets.refresh1 = first.body.refresh_token;
  const second = await call("/auth/refresh", { method: "POST", json: { refresh_token: secrets.refresh1 } }, false);
  secrets.refresh2 = second.body.refresh_token;
  expect((await call("/auth/refresh", { method: "POST", json: { refresh_token: secrets.refresh1 } })).status).toBe(401);
  const token = second.body.access_token as string;
  expect((await call("/me", { token })).status).toBe(200);
  expect((await call(`/users/${id}`, { token, method: "PATCH", json: { name: "Sec Ret 2" } })).status).toBe(200);
  expect((await call("/me/password", { token, method: "POST", json: { current_password: password, new_password: newPassword } })).status).toBe(204);

  secrets.verifyToken = await linkToken(email, "Confirm your email address");
  expect((await call("/auth/verify-email", { method: "POST", json: { token: secrets.verifyToken } })).status).toBe(200);
  expect((await call("/auth/password-reset", { method: "POST", json: { email } })).status).toBe(202);
  secrets.resetToken = await linkToken(email, "Reset your password");
  expect((await call("/auth/password-reset/confirm", { method: "POST", json: { token: secrets.resetToken, new_password: resetPassword } })).status).toBe(204);
  const third = await login(url, email, resetPassword);
  secrets.refresh3 = third.refresh_token;
  await call("/auth/logout", { method: "POST", json: { refresh_token: secrets.refresh3 } });
  const invited = testEmail("invited");
  await call("/users", { token: system.admin.accessToken, method: "POST", json: { name: "Invitee", email: invited } });
  secrets.invitationToken = await linkToken(invited, "You are invited");
  expect((await call(`/users/${id}/notifications`, { token: third.access_token })).status).toBe(200);

  const [hash] = JSON.parse(await rows(system.databases.user.url, `select password_hash from users where id = '${id}'`)) as { password_hash: string }[];
  expect(hash!.password_hash).toStartWith("$argon2id$");
  secrets.hash = hash!.password_hash;
  // The hash's own salt and digest, on their own: a log that cut the PHC string would still leak them.
  secrets.hashDigest = hash!.password_hash.split("$").at(-1)!;

  // Every notification has been sent, so the worker holds no sealed token any more.
  const notificationDb = system.databases.notification.url;
  await waitFor(
    "every delivery to end",
    async () => JSON.parse(await rows(notificationDb, "select count(*)::int as n from deliveries where status = 'pending'"))[0].n === 0,
  );
  expect(JSON.parse(await rows(notificationDb, "select count(*)::int as n from notifications where sealed_token is not null"))[0].n).toBe(0);

  const logs = Object.values(system.apps).flatMap((a) => [...a.logs.map((l) => JSON.stringify(l)), ...a.text]);
  expect(logs.length).toBeGreaterThan(20);
  const haystacks: Record<string, string> = {
    logs: logs.join("\n"),
    stream: await streamMessages(),
    "API responses": responses.join("\n"),
  };
  // Every table of every service's database (outboxes, inboxes, dead letters, idempotency records,
  // tokens, notifications, ...): none holds a secret, but for the password hash in `users`.
  for (const [service, { url: dbUrl }] of Object.entries(system.databases)) {
    const tables = JSON.parse(
      await rows(dbUrl, "select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1"),
    ) as { table_name: string }[];
    expect(tables.length).toBeGreaterThan(2);
    for (const { table_name } of tables) haystacks[`${service} ${table_name}`] = await rows(dbUrl, `select * from "${table_name}"`);
  }
  const byDesign = (where: string, what: string) => where === "user users" && (what === "hash" || what === "hashDigest");
  // The haystacks hold what they should: this user's events and log lines.
  for (const where of ["logs", "stream", "user outbox", "user users", "notification notifications", "API responses"])
    expect({ where, found: haystacks[where]!.includes(id) }).toEqual({ where, found: true });
  for (const [where, haystack] of Object.entries(haystacks)) {
    for (const [what, secret] of Object.entries(secrets)) {
      if (byDesign(where, what)) continue;
      expect({ where, what, found: haystack.includes(secret) }).toEqual({ where, what, found: false });
    }
  }
});

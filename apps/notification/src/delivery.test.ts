// The Deliverer against the real PostgreSQL, sending through the real channels to a real SMTP
// server and real HTTP receivers: what arrives, retries, final states, suppression, leases.
import { afterAll, afterEach, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { createLogger, type Executor, openDatabase } from "@evented/core";
import { createDatabase, waitFor } from "@evented/testing";
import { eq, inArray, sql } from "drizzle-orm";
import { SMTP_USER, startSmtpReceiver, startWebhookReceiver } from "../test/receivers.ts";
import type { Channel } from "./channels.ts";
import { readConfig } from "./config.ts";
import { createChannels } from "./create-channels.ts";
import { Deliverer, type DelivererOptions } from "./deliverer.ts";
import { claimDue, eraseDepartedRecipients, finishDeliveries, insertNotification, markRecipientDeleted, type Outcome, saveRecipient } from "./repository.ts";
import * as schema from "./schema.ts";
import { type ChannelName, type Delivery, deliveries, notifications } from "./schema.ts";

setDefaultTimeout(30_000);

/** Every log line of the deliverer, parsed: the provider's own words must be there, and only there. */
const logged: Record<string, unknown>[] = [];
const log = createLogger("test", { level: "debug", destination: { write: (line: string) => void logged.push(JSON.parse(line)) } });
const detailsLogged = (deliveryId: number) => logged.filter((l) => l.deliveryId === deliveryId).map((l) => String(l.detail ?? ""));
const migrationsFolder = new URL("../../../drizzle/notification", import.meta.url).pathname;
const fast: DelivererOptions = { maxAttempts: 3, backoffMs: [50, 100], leaseMs: 5000, pollMs: 50, eraseEveryMs: 50 };

let database: Awaited<ReturnType<typeof createDatabase>>;
let db: Awaited<ReturnType<typeof openDatabase<typeof schema>>>["db"];
let closeDb: () => Promise<void>;
const cleanup: (() => unknown)[] = [];

beforeAll(async () => {
  database = await createDatabase("notification_delivery");
  ({ db, close: closeDb } = await openDatabase(database.url, schema, { log, migrationsFolder }));
});
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});
afterAll(async () => {
  await closeDb?.();
  await database?.drop();
});

/** Channels as the worker builds them from its environment, pointed at the test's receivers. */
function channelsFor(env: Record<string, string>): Record<ChannelName, Channel> {
  const channels = createChannels(readConfig({ NOTIFICATION_SEND_TIMEOUT_MS: "2000", ...env }).channels, log);
  cleanup.push(() => {
    for (const c of Object.values(channels)) c.close?.();
  });
  return channels;
}

function startDeliverer(channels: Record<ChannelName, Channel>, options: DelivererOptions = fast): Deliverer {
  const deliverer = new Deliverer(db, channels, log, options);
  deliverer.start();
  cleanup.push(() => deliverer.stop());
  return deliverer;
}

async function addUser(fields: { name?: string; email?: string; phone?: string } = {}): Promise<string> {
  const userId = Bun.randomUUIDv7();
  const { name = "Ada Lovelace", email = `ada.${userId.slice(-6)}@example.com`, phone = "+15550100" } = fields;
  await saveRecipient(db, { userId, name, email, phone }, 1);
  return userId;
}

async function notify(userId: string, kind: string, channels: ChannelName[], subject = `About ${kind}`, on: Executor = db): Promise<string> {
  const id = Bun.randomUUIDv7();
  const body = `Hi,\n\nthis is the ${kind} message.`;
  await insertNotification(on, { id, userId, kind, subject, body, eventId: Bun.randomUUIDv7(), eventType: "Test" }, channels);
  return id;
}

const deliveriesOf = (notificationId: string): Promise<Delivery[]> =>
  db.select().from(deliveries).where(eq(deliveries.notificationId, notificationId)).orderBy(deliveries.id);

/** Waits until every delivery of the notification has left "pending". */
const settled = (notificationId: string) =>
  waitFor(`deliveries of ${notificationId} to settle`, async () => {
    const ds = await deliveriesOf(notificationId);
    return ds.length > 0 && ds.every((d) => d.status !== "pending") && ds;
  });

test("email goes out over SMTP with auth: recipient, sender, subject, body and a Message-ID from the delivery", async () => {
  const smtp = await startSmtpReceiver();
  cleanup.push(smtp.close);
  startDeliverer(channelsFor({ SMTP_URL: smtp.url, EMAIL_FROM: "Evented Shop <notifications@shop.example>" }));
  const userId = await addUser({ name: "Ada Lovelace", email: "ada@example.com" });
  const id = await notify(userId, "welcome", ["email"], "Welcome aboard");

  const [d] = await settled(id);
  expect(d).toMatchObject({ channel: "email", status: "sent", attempts: 1, address: "ada@example.com", lastError: "" });
  expect(smtp.received).toHaveLength(1);
  const { to, user, mail } = smtp.received[0]!;
  expect(to).toEqual(["ada@example.com"]);
  expect(user).toBe(SMTP_USER);
  expect(mail.from?.value).toEqual([{ name: "Evented Shop", address: "notifications@shop.example" }]);
  expect(mail.to).toMatchObject({ value: [{ name: "Ada Lovelace", address: "ada@example.com" }] });
  expect(mail.subject).toBe("Welcome aboard");
  expect(mail.text?.trim()).toBe("Hi,\n\nthis is the welcome message.");
  expect(mail.messageId).toBe(`<delivery-${d!.id}.${id}@shop.example>`);
  expect(mail.headers.get("x-delivery-id")).toBe(String(d!.id));
});

test("SMS and push go to their webhooks as JSON with Idempotency-Key = notification id and channel and the bearer token", async () => {
  const sms = startWebhookReceiver();
  const push = startWebhookReceiver();
  cleanup.push(sms.stop, push.stop);
  startDeliverer(channelsFor({ SMS_WEBHOOK_URL: sms.url, SMS_WEBHOOK_TOKEN: "sms-token", PUSH_WEBHOOK_URL: push.url }));
  const userId = await addUser({ name: "Grace", phone: "+15550123" });
  const id = await notify(userId, "order_status", ["push", "sms"], "Order 42 is shipped");

  const ds = await settled(id);
  expect(ds.map((d) => [d.channel, d.status, d.attempts])).toEqual([
    ["push", "sent", 1],
    ["sms", "sent", 1],
  ]);
  const smsDelivery = ds.find((d) => d.channel === "sms")!;
  expect(sms.received).toHaveLength(1);
  const [smsReq] = sms.received;
  expect(smsReq!.headers.get("content-type")).toBe("application/json");
  expect(smsReq!.headers.get("idempotency-key")).toBe(`${id}:sms`);
  expect(smsReq!.headers.get("authorization")).toBe("Bearer sms-token");
  expect(smsReq!.body).toEqual({
    delivery_id: String(smsDelivery.id),
    notification_id: id,
    channel: "sms",
    to: "+15550123",
    user_id: userId,
    name: "Grace",
    kind: "order_status",
    subject: "Order 42 is shipped",
    body: "Hi,\n\nthis is the order_status message.",
  });
  expect(push.received).toHaveLength(1);
  expect(push.received[0]!.body).toMatchObject({ channel: "push", to: userId, kind: "order_status" });
  expect(push.received[0]!.headers.get("authorization")).toBeNull();
});

test("a provider that fails twice and then accepts: sent on the third attempt, same Idempotency-Key each time", async () => {
  const sms = startWebhookReceiver((n) => (n <= 2 ? 503 : 200));
  cleanup.push(sms.stop);
  startDeliverer(channelsFor({ SMS_WEBHOOK_URL: sms.url }));
  const id = await notify(await addUser(), "order_cancelled", ["sms"]);

  const [d] = await settled(id);
  expect(d).toMatchObject({ status: "sent", attempts: 3, lastError: "" });
  expect(sms.received.map((r) => r.headers.get("idempotency-key"))).toEqual([`${id}:sms`, `${id}:sms`, `${id}:sms`]);
});

test("a provider that always fails: failed after maxAttempts, with the error, and never tried again", async () => {
  const push = startWebhookReceiver(() => 500);
  cleanup.push(push.stop);
  startDeliverer(channelsFor({ PUSH_WEBHOOK_URL: push.url }));
  const id = await notify(await addUser(), "order_confirmation", ["push"]);

  const [d] = await settled(id);
  expect(d).toMatchObject({ status: "failed", attempts: 3, lastError: "provider_failed" });
  expect(detailsLogged(d!.id)).toContain('push webhook answered 500: {"error":"provider says no"}');
  expect(push.received).toHaveLength(3);
  await Bun.sleep(500); // ten poll intervals: a failed delivery is not picked up again
  expect(push.received).toHaveLength(3);
});

test("a provider that refuses the request (4xx) or an SMTP server that refuses the mailbox (550): failed at once", async () => {
  const sms = startWebhookReceiver(() => 422);
  const smtp = await startSmtpReceiver((address) => (address.startsWith("gone") ? 550 : undefined));
  cleanup.push(sms.stop, smtp.close);
  startDeliverer(channelsFor({ SMS_WEBHOOK_URL: sms.url, SMTP_URL: smtp.url, EMAIL_FROM: "notifications@shop.example" }));
  const id = await notify(await addUser({ email: "gone@example.com" }), "order_cancelled", ["email", "sms"]);

  const ds = await settled(id);
  expect(ds.map((d) => [d.channel, d.status, d.attempts])).toEqual([
    ["email", "failed", 1],
    ["sms", "failed", 1],
  ]);
  expect(ds.map((d) => d.lastError)).toEqual(["provider_refused", "provider_refused"]);
  expect(detailsLogged(ds[0]!.id).join("\n")).toContain("550");
  expect(detailsLogged(ds[1]!.id).join("\n")).toContain("sms webhook answered 422");
  expect(smtp.received).toHaveLength(0);
  expect(sms.received).toHaveLength(1);
});

test("an unreachable SMTP server is retried, then failed with the connection error", async () => {
  const smtp = await startSmtpReceiver();
  await smtp.close(); // nothing listens on its port any more
  startDeliverer(channelsFor({ SMTP_URL: smtp.url, EMAIL_FROM: "notifications@shop.example" }));
  const id = await notify(await addUser(), "welcome", ["email"]);

  const [d] = await settled(id);
  expect(d).toMatchObject({ status: "failed", attempts: 3, lastError: "provider_failed" });
  expect(detailsLogged(d!.id).at(-1)).toMatch(/^smtp (ECONNECTION|ESOCKET)/);
});

test("after UserDeleted only the goodbye is delivered; everything else is suppressed", async () => {
  const smtp = await startSmtpReceiver();
  const sms = startWebhookReceiver();
  cleanup.push(smtp.close, sms.stop);
  startDeliverer(channelsFor({ SMTP_URL: smtp.url, EMAIL_FROM: "notifications@shop.example", SMS_WEBHOOK_URL: sms.url }));
  // As UserDeleted does it: the goodbye is recorded with the deletion (else nothing is pending and the details go at once).
  const userId = await addUser({ email: "leaving@example.com" });
  // One transaction, so the deliverer cannot send the cancellation before the deletion is recorded.
  const { goodbye, cancelled } = await db.transaction(async (tx) => {
    const goodbye = await notify(userId, "account_deleted", ["email"], "Your account was deleted", tx);
    const cancelled = await notify(userId, "order_cancelled", ["email", "sms"], undefined, tx);
    await markRecipientDeleted(tx, userId);
    return { goodbye, cancelled };
  });

  expect((await settled(goodbye))[0]).toMatchObject({ status: "sent" });
  expect((await settled(cancelled)).map((d) => [d.status, d.lastError])).toEqual([
    ["suppressed", "account_deleted"],
    ["suppressed", "account_deleted"],
  ]);
  expect(smtp.received.map((r) => r.mail.subject)).toEqual(["Your account was deleted"]);
  expect(sms.received).toHaveLength(0);
});

test("once a deleted user's goodbye is out, their name, email, phone, message bodies and addresses are erased; others' stay", async () => {
  const smtp = await startSmtpReceiver();
  cleanup.push(smtp.close);
  startDeliverer(channelsFor({ SMTP_URL: smtp.url, EMAIL_FROM: "notifications@shop.example" }));
  const leaving = await addUser({ name: "Grace Hopper", email: "grace.leaving@example.com", phone: "+15550111" });
  const staying = await addUser({ name: "Ada Staying", email: "ada.staying@example.com" });
  const goodbye = await notify(leaving, "account_deleted", ["email"], "Your account was deleted");
  await markRecipientDeleted(db, leaving);
  const other = await notify(staying, "welcome", ["email"]);
  expect((await settled(goodbye))[0]).toMatchObject({ status: "sent" });
  expect((await settled(other))[0]).toMatchObject({ status: "sent", address: "ada.staying@example.com" });
  expect(smtp.received.flatMap((r) => r.to)).toContain("grace.leaving@example.com");

  const recipient = async (userId: string) => (await db.select().from(schema.recipients).where(eq(schema.recipients.userId, userId)))[0]!;
  await waitFor("the leaving user's details erased", async () => (await recipient(leaving)).email === "");
  expect(await recipient(leaving)).toMatchObject({ name: "", email: "", phone: "" });
  const [n] = await db.select().from(schema.notifications).where(eq(schema.notifications.id, goodbye));
  expect(n).toMatchObject({ body: "", subject: "Your account was deleted", kind: "account_deleted" });
  expect((await deliveriesOf(goodbye)).map((d) => [d.status, d.address])).toEqual([["sent", ""]]);
  // Nothing of anyone else.
  expect(await recipient(staying)).toMatchObject({ name: "Ada Staying", email: "ada.staying@example.com" });
  expect((await deliveriesOf(other))[0]!.address).toBe("ada.staying@example.com");
});

test("a deleted user's details are kept while a delivery to them is still pending", async () => {
  const userId = await addUser();
  await notify(userId, "account_deleted", ["email"]);
  await markRecipientDeleted(db, userId);
  // No deliverer runs: the goodbye stays pending, so nothing may be erased.
  expect(await eraseDepartedRecipients(db)).toBe(0);
  const [r] = await db.select().from(schema.recipients).where(eq(schema.recipients.userId, userId));
  expect(r!.email).not.toBe("");
});

test("a worker that dies mid-send: the lease runs out and another attempt delivers it", async () => {
  const push = startWebhookReceiver();
  cleanup.push(push.stop);
  const id = await notify(await addUser(), "order_confirmation", ["push"]);
  // A worker claims it with a short lease and then never finishes (it crashed).
  const claimed = await claimDue(db, 50, 300);
  expect(claimed.map((d) => d.notificationId)).toContain(id);

  startDeliverer(channelsFor({ PUSH_WEBHOOK_URL: push.url }));
  const [d] = await settled(id);
  expect(d).toMatchObject({ status: "sent", attempts: 2 });
  expect(push.received).toHaveLength(1);
});

test("an attempt that outlived its lease leaves the outcome of the attempt that took over as it is", async () => {
  const id = await notify(await addUser(), "order_confirmation", ["push"]);
  const mine = (claimed: Awaited<ReturnType<typeof claimDue>>) => claimed.find((d) => d.notificationId === id)!;
  // A worker claims it, then stalls past its lease (0 here); another claims it and sends it.
  const stalled = mine(await claimDue(db, 50, 0));
  const current = mine(await claimDue(db, 50, 60_000));
  expect([stalled.attempts, current.attempts]).toEqual([1, 2]);
  await finishDeliveries(db, [{ id: current.id, attempts: current.attempts, notification: current.notification, outcome: { status: "sent", address: "x" } }]);
  // The stalled one's send failed; its outcome comes last and must change nothing.
  const late: Outcome = { status: "pending", error: "provider_failed", retryInMs: 10 };
  await finishDeliveries(db, [{ id: stalled.id, attempts: stalled.attempts, notification: stalled.notification, outcome: late }]);
  expect(await deliveriesOf(id)).toMatchObject([{ status: "sent", attempts: 2, lastError: "" }]);
});

test("stopping with a backlog: the batch in hand is sent and recorded, no further batch is claimed", async () => {
  const push = startWebhookReceiver();
  cleanup.push(push.stop);
  const user = await addUser();
  const ids = await Promise.all(Array.from({ length: 6 }, () => notify(user, "order_confirmation", ["push"])));
  const deliverer = startDeliverer(channelsFor({ PUSH_WEBHOOK_URL: push.url }), { ...fast, batchSize: 2 });
  await deliverer.stop();
  const rows = (await Promise.all(ids.map(deliveriesOf))).flat();
  // One batch of 2 at most (an older delivery still due may have taken a place in it).
  const attempted = rows.filter((d) => d.attempts > 0);
  expect(attempted.length).toBeLessThanOrEqual(2);
  expect(attempted.every((d) => d.status === "sent")).toBe(true);
  expect(rows.filter((d) => d.attempts === 0).length).toBeGreaterThanOrEqual(4);
  expect(push.received).toHaveLength(attempted.length);
});

test("a delivery whose last attempt never finished is failed, not sent again and again", async () => {
  const push = startWebhookReceiver();
  cleanup.push(push.stop);
  const id = await notify(await addUser(), "order_confirmation", ["push"]);
  for (let i = 0; i < fast.maxAttempts!; i++) {
    await claimDue(db, 50, 0); // each claim is one attempt that crashed mid-send
  }

  startDeliverer(channelsFor({ PUSH_WEBHOOK_URL: push.url }));
  const [d] = await settled(id);
  expect(d).toMatchObject({ status: "failed", attempts: 4, lastError: "attempt_never_finished" });
  expect(detailsLogged(d!.id).join("\n")).toContain("the last one never finished");
  expect(push.received).toHaveLength(0);
});

test("no duplicates: two workers draining many deliveries send each one exactly once", async () => {
  const push = startWebhookReceiver();
  cleanup.push(push.stop);
  const users = await Promise.all(Array.from({ length: 5 }, () => addUser()));
  const ids = await Promise.all(Array.from({ length: 40 }, (_, i) => notify(users[i % users.length]!, "order_status", ["push"])));
  const channels = channelsFor({ PUSH_WEBHOOK_URL: push.url });
  startDeliverer(channels, { ...fast, batchSize: 7 });
  startDeliverer(channels, { ...fast, batchSize: 7 });

  for (const id of ids) expect((await settled(id))[0]).toMatchObject({ status: "sent", attempts: 1 });
  const keys = push.received.map((r) => r.headers.get("idempotency-key"));
  expect(keys).toHaveLength(40);
  expect(new Set(keys).size).toBe(40);
});

test("migration 0003 clears the sealed tokens an ended delivery left behind, and keeps a pending one's", async () => {
  const userId = await addUser();
  const [sent, pending] = [Bun.randomUUIDv7(), Bun.randomUUIDv7()];
  for (const id of [sent, pending]) {
    const n = { id, userId, kind: "verify_email", subject: "Confirm", body: "link", eventId: Bun.randomUUIDv7(), eventType: "Test" };
    await insertNotification(db, { ...n, sealedToken: Buffer.from("sealed") }, ["email"]);
  }
  // What the old two-statement form left after a crash between them: sent, token still there.
  await db.update(deliveries).set({ status: "sent" }).where(eq(deliveries.notificationId, sent));

  await db.execute(sql.raw(await Bun.file(new URL("../../../drizzle/notification/0003_clear_sent_secrets.sql", import.meta.url)).text()));
  const tokens = await db
    .select({ id: notifications.id, sealed: notifications.sealedToken })
    .from(notifications)
    .where(inArray(notifications.id, [sent, pending]));
  expect(Object.fromEntries(tokens.map((t) => [t.id, t.sealed !== null]))).toEqual({ [sent]: false, [pending]: true });
});

// The worker end to end, in-process: events published to a fresh JetStream stream are consumed,
// recorded in a fresh database and delivered to a real SMTP server and real HTTP receivers.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import {
  Bus,
  createLogger,
  type Envelope,
  encodeEvent,
  newEvent,
  openDatabase,
  type Payload,
  type RunningConsumers,
  startConsumers,
  subjectFor,
} from "@evented/core";
import { orderV1 } from "@evented/proto";
import { createDatabase, NATS_URL, uniqueStream, waitFor } from "@evented/testing";
import { startSmtpReceiver, startWebhookReceiver } from "../test/receivers.ts";
import { readConfig } from "./config.ts";
import { createChannels } from "./create-channels.ts";
import { Deliverer } from "./deliverer.ts";
import { DELETED_VERSION, eraseDepartedRecipients, findRecipient, listNotifications } from "./repository.ts";
import * as schema from "./schema.ts";
import { subscriptions } from "./subscriptions.ts";

setDefaultTimeout(30_000);

const log = createLogger("test", { level: "silent" });
const migrationsFolder = new URL("../../../drizzle/notification", import.meta.url).pathname;
const stream = uniqueStream();
const S = orderV1.OrderStatus;

let database: Awaited<ReturnType<typeof createDatabase>>;
let db: Awaited<ReturnType<typeof openDatabase<typeof schema>>>["db"];
let closeDb: () => Promise<void>;
let bus: Bus;
let deliverer: Deliverer;
let consumers: RunningConsumers;
let closeChannels: () => void;
const smtp = await startSmtpReceiver();
const sms = startWebhookReceiver();
const push = startWebhookReceiver();

beforeAll(async () => {
  database = await createDatabase("notification_worker");
  ({ db, close: closeDb } = await openDatabase(database.url, schema, { log, migrationsFolder }));
  bus = await Bus.connect({ url: NATS_URL, name: "notification-test", stream: stream.stream, prefix: stream.prefix, log });
  // The worker's own configuration path, with the channels pointed at this test's receivers.
  const config = readConfig({
    SMTP_URL: smtp.url,
    EMAIL_FROM: "Evented <notifications@shop.example>",
    SMS_WEBHOOK_URL: sms.url,
    PUSH_WEBHOOK_URL: push.url,
    NOTIFICATION_DELIVERY_POLL_MS: "100",
    NOTIFICATION_DELIVERY_BACKOFF_MS: "100",
  });
  const channels = createChannels(config.channels, log);
  closeChannels = () => {
    for (const c of Object.values(channels)) c.close?.();
  };
  // Erasure only when a test calls it (its first pass aside), so that a test sees what was there before.
  deliverer = new Deliverer(db, channels, log, { ...config.delivery, eraseEveryMs: 3_600_000 });
  deliverer.start();
  consumers = await startConsumers(subscriptions(deliverer), { bus, db, log, ackWaitMs: 5000 });
});

afterAll(async () => {
  await consumers?.stop();
  await deliverer?.stop();
  closeChannels?.();
  await bus?.close();
  await closeDb?.();
  await Promise.all([database?.drop(), stream.remove(), smtp.close(), push.stop(), sms.stop()]);
});

async function publish(aggregateId: string, payload: Payload): Promise<void> {
  await publishEvent(newEvent("test", aggregateId, payload));
}

async function publishEvent(event: Envelope): Promise<void> {
  await bus.publish(subjectFor(stream.prefix, event), encodeEvent(event), event.id, {});
}

const mailsTo = (address: string) => smtp.received.filter((m) => m.to.includes(address)).map((m) => m.mail.subject);
const requestsFor = (receiver: typeof sms, userId: string) => receiver.received.filter((r) => r.body.user_id === userId).map((r) => r.body.kind);

async function createUser(name: string, phone: string) {
  const userId = Bun.randomUUIDv7();
  const email = `${name.toLowerCase()}.${userId.slice(-8)}@example.com`;
  await publish(userId, { $case: "userCreated", value: { userId, name, email, phone } });
  // Order events travel apart from user events; wait for the contact details to be known.
  await waitFor("the welcome email", () => mailsTo(email).includes("Welcome aboard"));
  return { userId, name, email, phone };
}

test("every event becomes its notification for its user, delivered on its channels", async () => {
  const user = await createUser("Ada", "+15550111");
  const { userId, email } = user;
  const [order, other] = [Bun.randomUUIDv7(), Bun.randomUUIDv7()];
  await publish(userId, { $case: "userUpdated", value: { ...user, changedFields: ["phone"] } });
  await publish(order, {
    $case: "orderCreated",
    value: { orderId: order, userId, items: [{ productId: "456", quantity: 2, unitPrice: 1000 }], currency: "USD", total: 2000 },
  });
  await publish(order, {
    $case: "orderStatusUpdated",
    value: { orderId: order, userId, oldStatus: S.ORDER_STATUS_CONFIRMED, newStatus: S.ORDER_STATUS_SHIPPED },
  });
  await publish(other, { $case: "orderCancelled", value: { orderId: other, userId, previousStatus: S.ORDER_STATUS_PENDING, reason: "out of stock" } });

  const all = await waitFor("five notifications, all delivered", async () => {
    const ns = await listNotifications(db, userId, 50);
    return ns.length === 5 && ns.every((n) => n.deliveries.every((d) => d.status === "sent" && d.attempts === 1)) && ns;
  });
  expect(Object.fromEntries(all.map((n) => [n.kind, n.deliveries.map((d) => d.channel).sort()]))).toEqual({
    welcome: ["email"],
    profile_updated: ["email"],
    order_confirmation: ["email", "push"],
    order_status: ["push", "sms"],
    order_cancelled: ["email", "sms"],
  });
  expect(mailsTo(email).sort()).toEqual([`Order ${order} received`, `Order ${other} was cancelled`, "Welcome aboard", "Your profile was updated"].sort());
  const confirmation = smtp.received.find((m) => m.mail.subject === `Order ${order} received`)!.mail;
  expect(confirmation.text).toContain("Hi Ada,");
  expect(confirmation.text).toContain("2 item(s), total $20.00");
  expect(requestsFor(push, userId).sort()).toEqual(["order_confirmation", "order_status"]);
  expect(requestsFor(sms, userId).sort()).toEqual(["order_cancelled", "order_status"]);
  expect(sms.received.filter((r) => r.body.user_id === userId).map((r) => r.body.to)).toEqual(["+15550111", "+15550111"]);
});

test("a deleted user gets the goodbye and nothing after it", async () => {
  const user = await createUser("Bob", "+15550122");
  const { userId, email } = user;
  // Written before the deletion, handed over after it (a retry): it must not bring details back.
  const late = newEvent("test", { id: userId, version: 2 }, { $case: "userUpdated", value: { ...user, email: `late.${email}`, changedFields: ["email"] } });
  await publish(userId, { $case: "userDeleted", value: user });
  await waitFor("the goodbye email", () => mailsTo(email).includes("Your account was deleted"));
  await publishEvent(late);
  const order = Bun.randomUUIDv7();
  await publish(order, { $case: "orderCancelled", value: { orderId: order, userId, previousStatus: S.ORDER_STATUS_PENDING, reason: "user account deleted" } });

  const cancelled = await waitFor("the cancellation to be recorded and settled", async () => {
    const n = (await listNotifications(db, userId, 50)).find((n) => n.kind === "order_cancelled");
    return n?.deliveries.every((d) => d.status !== "pending") && n;
  });
  expect(cancelled.deliveries.map((d) => [d.channel, d.status])).toEqual([
    ["email", "suppressed"],
    ["sms", "suppressed"],
  ]);
  const lateUpdate = await waitFor("the late update to be recorded and settled", async () => {
    const n = (await listNotifications(db, userId, 50)).find((n) => n.eventId === late.id);
    return n?.deliveries.every((d) => d.status !== "pending") && n;
  });
  expect(lateUpdate.deliveries.map((d) => d.status)).toEqual(["suppressed"]);
  expect(await findRecipient(db, userId)).toMatchObject({ version: DELETED_VERSION });
  expect((await findRecipient(db, userId))?.email).not.toBe(`late.${email}`);
  expect(mailsTo(email)).toEqual(["Welcome aboard", "Your account was deleted"]);
  expect(mailsTo(`late.${email}`)).toEqual([]);
  expect(requestsFor(sms, userId)).toEqual([]);
});

test("a change that comes after a newer one (its retry) does not bring the older details back", async () => {
  const user = await createUser("Cleo", "+15550133");
  const { userId } = user;
  const [older, newer] = ["cleo.older", "cleo.newer"].map((local, i) =>
    newEvent(
      "test",
      { id: userId, version: 2 + i },
      { $case: "userUpdated", value: { ...user, email: `${local}.${userId.slice(-8)}@example.com`, changedFields: ["email"] } },
    ),
  );
  // The order JetStream hands them over in when the older one's handler failed and was retried.
  await publishEvent(newer!);
  await waitFor("the newer address to be kept", async () => (await findRecipient(db, userId))?.email === `cleo.newer.${userId.slice(-8)}@example.com`);
  await publishEvent(older!);

  const updates = await waitFor("both updates notified and sent", async () => {
    const ns = (await listNotifications(db, userId, 50)).filter((n) => n.kind === "profile_updated");
    return ns.length === 2 && ns.every((n) => n.deliveries.every((d) => d.status === "sent")) && ns;
  });
  expect(updates.map((n) => n.eventId).sort()).toEqual([older!.id, newer!.id].sort());
  expect(await findRecipient(db, userId)).toMatchObject({ email: `cleo.newer.${userId.slice(-8)}@example.com`, version: 3 });
  expect(mailsTo(`cleo.older.${userId.slice(-8)}@example.com`)).toEqual([]);
  expect(mailsTo(`cleo.newer.${userId.slice(-8)}@example.com`)).toEqual(["Your profile was updated", "Your profile was updated"]);
});

test("a creation that comes after the deletion (its retry) leaves the user deleted, and what it brought is erased", async () => {
  const userId = Bun.randomUUIDv7();
  const email = `dora.${userId.slice(-8)}@example.com`;
  const created = newEvent("test", { id: userId, version: 1 }, { $case: "userCreated", value: { userId, name: "Dora", email, phone: "+15550144" } });
  const invited = newEvent("test", userId, {
    $case: "accountEmailRequested",
    value: { userId, purpose: "invitation", email, name: "Dora", sealedToken: Buffer.alloc(40), expiresAt: new Date(Date.now() + 3600_000).toISOString() },
  });
  await publish(userId, { $case: "userDeleted", value: { userId, name: "", email: "", phone: "" } });
  await waitFor("the deletion to be applied", async () => (await findRecipient(db, userId))?.deletedAt);
  // Erased already (nothing to send), before the retries come: they must mark it for erasure again.
  await waitFor("the goodbye to be settled and the user erased", async () => {
    await eraseDepartedRecipients(db);
    return (await findRecipient(db, userId))?.erasedAt;
  });
  await publishEvent(created);
  await publishEvent(invited);

  const late = await waitFor("the late welcome and invitation to be recorded and settled", async () => {
    const ns = (await listNotifications(db, userId, 50)).filter((n) => n.eventId === created.id || n.eventId === invited.id);
    return ns.length === 2 && ns.every((n) => n.deliveries.every((d) => d.status !== "pending")) && ns;
  });
  expect(late.flatMap((n) => n.deliveries.map((d) => d.status))).toEqual(["suppressed", "suppressed"]);
  expect(await findRecipient(db, userId)).toMatchObject({ name: "", email: "", phone: "", version: DELETED_VERSION, erasedAt: null });
  expect(late.find((n) => n.eventId === invited.id)).toMatchObject({ toAddress: email, body: expect.stringContaining("Hi Dora,") });
  // The deliverer's erasure (every 10 s; called here) takes what the invitation holds of her too.
  await eraseDepartedRecipients(db);
  const erased = (await listNotifications(db, userId, 50)).find((n) => n.eventId === invited.id)!;
  expect([erased.body, erased.toAddress, erased.sealedToken]).toEqual(["", null, null]);
  expect(mailsTo(email)).toEqual([]);
});

test("a change with no version (from a user service not yet upgraded, in a rolling upgrade) is applied as it comes", async () => {
  const userId = Bun.randomUUIDv7();
  const email = (local: string) => `${local}.${userId.slice(-8)}@example.com`;
  await publishEvent(newEvent("test", { id: userId, version: 1 }, { $case: "userCreated", value: { userId, name: "Eve", email: email("eve"), phone: "" } }));
  await waitFor("the copy at version 1", async () => (await findRecipient(db, userId))?.version === 1);
  await publish(userId, { $case: "userUpdated", value: { userId, name: "Eve", email: email("eve.moved"), phone: "", changedFields: ["email"] } });
  await waitFor("the unversioned change to be applied", async () => (await findRecipient(db, userId))?.email === email("eve.moved"));
  // It keeps the version it had: an older versioned event that comes later still leaves the copy.
  expect(await findRecipient(db, userId)).toMatchObject({ version: 1 });
});

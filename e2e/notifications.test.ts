// Notifications through the whole system, as run in production: the notification app configured
// by environment with a real SMTP server and real HTTP providers, driven through the gateway.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { createClient } from "@evented/client";
import { type System, startSystem, waitFor } from "@evented/testing";
import { SMTP_PASS, startSmtpReceiver, startWebhookReceiver } from "../apps/notification/test/receivers.ts";

setDefaultTimeout(30_000);

let system: System;
let api: ReturnType<typeof createClient>;
const smtp = await startSmtpReceiver();
const sms = startWebhookReceiver();
const push = startWebhookReceiver();

beforeAll(async () => {
  system = await startSystem({
    env: {
      notification: {
        SMTP_URL: smtp.url,
        EMAIL_FROM: "Evented <notifications@shop.example>",
        SMS_WEBHOOK_URL: sms.url,
        PUSH_WEBHOOK_URL: push.url,
        PUSH_WEBHOOK_TOKEN: "push-token",
        NOTIFICATION_DELIVERY_POLL_MS: "200",
        NOTIFICATION_DELIVERY_BACKOFF_MS: "200",
      },
    },
  });
  api = createClient(system.gatewayUrl, { token: system.admin.accessToken });
}, 60_000);
afterAll(async () => {
  await system?.stop();
  await Promise.all([smtp.close(), sms.stop(), push.stop()]);
});

test("a user is welcomed by email, told about an order, and after deleting the account gets only the goodbye", async () => {
  const email = `lin.${Date.now()}@example.com`;
  const { data: user } = await api.users.post({ name: "Lin", email, phone: "+14155550123" });
  const subjects = () => smtp.received.filter((m) => m.to.includes(email)).map((m) => m.mail.subject);
  await waitFor("the welcome email", () => subjects().includes("Welcome aboard"));
  // Made by an admin without a password, the user is also invited to set one.
  await waitFor("the invitation", () => subjects().includes("You are invited"));

  const { data: order } = await api.orders.post({ user_id: user!.id, items: [{ product_id: "456", quantity: 2 }] });
  await waitFor(
    "the order confirmation by email and push",
    () => subjects().includes(`Order ${order!.id} received`) && push.received.some((r) => r.body.user_id === user!.id),
  );
  const confirmationPush = push.received.find((r) => r.body.user_id === user!.id)!;
  expect(confirmationPush.body).toMatchObject({ channel: "push", kind: "order_confirmation", to: user!.id });
  expect(confirmationPush.headers.get("authorization")).toBe("Bearer push-token");

  // Deleting the user cancels the open order (order service); its notification must not go out.
  expect((await api.users({ id: user!.id }).delete()).status).toBe(204);
  const listed = await waitFor("the goodbye sent and the cancellation suppressed", async () => {
    const { data } = await api.users({ id: user!.id }).notifications.get({ query: {} });
    const byKind = new Map(data?.notifications.map((n) => [n.kind, n.deliveries]));
    const done = byKind.get("account_deleted")?.every((d) => d.status === "sent") && byKind.get("order_cancelled")?.every((d) => d.status !== "pending");
    return done && byKind;
  });
  expect(listed.get("order_cancelled")!.map((d) => [d.channel, d.status, d.last_error])).toEqual([
    ["email", "suppressed", "account_deleted"],
    ["sms", "suppressed", "account_deleted"],
  ]);
  expect(subjects().filter((s) => s !== "You are invited")).toEqual(["Welcome aboard", `Order ${order!.id} received`, "Your account was deleted"]);
  expect(subjects().filter((s) => s === "You are invited")).toHaveLength(1);
  expect(sms.received.filter((r) => r.body.user_id === user!.id)).toEqual([]);

  // The app said where it sends, without the SMTP password.
  const logs = system.apps.notification.logs;
  expect(logs.find((l) => l.msg === "notification channels")).toMatchObject({ email: expect.stringMatching(/^smtp:\/\/127\.0\.0\.1:\d+$/), sms: sms.url });
  expect(JSON.stringify(logs) + system.apps.notification.text.join("\n")).not.toContain(SMTP_PASS);
});

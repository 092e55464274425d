import { describe, expect, test } from "bun:test";
import { newEvent, type Payload } from "@evented/core";
import { orderV1 } from "@evented/proto";
import { formatMoney, KINDS, messageFor } from "./messages.ts";

const userId = "01900000-0000-7000-8000-000000000001";
const orderId = "01900000-0000-7000-8000-0000000000aa";
const event = (payload: Payload) => newEvent("test", userId, payload);
const S = orderV1.OrderStatus;

describe("messageFor: one notification per event, to the event's user, on the right channels", () => {
  test("UserCreated -> welcome email", () => {
    const m = messageFor(event({ $case: "userCreated", value: { userId, name: "Ada", email: "ada@example.com", phone: "" } }), "Ada", false);
    expect(m).toEqual({ userId, kind: "welcome", subject: "Welcome aboard", body: expect.stringContaining("Hi Ada,"), channels: ["email"] });
  });

  test("UserUpdated -> profile_updated email naming the changed fields", () => {
    const payload: Payload = { $case: "userUpdated", value: { userId, name: "Ada", email: "new@example.com", phone: "", changedFields: ["email", "phone"] } };
    const m = messageFor(event(payload), "Ada", true);
    expect(m).toMatchObject({ userId, kind: "profile_updated", subject: "Your profile was updated", channels: ["email"] });
    expect(m!.body).toContain("email, phone");
  });

  test("UserDeleted -> account_deleted email (the goodbye)", () => {
    const m = messageFor(event({ $case: "userDeleted", value: { userId, name: "Ada", email: "ada@example.com", phone: "+15550100" } }), "Ada", true);
    expect(m).toMatchObject({ userId, kind: "account_deleted", subject: "Your account was deleted", channels: ["email"] });
  });

  test("OrderCreated -> order_confirmation by email and push, with item count and total", () => {
    const items = [
      { productId: "p1", quantity: 2, unitPrice: 1250 },
      { productId: "p2", quantity: 1, unitPrice: 500 },
    ];
    const m = messageFor(event({ $case: "orderCreated", value: { orderId, userId, items, currency: "EUR", total: 3000 } }), "Ada", true);
    expect(m).toMatchObject({ userId, kind: "order_confirmation", subject: `Order ${orderId} received`, channels: ["email", "push"] });
    expect(m!.body).toContain("3 item(s), total €30.00");
  });

  test("OrderStatusUpdated -> order_status by push; shipped also by SMS when a phone is known", () => {
    const status = (newStatus: orderV1.OrderStatus, hasPhone: boolean) =>
      messageFor(event({ $case: "orderStatusUpdated", value: { orderId, userId, oldStatus: S.ORDER_STATUS_PENDING, newStatus } }), "", hasPhone);
    expect(status(S.ORDER_STATUS_CONFIRMED, true)).toMatchObject({ kind: "order_status", subject: `Order ${orderId} is confirmed`, channels: ["push"] });
    expect(status(S.ORDER_STATUS_SHIPPED, true)!.channels).toEqual(["push", "sms"]);
    expect(status(S.ORDER_STATUS_SHIPPED, false)!.channels).toEqual(["push"]);
    expect(status(S.ORDER_STATUS_COMPLETED, false)!.body).toBe(`Hello,\n\nyour order ${orderId} is now completed.`);
  });

  test("OrderCancelled -> order_cancelled by email, and SMS when a phone is known, with the reason", () => {
    const cancelled = (hasPhone: boolean) =>
      messageFor(
        event({ $case: "orderCancelled", value: { orderId, userId, previousStatus: S.ORDER_STATUS_PENDING, reason: "user account deleted" } }),
        "Ada",
        hasPhone,
      );
    expect(cancelled(true)).toMatchObject({ userId, kind: "order_cancelled", subject: `Order ${orderId} was cancelled`, channels: ["email", "sms"] });
    expect(cancelled(false)!.channels).toEqual(["email"]);
    expect(cancelled(false)!.body).toContain("was cancelled: user account deleted.");
  });

  test("an event without a payload is no input (decodeEvent refuses it, the consumer dead-letters it)", () => {
    const bare = { ...event({ $case: "userCreated", value: { userId, name: "", email: "", phone: "" } }), payload: undefined };
    // @ts-expect-error every message is made from an event with its payload: there is no "nothing to say"
    expect(() => messageFor(bare, "", false)).toThrow();
  });
});

test("formatMoney reads minor units by the currency's own digits", () => {
  expect(formatMoney(1999, "USD")).toBe("$19.99");
  expect(formatMoney(500, "JPY")).toBe("¥500");
  expect(formatMoney(42, "???")).toBe("42 ??? (minor units)");
});

test("KINDS is the policy's matrix: every message's kind is in it, on channels it lists", () => {
  const some = { userId, name: "Ada", email: "ada@example.com", phone: "+15550100" };
  const order = { orderId, userId };
  const payloads: Payload[] = [
    { $case: "userCreated", value: some },
    { $case: "userUpdated", value: { ...some, changedFields: ["name"] } },
    { $case: "userDeleted", value: some },
    ...["verify_email", "password_reset", "invitation"].map(
      (purpose): Payload => ({ $case: "accountEmailRequested", value: { ...some, purpose, sealedToken: Buffer.from("") } }),
    ),
    { $case: "orderCreated", value: { ...order, items: [], currency: "USD", total: 0 } },
    { $case: "orderStatusUpdated", value: { ...order, oldStatus: S.ORDER_STATUS_PENDING, newStatus: S.ORDER_STATUS_SHIPPED } },
    { $case: "orderCancelled", value: { ...order, reason: "", previousStatus: S.ORDER_STATUS_PENDING } },
  ];
  const seen = new Set<string>();
  for (const p of payloads) {
    const m = messageFor(event(p), "Ada", true);
    const channels = (KINDS as Record<string, readonly string[]>)[m.kind];
    expect({ kind: m.kind, channels: m.channels.filter((c) => !channels?.includes(c)) }).toEqual({ kind: m.kind, channels: [] });
    seen.add(m.kind);
  }
  expect([...seen].sort()).toEqual(Object.keys(KINDS).sort());
});

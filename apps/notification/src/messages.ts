import { type Envelope, orderStatusFromProto } from "@evented/core";
import type { ChannelName } from "./schema.ts";

/** What to tell whom about one event, and on which channels. */
export interface Message {
  userId: string;
  kind: string;
  subject: string;
  body: string;
  channels: ChannelName[];
}

/**
 * The notification policy, as one table of cases. `name` is the recipient's name when known;
 * SMS goes only where a phone number is known.
 */
export function messageFor(event: Envelope, name: string, hasPhone: boolean): Message | undefined {
  const hello = name ? `Hi ${name},` : "Hello,";
  const sms: ChannelName[] = hasPhone ? ["sms"] : [];
  const p = event.payload;
  switch (p?.$case) {
    case "userCreated":
      return {
        userId: p.value.userId,
        kind: "welcome",
        subject: "Welcome aboard",
        body: `${hello}\n\nyour account is ready. We will keep you posted about your orders here.`,
        channels: ["email"],
      };
    case "userUpdated":
      return {
        userId: p.value.userId,
        kind: "profile_updated",
        subject: "Your profile was updated",
        body: `${hello}\n\nthese details of your profile changed: ${p.value.changedFields.join(", ")}. If this was not you, contact support.`,
        channels: ["email"],
      };
    case "userDeleted":
      return {
        userId: p.value.userId,
        kind: "account_deleted",
        subject: "Your account was deleted",
        body: `${hello}\n\nyour account and its open orders were closed. We are sorry to see you go.`,
        channels: ["email"],
      };
    case "orderCreated": {
      const { orderId, items, total, currency } = p.value;
      const count = items.reduce((n, i) => n + i.quantity, 0);
      return {
        userId: p.value.userId,
        kind: "order_confirmation",
        subject: `Order ${orderId} received`,
        body: `${hello}\n\nwe received your order ${orderId} of ${count} item(s), total ${formatMoney(total, currency)}.`,
        channels: ["email", "push"],
      };
    }
    case "orderStatusUpdated": {
      const status = orderStatusFromProto(p.value.newStatus) ?? "updated";
      return {
        userId: p.value.userId,
        kind: "order_status",
        subject: `Order ${p.value.orderId} is ${status}`,
        body: `${hello}\n\nyour order ${p.value.orderId} is now ${status}.`,
        channels: status === "shipped" ? ["push", ...sms] : ["push"],
      };
    }
    case "orderCancelled":
      return {
        userId: p.value.userId,
        kind: "order_cancelled",
        subject: `Order ${p.value.orderId} was cancelled`,
        body: `${hello}\n\nyour order ${p.value.orderId} was cancelled${p.value.reason ? `: ${p.value.reason}` : ""}.`,
        channels: ["email", ...sms],
      };
    default:
      return undefined;
  }
}

const formats = new Map<string, Intl.NumberFormat>();

export function formatMoney(minor: number, currency: string): string {
  try {
    let format = formats.get(currency);
    if (!format) formats.set(currency, (format = new Intl.NumberFormat("en", { style: "currency", currency })));
    return format.format(minor / 10 ** (format.resolvedOptions().maximumFractionDigits ?? 2));
  } catch {
    return `${minor} ${currency} (minor units)`;
  }
}

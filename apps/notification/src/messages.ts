import { type EventCase, type EventOf, orderStatusFromProto, type PayloadOf } from "@evented/core";
import { LINK } from "./links.ts";
import type { ChannelName } from "./schema.ts";

/** What to tell whom about one event, and on which channels. */
export interface Message {
  userId: string;
  kind: string;
  subject: string;
  body: string;
  channels: ChannelName[];
  /** Link emails: the address to send to, and the sealed token the link is made of at send time. */
  toAddress?: string;
  sealedToken?: Uint8Array;
}

/** Who a message goes to: their name when known, and whether a phone number is. */
interface To {
  hello: string;
  sms: ChannelName[];
}

/**
 * The notification policy: one message per event type, for the event's user. A total map: an
 * event type without its message here does not compile. SMS goes only where a phone is known.
 */
const MESSAGES: { [K in EventCase]: (payload: PayloadOf<K>, to: To) => Message } = {
  userCreated: (p, { hello }) => ({
    userId: p.userId,
    kind: "welcome",
    subject: "Welcome aboard",
    body: `${hello}\n\nyour account is ready. We will keep you posted about your orders here.`,
    channels: ["email"],
  }),
  userUpdated: (p, { hello }) => ({
    userId: p.userId,
    kind: "profile_updated",
    subject: "Your profile was updated",
    body: `${hello}\n\nthese details of your profile changed: ${p.changedFields.join(", ")}. If this was not you, contact support.`,
    channels: ["email"],
  }),
  userDeleted: (p, { hello }) => ({
    userId: p.userId,
    kind: "account_deleted",
    subject: "Your account was deleted",
    body: `${hello}\n\nyour account and its open orders were closed. We are sorry to see you go.`,
    channels: ["email"],
  }),
  // A single-use link: links.ts puts it in at send time; an unknown purpose is recorded, not sent.
  accountEmailRequested: ({ userId, purpose, email, name, sealedToken }, { hello }) => {
    const text = LINK_TEXTS[purpose];
    if (!text) return { userId, kind: purpose, subject: "", body: "", channels: [] };
    const greeting = name ? `Hi ${name},` : hello;
    return {
      userId,
      kind: purpose,
      subject: text.subject,
      body: `${greeting}\n\n${text.body}\n\n${LINK}\n\n${text.after}`,
      channels: ["email"],
      toAddress: email,
      sealedToken,
    };
  },
  orderCreated: ({ userId, orderId, items, total, currency }, { hello }) => {
    const count = items.reduce((n, i) => n + i.quantity, 0);
    return {
      userId,
      kind: "order_confirmation",
      subject: `Order ${orderId} received`,
      body: `${hello}\n\nwe received your order ${orderId} of ${count} item(s), total ${formatMoney(total, currency)}.`,
      channels: ["email", "push"],
    };
  },
  orderStatusUpdated: (p, { hello, sms }) => {
    const status = orderStatusFromProto(p.newStatus) ?? "updated";
    return {
      userId: p.userId,
      kind: "order_status",
      subject: `Order ${p.orderId} is ${status}`,
      body: `${hello}\n\nyour order ${p.orderId} is now ${status}.`,
      channels: status === "shipped" ? ["push", ...sms] : ["push"],
    };
  },
  orderCancelled: (p, { hello, sms }) => ({
    userId: p.userId,
    kind: "order_cancelled",
    subject: `Order ${p.orderId} was cancelled`,
    body: `${hello}\n\nyour order ${p.orderId} was cancelled${p.reason ? `: ${p.reason}` : ""}.`,
    channels: ["email", ...sms],
  }),
};

/**
 * Every kind the policy above sends, with every channel it may use (SMS only where a phone is
 * known): the matrix of notification preferences. messages.test.ts holds MESSAGES to it.
 */
export const KINDS = {
  welcome: ["email"],
  profile_updated: ["email"],
  account_deleted: ["email"],
  verify_email: ["email"],
  password_reset: ["email"],
  invitation: ["email"],
  order_confirmation: ["email", "push"],
  order_status: ["push", "sms"],
  order_cancelled: ["email", "sms"],
} as const satisfies Record<string, readonly ChannelName[]>;
export type Kind = keyof typeof KINDS;

/**
 * Links to get into an account (confirm an address, reset a password, accept an invitation):
 * always sent. Switching them off would lock a user out of their account (or hide from them that
 * someone else asked for a reset), so preferences cannot turn them off.
 */
export const LOCKED_KINDS: ReadonlySet<string> = new Set<Kind>(["verify_email", "password_reset", "invitation"]);

/** The message for one event; `name` is the recipient's name when known. */
export function messageFor(event: EventOf, name: string, hasPhone: boolean): Message {
  return compose(event.payload, { hello: name ? `Hi ${name},` : "Hello,", sms: hasPhone ? ["sms"] : [] });
}

const compose = <K extends EventCase>(payload: { $case: K; value: PayloadOf<K> }, to: To): Message => MESSAGES[payload.$case](payload.value, to);

/** What each link email says around its link. */
const LINK_TEXTS: Record<string, { subject: string; body: string; after: string }> = {
  verify_email: {
    subject: "Confirm your email address",
    body: "please confirm this address for your account by opening this link (valid for 24 hours, once):",
    after: "If you did not ask for this, ignore this email.",
  },
  password_reset: {
    subject: "Reset your password",
    body: "someone asked to reset the password of your account. To choose a new one, open this link (valid for an hour, once):",
    after: "If it was not you, ignore this email: your password stays as it is.",
  },
  invitation: {
    subject: "You are invited",
    body: "an account was made for you. Open this link to choose your password (valid for 7 days, once):",
    after: "If you did not expect this, ignore this email.",
  },
};

const formats = new Map<string, Intl.NumberFormat>();

export function formatMoney(minor: number, currency: string): string {
  try {
    let format = formats.get(currency);
    if (!format) {
      format = new Intl.NumberFormat("en", { style: "currency", currency });
      formats.set(currency, format);
    }
    return format.format(minor / 10 ** (format.resolvedOptions().maximumFractionDigits ?? 2));
  } catch {
    return `${minor} ${currency} (minor units)`;
  }
}

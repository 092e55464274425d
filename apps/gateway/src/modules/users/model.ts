import { LIMITS, PASSWORD_MAX, PASSWORD_MIN, PHONE_PATTERN } from "@evented/core";
import type { notificationV1, userV1 } from "@evented/proto";
import { t } from "elysia";
import { Email, Id, NextPageToken, PageQuery, Time } from "../shared.ts";

const Name = t.String({ minLength: 1, maxLength: LIMITS.nameMax, error: `name must be 1 to ${LIMITS.nameMax} characters`, examples: ["John Doe"] });
const Phone = t.String({ pattern: `${PHONE_PATTERN}|^$`, error: "phone must be in E.164 form, e.g. +14155550123", examples: ["+14155550123"] });

// Response models carry a `description`, not a `title`: the docs plugin moves both onto the
// OpenAPI response object, which must have a description and may not have a title.
export const User = t.Object(
  {
    id: Id(),
    name: t.String({ examples: ["John Doe"] }),
    email: t.String({ examples: ["john@example.com"] }),
    phone: t.String({ description: "E.164, or empty", examples: ["+14155550123"] }),
    role: t.Union([t.Literal("customer"), t.Literal("admin")], { examples: ["customer"] }),
    email_verified: t.Boolean({ description: "Whether the link sent to the email was opened", examples: [false] }),
    pending_email: t.String({ description: "A new address waiting for its verification link (then it becomes `email`); empty when none", examples: [""] }),
    created_at: Time,
    updated_at: Time,
  },
  { description: "The user" },
);

export const Password = t.String({
  minLength: PASSWORD_MIN,
  maxLength: PASSWORD_MAX,
  description: `${PASSWORD_MIN} to ${PASSWORD_MAX} characters, any (a long passphrase is best); never stored or shown`,
  error: `password must be ${PASSWORD_MIN} to ${PASSWORD_MAX} characters`,
  examples: ["correct horse battery staple"],
});
export const Role = t.Union([t.Literal("customer"), t.Literal("admin")], {
  description: "Only an admin may create an admin",
  error: "role must be customer or admin",
});

export const CreateUserBody = t.Object(
  { name: Name, email: Email, phone: t.Optional(Phone), password: t.Optional(Password), role: t.Optional(Role) },
  {
    title: "CreateUser",
    description: "Sign-up: with a password, no token needed. An admin may leave the password out: the user gets an invitation email to set one.",
    examples: [{ name: "John Doe", email: "john@example.com", phone: "+14155550123", password: "correct horse battery staple" }],
  },
);
export const UpdateUserBody = t.Object(
  { name: t.Optional(Name), email: t.Optional(Email), phone: t.Optional(Phone) },
  { title: "UpdateUser", description: "Only the fields given change; an empty phone removes it.", examples: [{ email: "john.doe@example.com" }] },
);
// A list carries what finding a user needs, not their contact details beyond the email: the phone
// and an address waiting for verification are in GET /users/{id}.
export const UserSummary = t.Omit(User, ["phone", "pending_email", "updated_at"], { description: "A user, as a list shows them" });
export const UserPage = t.Object({ users: t.Array(UserSummary), next_page_token: NextPageToken }, { description: "A page of users, newest first" });
export const ListUsersQuery = t.Object(PageQuery);

export const Delivery = t.Object({
  channel: t.Union([t.Literal("email"), t.Literal("sms"), t.Literal("push")]),
  status: t.Union([t.Literal("pending"), t.Literal("sent"), t.Literal("failed"), t.Literal("suppressed")]),
  attempts: t.Integer({ examples: [1] }),
  last_error: t.String({
    description:
      "Why it is not sent, as a code; empty if it is: provider_refused (for good), provider_failed (after its retries, or the last one failed), " +
      "no_contact_details, no_address (nothing to send to on this channel), account_deleted, attempt_never_finished. The provider's own words are in the worker's log only.",
    examples: [""],
  }),
  sent_at: t.Union([Time, t.Null()]),
});

export const Notification = t.Object(
  {
    id: Id(),
    user_id: Id("user_id"),
    kind: t.String({ examples: ["welcome"] }),
    subject: t.String({ examples: ["Welcome, John Doe"] }),
    body: t.String({ examples: ["Your account is ready."] }),
    event_id: Id("event_id"),
    event_type: t.String({ examples: ["UserCreated"] }),
    deliveries: t.Array(Delivery),
    created_at: Time,
  },
  { title: "Notification" },
);
export const NotificationPage = t.Object(
  { notifications: t.Array(Notification), next_page_token: NextPageToken },
  { description: "A page of the user's notifications, newest first" },
);

export function toUser(u: userV1.User | undefined): typeof User.static {
  if (!u) throw new Error("service answered without a user");
  return {
    id: u.id,
    name: u.name,
    email: u.email,
    phone: u.phone,
    role: u.role === "admin" ? "admin" : "customer",
    email_verified: u.emailVerified,
    pending_email: u.pendingEmail,
    created_at: u.createdAt ?? "",
    updated_at: u.updatedAt ?? "",
  };
}

export function toUserSummary(u: userV1.User): typeof UserSummary.static {
  const { phone: _, pending_email: __, updated_at: ___, ...summary } = toUser(u);
  return summary;
}

export function toNotification(n: notificationV1.Notification): typeof Notification.static {
  return {
    id: n.id,
    user_id: n.userId,
    kind: n.kind,
    subject: n.subject,
    body: n.body,
    event_id: n.eventId,
    event_type: n.eventType,
    created_at: n.createdAt ?? "",
    deliveries: n.deliveries.map((d) => ({
      channel: d.channel as "email" | "sms" | "push",
      status: d.status as "pending" | "sent" | "failed" | "suppressed",
      attempts: d.attempts,
      last_error: d.lastError,
      sent_at: d.sentAt ?? null,
    })),
  };
}

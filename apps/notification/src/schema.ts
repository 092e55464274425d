import { bytea } from "@evented/core/tables";
import { sql } from "drizzle-orm";
import { bigserial, index, integer, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

export { deadLetters, processedEvents } from "@evented/core/tables";

/** Contact details of each user, kept up to date from user events: this service's own read model. */
export const recipients = pgTable("recipients", {
  userId: uuid("user_id").primaryKey(),
  name: text("name").notNull(),
  email: text("email").notNull(),
  phone: text("phone").notNull().default(""),
  deletedAt: timestamp("deleted_at", { withTimezone: true }),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

export const notifications = pgTable(
  "notifications",
  {
    id: uuid("id").primaryKey(),
    userId: uuid("user_id").notNull(),
    kind: text("kind").notNull(),
    subject: text("subject").notNull(),
    body: text("body").notNull(),
    eventId: uuid("event_id").notNull(),
    eventType: text("event_type").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    /** Where an email goes instead of the recipient's address (a new address being verified). */
    toAddress: text("to_address"),
    /**
     * The sealed token of a link email (see links.ts), opened only to send; cleared once every
     * delivery has ended. `body` holds `{{link}}` in its place, so the stored text never has it.
     */
    sealedToken: bytea("sealed_token"),
  },
  (t) => [index("notifications_user_id_idx").on(t.userId, t.id)],
);

export const CHANNELS = ["email", "sms", "push"] as const;
export type ChannelName = (typeof CHANNELS)[number];
export const DELIVERY_STATUSES = ["pending", "sent", "failed", "suppressed"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** One row per notification and channel: the delivery's own outbox, retried until sent or given up. */
export const deliveries = pgTable(
  "deliveries",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    notificationId: uuid("notification_id")
      .notNull()
      .references(() => notifications.id, { onDelete: "cascade" }),
    channel: text("channel").$type<ChannelName>().notNull(),
    status: text("status").$type<DeliveryStatus>().notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    /** When the next attempt is due; while an attempt runs, the end of its lease. */
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull().defaultNow(),
    lastError: text("last_error").notNull().default(""),
    /** Where it went: the address, number or user id, recorded when sent. */
    address: text("address").notNull().default(""),
    sentAt: timestamp("sent_at", { withTimezone: true }),
  },
  (t) => [index("deliveries_due_idx").on(t.nextAttemptAt).where(sql`${t.status} = 'pending'`), index("deliveries_notification_id_idx").on(t.notificationId)],
);

export type Recipient = typeof recipients.$inferSelect;
export type Notification = typeof notifications.$inferSelect;
export type Delivery = typeof deliveries.$inferSelect;

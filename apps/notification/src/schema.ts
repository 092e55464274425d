import { bytea } from "@evented/core/tables";
import { sql } from "drizzle-orm";
import { bigint, bigserial, boolean, index, integer, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";

export { deadLetters, processedEvents } from "@evented/core/tables";

/** Contact details of each user, kept up to date from user events: this service's own read model. */
export const recipients = pgTable("recipients", {
  userId: uuid("user_id").primaryKey(),
  name: text("name").notNull(),
  email: text("email").notNull(),
  phone: text("phone").notNull().default(""),
  deletedAt: timestamp("deleted_at", { withTimezone: true }),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  /**
   * The user's version (Envelope.aggregate_version) these details are from: an older event that
   * comes later (a retry) leaves them alone. 0 for a copy from before versions were counted;
   * DELETED_VERSION once the user is gone, so that nothing writes them again.
   */
  version: integer("version").notNull().default(0),
  /** When what this service held of a deleted user was last erased; null while there is some to erase. */
  erasedAt: timestamp("erased_at", { withTimezone: true }),
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

/** What a user switched off (or on again): one row per kind and channel they changed; no row is "enabled". */
export const preferences = pgTable(
  "notification_preferences",
  {
    userId: uuid("user_id").notNull(),
    kind: text("kind").notNull(),
    channel: text("channel").$type<ChannelName>().notNull(),
    enabled: boolean("enabled").notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.kind, t.channel] })],
);

/**
 * The live feed: one row per change a user can watch (a notification recorded, a delivery's status
 * changed), written in the transaction of the change. Its id is the SSE cursor; rows are written
 * under one lock (see appendFeed) so ids become visible in order and a reader never skips one.
 * Pruned after FEED_RETENTION (see Deliverer), which records in feedPruned what it removed.
 */
export const feed = pgTable(
  "notification_feed",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    userId: uuid("user_id").notNull(),
    notificationId: uuid("notification_id").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("notification_feed_user_id_idx").on(t.userId, t.id), index("notification_feed_created_at_idx").on(t.createdAt)],
);

/**
 * The highest feed id of each user that pruning removed, written by the pruning statement itself:
 * a stream resuming from a cursor below it has lost changes, and says so (see Feed) rather than
 * going on as if the client had all of them.
 */
export const feedPruned = pgTable("notification_feed_pruned", {
  userId: uuid("user_id").primaryKey(),
  through: bigint("through", { mode: "number" }).notNull(),
});

export type Recipient = typeof recipients.$inferSelect;
export type Notification = typeof notifications.$inferSelect;
export type Delivery = typeof deliveries.$inferSelect;

// Tables every service that publishes or consumes events has in its own database.
// A service's schema.ts re-exports the ones it uses, so drizzle-kit writes them into its migrations.
import { sql } from "drizzle-orm";
import { bigserial, customType, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";

export const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({
  dataType: () => "bytea",
  fromDriver: (value) => new Uint8Array(value),
});

const timestamps = {
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
};

/** Transactional outbox: written in the same transaction as the change, published by the relay. */
export const outbox = pgTable(
  "outbox",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    eventId: uuid("event_id").notNull().unique(),
    subject: text("subject").notNull(),
    aggregateId: text("aggregate_id").notNull(),
    payload: bytea("payload").notNull(),
    headers: jsonb("headers").$type<Record<string, string>>().notNull(),
    ...timestamps,
    publishedAt: timestamp("published_at", { withTimezone: true }),
  },
  (t) => [
    // The relay's scan: each aggregate's oldest unpublished row, one descent per aggregate. It is
    // the only index that holds unpublished rows (published_at's, for pruning, holds published
    // ones only): with the statistics a relay that keeps up leaves ("nothing unpublished"), the
    // planner otherwise read every unpublished row through another index and sorted them, for each
    // descent (packages/core/src/outbox.ts relayBatch). The pass by id: every row of an aggregate
    // before a committed one, published or not, so that the partial index cannot be planned for it.
    index("outbox_unpublished_idx").on(t.aggregateId, t.id).where(sql`${t.publishedAt} is null`),
    index("outbox_aggregate_idx").on(t.aggregateId, t.id),
    index("outbox_published_at_idx").on(t.publishedAt).where(sql`${t.publishedAt} is not null`),
  ],
);

/** Inbox: the events a consumer has applied, written in the same transaction as their effect. */
export const processedEvents = pgTable(
  "processed_events",
  {
    consumer: text("consumer").notNull(),
    eventId: uuid("event_id").notNull(),
    processedAt: timestamp("processed_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.consumer, t.eventId] }), index("processed_events_processed_at_idx").on(t.processedAt)],
);

/**
 * Messages a consumer gave up on, kept with the reason until an operator replays or discards them;
 * a discarded one keeps the record that it was, without the message (payload and headers erased).
 */
export const deadLetters = pgTable("dead_letters", {
  id: bigserial("id", { mode: "number" }).primaryKey(),
  consumer: text("consumer").notNull(),
  subject: text("subject").notNull(),
  eventId: text("event_id"),
  payload: bytea("payload").notNull(),
  headers: jsonb("headers").$type<Record<string, string>>().notNull(),
  reason: text("reason").notNull(),
  deliveries: integer("deliveries").notNull(),
  ...timestamps,
  replayedAt: timestamp("replayed_at", { withTimezone: true }),
  discardedAt: timestamp("discarded_at", { withTimezone: true }),
});

/** Idempotency-Key records: the first response to a key, replayed to every retry. */
export const idempotencyKeys = pgTable(
  "idempotency_keys",
  {
    key: text("key").primaryKey(),
    requestHash: text("request_hash").notNull(),
    /** The first response, as JSON; a retry gets exactly this back. */
    response: jsonb("response"),
    ...timestamps,
  },
  (t) => [index("idempotency_keys_created_at_idx").on(t.createdAt)],
);

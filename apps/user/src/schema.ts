import type { Role } from "@evented/core";
import { getTableColumns, sql } from "drizzle-orm";
import { integer, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";

export { idempotencyKeys, outbox } from "@evented/core/tables";

export const users = pgTable(
  "users",
  {
    id: uuid("id").primaryKey(),
    name: text("name").notNull(),
    email: text("email").notNull(),
    phone: text("phone").notNull().default(""),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    /** argon2id (PHC string); null for an invited user who has not set one yet. Never leaves the auth code. */
    passwordHash: text("password_hash"),
    role: text("role").$type<Role>().notNull().default("customer"),
    emailVerifiedAt: timestamp("email_verified_at", { withTimezone: true }),
    /** A new address waiting for its verification link; the email changes when it is used. */
    pendingEmail: text("pending_email"),
    /**
     * The row's version: 1 when created, raised by every updateUser under the row lock, so versions
     * rise in the order the changes happened (with gaps: not every write has an event); the user's
     * events carry theirs (aggregate_version), and consumers compare them, never count them.
     */
    version: integer("version").notNull().default(1),
  },
  // One account per address, whatever its case.
  (t) => [uniqueIndex("users_email_lower_key").on(sql`lower(${t.email})`)],
);

/** Every column but the password hash: what queries outside the auth code read. */
const { passwordHash: _hash, ...userColumns } = getTableColumns(users);

export { userColumns };

export type User = Omit<typeof users.$inferSelect, "passwordHash">;

export * from "./auth/tables.ts";

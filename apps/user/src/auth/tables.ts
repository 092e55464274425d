// The user service's sign-in tables: sessions, signing keys, login limits, email tokens.
import { bigserial, index, integer, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import type { JWK } from "jose";
import { users } from "../schema.ts";

/**
 * One row per refresh token. A refresh uses its row and adds the next one to the same family; a
 * used token presented again revokes the whole family (RFC 9700 §4.14.2). Only the SHA-256 of a
 * token is stored: it is 256 random bits, so a fast hash is enough and a database leak gives nothing.
 */
export const refreshTokens = pgTable(
  "refresh_tokens",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    tokenHash: text("token_hash").notNull().unique(),
    familyId: uuid("family_id").notNull(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    usedAt: timestamp("used_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (t) => [index("refresh_tokens_family_idx").on(t.familyId), index("refresh_tokens_user_idx").on(t.userId)],
);

/** Development signing keys (production takes them from AUTH_SIGNING_KEYS): the newest signs, all verify. */
export const signingKeys = pgTable("signing_keys", {
  kid: text("kid").primaryKey(),
  privateJwk: jsonb("private_jwk").$type<JWK>().notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

/** Failed logins per key (`account:<email>`, `ip:<address>`), shared by every replica and gateway. */
export const loginFailures = pgTable("login_failures", {
  key: text("key").primaryKey(),
  failures: integer("failures").notNull(),
  firstAt: timestamp("first_at", { withTimezone: true }).notNull(),
  blockedUntil: timestamp("blocked_until", { withTimezone: true }),
});

export const EMAIL_PURPOSES = ["verify_email", "password_reset", "invitation"] as const;
export type EmailPurpose = (typeof EMAIL_PURPOSES)[number];

/** Single-use, expiring tokens sent by email; stored as SHA-256 only. */
export const emailTokens = pgTable(
  "email_tokens",
  {
    tokenHash: text("token_hash").primaryKey(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    purpose: text("purpose").$type<EmailPurpose>().notNull(),
    /** The address it proves (verify_email: possibly a new one). */
    email: text("email").notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    usedAt: timestamp("used_at", { withTimezone: true }),
  },
  (t) => [index("email_tokens_user_idx").on(t.userId)],
);

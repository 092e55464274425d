import type { Executor } from "@evented/core";
import { desc, eq, lt } from "drizzle-orm";
import { type User, users } from "./schema.ts";

export const findUser = async (db: Executor, id: string): Promise<User | undefined> => (await db.select().from(users).where(eq(users.id, id)))[0];

/** Locks the row until the transaction ends, so concurrent updates apply one after another. */
export const findUserForUpdate = async (tx: Executor, id: string): Promise<User | undefined> =>
  (await tx.select().from(users).where(eq(users.id, id)).for("update"))[0];

export const insertUser = async (tx: Executor, user: typeof users.$inferInsert): Promise<User> => (await tx.insert(users).values(user).returning())[0]!;

export const updateUser = async (tx: Executor, id: string, patch: Partial<Pick<User, "name" | "email" | "phone">>): Promise<User> =>
  (
    await tx
      .update(users)
      .set({ ...patch, updatedAt: new Date() })
      .where(eq(users.id, id))
      .returning()
  )[0]!;

export const deleteUser = async (tx: Executor, id: string): Promise<User | undefined> => (await tx.delete(users).where(eq(users.id, id)).returning())[0];

/** Newest first; `before` is the last id of the previous page (ids are UUIDv7, so they sort by time). */
export const listUsers = (db: Executor, limit: number, before?: string): Promise<User[]> =>
  db
    .select()
    .from(users)
    .where(before ? lt(users.id, before) : undefined)
    .orderBy(desc(users.id))
    .limit(limit);

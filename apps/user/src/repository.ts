import { alreadyExists, type Executor, pgCode, prepared } from "@evented/core";
import { desc, eq, lt, sql } from "drizzle-orm";
import { type User, userColumns, users } from "./schema.ts";

/** A transaction in which an email another account holds (users.email is unique) is ALREADY_EXISTS. */
export async function transaction<T>(db: Executor, work: (tx: Executor) => Promise<T>): Promise<T> {
  try {
    return await db.transaction(work);
  } catch (err) {
    if (pgCode(err) === "23505") throw alreadyExists("a user with this email already exists");
    throw err;
  }
}

export const findUser = async (db: Executor, id: string): Promise<User | undefined> =>
  (
    await prepared(db, "find_user", (d) =>
      d
        .select(userColumns)
        .from(users)
        .where(eq(users.id, sql.placeholder("id"))),
    ).execute({ id })
  )[0];

/**
 * Locks the row until the transaction ends, so concurrent updates apply one after another. FOR NO
 * KEY UPDATE, the lock an UPDATE of the row takes anyway (none changes the id, and the email's unique
 * index is on lower(email), not a key), and no more. Every path that ends sessions holds it (or has
 * updated or deleted the row) before it revokes their tokens: see findSessionUser.
 */
export const findUserForUpdate = async (tx: Executor, id: string): Promise<User | undefined> =>
  (await tx.select(userColumns).from(users).where(eq(users.id, id)).for("no key update"))[0];

/**
 * What a login or a refresh needs, the row locked FOR SHARE until the transaction ends, before it
 * adds a refresh token: other sessions of the user go on meanwhile, but a password change or reset,
 * a logout or a deletion (each locks the row at least as findUserForUpdate does, then ends sessions)
 * either waits for the new token and ends it too, or ends its sessions first and this sees they ended.
 */
export const findSessionUser = async (tx: Executor, id: string) =>
  (await tx.select({ id: users.id, role: users.role, passwordHash: users.passwordHash }).from(users).where(eq(users.id, id)).for("share"))[0];

export const insertUser = async (tx: Executor, user: typeof users.$inferInsert): Promise<User> =>
  (await tx.insert(users).values(user).returning(userColumns))[0]!;

export const updateUser = async (
  tx: Executor,
  id: string,
  patch: Partial<Pick<User, "name" | "email" | "phone" | "pendingEmail" | "emailVerifiedAt">>,
): Promise<User> =>
  (
    await tx
      .update(users)
      .set({ ...patch, updatedAt: new Date(), version: sql`${users.version} + 1` })
      .where(eq(users.id, id))
      .returning(userColumns)
  )[0]!;

export const deleteUser = async (tx: Executor, id: string): Promise<User | undefined> =>
  (await tx.delete(users).where(eq(users.id, id)).returning(userColumns))[0];

/** Newest first; `before` is the last id of the previous page (ids are UUIDv7, so they sort by time). */
export const listUsers = (db: Executor, limit: number, before?: string): Promise<User[]> =>
  db
    .select(userColumns)
    .from(users)
    .where(before ? lt(users.id, before) : undefined)
    .orderBy(desc(users.id))
    .limit(limit);

/** Whether an account has this address, whatever its case. */
export const emailTaken = async (db: Executor, email: string): Promise<boolean> =>
  (await db.select({ id: users.id }).from(users).where(sql`lower(${users.email}) = lower(${email})`)).length > 0;

/** What a login needs, the hash included: read only by the auth code. */
export const findCredentials = async (db: Executor, email: string) =>
  (await db.select({ id: users.id, role: users.role, passwordHash: users.passwordHash }).from(users).where(sql`lower(${users.email}) = lower(${email})`))[0];

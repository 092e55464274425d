import type { Executor } from "@evented/core";
import { and, desc, eq, inArray, lt, lte, sql } from "drizzle-orm";
import { deliveries, notifications, recipients, type ChannelName, type Delivery, type Notification, type Recipient } from "./schema.ts";

export const findRecipient = async (db: Executor, userId: string): Promise<Recipient | undefined> =>
  (await db.select().from(recipients).where(eq(recipients.userId, userId)))[0];

export async function saveRecipient(tx: Executor, r: Pick<Recipient, "userId" | "name" | "email" | "phone">, deleted = false): Promise<void> {
  const values = { ...r, updatedAt: new Date(), ...(deleted && { deletedAt: new Date() }) };
  await tx.insert(recipients).values(values).onConflictDoUpdate({ target: recipients.userId, set: values });
}

export async function insertNotification(tx: Executor, n: typeof notifications.$inferInsert, channels: ChannelName[]): Promise<void> {
  await tx.insert(notifications).values(n);
  if (channels.length) await tx.insert(deliveries).values(channels.map((channel) => ({ notificationId: n.id, channel })));
}

export type NotificationWithDeliveries = Notification & { deliveries: Delivery[] };

/** Newest first; `before` is the last id of the previous page. */
export async function listNotifications(db: Executor, userId: string, limit: number, before?: string): Promise<NotificationWithDeliveries[]> {
  const rows = await db
    .select()
    .from(notifications)
    .where(and(eq(notifications.userId, userId), before ? lt(notifications.id, before) : undefined))
    .orderBy(desc(notifications.id))
    .limit(limit);
  if (rows.length === 0) return [];
  const ds = await db.select().from(deliveries).where(inArray(deliveries.notificationId, rows.map((r) => r.id))).orderBy(deliveries.id);
  const byNotification = Map.groupBy(ds, (d) => d.notificationId);
  return rows.map((n) => ({ ...n, deliveries: byNotification.get(n.id) ?? [] }));
}

export type DueDelivery = Delivery & { notification: Notification; recipient: Recipient | null };

/**
 * Claims due deliveries with a lease: one statement marks them as attempted and pushes their due
 * time out by `leaseMs`, so no other replica takes them while this one sends. If this process dies
 * mid-send, the lease runs out and another attempt is made.
 */
export async function claimDue(db: Executor, limit: number, leaseMs: number): Promise<DueDelivery[]> {
  const due = db
    .select({ id: deliveries.id })
    .from(deliveries)
    .where(and(eq(deliveries.status, "pending"), lte(deliveries.nextAttemptAt, sql`now()`)))
    .orderBy(deliveries.nextAttemptAt)
    .limit(limit)
    .for("update", { skipLocked: true });
  const claimed = await db
    .update(deliveries)
    .set({ attempts: sql`${deliveries.attempts} + 1`, nextAttemptAt: sql`now() + ${`${leaseMs} milliseconds`}::interval` })
    .where(inArray(deliveries.id, due))
    .returning();
  if (claimed.length === 0) return [];
  const rows = await db
    .select()
    .from(notifications)
    .leftJoin(recipients, eq(recipients.userId, notifications.userId))
    .where(inArray(notifications.id, claimed.map((d) => d.notificationId)));
  const byId = new Map(rows.map((r) => [r.notifications.id, r]));
  return claimed.map((d) => {
    const row = byId.get(d.notificationId)!;
    return { ...d, notification: row.notifications, recipient: row.recipients };
  });
}

export async function finishDelivery(
  db: Executor,
  id: number,
  outcome: { status: "sent"; address: string } | { status: "failed" | "suppressed"; error: string } | { status: "pending"; error: string; retryInMs: number },
): Promise<void> {
  const set =
    outcome.status === "sent"
      ? { status: outcome.status, address: outcome.address, sentAt: new Date(), lastError: "" }
      : outcome.status === "pending"
        ? { lastError: outcome.error, nextAttemptAt: new Date(Date.now() + outcome.retryInMs) }
        : { status: outcome.status, lastError: outcome.error };
  await db.update(deliveries).set(set).where(eq(deliveries.id, id));
}

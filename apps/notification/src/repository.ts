import type { Executor } from "@evented/core";
import { and, desc, eq, inArray, lt, lte, sql } from "drizzle-orm";
import { type ChannelName, type Delivery, deliveries, type Notification, notifications, type Recipient, recipients } from "./schema.ts";

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
  const ds = await db
    .select()
    .from(deliveries)
    .where(
      inArray(
        deliveries.notificationId,
        rows.map((r) => r.id),
      ),
    )
    .orderBy(deliveries.id);
  const byNotification = Map.groupBy(ds, (d) => d.notificationId);
  return rows.map((n) => ({ ...n, deliveries: byNotification.get(n.id) ?? [] }));
}

export type DueDelivery = Delivery & { notification: Notification; recipient: Recipient | null };

/**
 * Claims due deliveries with a lease: one statement marks them as attempted, pushes their due
 * time out by `leaseMs` (so no other replica takes them while this one sends) and returns them
 * with their notification and recipient. If this process dies mid-send, the lease runs out and
 * another attempt is made.
 */
export async function claimDue(db: Executor, limit: number, leaseMs: number): Promise<DueDelivery[]> {
  const due = db
    .select({ id: deliveries.id })
    .from(deliveries)
    .where(and(eq(deliveries.status, "pending"), lte(deliveries.nextAttemptAt, sql`now()`)))
    .orderBy(deliveries.nextAttemptAt)
    .limit(limit)
    .for("update", { skipLocked: true });
  const claimed = db.$with("claimed").as(
    db
      .update(deliveries)
      .set({ attempts: sql`${deliveries.attempts} + 1`, nextAttemptAt: sql`now() + ${`${leaseMs} milliseconds`}::interval` })
      .where(inArray(deliveries.id, due))
      .returning(),
  );
  const rows = await db
    .with(claimed)
    .select({ delivery: claimed._.selectedFields, notification: notifications, recipient: recipients })
    .from(claimed)
    .innerJoin(notifications, eq(notifications.id, claimed.notificationId))
    .leftJoin(recipients, eq(recipients.userId, notifications.userId))
    .orderBy(claimed.id);
  return rows.map((r) => ({ ...r.delivery, notification: r.notification, recipient: r.recipient }));
}

export type Outcome =
  | { status: "sent"; address: string }
  | { status: "failed" | "suppressed"; error: string }
  | { status: "pending"; error: string; retryInMs: number };

/** Records how attempts ended, all in one statement: a delivery pass writes once, however many it sent. */
export async function finishDeliveries(db: Executor, done: { id: number; outcome: Outcome }[]): Promise<void> {
  if (done.length === 0) return;
  const rows = done.map(({ id, outcome: o }) => {
    const address = o.status === "sent" ? o.address : null;
    const error = o.status === "sent" ? "" : o.error;
    const retryInMs = o.status === "pending" ? o.retryInMs : null;
    return sql`(${id}::bigint, ${o.status}::text, ${address}::text, ${error}::text, ${retryInMs}::int)`;
  });
  await db.execute(sql`
    update ${deliveries} set
      status = v.status,
      address = coalesce(v.address, ${deliveries.address}),
      sent_at = case when v.status = 'sent' then now() else ${deliveries.sentAt} end,
      last_error = v.error,
      next_attempt_at = case when v.retry_ms is null then ${deliveries.nextAttemptAt} else now() + v.retry_ms * interval '1 millisecond' end
    from (values ${sql.join(rows, sql`, `)}) as v (id, status, address, error, retry_ms)
    where ${deliveries.id} = v.id`);
}

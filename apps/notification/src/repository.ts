import type { Executor } from "@evented/core";
import { and, desc, eq, inArray, lt, lte, sql } from "drizzle-orm";
import { type ChannelName, type Delivery, deliveries, type Notification, notifications, type Recipient, recipients } from "./schema.ts";

export const findRecipient = async (db: Executor, userId: string): Promise<Recipient | undefined> =>
  (await db.select().from(recipients).where(eq(recipients.userId, userId)))[0];

export async function saveRecipient(tx: Executor, r: Pick<Recipient, "userId" | "name" | "email" | "phone">, deleted = false): Promise<void> {
  const values = { ...r, updatedAt: new Date(), ...(deleted && { deletedAt: new Date() }) };
  await tx.insert(recipients).values(values).onConflictDoUpdate({ target: recipients.userId, set: values });
}

/** The user is gone: their copy is kept, marked, until the goodbye is out. Returns it, if there is one. */
export async function markRecipientDeleted(tx: Executor, userId: string): Promise<Pick<Recipient, "name" | "phone"> | undefined> {
  const [row] = await tx
    .update(recipients)
    .set({ deletedAt: new Date(), updatedAt: new Date() })
    .where(eq(recipients.userId, userId))
    .returning({ name: recipients.name, phone: recipients.phone });
  return row;
}

/**
 * Erases what this service holds of people who deleted their account, once nothing is left to
 * send them (no pending delivery): their name, email and phone, the bodies of their notifications
 * (they greet by name) and the addresses deliveries went to. Kept: that a notification of a kind
 * was sent on a channel, when, and its subject (ids, no personal data). Up to `limit` users a call.
 */
export async function eraseDepartedRecipients(db: Executor, limit = 100): Promise<number> {
  const rows = await db.execute<{ user_id: string }>(sql`
    with gone as (
      select r.user_id from recipients r
      where r.deleted_at is not null and (r.name <> '' or r.email <> '' or r.phone <> '')
        and not exists (
          select 1 from notifications n join deliveries d on d.notification_id = n.id
          where n.user_id = r.user_id and d.status = 'pending')
      limit ${limit}
      for update of r skip locked
    ), erased as (
      update recipients set name = '', email = '', phone = '', updated_at = now()
      where user_id in (select user_id from gone) returning user_id
    ), bodies as (
      update notifications set body = '', to_address = null, sealed_token = null where user_id in (select user_id from erased) returning id
    ), addresses as (
      update deliveries set address = '' where notification_id in (select id from bodies) returning id
    )
    select user_id from erased`);
  // The Executor type leaves execute()'s result open; postgres.js returns the rows.
  return (rows as unknown as unknown[]).length;
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

/** Link emails whose every delivery has ended keep no sealed token. */
export async function clearSentSecrets(db: Executor): Promise<void> {
  await db.execute(sql`
    update ${notifications} n set sealed_token = null
    where n.sealed_token is not null
      and not exists (select 1 from ${deliveries} d where d.notification_id = n.id and d.status = 'pending')`);
}

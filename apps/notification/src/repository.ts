import { beforeCommit, type Executor, inOrder, placeholdersFor, prepared, preparedSql, valuesOf } from "@evented/core";
import { and, desc, eq, inArray, lt, lte, type SQL, sql } from "drizzle-orm";
import {
  type ChannelName,
  type Delivery,
  deliveries,
  feed,
  feedPruned,
  type Notification,
  notifications,
  preferences,
  type Recipient,
  recipients,
} from "./schema.ts";

const placeholder = sql.placeholder;

export const findRecipient = async (db: Executor, userId: string): Promise<Recipient | undefined> =>
  (
    await prepared(db, "find_recipient", (d) =>
      d
        .select()
        .from(recipients)
        .where(eq(recipients.userId, placeholder("userId"))),
    ).execute({ userId })
  )[0];

/** A copy's version once its user is deleted: above any real one, as a deletion is a user's last change. */
export const DELETED_VERSION = 2 ** 31 - 1;

/**
 * Writes the copy of a user's contact details that an event of the user's `version` carries, unless
 * the copy is from a newer version or the user is gone. An event with no version (0: sent by a
 * user service from before versions, as during a rolling upgrade) is applied as it comes, over any
 * copy but a deleted one. Returns whether it wrote them.
 */
export async function saveRecipient(tx: Executor, r: Pick<Recipient, "userId" | "name" | "email" | "phone">, version: number): Promise<boolean> {
  const written = await tx
    .insert(recipients)
    .values({ ...r, version, updatedAt: new Date() })
    .onConflictDoUpdate({
      target: recipients.userId,
      set: { ...r, version: sql`greatest(${recipients.version}, excluded.version)`, updatedAt: new Date() },
      setWhere: sql`${recipients.version} < ${DELETED_VERSION} and (excluded.version = 0 or ${recipients.version} < excluded.version)`,
    })
    .returning({ userId: recipients.userId });
  return written.length > 0;
}

/**
 * The user is gone: their copy is kept, marked, until the goodbye is out (then erased), and no
 * event that comes after the deletion (a retry) writes it again; with no copy yet, an empty one is
 * marked, for the same reason (and so that what is recorded for them is erased). Returns what it holds.
 */
export async function markRecipientDeleted(tx: Executor, userId: string): Promise<Pick<Recipient, "name" | "phone" | "deletedAt">> {
  const now = new Date();
  const [row] = await tx
    .insert(recipients)
    .values({ userId, name: "", email: "", phone: "", deletedAt: now, updatedAt: now, version: DELETED_VERSION })
    .onConflictDoUpdate({
      target: recipients.userId,
      set: { deletedAt: sql`coalesce(${recipients.deletedAt}, excluded.deleted_at)`, updatedAt: now, version: DELETED_VERSION, erasedAt: null },
    })
    .returning({ name: recipients.name, phone: recipients.phone, deletedAt: recipients.deletedAt });
  return row!;
}

/** Something was recorded for a user already gone (an event retried after the deletion): erase again. */
export async function eraseAgain(tx: Executor, userId: string): Promise<void> {
  await tx.update(recipients).set({ erasedAt: null }).where(eq(recipients.userId, userId));
}

/**
 * Erases what this service holds of people who deleted their account, once nothing is left to
 * send them (no pending delivery): their name, email and phone, the bodies of their notifications
 * (they greet by name) and the addresses deliveries went to. Kept: that a notification of a kind
 * was sent on a channel, when, and its subject (ids, no personal data). Up to `limit` users a call.
 */
export async function eraseDepartedRecipients(db: Executor, limit = 100): Promise<number> {
  const pending = (user: SQL) => sql`exists (
    select 1 from notifications n join deliveries d on d.notification_id = n.id where n.user_id = ${user} and d.status = 'pending')`;
  return db.transaction(async (tx) => {
    // First the rows are locked, then erased by a second statement: it sees what committed in
    // between (one statement reads one snapshot, so a notification committed after it began would
    // be left unerased under an erased_at). A worker recording one for a locked user waits on
    // eraseAgain, and marks it for the next pass.
    const gone = (await tx.execute<{ user_id: string }>(sql`
      select r.user_id from recipients r
      where r.deleted_at is not null and r.erased_at is null and not ${pending(sql`r.user_id`)}
      limit ${limit}
      for update of r skip locked`)) as unknown as { user_id: string }[];
    if (gone.length === 0) return 0;
    const rows = await tx.execute(sql`
      with erased as (
        update recipients r set name = '', email = '', phone = '', updated_at = now(), erased_at = now()
        where r.user_id in ${gone.map((g) => g.user_id)} and not ${pending(sql`r.user_id`)}
        returning user_id
      ), bodies as (
        update notifications set body = '', to_address = null, sealed_token = null where user_id in (select user_id from erased) returning id
      ), addresses as (
        update deliveries set address = '' where notification_id in (select id from bodies) returning id
      )
      select user_id from erased`);
    // The Executor type leaves execute()'s result open; postgres.js returns the rows.
    return (rows as unknown as unknown[]).length;
  });
}

/** Why a delivery was not attempted: the user switched this kind off on this channel. */
export const SWITCHED_OFF = "switched_off";

/** A notification and its deliveries (those on a channel in `off` recorded as suppressed), and its feed entry. */
export async function insertNotification(
  tx: Executor,
  n: typeof notifications.$inferInsert,
  channels: ChannelName[],
  off: ReadonlySet<ChannelName> = new Set(),
): Promise<void> {
  const { id, userId, kind, subject, body, eventId, eventType, toAddress = null, sealedToken = null } = n;
  const notification = [{ id, userId, kind, subject, body, eventId, eventType, toAddress, sealedToken }];
  // Each row says its status, so the statement's text depends only on how many channels there are.
  const rows = channels.map((channel) => ({
    notificationId: id,
    channel,
    status: off.has(channel) ? ("suppressed" as const) : ("pending" as const),
    lastError: off.has(channel) ? SWITCHED_OFF : "",
  }));
  const insertNotification = () =>
    prepared(tx, "insert_notification", (d) => d.insert(notifications).values(placeholdersFor(notification))).execute(valuesOf(notification));
  const insertDeliveries = () =>
    prepared(tx, `insert_deliveries_${rows.length}`, (d) => d.insert(deliveries).values(placeholdersFor(rows))).execute(valuesOf(rows));
  if (rows.length === 0) await insertNotification();
  else await inOrder(tx, insertNotification, insertDeliveries);
  await appendFeed(tx, [{ userId, notificationId: id }]);
}

/** The kinds and channels a user switched (off, or on again). */
export const findPreferences = (db: Executor, userId: string): Promise<{ kind: string; channel: ChannelName; enabled: boolean }[]> =>
  prepared(db, "find_preferences", (d) =>
    d
      .select({ kind: preferences.kind, channel: preferences.channel, enabled: preferences.enabled })
      .from(preferences)
      .where(eq(preferences.userId, placeholder("userId"))),
  ).execute({ userId });

export async function savePreferences(db: Executor, userId: string, changes: { kind: string; channel: ChannelName; enabled: boolean }[]): Promise<void> {
  if (changes.length === 0) return;
  await db
    .insert(preferences)
    .values(changes.map((c) => ({ userId, ...c, updatedAt: new Date() })))
    .onConflictDoUpdate({
      target: [preferences.userId, preferences.kind, preferences.channel],
      set: { enabled: sql`excluded.enabled`, updatedAt: sql`now()` },
    });
}

/** The NOTIFY channel of feed writes; its payload is the user id. */
export const FEED_CHANNEL = "notification_feed";

type FeedEntry = { userId: string; notificationId: string };

/** The feed entries of each open transaction, written just before it commits. */
const pendingFeed = new WeakMap<Executor, FeedEntry[]>();

/**
 * Adds feed entries inside the transaction of their change, and wakes the streams of their users
 * once it commits (NOTIFY is delivered at commit). The transaction-scoped lock makes feed writes
 * take their ids and commit one at a time, so a reader that has seen id n never later finds a
 * smaller id appear: without it, a transaction that took id 10 could commit after one that took 11,
 * and a stream already past 11 would skip 10 for good. The entries of a transaction are written
 * together as its last work (beforeCommit), so the lock is held only for that write and the commit:
 * a batch of 64 events does not hold every other batch up while it runs.
 */
export async function appendFeed(tx: Executor, entries: FeedEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const pending = pendingFeed.get(tx);
  if (pending) {
    pending.push(...entries);
    return;
  }
  const mine = [...entries];
  pendingFeed.set(tx, mine);
  await beforeCommit(tx, async () => {
    pendingFeed.delete(tx);
    // However many entries and users: one statement each, whose text does not change; the three
    // share one round trip, so the lock is held for little more than the commit.
    const [userIds, notificationIds] = [mine.map((e) => e.userId), mine.map((e) => e.notificationId)];
    await inOrder(
      tx,
      () => preparedSql(tx, "lock_feed", () => sql`select pg_advisory_xact_lock(hashtext(${FEED_CHANNEL}))`).execute(),
      () =>
        preparedSql(
          tx,
          "append_feed",
          () =>
            sql`insert into ${feed} (user_id, notification_id) select * from unnest(${sql.placeholder("userIds")}::uuid[], ${sql.placeholder("notificationIds")}::uuid[])`,
        ).execute({ userIds, notificationIds }),
      () =>
        preparedSql(tx, "notify_feed", () => sql`select pg_notify(${FEED_CHANNEL}, u) from unnest(${sql.placeholder("userIds")}::text[]) u`).execute({
          userIds: [...new Set(userIds)],
        }),
    );
  });
}

/**
 * Where a stream without a cursor starts: the newest feed id, or the newest of the user's that was
 * pruned if that is higher (everything pruned, the feed empty), so that it starts with no reset.
 */
export async function latestFeedId(db: Executor, userId: string): Promise<number> {
  const [row] = await preparedSql<{ id: string | null }>(
    db,
    "latest_feed_id",
    () => sql`select greatest((select max(id) from ${feed}), (select through from ${feedPruned} where user_id = ${placeholder("userId")})) as id`,
  ).execute({ userId });
  return Number(row?.id ?? 0);
}

export interface FeedPage {
  /** The highest id of the user's that pruning removed (0: none): above `after`, the page lacks changes. */
  prunedThrough: number;
  /** The user's entries after `after`, oldest first, with each notification as it is now. */
  entries: { id: number; notification: NotificationWithDeliveries }[];
}

/**
 * A user's feed entries after `after`, and what was pruned of theirs, in one statement: one round
 * trip, and one snapshot, so an entry missing from the page because a prune removed it is always
 * counted in prunedThrough (a second statement before it could miss a prune in between).
 */
export async function feedAfter(db: Executor, userId: string, after: number, limit: number): Promise<FeedPage> {
  // One row even when there is no entry: the user's mark (or null), with each entry (or nulls).
  const rows = await preparedSql<{ through: string | null; id: string | null; notification_id: string | null }>(
    db,
    "feed_after",
    () => sql`
    select p.through, e.id, e.notification_id
    from (select ${placeholder("userId")}::uuid as user_id) u
    left join ${feedPruned} p on p.user_id = u.user_id
    left join lateral (
      select f.id, f.notification_id from ${feed} f where f.user_id = u.user_id and f.id > ${placeholder("after")} order by f.id limit ${placeholder("limit")}
    ) e on true
    order by e.id`,
  ).execute({ userId, after, limit });
  const prunedThrough = Number(rows[0]?.through ?? 0);
  const entries = rows.flatMap((r) => (r.id && r.notification_id ? [{ id: Number(r.id), notificationId: r.notification_id }] : []));
  if (entries.length === 0) return { prunedThrough, entries: [] };
  const current = new Map(
    (
      await withDeliveries(
        db,
        await db
          .select()
          .from(notifications)
          .where(inArray(notifications.id, [...new Set(entries.map((e) => e.notificationId))])),
      )
    ).map((n) => [n.id, n]),
  );
  // A notification erased since (retention) has no current state to show: its entry is skipped.
  return {
    prunedThrough,
    entries: entries.flatMap((e) => {
      const notification = current.get(e.notificationId);
      return notification ? [{ id: e.id, notification }] : [];
    }),
  };
}

/**
 * Forgets feed entries older than `retentionMs`, and records for each user the highest id removed,
 * in the same statement: no stream can find an entry gone without its mark (see feedAfter). Users
 * in order, so two replicas pruning at once take their marks' locks in the same order.
 */
export async function pruneFeed(db: Executor, retentionMs: number): Promise<void> {
  await db.execute(sql`
    with pruned as (
      delete from ${feed} where ${feed.createdAt} < now() - ${`${retentionMs} milliseconds`}::interval returning user_id, id
    )
    insert into ${feedPruned} (user_id, through)
    select user_id, max(id) from pruned group by user_id order by user_id
    on conflict (user_id) do update set through = greatest(${feedPruned.through}, excluded.through)`);
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
  return withDeliveries(db, rows);
}

async function withDeliveries(db: Executor, rows: Notification[]): Promise<NotificationWithDeliveries[]> {
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
  // Prepared: Drizzle took ~0.2 ms to build this statement's text on every pass.
  const rows = await prepared(db, "claim_due", (d) => {
    const due = d
      .select({ id: deliveries.id })
      .from(deliveries)
      // 'pending' written out, not a parameter: only then may a cached (generic) plan use the
      // partial index of pending deliveries, instead of reading the whole table on every pass.
      .where(and(sql`${deliveries.status} = 'pending'`, lte(deliveries.nextAttemptAt, sql`now()`)))
      .orderBy(deliveries.nextAttemptAt)
      .limit(placeholder("limit"))
      .for("update", { skipLocked: true });
    const claimed = d.$with("claimed").as(
      d
        .update(deliveries)
        .set({ attempts: sql`${deliveries.attempts} + 1`, nextAttemptAt: sql`now() + ${placeholder("lease")}::interval` })
        .where(inArray(deliveries.id, due))
        .returning(),
    );
    return d
      .with(claimed)
      .select({ delivery: claimed._.selectedFields, notification: notifications, recipient: recipients })
      .from(claimed)
      .innerJoin(notifications, eq(notifications.id, claimed.notificationId))
      .leftJoin(recipients, eq(recipients.userId, notifications.userId))
      .orderBy(claimed.id);
  }).execute({ limit, lease: `${leaseMs} milliseconds` });
  return rows.map((r) => ({ ...r.delivery, notification: r.notification, recipient: r.recipient }));
}

export type Outcome =
  | { status: "sent"; address: string }
  | { status: "failed" | "suppressed"; error: string }
  | { status: "pending"; error: string; retryInMs: number };

/**
 * Records how attempts ended, in one transaction: every outcome in one statement (a delivery pass
 * writes once, however many it sent), the sealed tokens of link emails that have nothing left to
 * send, and a feed entry for each notification whose delivery ended (sent, failed, suppressed).
 */
export async function finishDeliveries(
  db: Executor,
  /** `attempts` as claimed: an outcome is written only while the claim is still this one's (see updateDeliveries). */
  done: { id: number; attempts: number; notification: Pick<Notification, "id" | "userId" | "sealedToken">; outcome: Outcome }[],
): Promise<void> {
  if (done.length === 0) return;
  // One feed entry per notification with a delivery that ended (email and push may end together).
  const changed = new Map<string, { userId: string; notificationId: string }>();
  for (const { notification: n, outcome } of done) if (outcome.status !== "pending") changed.set(n.id, { userId: n.userId, notificationId: n.id });
  const sealed = [...new Set(done.flatMap(({ notification: n }) => (n.sealedToken ? [n.id] : [])))];
  await db.transaction(async (tx) => {
    await inOrder(
      tx,
      // Every row here is found by its key. Planned from a table that is still small (or whose
      // statistics are old, or never taken, as where autovacuum is off), a scan of the whole table
      // looks cheaper, and stays cached while the table grows (in a 4,000-event worker run, 156 of
      // 334 passes read every delivery). The plan is by key, whatever the statistics say.
      () => preparedSql(tx, "by_key_only", () => sql`set local enable_seqscan = off`).execute(),
      () => updateDeliveries(tx, done),
      () => (sealed.length > 0 ? clearSentSecrets(tx, sealed) : Promise.resolve()),
    );
    await appendFeed(tx, [...changed.values()]);
  });
}

/**
 * One statement whose text is the same for any number of outcomes: the values go as arrays. A
 * row another replica claimed since (this attempt outlived its lease: its attempts moved on) or
 * ended is left as it is: the later attempt's outcome is the one that stands.
 */
function updateDeliveries(db: Executor, done: { id: number; attempts: number; outcome: Outcome }[]) {
  const column = <T>(pick: (d: { id: number; attempts: number; outcome: Outcome }) => T) => done.map(pick);
  return preparedSql(
    db,
    "finish_deliveries",
    () => sql`
    update ${deliveries} set
      status = v.status,
      address = coalesce(v.address, ${deliveries.address}),
      sent_at = case when v.status = 'sent' then now() else ${deliveries.sentAt} end,
      last_error = v.error,
      next_attempt_at = case when v.retry_ms is null then ${deliveries.nextAttemptAt} else now() + v.retry_ms * interval '1 millisecond' end
    from unnest(
      ${sql.placeholder("ids")}::bigint[], ${sql.placeholder("statuses")}::text[], ${sql.placeholder("addresses")}::text[],
      ${sql.placeholder("errors")}::text[], ${sql.placeholder("retries")}::int[], ${sql.placeholder("attempts")}::int[]
    ) as v (id, status, address, error, retry_ms, attempts)
    where ${deliveries.id} = v.id and ${deliveries.attempts} = v.attempts and ${deliveries.status} = 'pending'`,
  ).execute({
    ids: column((d) => d.id),
    attempts: column((d) => d.attempts),
    statuses: column(({ outcome: o }) => o.status),
    addresses: column(({ outcome: o }) => (o.status === "sent" ? o.address : null)),
    errors: column(({ outcome: o }) => (o.status === "sent" ? "" : o.error)),
    retries: column(({ outcome: o }) => (o.status === "pending" ? o.retryInMs : null)),
  });
}

/** These link emails keep no sealed token once none of their deliveries is pending. */
function clearSentSecrets(tx: Executor, notificationIds: string[]) {
  return preparedSql(
    tx,
    "clear_sent_secrets",
    () => sql`
    update ${notifications} n set sealed_token = null
    where n.id = any(${sql.placeholder("notificationIds")}::uuid[]) and n.sealed_token is not null
      and not exists (select 1 from ${deliveries} d where d.notification_id = n.id and d.status = 'pending')`,
  ).execute({ notificationIds });
}

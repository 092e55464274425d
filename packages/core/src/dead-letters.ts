import { and, asc, eq, isNull, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/postgres-js";
import { connect, type JetStreamClient, headers as natsHeaders } from "nats";
import postgres from "postgres";
import { applyEvent, type Subscription } from "./consumer.ts";
import type { Executor } from "./db.ts";
import { AppError, conflict, errorText, failedPrecondition, isUnreachable, notFound, status } from "./errors.ts";
import { decodeEvent, type EventOf } from "./events.ts";
import type { Logger } from "./logger.ts";
import { deadLetters } from "./tables.ts";

export type DeadLetter = typeof deadLetters.$inferSelect;

/** Waiting for an operator: neither replayed nor discarded. */
const waiting = and(isNull(deadLetters.replayedAt), isNull(deadLetters.discardedAt));

/** Dead letters waiting (or all of them), oldest first. */
export async function listDeadLetters(db: Executor, { all = false } = {}): Promise<DeadLetter[]> {
  return db
    .select()
    .from(deadLetters)
    .where(all ? undefined : waiting)
    .orderBy(asc(deadLetters.id));
}

/** Dead letters waiting, counted per consumer (a consumer with none is absent). */
export const countDeadLetters = (db: Executor): Promise<{ consumer: string; n: number }[]> =>
  db.select({ consumer: deadLetters.consumer, n: sql<number>`count(*)::int` }).from(deadLetters).where(waiting).groupBy(deadLetters.consumer);

/**
 * Applies a dead letter again in the service that runs its consumer, as the consumer would now:
 * its handler runs in one transaction with the inbox row (an event applied meanwhile is not
 * applied twice) and the mark "replayed"; all or nothing. Nothing is published, so it works with
 * a NATS user that may not publish the event's subject. If the handler fails again (or the
 * message cannot be decoded), nothing changes: the dead letter keeps waiting, and the error says why.
 */
export async function reapplyDeadLetter(db: Executor, subscriptions: Subscription[], id: number, log: Logger): Promise<DeadLetter> {
  return db.transaction(async (tx) => {
    const letter = await settle(tx, id, { replayedAt: new Date() });
    const sub = subscriptions.find((s) => s.durable === letter.consumer);
    if (!sub) throw failedPrecondition(`dead letter ${id} is of consumer "${letter.consumer}", which this service does not run`);
    let event: EventOf;
    try {
      event = decodeEvent(letter.payload);
    } catch (err) {
      throw failedPrecondition(`dead letter ${id} cannot be decoded (${errorText(err)}); it keeps waiting`);
    }
    await applyEvent(sub, event, tx, log.child({ consumer: sub.durable, eventId: event.id, replayOf: id })).catch((err: unknown) => {
      // An outage is not the event's fault: 503, retry later. Anything else is the handler's answer.
      if (isUnreachable(err) || (err instanceof AppError && err.code === status.DEADLINE_EXCEEDED)) throw err;
      throw failedPrecondition(`dead letter ${id} failed again (${errorText(err)}); it keeps waiting`);
    });
    return letter;
  });
}

/**
 * Publishes a dead letter's message again, as it arrived, and marks it replayed; both or neither:
 * the operator's command, with NATS credentials that may publish the subject (the deployment's
 * `ops` user). It gets a new Nats-Msg-Id (the event id would be dropped inside the duplicate
 * window) and `x-replay-of: <consumer>/<id>`: every consumer of its subject receives it, the one
 * that gave up applies it (its inbox still keeps it exactly once), the others ack it unseen. If it
 * fails again, it comes back as a new dead letter.
 */
export async function republishDeadLetter(db: Executor, js: JetStreamClient, id: number): Promise<DeadLetter> {
  return db.transaction(async (tx) => {
    const letter = await settle(tx, id, { replayedAt: new Date() });
    const h = natsHeaders();
    for (const [k, v] of Object.entries(letter.headers)) if (!/^nats-/i.test(k)) h.set(k, v);
    h.set("x-replay-of", `${letter.consumer}/${letter.id}`);
    await js.publish(letter.subject, letter.payload, { msgID: `replay-${letter.consumer}-${letter.id}`, headers: h, timeout: 5000 });
    return letter;
  });
}

/**
 * Discards a dead letter an operator decided never to apply (obsolete, or wrong): it stops waiting
 * and the message it held is erased, as it may carry a user's name, email and phone (a deleted
 * user's too). What stays says that it was: consumer, subject, event id, reason, deliveries, times.
 */
export const discardDeadLetter = (db: Executor, id: number): Promise<DeadLetter> =>
  settle(db, id, { discardedAt: new Date(), payload: new Uint8Array(), headers: {} });

/**
 * Settles a waiting dead letter (replayed or discarded) with `change`; one settled already is 409.
 * Another settling it at the same time waits for the row (until the end of this one's transaction),
 * then gets 409, or settles it if this one rolled back (a replay that failed again).
 */
async function settle(db: Executor, id: number, change: Partial<typeof deadLetters.$inferInsert>): Promise<DeadLetter> {
  const [letter] = await db
    .update(deadLetters)
    .set(change)
    .where(and(eq(deadLetters.id, id), waiting))
    .returning();
  if (letter) return letter;
  const [existing] = await db.select().from(deadLetters).where(eq(deadLetters.id, id));
  if (!existing) throw notFound(`no dead letter ${id}`);
  if (existing.discardedAt) throw conflict(`dead letter ${id} was already discarded at ${existing.discardedAt.toISOString()}`);
  throw conflict(`dead letter ${id} was already replayed at ${existing.replayedAt?.toISOString()}`);
}

/** A service's dead letters, for the operator's command (scripts/dead-letters.ts). */
export function deadLetterAdmin(dbConn: string, natsUrl: string) {
  const sql = postgres(dbConn, { max: 1, connect_timeout: 5, onnotice: () => {} });
  const db = drizzle(sql);
  return {
    list: (options: { all?: boolean } = {}) => listDeadLetters(db, options),
    async replay(id: number): Promise<DeadLetter> {
      const nc = await connect({ servers: natsUrl, name: "dead-letters", timeout: 5000 });
      try {
        return await republishDeadLetter(db, nc.jetstream(), id);
      } finally {
        await nc.close();
      }
    },
    discard: (id: number) => discardDeadLetter(db, id),
    close: () => sql.end({ timeout: 5 }),
  };
}

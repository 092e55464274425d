import { and, asc, eq, isNull } from "drizzle-orm";
import { drizzle } from "drizzle-orm/postgres-js";
import { connect, type JetStreamClient, headers as natsHeaders } from "nats";
import postgres from "postgres";
import type { Executor } from "./db.ts";
import { conflict, notFound } from "./errors.ts";
import { deadLetters } from "./tables.ts";

export type DeadLetter = typeof deadLetters.$inferSelect;

/** Dead letters not replayed yet (or all of them), oldest first. */
export async function listDeadLetters(db: Executor, { all = false } = {}): Promise<DeadLetter[]> {
  return db
    .select()
    .from(deadLetters)
    .where(all ? undefined : isNull(deadLetters.replayedAt))
    .orderBy(asc(deadLetters.id));
}

/**
 * Publishes a dead letter's message again, as it arrived, and marks it replayed; both or neither.
 * It gets a new Nats-Msg-Id (the event id would be dropped inside the duplicate window), so every
 * consumer of its subject receives it again: the one that gave up applies it, the others find the
 * event in their inbox and do nothing. If it fails again, it comes back as a new dead letter.
 */
export async function replayDeadLetter(db: Executor, js: JetStreamClient, id: number): Promise<DeadLetter> {
  return db.transaction(async (tx) => {
    const [letter] = await tx
      .update(deadLetters)
      .set({ replayedAt: new Date() })
      .where(and(eq(deadLetters.id, id), isNull(deadLetters.replayedAt)))
      .returning();
    if (!letter) {
      const [existing] = await tx.select().from(deadLetters).where(eq(deadLetters.id, id));
      throw existing ? conflict(`dead letter ${id} was already replayed at ${existing.replayedAt?.toISOString()}`) : notFound(`no dead letter ${id}`);
    }
    const h = natsHeaders();
    for (const [k, v] of Object.entries(letter.headers)) if (!/^nats-/i.test(k)) h.set(k, v);
    h.set("x-replay-of", `${letter.consumer}/${letter.id}`);
    await js.publish(letter.subject, letter.payload, { msgID: `replay-${letter.consumer}-${letter.id}`, headers: h, timeout: 5000 });
    return letter;
  });
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
        return await replayDeadLetter(db, nc.jetstream(), id);
      } finally {
        await nc.close();
      }
    },
    close: () => sql.end({ timeout: 5 }),
  };
}

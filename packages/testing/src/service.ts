// What a service's main.ts wires, for testing its service class directly: its own fresh database
// with the real migrations, a bus on a fresh stream, and the outbox between them.
import { AppError, Bus, createLogger, decodeEvent, type Envelope, Outbox, openDatabase, outbox } from "@evented/core";
import { asc, eq } from "drizzle-orm";
import { createDatabase, NATS_URL, uniqueStream } from "./infra.ts";

export async function serviceUnderTest<S extends Record<string, unknown>>(name: string, schema: S, migrationsFolder: string) {
  const log = createLogger(name, { level: "silent" });
  const database = await createDatabase(name);
  const stream = uniqueStream();
  const db = await openDatabase(database.url, schema, { log, migrationsFolder, poolSize: 20 });
  const bus = await Bus.connect({ url: NATS_URL, name: `${name}-test`, stream: stream.stream, prefix: stream.prefix, log });
  return {
    db,
    outbox: new Outbox(db.db, bus, log),
    /** Every event in the outbox about one aggregate, oldest first, decoded. */
    async eventsOf(aggregateId: string): Promise<Envelope[]> {
      const rows = await db.db.select().from(outbox).where(eq(outbox.aggregateId, aggregateId)).orderBy(asc(outbox.id));
      return rows.map((r) => decodeEvent(r.payload));
    },
    async close() {
      await bus.close();
      await db.close();
      await database.drop();
      await stream.remove();
    },
  };
}

/** The AppError a promise rejects with; fails if it resolves or rejects with anything else. */
export async function appError(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof AppError)) throw new Error(`expected an AppError, got ${String(err)}`);
  return err;
}

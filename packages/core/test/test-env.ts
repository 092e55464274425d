// For this package's integration tests only: a fresh database with the shared tables
// (outbox, processed_events, dead_letters, from the order service's migrations) and a fresh stream.

import { Bus } from "@evented/core/bus";
import { openDatabase } from "@evented/core/db";
import { type Envelope, newEvent } from "@evented/core/events";
import { createLogger } from "@evented/core/logger";
import { createDatabase, NATS_URL, uniqueStream } from "@evented/testing";

export const silent = createLogger("test", { level: process.env.TEST_LOG_LEVEL ?? "silent" });
const migrationsFolder = new URL("../../../drizzle/order", import.meta.url).pathname;

export async function testDatabase(prefix: string) {
  const created = await createDatabase(prefix);
  const open = () => openDatabase(created.url, {}, { log: silent, migrationsFolder });
  const main = await open();
  return {
    url: created.url,
    db: main.db,
    sql: main.client,
    /** Another pool on the same database, as another replica would have. */
    open,
    async drop() {
      await main.close();
      await created.drop();
    },
  };
}

export async function testStream(options: { duplicateWindowMs?: number } = {}) {
  const names = uniqueStream();
  const connect = (overrides: { duplicateWindowMs?: number } = options) =>
    Bus.connect({ url: NATS_URL, name: "test", stream: names.stream, prefix: names.prefix, log: silent, ...overrides });
  const bus = await connect();
  return {
    ...names,
    bus,
    /** Another connection, as another replica (or a redeploy with other settings) would have; it ensures the stream. */
    connect,
    async remove() {
      await bus.close();
      await names.remove();
    },
  };
}

/** A UserCreated event of `aggregateId` (any uuid-free text will do for the outbox). */
export function userCreated(aggregateId: string): Envelope {
  return newEvent("test", aggregateId, { $case: "userCreated", value: { userId: aggregateId, name: "Ada", email: "ada@example.com", phone: "" } });
}

// Real dead letters of the notification worker, for the tests that replay and discard them: one it
// can never decode, and one it refuses only until the cause is fixed.
import { connect } from "nats";
import postgres from "postgres";
import type { System } from "./system.ts";

/** Bytes no consumer can decode, as an order.created event: the notification worker dead-letters it at once ("undecodable event"). */
export async function publishUndecodable(system: Pick<System, "env" | "stream">) {
  const nc = await connect({ servers: system.env.notification.NATS_URL });
  try {
    await nc.jetstream().publish(`${system.stream.prefix}.order.created`, new TextEncoder().encode("not protobuf"), { msgID: crypto.randomUUID() });
  } finally {
    await nc.close();
  }
}

/**
 * Until `fix()`, the notification worker cannot record a user of this name (a trigger stands in for
 * a bug): the user's UserCreated becomes a dead letter whose reason says "recipient refused by the test".
 */
export async function refuseRecipient(notificationDbUrl: string, name: string) {
  const inDatabase = async (work: (sql: postgres.Sql) => Promise<unknown>) => {
    const sql = postgres(notificationDbUrl, { max: 1, onnotice: () => {} });
    try {
      await work(sql);
    } finally {
      await sql.end();
    }
  };
  await inDatabase(async (sql) => {
    await sql.unsafe(`create function refuse_recipient() returns trigger language plpgsql as $$
      begin if new.name = '${name.replaceAll("'", "''")}' then raise exception 'recipient refused by the test'; end if; return new; end $$`);
    await sql`create trigger refuse_recipient before insert or update on recipients for each row execute function refuse_recipient()`;
  });
  return { fix: () => inDatabase((sql) => sql`drop trigger refuse_recipient on recipients`) };
}

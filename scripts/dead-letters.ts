// `bun run dead-letters <service> list [--all]`, `... replay <id>` and `... discard <id>`: what an
// operator does with the events a consumer gave up on. Reads the service's database
// through the same configuration as the service (<SERVICE>_DB_CONN, NATS_URL), so it runs
// wherever the service runs.
// `replay` publishes the message again to its subject, so it needs NATS credentials that may publish
// it (the deployment's `ops` user): the way in when the service is down or no admin account is at
// hand. The admin API's replay (POST /admin/dead-letters/{id}/replay) is applied in the service
// itself and needs no publish rights; both end with the event applied once (the inbox), but a
// republished event that fails again comes back as a new dead letter, while the API's replay
// leaves the dead letter waiting and answers why.
// `discard` is for an event never to be applied (obsolete, or wrong): it stops waiting and the
// event it held is erased (the same code as DELETE /admin/dead-letters/{id}).
import { type DeadLetter, deadLetterAdmin, loadConfig } from "@evented/core";
import { paths, withConsumers } from "../system.ts";

const SERVICES = withConsumers().map((a) => a.name); // the services that consume events
const USAGE = `usage: bun run dead-letters <${SERVICES.join("|")}> list [--all]
       bun run dead-letters <${SERVICES.join("|")}> replay|discard <id>`;

const [service, command, arg] = process.argv.slice(2);
if (!SERVICES.includes(service ?? "") || !["list", "replay", "discard"].includes(command ?? "")) fail(USAGE, 64);

const { readConfig } = (await import(`../${paths(service!).config}`)) as { readConfig: (env: typeof process.env) => { dbConn: string; natsUrl: string } };
const config = loadConfig(service!, readConfig);
const admin = deadLetterAdmin(config.dbConn, config.natsUrl);

try {
  if (command === "list") {
    const letters = await admin.list({ all: arg === "--all" });
    if (letters.length === 0) console.log(arg === "--all" ? "no dead letters" : "no dead letters waiting");
    for (const l of letters) console.log(describe(l));
  } else {
    const id = Number(arg);
    if (!Number.isSafeInteger(id) || id <= 0) fail(`${command} needs a dead letter id (see list)\n${USAGE}`, 64);
    if (command === "replay") {
      const letter = await admin.replay(id);
      console.log(`replayed dead letter ${id} (event ${letter.eventId ?? "-"}) to ${letter.subject}`);
    } else {
      const letter = await admin.discard(id);
      console.log(`discarded dead letter ${id} (event ${letter.eventId ?? "-"}); the event it held is erased`);
    }
  }
} catch (err) {
  // Drizzle wraps driver errors ("Failed query: ..."); the cause says what is wrong.
  const e = err as Error & { cause?: Error };
  fail(`dead-letters: ${e.cause?.message ?? e.message}`, 1);
} finally {
  await admin.close();
}

function describe(l: DeadLetter): string {
  const replayed = l.replayedAt ? ` replayed=${l.replayedAt.toISOString()}` : "";
  const discarded = l.discardedAt ? ` discarded=${l.discardedAt.toISOString()}` : "";
  return `${l.id}\t${l.createdAt.toISOString()}\tconsumer=${l.consumer}\tsubject=${l.subject}\tevent=${l.eventId ?? "-"}\tdeliveries=${l.deliveries}${replayed}${discarded}\treason=${l.reason}`;
}

function fail(message: string, code: number): never {
  console.error(message);
  process.exit(code);
}

// One service's embedded PostgreSQL for zero-setup development: PGlite (PostgreSQL compiled to
// WebAssembly) keeping its files in the folder given as argument, served over the PostgreSQL wire
// protocol on a free local port, so the service talks to it through postgres.js like to any server.
// Prints `listening on 127.0.0.1:<port>` once it accepts connections. Started by scripts/run.ts.
//
// PGlite is a single-session database. pglite-socket multiplexes client connections onto that one
// session, query by query, keeping an explicit transaction's queries together; session state
// (prepared statements, advisory locks, SET) is shared by every connection. The launcher therefore
// gives each service a pool of ONE connection in embedded mode: the service's queries then reach
// PGlite exactly as they would reach one PostgreSQL backend.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

const dir = process.argv[2];
if (!dir) {
  console.error("usage: bun scripts/embedded-postgres.ts <data folder>");
  process.exit(64);
}

// The first start runs initdb, silent and slow on a busy machine: say so, and that it still runs.
const fresh = !existsSync(join(dir, "PG_VERSION"));
const started = Date.now();
const seconds = () => Math.round((Date.now() - started) / 1000);
const progress = fresh ? setInterval(() => console.error(`still initialising (${seconds()} s)`), 15_000) : undefined;
if (fresh) console.error(`initialising a new database in ${dir} (first start only: from tens of seconds to a couple of minutes)`);
const db = await PGlite.create(dir);
clearInterval(progress);
if (fresh) console.error(`database initialised in ${seconds()} s`);
// The pool's connection, plus the short-lived ones the service opens before it (database check,
// migrations) and the one of a `bun --watch` restart that connects before the old one is closed.
const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: 4 });
await server.start();
console.log(`listening on ${server.getServerConn()}`);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await server.stop();
  await db.close(); // flushes the data folder
  process.exit(0);
}
// The launcher stops the apps first, then sends SIGTERM. It starts this process in a group of its
// own; should a Ctrl-C still reach it (started some other way), ignore it so the apps can still
// finish their queries while they shut down.
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => {});
// stdin is a pipe from the launcher: when it closes, the launcher is gone (even if killed hard).
void (async () => {
  for await (const _ of Bun.stdin.stream());
  await stop();
})();

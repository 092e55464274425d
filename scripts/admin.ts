// `bun run admin create --email <address> [--name <name>]`: makes an admin (the first one, or any
// later), with the password read from stdin when piped, else a generated one printed once.
// `bun run admin new-key`: prints a new signing key as AUTH_SIGNING_KEYS takes it (a JWKS).
// Reads the user service's configuration (USER_DB_CONN, NATS_URL) and writes through its rules,
// so the UserCreated event goes out as for any user.
import { Bus, createLogger, loadConfig, Outbox, openDatabase } from "@evented/core";
import { generateSigningJwk } from "../apps/user/src/auth/keys.ts";
import { readConfig } from "../apps/user/src/config.ts";
import * as schema from "../apps/user/src/schema.ts";
import { UserService } from "../apps/user/src/service.ts";

const USAGE = `usage: bun run admin create --email <address> [--name <name>]   (password from stdin, or generated)
       bun run admin new-key                                      (a JWKS for AUTH_SIGNING_KEYS)`;

const [command, ...rest] = process.argv.slice(2);
const flag = (name: string) => {
  const i = rest.indexOf(`--${name}`);
  return i >= 0 ? rest[i + 1] : undefined;
};

if (command === "new-key") {
  console.log(JSON.stringify({ keys: [await generateSigningJwk()] }));
  process.exit(0);
}
const email = flag("email");
if (command !== "create" || !email) {
  console.error(USAGE);
  process.exit(64);
}

const piped = !process.stdin.isTTY ? (await Bun.stdin.text()).replace(/\r?\n$/, "") : "";
const password = piped || Buffer.from(crypto.getRandomValues(new Uint8Array(18))).toString("base64url");

const config = loadConfig("user", readConfig);
const log = createLogger("admin", { level: "warn", format: "json" });
const migrationsFolder = new URL("../drizzle/user", import.meta.url).pathname;
const database = await openDatabase(config.dbConn, schema, { log, migrationsFolder, poolSize: 1 });
const bus = await Bus.connect({
  url: config.natsUrl,
  name: "user-admin",
  stream: config.stream,
  prefix: config.subjectPrefix,
  duplicateWindowMs: config.duplicateWindowMs,
  log,
});
const outbox = new Outbox(database.db, bus, log);
try {
  const user = await new UserService(database.db, outbox).create({ name: flag("name") ?? "Admin", email, password, role: "admin" });
  console.log(`admin ${user.email} created (id ${user.id})`);
  // Printed once, only when made here: it is nowhere else.
  if (!piped) console.log(`password: ${password}`);
} catch (err) {
  console.error(`cannot create the admin: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  await outbox.stop();
  await bus.close();
  await database.close();
}

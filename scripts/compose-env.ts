// `bun run compose:env`: writes ./.env for docker-compose.yml from .env.example, a random password
// for each empty variable, readable by its owner only. An existing .env is kept as it is: its
// passwords are already in the volumes, and changing them would lock the services out.
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { generateSigningJwk } from "../apps/user/src/auth/keys.ts";

const root = join(import.meta.dir, "..");
const target = join(root, ".env");
if (existsSync(target)) {
  console.log(".env exists; left as it is");
  process.exit(0);
}
const secret = () => `p${Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString("hex")}`;
const lines = readFileSync(join(root, ".env.example"), "utf8")
  .split("\n")
  .map((line) => (/^[A-Z_]+=$/.test(line) ? `${line}${secret()}` : line));
// The sign-in keys, in the forms the user service and the worker take them (see .env.example).
lines.push(
  `AUTH_SIGNING_KEYS=${JSON.stringify({ keys: [await generateSigningJwk()] })}`,
  `AUTH_EMAIL_KEY=${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64")}`,
);
writeFileSync(target, lines.join("\n"), { mode: 0o600 });
chmodSync(target, 0o600);
console.log(`wrote .env with ${lines.filter((l) => /^[A-Z_]+=p[0-9a-f]{48}$/.test(l)).length} random passwords`);

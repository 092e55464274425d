// Fails when a service's schema.ts has changes that no migration in drizzle/<service> holds yet
// (someone edited a table and forgot `bun run db:generate`).
import { cpSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { paths, withDatabase } from "../system.ts";

const SERVICES = withDatabase().map((a) => a.name);
const scratch = ".data/db-check";
let stale = false;

for (const service of SERVICES) {
  const out = `${scratch}/${service}`;
  rmSync(out, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  cpSync(paths(service).migrations, out, { recursive: true });
  const run = Bun.spawnSync(["bun", "--bun", "drizzle-kit", "generate", "--dialect", "postgresql", "--schema", paths(service).schema, "--out", out], {
    stdout: "pipe",
    stderr: "pipe",
  });
  if (run.exitCode !== 0) {
    console.error(run.stdout.toString(), run.stderr.toString());
    process.exit(1);
  }
  const added = readdirSync(out).filter((f) => f.endsWith(".sql")).length - readdirSync(`drizzle/${service}`).filter((f) => f.endsWith(".sql")).length;
  if (added > 0) {
    stale = true;
    console.error(`db: apps/${service}/src/schema.ts has changes without a migration; run \`bun run db:generate\` and commit drizzle/${service}.`);
  }
}
rmSync(scratch, { recursive: true, force: true });
if (stale) process.exit(1);
console.log("db: migrations match every schema.");

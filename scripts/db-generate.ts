// `bun run db:generate`: a migration in drizzle/<app>/ for each app with a database whose
// schema.ts changed (drizzle-kit, with the app's drizzle.config.ts). Apps: system.ts.
import { dirname } from "node:path";
import { paths, withDatabase } from "../system.ts";

for (const { name } of withDatabase()) {
  console.log(`db: ${name}`);
  const run = Bun.spawnSync(["bun", "--bun", "drizzle-kit", "generate", ...process.argv.slice(2)], {
    cwd: dirname(paths(name).drizzleConfig),
    stdout: "inherit",
    stderr: "inherit",
  });
  if (run.exitCode !== 0) process.exit(run.exitCode ?? 1);
}

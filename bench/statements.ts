// `bun bench/statements.ts [orders|users] [n]`: every SQL statement the system runs for one
// POST /orders (or one POST /users), in each database, as PostgreSQL's pg_stat_statements counts
// them, beside what the bench's pgbench scripts for that request run (bench/sql/*-all-*.sql). Prints
// one JSON line; bench/lib/statements.test.ts fails when the two differ.
//
// Without TEST_PG_URL it starts a private PostgreSQL with pg_stat_statements preloaded (Debian's
// binaries, bench/lib/private-postgres.ts) and runs itself again against it. With it: the system
// starts as the bench starts it, then n requests are made one after another, each waited for until
// its notifications are stored and no delivery is due; the same wait with no request gives the
// background statements (relay and delivery sweeps, health checks), which are subtracted. Counts
// are per request.
import { ROOT } from "@evented/testing";

const [scenario = "orders", n = "10"] = process.argv.slice(2);
if (scenario !== "orders" && scenario !== "users") throw new Error("usage: bun bench/statements.ts [orders|users] [n]");

if (!process.env.TEST_PG_URL) {
  const { startPrivatePostgres } = await import("./lib/private-postgres.ts");
  const pg = await startPrivatePostgres();
  try {
    const child = Bun.spawn(["bun", "bench/statements.ts", scenario, n], {
      cwd: ROOT,
      env: { ...process.env, TEST_PG_URL: pg.url },
      stdout: "inherit",
      stderr: "inherit",
    });
    process.exitCode = await child.exited;
  } finally {
    await pg.stop();
  }
} else {
  const { measureStatements } = await import("./lib/statements.ts");
  console.log(JSON.stringify(await measureStatements(scenario, Number(n))));
}

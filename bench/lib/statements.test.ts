// The pgbench scripts of "all the SQL one request causes" (bench/sql/*-all-*.sql, the limits the
// bench compares POST /orders and POST /users with) against what the system really runs: a private
// PostgreSQL with pg_stat_statements (Debian's binaries), the whole system on it, requests made
// one by one, every statement counted per request in each database (bench/statements.ts). A new
// statement in a service, a removed one, or one run more often fails this until the scripts follow.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { ROOT } from "@evented/testing";
import { type PrivatePostgres, startPrivatePostgres } from "./private-postgres.ts";
import type { Counts } from "./statements.ts";

setDefaultTimeout(90_000);

let pg: PrivatePostgres;

beforeAll(async () => {
  pg = await startPrivatePostgres();
});

afterAll(() => pg?.stop());

async function statements(scenario: "orders" | "users"): Promise<{ system: Counts; scripts: Counts }> {
  const proc = Bun.spawn(["bun", "bench/statements.ts", scenario, "5"], {
    cwd: ROOT,
    env: { ...process.env, TEST_PG_URL: pg.url },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`bench/statements.ts ${scenario} exited with ${code}:\n${out}\n${err}`);
  return JSON.parse(out.trim().split("\n").at(-1)!);
}

test("bench/sql/order-all-*.sql run exactly the statements one POST /orders causes, as often", async () => {
  const { system, scripts } = await statements("orders");
  expect(Object.keys(system.order ?? {}).length).toBeGreaterThan(5);
  expect(Object.keys(system.notification ?? {}).length).toBeGreaterThan(5);
  expect(scripts).toEqual(system);
});

test("bench/sql/user-all-*.sql run exactly the statements one POST /users causes, as often", async () => {
  const { system, scripts } = await statements("users");
  expect(Object.keys(system.user ?? {}).length).toBeGreaterThan(3);
  expect(scripts).toEqual(system);
});

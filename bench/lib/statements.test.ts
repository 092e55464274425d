// The pgbench scripts of "all the SQL one request causes" (bench/sql/*-all-*.sql, the limits the
// bench compares POST /orders and POST /users with) against what the system really runs: a private
// PostgreSQL with pg_stat_statements (Debian's binaries), the whole system on it, requests made
// one by one, every statement counted per request in each database (bench/statements.ts). A new
// statement in a service, a removed one, or one run more often fails this until the scripts follow.
// A statement may run less often than its script says, never less than once: the deliverer sends
// what is due together, so a request's two notifications take one pass or two, as timing has it;
// the scripts count two, the work of a request that meets no batching.
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

/** The same databases and statements in both; each run at least once and at most as often as the script has it. */
function expectCovered(system: Counts, scripts: Counts) {
  const shape = (c: Counts) => Object.fromEntries(Object.entries(c).map(([db, qs]) => [db, Object.keys(qs ?? {}).sort()]));
  expect(shape(system)).toEqual(shape(scripts));
  for (const [db, qs] of Object.entries(system))
    for (const [q, calls] of Object.entries(qs ?? {})) {
      const most = scripts[db as keyof Counts]?.[q] ?? 0;
      expect({ db, q, calls, within: calls >= 1 && calls <= most }).toEqual({ db, q, calls, within: true });
    }
}

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

test("bench/sql/order-all-*.sql run every statement one POST /orders causes, at least as often", async () => {
  const { system, scripts } = await statements("orders");
  expect(Object.keys(system.order ?? {}).length).toBeGreaterThan(5);
  expect(Object.keys(system.notification ?? {}).length).toBeGreaterThan(5);
  expectCovered(system, scripts);
});

test("bench/sql/user-all-*.sql run every statement one POST /users causes, at least as often", async () => {
  const { system, scripts } = await statements("users");
  expect(Object.keys(system.user ?? {}).length).toBeGreaterThan(3);
  expectCovered(system, scripts);
});

// The harness's own promises: a start that fails half-way leaves nothing running, a crashed app
// fails the start with its output, a hung one is killed.
import { expect, setDefaultTimeout, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { appNames } from "../../../system.ts";
import { NATS_URL, uniqueName } from "./infra.ts";
import { startApp, startSystem } from "./system.ts";

setDefaultTimeout(60_000);

/** Pids of the processes started with EVENTED_TEST_MARK=<mark> in their environment. */
function processesWith(mark: string): number[] {
  return readdirSync("/proc")
    .filter((e) => /^\d+$/.test(e))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").includes(`EVENTED_TEST_MARK=${mark}`);
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
}

test("an app that exits while the system starts fails the start with its output, and what was started is stopped", async () => {
  const mark = uniqueName("mark");
  const env: Record<string, Record<string, string>> = Object.fromEntries(appNames().map((n) => [n, { EVENTED_TEST_MARK: mark }]));
  // The order service starts after the user service (it calls it): make it exit, with 78.
  env.order!.ORDER_DB_POOL_SIZE = "0";
  const err = await startSystem({ env }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(String(err)).toContain("order exited with 78 while starting");
  expect(String(err)).toContain("ORDER_DB_POOL_SIZE must be a whole number from 1");
  expect(processesWith(mark)).toEqual([]);
});

test("an app that does not listen in time is killed, and the error carries its output", async () => {
  const mark = uniqueName("mark");
  // A "database" that accepts connections and never answers: the service never gets to listen.
  const silent = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  try {
    const env = { EVENTED_TEST_MARK: mark, USER_PORT: "0", USER_DB_CONN: `postgres://postgres@127.0.0.1:${silent.port}/none`, NATS_URL };
    const err = await startApp("user", env, 3000).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(String(err)).toContain("timed out after 3000 ms waiting for user to listen");
    expect(String(err)).toContain("killed it");
    expect(processesWith(mark)).toEqual([]);
  } finally {
    silent.stop(true);
  }
});

// runService and a signal that comes while the service is still starting (a rolling update, Ctrl-C
// during a first start): what has started is stopped in order and the process exits 0, never the
// default signal death (exit 143) the launcher and orchestrators count as a crash.
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { createDatabase, freePort, ROOT, waitFor } from "@evented/testing";

setDefaultTimeout(30_000);

const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const step of cleanup) await step();
});

test("SIGTERM while the service waits for NATS at start-up: the database it opened is closed, it logs stopped and exits 0", async () => {
  const db = await createDatabase("startup_signal");
  cleanup.push(db.drop);
  // Nothing listens there: the service waits for NATS (as for a broker still starting) after opening its database.
  const env = { ...process.env, USER_PORT: "0", USER_DB_CONN: db.url, NATS_URL: `nats://127.0.0.1:${freePort()}`, LOG_FORMAT: "json" };
  const proc = Bun.spawn(["bun", "apps/user/src/main.ts"], { cwd: ROOT, env, stdout: "pipe", stderr: "pipe" });
  cleanup.push(async () => {
    proc.kill("SIGKILL");
    await proc.exited;
  });
  const lines: string[] = [];
  void (async () => {
    for await (const chunk of proc.stdout) lines.push(...new TextDecoder().decode(chunk).split("\n"));
  })();
  await waitFor("the service to wait for NATS", () => lines.some((l) => l.includes('"connecting to NATS"')), { timeoutMs: 20_000 });
  proc.kill("SIGTERM");
  const code = await Promise.race([proc.exited, Bun.sleep(15_000).then(() => "still running")]);
  expect(code).toBe(0);
  expect(lines.some((l) => l.includes('"msg":"stopped"'))).toBe(true);
});

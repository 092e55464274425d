// The launcher's zero-setup mode, as a newcomer meets it: `bun run start` with no *_DB_CONN runs
// every service on its own embedded PostgreSQL (PGlite) whose files outlive a restart.
// NATS is the machine's (NATS_URL) with a stream of this run; ports are free ones.
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, NATS_URL, ROOT, uniqueStream, waitFor } from "@evented/testing";

setDefaultTimeout(30_000);

const dataDir = mkdtempSync(join(tmpdir(), "evented-launcher-"));
const stream = uniqueStream();
const ports = { user: freePort(), order: freePort(), notification: freePort(), gateway: freePort() };
const gateway = `http://127.0.0.1:${ports.gateway}`;

afterAll(async () => {
  await stream.remove().catch(() => {});
  rmSync(dataDir, { recursive: true, force: true });
});

function launch() {
  const env: Record<string, string | undefined> = {
    ...process.env,
    DATA_DIR: dataDir,
    NATS_URL,
    NATS_STREAM: stream.stream,
    NATS_SUBJECT_PREFIX: stream.prefix,
    GATEWAY_PORT: String(ports.gateway),
    USER_PORT: String(ports.user),
    ORDER_PORT: String(ports.order),
    NOTIFICATION_PORT: String(ports.notification),
    USER_SERVICE_URL: `127.0.0.1:${ports.user}`,
    ORDER_SERVICE_URL: `127.0.0.1:${ports.order}`,
    NOTIFICATION_SERVICE_URL: `127.0.0.1:${ports.notification}`,
  };
  for (const name of ["USER_DB_CONN", "ORDER_DB_CONN", "NOTIFICATION_DB_CONN"]) delete env[name];
  const proc = Bun.spawn(["bun", "scripts/run.ts", "start"], { cwd: ROOT, env, stdout: "pipe", stderr: "pipe" });
  const output: string[] = [];
  for (const stream of [proc.stdout, proc.stderr])
    void (async () => {
      for await (const chunk of stream) output.push(new TextDecoder().decode(chunk));
    })();
  return { proc, output };
}

type Launched = ReturnType<typeof launch>;

async function stop({ proc, output }: Launched) {
  proc.kill("SIGTERM");
  const code = await Promise.race([proc.exited, Bun.sleep(30_000).then(() => "still running")]);
  if (code !== 0) proc.kill("SIGKILL");
  expect(code, output.join("")).toBe(0);
}

/** First start runs initdb three times on a contended CPU: minutes, not seconds, in the worst case. */
async function until<T>(what: string, launched: Launched, check: () => Promise<T | undefined | false>) {
  return waitFor(
    what,
    async () => {
      if (launched.proc.exitCode !== null) throw new Error(`launcher exited with ${launched.proc.exitCode}:\n${launched.output.join("")}`);
      return check();
    },
    { timeoutMs: 300_000, intervalMs: 500 },
  );
}

const json = (body: unknown) => ({ method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });

test("with no *_DB_CONN, `bun run start` serves the whole system on embedded databases that persist", async () => {
  const first = launch();
  let userId = "";
  try {
    // Every service up (its embedded database initialised), not just the user service.
    await until("GET /ready to answer 200", first, async () => (await fetch(`${gateway}/ready`).catch(() => undefined))?.status === 200);
    const created = await until("POST /users to succeed", first, async () => {
      const res = await fetch(`${gateway}/users`, json({ name: "Ada Lovelace", email: `ada.${Date.now()}@example.com` })).catch(() => undefined);
      return res?.status === 201 ? ((await res.json()) as { id: string }) : undefined;
    });
    userId = created.id;
    expect(first.output.join("")).toContain("embedded PostgreSQL for user-db, order-db, notification-db");
    for (const service of ["user", "order", "notification"]) expect(existsSync(join(dataDir, "postgres", service, "PG_VERSION"))).toBe(true);

    const read = await fetch(`${gateway}/users/${userId}`);
    expect(read.status).toBe(200);
    const order = await fetch(`${gateway}/orders`, json({ user_id: userId, items: [{ product_id: "456", quantity: 2 }] }));
    expect(order.status).toBe(201);
    const kinds = await until("the welcome and order notifications", first, async () => {
      const res = await fetch(`${gateway}/users/${userId}/notifications`);
      const { notifications } = (await res.json()) as { notifications: { kind: string }[] };
      const found = notifications.map((n) => n.kind).sort();
      return found.length === 2 ? found : undefined;
    });
    expect(kinds).toEqual(["order_confirmation", "welcome"]);
  } finally {
    await stop(first);
  }

  const second = launch();
  try {
    const again = await until("the user created before the restart", second, async () => {
      const res = await fetch(`${gateway}/users/${userId}`).catch(() => undefined);
      return res?.status === 200 ? ((await res.json()) as { name: string }) : undefined;
    });
    expect(again.name).toBe("Ada Lovelace");
  } finally {
    await stop(second);
  }
}, 900_000);

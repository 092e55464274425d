// The launcher's zero-setup mode, as a newcomer meets it: `bun run start` with no *_DB_CONN runs
// every service on its own embedded PostgreSQL (PGlite) whose files outlive a restart, says when
// the whole system is ready, and stops every app gracefully on Ctrl-C. On a shared NATS, a fresh
// data folder gets a stream of its own. NATS is the machine's (NATS_URL); ports are free ones.
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDatabase, fetchWithToken, freePort, login, NATS_URL, ROOT, uniqueStream, waitFor } from "@evented/testing";
import { connect } from "nats";
import postgres from "postgres";

setDefaultTimeout(30_000);

const dataDir = mkdtempSync(join(tmpdir(), "evented-launcher-"));
const stream = uniqueStream();
const ports = { user: freePort(), order: freePort(), notification: freePort(), gateway: freePort() };
const gateway = `http://127.0.0.1:${ports.gateway}`;

const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  await stream.remove().catch(() => {});
  rmSync(dataDir, { recursive: true, force: true });
  for (const step of cleanup) await step().catch(() => {});
});

/** The launcher in a process group of its own, as a terminal runs it: a group SIGINT is Ctrl-C. */
function launch(overrides: Record<string, string | undefined> = {}) {
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
  Object.assign(env, overrides);
  for (const [name, value] of Object.entries(overrides)) if (value === undefined) delete env[name];
  const proc = Bun.spawn(["bun", "scripts/run.ts", "start"], { cwd: ROOT, env, stdout: "pipe", stderr: "pipe", detached: true });
  const output: string[] = [];
  // Read to the end: the apps' "stopped" lines arrive after the launcher's exit is seen.
  const read = Promise.all(
    [proc.stdout, proc.stderr].map(async (stream) => {
      for await (const chunk of stream) output.push(new TextDecoder().decode(chunk));
    }),
  );
  return { proc, output, read };
}

type Launched = ReturnType<typeof launch>;

/** A failure while the launcher runs says what it printed: the cause is usually there. */
function withOutput(err: unknown, { output }: Launched) {
  if (err instanceof Error) err.message += `\n--- the launcher's output ---\n${output.join("").slice(-6000)}`;
  return err;
}

const APPS = ["user", "order", "notification", "gateway"];

/**
 * Stops the launcher with SIGTERM, or with Ctrl-C (`ctrlC`: SIGINT to its whole process group, as a
 * terminal sends it, and once more a moment later, as \`bun run dev\`, in that group too, passes it
 * on); either way every app must stop gracefully: its own "stopped" log line, exit 0.
 */
async function stop({ proc, output, read }: Launched, how: "SIGTERM" | "ctrlC" = "SIGTERM") {
  if (how === "ctrlC") {
    process.kill(-proc.pid, "SIGINT");
    await Bun.sleep(20);
    proc.kill("SIGINT");
  } else proc.kill("SIGTERM");
  const code = await Promise.race([proc.exited, Bun.sleep(30_000).then(() => "still running")]);
  if (code !== 0) proc.kill("SIGKILL");
  await Promise.race([read, Bun.sleep(5_000)]);
  const text = output.join("");
  expect(code, text).toBe(0);
  for (const app of APPS) {
    expect(text, app).toContain(`${app} stopped with code 0`);
    expect(text, app).toMatch(new RegExp(`"service":"${app}".*"msg":"stopped"`));
  }
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
  let token = "";
  const email = `ada.${Date.now()}@example.com`;
  const password = "ada's long passphrase";
  try {
    // Every service up (its embedded database initialised), not just the user service.
    await until("GET /ready to answer 200", first, async () => (await fetch(`${gateway}/ready`).catch(() => undefined))?.status === 200);
    await until("the launcher's ready line", first, async () => first.output.join("").includes(`ready: http://localhost:${ports.gateway} `));
    expect(first.output.join("")).toContain("initialising a new database in");
    const created = await until("POST /users to succeed", first, async () => {
      const res = await fetch(`${gateway}/users`, json({ name: "Ada Lovelace", email, password })).catch(() => undefined);
      return res?.status === 201 ? ((await res.json()) as { id: string }) : undefined;
    });
    userId = created.id;
    token = (await login(gateway, email, password)).access_token;
    const authed = fetchWithToken(token);
    expect(first.output.join("")).toContain("embedded PostgreSQL for user-db, order-db, notification-db");
    for (const service of ["user", "order", "notification"]) expect(existsSync(join(dataDir, "postgres", service, "PG_VERSION"))).toBe(true);

    const read = await authed(`${gateway}/users/${userId}`);
    expect(read.status).toBe(200);
    const order = await authed(`${gateway}/orders`, json({ user_id: userId, items: [{ product_id: "456", quantity: 2 }] }));
    expect(order.status).toBe(201);
    const kinds = await until("the welcome and order notifications", first, async () => {
      const res = await authed(`${gateway}/users/${userId}/notifications`);
      const { notifications } = (await res.json()) as { notifications: { kind: string }[] };
      const found = notifications.map((n) => n.kind).sort();
      return found.length === 3 ? found : undefined;
    });
    expect(kinds).toEqual(["order_confirmation", "verify_email", "welcome"]);
    // The web app, on the same origin: built on this first page request, with its script.
    const page = await fetch(`${gateway}/`);
    expect({ status: page.status, type: page.headers.get("content-type") }).toEqual({ status: 200, type: "text/html; charset=utf-8" });
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(await page.text())?.[1];
    expect((await fetch(`${gateway}${script}`)).status).toBe(200);
  } catch (err) {
    throw withOutput(err, first);
  } finally {
    await stop(first, "ctrlC");
  }

  const second = launch();
  try {
    // The signing key was kept (DATA_DIR/auth-keys.json): the token from before the restart still works.
    const again = await until("the user created before the restart", second, async () => {
      const res = await fetchWithToken(token)(`${gateway}/users/${userId}`).catch(() => undefined);
      return res?.status === 200 ? ((await res.json()) as { name: string }) : undefined;
    });
    expect(again.name).toBe("Ada Lovelace");
  } catch (err) {
    throw withOutput(err, second);
  } finally {
    await stop(second);
  }
}, 900_000);

test("on a shared NATS, a fresh data folder is a new system: the old system's events are not replayed to it", async () => {
  const folders: string[] = [];
  /** One system: a data folder, fresh databases on the real PostgreSQL, the shared NATS, no NATS_STREAM. */
  async function system() {
    const dir = mkdtempSync(join(tmpdir(), "evented-launcher-"));
    folders.push(dir);
    cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
    const dbs: Record<string, string> = {};
    for (const service of ["user", "order", "notification"]) {
      const db = await createDatabase(`launch_${service}`);
      cleanup.push(db.drop);
      dbs[`${service.toUpperCase()}_DB_CONN`] = db.url;
    }
    const launched = launch({ DATA_DIR: dir, NATS_STREAM: undefined, NATS_SUBJECT_PREFIX: undefined, ...dbs });
    const id = await until("the system id", launched, async () =>
      existsSync(join(dir, "system-id")) ? (await Bun.file(join(dir, "system-id")).text()).trim() : undefined,
    );
    cleanup.push(async () => {
      const nc = await connect({ servers: NATS_URL });
      await (await nc.jetstreamManager()).streams.delete(`EVENTS_${id.toUpperCase()}`).catch(() => false);
      await nc.close();
    });
    await until("the launcher's ready line", launched, async () => launched.output.join("").includes("ready: http://localhost:"));
    return { launched, id, notificationsDb: dbs.NOTIFICATION_DB_CONN! };
  }
  async function welcomed(launched: Launched, email: string) {
    const password = "ada's long passphrase";
    const user = (await (await fetch(`${gateway}/users`, json({ name: "Ada", email, password }))).json()) as { id: string };
    const authed = fetchWithToken((await login(gateway, email, password)).access_token);
    // A sign-up is welcomed and asked to verify the address: two notifications.
    await until("the welcome and verification notifications", launched, async () => {
      const { notifications } = (await (await authed(`${gateway}/users/${user.id}/notifications`)).json()) as { notifications: unknown[] };
      return notifications.length === 2;
    });
    return user.id;
  }

  const old = await system();
  try {
    expect(old.launched.output.join("")).toContain(`events: stream EVENTS_${old.id.toUpperCase()}`);
    await welcomed(old.launched, `old.${Date.now()}@example.com`);
  } finally {
    await stop(old.launched);
  }

  const fresh = await system();
  try {
    expect(fresh.id).not.toBe(old.id);
    const userId = await welcomed(fresh.launched, `new.${Date.now()}@example.com`);
    // The stream is consumed in order: the old UserCreated, had it been replayed, came first.
    const sql = postgres(fresh.notificationsDb, { max: 1, onnotice: () => {} });
    const rows = await sql`select user_id from notifications`;
    await sql.end();
    expect(rows.map((r) => r.user_id)).toEqual([userId, userId]);
  } finally {
    await stop(fresh.launched);
  }
}, 300_000);

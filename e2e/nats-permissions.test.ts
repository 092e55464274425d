// The deployment's NATS configuration (deploy/nats/nats-server.conf) on a nats-server of this test's
// own: the whole system runs with one NATS user per service, and a process holding only the order
// service's credentials cannot publish another service's event (events.user.deleted), nor can anyone
// without credentials connect; an admin's replay of a dead letter works all the same (the service
// applies it itself, publishing nothing).
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { natsServers } from "@evented/core";
import { createAdmin, createDatabase, freePort, ROOT, type RunningApp, refuseRecipient, signUp, startApp, waitFor } from "@evented/testing";
import { connect, type NatsConnection } from "nats";

setDefaultTimeout(60_000);

const port = freePort();
// nats-server parses an environment value as configuration: a password must read as one word (see the file).
const password = () => `p${Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString("hex")}`;
const passwords = Object.fromEntries(["user", "order", "notification", "ops"].map((u) => [u, password()]));
const urlOf = (user: string) => `nats://${user}:${passwords[user]}@127.0.0.1:${port}`;
const store = mkdtempSync(join(tmpdir(), "nats-perms-"));
const serverLog = join(store, "server.log");
const violations = async () => (await Bun.file(serverLog).text()).split("\n").filter((l) => /Violation/.test(l));
const cleanup: (() => unknown)[] = [];
let gateway = "";
let userDbUrl = "";
let notificationDbUrl = "";
let server: ReturnType<typeof Bun.spawn>;

beforeAll(async () => {
  const bin = process.env.NATS_SERVER_BIN ?? Bun.which("nats-server") ?? "/usr/sbin/nats-server";
  const env = Object.fromEntries(Object.entries(passwords).map(([u, p]) => [`NATS_${u.toUpperCase()}_PASSWORD`, p]));
  server = Bun.spawn([bin, "-c", join(ROOT, "deploy/nats/nats-server.conf"), "-a", "127.0.0.1", "-p", String(port), "-js", "-sd", store], {
    env,
    stdout: "ignore",
    stderr: Bun.file(serverLog),
  });
  cleanup.push(async () => {
    server.kill("SIGKILL");
    await server.exited;
    rmSync(store, { recursive: true, force: true });
  });
  await waitFor("nats-server with the deployment's configuration", async () => {
    const nc = await connect({ ...natsServers(urlOf("ops")), reconnect: false, timeout: 500 }).catch(() => undefined);
    await nc?.close();
    return nc !== undefined;
  });

  const dbs = await Promise.all(["user", "order", "notification"].map((name) => createDatabase(`perm_${name}`)));
  for (const db of dbs) cleanup.push(db.drop);
  const ports = { user: freePort(), order: freePort(), notification: freePort(), gateway: freePort() };
  const apps: RunningApp[] = [];
  cleanup.unshift(async () => {
    for (const a of apps) a.proc.kill("SIGTERM");
    await Promise.all(apps.map((a) => a.proc.exited));
  });
  const [userDb, orderDb, notificationDb] = dbs as [(typeof dbs)[0], (typeof dbs)[0], (typeof dbs)[0]];
  userDbUrl = userDb.url;
  notificationDbUrl = notificationDb.url;
  // Each kept as it comes up, and all of them settled before a failure is thrown: one that fails to
  // start leaves none of its siblings running.
  const start = async (...args: Parameters<typeof startApp>) => {
    const app = await startApp(...args);
    apps.push(app);
    return app;
  };
  await start("user", { NATS_URL: urlOf("user"), USER_PORT: String(ports.user), USER_DB_CONN: userDb.url });
  const started = await Promise.allSettled([
    start("order", { NATS_URL: urlOf("order"), ORDER_PORT: String(ports.order), ORDER_DB_CONN: orderDb.url, USER_SERVICE_URL: `127.0.0.1:${ports.user}` }),
    start("notification", {
      // As a Kubernetes Secret gives them (deploy/k8s): the credentials apart from the URL.
      NATS_URL: `nats://127.0.0.1:${port}`,
      NATS_USER: "notification",
      NATS_PASSWORD: passwords.notification!,
      NOTIFICATION_PORT: String(ports.notification),
      NOTIFICATION_DB_CONN: notificationDb.url,
      NOTIFICATION_MAX_ATTEMPTS: "2", // the last test's dead letter comes soon
      USER_SERVICE_URL: `127.0.0.1:${ports.user}`,
    }),
    start("gateway", {
      GATEWAY_PORT: String(ports.gateway),
      USER_SERVICE_URL: `127.0.0.1:${ports.user}`,
      ORDER_SERVICE_URL: `127.0.0.1:${ports.order}`,
      NOTIFICATION_SERVICE_URL: `127.0.0.1:${ports.notification}`,
    }),
  ]);
  const failed = started.find((r) => r.status === "rejected");
  if (failed) throw failed.reason;
  gateway = `http://127.0.0.1:${ports.gateway}`;
}, 90_000);

afterAll(async () => {
  for (const step of cleanup) await step();
});

test("every service works with only its own permissions: events published, consumed and acknowledged", async () => {
  expect((await globalThis.fetch(`${gateway}/ready`)).status).toBe(200);
  const ada = await signUp(gateway, { name: "Ada" });
  const fetch = ada.fetch; // the rest as Ada, signed in
  const user = { id: ada.id };
  const order = (await (
    await fetch(`${gateway}/orders`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ user_id: user.id, items: [{ product_id: "456", quantity: 1 }] }),
    })
  ).json()) as { id: string };
  await waitFor("welcome and order confirmation (notification consumed user and order events)", async () => {
    const { notifications } = (await (await fetch(`${gateway}/users/${user.id}/notifications`)).json()) as { notifications: { kind: string }[] };
    return ["welcome", "order_confirmation"].every((k) => notifications.some((n) => n.kind === k));
  });
  expect((await fetch(`${gateway}/users/${user.id}`, { method: "DELETE" })).status).toBe(204);
  await waitFor("the order cancelled (order consumed UserDeleted)", async () => {
    const o = (await (await fetch(`${gateway}/orders/${order.id}`)).json()) as { status: string };
    return o.status === "cancelled";
  });
  // Not one refusal on the way: each service's list of permissions is complete.
  expect(await violations()).toEqual([]);
});

async function as(user: string): Promise<NatsConnection> {
  const nc = await connect({ ...natsServers(urlOf(user)), reconnect: false });
  cleanup.unshift(() => nc.close());
  return nc;
}

async function messagesOn(subject: string): Promise<number> {
  const jsm = await (await as("ops")).jetstreamManager();
  const info = await jsm.streams.info("EVENTS", { subjects_filter: subject });
  return info.state.subjects?.[subject] ?? 0;
}

test("the order service's credentials cannot publish events.user.deleted; the stream never gets it", async () => {
  const before = await messagesOn("events.user.deleted");
  const js = (await as("order")).jetstream();
  const err = await js.publish("events.user.deleted", new Uint8Array([1]), { timeout: 2000 }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  expect(await messagesOn("events.user.deleted")).toBe(before);
  expect((await violations()).at(-1)).toContain('Publish Violation - User "order", Subject "events.user.deleted"');
  // The same connection may publish its own events: the refusal is the permission, not the connection.
  const ack = await js.publish("events.order.test_probe", new Uint8Array([1]), { timeout: 2000 });
  expect(ack.stream).toBe("EVENTS");
});

test("the notification worker's credentials publish no event at all", async () => {
  const js = (await as("notification")).jetstream();
  const err = await js.publish("events.order.created", new Uint8Array([1]), { timeout: 2000 }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
});

test("without credentials, or with another user's password, nobody connects", async () => {
  for (const servers of [`nats://127.0.0.1:${port}`, `nats://order:${passwords.user}@127.0.0.1:${port}`]) {
    const err = await connect({ ...natsServers(servers), reconnect: false, timeout: 2000 }).then(
      async (nc) => {
        await nc.close();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(String(err)).toMatch(/AUTHORIZATION_VIOLATION|Authorization Violation/i);
  }
});

test("an admin replays a dead letter through the API under these permissions: refused while it still fails, then applied once, then 409", async () => {
  // The notification worker cannot record this user (a trigger stands in for a bug): a dead letter.
  const name = `Refused ${crypto.randomUUID().slice(0, 8)}`;
  const refusal = await refuseRecipient(notificationDbUrl, name);
  const admin = await createAdmin(userDbUrl, gateway);
  const bob = await signUp(gateway, { name });
  const letters = async () =>
    (
      (await (await admin.fetch(`${gateway}/admin/dead-letters`)).json()) as {
        dead_letters: { id: string; consumer: string; event_type: string; reason: string }[];
      }
    ).dead_letters;
  const letter = await waitFor("Bob's UserCreated dead-lettered by the notification worker", async () =>
    (await letters()).find((l) => l.consumer === "notification" && l.event_type === "UserCreated" && l.reason.includes("refused by the test")),
  );
  expect(letter.reason).not.toContain(bob.email); // the driver's message, not the query with its parameters
  const welcomes = async () =>
    ((await (await bob.fetch(`${gateway}/users/${bob.id}/notifications`)).json()) as { notifications: { kind: string }[] }).notifications.filter(
      (n) => n.kind === "welcome",
    ).length;
  const replay = () => admin.fetch(`${gateway}/admin/dead-letters/${letter.id}/replay`, { method: "POST" });
  const refusalsBefore = (await violations()).length;

  // Not fixed yet: it fails again, a clear 400, and it keeps waiting.
  const again = await replay();
  const body = (await again.json()) as { error: { code: string; message: string } };
  expect({ status: again.status, code: body.error.code }).toEqual({ status: 400, code: "FAILED_PRECONDITION" });
  expect(body.error.message).toContain("failed again (recipient refused by the test)");
  expect((await letters()).map((l) => l.id)).toContain(letter.id);
  expect(await welcomes()).toBe(0);

  await refusal.fix(); // the fix is deployed
  const replayed = await replay();
  expect(replayed.status).toBe(200);
  expect(((await replayed.json()) as { replayed_at: string | null }).replayed_at).toEqual(expect.any(String));
  expect(await welcomes()).toBe(1); // applied when the answer came, once
  expect((await replay()).status).toBe(409);
  expect((await letters()).map((l) => l.id)).not.toContain(letter.id);
  expect(await welcomes()).toBe(1);
  // Nothing was published on the way: not one refusal more from NATS.
  expect((await violations()).length).toBe(refusalsBefore);
});

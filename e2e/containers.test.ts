// The compose stack in a real engine: every image built by Docker (classic builder) on the
// stand-in base images of scripts/container-engine.ts, `docker-compose up`, the README's curl flow,
// a service container restarted, `order` scaled to 3, and `down -v` leaving nothing behind.
// Skipped, saying why, only where no engine can start (not Linux, not root, no dockerd/debootstrap).
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { natsConfig } from "@evented/core";
import { freePort, ROOT, waitFor } from "@evented/testing";
import { cannotStart, type Engine, ensureStandIns, startEngine } from "../scripts/container-engine.ts";
import { APPS } from "../system.ts";
import { clusterComposeConfig, composeSecrets } from "./compose-secrets.ts";

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON and YAML, read by the test field by field
type Json = any;

setDefaultTimeout(120_000);

const why = cannotStart();
if (why) console.warn(`e2e/containers.test.ts skipped: no container engine can start here (${why})`);

const SERVICES = ["postgres", "nats", "user", "order", "notification", "gateway"];
// One project name for every run (the engine runs one test at a time): each build replaces the last
// one's images, whose layers stay cached in the engine's data root for the next build.
const project = "eventede2e";
const secrets = await composeSecrets(); // what a .env gives the compose file
const port = freePort();
const base = `http://127.0.0.1:${port}`;
let engine: Engine;

async function compose(...args: string[]): Promise<string> {
  const proc = Bun.spawn(["docker-compose", "-p", project, "-f", "docker-compose.yml", ...args], {
    cwd: ROOT,
    env: { ...process.env, ...engine.env, ...secrets, GATEWAY_PUBLISH: `127.0.0.1:${port}` },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [code, out, err] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  if (code !== 0) throw new Error(`docker-compose ${args.join(" ")} exited ${code}:\n${err.slice(-4000)}`);
  return out;
}

/** Each container of the project: its compose service and health. */
async function containers(): Promise<{ id: string; service: string; health: string; state: string }[]> {
  const ids = (await engine.docker(["ps", "-aq", "--filter", `label=com.docker.compose.project=${project}`])).split("\n").filter(Boolean);
  if (ids.length === 0) return [];
  const format =
    '{{.Id}} {{index .Config.Labels "com.docker.compose.service"}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}} {{.State.Status}}';
  return (await engine.docker(["inspect", "--format", format, ...ids]))
    .trim()
    .split("\n")
    .map((line) => {
      const [id, service, health, state] = line.split(" ") as [string, string, string, string];
      return { id, service, health, state };
    });
}

async function allHealthy(expected: Record<string, number>): Promise<boolean> {
  const running = await containers();
  for (const [service, count] of Object.entries(expected)) {
    const mine = running.filter((c) => c.service === service);
    if (mine.length !== count || mine.some((c) => c.health !== "healthy")) return false;
  }
  return true;
}

const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as Record<string, Json> });
/** The signed-in user's access token, once the flow has one: every call then carries it. */
let token = "";
const auth = (): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});
const post = (path: string, body: unknown) =>
  fetch(`${base}${path}`, { method: "POST", headers: { "content-type": "application/json", ...auth() }, body: JSON.stringify(body) }).then(json);
const get = (path: string) => fetch(`${base}${path}`, { headers: auth() }).then(json);

describe.skipIf(why !== undefined)("docker-compose.yml in a real engine", () => {
  let user: Record<string, Json>;
  let order: Record<string, Json>;

  beforeAll(async () => {
    engine = await startEngine();
    await ensureStandIns(engine);
    await compose("down", "-v", "--remove-orphans", "--timeout", "1"); // what an interrupted run left
    await engine.docker(["image", "prune", "-f"]); // the images earlier builds replaced
  }, 420_000);

  afterAll(async () => {
    if (!engine) return;
    await compose("down", "-v", "--remove-orphans", "--timeout", "5").catch((err) => console.error(String(err)));
    await engine.stop();
  }, 120_000);

  test("builds every image with the engine", async () => {
    await compose("build", "--parallel");
    for (const app of ["user", "order", "notification", "gateway"]) {
      const config = JSON.parse(await engine.docker(["image", "inspect", "--format", "{{json .Config}}", `${project}_${app}`]));
      expect(config.User).toBe("bun");
      expect(config.Env).toContain("NODE_ENV=production");
    }
  }, 600_000); // a fresh engine has no cached layer: four installs and the web build, on two cores

  test("starts the stack, and every container becomes healthy", async () => {
    await compose("up", "-d").catch(async (err) => {
      throw new Error(`${err}\n${(await compose("logs", "--tail", "30").catch(String)).slice(-6000)}`);
    });
    await waitFor("every container to be healthy", () => allHealthy(Object.fromEntries(SERVICES.map((s) => [s, 1]))), {
      timeoutMs: 150_000,
      intervalMs: 1000,
    }).catch(async (err) => {
      throw new Error(`${err}\n${JSON.stringify(await containers())}\n${(await compose("logs", "--tail", "30").catch(String)).slice(-6000)}`);
    });
    expect((await get("/ready")).body.status).toBe("ready");
  }, 180_000);

  test("the README's flow: sign-up, login, order, notifications", async () => {
    const credentials = { email: "john@example.com", password: "correct horse battery staple" };
    const signup = await post("/users", { name: "John Doe", ...credentials });
    expect(signup.status).toBe(201);
    user = signup.body;
    expect((await get(`/users/${user.id}`)).status).toBe(401); // no token yet
    const login = await post("/auth/login", credentials);
    expect(login.status).toBe(200);
    token = login.body.access_token;
    expect((await get(`/users/${user.id}`)).body.email).toBe(user.email);
    const placed = await post("/orders", { user_id: user.id, items: [{ product_id: "456", quantity: 2 }] });
    expect(placed.status).toBe(201);
    order = placed.body;
    const kinds = await waitFor(
      "the welcome and order notifications",
      async () => {
        const list = (await get(`/users/${user.id}/notifications`)).body.notifications as { kind: string }[];
        const found = list.map((n) => n.kind);
        return ["welcome", "order_confirmation"].every((k) => found.includes(k)) && found.sort();
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(kinds).toEqual(expect.arrayContaining(["order_confirmation", "welcome"]));
  });

  test("a restarted service container loses nothing", async () => {
    await compose("restart", "--timeout", "5", "order");
    await waitFor("order healthy again", () => allHealthy({ order: 1 }), { timeoutMs: 90_000, intervalMs: 1000 });
    expect((await get(`/orders/${order.id}`)).body).toMatchObject({ id: order.id, user_id: user.id, total: order.total });
    const again = await post("/orders", { user_id: user.id, items: [{ product_id: "789", quantity: 1 }] });
    expect(again.status).toBe(201);
    await waitFor(
      "the second order's notification",
      async () => {
        const list = (await get(`/users/${user.id}/notifications`)).body.notifications as { subject: string }[];
        return list.some((n) => n.subject.includes(again.body.id));
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
  });

  test("scales order to 3, and every replica serves", async () => {
    await compose("up", "-d", "--no-recreate", "--scale", "order=3");
    await waitFor("three healthy order replicas", () => allHealthy({ order: 3 }), { timeoutMs: 120_000, intervalMs: 1000 });
    // The gateway looks the name up again when a connection reaches its age (30 s, grpc.ts), so
    // within a minute the new replicas take calls too.
    const replicas = (await containers()).filter((c) => c.service === "order").map((c) => c.id);
    expect(replicas).toHaveLength(3);
    const ids: string[] = [];
    await waitFor(
      "every order replica to serve a CreateOrder",
      async () => {
        const placed = await post("/orders", { user_id: user.id, items: [{ product_id: "123", quantity: 1 }] });
        expect(placed.status).toBe(201);
        ids.push(placed.body.id);
        const logs = await Promise.all(replicas.map((id) => engine.docker(["logs", id])));
        return logs.every((l) => /"method":"createOrder"/.test(l));
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    for (const id of ids) expect((await get(`/orders/${id}`)).status).toBe(200);
  }, 180_000);

  test("`down -v` leaves no container, network or volume", async () => {
    await compose("down", "-v", "--remove-orphans", "--timeout", "5");
    const label = `label=com.docker.compose.project=${project}`;
    expect(await engine.docker(["ps", "-aq", "--filter", label])).toBe("");
    expect(await engine.docker(["network", "ls", "-q", "--filter", label])).toBe("");
    expect(await engine.docker(["volume", "ls", "-q", "--filter", label])).toBe("");
  }, 120_000);
});

// Needs docker-compose only (no engine): the override that runs NATS as a 3-node JetStream cluster.
test("docker-compose.cluster.yml: three NATS nodes routed together with the route password, every service on all three, 3 stream copies", async () => {
  const { code, out, err } = await clusterComposeConfig(secrets);
  expect(code, err).toBe(0);
  const { services } = Bun.YAML.parse(out) as { services: Record<string, { command?: string[]; environment?: Record<string, string> }> };
  const nodes = ["nats", "nats-2", "nats-3"];
  for (const node of nodes) {
    const command = services[node]!.command!;
    expect(command).toContain("-js");
    const routes = command[command.indexOf("--routes") + 1]!.split(",").map((u) => new URL(u));
    expect(routes.map((u) => u.host)).toEqual(nodes.map((n) => `${n}:6222`));
    // It asks servers dialling in for the route password (--cluster) and gives it dialling out (e2e/nats-routes.test.ts runs them).
    for (const url of [new URL(command[command.indexOf("--cluster") + 1]!), ...routes])
      expect([url.username, url.password]).toEqual(["route", secrets.NATS_ROUTE_PASSWORD!]);
  }
  // Each node has every password the conf it reads names (a missing one fails the conf), a
  // generated service's too (scripts/new.test.ts runs this on one).
  const passwords = [...readFileSync(join(ROOT, "deploy/nats/nats-server.conf"), "utf8").matchAll(/password: \$(\w+)/g)].map((m) => m[1]!);
  for (const node of nodes) for (const name of passwords) expect(services[node]!.environment![name], `${node}: ${name}`).toBe(secrets[name]!);
  // Every app system.ts says needs NATS: all three servers, as its own user, and three copies.
  for (const app of APPS.filter((a) => a.dependsOn.nats)) {
    const nats = natsConfig(services[app.name]!.environment!);
    const urls = nats.natsUrl.split(",").map((u) => new URL(u));
    const hosts = urls.map((u) => u.hostname);
    expect(hosts, app.name).toEqual(nodes);
    // (the credentials of the first URL apply to every server)
    expect([urls[0]!.username, urls[0]!.password], app.name).toEqual([app.name, secrets[`NATS_${app.name.toUpperCase()}_PASSWORD`]!]);
    expect(nats.streamReplicas, app.name).toBe(3);
  }
});

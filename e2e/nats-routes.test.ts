// A NATS cluster's routes (port 6222) carry every message of every user, past the users and
// permissions of deploy/nats/nats-server.conf: a server that joins as a route sees and injects them
// all. So routes authenticate: a nats-server without the route password gets no route, and one with
// it does (which shows the check can see a route). Run on the cluster of docker-compose.cluster.yml,
// with the commands `docker-compose config` gives (only hosts, ports and stores this machine's), and
// on e2e/nats-cluster.ts's, which the failover and startup tests use. On the first, every app that
// needs NATS also signs in on each server as its NATS_URL says.
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { natsConfig } from "@evented/core";
import { freePort, uniqueName, waitFor } from "@evented/testing";
import { connect, type NatsConnection } from "nats";
import { APPS } from "../system.ts";
import { clusterComposeConfig, composeSecrets } from "./compose-secrets.ts";
import { type NatsNode, natsCluster } from "./nats-cluster.ts";

setDefaultTimeout(60_000);

const BIN = process.env.NATS_SERVER_BIN ?? Bun.which("nats-server") ?? "/usr/sbin/nats-server";
const dir = mkdtempSync(join(tmpdir(), "nats-routes-"));
const cleanups: (() => Promise<unknown> | unknown)[] = [() => rmSync(dir, { recursive: true, force: true })];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** A nats-server of this test's, killed at the end; its log in `log`. */
function spawn(name: string, args: string[], env: Record<string, string> = {}) {
  const log = join(dir, `${name}.log`);
  const proc = Bun.spawn([BIN, ...args], { env, stdout: "ignore", stderr: Bun.file(log) });
  const kill = async () => {
    proc.kill("SIGKILL");
    await proc.exited;
  };
  cleanups.push(kill);
  return { log, kill };
}

const numRoutes = async (monitor: string) => ((await (await fetch(`${monitor}/routez`)).json()) as { num_routes: number }).num_routes;

/** Waits until each server has a route to every other. */
const routedTogether = (monitors: string[]) =>
  waitFor(
    "every server routed to every other",
    async () => {
      for (const monitor of monitors) if ((await numRoutes(monitor).catch(() => 0)) !== monitors.length - 1) return false;
      return true;
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );

/** Whether a message on `subject` reached `nc`, from the time of the call. */
function arrivals(nc: NatsConnection, subject: string) {
  const got = { any: false };
  const sub = nc.subscribe(subject);
  (async () => {
    for await (const _ of sub) got.any = true;
  })();
  return got;
}

/**
 * Starts a plain nats-server soliciting a route to `route` and reports whether it got a route,
 * whether a client of it sees an event published on the cluster (by `cluster`, a client there), and
 * whether it can inject a message that a subscriber of the cluster gets.
 */
async function outsider(route: string, cluster: NatsConnection): Promise<{ routed: boolean; sees: boolean; injects: boolean }> {
  const [client, http] = [freePort(), freePort()];
  const server = spawn(uniqueName("outsider"), [
    ...["-a", "127.0.0.1", "-p", String(client), "-m", String(http)],
    ...["--cluster_name", "evented", "--cluster", `nats://127.0.0.1:${freePort()}`, "--routes", route],
  ]);
  const monitor = `http://127.0.0.1:${http}`;
  try {
    const nc = await waitFor("the outsider's client port", () => connect({ servers: `127.0.0.1:${client}`, reconnect: false }).catch(() => undefined));
    const id = crypto.randomUUID();
    // (subjects the deployment's users may publish and subscribe to: an event, a reply)
    const seen = arrivals(nc, `events.probe.${id}`);
    const injected = arrivals(cluster, `_INBOX.probe.${id}`);
    await Promise.all([nc.flush(), cluster.flush()]);
    const refusedOrRouted = async () => /Authorization Violation/.test(await Bun.file(server.log).text()) || (await numRoutes(monitor)) > 0;
    await waitFor("the cluster to refuse the route or make it", refusedOrRouted, { timeoutMs: 10_000, intervalMs: 100 });
    // A new route needs a moment to share its subscriptions: a few tries.
    for (let i = 0; i < 20 && !(seen.any && injected.any); i++) {
      cluster.publish(`events.probe.${id}`);
      nc.publish(`_INBOX.probe.${id}`);
      await Promise.all([nc.flush(), cluster.flush()]);
      await Bun.sleep(100);
    }
    const routed = (await numRoutes(monitor)) > 0;
    await nc.close();
    return { routed, sees: seen.any, injects: injected.any };
  } finally {
    await server.kill();
  }
}

/** The route URL without its user and password. */
const withoutCredentials = (route: string) => {
  const url = new URL(route);
  url.username = "";
  url.password = "";
  return url.toString();
};

/** docker-compose.cluster.yml's NATS servers as `docker-compose config` gives them, on this machine, and its services. */
async function composeCluster() {
  const secrets = await composeSecrets();
  const { code, out, err } = await clusterComposeConfig(secrets);
  expect(code, err).toBe(0);
  type Service = { image?: string; command: string[]; environment: Record<string, string>; volumes: string[] };
  const all = (Bun.YAML.parse(out) as { services: Record<string, Service> }).services;
  const services = Object.entries(all).filter(([, s]) => s.image?.startsWith("nats:"));
  expect(services.map(([name]) => name)).toEqual(["nats", "nats-2", "nats-3"]);
  const ports = Object.fromEntries(services.map(([name]) => [name, { client: freePort(), route: freePort(), http: freePort() }]));
  // A route URL to a service's cluster port (0.0.0.0: its own), on the port that stands for it here.
  const local = (self: string, arg: string) =>
    arg
      .split(",")
      .map((u) => {
        if (!u.includes("://")) return u;
        const url = new URL(u);
        if (url.port !== "6222") return u;
        url.port = String(ports[url.hostname === "0.0.0.0" ? self : url.hostname]!.route);
        url.hostname = "127.0.0.1";
        return url.toString();
      })
      .join(",");
  const nodes = services.map(([name, service]) => {
    const p = ports[name]!;
    const args = service.command.map((arg, i) => {
      const flag = service.command[i - 1];
      if (flag === "-m") return String(p.http);
      if (flag === "-sd") return join(dir, name);
      // the file the container has there is the one the service mounts
      if (flag === "-c") return service.volumes.find((v) => v.split(":")[1] === arg)!.split(":")[0]!;
      return local(name, arg);
    });
    spawn(name, [...args, "-a", "127.0.0.1", "-p", String(p.client)], service.environment);
    const routes = service.command[service.command.indexOf("--routes") + 1]!;
    return {
      name,
      url: `nats://127.0.0.1:${p.client}`,
      monitor: `http://127.0.0.1:${p.http}`,
      route: local(name, routes.split(",")[0]!),
      env: service.environment,
    };
  });
  return { nodes, services: all };
}

/** "signed in", or why `user` could not sign in on `server`. */
const signIn = (server: string, user: string, pass: string) =>
  connect({ servers: server, user, pass, reconnect: false }).then(
    (nc) => nc.close().then(() => "signed in"),
    (err: Error) => err.message,
  );

test("docker-compose.cluster.yml: every app signs in on each of its servers, which route to each other, and to no server without the route password", async () => {
  const { nodes, services } = await composeCluster();
  await routedTogether(nodes.map((n) => n.monitor));
  // Every app that needs NATS signs in on each server as its NATS_URL says (a generated one too:
  // scripts/new.test.ts runs this on one), so each node knows its user and password.
  for (const app of APPS.filter((a) => a.dependsOn.nats)) {
    const { username, password } = new URL(natsConfig(services[app.name]!.environment).natsUrl.split(",")[0]!);
    expect(await Promise.all(nodes.map((n) => signIn(n.url, username, password))), app.name).toEqual(nodes.map(() => "signed in"));
  }
  // An operator (ops may publish any event) on the last node; the outsider routes to the first.
  const last = nodes.at(-1)!;
  const ops = await connect({ servers: last.url, user: "ops", pass: last.env.NATS_OPS_PASSWORD });
  cleanups.push(() => ops.close());
  expect(await outsider(withoutCredentials(nodes[0]!.route), ops)).toEqual({ routed: false, sees: false, injects: false });
  expect(await outsider(nodes[0]!.route, ops)).toEqual({ routed: true, sees: true, injects: true });
});

test("e2e/nats-cluster.ts: its nodes route to each other, and to no server without the route password", async () => {
  const cluster = natsCluster(3);
  cleanups.push(() => cluster.stop());
  await routedTogether(cluster.nodes.map((n) => n.monitor));
  const [first, , last] = cluster.nodes as [NatsNode, NatsNode, NatsNode];
  const nc = await connect({ servers: last.url });
  cleanups.push(() => nc.close());
  expect(await outsider(withoutCredentials(first.route), nc)).toEqual({ routed: false, sees: false, injects: false });
  expect(await outsider(first.route, nc)).toEqual({ routed: true, sees: true, injects: true });
});

// A 3-node NATS JetStream cluster of the test's own on free loopback ports: each node can be
// SIGKILLed and restarted on the same ports and store (what a rolling restart or a crash does).
// Its routes authenticate as docker-compose.cluster.yml's do (e2e/nats-routes.test.ts checks both).
import { mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, uniqueName, waitFor } from "@evented/testing";

export interface NatsNode {
  name: string;
  url: string;
  monitor: string;
  /** Its cluster port, with the route user and password the other nodes dial it with. */
  route: string;
  kill(): Promise<void>;
  start(): Promise<void>;
}

export interface NatsCluster {
  nodes: NatsNode[];
  /** Every client URL, comma-separated, as NATS_URL takes them. */
  url: string;
  /** Waits until every node reports JetStream healthy (a meta leader elected, streams current). */
  healthy(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const BIN = process.env.NATS_SERVER_BIN ?? Bun.which("nats-server") ?? "/usr/sbin/nats-server";

/** Starts the nodes without waiting for them; `healthy()` waits. `start: false` only allocates them. */
export function natsCluster(size = 3, { start = true } = {}): NatsCluster & { startAll(): void } {
  const dir = join(tmpdir(), uniqueName("nats-cluster"));
  const specs = Array.from({ length: size }, (_, i) => ({ name: `n${i + 1}`, client: freePort(), route: freePort(), http: freePort() }));
  const password = `p${crypto.randomUUID().replaceAll("-", "")}`;
  const routeUrl = (port: number) => `nats://route:${password}@127.0.0.1:${port}`;
  const routes = specs.map((s) => routeUrl(s.route)).join(",");
  const procs = new Map<string, ReturnType<typeof Bun.spawn>>();
  const launch = (spec: (typeof specs)[number]) => {
    mkdirSync(join(dir, spec.name), { recursive: true });
    const proc = Bun.spawn(
      [
        BIN,
        "-n",
        spec.name,
        "-a",
        "127.0.0.1",
        "-p",
        String(spec.client),
        "-m",
        String(spec.http),
        "-js",
        "-sd",
        join(dir, spec.name),
        "--cluster_name",
        "evented",
        "--cluster",
        routeUrl(spec.route),
        "--routes",
        routes,
      ],
      { stdout: "ignore", stderr: "ignore" },
    );
    procs.set(spec.name, proc);
  };
  const nodes: NatsNode[] = specs.map((spec) => ({
    name: spec.name,
    url: `nats://127.0.0.1:${spec.client}`,
    monitor: `http://127.0.0.1:${spec.http}`,
    route: routeUrl(spec.route),
    async kill() {
      const proc = procs.get(spec.name);
      proc?.kill("SIGKILL");
      await proc?.exited;
      procs.delete(spec.name);
    },
    async start() {
      launch(spec);
    },
  }));
  const startAll = () => specs.forEach(launch);
  if (start) startAll();
  return {
    nodes,
    url: nodes.map((n) => n.url).join(","),
    startAll,
    async healthy(timeoutMs = 30_000) {
      await waitFor(
        "every NATS node healthy",
        async () => {
          for (const node of nodes) {
            const res = await fetch(`${node.monitor}/healthz`).catch(() => undefined);
            if (!res?.ok) return false;
          }
          return true;
        },
        { timeoutMs, intervalMs: 200 },
      );
    },
    async stop() {
      for (const node of nodes) await node.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

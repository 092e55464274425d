// The whole system as `bun run start` runs it (each app's bundle, no watch, JSON logs), at LOG_LEVEL=warn, on fresh
// databases and a fresh stream. At warn there is no "listening" line, so readiness is the open
// gRPC port (each service binds it last, after migrations and NATS) and the gateway's /health.
// Each app binds port 0; the port it got is read from the kernel (/proc: the socket it listens
// on), and the apps that call it start after it. Apps and who needs whom: system.ts.
import { readdirSync, readlinkSync } from "node:fs";
import { createAdmin, createDatabase, ROOT, uniqueStream } from "@evented/testing";
import postgres from "postgres";
import { generateSigningJwk } from "../../apps/user/src/auth/keys.ts";
import { buildApps } from "../../scripts/build.ts";
import { PRODUCTION_RUNTIME_ENV } from "../../scripts/runtime-env.ts";
import { type AppName, type DatabaseApp, dbConnVar, paths, APPS as SYSTEM, serviceUrlVar, startGroups } from "../../system.ts";

export const APPS = SYSTEM.map((a) => a.name);
export type { AppName };

export interface Proc {
  name: string;
  proc: ReturnType<typeof Bun.spawn>;
  /** The last lines the process wrote, for a crash report. */
  tail: string[];
  /** Lines at warn or above (JSON logs): a clean run has none. */
  warnings: number;
}

/** Spawns `cmd` from the repository root and keeps the tail of its output. */
export function spawnProcess(name: string, cmd: string[], env: Record<string, string>): Proc {
  const proc = Bun.spawn(cmd, { cwd: ROOT, env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });
  const p: Proc = { name, proc, tail: [], warnings: 0 };
  void keepTail(proc.stdout as ReadableStream<Uint8Array>, p);
  void keepTail(proc.stderr as ReadableStream<Uint8Array>, p);
  return p;
}

async function keepTail(stream: ReadableStream<Uint8Array>, p: Proc): Promise<void> {
  const decoder = new TextDecoder();
  let rest = "";
  for await (const chunk of stream) {
    const lines = (rest + decoder.decode(chunk, { stream: true })).split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) {
      if (!line.trim()) continue;
      if (/"level":(40|50|60)/.test(line)) p.warnings++;
      p.tail.push(line);
      if (p.tail.length > 50) p.tail.shift();
    }
  }
}

/** Waits until `ready()` is true; fails early with the process's output if it exits. */
export async function waitReady(p: Proc, ready: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (p.proc.exitCode !== null) throw new Error(`${p.name} exited with ${p.proc.exitCode}:\n${p.tail.join("\n")}`);
    if (await ready().catch(() => false)) return;
    await Bun.sleep(100);
  }
  throw new Error(`${p.name} was not ready after ${timeoutMs} ms:\n${p.tail.join("\n")}`);
}

export async function portOpen(port: number): Promise<boolean> {
  const { promise, resolve } = Promise.withResolvers<boolean>();
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      open: (s) => {
        s.end();
        resolve(true);
      },
      error: () => resolve(false),
      connectError: () => resolve(false),
      data() {},
    },
  }).catch(() => undefined);
  if (!socket) return false;
  return promise;
}

export const httpOk = async (url: string) => (await fetch(url)).ok;

/** SIGTERM, then SIGKILL after `graceMs`. */
export async function stopProcess(p: Proc, graceMs = 5000): Promise<void> {
  if (p.proc.exitCode !== null) return;
  p.proc.kill("SIGTERM");
  await Promise.race([p.proc.exited, Bun.sleep(graceMs).then(() => p.proc.kill("SIGKILL"))]);
  await p.proc.exited;
}

/** The TCP ports process `pid` listens on (Linux: its socket inodes in /proc/net/tcp{,6}). */
export async function listeningPorts(pid: number): Promise<number[]> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    const link = (() => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        return "";
      }
    })();
    const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
    if (inode) inodes.add(inode);
  }
  const ports: number[] = [];
  for (const file of [`/proc/${pid}/net/tcp`, `/proc/${pid}/net/tcp6`]) {
    const text = await Bun.file(file)
      .text()
      .catch(() => "");
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is f[1] (hex ip:port), st is f[3] (0A = LISTEN), inode is f[9]
      if (f[3] === "0A" && inodes.has(f[9] ?? "")) ports.push(Number.parseInt(f[1]!.split(":")[1]!, 16));
    }
  }
  return [...new Set(ports)];
}

type BenchDatabase = Awaited<ReturnType<typeof createDatabase>>;

export async function startSystem(options: { extraBunArgs?: string[] } = {}) {
  await buildApps(APPS);
  const stream = uniqueStream();
  const databases = {} as Record<DatabaseApp, BenchDatabase>;
  const ports = {} as Record<AppName, number>;
  // Production mode needs its keys; the bench runs as an admin whose token outlives a full run.
  const signingJwk = await generateSigningJwk();
  const auth = {
    AUTH_SIGNING_KEYS: JSON.stringify({ keys: [signingJwk] }),
    AUTH_EMAIL_KEY: Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64"),
    AUTH_ACCESS_TTL_S: "3600",
  };
  const common = {
    ...PRODUCTION_RUNTIME_ENV,
    ...auth,
    NODE_ENV: "production",
    LOG_FORMAT: "json",
    LOG_LEVEL: "warn",
  };
  const nats = { NATS_URL: "nats://127.0.0.1:4222", NATS_STREAM: stream.stream, NATS_SUBJECT_PREFIX: stream.prefix };
  const envOf = (name: AppName): Record<string, string> => {
    const spec = SYSTEM.find((a) => a.name === name)!;
    const env: Record<string, string> = { ...common, ...(spec.dependsOn.nats && nats), [spec.port.env]: "0" };
    // The bench is one client at thousands of requests a second: the per-client limit would be what it measures.
    if (name === "gateway") env.GATEWAY_RATE_LIMIT_PER_SECOND = "0";
    if ("database" in spec) env[dbConnVar(name)] = databases[name as DatabaseApp].url;
    for (const dep of spec.dependsOn.services) env[serviceUrlVar(dep)] = `127.0.0.1:${ports[dep as AppName]}`;
    return env;
  };
  const apps = {} as Record<AppName, Proc>;
  const start = async (name: AppName) => {
    const p = spawnProcess(name, ["bun", ...(options.extraBunArgs ?? []), paths(name).bundle], envOf(name));
    apps[name] = p;
    await waitReady(p, async () => {
      const port = ports[name] ?? (await listeningPorts(p.proc.pid))[0];
      if (port === undefined) return false;
      ports[name] = port;
      return name === "gateway" ? httpOk(`http://127.0.0.1:${port}/health`) : portOpen(port);
    });
  };

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await Promise.all(Object.values<Proc>(apps).map((p) => stopProcess(p)));
  };
  const startAll = async () => {
    for (const group of startGroups()) await Promise.all(group.map((a) => start(a.name)));
  };
  /**
   * Every app stopped and started again on the same databases and stream, as a rolling restart
   * leaves a system: returns once the gateway's /health answers (its /ready may not yet).
   */
  const restart = async () => {
    await stop();
    // The warnings of the first start still count in the run's total.
    const carried = Object.fromEntries(Object.entries<Proc>(apps).map(([name, p]) => [name, p.warnings]));
    for (const name of Object.keys(ports)) delete ports[name as AppName];
    stopped = false;
    await startAll();
    for (const [name, n] of Object.entries(carried)) apps[name as AppName].warnings += n;
    handle.gatewayUrl = `http://127.0.0.1:${ports.gateway}`;
  };
  const cleanup = async () => {
    await stop();
    await Promise.all([...Object.values<BenchDatabase>(databases).map((d) => d.drop()), stream.remove()].map((p) => p.catch(() => {})));
  };
  try {
    await Promise.all(
      SYSTEM.filter((a) => "database" in a).map(async (a) => {
        databases[a.name as DatabaseApp] = await createDatabase(`bench_${a.name}`);
      }),
    );
    // Each app once the apps it calls listen (the order service asks the user service about users).
    await startAll();
    // wrk, the gRPC baseline and the seeding read it from the environment.
    process.env.BENCH_TOKEN = (await createAdmin(databases.user.url, `http://127.0.0.1:${ports.gateway}`)).accessToken;
  } catch (err) {
    await cleanup();
    throw err;
  }
  /**
   * VACUUM (ANALYZE) of every database of the run, between runs. This machine's shared PostgreSQL
   * runs with autovacuum off, so without it the queue tables' dead rows pile up run after run (the
   * deliverer's claim then walks ~25,000 dead index entries to find 2 due deliveries: 8 ms a claim)
   * and the planner's statistics stay those of empty tables; a server with the defaults vacuums
   * and analyzes them within a minute.
   */
  const vacuum = async () => {
    for (const d of Object.values<BenchDatabase>(databases)) {
      const sql = postgres(d.url, { max: 1, onnotice: () => {}, connection: { application_name: "bench" } });
      try {
        await sql.unsafe("vacuum (analyze)");
      } finally {
        await sql.end();
      }
    }
  };
  const handle = { apps, ports, gatewayUrl: `http://127.0.0.1:${ports.gateway}`, databases, stream, signingJwk, stop, restart, cleanup, vacuum };
  return handle;
}

export type BenchSystem = Awaited<ReturnType<typeof startSystem>>;

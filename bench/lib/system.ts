// The whole system as `bun run start` runs it (no watch, JSON logs), at LOG_LEVEL=warn, on fresh
// databases and a fresh stream. At warn there is no "listening" line, so readiness is the open
// gRPC port (each service binds it last, after migrations and NATS) and the gateway's /health.
import { createDatabase, freePort, ROOT, uniqueStream } from "@evented/testing";
import { PRODUCTION_RUNTIME_ENV } from "../../scripts/runtime-env.ts";

export const APPS = ["user", "order", "notification", "gateway"] as const;
export type AppName = (typeof APPS)[number];

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
    socket: { open: (s) => (s.end(), resolve(true)), error: () => resolve(false), connectError: () => resolve(false), data() {} },
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

export async function startSystem(options: { extraBunArgs?: string[] } = {}) {
  const stream = uniqueStream();
  const [userDb, orderDb, notificationDb] = await Promise.all([
    createDatabase("bench_user"),
    createDatabase("bench_order"),
    createDatabase("bench_notification"),
  ]);
  const ports = { user: freePort(), order: freePort(), notification: freePort(), gateway: freePort() };
  const common = {
    ...PRODUCTION_RUNTIME_ENV,
    NODE_ENV: "production",
    LOG_FORMAT: "json",
    LOG_LEVEL: "warn",
    NATS_URL: "nats://127.0.0.1:4222",
    NATS_STREAM: stream.stream,
    NATS_SUBJECT_PREFIX: stream.prefix,
  };
  const env: Record<AppName, Record<string, string>> = {
    user: { ...common, USER_PORT: String(ports.user), USER_DB_CONN: userDb.url },
    order: { ...common, ORDER_PORT: String(ports.order), ORDER_DB_CONN: orderDb.url, USER_SERVICE_URL: `127.0.0.1:${ports.user}` },
    notification: { ...common, NOTIFICATION_PORT: String(ports.notification), NOTIFICATION_DB_CONN: notificationDb.url },
    gateway: {
      ...common,
      GATEWAY_PORT: String(ports.gateway),
      // The bench is one client at thousands of requests a second: the per-client limit would be what it measures.
      GATEWAY_RATE_LIMIT_PER_SECOND: "0",
      USER_SERVICE_URL: `127.0.0.1:${ports.user}`,
      ORDER_SERVICE_URL: `127.0.0.1:${ports.order}`,
      NOTIFICATION_SERVICE_URL: `127.0.0.1:${ports.notification}`,
    },
  };
  const gatewayUrl = `http://127.0.0.1:${ports.gateway}`;
  const apps = {} as Record<AppName, Proc>;
  const start = async (name: AppName) => {
    apps[name] = spawnProcess(name, ["bun", ...(options.extraBunArgs ?? []), `apps/${name}/src/main.ts`], env[name]);
    await waitReady(apps[name], () => (name === "gateway" ? httpOk(`${gatewayUrl}/health`) : portOpen(ports[name])));
  };

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await Promise.all(Object.values(apps).map((p) => stopProcess(p)));
  };
  const cleanup = async () => {
    await stop();
    await Promise.all([userDb.drop(), orderDb.drop(), notificationDb.drop(), stream.remove()].map((p) => p.catch(() => {})));
  };
  try {
    // The user service first: the order service asks it about users.
    await start("user");
    await Promise.all([start("order"), start("notification"), start("gateway")]);
  } catch (err) {
    await cleanup();
    throw err;
  }
  return { apps, ports, gatewayUrl, databases: { user: userDb, order: orderDb, notification: notificationDb }, stream, stop, cleanup };
}

export type BenchSystem = Awaited<ReturnType<typeof startSystem>>;

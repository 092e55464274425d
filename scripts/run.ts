// `bun run dev` (hot reload, readable logs) and `bun run start` (production: no watch, JSON logs):
// starts every app as its own process, prefixes its output, and stops them all together.
// With nothing configured it also starts what the apps need (scripts/local-infra.ts): an embedded
// PostgreSQL per service whose *_DB_CONN is unset, with its files under DATA_DIR (default .data/),
// and a nats-server when NATS_URL is unset and none listens on 127.0.0.1:4222.
// On a NATS it did not start (shared with other systems), the events of this data folder's system
// go to a stream of their own (see systemStream): a fresh data folder never sees older events.
// Every child runs in its own process group, so Ctrl-C reaches only the launcher, which stops the
// apps (SIGTERM), then the infrastructure; a second Ctrl-C (a second or more after the first)
// passes SIGTERM on again, which makes the apps exit at once. Once the gateway's /ready answers 200
// it prints one line with the URL.
// `start` runs each app's bundle (scripts/build.ts), built as it starts; `dev` runs the sources.
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { paths, APPS as SYSTEM } from "../system.ts";
import { buildApps } from "./build.ts";
import { localAuthKeys } from "./local-auth-keys.ts";
import { type Infra, startEmbeddedDatabases, startLocalNats } from "./local-infra.ts";
import { PRODUCTION_RUNTIME_ENV } from "./runtime-env.ts";

const APPS: string[] = SYSTEM.map((a) => a.name);
const COLORS: Record<string, string> = Object.fromEntries(SYSTEM.map((a) => [a.name, a.color]));

const mode = process.argv[2] === "dev" ? "dev" : "start";
const dataDir = resolve(process.env.DATA_DIR?.trim() || ".data");
const infra: Infra[] = [];
let children: Infra[] = [];
let stopping = false;
/** Every child's output still being copied: an app's last lines (its "stopped") come after its exit. */
const copying: Promise<void>[] = [];

// One Ctrl-C can come twice: the terminal sends it to the process group, and `bun run dev`, in
// that group too, passes it on. Within a second of the first, a signal is that same one.
let firstSignalAt = 0;
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const)
  process.on(signal, () => {
    if (firstSignalAt && Date.now() - firstSignalAt < 1000) return;
    firstSignalAt ||= Date.now();
    void stop();
  });

try {
  // Production runs each app as one bundled file (scripts/build.ts), built afresh: under a second.
  if (mode === "start") await buildApps(APPS);
  const nats = await startLocalNats(process.env, dataDir, output);
  if (nats) infra.push(nats);
  const events = nats ? {} : systemStream(process.env, dataDir);
  const databases = await startEmbeddedDatabases(process.env, dataDir, output);
  infra.push(...databases.started);
  if (databases.started.length > 0) console.error(`embedded PostgreSQL for ${databases.started.map((d) => d.name).join(", ")} in ${dataDir}`);
  for (const { name, proc } of infra) watchExit(name, proc);
  const keys = mode === "start" ? await localAuthKeys(process.env, dataDir) : {};
  children = APPS.map((app) => startApp(app, { ...process.env, ...events, ...databases.settings, ...keys }));
  void announceReady(Number(process.env.GATEWAY_PORT?.trim() || 8080));
} catch (err) {
  console.error(`cannot start: ${err instanceof Error ? err.message : String(err)}`);
  await stop(1);
}

/**
 * NATS_STREAM and NATS_SUBJECT_PREFIX for a NATS the launcher did not start, unless they are set:
 * `EVENTS_<id>` and `events_<id>`, where <id> is this data folder's system id (DATA_DIR/system-id,
 * made on first start). Deleting the data folder makes a new system, with a stream of its own.
 */
function systemStream(env: Record<string, string | undefined>, dir: string): Record<string, string> {
  if (env.NATS_STREAM?.trim() || env.NATS_SUBJECT_PREFIX?.trim()) return {};
  const file = join(dir, "system-id");
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, `${randomUUID().slice(0, 8)}\n`);
  }
  const id = readFileSync(file, "utf8").trim().toLowerCase();
  const settings = { NATS_STREAM: `EVENTS_${id.toUpperCase()}`, NATS_SUBJECT_PREFIX: `events_${id}` };
  console.error(`events: stream ${settings.NATS_STREAM} (subjects ${settings.NATS_SUBJECT_PREFIX}.>), this data folder's own on the shared NATS`);
  return settings;
}

/** Polls the gateway's /ready (every service SERVING) and prints one line once it answers 200. */
async function announceReady(port: number) {
  const url = `http://localhost:${port}`;
  while (!stopping) {
    const res = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined);
    if (res?.status === 200) {
      if (!stopping) console.error(`ready: ${url} (API docs at ${url}/swagger)`);
      return;
    }
    await Bun.sleep(500);
  }
}

function startApp(app: (typeof APPS)[number], base: Record<string, string | undefined>): Infra {
  const env = {
    ...(mode === "start" && PRODUCTION_RUNTIME_ENV),
    ...base,
    LOG_FORMAT: base.LOG_FORMAT ?? (mode === "dev" ? "pretty" : "json"),
    NODE_ENV: base.NODE_ENV ?? (mode === "dev" ? "development" : "production"),
  };
  const cmd = mode === "dev" ? ["bun", "--watch", paths(app).entry] : ["bun", paths(app).bundle];
  // detached: a process group of its own, out of reach of the terminal's Ctrl-C (see stop()).
  const proc = Bun.spawn(cmd, { env, stdout: "pipe", stderr: "pipe", detached: true });
  output(app, proc.stdout, process.stdout);
  output(app, proc.stderr, process.stderr);
  watchExit(app, proc);
  return { name: app, proc };
}

function watchExit(name: string, proc: Infra["proc"]) {
  void proc.exited.then((code) => {
    if (stopping) return;
    console.error(`${name} exited with code ${code}`);
    if (mode === "start" || !APPS.includes(name as never)) void stop(code || 1);
  });
}

/**
 * Apps first, so they finish their work against the databases and NATS, then the infrastructure.
 * Called again while stopping (a second Ctrl-C), it passes SIGTERM on again: the apps exit at once.
 * Exits with `code`, or 1 when an app did not stop cleanly.
 */
async function stop(code = 0) {
  if (stopping) {
    for (const { proc } of [...children, ...infra]) if (proc.exitCode === null) proc.kill("SIGTERM");
    return;
  }
  stopping = true;
  let failed = false;
  for (const group of [children, infra]) {
    for (const { proc } of group) proc.kill("SIGTERM");
    await Promise.all(
      group.map(async ({ name, proc }) => {
        const exit = await proc.exited;
        if (group === children) console.error(`${name} stopped with code ${exit}`);
        if (group === children && exit !== 0) failed = true;
      }),
    );
  }
  await Promise.race([Promise.all(copying), Bun.sleep(2_000)]);
  process.exit(code || (failed ? 1 : 0));
}

function output(name: string, stream: ReadableStream<Uint8Array>, out: NodeJS.WriteStream) {
  const tag = mode === "dev" ? `${COLORS[name] ?? "\x1b[90m"}${name.padEnd(15)}\x1b[0m| ` : "";
  copying.push(pipe(stream, tag, out));
}

async function pipe(stream: ReadableStream<Uint8Array>, tag: string, out: NodeJS.WriteStream) {
  let rest = "";
  const decoder = new TextDecoder();
  for await (const chunk of stream) {
    const lines = (rest + decoder.decode(chunk, { stream: true })).split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) out.write(`${tag}${line}\n`);
  }
  if (rest) out.write(`${tag}${rest}\n`);
}

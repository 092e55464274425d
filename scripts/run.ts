// `bun run dev` (hot reload, readable logs) and `bun run start` (production: no watch, JSON logs):
// starts every app as its own process, prefixes its output, and stops them all together.
// With nothing configured it also starts what the apps need (scripts/local-infra.ts): an embedded
// PostgreSQL per service whose *_DB_CONN is unset, with its files under DATA_DIR (default .data/),
// and a nats-server when NATS_URL is unset and none listens on 127.0.0.1:4222.
import { resolve } from "node:path";
import { type Infra, startEmbeddedDatabases, startLocalNats } from "./local-infra.ts";
import { PRODUCTION_RUNTIME_ENV } from "./runtime-env.ts";

const APPS = ["user", "order", "notification", "gateway"] as const;
const COLORS: Record<string, string> = { user: "\x1b[36m", order: "\x1b[35m", notification: "\x1b[33m", gateway: "\x1b[32m" };

const mode = process.argv[2] === "dev" ? "dev" : "start";
const dataDir = resolve(process.env.DATA_DIR?.trim() || ".data");
const infra: Infra[] = [];
let children: Infra[] = [];
let stopping = false;

process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());

try {
  const nats = await startLocalNats(process.env, dataDir, output);
  if (nats) infra.push(nats);
  const databases = await startEmbeddedDatabases(process.env, dataDir, output);
  infra.push(...databases.started);
  if (databases.started.length > 0) console.error(`embedded PostgreSQL for ${databases.started.map((d) => d.name).join(", ")} in ${dataDir}`);
  for (const { name, proc } of infra) watchExit(name, proc);
  children = APPS.map((app) => startApp(app, { ...process.env, ...databases.settings }));
} catch (err) {
  console.error(`cannot start: ${err instanceof Error ? err.message : String(err)}`);
  await stop(1);
}

function startApp(app: (typeof APPS)[number], base: Record<string, string | undefined>): Infra {
  const env = {
    ...(mode === "start" && PRODUCTION_RUNTIME_ENV),
    ...base,
    LOG_FORMAT: base.LOG_FORMAT ?? (mode === "dev" ? "pretty" : "json"),
    NODE_ENV: base.NODE_ENV ?? (mode === "dev" ? "development" : "production"),
  };
  const cmd = mode === "dev" ? ["bun", "--watch", `apps/${app}/src/main.ts`] : ["bun", `apps/${app}/src/main.ts`];
  const proc = Bun.spawn(cmd, { env, stdout: "pipe", stderr: "pipe" });
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

/** Apps first, so they finish their work against the databases and NATS, then the infrastructure. */
async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  for (const group of [children, infra]) {
    for (const { proc } of group) proc.kill("SIGTERM");
    await Promise.all(group.map(({ proc }) => proc.exited));
  }
  process.exit(code);
}

function output(name: string, stream: ReadableStream<Uint8Array>, out: NodeJS.WriteStream) {
  const tag = mode === "dev" ? `${COLORS[name] ?? "\x1b[90m"}${name.padEnd(15)}\x1b[0m| ` : "";
  void pipe(stream, tag, out);
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

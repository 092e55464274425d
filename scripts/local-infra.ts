// What `bun run dev` / `bun run start` need around the apps when nothing is configured:
// an embedded PostgreSQL per service whose *_DB_CONN is unset, and a NATS server when NATS_URL is
// unset and none listens on 127.0.0.1:4222. Whatever is configured is used as it is.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { dbConnVar, dbPoolVar, withDatabase } from "../system.ts";

export const SERVICES_WITH_DB = withDatabase().map((a) => a.name);

export interface Infra {
  name: string;
  proc: ReturnType<typeof Bun.spawn>;
}

type Env = Record<string, string | undefined>;
type Output = (name: string, stream: ReadableStream<Uint8Array>, out: NodeJS.WriteStream) => void;

/** Starts an embedded PostgreSQL for every service without a *_DB_CONN; returns their settings. */
export async function startEmbeddedDatabases(env: Env, dataDir: string, output: Output) {
  const settings: Record<string, string> = {};
  const started: Infra[] = [];
  await Promise.all(
    SERVICES_WITH_DB.map(async (service) => {
      if (env[dbConnVar(service)]?.trim()) return;
      const dir = join(dataDir, "postgres", service);
      mkdirSync(dir, { recursive: true });
      const proc = Bun.spawn(["bun", join(import.meta.dir, "embedded-postgres.ts"), dir], {
        stdin: "pipe", // closed when the launcher goes, which stops the database
        stdout: "pipe",
        stderr: "pipe",
        detached: true, // out of the terminal's Ctrl-C: the launcher stops it after the apps
      });
      const name = `${service}-db`;
      started.push({ name, proc });
      output(name, proc.stderr, process.stderr);
      const address = await firstLineMatching(proc.stdout, /listening on (\S+)/, name);
      output(name, proc.stdout, process.stdout);
      settings[dbConnVar(service)] = `postgres://postgres@${address}/postgres`;
      // See embedded-postgres.ts: one connection per service keeps PGlite's single session honest.
      settings[dbPoolVar(service)] = "1";
    }),
  ).catch((err) => {
    for (const { proc } of started) proc.kill("SIGTERM");
    throw err;
  });
  return { settings, started };
}

const DEFAULT_NATS = { host: "127.0.0.1", port: 4222 };

/** Starts `nats-server -js` on 127.0.0.1:4222 when NATS_URL is unset and nothing listens there. */
export async function startLocalNats(env: Env, dataDir: string, output: Output): Promise<Infra | undefined> {
  if (env.NATS_URL?.trim()) return undefined;
  if (await listening(DEFAULT_NATS)) return undefined;
  const bin = env.NATS_SERVER_BIN ?? Bun.which("nats-server") ?? Bun.which("nats-server", { PATH: "/usr/sbin:/usr/local/sbin" });
  if (!bin) {
    throw new Error(
      "no NATS server: NATS_URL is not set, nothing listens on 127.0.0.1:4222 and nats-server is not installed.\n" +
        "Install nats-server (Debian/Ubuntu: apt-get install nats-server; macOS: brew install nats-server;\n" +
        "or the binary from the NATS releases), start one with `nats-server -js`, or set NATS_URL.",
    );
  }
  const dir = join(dataDir, "nats");
  mkdirSync(dir, { recursive: true });
  const proc = Bun.spawn([bin, "-js", "-a", DEFAULT_NATS.host, "-p", String(DEFAULT_NATS.port), "-sd", dir], {
    stdout: "pipe",
    stderr: "pipe",
    detached: true, // out of the terminal's Ctrl-C: the launcher stops it after the apps
  });
  output("nats", proc.stdout, process.stdout);
  output("nats", proc.stderr, process.stderr);
  const deadline = Date.now() + 10_000;
  while (!(await listening(DEFAULT_NATS))) {
    if (proc.exitCode !== null) throw new Error(`nats-server exited with code ${proc.exitCode}`);
    if (Date.now() > deadline) throw new Error("nats-server did not listen on 127.0.0.1:4222 within 10 s");
    await Bun.sleep(100);
  }
  return { name: "nats", proc };
}

async function listening({ host, port }: { host: string; port: number }): Promise<boolean> {
  try {
    const socket = await Bun.connect({ hostname: host, port, socket: { data() {} } });
    socket.end();
    return true;
  } catch {
    return false;
  }
}

/** Reads `stream` until its text matches `pattern`, then leaves the stream to other readers. */
async function firstLineMatching(stream: ReadableStream<Uint8Array>, pattern: RegExp, name: string): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  const reader = stream.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`${name} exited before it listened:\n${text}`);
    text += decoder.decode(value, { stream: true });
    const match = pattern.exec(text);
    if (match?.[1]) {
      reader.releaseLock();
      return match[1];
    }
  }
}

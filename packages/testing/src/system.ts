// Starts the real apps as processes, as `bun run start` would, for end-to-end tests. Which apps,
// their databases and who needs whom come from system.ts. Every app binds port 0 and the harness
// reads the bound port from its "listening" log line, so tests never race for ports.
import { fileURLToPath } from "node:url";
import { APPS, type AppName, type DatabaseApp, dbConnVar, paths, serviceUrlVar, startGroups } from "../../../system.ts";
import { createAdmin } from "./auth.ts";
import { createDatabase, NATS_URL, uniqueStream } from "./infra.ts";
import { waitFor } from "./wait.ts";

export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export type { AppName };

export interface RunningApp {
  name: AppName;
  proc: ReturnType<typeof Bun.spawn>;
  /** The port it bound (from its "listening" log line). */
  port: number;
  /** Every log line so far, parsed (JSON logs). */
  logs: Record<string, unknown>[];
  /** Output lines that were not JSON (crashes, Bun's own messages). */
  text: string[];
}

/**
 * Spawns one app with `env` and waits until it logs that it listens, with the port it bound.
 * Fails at once with its output if it exits first; kills it if it has not listened in `timeoutMs`.
 */
export async function startApp(name: AppName, env: Record<string, string>, timeoutMs = 30_000): Promise<RunningApp> {
  const proc = Bun.spawn(["bun", paths(name).entry], {
    cwd: ROOT,
    env: { ...process.env, LOG_FORMAT: "json", LOG_LEVEL: "debug", ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const app: RunningApp = { name, proc, port: 0, logs: [], text: [] };
  const outputs = Promise.all([collect(proc.stdout as ReadableStream<Uint8Array>, app), collect(proc.stderr as ReadableStream<Uint8Array>, app)]);
  const output = () => [...app.text, ...app.logs.slice(-20).map((l) => JSON.stringify(l))].join("\n");
  try {
    app.port = await waitFor(
      `${name} to listen`,
      async () => {
        if (proc.exitCode !== null) {
          await outputs;
          throw new Exited(`${name} exited with ${proc.exitCode} while starting:\n${output()}`);
        }
        const line = app.logs.find((l) => LISTENING.test(String(l.msg)) && typeof l.port === "number");
        return line ? (line.port as number) : undefined;
      },
      { timeoutMs, stopOn: (err) => err instanceof Exited },
    );
  } catch (err) {
    if (proc.exitCode === null) {
      proc.kill("SIGKILL");
      await proc.exited;
      throw new Error(`${err instanceof Error ? err.message : String(err)}; killed it. Its output:\n${output()}`);
    }
    throw err;
  }
  return app;
}

class Exited extends Error {}

/** The line of the app's own listener (not the metrics one): the gRPC server or the gateway. */
const LISTENING = /^(gRPC server|gateway) listening$/;

async function collect(stream: ReadableStream<Uint8Array>, app: RunningApp) {
  let rest = "";
  const decoder = new TextDecoder();
  for await (const chunk of stream) {
    const lines = (rest + decoder.decode(chunk, { stream: true })).split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) {
      if (!line.trim()) continue;
      try {
        app.logs.push(JSON.parse(line));
      } catch {
        app.text.push(line);
      }
    }
  }
}

export interface SystemOptions {
  natsUrl?: string;
  /** Extra environment per app, e.g. shorter ack waits. */
  env?: Partial<Record<AppName, Record<string, string>>>;
}

type TestDatabase = Awaited<ReturnType<typeof createDatabase>>;

/**
 * The whole system (every app in system.ts) on fresh databases and a fresh stream, each app
 * started once the apps it needs listen. If any app fails to start, what was started is stopped
 * and the databases and stream removed before the error is thrown.
 * `restart(name)` kills and starts one app again with the same settings and port.
 */
export async function startSystem(options: SystemOptions = {}) {
  const natsUrl = options.natsUrl ?? NATS_URL;
  const stream = uniqueStream(natsUrl);
  const apps = {} as Record<AppName, RunningApp>;
  const ports = {} as Record<AppName, number>;
  const databases = {} as Record<DatabaseApp, TestDatabase>;
  const env = {} as Record<AppName, Record<string, string>>;

  const stop = async () => {
    await Promise.all(
      Object.values<RunningApp>(apps).map(async (a) => {
        a.proc.kill("SIGTERM");
        await Promise.race([a.proc.exited, Bun.sleep(5000).then(() => a.proc.kill("SIGKILL"))]);
        await a.proc.exited;
      }),
    );
    await Promise.all([...Object.values<TestDatabase>(databases).map((d) => d.drop()), stream.remove()].map((p) => p.catch(() => {})));
  };

  try {
    await Promise.all(
      APPS.filter((a) => "database" in a).map(async (a) => {
        databases[a.name as DatabaseApp] = await createDatabase(a.name);
      }),
    );
    for (const group of startGroups()) {
      // Settled, not all: when one app of a group fails, its siblings still get recorded, so stop() ends them too.
      const started = await Promise.allSettled(
        group.map(async (spec) => {
          const e: Record<string, string> = { [spec.port.env]: "0" };
          if (spec.dependsOn.nats) Object.assign(e, { NATS_URL: natsUrl, NATS_STREAM: stream.stream, NATS_SUBJECT_PREFIX: stream.prefix });
          if (spec.database) e[dbConnVar(spec.name)] = databases[spec.name as DatabaseApp].url;
          for (const dep of spec.dependsOn.services) e[serviceUrlVar(dep)] = `127.0.0.1:${ports[dep as AppName]}`;
          // One client (the test) at hundreds of requests a second: tests of the limit itself set their own.
          if (spec.kind === "gateway") e.GATEWAY_RATE_LIMIT_PER_SECOND = "0";
          env[spec.name] = Object.assign(e, options.env?.[spec.name]);
          apps[spec.name] = await startApp(spec.name, env[spec.name]);
          ports[spec.name] = apps[spec.name].port;
          // A restart binds the same port, so the apps that call this one still find it.
          env[spec.name][spec.port.env] = String(ports[spec.name]);
        }),
      );
      const failed = started.find((r) => r.status === "rejected");
      if (failed) throw failed.reason;
    }
  } catch (err) {
    await stop();
    throw err;
  }

  // An admin for the tests that exercise the API as a whole (every route needs a token now).
  const admin = await createAdmin(databases.user.url, `http://127.0.0.1:${ports.gateway}`);

  return {
    apps,
    env,
    ports,
    admin,
    /** fetch as the admin. */
    fetch: admin.fetch,
    stream,
    databases,
    gatewayUrl: `http://127.0.0.1:${ports.gateway}`,
    async kill(name: AppName, signal: NodeJS.Signals = "SIGKILL") {
      apps[name].proc.kill(signal);
      await apps[name].proc.exited;
    },
    /**
     * Kills one app and starts it again with the same settings; returns once the gateway reaches
     * it again (its gRPC channel may still be backing off from the connections the kill refused).
     */
    async restart(name: AppName) {
      await this.kill(name);
      apps[name] = await startApp(name, env[name]);
      const nobody = "00000000-0000-7000-8000-000000000000";
      const probe = (
        { user: `/users/${nobody}`, order: `/orders/${nobody}`, notification: `/users/${nobody}/notifications` } as Partial<Record<AppName, string>>
      )[name];
      if (probe) {
        await waitFor(`the gateway to reach ${name} again`, async () => (await fetch(`http://127.0.0.1:${ports.gateway}${probe}`)).status < 500, {
          timeoutMs: 15_000,
        });
      }
      return apps[name];
    },
    stop,
  };
}

export type System = Awaited<ReturnType<typeof startSystem>>;

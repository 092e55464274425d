// Starts the real apps as processes on free ports, as `bun run start` would, for end-to-end tests.
import { fileURLToPath } from "node:url";
import { createDatabase, freePort, NATS_URL, uniqueStream } from "./infra.ts";
import { waitFor } from "./wait.ts";

export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export type AppName = "user" | "order" | "notification" | "gateway";

export interface RunningApp {
  name: AppName;
  proc: ReturnType<typeof Bun.spawn>;
  /** Every log line so far, parsed (JSON logs). */
  logs: Record<string, unknown>[];
  /** Output lines that were not JSON (crashes, Bun's own messages). */
  text: string[];
}

/** Spawns one app with `env` and waits until it logs that it listens. */
export async function startApp(name: AppName, env: Record<string, string>): Promise<RunningApp> {
  const proc = Bun.spawn(["bun", `apps/${name}/src/main.ts`], {
    cwd: ROOT,
    env: { ...process.env, LOG_FORMAT: "json", LOG_LEVEL: "debug", ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const app: RunningApp = { name, proc, logs: [], text: [] };
  void collect(proc.stdout as ReadableStream<Uint8Array>, app);
  void collect(proc.stderr as ReadableStream<Uint8Array>, app);
  await waitFor(
    `${name} to listen`,
    () => {
      if (proc.exitCode !== null) throw new Error(`${name} exited with ${proc.exitCode}:\n${app.text.join("\n")}`);
      return app.logs.some((l) => /listening/.test(String(l.msg)));
    },
    { timeoutMs: 30_000 },
  );
  return app;
}

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

/**
 * The whole system on fresh databases and a fresh stream: user, order, notification, gateway.
 * `restart(name)` kills and starts one app again with the same settings.
 */
export async function startSystem(options: SystemOptions = {}) {
  const natsUrl = options.natsUrl ?? NATS_URL;
  const stream = uniqueStream(natsUrl);
  const [userDb, orderDb, notificationDb] = await Promise.all([createDatabase("user"), createDatabase("order"), createDatabase("notification")]);
  const ports = { user: freePort(), order: freePort(), notification: freePort(), gateway: freePort() };
  const common = { NATS_URL: natsUrl, NATS_STREAM: stream.stream, NATS_SUBJECT_PREFIX: stream.prefix };
  const env: Record<AppName, Record<string, string>> = {
    user: { ...common, USER_PORT: String(ports.user), USER_DB_CONN: userDb.url },
    order: {
      ...common,
      ORDER_PORT: String(ports.order),
      ORDER_DB_CONN: orderDb.url,
      USER_SERVICE_URL: `127.0.0.1:${ports.user}`,
    },
    notification: { ...common, NOTIFICATION_PORT: String(ports.notification), NOTIFICATION_DB_CONN: notificationDb.url },
    gateway: {
      GATEWAY_PORT: String(ports.gateway),
      // One client (the test) at hundreds of requests a second: tests of the limit itself set their own.
      GATEWAY_RATE_LIMIT_PER_SECOND: "0",
      USER_SERVICE_URL: `127.0.0.1:${ports.user}`,
      ORDER_SERVICE_URL: `127.0.0.1:${ports.order}`,
      NOTIFICATION_SERVICE_URL: `127.0.0.1:${ports.notification}`,
    },
  };
  for (const name of Object.keys(env) as AppName[]) Object.assign(env[name], options.env?.[name]);

  const apps = {} as Record<AppName, RunningApp>;
  // The user service first: the others need its stream to exist only by their own start-up, but
  // starting it first keeps the logs in a readable order.
  apps.user = await startApp("user", env.user);
  [apps.order, apps.notification, apps.gateway] = await Promise.all([
    startApp("order", env.order),
    startApp("notification", env.notification),
    startApp("gateway", env.gateway),
  ]);

  return {
    apps,
    env,
    ports,
    stream,
    databases: { user: userDb, order: orderDb, notification: notificationDb },
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
      if (name !== "gateway") {
        const nobody = "00000000-0000-7000-8000-000000000000";
        const probe = { user: `/users/${nobody}`, order: `/orders/${nobody}`, notification: `/users/${nobody}/notifications` }[name];
        await waitFor(`the gateway to reach ${name} again`, async () => (await fetch(`http://127.0.0.1:${ports.gateway}${probe}`)).status < 500, {
          timeoutMs: 15_000,
        });
      }
      return apps[name];
    },
    async stop() {
      await Promise.all(
        Object.values(apps).map(async (a) => {
          a.proc.kill("SIGTERM");
          await Promise.race([a.proc.exited, Bun.sleep(5000).then(() => a.proc.kill("SIGKILL"))]);
        }),
      );
      await Promise.all([userDb.drop(), orderDb.drop(), notificationDb.drop(), stream.remove().catch(() => {})]);
    },
  };
}

export type System = Awaited<ReturnType<typeof startSystem>>;

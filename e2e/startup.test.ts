// Start-up in a rolling restart: a service started before its broker or database is ready waits
// (bounded backoff, one log line) instead of exiting; NATS_URL names a whole cluster; the stream's
// replicas are configuration, applied and updated at start.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createServer, connect as tcpConnect } from "node:net";
import { Bus, createLogger, openDatabase } from "@evented/core";
import { createDatabase, freePort, ROOT, uniqueStream, waitFor } from "@evented/testing";
import { connect } from "nats";
import pino from "pino";
import { natsCluster } from "./nats-cluster.ts";

setDefaultTimeout(60_000);

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** A logger whose JSON lines land in `sink` (what the apps log through). */
const pinoTo = (sink: { write(line: string): void }) => pino({ level: "debug" }, sink);

async function streamReplicas(url: string, stream: string): Promise<number> {
  const nc = await connect({ servers: url.split(",") });
  try {
    return (await (await nc.jetstreamManager()).streams.info(stream)).config.num_replicas;
  } finally {
    await nc.close();
  }
}

describe("against a 3-node JetStream cluster", () => {
  let cluster: ReturnType<typeof natsCluster>;
  beforeAll(() => {
    cluster = natsCluster(3, { start: false });
    cleanups.push(() => cluster.stop());
  });

  test("the user service, started before the cluster, waits for JetStream and creates the stream with 3 replicas", async () => {
    const db = await createDatabase("startup_user");
    cleanups.push(() => db.drop());
    const stream = uniqueStream(cluster.url);
    const env = {
      ...process.env,
      LOG_FORMAT: "json",
      LOG_LEVEL: "info",
      USER_PORT: String(freePort()),
      USER_DB_CONN: db.url,
      NATS_URL: cluster.url,
      NATS_STREAM: stream.stream,
      NATS_SUBJECT_PREFIX: stream.prefix,
      NATS_STREAM_REPLICAS: "3",
    };
    const proc = Bun.spawn(["bun", "apps/user/src/main.ts"], { cwd: ROOT, env, stdout: "pipe", stderr: "pipe" });
    cleanups.push(async () => {
      proc.kill("SIGTERM");
      await proc.exited;
    });
    let out = "";
    for (const s of [proc.stdout, proc.stderr])
      void (async () => {
        for await (const c of s) out += new TextDecoder().decode(c);
      })();

    await Bun.sleep(1500); // the service is up and waiting: no server answers yet
    expect(proc.exitCode).toBeNull();
    cluster.startAll();
    await waitFor(
      "the user service to listen",
      () => {
        if (proc.exitCode !== null) throw new Error(`user exited ${proc.exitCode}:\n${out}`);
        return /listening/.test(out);
      },
      { timeoutMs: 45_000, intervalMs: 100 },
    );
    expect(await streamReplicas(cluster.url, stream.stream)).toBe(3);
    // what it waited for is said once each, never repeated per attempt
    const waits = out.split("\n").filter((l) => /not ready yet/.test(l));
    expect(new Set(waits.map((l) => JSON.parse(l).msg)).size).toBe(waits.length);
  });

  test("a stream made with 1 replica gets 3 when NATS_STREAM_REPLICAS says 3", async () => {
    await cluster.healthy();
    const stream = uniqueStream(cluster.url);
    const log = createLogger("test", { level: "silent" });
    const one = await Bus.connect({ url: cluster.url, name: "r1", stream: stream.stream, prefix: stream.prefix, log, replicas: 1 });
    expect(await streamReplicas(cluster.url, stream.stream)).toBe(1);
    await one.close();
    const three = await Bus.connect({ url: cluster.url, name: "r3", stream: stream.stream, prefix: stream.prefix, log, replicas: 3 });
    await three.close();
    expect(await streamReplicas(cluster.url, stream.stream)).toBe(3);
  });
});

test("a database not accepting connections yet is waited for, with one log line", async () => {
  const db = await createDatabase("startup_db");
  cleanups.push(() => db.drop());
  const port = freePort(); // nothing listens here yet: connection refused
  const url = new URL(db.url);
  const target = { host: url.hostname, port: Number(url.port || 5432) };
  url.hostname = "127.0.0.1";
  url.port = String(port);
  const lines: string[] = [];
  const log = pinoTo({ write: (l) => void lines.push(l) });

  const opening = openDatabase(url.toString(), {}, { log, migrationsFolder: `${ROOT}/drizzle/user` });
  await Bun.sleep(1500);
  const forwarder = createServer((client) => {
    const upstream = tcpConnect(target.port, target.host);
    client.pipe(upstream).pipe(client);
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
  });
  await new Promise<void>((resolve) => forwarder.listen(port, "127.0.0.1", resolve));
  cleanups.push(() => new Promise((resolve) => forwarder.close(resolve)));
  const opened = await opening;
  cleanups.push(() => opened.close());
  expect((await opened.client`select 1 as one`)[0]?.one).toBe(1);
  const waits = lines.filter((l) => /PostgreSQL: not ready yet/.test(l));
  expect(waits).toHaveLength(1);
});

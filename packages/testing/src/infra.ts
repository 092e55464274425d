// Real infrastructure for tests: the PostgreSQL and NATS running on this machine (or the ones
// named by TEST_PG_URL / TEST_NATS_URL), with a fresh database and stream per test run.
import { rmSync } from "node:fs";
import { connect } from "nats";
import postgres from "postgres";
import { waitFor } from "./wait.ts";

export const PG_URL = process.env.TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
export const NATS_URL = process.env.TEST_NATS_URL ?? "nats://127.0.0.1:4222";

export const uniqueName = (prefix: string) => `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;

/** A database that exists for one test run; `drop()` removes it. */
export async function createDatabase(prefix: string): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = uniqueName(`t_${prefix}`);
  const admin = postgres(PG_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  await admin.end();
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const sql = postgres(PG_URL, { max: 1, onnotice: () => {} });
      await sql.unsafe(`drop database if exists "${name}" with (force)`);
      await sql.end();
    },
  };
}

/** A stream name and subject prefix no other run uses; `remove()` deletes the stream. */
export function uniqueStream(natsUrl = NATS_URL) {
  const id = uniqueName("t").toUpperCase();
  return {
    stream: id,
    prefix: id.toLowerCase(),
    async remove() {
      const nc = await connect({ servers: natsUrl });
      try {
        const jsm = await nc.jetstreamManager();
        await jsm.streams.delete(id).catch(() => false);
      } finally {
        await nc.close();
      }
    },
  };
}

/** Ports this process handed out: not handed out twice. */
const handedOut = new Set<number>();

/**
 * A TCP port nothing listens on, for a server the test starts a moment later. Not from port 0:
 * the kernel takes that from its ephemeral range (32768-60999), where any outgoing connection made
 * before the server binds may take the same port as its own end (failover.test.ts once failed
 * with EADDRINUSE on one). Below that range only listeners compete, and this checks for them.
 */
export function freePort(): number {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (handedOut.has(port)) continue;
    try {
      Bun.listen({ hostname: "0.0.0.0", port, socket: { data() {} } }).stop(true);
    } catch {
      continue; // something listens there
    }
    handedOut.add(port);
    return port;
  }
}

/**
 * A nats-server with JetStream of the test's own, on a free port, that the test may stop and
 * restart (its data stays); `close()` stops it for good and removes its data folder.
 */
export async function startNatsServer(): Promise<{ url: string; stop(): Promise<void>; start(): Promise<void>; close(): Promise<void> }> {
  const port = freePort();
  const dir = `/tmp/${uniqueName("nats")}`;
  let proc: ReturnType<typeof Bun.spawn> | undefined;
  const url = `nats://127.0.0.1:${port}`;
  const start = async () => {
    proc = Bun.spawn(
      [process.env.NATS_SERVER_BIN ?? Bun.which("nats-server") ?? "/usr/sbin/nats-server", "-a", "127.0.0.1", "-p", String(port), "-js", "-sd", dir],
      {
        stdout: "ignore",
        stderr: "ignore",
      },
    );
    await waitFor(`nats-server on ${port}`, async () => {
      const nc = await connect({ servers: url, reconnect: false, timeout: 500 }).catch(() => undefined);
      await nc?.close();
      return nc !== undefined;
    });
  };
  const stop = async () => {
    proc?.kill("SIGKILL");
    await proc?.exited;
  };
  await start();
  return {
    url,
    start,
    stop,
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// The health service against real dependencies: PostgreSQL behind a proxy the test cuts, and a
// nats-server of the test's own that it stops. A standard grpc.health.v1 client asks.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { Bus } from "@evented/core/bus";
import { startGrpcServer } from "@evented/core/grpc";
import { busProbe, connectHealth, databaseProbe, Health, type HealthChecker } from "@evented/core/health";
import { createLogger } from "@evented/core/logger";
import { notificationV1 } from "@evented/proto";
import { createDatabase, startNatsServer, startTcpProxy, type TcpProxy, uniqueStream, waitFor } from "@evented/testing";
import { type ClientReadableStream, credentials, makeGenericClientConstructor, type ServiceDefinition } from "@grpc/grpc-js";
import { service as healthService } from "grpc-health-check";
import postgres from "postgres";

setDefaultTimeout(30_000);

const log = createLogger("health-test", { level: "silent" });
let db: Awaited<ReturnType<typeof createDatabase>>;
let proxy: TcpProxy;
let sql: postgres.Sql;
let nats: Awaited<ReturnType<typeof startNatsServer>>;
let bus: Bus;
let health: Health;
let server: Awaited<ReturnType<typeof startGrpcServer>>;
let checker: HealthChecker;
let watch: ClientReadableStream<{ status: string }>;
const watched: string[] = [];

beforeAll(async () => {
  db = await createDatabase("health");
  const target = new URL(db.url);
  proxy = await startTcpProxy(target.hostname, Number(target.port));
  target.port = String(proxy.port);
  sql = postgres(target.toString(), { max: 2, connect_timeout: 2, onnotice: () => {} });
  nats = await startNatsServer();
  const stream = uniqueStream(nats.url);
  bus = await Bus.connect({ url: nats.url, name: "health-test", stream: stream.stream, prefix: stream.prefix, log });
  health = new Health([databaseProbe(sql), busProbe(bus)], log, { intervalMs: 100, timeoutMs: 500 });
  await health.start();
  server = await startGrpcServer(0, [[notificationV1.NotificationServiceService, {}]], log, health);
  const address = `127.0.0.1:${server.port}`;
  checker = connectHealth(address);

  const Client = makeGenericClientConstructor(healthService as unknown as ServiceDefinition, "Health");
  const client = new Client(address, credentials.createInsecure()) as unknown as { watch(req: object): ClientReadableStream<{ status: string }> };
  watch = client.watch({ service: "" });
  watch.on("data", (m) => watched.push(m.status));
  watch.on("error", () => {});
});

afterAll(async () => {
  watch?.cancel();
  checker?.close();
  health?.shutdown();
  await server?.stop(1000);
  await bus?.close();
  await nats?.close();
  await sql?.end({ timeout: 1 });
  await proxy?.close();
  await db?.drop();
});

test("SERVING while the database and NATS answer, for the whole server and for each service", async () => {
  expect(await checker.check("")).toBe("SERVING");
  expect(await checker.check("notification.v1.NotificationService")).toBe("SERVING");
  expect(await checker.check("no.such.Service")).toBe("NOT_FOUND");
});

test("NOT_SERVING while the database is unreachable, SERVING again after; Watch sees both", async () => {
  proxy.cut();
  await waitFor("NOT_SERVING", async () => (await checker.check("")) === "NOT_SERVING");
  expect(health.unavailable).toEqual(["database"]);
  expect(await checker.check("notification.v1.NotificationService")).toBe("NOT_SERVING");

  proxy.restore();
  await waitFor("SERVING again", async () => (await checker.check("")) === "SERVING");
  await waitFor("Watch to report the change", () => watched.join() === "SERVING,NOT_SERVING,SERVING");
});

test("NOT_SERVING while NATS is down, SERVING again after it is back", async () => {
  await nats.stop();
  await waitFor("NOT_SERVING", async () => (await checker.check("")) === "NOT_SERVING");
  expect(health.unavailable).toEqual(["nats"]);

  await nats.start();
  await waitFor("SERVING again", async () => (await checker.check("")) === "SERVING", { timeoutMs: 20_000 });
});

test("shutdown turns NOT_SERVING at once, whatever the probes say", async () => {
  health.shutdown();
  expect(await checker.check("")).toBe("NOT_SERVING");
});

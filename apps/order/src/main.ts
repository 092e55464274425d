import { Bus, createLogger, loadConfig, Outbox, onShutdown, openDatabase, startConsumers, startGrpcServer, startServiceOps } from "@evented/core";
import { orderV1 } from "@evented/proto";
import { readConfig } from "./config.ts";
import * as schema from "./schema.ts";
import { orderServer } from "./server.ts";
import { OrderService } from "./service.ts";
import { subscriptions } from "./subscriptions.ts";
import { userDirectory } from "./users.ts";

const config = loadConfig("order", readConfig);
const log = createLogger("order", config.log);
const migrationsFolder = new URL("../../../drizzle/order", import.meta.url).pathname;

const database = await openDatabase(config.dbConn, schema, { log, migrationsFolder, poolSize: config.dbPoolSize });
const { db } = database;
const bus = await Bus.connect({
  url: config.natsUrl,
  name: "order",
  stream: config.stream,
  prefix: config.subjectPrefix,
  duplicateWindowMs: config.duplicateWindowMs,
  replicas: config.streamReplicas,
  log,
});
const outbox = new Outbox(db, bus, log);
outbox.start();
const users = userDirectory(config.userServiceUrl, config.userServiceTimeoutMs);
const orders = new OrderService(db, outbox, users);
const subs = subscriptions(orders);
const { metricsPort, telemetry } = config;
const ops = await startServiceOps("order", {
  log,
  database,
  bus,
  outbox,
  idempotencyKeys: true,
  consumers: subs.map((s) => s.durable),
  metricsPort,
  telemetry,
});
const consumers = await startConsumers(subs, { bus, db, log });

const grpc = await startGrpcServer(config.port, [[orderV1.OrderServiceService, orderServer(orders, log)]], log, ops.health);

onShutdown(log, [
  () => ops.health.shutdown(),
  () => grpc.stop(),
  () => consumers.stop(),
  () => outbox.stop(),
  () => bus.close(),
  () => users.close(),
  () => ops.stop(),
  database.close,
]);
